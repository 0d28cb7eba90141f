//! User health over the sample data, day by day: the index, its alerts and anomalies, per-user
//! bands and alerts, and month-by-month three-colour warnings.
//!
//! ```text
//! cargo run --release --example health -- [--users N] [--seed S] [--days D] [--warning-line L]
//! ```
//!
//! The sample product is used a few times a month, so its index sits far below the library's
//! default warning line of 40 (which suits a daily-use product); the example's default line
//! is 12 (`--warning-line`).
//!
//! The index is scored for the last `--days` days (default 365) of the sample's history. The
//! warnings use figures computed from the sample: the churn rate of a month (users active the
//! month before and not in it, over users active the month before) and an LTV proxy (revenue
//! per active user over the trailing three months against the three months before). The
//! sample has no complaint data, so the yellow rule is not evaluated.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::process::ExitCode;

use chrono::TimeDelta;
use userops::activity::{ActivitySummary, PeriodTotals};
use userops::fold::{Summary, fold};
use userops::ops::health::{DailyActivity, HealthModel, HealthParams};
use userops::ops::warning::{Colour, WarningFigures, WarningThresholds};
use userops::sample::{SampleConfig, generate};
use userops::time::{Calendar, Interval, Period, Zone};

const HELP: &str = "usage: health [--users N] [--seed S] [--days D] [--warning-line L]
Health index, alerts, anomalies and three-colour warnings over the built-in sample data.
  --users N          sample users (default 3000)
  --seed S           sample seed (default 1)
  --days D           days scored, ending on the sample's last day (default 365)
  --warning-line L   index warning line, 0-100 (default 12: the sample is a low-frequency product)";

const FLAGS: [&str; 4] = ["--users", "--seed", "--days", "--warning-line"];

fn number(args: &[String], flag: &str, default: u64) -> Result<u64, String> {
    match args.iter().position(|a| a == flag) {
        None => Ok(default),
        Some(i) => {
            let v = args
                .get(i + 1)
                .ok_or_else(|| format!("{flag} needs a value"))?;
            v.parse().map_err(|_| {
                format!(
                    "{flag} must be a whole number, got {:?}",
                    userops::error::shorten(v)
                )
            })
        }
    }
}

fn run(args: &[String]) -> Result<(), Box<dyn Error>> {
    for (i, a) in args.iter().enumerate() {
        let is_value = i > 0 && FLAGS.contains(&args[i - 1].as_str());
        if !is_value && !FLAGS.contains(&a.as_str()) {
            return Err(format!("unknown argument {a:?} (see --help)").into());
        }
    }
    let users = number(args, "--users", 3_000)?;
    if !(1..=1_000_000).contains(&users) {
        return Err(format!(
            "--users must be from 1 to 1000000 (the example scores every user day by day), got {users}"
        )
        .into());
    }
    let seed = number(args, "--seed", 1)?;
    let days = number(args, "--days", 365)?;
    if !(1..=3_000).contains(&days) {
        return Err(format!(
            "--days must be from 1 to 3000 (the sample's history is at most about 8 years), got {days}"
        )
        .into());
    }
    let line = match args.iter().position(|a| a == "--warning-line") {
        None => 12.0,
        Some(i) => {
            let v = args.get(i + 1).ok_or("--warning-line needs a value")?;
            v.parse::<f64>()
                .map_err(|_| format!("--warning-line must be a number, got {v:?}"))?
        }
    };
    // SampleConfig::tour() is 3,000 users with about 20 events each.
    let data = generate(&SampleConfig::new(users).events_per_user(20.0).seed(seed))?;
    println!(
        "sample: {} users, {} events, history ends {}\n",
        data.users.len(),
        data.events.len(),
        data.end
    );

    // 1. The index, day by day (summarized by its Display).
    let daily = fold(DailyActivity::new(Zone::Utc), &data.events)?.finish()?;
    let params = HealthParams {
        warning_line: line,
        healthy_line: (2.0 * line).min(100.0), // "healthy" at twice the warning line
        ..HealthParams::default()
    };
    let model = HealthModel::new(params)?;
    let to = (data.end - TimeDelta::days(1)).date_naive();
    let from = to - TimeDelta::days(days as i64 - 1);
    let report = model.score(&daily, from, to)?;
    println!("{report}\n");

    // 2. Per-user alerts over the last 90 days.
    let recent = to - TimeDelta::days(89);
    let user_alerts = model.user_alerts(&daily, recent, to)?;
    let alerted: BTreeSet<u64> = user_alerts.iter().map(|a| a.user).collect();
    let scored = report.users.len();
    println!(
        "per-user alerts, {recent} .. {to}: {} alerts for {} users ({scored} users in the population on {to}) with {}+ consecutive days below {:.0}\n",
        user_alerts.len(),
        alerted.len(),
        model.params().consecutive_days,
        model.params().warning_line
    );

    // 3. Month by month: churn and an LTV proxy through the three-colour rules.
    let months = Calendar::new(Zone::Utc, Interval::Month);
    let activity = fold(ActivitySummary::new(months.clone()), &data.events)?.finish()?;
    let totals = fold(PeriodTotals::new(months), &data.events)?.finish()?;
    let mut active: BTreeMap<Period, BTreeSet<u64>> = BTreeMap::new();
    for u in &activity.users {
        for p in &u.active_periods {
            active.entry(*p).or_default().insert(u.user);
        }
    }
    let thresholds = WarningThresholds::default();
    let rows = &totals.rows;
    println!("three-colour warnings by month (yellow: no complaint data in the sample)");
    let mut reports = Vec::new();
    for i in 6..rows.len() {
        let (prev, this) = (&rows[i - 1].period, &rows[i].period);
        let before = active.get(prev).map_or(0, BTreeSet::len) as u64;
        let lost = match (active.get(prev), active.get(this)) {
            (Some(a), Some(b)) => a.difference(b).count() as u64,
            (Some(a), None) => a.len() as u64,
            _ => 0,
        };
        let arpu = |range: std::ops::Range<usize>| {
            let revenue: f64 = rows[range.clone()].iter().map(|r| r.revenue).sum();
            let users: BTreeSet<u64> = rows[range]
                .iter()
                .filter_map(|r| active.get(&r.period))
                .flatten()
                .copied()
                .collect();
            revenue / users.len().max(1) as f64
        };
        let (ltv_now, ltv_before) = (arpu(i - 2..i + 1), arpu(i - 5..i - 2));
        let mut figures = WarningFigures::default().label(this.to_string());
        if before > 0 {
            figures = figures.churn(lost, before)?;
        }
        if ltv_before > 0.0 {
            figures = figures.ltv(ltv_before, ltv_now)?;
        }
        reports.push(thresholds.evaluate(&figures)?);
    }
    let count = |c: Colour| {
        reports
            .iter()
            .filter(|r| r.warnings.iter().any(|w| w.colour == c))
            .count()
    };
    println!(
        "{} months evaluated: yellow {} (no complaint data), orange {} (churn >= 10%), red {} (LTV proxy down >= 15%), quiet {}",
        reports.len(),
        count(Colour::Yellow),
        count(Colour::Orange),
        count(Colour::Red),
        reports.iter().filter(|r| r.level.is_none()).count()
    );
    println!("the last six months:");
    for r in reports.iter().rev().take(6).rev() {
        println!("{r}");
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{HELP}");
        return ExitCode::SUCCESS;
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
