//! Funnels against PostHog's funnel test suite (posthog/hogql_queries/insights/funnels/test/,
//! test_funnel.py, test_funnel_strict.py, commit 2cbf12a / 1b56c1b): the journeys and the
//! expected counts are PostHog's, each test names its source. Journeys written there without
//! timestamps (`journeys_for` stamps them one after the other) get one second apart here.
//! The rest are hand calculations, written out.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use userops::engine::EventTable;
use userops::event::{Event, EventRecord};
use userops::fold::{FoldTable, Summary, fold, laws};
use userops::funnel::{
    Attribution, Entry, Exclusion, FunnelParams, FunnelReport, FunnelSummary, StepMatch, StepOrder,
};
use userops::time::{Calendar, Interval};

type Rec = EventRecord<String>;

/// Each person's events in order, one second apart from 2021-05-01 00:00:00.
fn journeys(people: &[(&str, &[&str])]) -> Vec<Rec> {
    let t0 = Utc.with_ymd_and_hms(2021, 5, 1, 0, 0, 0).unwrap();
    let mut out = Vec::new();
    let mut k = 0;
    for (who, events) in people {
        for name in *events {
            out.push(Rec::new(*who, t0 + TimeDelta::seconds(k)).with_name(*name));
            k += 1;
        }
    }
    out
}

fn at(text: &str) -> DateTime<Utc> {
    userops::time::parse_instant(text, &Utc).unwrap()
}

fn ev(who: &str, name: &str, when: &str) -> Rec {
    Rec::new(who, at(when)).with_name(name)
}

fn run(params: FunnelParams, log: &[Rec]) -> FunnelReport {
    fold(FunnelSummary::new(params.check().unwrap()), log)
        .unwrap()
        .finish()
        .unwrap()
        .report()
}

fn counts(r: &FunnelReport) -> Vec<u64> {
    r.steps.iter().map(|s| s.count).collect()
}

// test_funnel.py::test_funnel_events (actions "paid", "watched movie" as event names; the
// person with two distinct ids is one user here).
#[test]
fn posthog_funnel_events() {
    let log = journeys(&[
        ("stopped_after_signup", &["user signed up"]),
        ("stopped_after_pay", &["user signed up", "paid"]),
        (
            "had_anonymous_id",
            &["user signed up", "paid", "watched movie"],
        ),
        ("just_did_movie", &["watched movie"]),
        ("wrong_order", &["paid", "user signed up", "watched movie"]),
    ]);
    let r = run(
        FunnelParams::new(["user signed up", "paid", "watched movie"]),
        &log,
    );
    assert_eq!(counts(&r), [4, 2, 1]);
}

// test_funnel.py::test_funnel_with_any_event: three "any event" steps.
#[test]
fn posthog_funnel_with_any_event() {
    let log = journeys(&[
        ("stopped_after_signup", &["user signed up"]),
        ("stopped_after_pay", &["user signed up", "watched movie"]),
        ("completed_movie", &["user signed up", "watched movie"]),
        ("just_did_movie", &["watched movie"]),
        (
            "wrong_order",
            &["watched movie", "user signed up", "watched movie"],
        ),
    ]);
    let r = run(FunnelParams::new(["*", "*", "*"]), &log);
    assert_eq!(counts(&r), [5, 3, 1]);
}

// test_funnel.py::test_basic_funnel_with_repeat_steps
#[test]
fn posthog_repeat_steps() {
    let log = journeys(&[
        (
            "stopped_after_signup1",
            &["user signed up", "user signed up"],
        ),
        ("stopped_after_signup2", &["user signed up"]),
    ]);
    let r = run(
        FunnelParams::new(["user signed up", "user signed up"]),
        &log,
    );
    assert_eq!(counts(&r), [2, 1]);
}

// test_funnel.py::test_advanced_funnel_with_repeat_steps
#[test]
fn posthog_advanced_repeat_steps() {
    let pv = "$pageview";
    let log = journeys(&[
        ("s1", &["user signed up"]),
        ("p1", &["user signed up", pv]),
        ("p2", &["user signed up", pv, "blaah blaa", pv]),
        (
            "p3",
            &["user signed up", pv, "blaah blaa", pv, pv, "blaah blaa"],
        ),
        ("p4", &["user signed up", pv, pv, pv, pv]),
    ]);
    let r = run(FunnelParams::new(["user signed up", pv, pv, pv, pv]), &log);
    assert_eq!(counts(&r), [5, 4, 3, 2, 1]);
}

// test_funnel.py::test_advanced_funnel_with_repeat_steps_out_of_order_events
#[test]
fn posthog_repeat_steps_out_of_order_events() {
    let pv = "$pageview";
    let su = "user signed up";
    let b = "blaah blaa";
    let log = journeys(&[
        ("p1", &[pv, su]),
        ("p2", &[su, pv]),
        ("p3", &[pv, su, b, pv]),
        ("p4", &[b, pv, b, pv, su, pv]),
        ("p5", &[su, pv, b, pv, pv, pv]),
        ("p6", &[pv, b, pv, pv, pv]),
    ]);
    let r = run(FunnelParams::new([su, pv, pv, pv, pv]), &log);
    assert_eq!(counts(&r), [5, 4, 1, 1, 1]);
}

