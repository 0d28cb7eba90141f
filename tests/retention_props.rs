//! Property tests for the retention and stickiness folds: the fold laws, agreement with a
//! direct (set-based) reading of PostHog's definitions, bounds, and serde round trips.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, TimeZone, Utc, Weekday};
use proptest::prelude::*;
use userops::event::EventRecord;
use userops::fold::{Summary, fold, laws};
use userops::retention::{
    EventsPerPeriod, RetentionMode, RetentionParams, RetentionReport, RetentionSummary,
    StickinessParams, StickinessReport, StickinessSummary,
};
use userops::time::{Calendar, Interval, Zone};

const NAMES: [&str; 3] = ["a", "b", "c"];

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 2, 20, 0, 0, 0).unwrap()
}

fn log_strategy() -> impl Strategy<Value = Vec<EventRecord<u32>>> {
    prop::collection::vec((0_u32..8, 0_i64..(75 * 24 * 60), 0_usize..4), 0..80).prop_map(|rows| {
        rows.into_iter()
            .map(|(u, minutes, n)| {
                let e = EventRecord::new(u, base() + TimeDelta::minutes(minutes));
                match NAMES.get(n) {
                    Some(name) => e.with_name(*name),
                    None => e, // an event without a name
                }
            })
            .collect()
    })
}

#[derive(Debug, Clone)]
struct Setup {
    zone: &'static str,
    interval: Interval,
    date_to_days: i64,
    periods: usize,
    start: &'static str,
    ret: &'static str,
    mode: RetentionMode,
    on_or_after: bool,
    min_returns: u32,
}

fn setup_strategy() -> impl Strategy<Value = Setup> {
    (
        prop::sample::select(vec!["UTC", "US/Pacific", "+05:30", "Europe/Berlin"]),
        prop::sample::select(vec![
            Interval::Day,
            Interval::Week(Weekday::Sun),
            Interval::Week(Weekday::Mon),
            Interval::Month,
        ]),
        0_i64..80,
        1_usize..14,
        prop::sample::select(vec!["a", "b", "*"]),
        prop::sample::select(vec!["a", "b", "*"]),
        prop::bool::ANY,
        prop::bool::ANY,
        prop::sample::select(vec![1_u32, 1, 2, 3]),
    )
        .prop_map(
            |(
                zone,
                interval,
                date_to_days,
                periods,
                start,
                ret,
                first,
                on_or_after,
                min_returns,
            )| Setup {
                zone,
                interval,
                date_to_days,
                periods,
                start,
                ret,
                mode: if first {
                    RetentionMode::FirstTime
                } else {
                    RetentionMode::Recurring
                },
                on_or_after,
                min_returns,
            },
        )
}

impl Setup {
    fn calendar(&self) -> Calendar {
        Calendar::new(Zone::parse(self.zone).unwrap(), self.interval)
    }
    fn date_to(&self) -> DateTime<Utc> {
        base() + TimeDelta::days(self.date_to_days) + TimeDelta::hours(13)
    }
    fn params(&self) -> RetentionParams {
        RetentionParams::new(self.calendar(), self.date_to(), self.periods)
            .start_event(self.start)
            .return_event(self.ret)
            .mode(self.mode)
            .on_or_after(self.on_or_after)
            .min_return_events(self.min_returns)
    }
    fn empty(&self) -> RetentionSummary<u32> {
        RetentionSummary::new(self.params().check().unwrap())
    }
}

fn matches(pattern: &str, name: Option<&str>) -> bool {
    pattern == "*" || name == Some(pattern)
}

