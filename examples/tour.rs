//! The tour: every model in `userops` on the built-in sample data.
//!
//! `cargo run --release --example tour`

use std::error::Error;

use userops::activity::PeriodTotals;
use userops::fold::{Summary, fold};
use userops::sample::{SampleConfig, generate};
use userops::time::{Calendar, Interval, Zone};

fn main() -> Result<(), Box<dyn Error>> {
    let data = generate(&SampleConfig::tour())?;
    println!(
        "userops tour — sample product: {} users, {} events, {} months from {}\n",
        data.users.len(),
        data.events.len(),
        data.config.months,
        data.config.start
    );

    section("Overview: users, events, revenue and active users per month");
    let months = fold(
        PeriodTotals::new(Calendar::new(Zone::Utc, Interval::Month)),
        &data.events,
    )?
    .finish();
    println!("{months}\n");

    Ok(())
}

fn section(title: &str) {
    println!("== {title} ==");
}
