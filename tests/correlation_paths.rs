//! Retention correlation against PostHog's funnel-correlation tests and R's `chisq.test`;
//! paths by hand; the fold laws of the journey summary under both.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use userops::correlation::{CorrelationParams, TwoByTwo, correlate};
use userops::event::EventRecord;
use userops::fold::{Summary, fold, laws};
use userops::journey::{JourneySummary, Journeys};
use userops::paths::{Direction, PathParams, paths};

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 1, day, hour, 0, 0).unwrap()
}

fn journeys(log: &[EventRecord<String>]) -> Journeys<String> {
    fold(JourneySummary::new(), log).unwrap().finish().unwrap()
}

// PostHog test_funnel_correlation.py::test_basic_funnel_correlation_with_events: 10 users
// succeed (5 of them did "positively_related"), 10 fail (5 did "negatively_related"); odds
// ratios 11 and 1/11, success and failure. Here success = retained: "paid" 2 days after
// sign-up, in a retention window of days 1 to 14.
#[test]
fn posthog_basic_correlation() {
    let mut log = Vec::new();
    for i in 0..20 {
        let u = format!("user_{i}");
        log.push(EventRecord::new(u.clone(), t(2, 14)).with_name("user signed up"));
        if i < 10 {
            if i % 2 == 0 {
                log.push(EventRecord::new(u.clone(), t(3, 14)).with_name("positively_related"));
            }
            log.push(EventRecord::new(u.clone(), t(4, 14)).with_name("paid"));
        } else if i % 2 == 0 {
            log.push(EventRecord::new(u.clone(), t(3, 14)).with_name("negatively_related"));
        }
    }
    let spec = CorrelationParams::new("user signed up", "paid", t(20, 0))
        .behaviour(TimeDelta::days(14))
        .retained_between(TimeDelta::days(1), TimeDelta::days(14))
        .check()
        .unwrap();
    let r = correlate(&journeys(&log), &spec);
    assert_eq!((r.users, r.retained, r.censored), (20, 10, 0));
    let rows: Vec<(&str, u64, u64, &str)> = r
        .rows
        .iter()
        .map(|x| (x.event.as_str(), x.a, x.b, x.correlation.as_str()))
        .collect();
    // Equal q-values and equally strong odds ratios: in name order.
    assert_eq!(
        rows,
        [
            ("negatively_related", 0, 5, "failure"),
            ("positively_related", 5, 0, "success")
        ]
    );
    let odds = |e: &str| r.rows.iter().find(|x| x.event == e).unwrap().odds_ratio;
    assert!((odds("positively_related") - 11.0).abs() < 1e-12);
    assert!((odds("negatively_related") - 1.0 / 11.0).abs() < 1e-12);
    // Excluding positively_related (PostHog's funnelCorrelationExcludeEventNames).
    let spec = CorrelationParams::new("user signed up", "paid", t(20, 0))
        .behaviour(TimeDelta::days(14))
        .retained_between(TimeDelta::days(1), TimeDelta::days(14))
        .exclude(["positively_related"])
        .check()
        .unwrap();
    let r = correlate(&journeys(&log), &spec);
    assert_eq!(r.rows.len(), 1);
    assert_eq!(r.rows[0].event, "negatively_related");
}

// PostHog test_action_events_are_excluded_from_correlations: 3 successes, 2 of which did
// "positively_related", and 1 failure: odds ratio 3.
#[test]
fn posthog_action_case_odds_ratio_three() {
    assert_eq!(TwoByTwo::new(2, 0, 1, 1).odds_ratio(), 3.0);
}

// R: chisq.test(matrix(c(10, 30, 20, 40), nrow = 2)) prints
//   X-squared = 0.44643, df = 1, p-value = 0.504
// Hand: N = 100, |ad - bc| = |400 - 600| = 200, margins 30, 70, 40, 60;
// Yates: N (|ad - bc| - N/2)^2 / (30 * 70 * 40 * 60) = 100 * 150^2 / 5,040,000 = 0.446428...
// Without the correction (R's correct = FALSE): 100 * 200^2 / 5,040,000 = 0.793651 (p = 0.373).
// phi = -200 / sqrt(5,040,000) = -0.0890871.
#[test]
fn chi_square_as_r() {
    let table = TwoByTwo::new(10, 20, 30, 40);
    assert!((table.chi_square().unwrap() - 100.0 * 22_500.0 / 5_040_000.0).abs() < 1e-12);
    assert!((table.p_value().unwrap() - 0.504).abs() < 5e-4);
    assert!((table.phi().unwrap() + 200.0 / 5_040_000_f64.sqrt()).abs() < 1e-12);
    // R: chisq.test(matrix(c(12, 5, 3, 10), 2)): X-squared = 5.1293... by hand:
    // N = 30, ad - bc = 120 - 15 = 105, margins (a+b) 15, (c+d) 15, (a+c) 17, (b+d) 13;
    // Yates: 30 * (105 - 15)^2 / (15 * 15 * 17 * 13) = 243000 / 49725 = 4.886877.
    let t2 = TwoByTwo::new(12, 3, 5, 10);
    assert!((t2.chi_square().unwrap() - 243_000.0 / 49_725.0).abs() < 1e-9);
    // p = erfc(sqrt(4.886877 / 2)) = 0.02706 (the upper tail of chi-square with 1 df).
    assert!((t2.p_value().unwrap() - 0.027_06).abs() < 5e-5);
    // A margin of zero: no statistic, never NaN.
    assert_eq!(TwoByTwo::new(0, 0, 4, 5).p_value(), None);
}

