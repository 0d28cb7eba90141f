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

    tour_lifecycle(&data)?;

    Ok(())
}

fn tour_lifecycle(data: &SampleData) -> Result<(), Box<dyn Error>> {
    use userops::event::SignUp;
    use userops::lifecycle::{
        ForecastStart, Lever, LifecycleSummary, Rates, StageParams, forecast, plan,
    };

    section(
        "Lifecycle: user stages per month (sign-up makes a user new; churn after 2 silent months)",
    );
    let from = userops::time::local_to_utc(
        &Zone::Utc,
        data.config.start.and_time(chrono::NaiveTime::MIN),
    );
    let to = data.end - chrono::TimeDelta::milliseconds(1);
    let summary = LifecycleSummary::new(Calendar::new(Zone::Utc, Interval::Month), from, to)?;
    let activity = fold(summary, &data.events)?.finish();
    let signups: &dyn SignUp<u64> = data;
    let params = StageParams::default();
    let report = activity.stages(&params, Some(signups));
    println!("{report}");

    section("Lifecycle: forecast of the next 6 months from the trailing 3-month rates");
    let rates = Rates::trailing(&report, 3)?;
    let tail = &report.rows[report.rows.len().saturating_sub(3)..];
    let expected_new = tail.iter().map(|r| r.new as f64).sum::<f64>() / tail.len().max(1) as f64;
    let start = ForecastStart::from_report(&report)?;
    let projection = forecast(&start, &rates, &[expected_new; 6])?;
    println!("{projection}");

    section("Lifecycle: target plan (active rate +5 points in 6 months, one lever at a time)");
    let target = (projection.rows.last().map_or(0.0, |r| r.active_rate) + 0.05).min(1.0);
    for lever in Lever::ALL {
        print!(
            "{}",
            plan(&start, &rates, &[expected_new; 6], lever, target)?
        );
    }
    println!();

    section("Lifecycle: the last three months by acquisition channel");
    let by_channel = activity.breakdown(&data.channel(), |part| {
        let r = part.stages(&params, Some(signups));
        r.rows[r.rows.len().saturating_sub(3)..].to_vec()
    });
    for g in &by_channel.groups {
        for row in &g.report {
            println!(
                "{:<12} {}  new {:>4}  retained {:>4}  retained_new {:>4}  woken {:>4}  returned {:>4}  dormant {:>4}  churned {:>5}  active rate {:>5.1}%",
                g.value,
                row.period,
                row.new,
                row.retained,
                row.retained_new,
                row.woken,
                row.returned,
                row.dormant,
                row.churned,
                row.active_rate * 100.0
            );
        }
    }
    println!();
    Ok(())
}

fn section(title: &str) {
    println!("== {title} ==");
}
