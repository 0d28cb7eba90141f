//! Significance of an experiment: a strategy (treatment) against its control.
//!
//! ```text
//! cargo run --release --example experiment -- proportions --control-n N --control-x X \
//!     --treatment-n N --treatment-x X [--continuity-correction] [--confidence C] [--format json]
//! cargo run --release --example experiment -- means --input FILE --group COL --value COL \
//!     [--control NAME] [--treatment NAME] [--confidence C] [--format json]
//! ```
//!
//! `proportions` runs the two-proportion z-test (R `prop.test`; `--continuity-correction` is
//! R's default `correct = TRUE`). `means` runs Welch's t-test (R `t.test`) on a CSV file with a
//! header row: the `--group` column names each row's group, the `--value` column holds the
//! number. Rows whose group equals `--control` (default `control`) are the control; the
//! treatment is `--treatment` when given, otherwise the one other group value in the file (more
//! than one other value is an error asking for `--treatment`). Rows of other groups, with an
//! empty group, or with a value that is not a finite number are rejected and accounted for on
//! stderr, with line numbers.
//!
//! JSON output: `{"test": ..., "statistic": ..., "p_value": ..., "ci_low": ..., "ci_high": ...,
//! "lift": ..., ...}` — the difference is treatment − control; for proportions the statistic
//! is z (R's X-squared is `chi_square`).
//!
//! This example is the `userops experiment` subcommand under its old name (same flags, same
//! output): `cargo run --release -p userops-cli -- experiment --help` lists them.

fn main() -> std::process::ExitCode {
    userops_cli::run_as("experiment")
}