// test_funnel.py::test_funnel_with_different_actions_at_same_time_count_as_converted: two
// steps at the same instant convert.
#[test]
fn posthog_same_instant_converts() {
    let log = vec![
        ev("p1", "sign up", "2020-01-03 00:00:00"),
        ev("p1", "$pageview", "2020-01-03 00:00:00"),
        ev("p2", "sign up", "2020-01-03 00:00:00"),
    ];
    let r = run(FunnelParams::new(["sign up", "$pageview"]), &log);
    assert_eq!(counts(&r), [2, 1]);
}

// test_funnel.py::test_funnel_conversion_window (7 days) and
// test_funnel_conversion_window_seconds (15 seconds).
#[test]
fn posthog_conversion_window() {
    let mut log = Vec::new();
    let mut secs = Vec::new();
    for i in 0..25 {
        let who = format!("user_{i}");
        let late = i >= 10;
        log.push(ev(&who, "step one", "2021-05-01 00:00:00"));
        log.push(ev(
            &who,
            "step two",
            if late {
                "2021-05-10 00:00:00"
            } else {
                "2021-05-02 00:00:00"
            },
        ));
        secs.push(ev(&who, "step one", "2021-05-01 00:00:00"));
        secs.push(ev(
            &who,
            "step two",
            if late {
                "2021-05-01 00:00:20"
            } else {
                "2021-05-01 00:00:10"
            },
        ));
    }
    let steps = ["step one", "step two", "step three"];
    let r = run(FunnelParams::new(steps).window(TimeDelta::days(7)), &log);
    assert_eq!(counts(&r), [25, 10, 0]);
    let r = run(
        FunnelParams::new(steps).window(TimeDelta::seconds(15)),
        &secs,
    );
    assert_eq!(counts(&r), [25, 10, 0]);
}

// test_funnel.py::test_funnel_exclusion_no_end_event (window 1 day).
#[test]
fn posthog_exclusion_no_end_event() {
    let log = vec![
        ev("person1", "user signed up", "2021-05-01 01:00:00"),
        ev("person1", "paid", "2021-05-01 02:00:00"),
        ev("person2", "user signed up", "2021-05-01 03:00:00"),
        ev("person2", "x", "2021-05-01 03:30:00"),
        ev("person2", "paid", "2021-05-01 04:00:00"),
        ev("person3", "user signed up", "2021-05-01 05:00:00"),
        ev("person3", "x", "2021-05-01 06:00:00"),
        ev("person4", "user signed up", "2021-05-01 07:00:00"),
        ev("person4", "x", "2021-05-02 08:00:00"),
    ];
    let params = FunnelParams::new(["user signed up", "paid"])
        .window(TimeDelta::days(1))
        .exclude(Exclusion::new(StepMatch::named("x"), 0, 1));
    let outcomes = fold(FunnelSummary::new(params.check().unwrap()), &log)
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(counts(&outcomes.report()), [2, 1]);
    let mut at_step_1: Vec<String> = outcomes.users().map(|u| u.user).collect();
    at_step_1.sort();
    assert_eq!(at_step_1, ["person1", "person4"]);
}

// test_funnel.py::test_funnel_exclusion_multiple_possible_no_end_event1, 2 and 3 (window 10 s).
#[test]
fn posthog_exclusion_multiple_possible_no_end_event() {
    let params = || {
        FunnelParams::new(["step one", "step two"])
            .window(TimeDelta::seconds(10))
            .exclude(Exclusion::new(StepMatch::named("exclusion"), 0, 1))
    };
    let case = |events: &[(&str, &str)]| {
        let log: Vec<Rec> = events.iter().map(|(n, t)| ev("user_one", n, t)).collect();
        counts(&run(params(), &log))
    };
    assert_eq!(
        case(&[
            ("step one", "2021-05-01 00:00:00"),
            ("exclusion", "2021-05-01 00:00:01"),
            ("step one", "2021-05-01 00:00:31"),
        ]),
        [1, 0]
    );
    assert_eq!(
        case(&[
            ("step one", "2021-05-01 00:00:00"),
            ("step one", "2021-05-01 00:00:31"),
            ("exclusion", "2021-05-01 00:00:32"),
        ]),
        [1, 0]
    );
    // PostHog: no result at all (UDF funnels return an empty list, the old ones zeros).
    assert_eq!(
        case(&[
            ("step one", "2021-05-01 00:00:00"),
            ("step one", "2021-05-01 00:00:01"),
            ("exclusion", "2021-05-01 00:00:02"),
        ]),
        [0, 0]
    );
}

// test_funnel.py::test_funnel_exclusions_full_window (window 14 days).
#[test]
fn posthog_exclusions_full_window() {
    let x = "x 1 name with numbers 2";
    let log = vec![
        ev("person1", "user signed up", "2021-05-01 01:00:00"),
        ev("person1", "paid", "2021-05-01 02:00:00"),
        ev("person2", "user signed up", "2021-05-01 03:00:00"),
        ev("person2", x, "2021-05-01 03:30:00"),
        ev("person2", "paid", "2021-05-01 04:00:00"),
        ev("person3", "user signed up", "2021-05-01 05:00:00"),
        ev("person3", "paid", "2021-05-01 06:00:00"),
    ];
    let r = run(
        FunnelParams::new(["user signed up", "paid"]).exclude(Exclusion::new(
            StepMatch::named(x),
            0,
            1,
        )),
        &log,
    );
    assert_eq!(counts(&r), [2, 2]);
}

