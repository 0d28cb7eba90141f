//! Fold laws for the foundation's summaries: merge of parts equals fold of the whole, event
//! order does not matter, reports survive a serde round trip.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use userops::activity::{ActivityReport, ActivitySummary, PeriodReport, PeriodTotals};
use userops::event::EventRecord;
use userops::fold::laws::{close, merge_law, order_law};
use userops::fold::{Summary, fold};
use userops::time::{Calendar, Interval, Zone};

fn events() -> impl Strategy<Value = Vec<EventRecord<u8>>> {
    prop::collection::vec((0_u8..12, 0_i64..(400 * 24), -50_i64..500), 0..80).prop_map(|rows| {
        let base: DateTime<Utc> = Utc.with_ymd_and_hms(2024, 12, 20, 0, 0, 0).unwrap();
        rows.into_iter()
            .map(|(u, h, cents)| {
                EventRecord::new(u, base + TimeDelta::hours(h)).with_amount(cents as f64 / 100.0)
            })
            .collect()
    })
}

fn calendar() -> Calendar<Zone> {
    Calendar::new(
        Zone::parse("America/Los_Angeles").unwrap(),
        Interval::Week(chrono::Weekday::Sun),
    )
}

fn same_activity(a: &ActivityReport<u8>, b: &ActivityReport<u8>) -> bool {
    a.users.len() == b.users.len()
        && a.users.iter().zip(&b.users).all(|(x, y)| {
            x.user == y.user
                && x.first_seen == y.first_seen
                && x.last_seen == y.last_seen
                && x.events == y.events
                && x.active_periods == y.active_periods
                && close(x.amount, y.amount, 1e-9)
        })
}

fn same_periods(a: &PeriodReport, b: &PeriodReport) -> bool {
    a.users == b.users
        && a.events == b.events
        && close(a.revenue, b.revenue, 1e-9)
        && a.rows.len() == b.rows.len()
        && a.rows.iter().zip(&b.rows).all(|(x, y)| {
            x.period == y.period
                && x.events == y.events
                && x.payments == y.payments
                && x.active_users == y.active_users
                && x.paying_users == y.paying_users
                && x.new_users == y.new_users
                && close(x.revenue, y.revenue, 1e-9)
        })
}

