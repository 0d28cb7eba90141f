//! The tour: every model in `userops` on the built-in sample data.
//!
//! `cargo run --release --example tour`

use std::error::Error;

use userops::activity::PeriodTotals;
use userops::fold::{Summary, fold};
use userops::sample::{SampleConfig, SampleData, generate};
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

    tour_clv(&data)?;

    Ok(())
}

/// Probabilistic CLV: BG/NBD + Gamma-Gamma on the orders, the most valuable customers.
fn tour_clv(data: &SampleData) -> Result<(), Box<dyn Error>> {
    use userops::ltv::{
        BgNbdParams, BtydSummary, ClvOptions, ClvReport, FitOptions, GammaGammaParams, TimeUnit,
    };
    section("Customer lifetime value: BG/NBD + Gamma-Gamma on the orders, top 10 by 12-month CLV");
    let end = (data.end - chrono::TimeDelta::days(1)).date_naive();
    let summary = fold(BtydSummary::new(end, TimeUnit::Week), data.orders())?.finish();
    let customers = summary.to_customers();
    // The sample generator's customers never churn, so plain maximum likelihood sends the
    // dropout parameters a, b off to infinity (reported as not converged); a small L2 penalty,
    // as lifetimes recommends, keeps them finite.
    let plain = BgNbdParams::fit(&customers, &FitOptions::new())?;
    println!("{plain}");
    let purchases = BgNbdParams::fit(&customers, &FitOptions::new().penalizer(0.001)?)?;
    println!("with penalizer 0.001:\n{purchases}");
    let spend = GammaGammaParams::fit(&customers, &FitOptions::new())?;
    println!("{spend}");
    let options = ClvOptions::new(12, TimeUnit::Week)?.discount(0.01)?;
    let rows = summary.customers.iter().map(|c| (c.user, c.customer()));
    let report = ClvReport::compute(&purchases.params, &spend.params, rows, &options)?;
    let total: f64 = report.rows.iter().map(|r| r.clv).sum();
    println!(
        "{} customers, total 12-month CLV {total:.0}",
        report.rows.len()
    );
    println!("{}", report.top(10));
    Ok(())
}

fn section(title: &str) {
    println!("== {title} ==");
}