/// PostHog's definitions read directly, with sets and the calendar (no bitsets, no grid).
fn reference(setup: &Setup, log: &[EventRecord<u32>]) -> Vec<Vec<u64>> {
    let cal = setup.calendar();
    let n = setup.periods as i64;
    let last = cal.period_of(setup.date_to());
    let first = last.offset(-(n - 1));
    let index = |at: DateTime<Utc>| {
        let i = first.periods_until(&cal.period_of(at));
        (0..n).contains(&i).then_some(i)
    };
    let mut starts: BTreeMap<u32, BTreeSet<i64>> = BTreeMap::new();
    let mut return_counts: BTreeMap<(u32, i64), u32> = BTreeMap::new();
    let mut first_start: BTreeMap<u32, DateTime<Utc>> = BTreeMap::new();
    for e in log {
        let name = e.name.as_deref();
        if matches(setup.start, name) {
            let f = first_start.entry(e.user).or_insert(e.at);
            *f = (*f).min(e.at);
            if let Some(i) = index(e.at) {
                starts.entry(e.user).or_default().insert(i);
            }
        }
        if matches(setup.ret, name) {
            if let Some(i) = index(e.at) {
                *return_counts.entry((e.user, i)).or_default() += 1;
            }
        }
    }
    let mut returns: BTreeMap<u32, BTreeSet<i64>> = BTreeMap::new();
    for ((u, i), c) in return_counts {
        if c >= setup.min_returns {
            returns.entry(u).or_default().insert(i);
        }
    }
    let mut table: Vec<Vec<u64>> = (0..n).map(|i| vec![0; (n - i) as usize]).collect();
    let users: BTreeSet<u32> = log.iter().map(|e| e.user).collect();
    for u in users {
        let cohorts: Vec<i64> = match setup.mode {
            RetentionMode::Recurring => starts.get(&u).into_iter().flatten().copied().collect(),
            RetentionMode::FirstTime => first_start
                .get(&u)
                .and_then(|t| index(*t))
                .into_iter()
                .collect(),
        };
        let back = returns.get(&u).cloned().unwrap_or_default();
        for i in cohorts {
            for k in 0..(n - i) {
                let counted = k == 0
                    || if setup.on_or_after {
                        back.iter().any(|j| *j >= i + k)
                    } else {
                        back.contains(&(i + k))
                    };
                if counted {
                    table[i as usize][k as usize] += 1;
                }
            }
        }
    }
    table
}