// test_funnel.py::test_funnel_exclusions_invalid_params: from 1 to 1, 1 to 2 (2 steps), 2 to
// 1 and 0 to 2 are refused.
#[test]
fn posthog_exclusions_invalid_params() {
    for (from, to) in [(1, 1), (1, 2), (2, 1), (0, 2)] {
        let p = FunnelParams::new(["user signed up", "paid"]).exclude(Exclusion::new(
            StepMatch::named("x"),
            from,
            to,
        ));
        assert!(p.check().is_err(), "{from} to {to}");
    }
}

// test_funnel_strict.py::test_basic_strict_funnel: 7 users enter, 2 reach step 2, 1 step 3.
#[test]
fn posthog_basic_strict_funnel() {
    let su = "user signed up";
    let pv = "$pageview";
    let iv = "insight viewed";
    let b = "blaah blaa";
    let log = journeys(&[
        ("stopped_after_signup1", &[su]),
        ("stopped_after_pageview1", &[pv, su]),
        ("stopped_after_insightview", &[su, pv, b, iv]),
        ("stopped_after_insightview2", &[iv, b, pv, su]),
        ("stopped_after_insightview3", &[pv, su, b, pv, iv]),
        ("person6", &[b, su, b, pv]),
        ("person7", &[b, su, pv, iv, b]),
        ("stopped_after_insightview6", &[iv, pv]),
    ]);
    let r = run(
        FunnelParams::new([su, pv, iv]).order(StepOrder::Strict),
        &log,
    );
    assert_eq!(counts(&r), [7, 2, 1]);
}

// test_funnel_strict.py::test_basic_strict_funnel_conversion_times: average conversion time
// 5,400 s to step 2 (1 h and 2 h), 7,200 s to step 3.
#[test]
fn posthog_strict_conversion_times() {
    let log = vec![
        ev("p1", "user signed up", "2021-05-02 00:00:00"),
        ev("p2", "user signed up", "2021-05-02 00:00:00"),
        ev("p2", "$pageview", "2021-05-02 01:00:00"),
        ev("p3", "user signed up", "2021-05-02 00:00:00"),
        ev("p3", "$pageview", "2021-05-02 02:00:00"),
        ev("p3", "insight viewed", "2021-05-02 04:00:00"),
    ];
    let r = run(
        FunnelParams::new(["user signed up", "$pageview", "insight viewed"])
            .order(StepOrder::Strict),
        &log,
    );
    assert_eq!(counts(&r), [3, 2, 1]);
    assert_eq!(r.steps[1].average_seconds, Some(5_400.0));
    assert_eq!(r.steps[2].average_seconds, Some(7_200.0));
    // Hand: the median of 3,600 and 7,200 is their mean; p3 converts in 4 h.
    assert_eq!(r.steps[1].median_seconds, Some(5_400.0));
    assert_eq!(r.time_to_convert.average_seconds, Some(14_400.0));
}

// Hand calculation: unordered steps. u1 does b then a (both steps, 1 h apart), u2 only a,
// u3 a and b 8 days apart (outside 7 days): [3, 1]; ordered, all three enter at their `a`
// and none does `b` after it within the window: [3, 0].
#[test]
fn unordered_hand() {
    let log = vec![
        ev("u1", "b", "2025-01-01 10:00:00"),
        ev("u1", "a", "2025-01-01 11:00:00"),
        ev("u2", "a", "2025-01-01 10:00:00"),
        ev("u3", "a", "2025-01-01 10:00:00"),
        ev("u3", "b", "2025-01-09 10:00:01"),
    ];
    let p = FunnelParams::new(["a", "b"]).window(TimeDelta::days(7));
    let r = run(p.clone().order(StepOrder::Unordered), &log);
    assert_eq!(counts(&r), [3, 1]);
    assert_eq!(r.steps[1].average_seconds, Some(3_600.0));
    assert_eq!(counts(&run(p, &log)), [3, 0]);
}

// Hand calculation: first entry vs every entry. The user enters on Jan 1 (no order within 7
// days) and again on Jan 20 (order a day later): every entry converts, first entry does not.
#[test]
fn first_versus_every_entry() {
    let log = vec![
        ev("u", "signup", "2025-01-01 00:00:00"),
        ev("u", "signup", "2025-01-20 00:00:00"),
        ev("u", "order", "2025-01-21 00:00:00"),
    ];
    let p = FunnelParams::new(["signup", "order"]).window(TimeDelta::days(7));
    assert_eq!(counts(&run(p.clone(), &log)), [1, 1]);
    assert_eq!(counts(&run(p.entry(Entry::First), &log)), [1, 0]);
}

