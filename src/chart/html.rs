//! The one-file HTML report: every model folded from one [`EventTable`], each drawn as SVG
//! inside one self-contained HTML page (inline SVG and CSS, no script, nothing fetched).

use std::fmt::Write as _;
use std::hash::Hash;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use super::svg::{esc, num};
use crate::engine::{EventTable, Row};
use crate::event::Event;
use crate::fold::{FoldTable, Summary, fold};
use crate::lifecycle::{LifecycleSummary, StageParams};
use crate::ltv::{BgNbdParams, BtydSummary, FitOptions, TimeUnit};
use crate::metric::{MetricSummary, MetricTree, TierParams, ValueWeights, Window, value_scores};
use crate::ops::health::{DailyActivity, HealthModel, HealthParams};
use crate::quadrant::{QuadrantParams, UsageSummary, classify};
use crate::retention::{RetentionMode, RetentionParams, RetentionSummary};
use crate::rfm::{Method, RfmSummary, ScoreParams, SegmentRules};
use crate::time::{Calendar, Interval, Zone};
use crate::{Error, Result};

/// Most periods a report's lifecycle and retention sections cover.
///
/// ```
/// assert_eq!(userops::chart::html::MAX_REPORT_PERIODS, 120);
/// ```
pub const MAX_REPORT_PERIODS: usize = 120;
/// Most days of the health index a report draws.
///
/// ```
/// assert_eq!(userops::chart::html::MAX_HEALTH_DAYS, 3660);
/// ```
pub const MAX_HEALTH_DAYS: u32 = 3660;

/// What the report computes and how: the business's zone and period, how far back each
/// section looks, and the models' settings. [`ReportOptions::default`] suits a monthly
/// business report.
///
/// ```
/// let options = userops::chart::html::ReportOptions {
///     periods: 6,
///     ..Default::default()
/// };
/// assert_eq!(options.interval, userops::time::Interval::Month);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ReportOptions {
    /// The page's title.
    pub title: String,
    /// The business's time zone: periods and days are counted in it.
    pub zone: Zone,
    /// Lifecycle and retention periods (default month).
    pub interval: Interval,
    /// Periods the lifecycle and retention sections cover, ending with the one that holds
    /// the as-of instant (1 to [`MAX_REPORT_PERIODS`]; default 12).
    pub periods: usize,
    /// Lifecycle: silent periods after which a user is churned (default 2).
    pub churn_after: u32,
    /// RFM: scores per dimension, 2 to 9 (default 5).
    pub rfm_bins: u8,
    /// CLV: days before the as-of day held out to check the model (0: no holdout and no
    /// calibration chart; default 91).
    pub holdout_days: u32,
    /// CLV: the L2 penalizer of the BG/NBD fit (default 0.001, as lifetimes recommends for
    /// data where few customers drop out).
    pub penalizer: f64,
    /// Value: days of the metric window ending at the as-of instant (default 90).
    pub value_days: u32,
    /// Health: the model's settings (warning and healthy lines, windows).
    pub health: HealthParams,
    /// Health: days of the index drawn, ending on the as-of day (1 to [`MAX_HEALTH_DAYS`];
    /// default 180).
    pub health_days: u32,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            title: "User operations report".to_string(),
            zone: Zone::Utc,
            interval: Interval::Month,
            periods: 12,
            churn_after: 2,
            rfm_bins: 5,
            holdout_days: 91,
            penalizer: 0.001,
            value_days: 90,
            health: HealthParams::default(),
            health_days: 180,
        }
    }
}

impl ReportOptions {
    fn check(&self) -> Result<()> {
        if self.periods == 0 || self.periods > MAX_REPORT_PERIODS {
            return Err(Error::invalid(
                "periods",
                format!("must be 1 to {MAX_REPORT_PERIODS}, got {}", self.periods),
            ));
        }
        if self.health_days == 0 || self.health_days > MAX_HEALTH_DAYS {
            return Err(Error::invalid(
                "health_days",
                format!("must be 1 to {MAX_HEALTH_DAYS}, got {}", self.health_days),
            ));
        }
        if self.value_days == 0 {
            return Err(Error::invalid("value_days", "must be at least 1 day"));
        }
        if !(2..=9).contains(&self.rfm_bins) {
            return Err(Error::invalid(
                "rfm_bins",
                format!("must be 2 to 9, got {}", self.rfm_bins),
            ));
        }
        if !(self.penalizer.is_finite() && self.penalizer >= 0.0) {
            return Err(Error::invalid(
                "penalizer",
                format!("must be finite and >= 0, got {}", self.penalizer),
            ));
        }
        Ok(())
    }
}

