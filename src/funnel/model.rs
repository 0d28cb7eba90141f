//! The funnel model: each user's attempts through the steps, and the reports built from them.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};

use super::params::{Attribution, Breakdown, Entry, FunnelSpec, StepOrder};
use super::report::{
    BreakdownRow, FunnelReport, FunnelTrend, HistogramBin, StepRow, TimeToConvert, TrendRow,
};
use super::summary::{EXCLUSION_SHIFT, NO_BREAKDOWN, breakdown_of};
use crate::engine::{Dictionary, Grouped};
use crate::event::UserAttribute;
use crate::time::Calendar;

/// The group of users without a breakdown value.
pub const NO_VALUE: &str = "(none)";
/// The group of users whose attribute the host does not know.
pub const UNKNOWN: &str = "(unknown)";

/// One attempt through the funnel: when each step was reached (microseconds) and how many
/// steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Attempt {
    pub(crate) reached: usize,
    pub(crate) times: [i64; super::params::MAX_STEPS],
}

impl Attempt {
    /// No step reached yet: what an attempt starts from.
    const NONE: Attempt = Attempt {
        reached: 0,
        times: [0; super::params::MAX_STEPS],
    };

    fn entered(&self) -> i64 {
        self.times[0]
    }
}

/// One user's result: their furthest attempt (the earliest of equals), as
/// [`FunnelOutcomes::users`] gives it.
///
/// ```
/// let o = userops::funnel::UserOutcome { user: 7_u32, steps: 2, step_times: vec![], breakdown: None };
/// assert_eq!(o.steps, 2);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct UserOutcome<U> {
    /// The user.
    pub user: U,
    /// Steps reached (at least 1: the user entered).
    pub steps: usize,
    /// When each reached step happened.
    pub step_times: Vec<DateTime<Utc>>,
    /// The breakdown value the user counts under ([`crate::funnel::Attribution`]; for
    /// all events, the value of their first step event), with a breakdown by event property.
    pub breakdown: Option<String>,
}

/// Every user's events in time order with what they match: the finished funnel fold, from
/// which the reports come ([`FunnelOutcomes::report`], [`FunnelOutcomes::report_by`] for a
/// user attribute, [`FunnelOutcomes::trend`] for conversion per period,
/// [`FunnelOutcomes::users`] for each user's result).
///
/// # Semantics (PostHog's funnels)
///
/// * An **attempt** starts at an entry: an event of the first step (any step, in an unordered
///   funnel). With [`Entry::Every`] every entry starts one and a user counts once, by the
///   attempt that got furthest (the earliest of equals); with [`Entry::First`] only the
///   user's first entry does.
/// * **Ordered**: each later step is the first event after the previous step that matches
///   it, at the same instant or later; other events may come between. **Strict**: the next
///   event of the user must match the next step, or the attempt ends. **Unordered**: from the
///   entry on, each event takes the first step it matches that is not done yet. An event
///   serves one step of an attempt (a funnel `a, a` needs two `a` events).
/// * Every step must come within the **conversion window** of the entry (inclusive).
/// * An **exclusion** event after step `from` and before step `to` was reached (strictly
///   after the instant of step `from`, within the window) voids the attempt: it counts for
///   nothing, not even the entry.
/// * Step `k`'s count is the users whose counted attempt reached step `k` or further;
///   conversion time of step `k` is the time from step `k - 1` to step `k`; the time to
///   convert is from the first step to the last.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::funnel::{FunnelParams, FunnelSummary};
/// let t = |m| Utc.with_ymd_and_hms(2025, 1, 1, 0, m, 0).unwrap();
/// let log = vec![
///     EventRecord::<u8>::new(1_u8, t(0)).with_name("a"),
///     EventRecord::new(1_u8, t(5)).with_name("b"),
/// ];
/// let outcomes = fold(FunnelSummary::new(FunnelParams::new(["a", "b"]).check()?), &log)?.finish()?;
/// let users: Vec<_> = outcomes.users().collect();
/// assert_eq!((users[0].user, users[0].steps), (1, 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelOutcomes<U> {
    spec: FunnelSpec,
    users: Dictionary<U>,
    events: Grouped<u64>,
    breakdowns: Vec<String>,
    events_unmatched: u64,
}