fn counts(r: &RetentionReport) -> Vec<Vec<u64>> {
    r.cohorts.iter().map(|c| c.counts.clone()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn retention_agrees_with_the_definition(setup in setup_strategy(), log in log_strategy()) {
        let report = fold(setup.empty(), &log).unwrap().finish().unwrap();
        prop_assert_eq!(counts(&report), reference(&setup, &log));
    }

    #[test]
    fn retention_merge_law(setup in setup_strategy(), log in log_strategy(), cuts in prop::collection::vec(0_usize..80, 0..4)) {
        laws::merge_law(|| setup.empty(), &log, &cuts, |a, b| a == b).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn retention_order_law(setup in setup_strategy(), log in log_strategy(), seed in any::<u64>()) {
        let mut perm: Vec<usize> = (0..log.len()).collect();
        let mut rng = userops::sample::Rng::new(seed);
        for i in (1..perm.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            perm.swap(i, j);
        }
        laws::order_law(|| setup.empty(), &log, &perm, |a, b| a == b).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn retention_cells_are_bounded(setup in setup_strategy(), log in log_strategy()) {
        let report = fold(setup.empty(), &log).unwrap().finish().unwrap();
        let n = setup.periods;
        prop_assert_eq!(report.cohorts.len(), n);
        for (i, row) in report.cohorts.iter().enumerate() {
            // Cells after the window are absent.
            prop_assert_eq!(row.counts.len(), n - i);
            // No cell exceeds the cohort size (in first-time mode a user is in one cohort
            // only; in recurring mode each cohort still counts each user once).
            for c in &row.counts {
                prop_assert!(*c <= row.size());
            }
            if setup.on_or_after {
                prop_assert!(row.counts.windows(2).all(|w| w[0] >= w[1]));
            }
        }
        if setup.mode == RetentionMode::FirstTime {
            let sizes: u64 = report.cohorts.iter().map(|c| c.size()).sum();
            prop_assert_eq!(sizes, report.cohort_users);
        }
    }

    #[test]
    fn on_or_after_is_at_least_on(setup in setup_strategy(), log in log_strategy()) {
        let on = Setup { on_or_after: false, ..setup.clone() };
        let after = Setup { on_or_after: true, ..setup };
        let a = counts(&fold(on.empty(), &log).unwrap().finish().unwrap());
        let b = counts(&fold(after.empty(), &log).unwrap().finish().unwrap());
        for (ra, rb) in a.iter().zip(&b) {
            for (x, y) in ra.iter().zip(rb) {
                prop_assert!(x <= y);
            }
        }
    }

    #[test]
    fn retention_report_serde_round_trip(setup in setup_strategy(), log in log_strategy()) {
        let report = fold(setup.empty(), &log).unwrap().finish().unwrap();
        let json = serde_json::to_string(&report).unwrap();
        let back: RetentionReport = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, report);
    }

    #[test]
    fn stickiness_laws_and_totals(
        setup in setup_strategy(),
        log in log_strategy(),
        span in 0_i64..60,
        min in 1_u32..4,
        op in 0_u8..3,
        cuts in prop::collection::vec(0_usize..80, 0..4),
    ) {
        let from = base() + TimeDelta::days(setup.date_to_days % 20);
        let to = from + TimeDelta::days(span);
        let spec = StickinessParams::new(setup.calendar(), from, to)
            .event(setup.start)
            .events_per_period(match op {
                0 => EventsPerPeriod::AtLeast(min),
                1 => EventsPerPeriod::AtMost(min),
                _ => EventsPerPeriod::Exactly(min),
            })
            .check()
            .unwrap();
        let empty = || StickinessSummary::<u32>::new(spec.clone());
        laws::merge_law(empty, &log, &cuts, |a, b| a == b).map_err(TestCaseError::fail)?;
        let mut perm: Vec<usize> = (0..log.len()).collect();
        perm.reverse();
        laws::order_law(empty, &log, &perm, |a, b| a == b).map_err(TestCaseError::fail)?;
        let r = fold(empty(), &log).unwrap().finish().unwrap();
        prop_assert_eq!(r.users.len(), spec.periods());
        prop_assert_eq!(r.users.iter().sum::<u64>(), r.total_users);
        prop_assert_eq!(r.cumulative.first().copied().unwrap_or(0), r.total_users);
        prop_assert!(r.cumulative.windows(2).all(|w| w[0] >= w[1]));
        let json = serde_json::to_string(&r).unwrap();
        let back: StickinessReport = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, r);
    }
}

#[test]
fn merging_different_settings_is_refused() {
    let setup = Setup {
        zone: "UTC",
        interval: Interval::Day,
        date_to_days: 10,
        periods: 5,
        start: "a",
        ret: "*",
        mode: RetentionMode::Recurring,
        on_or_after: false,
        min_returns: 1,
    };
    let mut a = setup.empty();
    let b = Setup {
        periods: 6,
        ..setup
    }
    .empty();
    assert!(matches!(a.merge(b), Err(userops::Error::MergeMismatch(_))));
}

#[cfg(feature = "parallel")]
#[test]
fn parallel_fold_equals_serial_fold_on_sample_data() {
    use userops::sample::{SampleConfig, generate};
    let data = generate(&SampleConfig::new(2_000).seed(3)).unwrap();
    let spec = RetentionParams::new(
        Calendar::new(Zone::Utc, Interval::Month),
        data.end - TimeDelta::seconds(1),
        data.config.months as usize,
    )
    .start_event("signup")
    .mode(RetentionMode::FirstTime)
    .check()
    .unwrap();
    let serial = fold(RetentionSummary::new(spec.clone()), &data.events)
        .unwrap()
        .finish()
        .unwrap();
    let par = userops::fold::fold_par(&RetentionSummary::new(spec), &data.events)
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(serial, par);
}

/// Folds `events` whole and in parts cut at `cuts`; each part goes to JSON and back (it must
/// come back equal, and print the same JSON again); the parts read back are merged left to
/// right. Returns the whole and the merged state.
fn whole_and_parts_via_json<S>(
    empty: impl Fn() -> S,
    events: &[EventRecord<u32>],
    cuts: &[usize],
) -> Result<(S, S), TestCaseError>
where
    S: userops::fold::Fold<EventRecord<u32>>
        + serde::Serialize
        + serde::de::DeserializeOwned
        + PartialEq
        + std::fmt::Debug,
{
    userops::fold::laws::whole_and_serialized_parts(empty, events, cuts)
        .map_err(TestCaseError::fail)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn retention_state_survives_json_and_merges_as_the_whole(
        setup in setup_strategy(),
        log in log_strategy(),
        cuts in prop::collection::vec(0_usize..80, 0..4),
    ) {
        let (whole, merged) = whole_and_parts_via_json(|| setup.empty(), &log, &cuts)?;
        prop_assert_eq!(&merged, &whole);
        prop_assert_eq!(merged.finish().unwrap(), whole.finish().unwrap());
    }

    #[test]
    fn stickiness_state_survives_json_and_merges_as_the_whole(
        setup in setup_strategy(),
        log in log_strategy(),
        span in 0_i64..60,
        min in 1_u32..4,
        op in 0_u8..3,
        cuts in prop::collection::vec(0_usize..80, 0..4),
    ) {
        let from = base() + TimeDelta::days(setup.date_to_days % 20);
        let spec = StickinessParams::new(setup.calendar(), from, from + TimeDelta::days(span))
            .event(setup.start)
            .events_per_period(match op {
                0 => EventsPerPeriod::AtLeast(min),
                1 => EventsPerPeriod::AtMost(min),
                _ => EventsPerPeriod::Exactly(min),
            })
            .check()
            .unwrap();
        let (whole, merged) =
            whole_and_parts_via_json(|| StickinessSummary::<u32>::new(spec.clone()), &log, &cuts)?;
        prop_assert_eq!(&merged, &whole);
        prop_assert_eq!(merged.finish().unwrap(), whole.finish().unwrap());
    }
}

/// A state edited into one no fold could make is refused when read, never a panic later.
#[test]
fn impossible_states_are_refused() {
    let t = |d| Utc.with_ymd_and_hms(2025, 1, d, 12, 0, 0).unwrap();
    let log = vec![
        EventRecord::<u32>::new(1_u32, t(1)).with_name("a"),
        EventRecord::new(2_u32, t(2)).with_name("b"),
        EventRecord::new(1_u32, t(3)).with_name("b"),
    ];
    let spec = RetentionParams::new(Calendar::new(Zone::Utc, Interval::Day), t(3), 3)
        .start_event("a")
        .check()
        .unwrap();
    let summary = fold(RetentionSummary::new(spec), &log).unwrap();
    let good = serde_json::to_value(&summary).unwrap();
    assert!(serde_json::from_value::<RetentionSummary<u32>>(good.clone()).is_ok());
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        f(&mut v);
        serde_json::from_value::<RetentionSummary<u32>>(v).is_err()
    };
    // One cell short, a user twice, a return bit in period 40 of 3, a grid with a gap, no
    // periods at all, a blank event name, zero return events.
    assert!(edit(&|v| {
        v["rows"]["cells"].as_array_mut().unwrap().pop();
    }));
    assert!(edit(&|v| v["rows"]["users"] = serde_json::json!([1, 1])));
    assert!(edit(
        &|v| v["rows"]["cells"][2] = serde_json::json!(1_u64 << 40)
    ));
    assert!(edit(&|v| {
        v["spec"]["grid"]["periods"]
            .as_array_mut()
            .unwrap()
            .remove(1);
    }));
    assert!(edit(&|v| {
        v["spec"]["grid"]["periods"] = serde_json::json!([]);
        v["spec"]["grid"]["bounds"] = serde_json::json!([0]);
    }));
    assert!(edit(
        &|v| v["spec"]["start_event"] = serde_json::json!({"named": " "})
    ));
    assert!(edit(
        &|v| v["spec"]["min_return_events"] = serde_json::json!(0)
    ));

    let spec = StickinessParams::new(Calendar::new(Zone::Utc, Interval::Day), t(1), t(3))
        .check()
        .unwrap();
    let summary = fold(StickinessSummary::new(spec), &log).unwrap();
    let good = serde_json::to_value(&summary).unwrap();
    let back: StickinessSummary<u32> = serde_json::from_value(good.clone()).unwrap();
    assert_eq!(back, summary);
    let mut v = good.clone();
    v["active"]["cells"][0] = serde_json::json!(1_u64 << 5);
    assert!(serde_json::from_value::<StickinessSummary<u32>>(v).is_err());
    let mut v = good;
    v["counts"] = serde_json::json!({"users": [7], "cells": [1, 0, 0]});
    assert!(serde_json::from_value::<StickinessSummary<u32>>(v).is_err());
}
