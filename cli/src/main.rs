//! `userops`: see `userops --help` and the crate docs of `userops_cli`.

fn main() -> std::process::ExitCode {
    userops_cli::run(std::env::args_os())
}