impl<U> FunnelOutcomes<U> {
    pub(crate) fn new(
        spec: FunnelSpec,
        users: Dictionary<U>,
        events: Grouped<u64>,
        breakdowns: Vec<String>,
        events_unmatched: u64,
    ) -> Self {
        FunnelOutcomes {
            spec,
            users,
            events,
            breakdowns,
            events_unmatched,
        }
    }

    /// The settings.
    ///
    /// ```
    /// # use userops::fold::Summary;
    /// let spec = userops::funnel::FunnelParams::new(["a", "b"]).check()?;
    /// let outcomes = userops::funnel::FunnelSummary::<u8>::new(spec).finish().unwrap();
    /// assert_eq!(outcomes.spec().steps().len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn spec(&self) -> &FunnelSpec {
        &self.spec
    }

    /// The counted attempt of user `i`, if the user entered.
    fn best(&self, i: usize) -> Option<Attempt> {
        self.best_of(self.events.user(i))
    }

    /// The counted attempt through one user's sorted events, if the user entered.
    fn best_of(&self, events: &[(i64, u64)]) -> Option<Attempt> {
        let mut best = Attempt::NONE;
        self.best_into(events, &mut best).then_some(best)
    }

    /// [`FunnelOutcomes::best_of`] written into `best`; `false` when the user did not enter.
    fn best_into(&self, events: &[(i64, u64)], best: &mut Attempt) -> bool {
        let n = self.spec.steps.len();
        best.reached = 0;
        let mut entered = false;
        for_each_attempt(&self.spec, events, |a| {
            if !entered || a.reached > best.reached {
                entered = true;
                best.times[..a.reached].copy_from_slice(&a.times[..a.reached]);
                best.reached = a.reached;
            }
            // The earliest attempt through every step cannot be beaten.
            best.reached < n
        });
        entered
    }

    fn breakdown_name(&self, code: u32) -> &str {
        if code == NO_BREAKDOWN {
            NO_VALUE
        } else {
            self.breakdowns
                .get(code as usize)
                .map_or(NO_VALUE, String::as_str)
        }
    }

    /// The funnel: users per step, conversion and drop-off rates, conversion times, the time
    /// to convert, and (with a breakdown by event property) the same per breakdown value.
    ///
    /// ```
    /// # use userops::fold::Summary;
    /// let spec = userops::funnel::FunnelParams::new(["a", "b"]).check()?;
    /// let report = userops::funnel::FunnelSummary::<u8>::new(spec).finish().unwrap().report();
    /// assert_eq!(report.steps[0].count, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn report(&self) -> FunnelReport {
        if !matches!(self.spec.breakdown, Breakdown::EventProperty(_)) {
            return self.report_grouped(|_, _, _| {});
        }
        let steps: u64 = (1 << self.spec.steps.len()) - 1;
        self.report_grouped(|i, a, groups| {
            let events = self.events.user(i);
            if self.spec.attribution != Attribution::AllEvents {
                if let Some(b) = self.attributed(events) {
                    groups.push((self.breakdown_name(b).to_string(), *a));
                }
                return;
            }
            // Every value on its own: the user's funnel through the step events that carry
            // it (events that match no step, exclusions, apply to every value).
            let mut values: Vec<u32> = events
                .iter()
                .filter(|(_, c)| c & steps != 0)
                .map(|&(_, c)| breakdown_of(c))
                .collect();
            values.sort_unstable();
            values.dedup();
            for b in values {
                let own: Vec<(i64, u64)> = events
                    .iter()
                    .filter(|(_, c)| c & steps == 0 || breakdown_of(*c) == b)
                    .copied()
                    .collect();
                if let Some(a) = self.best_of(&own) {
                    groups.push((self.breakdown_name(b).to_string(), a));
                }
            }
        })
    }

    /// The breakdown value a user counts under by [`Attribution`] (first touch, last touch,
    /// step N; for all events, the value of the first step event), `None` for a user with
    /// no event of the attributed step.
    fn attributed(&self, events: &[(i64, u64)]) -> Option<u32> {
        let steps: u64 = (1 << self.spec.steps.len()) - 1;
        let valued = |c: u64| c & steps != 0 && breakdown_of(c) != NO_BREAKDOWN;
        match self.spec.attribution {
            Attribution::FirstTouch => Some(
                events
                    .iter()
                    .find(|(_, c)| valued(*c))
                    .map_or(NO_BREAKDOWN, |&(_, c)| breakdown_of(c)),
            ),
            Attribution::LastTouch => Some(
                events
                    .iter()
                    .rev()
                    .find(|(_, c)| valued(*c))
                    .map_or(NO_BREAKDOWN, |&(_, c)| breakdown_of(c)),
            ),
            Attribution::AllEvents => Some(
                events
                    .iter()
                    .find(|(_, c)| c & steps != 0)
                    .map_or(NO_BREAKDOWN, |&(_, c)| breakdown_of(c)),
            ),
            Attribution::Step(k) => events
                .iter()
                .find(|(_, c)| c & (1 << k) != 0)
                .map(|&(_, c)| breakdown_of(c)),
        }
    }

    /// The funnel broken down by a user attribute (users the attribute does not know are in
    /// the `(unknown)` group).
    ///
    /// ```
    /// # use userops::fold::Summary;
    /// let spec = userops::funnel::FunnelParams::new(["a", "b"]).check()?;
    /// let outcomes = userops::funnel::FunnelSummary::<u8>::new(spec).finish().unwrap();
    /// let report = outcomes.report_by(&|u: &u8| Some(format!("group {}", u % 2)));
    /// assert!(report.breakdowns.is_empty()); // nobody entered
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn report_by(&self, attribute: &dyn UserAttribute<U>) -> FunnelReport {
        self.report_grouped(|i, a, groups| {
            groups.push((
                self.users
                    .value(i as u32)
                    .and_then(|u| attribute.attribute(u))
                    .unwrap_or_else(|| UNKNOWN.to_string()),
                *a,
            ));
        })
    }

    /// The report over every user's counted attempt; `group` gives the (group, attempt)
    /// pairs a user counts under in the breakdown.
    fn report_grouped(
        &self,
        mut group: impl FnMut(usize, &Attempt, &mut Vec<(String, Attempt)>),
    ) -> FunnelReport {
        let n = self.spec.steps.len();
        let mut total = Tally::new(n);
        let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
        let mut of_user = Vec::new();
        let mut a = Attempt::NONE;
        for i in 0..self.events.len() {
            if !self.best_into(self.events.user(i), &mut a) {
                continue;
            }
            total.add(&a);
            of_user.clear();
            group(i, &a, &mut of_user);
            for (g, a) in of_user.drain(..) {
                groups.entry(g).or_insert_with(|| Tally::new(n)).add(&a);
            }
        }
        let names: Vec<String> = self.spec.steps.iter().map(ToString::to_string).collect();
        FunnelReport {
            order: self.spec.order,
            entry: self.spec.entry,
            window_seconds: self.spec.window_micros as f64 / 1e6,
            steps: total.rows(&names),
            time_to_convert: total.time_to_convert(self.spec.bins),
            breakdowns: groups
                .into_iter()
                .map(|(value, t)| BreakdownRow {
                    value,
                    steps: t.rows(&names),
                })
                .collect(),
            events_unmatched: self.events_unmatched,
        }
    }

    /// Conversion per period of entry, PostHog's funnel trends: for each calendar period, the
    /// users with an entry in it and those of them whose attempt from an entry in that period
    /// reached the last step.
    ///
    /// ```
    /// # use userops::fold::Summary;
    /// use userops::time::{Calendar, Interval};
    /// let spec = userops::funnel::FunnelParams::new(["a", "b"]).check()?;
    /// let trend = userops::funnel::FunnelSummary::<u8>::new(spec).finish().unwrap().trend(&Calendar::new(chrono::Utc, Interval::Day));
    /// assert!(trend.periods.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn trend<Tz: TimeZone>(&self, calendar: &Calendar<Tz>) -> FunnelTrend {
        let n = self.spec.steps.len();
        // Period start -> (period, entered, converted).
        let mut periods: BTreeMap<chrono::NaiveDate, (crate::time::Period, u64, u64)> =
            BTreeMap::new();
        for i in 0..self.events.len() {
            // The best attempt of each period the user entered in.
            let mut current: Option<(crate::time::Period, bool)> = None;
            let mut flush = |c: Option<(crate::time::Period, bool)>| {
                if let Some((p, converted)) = c {
                    let slot = periods.entry(p.start()).or_insert((p, 0, 0));
                    slot.1 += 1;
                    slot.2 += u64::from(converted);
                }
            };
            for_each_attempt(&self.spec, self.events.user(i), |a| {
                let at = DateTime::from_timestamp_micros(a.entered()).unwrap_or_default();
                let p = calendar.period_of(at);
                let converted = a.reached == n;
                match &mut current {
                    Some((q, c)) if *q == p => *c |= converted,
                    _ => {
                        flush(current.take());
                        current = Some((p, converted));
                    }
                }
                true
            });
            flush(current);
        }
        FunnelTrend {
            periods: periods
                .into_values()
                .map(|(p, entered, converted)| TrendRow {
                    period: p.to_string(),
                    start: p.start(),
                    entered,
                    converted,
                    rate: (entered > 0).then(|| converted as f64 / entered as f64),
                })
                .collect(),
        }
    }
}