/// The sections of a report, in page order: `(id, heading)`. Each is a
/// `<section class="model" id="..">`; the charts in it are `<svg class="chart" id="..">`.
///
/// ```
/// assert_eq!(userops::chart::html::SECTIONS[0].0, "overview");
/// ```
pub const SECTIONS: [(&str, &str); 7] = [
    ("overview", "Overview"),
    ("rfm", "RFM: recency, frequency, monetary"),
    ("lifecycle", "Lifecycle stages"),
    ("retention", "Retention"),
    ("clv", "Customer lifetime value"),
    ("value", "Product value"),
    ("health", "User health"),
];

/// One chart of a report: the `id` of its `<svg>` element (`lifecycle-bars`, ...), its SVG
/// text and the caption the report prints under it ([`charts`] gives them).
///
/// ```
/// let chart = userops::chart::html::ReportChart { section: "lifecycle",
///     id: "lifecycle-bars".into(), svg: "<svg></svg>".into(), caption: String::new() };
/// assert_eq!(chart.section, "lifecycle");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ReportChart {
    /// The section it belongs to (an id of [`SECTIONS`]).
    pub section: &'static str,
    /// The `id` of the `<svg>` element.
    pub id: String,
    /// The SVG text (one `<svg>` element, a file of its own as it is).
    pub svg: String,
    /// What the report prints under it.
    pub caption: String,
}

/// What a section holds, in order: text (HTML) and charts.
enum Part {
    Html(String),
    Chart(String, String),
}

