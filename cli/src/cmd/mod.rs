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
