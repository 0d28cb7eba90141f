//! User paths after (or before) an event, as Sankey rows, from an event file.
//!
//! ```text
//! cargo run --release --example paths -- --input FILE --user COL --time COL --event COL \
//!     --from NAME | --to NAME [--depth N] [--session-gap 30min] [--tz ZONE] [--format table|json]
//! ```
//!
//! `--from NAME`: the events after each user's first NAME; `--to NAME`: the events before it.
//! JSON output: `{"rows": [{"step": 1, "from": "...", "to": "...", "users": N}, ...], ...}`.
//! The logic is the library's (`userops::paths`); the reader's account goes to stderr.
//!
//! This example is the `userops paths` subcommand under its old name (same flags, same
//! output): `cargo run --release -p userops-cli -- paths --help` lists them.

fn main() -> std::process::ExitCode {
    userops_cli::run_as("paths")
}