/// Every chart of the report of `table` as of `as_of`, in page order, each on its own (for
/// a host that lays them out itself, or writes one to a file); sections that cannot be
/// computed on the data give no chart. See [`report`].
///
/// # Errors
/// As [`report`].
///
/// ```
/// use userops::engine::EventTable;
/// use userops::sample::{generate, SampleConfig};
/// let data = generate(&SampleConfig::new(300).months(6))?;
/// let table = EventTable::from_events(&data.events)?;
/// let charts = userops::chart::html::charts(&table, data.end - chrono::TimeDelta::seconds(1), &Default::default())?;
/// let bars = charts.iter().find(|c| c.id == "lifecycle-bars").unwrap();
/// assert!(bars.svg.starts_with("<svg"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn charts<U>(
    table: &EventTable<U>,
    as_of: DateTime<Utc>,
    options: &ReportOptions,
) -> Result<Vec<ReportChart>>
where
    U: Clone + Eq + Hash + Ord + std::fmt::Debug,
{
    let mut out = Vec::new();
    for (section, parts) in sections(table, as_of, options)? {
        for part in parts.into_iter().flatten() {
            if let Part::Chart(svg, caption) = part {
                let id = svg
                    .split("id=\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .unwrap_or_default()
                    .to_string();
                out.push(ReportChart {
                    section,
                    id,
                    svg,
                    caption,
                });
            }
        }
    }
    Ok(out)
}

/// Every section's parts, or why it could not be computed.
#[allow(clippy::type_complexity)]
fn sections<U>(
    table: &EventTable<U>,
    as_of: DateTime<Utc>,
    options: &ReportOptions,
) -> Result<Vec<(&'static str, Result<Vec<Part>>)>>
where
    U: Clone + Eq + Hash + Ord + std::fmt::Debug,
{
    options.check()?;
    if table.is_empty() {
        return Err(Error::Empty("no events to report on"));
    }
    crate::time::check_instant("as_of", as_of)?;
    let cut = as_of.timestamp_micros();
    let all_before = table.at_column().iter().all(|t| *t <= cut);
    let input = Input {
        table,
        as_of,
        cut,
        all_before,
    };
    Ok(SECTIONS
        .iter()
        .map(|(id, _)| {
            let parts = match *id {
                "overview" => Ok(overview(&input)),
                "rfm" => rfm(&input, options),
                "lifecycle" => lifecycle(&input, options),
                "retention" => retention(&input, options),
                "clv" => clv(&input, options),
                "value" => value(&input, options),
                _ => health(&input, options),
            };
            (*id, parts)
        })
        .collect())
}

/// The one-file HTML report of `table` as of `as_of`: an overview, and a section per model
/// (RFM heatmap and segments; lifecycle stages and the last period's decomposition; the
/// retention triangle; CLV matrices, repeat purchases and calibration vs holdout; the product
/// quadrant and the value Pareto curve; the health index). Inline SVG and CSS only: no
/// script, no font, nothing fetched, so the file opens anywhere without a network.
///
/// Events after `as_of` are left out of every model. A model that cannot be computed on the
/// data (no payments for RFM, too little history for a fit) leaves a note in its section
/// saying why instead of failing the report. No chart draws a mark per user, so a report of a
/// million users is as small as one of a thousand.
///
/// # Errors
/// [`Error::InvalidParameter`] for options out of range; [`Error::Empty`] for an empty table.
///
/// ```
/// use userops::engine::EventTable;
/// use userops::sample::{generate, SampleConfig};
/// let data = generate(&SampleConfig::new(300).months(6))?;
/// let table = EventTable::from_events(&data.events)?;
/// let as_of = data.end - chrono::TimeDelta::seconds(1);
/// let html = userops::chart::html::report(&table, as_of, &Default::default())?;
/// assert!(html.starts_with("<!DOCTYPE html>"));
/// assert!(html.contains("id=\"lifecycle-bars\"") && !html.contains("<script"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn report<U>(
    table: &EventTable<U>,
    as_of: DateTime<Utc>,
    options: &ReportOptions,
) -> Result<String>
where
    U: Clone + Eq + Hash + Ord + std::fmt::Debug,
{
    let sections = sections(table, as_of, options)?;
    let mut page = String::with_capacity(512 * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body><header><h1>{}</h1><p>As of {} · generated by userops {}</p><nav>",
        esc(&options.title),
        esc(&options.title),
        as_of.format("%Y-%m-%d %H:%M:%S UTC"),
        env!("CARGO_PKG_VERSION")
    );
    for (id, heading) in SECTIONS {
        let _ = write!(page, "<a href=\"#{id}\">{}</a>", esc(heading));
    }
    page.push_str("</nav></header><main>");
    for ((id, parts), (_, heading)) in sections.into_iter().zip(SECTIONS) {
        let _ = write!(
            page,
            "<section class=\"model\" id=\"{id}\"><h2>{}</h2>",
            esc(heading)
        );
        match parts {
            Ok(parts) => {
                for part in parts {
                    match part {
                        Part::Html(html) => page.push_str(&html),
                        Part::Chart(svg, caption) => {
                            let _ = write!(
                                page,
                                "<figure>{svg}<figcaption>{}</figcaption></figure>",
                                esc_long(&caption)
                            );
                        }
                    }
                }
            }
            Err(e) => {
                let _ = write!(
                    page,
                    "<p class=\"note\">Not drawn: {}</p>",
                    esc_long(&e.to_string())
                );
            }
        }
        page.push_str("</section>");
    }
    page.push_str("</main></body></html>\n");
    Ok(page)
}

const CSS: &str = "body{font-family:sans-serif;margin:0 auto;max-width:1100px;padding:0 16px;color:#111;background:#fff}\
header{border-bottom:2px solid #08306b;margin-bottom:16px}nav a{margin-right:14px;color:#08306b}\
section{margin:28px 0;padding-top:8px;border-top:1px solid #ddd}svg.chart{display:block;max-width:100%;height:auto;margin:12px 0}\
table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #e5e5e5;text-align:right}th:first-child,td:first-child{text-align:left}\
.note{color:#8c2d04}figure{margin:0}figcaption{color:#444;font-size:14px}";

/// Outside text of any length (an error message), escaped.
fn esc_long(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

struct Input<'t, U> {
    table: &'t EventTable<U>,
    as_of: DateTime<Utc>,
    cut: i64,
    all_before: bool,
}

impl<U: Clone + Eq + Hash + Ord + std::fmt::Debug> Input<'_, U> {
    /// Folds the rows at or before the as-of instant, by the columns when all rows are.
    fn fold_table<S: FoldTable<U> + for<'a> crate::fold::Fold<Row<'a, U>>>(
        &self,
        mut s: S,
    ) -> Result<S> {
        if self.all_before {
            s.observe_table(self.table)?;
            Ok(s)
        } else {
            let cut = self.cut;
            fold(s, self.table.rows().filter(|r| r.at_micros() <= cut))
        }
    }

    fn rows(&self) -> impl Iterator<Item = Row<'_, U>> {
        let cut = self.cut;
        self.table.rows().filter(move |r| r.at_micros() <= cut)
    }
}