// Hand calculation: breakdowns, trend, histogram, drop-off.
#[test]
fn breakdowns_trend_and_histogram() {
    #[derive(Debug, Clone)]
    struct Hit {
        who: u32,
        at: DateTime<Utc>,
        name: &'static str,
        browser: Option<&'static str>,
    }
    impl Event for Hit {
        type User = u32;
        fn user(&self) -> &u32 {
            &self.who
        }
        fn at(&self) -> DateTime<Utc> {
            self.at
        }
        fn name(&self) -> Option<&str> {
            Some(self.name)
        }
        fn property(&self, key: &str) -> Option<&str> {
            if key == "$browser" {
                self.browser
            } else {
                None
            }
        }
    }
    let h = |who, day, hour, name, browser| Hit {
        who,
        at: Utc.with_ymd_and_hms(2025, 1, day, hour, 0, 0).unwrap(),
        name,
        browser,
    };
    let log = vec![
        h(1, 1, 0, "visit", Some("Safari")),
        h(1, 1, 1, "buy", None),
        h(2, 1, 0, "visit", Some("Safari")),
        h(3, 2, 0, "visit", Some("Chrome")),
        h(3, 2, 3, "buy", Some("Safari")),
        h(4, 2, 0, "visit", None),
    ];
    let spec = FunnelParams::new(["visit", "buy"])
        .breakdown_by_property("$browser")
        .bins(2)
        .check()
        .unwrap();
    let outcomes = fold(FunnelSummary::new(spec), &log)
        .unwrap()
        .finish()
        .unwrap();
    let r = outcomes.report();
    assert_eq!(counts(&r), [4, 2]);
    assert_eq!(r.steps[1].dropped, 2);
    assert_eq!(r.steps[1].drop_off, Some(0.5));
    // Times to convert: 1 h and 3 h; two bins [3600, 7200) and [7200, 10800].
    assert_eq!(r.time_to_convert.median_seconds, Some(7_200.0));
    let bins: Vec<(f64, f64, u64)> = r
        .time_to_convert
        .histogram
        .iter()
        .map(|b| (b.from_seconds, b.to_seconds, b.users))
        .collect();
    assert_eq!(bins, [(3_600.0, 7_200.0, 1), (7_200.0, 10_800.0, 1)]);
    // By the entry event's browser: (none) u4; Chrome u3 (converted); Safari u1 (converted), u2.
    let groups: Vec<(String, Vec<u64>)> = r
        .breakdowns
        .iter()
        .map(|b| (b.value.clone(), b.steps.iter().map(|s| s.count).collect()))
        .collect();
    assert_eq!(
        groups,
        [
            ("(none)".to_string(), vec![1, 0]),
            ("Chrome".to_string(), vec![1, 1]),
            ("Safari".to_string(), vec![2, 1]),
        ]
    );
    // By a user attribute: odd / even ids.
    let by_parity =
        outcomes.report_by(&|u: &u32| Some(if u % 2 == 0 { "even" } else { "odd" }.to_string()));
    let groups: Vec<(String, Vec<u64>)> = by_parity
        .breakdowns
        .iter()
        .map(|b| (b.value.clone(), b.steps.iter().map(|s| s.count).collect()))
        .collect();
    assert_eq!(
        groups,
        [
            ("even".to_string(), vec![2, 0]),
            ("odd".to_string(), vec![2, 2])
        ]
    );
    // Trend by day: Jan 1 two entered, one converted; Jan 2 two entered, one converted.
    let trend = outcomes.trend(&Calendar::new(Utc, Interval::Day));
    let rows: Vec<(String, u64, u64)> = trend
        .periods
        .iter()
        .map(|p| (p.period.clone(), p.entered, p.converted))
        .collect();
    assert_eq!(
        rows,
        [
            ("2025-01-01".to_string(), 2, 1),
            ("2025-01-02".to_string(), 2, 1)
        ]
    );
    assert!(r.to_string().contains("Safari"));
}

// A predicate step: orders over 100 only.
#[test]
fn predicate_step() {
    let log = vec![
        ev("a", "visit", "2025-01-01 00:00:00"),
        ev("a", "order", "2025-01-01 01:00:00").with_amount(150.0),
        ev("b", "visit", "2025-01-01 00:00:00"),
        ev("b", "order", "2025-01-01 01:00:00").with_amount(20.0),
    ];
    let params = FunnelParams::with_steps([
        StepMatch::named("visit"),
        StepMatch::predicate("big order", |e| {
            e.name() == Some("order") && e.amount() > 100.0
        }),
    ]);
    assert_eq!(counts(&run(params.clone(), &log)), [2, 1]);
    // A predicate cannot be serialized: a clear error, not a panic.
    let s = fold(FunnelSummary::new(params.check().unwrap()), &log).unwrap();
    let err = serde_json::to_string(&s).unwrap_err().to_string();
    assert!(err.contains("predicate"), "{err}");
}

// The table road gives what the event road gives.
#[test]
fn table_road_equals_event_road() {
    let data = userops::sample::generate(&userops::sample::SampleConfig::new(300).seed(3)).unwrap();
    let table = EventTable::from_events(&data.events).unwrap();
    for order in [StepOrder::Ordered, StepOrder::Strict, StepOrder::Unordered] {
        let spec = FunnelParams::new(["signup", "browse", "search", "order"])
            .order(order)
            .window(TimeDelta::days(7))
            .check()
            .unwrap();
        let by_events = fold(FunnelSummary::new(spec.clone()), &data.events)
            .unwrap()
            .finish()
            .unwrap()
            .report();
        let mut by_table = FunnelSummary::new(spec);
        by_table.observe_table(&table).unwrap();
        assert_eq!(by_table.finish().unwrap().report(), by_events);
    }
}

fn arb_log() -> impl Strategy<Value = Vec<EventRecord<u8>>> {
    prop::collection::vec((0_u8..6, 0_i64..40, 0_usize..5), 0..60).prop_map(|v| {
        let names = ["a", "b", "c", "x", "z"];
        v.into_iter()
            .map(|(u, h, n)| {
                EventRecord::<u8>::new(u, DateTime::UNIX_EPOCH + TimeDelta::hours(h))
                    .with_name(names[n])
            })
            .collect()
    })
}

