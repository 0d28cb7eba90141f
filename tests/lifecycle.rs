//! The stage model: a hand-built connected-car example checked by hand, a brute-force
//! oracle written straight from the definitions, and the fold laws.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, TimeZone, Utc, Weekday};
use proptest::prelude::*;
use userops::event::{EventRecord, SignUp};
use userops::fold::{Summary, fold, laws};
use userops::lifecycle::{
    ForecastStart, Lever, LifecycleSummary, PlanOutcome, Rates, Stage, StageParams, StageReport,
    forecast, plan,
};
use userops::time::{Calendar, Interval, Zone};

fn month(m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, m, 10, 8, 0, 0).unwrap()
}

/// A connected-car app, months January to May 2025, `churn_after = 2`.
///
/// | user | active months | note |
/// |---|---|---|
/// | A | Jan Feb Mar Apr May | drives and opens the app every month |
/// | B | Jan Mar | |
/// | C | Jan Apr | |
/// | D | Feb Mar May | |
/// | E | Mar | |
/// | F | Apr May | |
/// | G | Apr May | bought the car (signed up) in February, first opened the app in April |
/// | H | Feb May | |
/// | I | Apr | |
/// | J | May | |
fn car_log() -> Vec<EventRecord<char>> {
    let active: [(char, &[u32]); 10] = [
        ('A', &[1, 2, 3, 4, 5]),
        ('B', &[1, 3]),
        ('C', &[1, 4]),
        ('D', &[2, 3, 5]),
        ('E', &[3]),
        ('F', &[4, 5]),
        ('G', &[4, 5]),
        ('H', &[2, 5]),
        ('I', &[4]),
        ('J', &[5]),
    ];
    let mut log = Vec::new();
    for (u, months) in active {
        for m in months {
            // Two events in some months: repeats must not count twice.
            log.push(EventRecord::new(u, month(*m)));
            if *m % 2 == 0 {
                log.push(EventRecord::new(u, month(*m) + chrono::TimeDelta::days(3)));
            }
        }
    }
    log
}

fn car_signups() -> HashMap<char, DateTime<Utc>> {
    [('G', Utc.with_ymd_and_hms(2025, 2, 14, 0, 0, 0).unwrap())].into()
}

fn car_report() -> StageReport {
    let summary =
        LifecycleSummary::new(Calendar::new(Utc, Interval::Month), month(1), month(5)).unwrap();
    let activity = fold(summary, car_log()).unwrap().finish().unwrap();
    let signups = car_signups();
    activity.stages(&StageParams::default(), Some(&signups))
}

/// (new, retained, retained_new, woken, returned, dormant, churned, known, active)
fn tuple(r: &userops::lifecycle::StageRow) -> [u64; 9] {
    [
        r.new,
        r.retained,
        r.retained_new,
        r.woken,
        r.returned,
        r.dormant,
        r.churned,
        r.known,
        r.active,
    ]
}

#[test]
fn connected_car_states_by_hand() {
    let r = car_report();
    // Worked out by hand from the table above (churn_after = 2):
    // Jan: A B C new.                                          known 3, active 3
    // Feb: A retained_new; B C dormant; D H new; G new (sign-up). known 6, active 4
    // Mar: A retained; B woken; D retained_new; E new; G H dormant; C churned.
    //                                                           known 7, active 4
    // Apr: A retained; C returned; G woken; F I new; B D E dormant; H churned.
    //                                                           known 9, active 5
    // May: A G retained; F retained_new; D woken; H returned; J new; C I dormant; B E churned.
    //                                                           known 10, active 6
    assert_eq!(tuple(&r.rows[0]), [3, 0, 0, 0, 0, 0, 0, 3, 3]);
    assert_eq!(tuple(&r.rows[1]), [3, 0, 1, 0, 0, 2, 0, 6, 4]);
    assert_eq!(tuple(&r.rows[2]), [1, 1, 1, 1, 0, 2, 1, 7, 4]);
    assert_eq!(tuple(&r.rows[3]), [2, 1, 0, 1, 1, 3, 1, 9, 5]);
    assert_eq!(tuple(&r.rows[4]), [1, 2, 1, 1, 1, 2, 2, 10, 6]);
    // Every stage occurs; May alone has all seven.
    for s in Stage::ALL {
        assert!(r.rows[4].count(s) > 0, "{s}");
    }
    // Active rate in May: 6 / 10.
    assert_eq!(r.rows[4].active_rate, 0.6);
    assert_eq!(r.opening.known, 0);
}