fn figure(svg: String, caption: impl Into<String>) -> Part {
    Part::Chart(svg, caption.into())
}

fn overview<U: Clone + Eq + Hash + Ord + std::fmt::Debug>(input: &Input<'_, U>) -> Vec<Part> {
    let (mut events, mut revenue, mut payments) = (0u64, 0.0f64, 0u64);
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    for (t, a) in input
        .table
        .at_column()
        .iter()
        .zip(input.table.amount_column())
    {
        if *t > input.cut {
            continue;
        }
        events += 1;
        if a.is_finite() && *a != 0.0 {
            revenue += a;
            payments += 1;
        }
        first = first.min(*t);
        last = last.max(*t);
    }
    let when = |m: i64| {
        DateTime::<Utc>::from_timestamp_micros(m)
            .map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string())
    };
    let mut out = String::from("<table class=\"overview\"><tbody>");
    for (k, v) in [
        ("users", input.table.users().len().to_string()),
        ("events up to the as-of instant", events.to_string()),
        (
            "events after it (left out)",
            (input.table.len() as u64 - events).to_string(),
        ),
        ("payments", payments.to_string()),
        ("revenue", num(revenue)),
        (
            "first event",
            if events > 0 {
                when(first)
            } else {
                String::new()
            },
        ),
        (
            "last event",
            if events > 0 {
                when(last)
            } else {
                String::new()
            },
        ),
    ] {
        let _ = write!(out, "<tr><th>{k}</th><td>{}</td></tr>", esc(&v));
    }
    out.push_str("</tbody></table>");
    vec![Part::Html(out)]
}

fn rfm<U: Clone + Eq + Hash + Ord + std::fmt::Debug>(
    input: &Input<'_, U>,
    o: &ReportOptions,
) -> Result<Vec<Part>> {
    let table = input
        .fold_table(RfmSummary::new(input.as_of).payments_only(true))?
        .finish()?;
    let scores = ScoreParams::new(Method::Quantile)
        .bins(o.rfm_bins)
        .check()?
        .score(&table)?;
    let segments = SegmentRules::standard().segment(&scores)?;
    Ok(vec![
        figure(
            super::rfm_heatmap(&scores)?,
            format!(
                "{} paying customers scored 1 to {} by quantiles.",
                scores.customers.len(),
                o.rfm_bins
            ),
        ),
        figure(
            super::rfm_segments(&segments)?,
            "The standard 11-segment map.",
        ),
    ])
}

/// The calendar of the report and the first instant of its window.
fn window(as_of: DateTime<Utc>, o: &ReportOptions) -> (Calendar<Zone>, DateTime<Utc>) {
    let calendar = Calendar::new(o.zone, o.interval);
    let last = calendar.period_of(as_of);
    let first = last.offset(-(o.periods as i64 - 1));
    let from = calendar.start_of(&first);
    (calendar, from)
}

fn lifecycle<U: Clone + Eq + Hash + Ord + std::fmt::Debug>(
    input: &Input<'_, U>,
    o: &ReportOptions,
) -> Result<Vec<Part>> {
    let (calendar, from) = window(input.as_of, o);
    let summary = LifecycleSummary::new(calendar, from, input.as_of)?;
    let report = input
        .fold_table(summary)?
        .finish()?
        .stages(&StageParams::new(o.churn_after)?, None);
    let mut out = vec![figure(
        super::lifecycle_bars(&report)?,
        format!(
            "A user is new in the period of their first event and churned after {} silent periods.",
            o.churn_after
        ),
    )];
    if let Some(d) = report.decomposition.last() {
        out.push(figure(
            super::lifecycle_waterfall(d)?,
            "Active users of the last period = new + retained + retained new + woken + returned.",
        ));
    }
    Ok(out)
}