impl<U: Clone> FunnelOutcomes<U> {
    /// Each user who entered, with their counted attempt, in first-seen order.
    ///
    /// ```
    /// # use userops::fold::Summary;
    /// let spec = userops::funnel::FunnelParams::new(["a", "b"]).check()?;
    /// assert_eq!(userops::funnel::FunnelSummary::<u8>::new(spec).finish().unwrap().users().count(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn users(&self) -> impl Iterator<Item = UserOutcome<U>> + '_ {
        (0..self.events.len()).filter_map(move |i| {
            let a = self.best(i)?;
            let b = match self.spec.breakdown {
                Breakdown::EventProperty(_) => {
                    self.attributed(self.events.user(i)).unwrap_or(NO_BREAKDOWN)
                }
                Breakdown::None => NO_BREAKDOWN,
            };
            Some(UserOutcome {
                user: self.users.value(i as u32)?.clone(),
                steps: a.reached,
                step_times: a.times[..a.reached]
                    .iter()
                    .map(|&t| DateTime::from_timestamp_micros(t).unwrap_or_default())
                    .collect(),
                breakdown: (b != NO_BREAKDOWN).then(|| self.breakdown_name(b).to_string()),
            })
        })
    }
}

/// Calls `visit` with every attempt of one user that is not voided, in order of entry, until
/// it returns `false`. `events` are the user's events sorted by time.
pub(crate) fn for_each_attempt(
    spec: &FunnelSpec,
    events: &[(i64, u64)],
    mut visit: impl FnMut(&Attempt) -> bool,
) {
    let entry_mask: u64 = match spec.order {
        StepOrder::Unordered => (1 << spec.steps.len()) - 1,
        _ => 1,
    };
    // One attempt, rewritten from each entry.
    let mut a = Attempt::NONE;
    for i in 0..events.len() {
        if events[i].1 & entry_mask == 0 {
            continue;
        }
        let counts = match spec.order {
            StepOrder::Ordered => ordered(spec, events, i, false, &mut a),
            StepOrder::Strict => ordered(spec, events, i, true, &mut a),
            StepOrder::Unordered => unordered(spec, events, i, &mut a),
        };
        if spec.entry == Entry::First {
            if counts {
                visit(&a);
            }
            return;
        }
        if counts && !visit(&a) {
            return;
        }
    }
}