fn arb_params() -> impl Strategy<Value = FunnelParams> {
    (
        0_usize..3,
        1_i64..30,
        any::<bool>(),
        any::<bool>(),
        prop::option::of((0_i64..20, 0_i64..30)),
    )
        .prop_map(|(o, w, first, excl, range)| {
            let order = [StepOrder::Ordered, StepOrder::Strict, StepOrder::Unordered][o];
            let mut p = FunnelParams::new(["a", "b", "c"])
                .order(order)
                .window(TimeDelta::hours(w))
                .entry(if first { Entry::First } else { Entry::Every });
            if excl {
                p = p.exclude(Exclusion::new(StepMatch::named("x"), 0, 2));
            }
            if let Some((from, len)) = range {
                let from = DateTime::UNIX_EPOCH + TimeDelta::hours(from);
                p = p.date_range(from, from + TimeDelta::hours(len));
            }
            p
        })
}

/// An event with a browser, for the laws of breakdown attribution.
#[derive(Debug, Clone)]
struct Visit {
    who: u8,
    at: DateTime<Utc>,
    name: &'static str,
    browser: Option<&'static str>,
}

impl Event for Visit {
    type User = u8;
    fn user(&self) -> &u8 {
        &self.who
    }
    fn at(&self) -> DateTime<Utc> {
        self.at
    }
    fn name(&self) -> Option<&str> {
        Some(self.name)
    }
    fn property(&self, key: &str) -> Option<&str> {
        (key == "$browser").then_some(self.browser).flatten()
    }
}

fn arb_visits() -> impl Strategy<Value = Vec<Visit>> {
    prop::collection::vec((0_u8..5, 0_i64..30, 0_usize..4, 0_usize..4), 0..50).prop_map(|v| {
        let names = ["a", "b", "c", "x"];
        let browsers = [None, Some("Chrome"), Some("Safari"), Some("")];
        v.into_iter()
            .map(|(who, h, n, b)| Visit {
                who,
                at: DateTime::UNIX_EPOCH + TimeDelta::hours(h),
                name: names[n],
                browser: browsers[b],
            })
            .collect()
    })
}

