//! One module per subcommand: its flags (clap) and its work.

pub mod attribution;
pub mod clv;
pub mod correlation;
pub mod experiment;
pub mod funnel;
pub mod health;
pub mod labels;
pub mod lifecycle;
pub mod paths;
pub mod report;
pub mod retention;
pub mod rfm;
pub mod sample;
pub mod value;

use chrono::{DateTime, TimeDelta, Utc};
use userops::time::{Zone, parse_instant};

use crate::Res;

/// The first instant after an as-of given as a date (through the end of that day) or a
/// date-time (used as given).
pub fn as_of_end(text: &str, zone: &Zone) -> Res<DateTime<Utc>> {
    let at = parse_instant(text, zone)?;
    let date_only = text.trim().len() <= 10 && !text.contains(':');
    Ok(if date_only {
        at + TimeDelta::days(1)
    } else {
        at
    })
}