/// Whether an exclusion event (its code `code`) at `t` voids an attempt that has reached
/// `reached` steps at `times`.
fn voids(spec: &FunnelSpec, code: u64, t: i64, reached: usize, times: &[i64]) -> bool {
    let hits = (code >> EXCLUSION_SHIFT) & 0xFF;
    if hits == 0 {
        return false;
    }
    spec.exclusions.iter().enumerate().any(|(k, x)| {
        hits & (1 << k) != 0 && reached > x.from && reached <= x.to && t > times[x.from]
    })
}

/// The ordered (or strict) attempt from the entry at `events[i]`, written into `a`; `false`
/// when it is voided.
fn ordered(
    spec: &FunnelSpec,
    events: &[(i64, u64)],
    i: usize,
    strict: bool,
    a: &mut Attempt,
) -> bool {
    let n = spec.steps.len();
    let start = events[i].0;
    let deadline = start.saturating_add(spec.window_micros);
    a.reached = 1;
    a.times[0] = start;
    for &(t, code) in &events[i + 1..] {
        if t > deadline || a.reached == n {
            break;
        }
        if code & (1 << a.reached) != 0 {
            a.times[a.reached] = t;
            a.reached += 1;
            continue;
        }
        if voids(spec, code, t, a.reached, &a.times) {
            return false;
        }
        if strict {
            break;
        }
    }
    true
}