proptest! {
    // Laws: merge of parts (through JSON) equals the whole; order does not matter.
    #[test]
    fn funnel_laws(log in arb_log(), params in arb_params(), cuts in prop::collection::vec(0_usize..60, 0..4), seed in any::<u64>()) {
        let spec = params.check().unwrap();
        let empty = || FunnelSummary::<u8>::new(spec.clone());
        let same = |a: &userops::funnel::FunnelOutcomes<u8>, b: &userops::funnel::FunnelOutcomes<u8>| {
            a.report() == b.report()
                && a.trend(&Calendar::new(Utc, Interval::Day)) == b.trend(&Calendar::new(Utc, Interval::Day))
        };
        laws::serde_merge_law(empty, &log, &cuts, same).map_err(TestCaseError::fail)?;
        let mut perm: Vec<usize> = (0..log.len()).collect();
        let mut rng = userops::sample::Rng::new(seed);
        for i in (1..perm.len()).rev() {
            perm.swap(i, rng.below(i as u64 + 1) as usize);
        }
        laws::order_law(empty, &log, &perm, same).map_err(TestCaseError::fail)?;
    }

    // The table road (a fresh summary stores its events by user) gives what the event road
    // gives: for a whole table, and for a table read in two row ranges (the second range
    // appended to a log stored by user).
    #[test]
    fn funnel_table_road(log in arb_log(), params in arb_params(), cut in 0_usize..60) {
        let spec = params.check().unwrap();
        let table = EventTable::from_events(&log).unwrap();
        let by_events = fold(FunnelSummary::new(spec.clone()), &log).unwrap().finish().unwrap();
        let day = Calendar::new(Utc, Interval::Day);
        let mut whole = FunnelSummary::new(spec.clone());
        whole.observe_table(&table).unwrap();
        let whole = whole.finish().unwrap();
        prop_assert_eq!(whole.report(), by_events.report());
        prop_assert_eq!(whole.trend(&day), by_events.trend(&day));
        let cut = cut.min(table.len());
        let mut parts = FunnelSummary::new(spec.clone());
        parts.observe_rows(&table, 0..cut).unwrap();
        parts.observe_rows(&table, cut..table.len()).unwrap();
        prop_assert_eq!(parts.finish().unwrap().report(), by_events.report());
        // Two parts cut by user, each a fresh summary sharing the table's users, merged.
        let u = (cut as u32).min(table.users().len() as u32);
        let mut merged = FunnelSummary::new(spec.clone());
        for users in [0..u, u..u32::MAX] {
            let mut part = FunnelSummary::new(spec.clone());
            part.observe_part(&table, &userops::engine::TablePart::users(users)).unwrap();
            merged.merge(part).unwrap();
        }
        let merged = merged.finish().unwrap();
        prop_assert_eq!(merged.report(), by_events.report());
        prop_assert_eq!(merged.trend(&day), by_events.trend(&day));
    }

    // The same laws for a breakdown under each attribution.
    #[test]
    fn funnel_attribution_laws(log in arb_visits(), a in 0_usize..5, ordered in any::<bool>(), cuts in prop::collection::vec(0_usize..50, 0..4), seed in any::<u64>()) {
        let attribution = [Attribution::FirstTouch, Attribution::LastTouch, Attribution::AllEvents, Attribution::Step(0), Attribution::Step(1)][a];
        let order = if ordered || attribution == Attribution::Step(1) { StepOrder::Ordered } else { StepOrder::Unordered };
        let spec = FunnelParams::new(["a", "b", "c"])
            .order(order)
            .window(TimeDelta::hours(12))
            .breakdown_by_property("$browser")
            .attribution(attribution)
            .check()
            .unwrap();
        let empty = || FunnelSummary::<u8>::new(spec.clone());
        let same = |a: &userops::funnel::FunnelOutcomes<u8>, b: &userops::funnel::FunnelOutcomes<u8>| {
            let sorted = |o: &userops::funnel::FunnelOutcomes<u8>| {
                let mut v: Vec<_> = o.users().collect();
                v.sort_by_key(|u| u.user);
                v
            };
            a.report() == b.report() && sorted(a) == sorted(b)
        };
        laws::serde_merge_law(empty, &log, &cuts, same).map_err(TestCaseError::fail)?;
        let mut perm: Vec<usize> = (0..log.len()).collect();
        let mut rng = userops::sample::Rng::new(seed);
        for i in (1..perm.len()).rev() {
            perm.swap(i, rng.below(i as u64 + 1) as usize);
        }
        laws::order_law(empty, &log, &perm, same).map_err(TestCaseError::fail)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Date range and breakdown attribution, from PostHog's funnel tests.

/// An event with event properties, as PostHog's `journeys_for` makes them.
#[derive(Debug, Clone)]
struct Hit {
    who: &'static str,
    at: DateTime<Utc>,
    name: &'static str,
    props: Vec<(&'static str, &'static str)>,
}

impl Event for Hit {
    type User = &'static str;
    fn user(&self) -> &&'static str {
        &self.who
    }
    fn at(&self) -> DateTime<Utc> {
        self.at
    }
    fn name(&self) -> Option<&str> {
        Some(self.name)
    }
    fn property(&self, key: &str) -> Option<&str> {
        self.props.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

/// `who` did `name` on 2020-01-`day` at `hour`:`minute` UTC with the properties.
fn hit(
    who: &'static str,
    name: &'static str,
    day: u32,
    hour: u32,
    minute: u32,
    props: &[(&'static str, &'static str)],
) -> Hit {
    Hit {
        who,
        at: Utc.with_ymd_and_hms(2020, 1, day, hour, minute, 0).unwrap(),
        name,
        props: props.to_vec(),
    }
}

/// PostHog's `date_from` / `date_to` given as days: from the first day's start to the last
/// day's end (QueryDateRange), both inclusive.
fn days(from: u32, to: u32) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        Utc.with_ymd_and_hms(2020, 1, from, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2020, 1, to, 23, 59, 59).unwrap() + TimeDelta::microseconds(999_999),
    )
}

fn run_hits(params: FunnelParams, log: &[Hit]) -> FunnelReport {
    fold(FunnelSummary::new(params.check().unwrap()), log)
        .unwrap()
        .finish()
        .unwrap()
        .report()
}

/// Each breakdown group: (value, users per step, average and median seconds of the last step).
type Group = (String, Vec<u64>, Option<f64>, Option<f64>);

fn groups(r: &FunnelReport) -> Vec<Group> {
    r.breakdowns
        .iter()
        .map(|b| {
            let last = b.steps.last().unwrap();
            (
                b.value.clone(),
                b.steps.iter().map(|s| s.count).collect(),
                last.average_seconds,
                last.median_seconds,
            )
        })
        .collect()
}

fn group(value: &str, counts: &[u64], seconds: Option<f64>) -> Group {
    (value.to_string(), counts.to_vec(), seconds, seconds)
}

/// The funnel of PostHog's breakdown tests: sign up → buy, 7 days, 2020-01-01 to 2020-01-08,
/// broken down by `$browser` (PostHog's `""` group is our `(none)`).
fn browser_funnel(attribution: Attribution) -> FunnelParams {
    let (from, to) = days(1, 8);
    FunnelParams::new(["sign up", "buy"])
        .window(TimeDelta::days(7))
        .date_range(from, to)
        .breakdown_by_property("$browser")
        .attribution(attribution)
}

/// The persons of test_funnel_step_breakdown_with_{first,last}_touch_attribution
/// (breakdown_cases.py); `alakazam` is spelled `Alakazam` in the last-touch test.
fn touch_people(alakazam: &'static str) -> Vec<Hit> {
    vec![
        hit("person1", "sign up", 1, 12, 0, &[("$browser", "Chrome")]),
        hit("person1", "buy", 1, 13, 0, &[]),
        hit("person2", "sign up", 1, 13, 0, &[]),
        hit("person2", "buy", 2, 13, 0, &[("$browser", "Safari")]),
        hit("person3", "sign up", 2, 14, 0, &[("$browser", "Mac")]),
        hit("person3", "buy", 2, 15, 0, &[]),
        hit("person4", "sign up", 2, 15, 0, &[("$browser", "0")]),
        hit("person4", "buy", 2, 16, 0, &[("$browser", alakazam)]),
        hit("person5", "sign up", 2, 15, 0, &[]),
        hit("person5", "buy", 2, 16, 0, &[]),
    ]
}

// test_funnel.py::test_basic_funnel_default_funnel_days: date_from 2020-01-01, date_to
// 2020-01-14, the default 14-day window; one user signs up on the 2nd and pays on the 10th:
// 1 → 1, 691,200 s (8 days).
#[test]
fn posthog_basic_funnel_default_funnel_days() {
    let log = vec![
        ev("user_1", "user signed up", "2020-01-02 14:00:00"),
        ev("user_1", "paid", "2020-01-10 14:00:00"),
    ];
    let (from, to) = days(1, 14);
    let r = run(
        FunnelParams::new(["user signed up", "paid"]).date_range(from, to),
        &log,
    );
    assert_eq!(counts(&r), [1, 1]);
    assert_eq!(r.steps[1].average_seconds, Some(691_200.0));
    assert_eq!(r.steps[1].median_seconds, Some(691_200.0));
}

// Hand calculation on the journey above, from PostHog's funnel_event_query.py
// (`_date_range_expr`: every event of the funnel query, whatever its step, is filtered to
// `timestamp >= date_from AND timestamp <= date_to`): a payment after date_to is not seen
// even inside the 14-day window, and a sign-up before date_from does not enter.
#[test]
fn date_range_filters_every_step() {
    let (from, to) = days(1, 14);
    let params = || FunnelParams::new(["user signed up", "paid"]).date_range(from, to);
    let late_payment = vec![
        ev("u", "user signed up", "2020-01-10 14:00:00"),
        ev("u", "paid", "2020-01-15 09:00:00"), // 5 days later, after date_to
    ];
    assert_eq!(counts(&run(params(), &late_payment)), [1, 0]);
    let open = FunnelParams::new(["user signed up", "paid"]);
    assert_eq!(counts(&run(open, &late_payment)), [1, 1]);
    let early_signup = vec![
        ev("u", "user signed up", "2019-12-31 23:00:00"),
        ev("u", "paid", "2020-01-01 01:00:00"),
    ];
    let r = run(params(), &early_signup);
    assert_eq!(counts(&r), [0, 0]);
    assert_eq!(r.events_unmatched, 1); // the sign-up outside the range, counted
    // The edges are inclusive: date_to's last microsecond is in.
    let edge = vec![
        Rec::new("u", from).with_name("user signed up"),
        Rec::new("u", to).with_name("paid"),
    ];
    assert_eq!(counts(&run(params(), &edge)), [1, 1]);
    // The same on the table road.
    let table = EventTable::from_events(&late_payment).unwrap();
    let mut s = FunnelSummary::new(params().check().unwrap());
    s.observe_table(&table).unwrap();
    assert_eq!(counts(&s.finish().unwrap().report()), [1, 0]);
}

// breakdown_cases.py::test_funnel_step_breakdown_with_first_touch_attribution.
#[test]
fn posthog_breakdown_first_touch() {
    let r = run_hits(
        browser_funnel(Attribution::FirstTouch),
        &touch_people("alakazam"),
    );
    assert_eq!(
        groups(&r),
        [
            group("(none)", &[1, 1], Some(3_600.0)), // person5
            group("0", &[1, 1], Some(3_600.0)),      // person4: alakazam disregarded
            group("Chrome", &[1, 1], Some(3_600.0)),
            group("Mac", &[1, 1], Some(3_600.0)),
            group("Safari", &[1, 1], Some(86_400.0)), // person2: the buy's value
        ]
    );
}

// breakdown_cases.py::test_funnel_step_breakdown_with_last_touch_attribution.
#[test]
fn posthog_breakdown_last_touch() {
    let r = run_hits(
        browser_funnel(Attribution::LastTouch),
        &touch_people("Alakazam"),
    );
    assert_eq!(
        groups(&r),
        [
            group("(none)", &[1, 1], Some(3_600.0)),
            group("Alakazam", &[1, 1], Some(3_600.0)), // person4: 0 disregarded
            group("Chrome", &[1, 1], Some(3_600.0)),
            group("Mac", &[1, 1], Some(3_600.0)),
            group("Safari", &[1, 1], Some(86_400.0)),
        ]
    );
}

// breakdown_cases.py::test_funnel_step_breakdown_with_step_attribution (step 0; person5 is
// not in that test).
#[test]
fn posthog_breakdown_step_zero() {
    let people: Vec<Hit> = touch_people("alakazam")
        .into_iter()
        .filter(|h| h.who != "person5")
        .collect();
    let r = run_hits(browser_funnel(Attribution::Step(0)), &people);
    assert_eq!(
        groups(&r),
        [
            group("(none)", &[1, 1], Some(86_400.0)), // person2
            group("0", &[1, 1], Some(3_600.0)),
            group("Chrome", &[1, 1], Some(3_600.0)),
            group("Mac", &[1, 1], Some(3_600.0)),
        ]
    );
}

// breakdown_cases.py::test_funnel_step_breakdown_with_step_one_attribution: Chrome and Mac go
// away, Safari comes back.
#[test]
fn posthog_breakdown_step_one() {
    let people: Vec<Hit> = touch_people("alakazam")
        .into_iter()
        .filter(|h| h.who != "person5")
        .collect();
    let r = run_hits(browser_funnel(Attribution::Step(1)), &people);
    assert_eq!(
        groups(&r),
        [
            group("(none)", &[2, 2], Some(3_600.0)), // person1, person3
            group("Safari", &[1, 1], Some(86_400.0)),
            group("alakazam", &[1, 1], Some(3_600.0)),
        ]
    );
}

// breakdown_cases.py::test_funnel_step_breakdown_with_step_one_attribution_incomplete_funnel
// (and its non-array twin): persons who never reach step 1 are left out of the breakdown.
#[test]
fn posthog_breakdown_step_one_incomplete_funnel() {
    let people = vec![
        hit("person1", "sign up", 1, 12, 0, &[("$browser", "Chrome")]),
        hit("person1", "buy", 1, 13, 0, &[]),
        hit("person2", "sign up", 1, 13, 0, &[]),
        hit("person3", "sign up", 2, 14, 0, &[("$browser", "Mac")]),
        hit("person4", "sign up", 2, 15, 0, &[("$browser", "0")]),
        hit("person4", "buy", 2, 16, 0, &[("$browser", "alakazam")]),
    ];
    let r = run_hits(browser_funnel(Attribution::Step(1)), &people);
    assert_eq!(
        groups(&r),
        [
            group("(none)", &[1, 1], Some(3_600.0)),
            group("alakazam", &[1, 1], Some(3_600.0)),
        ]
    );
    // The funnel over everyone still has all four.
    assert_eq!(counts(&r), [4, 2]);
}

// breakdown_cases.py::test_funnel_step_breakdown_event_single_person_events_with_multiple_properties
// (all_events): one person counts under Chrome (1 → 0) and under Safari (1 → 1, 3,600 s).
#[test]
fn posthog_breakdown_all_events() {
    let (from, to) = days(1, 8);
    let params = FunnelParams::new(["sign up", "play movie"])
        .window(TimeDelta::days(7))
        .date_range(from, to)
        .breakdown_by_property("$browser")
        .attribution(Attribution::AllEvents);
    let log = vec![
        hit("person1", "sign up", 1, 12, 0, &[("$browser", "Chrome")]),
        hit(
            "person1",
            "play movie",
            2,
            12,
            30,
            &[("$browser", "Safari")],
        ),
        hit("person1", "sign up", 2, 13, 0, &[("$browser", "Safari")]),
        hit("person1", "play movie", 2, 14, 0, &[("$browser", "Safari")]),
    ];
    let r = run_hits(params, &log);
    assert_eq!(
        groups(&r),
        [
            group("Chrome", &[1, 0], None),
            group("Safari", &[1, 1], Some(3_600.0)),
        ]
    );
}

/// The persons of test_funnel_breakdown_correct_breakdown_props_are_chosen(_for_step).
fn props_people() -> Vec<Hit> {
    vec![
        hit(
            "person1",
            "sign up",
            1,
            12,
            0,
            &[("$browser", "Chrome"), ("$version", "xyz")],
        ),
        hit("person1", "buy", 1, 13, 0, &[("$browser", "Chrome")]), // fails step 1's filter
        hit("person2", "sign up", 1, 13, 0, &[]),
        hit(
            "person2",
            "buy",
            2,
            13,
            0,
            &[("$browser", "Safari"), ("$version", "xyz")],
        ),
        hit("person3", "sign up", 2, 14, 0, &[("$browser", "Mac")]),
        hit(
            "person3",
            "buy",
            2,
            15,
            0,
            &[("$version", "xyz"), ("$browser", "Mac")],
        ),
        hit("person5", "sign up", 2, 15, 0, &[]),
        hit("person5", "buy", 2, 16, 0, &[]),
    ]
}

fn props_funnel(attribution: Attribution) -> FunnelParams {
    let (from, to) = days(1, 8);
    FunnelParams::with_steps([
        StepMatch::named("sign up"),
        StepMatch::predicate("buy with $version xyz", |e| {
            e.name() == Some("buy") && e.property("$version") == Some("xyz")
        }),
    ])
    .window(TimeDelta::days(7))
    .date_range(from, to)
    .breakdown_by_property("$browser")
    .attribution(attribution)
}

// breakdown_cases.py::test_funnel_breakdown_correct_breakdown_props_are_chosen: four groups,
// Mac, Chrome, Safari and "".
#[test]
fn posthog_breakdown_props_are_chosen_first_touch() {
    let r = run_hits(props_funnel(Attribution::FirstTouch), &props_people());
    let values: Vec<String> = r.breakdowns.iter().map(|b| b.value.clone()).collect();
    assert_eq!(values, ["(none)", "Chrome", "Mac", "Safari"]);
}

// breakdown_cases.py::test_funnel_breakdown_correct_breakdown_props_are_chosen_for_step
// (step 1): only Mac and Safari.
#[test]
fn posthog_breakdown_props_are_chosen_for_step() {
    let r = run_hits(props_funnel(Attribution::Step(1)), &props_people());
    let values: Vec<String> = r.breakdowns.iter().map(|b| b.value.clone()).collect();
    assert_eq!(values, ["Mac", "Safari"]);
}

// test_funnel_unordered.py (breakdown tests): "we don't support non step 0 attribution in
// unordered funnels", a ValidationError; and settings that cannot hold.
#[test]
fn attribution_and_range_checked() {
    let unordered = browser_funnel(Attribution::Step(1)).order(StepOrder::Unordered);
    assert!(unordered.check().is_err());
    assert!(browser_funnel(Attribution::Step(2)).check().is_err());
    let (from, to) = days(1, 8);
    assert!(
        FunnelParams::new(["a", "b"])
            .date_range(to, from)
            .check()
            .is_err()
    );
    // A checked spec with both round-trips through serde.
    let spec = browser_funnel(Attribution::Step(1)).check().unwrap();
    let back: userops::funnel::FunnelSpec =
        serde_json::from_str(&serde_json::to_string(&spec).unwrap()).unwrap();
    assert_eq!(back, spec);
}
