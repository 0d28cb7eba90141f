//! `userops health`: the user health index day by day, its alerts and anomalies, per-user
//! alerts, and month-by-month three-colour warnings — for a file, or the built-in sample.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use chrono::{DateTime, TimeDelta, Utc};
use clap::Args;
use userops::activity::{ActivitySummary, PeriodTotals};
use userops::event::{Event, EventRecord};
use userops::fold::{Summary, fold};
use userops::ops::health::{DailyActivity, HealthModel, HealthParams};
use userops::ops::warning::{Colour, WarningFigures, WarningThresholds};
use userops::sample::{SampleConfig, generate};
use userops::time::{Calendar, Interval, Period, Zone};

use crate::Res;
use crate::input::{Columns, InputArgs};
use crate::output::{Format, OutputArgs};

/// Flags of `userops health`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Without --input the built-in sample is scored (a product used a few \
times a month, so its index sits far below the library's default warning line of 40; the \
default line here is 12). The warnings use the churn rate of a month (users active the month \
before and not in it, over users active the month before) and an LTV proxy (revenue per active \
user over the trailing three months against the three months before)."
)]
pub struct HealthArgs {
    /// Which file and how to read it.
    #[command(flatten)]
    pub input: InputArgs,
    /// How and where the result is written.
    #[command(flatten)]
    pub output: OutputArgs,
    /// With --input: the user id column (name, or #N from 0).
    #[arg(long, value_name = "COL")]
    pub user: Option<String>,
    /// With --input: the event time column.
    #[arg(long, value_name = "COL")]
    pub time: Option<String>,
    /// With --input: the amount column (revenue for the LTV proxy).
    #[arg(long, value_name = "COL")]
    pub amount: Option<String>,
    /// Sample users.
    #[arg(long, value_name = "N", default_value_t = 3000, value_parser = parse_users)]
    pub users: u64,
    /// Sample seed.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Days scored, ending on the data's last day.
    #[arg(long, value_name = "D", default_value_t = 365, value_parser = parse_days)]
    pub days: u64,
    /// Index warning line, 0-100 ("healthy" is twice the line).
    #[arg(long, value_name = "L", default_value_t = 12.0)]
    pub warning_line: f64,
}

fn parse_users(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
        _ => Err(format!(
            "--users must be from 1 to 1000000 (the sample scores every user day by day), got {text}"
        )),
    }
}

fn parse_days(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n) if (1..=3_000).contains(&n) => Ok(n),
        _ => Err(format!(
            "--days must be from 1 to 3000 (the sample's history is at most about 8 years), got {text}"
        )),
    }
}

/// Runs `userops health`.
pub fn run(args: &HealthArgs) -> Res<()> {
    if args.output.format != Format::Table {
        return args.output.unsupported("health", "table");
    }
    let mut out = String::new();
    let zone = args.input.zone;
    if args.input.input.is_some() {
        let need = |v: &Option<String>, flag: &str| -> Res<String> {
            v.clone()
                .ok_or_else(|| format!("{flag} is required with --input").into())
        };
        let columns = Columns {
            user: need(&args.user, "--user")?,
            time: need(&args.time, "--time")?,
            amount: args.amount.clone(),
            ..Columns::default()
        };
        let read = args.input.load(&columns, None)?;
        // Users as dense numbers, in first-seen order (the health model keys users by number).
        let mut index: HashMap<String, u64> = HashMap::new();
        let events: Vec<EventRecord<u64>> = read
            .events
            .iter()
            .map(|e| {
                let next = index.len() as u64;
                let user = *index.entry(e.user.clone()).or_insert(next);
                EventRecord::new(user, e.at).with_amount(e.amount)
            })
            .collect();
        let end = events
            .iter()
            .map(|e| e.at)
            .max()
            .ok_or("the file has no events")?
            + TimeDelta::days(1);
        writeln!(
            out,
            "{}: {} users, {} events, last day {}\n",
            args.input.path()?,
            index.len(),
            events.len(),
            (end - TimeDelta::days(1)).date_naive()
        )?;
        report(&events, end, zone, args, &mut out)?;
    } else {
        let data = generate(
            &SampleConfig::new(args.users)
                .events_per_user(20.0)
                .seed(args.seed),
        )?;
        writeln!(
            out,
            "sample: {} users, {} events, history ends {}\n",
            data.users.len(),
            data.events.len(),
            data.end
        )?;
        report(&data.events, data.end, Zone::Utc, args, &mut out)?;
    }
    args.output.write(&out)
}

/// The index, the alerts and the warnings for `events`, whose history ends at `end`.
fn report<E: Event<User = u64>>(
    events: &[E],
    end: DateTime<Utc>,
    zone: Zone,
    args: &HealthArgs,
    out: &mut String,
) -> Res<()> {
    let line = args.warning_line;
    let days = args.days;
    // 1. The index, day by day (summarized by its Display).
    let daily = fold(DailyActivity::new(zone), events)?.finish()?;
    let params = HealthParams {
        warning_line: line,
        healthy_line: (2.0 * line).min(100.0), // "healthy" at twice the warning line
        ..HealthParams::default()
    };
    let model = HealthModel::new(params)?;
    let to = (end - TimeDelta::days(1)).date_naive();
    let from = to - TimeDelta::days(days as i64 - 1);
    let report = model.score(&daily, from, to)?;
    writeln!(out, "{report}\n")?;

    // 2. Per-user alerts over the last 90 days.
    let recent = to - TimeDelta::days(89);
    let user_alerts = model.user_alerts(&daily, recent, to)?;
    let alerted: BTreeSet<u64> = user_alerts.iter().map(|a| a.user).collect();
    let scored = report.users.len();
    writeln!(
        out,
        "per-user alerts, {recent} .. {to}: {} alerts for {} users ({scored} users in the population on {to}) with {}+ consecutive days below {:.0}\n",
        user_alerts.len(),
        alerted.len(),
        model.params().consecutive_days,
        model.params().warning_line
    )?;

    // 3. Month by month: churn and an LTV proxy through the three-colour rules.
    let months = Calendar::new(zone, Interval::Month);
    let activity = fold(ActivitySummary::new(months.clone()), events)?.finish()?;
    let totals = fold(PeriodTotals::new(months), events)?.finish()?;
    let mut active: BTreeMap<Period, BTreeSet<u64>> = BTreeMap::new();
    for u in &activity.users {
        for p in &u.active_periods {
            active.entry(*p).or_default().insert(u.user);
        }
    }
    let thresholds = WarningThresholds::default();
    let rows = &totals.rows;
    writeln!(
        out,
        "three-colour warnings by month (yellow: no complaint data in the sample)"
    )?;
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
    writeln!(
        out,
        "{} months evaluated: yellow {} (no complaint data), orange {} (churn >= 10%), red {} (LTV proxy down >= 15%), quiet {}",
        reports.len(),
        count(Colour::Yellow),
        count(Colour::Orange),
        count(Colour::Red),
        reports.iter().filter(|r| r.level.is_none()).count()
    )?;
    writeln!(out, "the last six months:")?;
    for r in reports.iter().rev().take(6).rev() {
        writeln!(out, "{r}")?;
    }
    Ok(())
}