/// The unordered attempt from the entry at `events[i]`, written into `a`; `false` when it
/// is voided.
fn unordered(spec: &FunnelSpec, events: &[(i64, u64)], i: usize, a: &mut Attempt) -> bool {
    let n = spec.steps.len();
    let all: u64 = (1 << n) - 1;
    let start = events[i].0;
    let deadline = start.saturating_add(spec.window_micros);
    let mut done = 0_u64;
    a.reached = 0;
    for &(t, code) in &events[i..] {
        if t > deadline || done == all {
            break;
        }
        let open = code & all & !done;
        if open != 0 {
            done |= open & open.wrapping_neg();
            a.times[a.reached] = t;
            a.reached += 1;
            continue;
        }
        // An unordered funnel's exclusions span it whole: from its first step to its last.
        if a.reached > 0 && voids(spec, code, t, a.reached, &a.times) {
            return false;
        }
    }
    true
}

/// Counts and conversion times per step, for one group of users.
struct Tally {
    counts: Vec<u64>,
    /// Per step `k >= 1`, the microseconds from step `k - 1` to step `k` of each user.
    step_times: Vec<Vec<i64>>,
    /// The microseconds from the first step to the last of each converted user.
    total_times: Vec<i64>,
}

impl Tally {
    fn new(n: usize) -> Tally {
        Tally {
            counts: vec![0; n],
            step_times: vec![Vec::new(); n],
            total_times: Vec::new(),
        }
    }

    fn add(&mut self, a: &Attempt) {
        let n = self.counts.len();
        for k in 0..a.reached.min(n) {
            self.counts[k] += 1;
            if k > 0 {
                self.step_times[k].push(a.times[k] - a.times[k - 1]);
            }
        }
        if a.reached == n {
            self.total_times.push(a.times[n - 1] - a.times[0]);
        }
    }

    fn rows(&self, names: &[String]) -> Vec<StepRow> {
        let first = self.counts.first().copied().unwrap_or(0);
        let rate = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        self.counts
            .iter()
            .enumerate()
            .map(|(k, &count)| {
                let prev = if k == 0 { count } else { self.counts[k - 1] };
                let mut times = self.step_times[k].clone();
                StepRow {
                    step: k + 1,
                    name: names.get(k).cloned().unwrap_or_default(),
                    count,
                    conversion: rate(count, first),
                    from_previous: rate(count, prev),
                    dropped: prev - count,
                    drop_off: rate(prev - count, prev),
                    average_seconds: mean_seconds(&times),
                    median_seconds: median_seconds(&mut times),
                }
            })
            .collect()
    }

    fn time_to_convert(&self, bins: usize) -> TimeToConvert {
        let mut times = self.total_times.clone();
        let average = mean_seconds(&times);
        let median = median_seconds(&mut times);
        let mut histogram = Vec::new();
        if let (Some(&lo), Some(&hi)) = (times.iter().min(), times.iter().max()) {
            let (lo, hi) = (lo as f64 / 1e6, hi as f64 / 1e6);
            let bins = if hi > lo { bins.max(1) } else { 1 };
            let width = (hi - lo) / bins as f64;
            histogram = (0..bins)
                .map(|b| HistogramBin {
                    from_seconds: lo + width * b as f64,
                    to_seconds: if b + 1 == bins {
                        hi
                    } else {
                        lo + width * (b + 1) as f64
                    },
                    users: 0,
                })
                .collect();
            for &t in &times {
                let s = t as f64 / 1e6;
                let b = if width > 0.0 {
                    (((s - lo) / width) as usize).min(bins - 1)
                } else {
                    0
                };
                histogram[b].users += 1;
            }
        }
        TimeToConvert {
            converted: times.len() as u64,
            average_seconds: average,
            median_seconds: median,
            histogram,
        }
    }
}

fn mean_seconds(times: &[i64]) -> Option<f64> {
    if times.is_empty() {
        return None;
    }
    let sum: i128 = times.iter().map(|&t| i128::from(t)).sum();
    Some(sum as f64 / times.len() as f64 / 1e6)
}

/// The median (the mean of the two middle values for an even count), in seconds.
fn median_seconds(times: &mut [i64]) -> Option<f64> {
    let n = times.len();
    if n == 0 {
        return None;
    }
    let (_, &mut upper, _) = times.select_nth_unstable(n / 2);
    if n % 2 == 1 {
        return Some(upper as f64 / 1e6);
    }
    let lower = times[..n / 2].iter().copied().max().unwrap_or(upper);
    Some((i128::from(lower) + i128::from(upper)) as f64 / 2.0 / 1e6)
}
