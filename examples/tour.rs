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

    tour_rfm(&data)?;

    Ok(())
}

/// RFM: recency, frequency and monetary scores, segments, health and the value × activity
/// quadrant of the sample's paying users.
fn tour_rfm(data: &userops::sample::SampleData) -> Result<(), Box<dyn Error>> {
    use userops::rfm::{HealthParams, Method, RfmSummary, ScoreParams, SegmentRules};

    section("RFM: scores, segments, health (orders only, as of the end of the sample)");
    let table = fold(RfmSummary::new(data.end).payments_only(true), &data.events)?.finish();
    let scores = ScoreParams::new(Method::Quantile).check()?.score(&table)?;
    println!("{scores}\n");
    let segments = SegmentRules::standard().segment(&scores)?;
    println!("{segments}\n");
    println!("{}\n", HealthParams::default().assess(&scores)?);
    Ok(())
}

fn section(title: &str) {
    println!("== {title} ==");
}