#[test]
fn connected_car_transitions_by_hand() {
    let r = car_report();
    let may = &r.transitions[4];
    use Stage::*;
    // April -> May: A retained->retained, G woken->retained, C returned->dormant,
    // F new->retained_new, I new->dormant, B dormant->churned, D dormant->woken,
    // E dormant->churned, H churned->returned, J (not known)->new.
    assert_eq!(may.count(Some(Retained), Retained), 1);
    assert_eq!(may.count(Some(Woken), Retained), 1);
    assert_eq!(may.count(Some(Returned), Dormant), 1);
    assert_eq!(may.count(Some(New), RetainedNew), 1);
    assert_eq!(may.count(Some(New), Dormant), 1);
    assert_eq!(may.count(Some(Dormant), Churned), 2);
    assert_eq!(may.count(Some(Dormant), Woken), 1);
    assert_eq!(may.count(Some(Churned), Returned), 1);
    assert_eq!(may.count(None, New), 1);
    let total: u64 = may.counts.iter().flatten().sum();
    assert_eq!(total, 10);
    // Of April's 3 dormant users, 2 churned and 1 woke: rates 2/3 and 1/3.
    assert!((may.rate(Some(Dormant), Churned) - 2.0 / 3.0).abs() < 1e-12);
    assert!((may.rate(Some(Dormant), Woken) - 1.0 / 3.0).abs() < 1e-12);
}

