//! `--format` and `--output`, shared by every subcommand.

use std::io::Write;

use clap::{Args, ValueEnum};

use crate::Res;

/// How a result is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// A readable table with headers and units.
    #[default]
    #[value(alias = "text")]
    Table,
    /// Comma-separated values with a header row.
    Csv,
    /// JSON.
    Json,
}

/// `--format` and `--output`.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// table (readable, with units), csv or json.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the result to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<String>,
}

impl OutputArgs {
    /// Writes `text` to `--output` or standard output; a closed pipe (`| head`) is not an
    /// error.
    pub fn write(&self, text: &str) -> Res<()> {
        match &self.output {
            Some(path) if path != "-" => {
                std::fs::write(path, text).map_err(|e| format!("cannot write {path}: {e}").into())
            }
            _ => {
                let mut out = std::io::stdout().lock();
                match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                    Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                    _ => Ok(()),
                }
            }
        }
    }

    /// An error for a format this subcommand does not write.
    pub fn unsupported(&self, command: &str, formats: &str) -> Res<()> {
        Err(format!(
            "{command} writes {formats}, not --format {}",
            self.format
                .to_possible_value()
                .map_or("?".into(), |v| v.get_name().to_string())
        )
        .into())
    }
}

/// A CSV field, quoted when it must be.
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