// Hand: censoring, "at least n times", rare features and Benjamini–Hochberg.
#[test]
fn thresholds_censoring_and_q_values() {
    let mut log = Vec::new();
    // 40 users start on Jan 1; even users use "search" 3 times in the first week and come
    // back in week 3; odd users search once and do not come back.
    for u in 0..40 {
        let who = format!("u{u}");
        log.push(EventRecord::new(who.clone(), t(1, 0)).with_name("signup"));
        let searches = if u % 2 == 0 { 3 } else { 1 };
        for k in 0..searches {
            log.push(EventRecord::new(who.clone(), t(2, k)).with_name("search"));
        }
        if u % 2 == 0 {
            log.push(EventRecord::new(who.clone(), t(20, 0)).with_name("session"));
        }
    }
    // One user starts too late to be judged (window to day 28 ends after as-of).
    log.push(EventRecord::new("late".to_string(), t(25, 0)).with_name("signup"));
    let spec = CorrelationParams::new("signup", "session", t(31, 0))
        .behaviour(TimeDelta::days(7))
        .retained_between(TimeDelta::days(14), TimeDelta::days(28))
        .at_least([1, 3])
        .check()
        .unwrap();
    let r = correlate(&journeys(&log), &spec);
    assert_eq!((r.users, r.retained, r.censored), (40, 20, 1));
    let row = |n: u32| {
        r.rows
            .iter()
            .find(|x| x.event == "search" && x.at_least == n)
            .unwrap()
    };
    // Searched at least once: everyone; odds (20+1)(0+1) / ((20+1)(0+1)) = 1; c = d = 0,
    // so no chi-square.
    assert_eq!((row(1).a, row(1).b, row(1).odds_ratio), (20, 20, 1.0));
    assert_eq!(row(1).p_value, None);
    // At least 3 times: exactly the retained: table [[20, 0], [0, 20]], odds 21 * 21.
    assert_eq!((row(3).a, row(3).b, row(3).c, row(3).d), (20, 0, 0, 20));
    assert_eq!(row(3).odds_ratio, 441.0);
    // chi-square (Yates): 40 (400 - 20)^2 / 20^4 = 36.1; one test with a p-value, so q = p.
    assert!((row(3).chi_square.unwrap() - 36.1).abs() < 1e-9);
    assert_eq!(row(3).q_value, row(3).p_value);
    assert_eq!(r.rows[0].at_least, 3);
}

#[test]
fn benjamini_hochberg_by_hand() {
    // Three features with p-values p1 < p2 < p3 (m = 3): q3 = p3, q2 = min(q3, 1.5 p2),
    // q1 = min(q2, 3 p1). Built from tables whose p-values are computed above.
    let mut log = Vec::new();
    for u in 0..60 {
        let who = format!("u{u:02}");
        log.push(EventRecord::new(who.clone(), t(1, 0)).with_name("start"));
        let retained = u < 30;
        if retained {
            log.push(EventRecord::new(who.clone(), t(20, 0)).with_name("back"));
        }
        // x1 strongly with retention, x2 weakly, x3 not at all.
        if (retained && u < 25) || (!retained && u < 33) {
            log.push(EventRecord::new(who.clone(), t(2, 0)).with_name("x1"));
        }
        if (retained && u < 18) || (!retained && u < 42) {
            log.push(EventRecord::new(who.clone(), t(2, 0)).with_name("x2"));
        }
        if u % 2 == 0 {
            log.push(EventRecord::new(who.clone(), t(2, 0)).with_name("x3"));
        }
    }
    let spec = CorrelationParams::new("start", "back", t(31, 0))
        .retained_between(TimeDelta::days(14), TimeDelta::days(28))
        .check()
        .unwrap();
    let r = correlate(&journeys(&log), &spec);
    let p = |e: &str| {
        r.rows
            .iter()
            .find(|x| x.event == e)
            .unwrap()
            .p_value
            .unwrap()
    };
    let q = |e: &str| {
        r.rows
            .iter()
            .find(|x| x.event == e)
            .unwrap()
            .q_value
            .unwrap()
    };
    // x1: a = 25, b = 3; x2: a = 18, b = 12; x3: a = 15, b = 15.
    assert!((p("x1") - TwoByTwo::new(25, 3, 5, 27).p_value().unwrap()).abs() < 1e-15);
    assert!((p("x2") - TwoByTwo::new(18, 12, 12, 18).p_value().unwrap()).abs() < 1e-15);
    assert!((p("x3") - TwoByTwo::new(15, 15, 15, 15).p_value().unwrap()).abs() < 1e-15);
    let q3 = p("x3").min(1.0);
    let q2 = q3.min(1.5 * p("x2"));
    let q1 = q2.min(3.0 * p("x1"));
    assert!(
        (q("x3") - q3).abs() < 1e-15
            && (q("x2") - q2).abs() < 1e-15
            && (q("x1") - q1).abs() < 1e-15
    );
    let order: Vec<&str> = r.rows.iter().map(|x| x.event.as_str()).collect();
    assert_eq!(order, ["x1", "x2", "x3"]);
}