fn retention<U: Clone + Eq + Hash + Ord + std::fmt::Debug>(
    input: &Input<'_, U>,
    o: &ReportOptions,
) -> Result<Vec<Part>> {
    let (calendar, _) = window(input.as_of, o);
    let spec = RetentionParams::new(calendar, input.as_of, o.periods)
        .mode(RetentionMode::FirstTime)
        .check()?;
    let report = input.fold_table(RetentionSummary::new(spec))?.finish()?;
    Ok(vec![figure(
        super::retention_heatmap(&report)?,
        "First-time cohorts: a user joins the cohort of their first event; any event counts as a return.",
    )])
}

fn clv<U: Clone + Eq + Hash + Ord + std::fmt::Debug>(
    input: &Input<'_, U>,
    o: &ReportOptions,
) -> Result<Vec<Part>> {
    let last_day = input.as_of.with_timezone(&o.zone).date_naive();
    let calibration_end = last_day - TimeDelta::days(i64::from(o.holdout_days));
    let mut summary = BtydSummary::with_zone(o.zone, calibration_end, TimeUnit::Week);
    if o.holdout_days > 0 {
        summary = summary.holdout(last_day)?;
    }
    let btyd = fold(summary, input.rows().filter(|r| r.amount() > 0.0))?.finish()?;
    let customers = btyd.to_customers();
    let fit = BgNbdParams::fit(
        &customers,
        TimeUnit::Week,
        &FitOptions::new().penalizer(o.penalizer)?,
    )?;
    let model = &fit.params;
    let max_frequency = customers
        .iter()
        .map(|c| c.frequency)
        .max()
        .unwrap_or(0)
        .max(1);
    let age = customers.iter().map(|c| c.age).fold(0.0, f64::max).max(1.0);
    let mut out = vec![Part::Html(format!(
        "<p>BG/NBD fitted on {} customers' purchase days up to {calibration_end} (weeks): r = {}, α = {}, a = {}, b = {}{}.</p>",
        customers.len(),
        num4(model.r),
        num4(model.alpha),
        num4(model.a),
        num4(model.b),
        if fit.converged {
            ""
        } else {
            " (the fit did not converge: read with care)"
        }
    ))];
    out.push(figure(
        super::clv_matrix(model, super::MatrixKind::PAlive, max_frequency, age)?,
        "As lifetimes' probability-alive matrix, for a customer as old as the oldest.",
    ));
    out.push(figure(
        super::clv_matrix(
            model,
            super::MatrixKind::ExpectedPurchases { horizon: 1.0 },
            max_frequency,
            age,
        )?,
        "As lifetimes' frequency-recency matrix: expected purchases in the next week.",
    ));
    out.push(figure(
        super::repeat_purchases(&btyd, model)?,
        "Model check: customers by repeat purchases in calibration, actual vs expected.",
    ));
    if o.holdout_days > 0 {
        out.push(figure(
            super::calibration_holdout(&btyd, model)?,
            format!("Model check on the {} held-out days.", o.holdout_days),
        ));
    }
    Ok(out)
}

fn num4(x: f64) -> String {
    format!("{x:.4}")
}

