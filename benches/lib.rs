//! Nothing here: the benchmarks are the `[[bench]]` targets of this crate (`cargo bench -p userops-benches`).
