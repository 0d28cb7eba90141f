//! Fit BTYD models and forecast customer value from the command line.
//!
//! ```text
//! cargo run --release --example clv -- fit --model bgnbd|mbgnbd|pareto-nbd|gamma-gamma \
//!     --summary FILE [--frequency COL --recency COL --t COL --monetary COL] [--penalizer X] [--format json]
//! cargo run --release --example clv -- fit --model M --input FILE --user COL --time COL \
//!     --amount COL --unit day|week --calibration-end DATE [--delimiter ws|,|;|tab] [--header|--no-header]
//! cargo run --release --example clv -- predict --model M --params k=v,k=v,... --summary FILE \
//!     --horizon T [--spend-params p=..,q=..,gamma=..] [--discount RATE] [--format csv|json]
//! ```
//!
//! This example is the `userops clv` subcommand under its old name (same flags, same
//! output): `cargo run --release -p userops-cli -- clv --help` lists them.

fn main() -> std::process::ExitCode {
    userops_cli::run_as("clv")
}