// Hand: paths after and before, the session gap, ties in name order.
#[test]
fn paths_by_hand() {
    let e = |u: &str, m: i64, n: &str| {
        EventRecord::new(u.to_string(), t(1, 0) + TimeDelta::minutes(m)).with_name(n)
    };
    let log = vec![
        e("a", 0, "home"),
        e("a", 1, "search"),
        e("a", 2, "product"),
        e("a", 3, "cart"),
        e("b", 0, "ad"),
        e("b", 5, "home"),
        e("b", 6, "search"),
        e("b", 200, "product"), // after a 194-minute gap
        e("c", 0, "search"),
        e("c", 1, "home"),
        e("c", 2, "home"),
    ];
    let j = journeys(&log);
    let rows = |spec: PathParams| {
        paths(&j, &spec.check().unwrap())
            .rows
            .into_iter()
            .map(|r| (r.step, r.from, r.to, r.users))
            .collect::<Vec<_>>()
    };
    let s = |x: &str| x.to_string();
    assert_eq!(
        rows(PathParams::new("home", Direction::After, 2)),
        [
            (1, s("home"), s("search"), 2),
            (1, s("home"), s("home"), 1),
            (2, s("search"), s("product"), 2),
        ]
    );
    assert_eq!(
        rows(PathParams::new("home", Direction::After, 2).session_gap(TimeDelta::minutes(30))),
        [
            (1, s("home"), s("search"), 2),
            (1, s("home"), s("home"), 1),
            (2, s("search"), s("product"), 1),
        ]
    );
    assert_eq!(
        rows(PathParams::new("product", Direction::Before, 3)),
        [
            (1, s("search"), s("product"), 2),
            (2, s("home"), s("search"), 2),
            (3, s("ad"), s("home"), 1),
        ]
    );
    assert_eq!(
        paths(
            &j,
            &PathParams::new("home", Direction::After, 1)
                .check()
                .unwrap()
        )
        .users,
        3
    );
}

fn arb_log() -> impl Strategy<Value = Vec<EventRecord<u8>>> {
    prop::collection::vec((0_u8..6, 0_i64..60, 0_usize..4), 0..60).prop_map(|v| {
        let names = ["a", "b", "c", "d"];
        v.into_iter()
            .map(|(u, d, n)| {
                EventRecord::<u8>::new(u, DateTime::UNIX_EPOCH + TimeDelta::days(d))
                    .with_name(names[n])
            })
            .collect()
    })
}

proptest! {
    // Laws of the journey fold, judged by both reports: merge of parts (through JSON) equals
    // the whole; order does not matter.
    #[test]
    fn journey_laws(log in arb_log(), cuts in prop::collection::vec(0_usize..60, 0..4), seed in any::<u64>()) {
        let path = PathParams::new("a", Direction::After, 3).check().unwrap();
        let back = PathParams::new("d", Direction::Before, 2).check().unwrap();
        let corr = CorrelationParams::new("a", "b", DateTime::UNIX_EPOCH + TimeDelta::days(60))
            .behaviour(TimeDelta::days(5))
            .retained_between(TimeDelta::days(3), TimeDelta::days(20))
            .at_least([1, 2])
            .check()
            .unwrap();
        let same = |x: &Journeys<u8>, y: &Journeys<u8>| {
            paths(x, &path) == paths(y, &path)
                && paths(x, &back) == paths(y, &back)
                && correlate(x, &corr) == correlate(y, &corr)
        };
        laws::serde_merge_law(JourneySummary::new, &log, &cuts, same).map_err(TestCaseError::fail)?;
        let mut perm: Vec<usize> = (0..log.len()).collect();
        let mut rng = userops::sample::Rng::new(seed);
        for i in (1..perm.len()).rev() {
            perm.swap(i, rng.below(i as u64 + 1) as usize);
        }
        laws::order_law(JourneySummary::new, &log, &perm, same).map_err(TestCaseError::fail)?;
    }
}
