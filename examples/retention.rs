//! Cohort retention table from an event file, with PostHog's definitions.
//!
//! ```text
//! cargo run --release --example retention -- --input FILE --user COL --time COL --event COL \
//!     --start-event NAME --return-event NAME --interval day|week|month [--week-start sunday|monday] \
//!     [--tz ZONE] --date-to DATETIME --periods N --mode recurring|first-time [--on-or-after] \
//!     [--min-return-events N] [--format table|json]
//! ```
//!
//! `NAME` may be `*` for any event. `ZONE` is an IANA name (`America/Los_Angeles`,
//! `US/Pacific`) or a fixed offset (`+08:00`); times in the file and `--date-to` without an
//! offset are read in it. Weeks start on Sunday unless `--week-start monday` (PostHog's
//! default is Sunday). The window is the `N` periods ending with the one containing
//! `--date-to`. JSON output: `{"cohorts": [{"period": "...", "counts": [n0, n1, ...]}, ...], ...}`.
//!
//! This example is the `userops retention` subcommand under its old name (same flags, same
//! output): `cargo run --release -p userops-cli -- retention --help` lists them.

fn main() -> std::process::ExitCode {
    userops_cli::run_as("retention")
}