fn value<U: Clone + Eq + Hash + Ord + std::fmt::Debug>(
    input: &Input<'_, U>,
    o: &ReportOptions,
) -> Result<Vec<Part>> {
    let figures = fold(UsageSummary::new(o.zone), input.rows())?.finish()?;
    let quadrant = classify(&figures, &QuadrantParams::default())?;
    let tree = Arc::new(MetricTree::<Row<'_, U>>::standard().build()?);
    let window = Window::trailing_days(input.as_of, o.value_days)?;
    let metrics = fold(MetricSummary::new(tree, o.zone, window), input.rows())?.finish()?;
    let scores = value_scores(
        &metrics,
        &ValueWeights::for_quadrant(&quadrant.quadrant()),
        &TierParams::default(),
    )?;
    Ok(vec![
        figure(super::quadrant_chart(&quadrant)?, quadrant.label.clone()),
        figure(
            super::pareto_curve(&scores)?,
            format!(
                "Value score over the last {} days, weighted as the quadrant recommends.",
                o.value_days
            ),
        ),
    ])
}

fn health<U: Clone + Eq + Hash + Ord + std::fmt::Debug>(
    input: &Input<'_, U>,
    o: &ReportOptions,
) -> Result<Vec<Part>> {
    let daily = fold(DailyActivity::new(o.zone), input.rows())?.finish()?;
    let model = HealthModel::new(o.health)?;
    let to = input.as_of.with_timezone(&o.zone).date_naive();
    let from = to - TimeDelta::days(i64::from(o.health_days) - 1);
    let report = model.score(&daily, from, to)?;
    Ok(vec![figure(
        super::health_index(&report, o.health.healthy_line)?,
        format!(
            "Alert after {} consecutive days below the warning line.",
            o.health.consecutive_days
        ),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventRecord;
    use crate::sample::{SampleConfig, generate};

    fn sample() -> (EventTable<u64>, DateTime<Utc>) {
        let data = generate(&SampleConfig::new(400).months(8).seed(3)).unwrap();
        let table = EventTable::from_events(&data.events).unwrap();
        (table, data.end - TimeDelta::seconds(1))
    }

    #[test]
    fn events_after_as_of_change_no_chart() {
        let (table, as_of) = sample();
        let options = ReportOptions::default();
        let before = charts(&table, as_of, &options).unwrap();
        assert_eq!(
            before.len(),
            12,
            "{:?}",
            before.iter().map(|c| &c.id).collect::<Vec<_>>()
        );
        // Later events, from a known user and from a new one, with and without money.
        let mut later = table.clone();
        let after = as_of + TimeDelta::days(3);
        later
            .push(&EventRecord::new(1_u64, after).with_amount(50.0))
            .unwrap();
        later.push(&EventRecord::new(999_999_u64, after)).unwrap();
        assert_eq!(charts(&later, as_of, &options).unwrap(), before);
        // The page counts them in its overview, and is otherwise the same.
        let page = report(&later, as_of, &options).unwrap();
        assert!(page.contains("<th>events after it (left out)</th><td>2</td>"));
    }

    #[test]
    fn same_table_same_bytes_and_no_fetch() {
        let (table, as_of) = sample();
        let options = ReportOptions::default();
        let page = report(&table, as_of, &options).unwrap();
        assert_eq!(page, report(&table, as_of, &options).unwrap());
        for (id, _) in SECTIONS {
            assert!(page.contains(&format!("<section class=\"model\" id=\"{id}\">")));
        }
        assert!(!page.contains("<script") && !page.contains("<link") && !page.contains("https:"));
    }

    #[test]
    fn options_out_of_range_are_errors() {
        let (table, as_of) = sample();
        for bad in [
            ReportOptions {
                periods: 0,
                ..Default::default()
            },
            ReportOptions {
                periods: MAX_REPORT_PERIODS + 1,
                ..Default::default()
            },
            ReportOptions {
                health_days: 0,
                ..Default::default()
            },
            ReportOptions {
                rfm_bins: 1,
                ..Default::default()
            },
            ReportOptions {
                penalizer: f64::NAN,
                ..Default::default()
            },
        ] {
            assert!(report(&table, as_of, &bad).is_err(), "{bad:?}");
        }
        assert!(report(&EventTable::<u64>::new(), as_of, &ReportOptions::default()).is_err());
    }

    #[test]
    fn a_section_that_cannot_be_computed_leaves_a_note() {
        // No payments at all: RFM and CLV say why; the other sections still draw.
        let t = |d: i64| DateTime::<Utc>::from_timestamp(1_735_689_600 + d * 86_400, 0).unwrap();
        let log: Vec<EventRecord<u64>> = (0..200_i64)
            .map(|i| EventRecord::new(i.unsigned_abs() % 20, t(i % 60)))
            .collect();
        let table = EventTable::from_events(&log).unwrap();
        let page = report(&table, t(61), &ReportOptions::default()).unwrap();
        assert_eq!(page.matches("class=\"note\"").count(), 2, "{page}");
        assert!(page.contains("id=\"lifecycle-bars\""));
    }
}