#[test]
fn connected_car_decomposition_by_hand() {
    let r = car_report();
    let may = &r.decomposition[4];
    // old_active(Apr) = A (retained) + G (woken) + C (returned) = 3; May retained A, G: 2/3.
    assert_eq!(may.old_active_prev, 3);
    assert!((may.old_retention - 2.0 / 3.0).abs() < 1e-12);
    // new(Apr) = F, I; F retained_new in May: 1/2.
    assert_eq!(may.new_prev, 2);
    assert_eq!(may.new_retention, 0.5);
    // dormant(Apr) = B, D, E; D woke: 1/3.
    assert_eq!(may.dormant_prev, 3);
    assert!((may.wake_rate - 1.0 / 3.0).abs() < 1e-12);
    // churned(Apr) = H; H returned: 1/1.
    assert_eq!(may.churned_prev, 1);
    assert_eq!(may.return_rate, 1.0);
    // 6 = 1 + 3·(2/3) + 2·(1/2) + 3·(1/3) + 1·1
    assert_eq!(may.active, 6);
    assert!((may.reconstructed() - 6.0).abs() < 1e-12);
    // April: 5 = 2 + 3·(1/3) + 1·0 + 2·(1/2) + 1·1
    let apr = &r.decomposition[3];
    assert_eq!(
        (
            apr.new,
            apr.old_active_prev,
            apr.new_prev,
            apr.dormant_prev,
            apr.churned_prev
        ),
        (2, 3, 1, 2, 1)
    );
    assert!((apr.old_retention - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(apr.new_retention, 0.0);
    assert_eq!(apr.wake_rate, 0.5);
    assert_eq!(apr.return_rate, 1.0);
    for d in &r.decomposition {
        assert!((d.reconstructed() - d.active as f64).abs() < 1e-9);
    }
}

#[test]
fn connected_car_trailing_rates_by_hand() {
    let r = car_report();
    let rates = Rates::trailing(&r, 2).unwrap();
    // Pooled over April and May:
    // old retention (1 + 2) / (3 + 3) = 0.5; new retention (0 + 1) / (1 + 2) = 1/3;
    // wake (1 + 1) / (2 + 3) = 0.4; return (1 + 1) / (1 + 1) = 1; dormant stay 0 (churn_after 2).
    assert_eq!(rates.old_retention, 0.5);
    assert!((rates.new_retention - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(rates.wake_rate, 0.4);
    assert_eq!(rates.return_rate, 1.0);
    assert_eq!(rates.dormant_stay, 0.0);
}

#[test]
fn connected_car_forecast_by_hand() {
    let r = car_report();
    let start = ForecastStart::from_report(&r).unwrap();
    // May: known 10, new 1 (J), old active 5 (A G F D H), dormant 2, churned 2.
    assert_eq!(
        (
            start.known,
            start.new,
            start.old_active,
            start.dormant,
            start.churned
        ),
        (10.0, 1.0, 5.0, 2.0, 2.0)
    );
    let rates = Rates::new(0.6, 0.5, 0.5, 0.25, 0.0).unwrap();
    let f = forecast(&start, &rates, &[2.0, 2.0]).unwrap();
    let june = &f.rows[0];
    // old active = 0.6·5 + 0.5·1 + 0.5·2 + 0.25·2 = 3 + 0.5 + 1 + 0.5 = 5
    // dormant = 0.4·5 + 0.5·1 = 2.5;  churned = (1 − 0.5)·2 + 0.75·2 = 2.5
    // active = 2 + 5 = 7, known = 12, rate 7/12
    assert_eq!(june.period.unwrap().to_string(), "2025-06");
    assert!((june.old_active - 5.0).abs() < 1e-12);
    assert!((june.dormant - 2.5).abs() < 1e-12);
    assert!((june.churned - 2.5).abs() < 1e-12);
    assert!((june.active - 7.0).abs() < 1e-12);
    assert_eq!(june.known, 12.0);
    assert!((june.active_rate - 7.0 / 12.0).abs() < 1e-12);
    // July: old = 0.6·5 + 0.5·2 + 0.5·2.5 + 0.25·2.5 = 3 + 1 + 1.25 + 0.625 = 5.875
    // active = 7.875, known 14
    let july = &f.rows[1];
    assert!((july.active - 7.875).abs() < 1e-12);
    assert!((july.active_rate - 7.875 / 14.0).abs() < 1e-12);
    // The groups always add up to the users known.
    for row in &f.rows {
        assert!((row.new + row.old_active + row.dormant + row.churned - row.known).abs() < 1e-9);
    }
}

#[test]
fn connected_car_target_plan_by_hand() {
    let r = car_report();
    let start = ForecastStart::from_report(&r).unwrap();
    let rates = Rates::new(0.6, 0.5, 0.5, 0.25, 0.0).unwrap();
    // 65% of 12 = 7.8 active = 2 new + old; old = 5x + 0.5 + 1 + 0.5 = 5.8 → x = 0.76.
    let p = plan(&start, &rates, &[2.0], Lever::OldRetention, 0.65).unwrap();
    match p.outcome {
        PlanOutcome::Reachable { value } => assert!((value - 0.76).abs() < 1e-9, "{value}"),
        other => panic!("{other:?}"),
    }
    assert!((p.current_rate - 7.0 / 12.0).abs() < 1e-12);
    // Via the wake rate: 60% of 12 = 7.2 → old 5.2 = 3 + 0.5 + 2x + 0.5 → x = 0.6.
    let p = plan(&start, &rates, &[2.0], Lever::WakeRate, 0.6).unwrap();
    match p.outcome {
        PlanOutcome::Reachable { value } => assert!((value - 0.6).abs() < 1e-9, "{value}"),
        other => panic!("{other:?}"),
    }
    // 95% needs old = 9.4 = 5x + 2 → x = 1.48 > 1: cannot be reached; at x = 1 the rate is
    // (2 + 5 + 2) / 12 = 75%.
    let p = plan(&start, &rates, &[2.0], Lever::OldRetention, 0.95).unwrap();
    match p.outcome {
        PlanOutcome::Unreachable {
            max_value,
            rate_at_max,
        } => {
            assert_eq!(max_value, 1.0);
            assert!((rate_at_max - 0.75).abs() < 1e-12);
        }
        other => panic!("{other:?}"),
    }
    assert!(p.to_string().contains("cannot be reached"));
    // 40% is met even with no returning churned users: (2 + 3 + 0.5 + 1) / 12 = 54%.
    let p = plan(&start, &rates, &[2.0], Lever::ReturnRate, 0.4).unwrap();
    assert!(matches!(p.outcome, PlanOutcome::AlreadyMet { .. }));
}

#[test]
fn history_before_the_window_sets_the_opening_stage() {
    // Window March–May; A active Jan–May, B active January only (churned by March),
    // C active February only (dormant in March... counted from its last activity).
    let log: Vec<EventRecord<char>> = [
        ('A', 1),
        ('A', 2),
        ('A', 3),
        ('A', 4),
        ('A', 5),
        ('B', 1),
        ('C', 2),
        ('C', 4),
    ]
    .iter()
    .map(|(u, m)| EventRecord::new(*u, month(*m)))
    .collect();
    let summary =
        LifecycleSummary::new(Calendar::new(Utc, Interval::Month), month(3), month(5)).unwrap();
    let r = fold(summary, &log)
        .unwrap()
        .finish()
        .unwrap()
        .stages(&StageParams::default(), None);
    // Lead period February: A retained_new (new in January), B dormant, C new.
    assert_eq!(tuple(&r.opening), [1, 0, 1, 0, 0, 1, 0, 3, 2]);
    // March: A retained, B churned, C dormant. April: A retained, B churned, C woken.
    assert_eq!(tuple(&r.rows[0]), [0, 1, 0, 0, 0, 1, 1, 3, 1]);
    assert_eq!(tuple(&r.rows[1]), [0, 1, 0, 1, 0, 0, 1, 3, 2]);
    assert_eq!(r.decomposition[0].new_prev, 1);
}

// ---------------------------------------------------------------- oracle and properties

/// Stages straight from the definitions, by brute force over calendar periods.
fn oracle(
    log: &[EventRecord<u8>],
    signups: &HashMap<u8, DateTime<Utc>>,
    cal: &Calendar<Zone>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    churn_after: i64,
) -> Vec<BTreeMap<u8, Stage>> {
    let first = cal.period_of(from);
    let n = first.periods_until(&cal.period_of(to)) + 1;
    let mut active: BTreeMap<u8, BTreeSet<i64>> = BTreeMap::new();
    for e in log {
        active
            .entry(e.user)
            .or_default()
            .insert(first.periods_until(&cal.period_of(e.at)));
    }
    let mut out = vec![BTreeMap::new(); n as usize];
    for (u, set) in &active {
        let mut k = *set.iter().next().unwrap();
        if let Some(s) = signups.get(u) {
            k = k.min(first.periods_until(&cal.period_of(*s)));
        }
        for t in 0..n {
            if t < k {
                continue;
            }
            // Last "touch" (active period or the period the user became known) before t.
            let last_touch = |t: i64| set.range(..t).next_back().copied().unwrap_or(k).max(k);
            let stage = if t == k {
                Stage::New
            } else if set.contains(&t) {
                if t - 1 == k {
                    Stage::RetainedNew
                } else if set.contains(&(t - 1)) {
                    Stage::Retained
                } else {
                    let inactive = t - 1 - last_touch(t);
                    if inactive < churn_after {
                        Stage::Woken
                    } else {
                        Stage::Returned
                    }
                }
            } else {
                let inactive = t - last_touch(t);
                if inactive < churn_after {
                    Stage::Dormant
                } else {
                    Stage::Churned
                }
            };
            out[t as usize].insert(*u, stage);
        }
    }
    out
}

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
}

prop_compose! {
    fn arb_log()(raw in prop::collection::vec((0u8..12, 0i64..(400 * 24)), 0..120))
        -> Vec<EventRecord<u8>> {
        raw.into_iter()
            .map(|(u, h)| EventRecord::new(u, base() + chrono::TimeDelta::hours(h)))
            .collect()
    }
}

fn arb_interval() -> impl Strategy<Value = Interval> {
    prop_oneof![
        Just(Interval::Day),
        Just(Interval::Week(Weekday::Sun)),
        Just(Interval::Week(Weekday::Mon)),
        Just(Interval::Month),
    ]
}

fn zone(i: u8) -> Zone {
    Zone::parse(["UTC", "America/Los_Angeles", "+05:30"][usize::from(i % 3)]).unwrap()
}

fn window(interval: Interval, a: i64, b: i64) -> (DateTime<Utc>, DateTime<Utc>) {
    let hours = match interval {
        Interval::Day => 24,
        Interval::Week(_) => 24 * 7,
        Interval::Month => 24 * 30,
    };
    let from = base() + chrono::TimeDelta::hours(a * hours / 4);
    let to = from + chrono::TimeDelta::hours(b * hours / 4);
    (from, to)
}

/// Equal as JSON trees, floats within 1e-12 relative (serde_json's default float parser may
/// differ from the printed value in the last bit).
fn same_json<T: serde::Serialize>(a: &T, b: &T) -> bool {
    fn eq(a: &serde_json::Value, b: &serde_json::Value) -> bool {
        use serde_json::Value::*;
        match (a, b) {
            (Number(x), Number(y)) => match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => laws::close(x, y, 1e-12),
                _ => x == y,
            },
            (Array(x), Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| eq(p, q)),
            (Object(x), Object(y)) => {
                x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| eq(v, w)))
            }
            _ => a == b,
        }
    }
    eq(
        &serde_json::to_value(a).unwrap(),
        &serde_json::to_value(b).unwrap(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn stages_match_the_definitions(
        log in arb_log(),
        interval in arb_interval(),
        z in 0u8..3,
        a in 0i64..60,
        b in 0i64..300,
        churn_after in prop_oneof![1u32..5, Just(40), Just(60), Just(61), Just(70)],
        signup_hours in prop::collection::vec(prop::option::of(0i64..(400 * 24)), 12),
    ) {
        let zone = zone(z);
        let cal = Calendar::new(zone, interval);
        let (from, to) = window(interval, a, b);
        let signups: HashMap<u8, DateTime<Utc>> = signup_hours
            .iter()
            .enumerate()
            .filter_map(|(u, h)| h.map(|h| (u as u8, base() + chrono::TimeDelta::hours(h))))
            .collect();
        let summary = LifecycleSummary::new(cal.clone(), from, to).unwrap();
        let activity = fold(summary, &log).unwrap().finish().unwrap();
        let params = StageParams::new(churn_after).unwrap();
        let report = activity.stages(&params, Some(&signups as &dyn SignUp<u8>));
        let want = oracle(&log, &signups, &cal, from, to, i64::from(churn_after));
        prop_assert_eq!(report.rows.len(), want.len());
        for (row, users) in report.rows.iter().zip(&want) {
            for s in Stage::ALL {
                let n = users.values().filter(|x| **x == s).count() as u64;
                prop_assert_eq!(row.count(s), n, "{} in {}", s, row.period);
            }
            // The states partition the users known by the period.
            prop_assert_eq!(row.known, users.len() as u64);
        }
        // The decomposition identity, and the transitions agree with the counts.
        for (t, d) in report.decomposition.iter().enumerate() {
            prop_assert!((d.reconstructed() - d.active as f64).abs() < 1e-9);
            let m = &report.transitions[t];
            let into: u64 = m.counts.iter().flatten().sum();
            prop_assert_eq!(into, report.rows[t].known);
            for s in Stage::ALL {
                let col: u64 = m.counts.iter().map(|r| r[s as usize]).sum();
                prop_assert_eq!(col, report.rows[t].count(s));
            }
        }
    }

    #[test]
    fn a_later_window_agrees_with_a_longer_one(
        log in arb_log(),
        interval in arb_interval(),
        z in 0u8..3,
        b in 4i64..200,
        skip in 1usize..4,
    ) {
        let cal = Calendar::new(zone(z), interval);
        let (from, to) = window(interval, 0, b);
        let whole = fold(LifecycleSummary::new(cal.clone(), from, to).unwrap(), &log)
            .unwrap().finish().unwrap().stages(&StageParams::default(), None);
        prop_assume!(whole.rows.len() > skip);
        let later_from = cal.start_of(&whole.rows[skip].period);
        let part = fold(LifecycleSummary::new(cal.clone(), later_from, to).unwrap(), &log)
            .unwrap().finish().unwrap().stages(&StageParams::default(), None);
        prop_assert_eq!(&part.rows[..], &whole.rows[skip..]);
        prop_assert_eq!(&part.opening, &whole.rows[skip - 1]);
        prop_assert_eq!(&part.decomposition[..], &whole.decomposition[skip..]);
    }

    #[test]
    fn merge_and_order_laws(
        log in arb_log(),
        interval in arb_interval(),
        cuts in prop::collection::vec(0usize..120, 0..4),
        seed in any::<u64>(),
    ) {
        let cal = Calendar::new(Zone::Utc, interval);
        let (from, to) = window(interval, 8, 120);
        let empty = || LifecycleSummary::new(cal.clone(), from, to).unwrap();
        let same = |a: &userops::lifecycle::LifecycleActivity<u8, Zone>,
                    b: &userops::lifecycle::LifecycleActivity<u8, Zone>| {
            a.stages(&StageParams::default(), None) == b.stages(&StageParams::default(), None)
                && a.posthog(None) == b.posthog(None)
        };
        laws::merge_law(empty, &log, &cuts, same).map_err(TestCaseError::fail)?;
        let mut perm: Vec<usize> = (0..log.len()).collect();
        let mut rng = userops::sample::Rng::new(seed);
        for i in (1..perm.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            perm.swap(i, j);
        }
        laws::order_law(empty, &log, &perm, same).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn reports_survive_a_serde_round_trip(log in arb_log(), interval in arb_interval()) {
        let cal = Calendar::new(Zone::Utc, interval);
        let (from, to) = window(interval, 8, 60);
        let activity = fold(LifecycleSummary::new(cal, from, to).unwrap(), &log).unwrap().finish().unwrap();
        let report = activity.stages(&StageParams::default(), None);
        let back: StageReport = serde_json::from_str(&serde_json::to_string(&report).unwrap()).unwrap();
        prop_assert!(same_json(&back, &report));
        let ph = activity.posthog(None);
        let back: userops::lifecycle::PostHogLifecycle =
            serde_json::from_str(&serde_json::to_string(&ph).unwrap()).unwrap();
        prop_assert_eq!(back, ph);
        let by = activity.breakdown(&|u: &u8| (u % 3 != 0).then(|| format!("g{}", u % 3)),
            |p| p.stages(&StageParams::default(), None));
        let back: userops::lifecycle::Breakdown<StageReport> =
            serde_json::from_str(&serde_json::to_string(&by).unwrap()).unwrap();
        prop_assert!(same_json(&back, &by));
        // The groups partition the users: their counts add up to the whole.
        for (t, row) in report.rows.iter().enumerate() {
            let sum: u64 = by.groups.iter().map(|g| g.report.rows[t].known).sum();
            prop_assert_eq!(sum, row.known);
        }
        if let (Ok(start), Ok(rates)) = (ForecastStart::from_report(&report), Rates::trailing(&report, 3)) {
            let f = forecast(&start, &rates, &[1.0, 2.0]).unwrap();
            let back: userops::lifecycle::Forecast =
                serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
            prop_assert!(same_json(&back, &f));
        }
    }
}

#[test]
fn breakdown_keeps_users_without_a_value() {
    let summary =
        LifecycleSummary::new(Calendar::new(Utc, Interval::Month), month(1), month(5)).unwrap();
    let activity = fold(summary, car_log()).unwrap().finish().unwrap();
    // "Drives the car but never opens the app" is only known for some users.
    let attr: HashMap<char, String> = [
        ('A', "app".to_string()),
        ('B', "app".to_string()),
        ('C', "car_only".to_string()),
    ]
    .into();
    let by = activity.breakdown(&attr, |p| p.stages(&StageParams::default(), None));
    let groups: Vec<(&str, u64)> = by
        .groups
        .iter()
        .map(|g| (g.value.as_str(), g.users))
        .collect();
    assert_eq!(groups, [("(unknown)", 7), ("app", 2), ("car_only", 1)]);
    // January: A, B new in "app"; C new in "car_only".
    assert_eq!(by.get("app").unwrap().rows[0].new, 2);
    assert_eq!(by.get("car_only").unwrap().rows[0].new, 1);
    let ph = activity.breakdown(&attr, |p| p.posthog(None));
    assert_eq!(ph.get("car_only").unwrap().resurrecting, [0, 0, 0, 1, 0]);
}

#[test]
fn display_prints_the_tables() {
    let r = car_report();
    let text = r.to_string();
    assert!(text.contains("retained_new"));
    assert!(text.contains("2025-05"));
    assert!(text.contains("60.0%"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Parts of the log folded, each sent through JSON (it comes back equal and prints the
    /// same JSON), the parts read back merged: the state of folding the whole log, and the
    /// same reports. Windows that start after some events cover the history columns.
    #[test]
    fn state_survives_json_and_merges_as_the_whole(
        log in arb_log(),
        interval in arb_interval(),
        z in 0u8..3,
        a in 0i64..60,
        b in 0i64..200,
        cuts in prop::collection::vec(0usize..120, 0..4),
    ) {
        let cal = Calendar::new(zone(z), interval);
        let (from, to) = window(interval, a, b);
        let empty = || LifecycleSummary::<u8, Zone>::new(cal.clone(), from, to).unwrap();
        let whole = fold(empty(), &log).unwrap();
        let mut cuts: Vec<usize> = cuts.iter().map(|c| (*c).min(log.len())).collect();
        cuts.extend([0, log.len()]);
        cuts.sort_unstable();
        cuts.dedup();
        let mut merged = empty();
        for w in cuts.windows(2) {
            let part = fold(empty(), &log[w[0]..w[1]]).unwrap();
            let json = serde_json::to_string(&part).unwrap();
            let back: LifecycleSummary<u8, Zone> = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&back, &part);
            prop_assert_eq!(serde_json::to_string(&back).unwrap(), json);
            merged.merge(back).unwrap();
        }
        prop_assert_eq!(&merged, &whole);
        let (whole, merged) = (whole.finish().unwrap(), merged.finish().unwrap());
        prop_assert_eq!(
            whole.stages(&StageParams::default(), None),
            merged.stages(&StageParams::default(), None)
        );
        prop_assert_eq!(whole.posthog(None), merged.posthog(None));
    }
}

/// A lifecycle state edited into one no fold could make is refused when read.
#[test]
fn impossible_lifecycle_states_are_refused() {
    // Window March to May; user 'A' has history in January, 'B' only in the window.
    let log = vec![
        EventRecord::new('A', month(1)),
        EventRecord::new('A', month(4)),
        EventRecord::new('B', month(3)),
    ];
    let summary = fold(
        LifecycleSummary::new(
            Calendar::new(Zone::Utc, Interval::Month),
            month(3),
            month(5),
        )
        .unwrap(),
        &log,
    )
    .unwrap();
    let good = serde_json::to_value(&summary).unwrap();
    // Lead period February + March..May: 4 bits; A active in April (bit 2), B in March (bit 1).
    assert_eq!(good["rows"]["cells"], serde_json::json!([4, 2]));
    assert_eq!(
        good["first_before"],
        serde_json::json!([month(1).timestamp_millis(), i64::MAX])
    );
    let back: LifecycleSummary<char, Zone> = serde_json::from_value(good.clone()).unwrap();
    assert_eq!(back, summary);
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        f(&mut v);
        serde_json::from_value::<LifecycleSummary<char, Zone>>(v).is_err()
    };
    assert!(edit(&|v| v["rows"]["cells"] = serde_json::json!([4, 16]))); // bit 4: past May
    assert!(edit(&|v| v["rows"]["cells"] = serde_json::json!([4]))); // a row short
    assert!(edit(&|v| v["rows"]["users"] = serde_json::json!(["A", "A"])));
    // History in the window itself, history for one user of two, first after last.
    assert!(edit(
        &|v| v["first_before"][0] = serde_json::json!(month(3).timestamp_millis())
    ));
    assert!(edit(&|v| v["first_before"] = serde_json::json!([0])));
    assert!(edit(&|v| v["last_before"][0] = serde_json::json!(0)));
    // A grid the calendar would not lay out (a period dropped; another calendar's periods).
    assert!(edit(&|v| {
        v["grid"]["periods"].as_array_mut().unwrap().remove(1);
    }));
    assert!(edit(
        &|v| v["calendar"]["interval"] = serde_json::json!("day")
    ));
}