proptest! {
    #[test]
    fn activity_merge_and_order_laws(ev in events(), cuts in prop::collection::vec(0_usize..80, 0..4), seed in any::<u64>()) {
        let empty = || ActivitySummary::new(calendar());
        merge_law(empty, &ev, &cuts, same_activity).map_err(TestCaseError::fail)?;
        let mut perm: Vec<usize> = (0..ev.len()).collect();
        shuffle(&mut perm, seed);
        order_law(empty, &ev, &perm, same_activity).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn period_totals_merge_and_order_laws(ev in events(), cuts in prop::collection::vec(0_usize..80, 0..4), seed in any::<u64>()) {
        let empty = || PeriodTotals::new(calendar());
        merge_law(empty, &ev, &cuts, same_periods).map_err(TestCaseError::fail)?;
        let mut perm: Vec<usize> = (0..ev.len()).collect();
        shuffle(&mut perm, seed);
        order_law(empty, &ev, &perm, same_periods).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn reports_survive_a_serde_round_trip(ev in events()) {
        let a = fold(ActivitySummary::new(calendar()), &ev).unwrap().finish().unwrap();
        let back: ActivityReport<u8> = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        prop_assert_eq!(a, back);
        let p = fold(PeriodTotals::new(calendar()), &ev).unwrap().finish().unwrap();
        let back: PeriodReport = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        prop_assert!(same_periods(&p, &back));
    }

    #[test]
    fn period_totals_account_for_every_event(ev in events()) {
        let p = fold(PeriodTotals::new(calendar()), &ev).unwrap().finish().unwrap();
        prop_assert_eq!(p.events as usize, ev.len());
        prop_assert_eq!(p.rows.iter().map(|r| r.new_users).sum::<u64>(), p.users);
    }
}

fn shuffle(v: &mut [usize], seed: u64) {
    let mut rng = userops::sample::Rng::new(seed);
    for i in (1..v.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        v.swap(i, j);
    }
}

#[test]
fn activity_by_hand() {
    // ana: 3 events on 2025-01-01 (twice) and 2025-01-09, amounts 10 + 5 - 2 (a refund) = 13;
    // Sunday-weeks in UTC: 2025-01-01 (Wed) is in the week of 2024-12-29, 01-09 (Thu) in the
    // week of 01-05, so two active periods.
    let t = |d, h| Utc.with_ymd_and_hms(2025, 1, d, h, 0, 0).unwrap();
    let ev = vec![
        EventRecord::<String>::new("ana", t(1, 9)).with_amount(10.0),
        EventRecord::<String>::new("ana", t(9, 9)).with_amount(-2.0),
        EventRecord::<String>::new("ana", t(1, 18)).with_amount(5.0),
        EventRecord::<String>::new("bo", t(3, 0)),
    ];
    let cal = Calendar::new(Utc, Interval::Week(chrono::Weekday::Sun));
    let r = fold(ActivitySummary::new(cal), &ev)
        .unwrap()
        .finish()
        .unwrap();
    let ana = &r.users[0];
    assert_eq!(ana.user, "ana");
    assert_eq!(
        (ana.first_seen, ana.last_seen, ana.events, ana.amount),
        (t(1, 9), t(9, 9), 3, 13.0)
    );
    let starts: Vec<String> = ana.active_periods.iter().map(|p| p.to_string()).collect();
    assert_eq!(starts, ["2024-12-29", "2025-01-05"]);
    assert_eq!(r.users[1].events, 1);
}

#[cfg(feature = "parallel")]
#[test]
fn fold_par_equals_fold_on_sample_data() {
    let data = userops::sample::generate(&userops::sample::SampleConfig::new(3_000)).unwrap();
    let cal = Calendar::new(Zone::Utc, Interval::Month);
    let seq = fold(PeriodTotals::new(cal.clone()), &data.events)
        .unwrap()
        .finish()
        .unwrap();
    let par = userops::fold::fold_par(&PeriodTotals::new(cal), &data.events)
        .unwrap()
        .finish()
        .unwrap();
    assert!(same_periods(&seq, &par));
}

/// Folds `events` whole and in parts cut at `cuts`; each part goes to JSON and back (it must
/// come back equal, and print the same JSON again); the parts read back are merged left to
/// right. Returns the whole and the merged state.
fn whole_and_parts_via_json<S>(
    empty: impl Fn() -> S,
    events: &[EventRecord<u8>],
    cuts: &[usize],
) -> Result<(S, S), TestCaseError>
where
    S: userops::fold::Fold<EventRecord<u8>>
        + serde::Serialize
        + serde::de::DeserializeOwned
        + PartialEq
        + std::fmt::Debug,
{
    userops::fold::laws::whole_and_serialized_parts(empty, events, cuts)
        .map_err(TestCaseError::fail)
}

proptest! {
    #[test]
    fn activity_state_survives_json_and_merges_as_the_whole(ev in events(), cuts in prop::collection::vec(0_usize..80, 0..4)) {
        let (whole, merged) = whole_and_parts_via_json(|| ActivitySummary::new(calendar()), &ev, &cuts)?;
        prop_assert!(same_activity(&whole.finish().unwrap(), &merged.finish().unwrap()));
    }

    #[test]
    fn period_totals_state_survives_json_and_merges_as_the_whole(ev in events(), cuts in prop::collection::vec(0_usize..80, 0..4)) {
        let (whole, merged) = whole_and_parts_via_json(|| PeriodTotals::new(calendar()), &ev, &cuts)?;
        prop_assert!(same_periods(&whole.finish().unwrap(), &merged.finish().unwrap()));
    }
}

/// States edited into ones no fold could make are refused when read.
#[test]
fn impossible_activity_states_are_refused() {
    let t = |d| Utc.with_ymd_and_hms(2025, 1, d, 12, 0, 0).unwrap();
    let log = vec![
        EventRecord::<u8>::new(1_u8, t(1)).with_amount(2.5),
        EventRecord::new(2_u8, t(9)),
        EventRecord::new(1_u8, t(20)),
    ];
    let cal = || Calendar::new(Zone::Utc, Interval::Week(chrono::Weekday::Mon));
    let activity = fold(ActivitySummary::new(cal()), &log).unwrap();
    let good = serde_json::to_value(&activity).unwrap();
    let back: ActivitySummary<u8, Zone> = serde_json::from_value(good.clone()).unwrap();
    assert_eq!(back, activity);
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        f(&mut v);
        serde_json::from_value::<ActivitySummary<u8, Zone>>(v).is_err()
    };
    assert!(edit(
        &|v| v["users"]["states"][0]["events"] = serde_json::json!(0)
    ));
    assert!(edit(
        &|v| v["users"]["states"][0]["active"] = serde_json::json!([])
    ));
    assert!(edit(&|v| v["users"]["users"] = serde_json::json!([1, 1])));
    assert!(edit(
        &|v| v["users"]["states"][1]["first_seen"] = v["users"]["states"][0]["last_seen"].clone()
    ));

    let totals = fold(PeriodTotals::new(cal()), &log).unwrap();
    let good = serde_json::to_value(&totals).unwrap();
    // Week of Dec 30 (user 1, paying), week of Jan 6 (user 2), week of Jan 20 (user 1).
    assert_eq!(good["periods"][0]["active"], serde_json::json!([0]));
    assert_eq!(good["periods"][0]["paying"], serde_json::json!([0]));
    assert_eq!(good["periods"][1]["active"], serde_json::json!([1]));
    let back: PeriodTotals<u8, Zone> = serde_json::from_value(good.clone()).unwrap();
    assert_eq!(back, totals);
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        f(&mut v);
        serde_json::from_value::<PeriodTotals<u8, Zone>>(v).is_err()
    };
    assert!(edit(&|v| v["periods"][1]["active"] = serde_json::json!([7]))); // no user 7
    assert!(edit(&|v| v["periods"][1]["paying"] = serde_json::json!([1]))); // no payment
    assert!(edit(
        &|v| v["periods"][0]["active"] = serde_json::json!([0, 0])
    ));
    assert!(edit(&|v| {
        v["first_seen"].as_array_mut().unwrap().pop();
    }));
    // User 2 first seen in the week of Dec 30, where they were not active.
    assert!(edit(&|v| v["first_seen"][1] = v["first_seen"][0].clone()));
}
