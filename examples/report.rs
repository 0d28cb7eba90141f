//! One self-contained HTML report (every model, drawn as SVG) of your own event file.
//!
//! ```text
//! cargo run --release --example report -- --input FILE --user COL \
//!     --time COL --amount COL --as-of DATE --output report.html [--delimiter ws|,|;|tab|'|']
//!     [--header|--no-header] [--zone ZONE] [--interval day|week|month] [--periods N]
//!     [--warning-line X --healthy-line Y] [--chart ID --svg FILE]
//! ```
//!
//! All the work is in the library (`userops::chart::html::report`); this reads the file,
//! accounts for every rejected row on stderr and writes the page. `--chart ID --svg FILE`
//! writes one chart of the report on its own (e.g. `--chart lifecycle-bars`).
//!
//! This example is the `userops report` subcommand under its old name (same flags, same
//! output): `cargo run --release -p userops-cli -- report --help` lists them.

fn main() -> std::process::ExitCode {
    userops_cli::run_as("report")
}
