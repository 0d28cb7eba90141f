//! `userops-sql`: one SQL query with the userops functions registered, over named files,
//! in-process or on a Ballista cluster. See `userops_datafusion::cli`.

fn main() -> std::process::ExitCode {
    userops_datafusion::cli::main(std::env::args_os())
}
