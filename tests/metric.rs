//! Metric tree, value, key users and preferences: hand-computed logs and property tests.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use userops::event::{Event, EventRecord};
use userops::fold::{Summary, fold, laws};
use userops::metric::*;
use userops::quadrant::{Frequency, Payment, Quadrant};
use userops::time::Zone;

fn t(m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, m, d, h, 0, 0).unwrap()
}

fn standard() -> Arc<MetricTree<EventRecord<u32>>> {
    Arc::new(MetricTree::standard().build().unwrap())
}

fn january() -> Window {
    Window::new(t(1, 1, 0), t(1, 31, 0)).unwrap() // 30 days
}

fn small_log() -> Vec<EventRecord<u32>> {
    vec![
        EventRecord::new(1_u32, t(1, 1, 10))
            .with_name("browse")
            .with_duration(TimeDelta::seconds(600)),
        EventRecord::new(1_u32, t(1, 1, 11))
            .with_name("order")
            .with_amount(20.0),
        EventRecord::new(1_u32, t(1, 3, 9))
            .with_name("browse")
            .with_duration(TimeDelta::seconds(300)),
        EventRecord::new(2_u32, t(1, 2, 9))
            .with_name("search")
            .with_duration(TimeDelta::seconds(120)),
        // Outside the window: skipped and counted.
        EventRecord::new(2_u32, t(2, 2, 9)).with_amount(99.0),
    ]
}

fn get(r: &MetricReport<u32>, user: u32, metric: &str) -> f64 {
    r.value(
        r.user_index(&user).unwrap(),
        r.metric_index(metric).unwrap(),
    )
    .unwrap()
}

#[test]
fn standard_tree_by_hand() {
    let r = fold(MetricSummary::new(standard(), Utc, january()), small_log())
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(r.users, [1, 2]);
    assert_eq!(r.outside_window, 1);
    // User 1: 600 s + 300 s = 15 minutes over 2 active days (Jan 1 and 3).
    assert_eq!(get(&r, 1, "time_spent"), 15.0);
    assert_eq!(get(&r, 1, "minutes_per_active_day"), 7.5);
    assert_eq!(get(&r, 1, "sessions"), 2.0);
    assert_eq!(get(&r, 1, "visit_frequency"), 2.0);
    assert_eq!(get(&r, 1, "events"), 3.0);
    assert_eq!(get(&r, 1, "events_per_active_day"), 1.5);
    assert_eq!(get(&r, 1, "revenue"), 20.0);
    assert_eq!(get(&r, 1, "payments"), 1.0);
    assert_eq!(get(&r, 1, "revenue_per_payment"), 20.0);
    // 20 over a 30-day window = 20 / (30 / 30.4375) per month = 20.291666…
    assert!((get(&r, 1, "arpu") - 20.0 * 30.4375 / 30.0).abs() < 1e-12);
    assert_eq!(get(&r, 1, "paid"), 1.0);
    assert_eq!(get(&r, 1, "revenue_per_active_day"), 10.0);
    // User 2: one 2-minute search on one day, nothing paid; a ratio over 0 payments is 0.
    assert_eq!(get(&r, 2, "time_spent"), 2.0);
    assert_eq!(get(&r, 2, "visit_frequency"), 1.0);
    assert_eq!(get(&r, 2, "revenue_per_payment"), 0.0);
    assert_eq!(get(&r, 2, "paid"), 0.0);

    let pop = population(&r, 4).unwrap();
    let visits = pop.metric("visit_frequency").unwrap();
    assert_eq!(
        (visits.mean, visits.median, visits.min, visits.max),
        (1.5, 1.5, 1.0, 2.0)
    );
    // R: quantile(c(2, 15), 0.9) = 2 + 0.9 * 13 = 13.7
    assert!((pop.metric("time_spent").unwrap().quantile(0.9).unwrap() - 13.7).abs() < 1e-12);
    assert_eq!(visits.histogram.counts, vec![1, 0, 0, 1]);
    let text = pop.to_string();
    assert!(text.contains("  minutes_per_active_day"), "{text}");
}

#[test]
fn active_days_are_local_days() {
    // 23:30 and 00:30 UTC: two UTC days, one day in UTC+08:00 (07:30 and 08:30 on the 2nd).
    let a = Utc.with_ymd_and_hms(2025, 1, 1, 23, 30, 0).unwrap();
    let log: Vec<EventRecord<u32>> = vec![
        EventRecord::new(1_u32, a),
        EventRecord::new(1_u32, a + TimeDelta::hours(1)),
    ];
    let days = |zone: Zone| {
        let r = fold(MetricSummary::new(standard(), zone, january()), &log)
            .unwrap()
            .finish()
            .unwrap();
        get(&r, 1, "visit_frequency")
    };
    assert_eq!(days(Zone::Utc), 2.0);
    assert_eq!(days(Zone::parse("+08:00").unwrap()), 1.0);
    assert_eq!(days(Zone::parse("America/New_York").unwrap()), 1.0);
}

/// The host's own event type in a Q&A community.
#[derive(Debug, Clone)]
struct Qa {
    user: u64,
    at: DateTime<Utc>,
    kind: &'static str,
    /// Likes the post received (on "liked" notifications).
    likes: u32,
}

impl Event for Qa {
    type User = u64;
    fn user(&self) -> &u64 {
        &self.user
    }
    fn at(&self) -> DateTime<Utc> {
        self.at
    }
    fn name(&self) -> Option<&str> {
        Some(self.kind)
    }
}

struct LikesReceived;
impl SecondaryMetric<Qa> for LikesReceived {
    fn name(&self) -> &str {
        "likes_received"
    }
    fn observe(&self, e: &Qa) -> f64 {
        f64::from(e.likes)
    }
}

struct Followers;
impl SecondaryMetric<Qa> for Followers {
    fn name(&self) -> &str {
        "followers"
    }
    fn observe(&self, e: &Qa) -> f64 {
        match e.kind {
            "followed" => 1.0,
            "unfollowed" => -1.0,
            _ => 0.0,
        }
    }
}

#[test]
fn host_defined_secondary_metrics_of_a_qa_community() {
    let tree = MetricTree::builder()
        .primary("time_on_site", Measure::ActiveDays)
        .secondary("time_on_site", "posts_viewed", Measure::count("view"))
        .secondary(
            "time_on_site",
            "posts_viewed_per_day",
            Measure::per_active_day("posts_viewed"),
        )
        .secondary("time_on_site", "answers", Measure::count("answer"))
        .secondary(
            "time_on_site",
            "answers_per_day",
            Measure::per_active_day("answers"),
        )
        .host("time_on_site", LikesReceived)
        .host("time_on_site", Followers)
        .build()
        .unwrap();
    let e = |d, kind, likes| Qa {
        user: 42,
        at: t(3, d, 12),
        kind,
        likes,
    };
    // Day 1: 3 views, 1 answer. Day 2: 1 view, 1 answer, its answer liked 5 times,
    // 2 follows. Day 4: 2 views, 1 unfollow. Active days 3.
    let log = vec![
        e(1, "view", 0),
        e(1, "view", 0),
        e(1, "view", 0),
        e(1, "answer", 0),
        e(2, "view", 0),
        e(2, "answer", 0),
        e(2, "liked", 5),
        e(2, "followed", 0),
        e(2, "followed", 0),
        e(4, "view", 0),
        e(4, "view", 0),
        e(4, "unfollowed", 0),
    ];
    let window = Window::new(t(3, 1, 0), t(4, 1, 0)).unwrap();
    let r = fold(MetricSummary::new(Arc::new(tree), Utc, window), &log)
        .unwrap()
        .finish()
        .unwrap();
    // Columns in definition order: active days 3; views 6 (2 per day); answers 2 (2/3 per
    // day); likes 5; followers 2 - 1 = 1.
    let row = r.row(0).unwrap();
    assert_eq!(&row[..4], &[3.0, 6.0, 2.0, 2.0]);
    assert!((row[4] - 2.0 / 3.0).abs() < 1e-15);
    assert_eq!(&row[5..], &[5.0, 1.0]);
    assert_eq!(r.metrics[5].name, "likes_received");
    assert_eq!(r.metrics[5].measure, Measure::Host);
}

#[test]
fn value_from_the_quadrant_by_hand() {
    // Paid, low-frequency product: weights = revenue only.
    let weights = ValueWeights::for_quadrant(&Quadrant {
        frequency: Frequency::Low,
        payment: Payment::Direct,
    });
    let r = fold(MetricSummary::new(standard(), Utc, january()), small_log())
        .unwrap()
        .finish()
        .unwrap();
    let v = value_scores(&r, &weights, &TierParams::default()).unwrap();
    // Revenue 20 and 0, mean |revenue| 10: scores 2 and 0.
    assert_eq!(v.users[0].score, 2.0);
    assert_eq!(v.users[1].score, 0.0);
    // Median 1.0, p80 1.6: user 1 is high (2 > 1.6), user 2 low.
    assert_eq!((v.users[0].tier, v.users[1].tier), (2, 0));
    // Top 20% of 2 users = 0.4 of the top user: 0.8 of 2 = 0.4 share.
    assert!((v.pareto_share - 0.4).abs() < 1e-12);
    assert_eq!(v.tiers.iter().map(|t| t.users).sum::<u64>(), 2);
    assert!(v.to_string().contains("Pareto share"));
}

#[test]
fn growth_levers_by_hand() {
    let tree = standard();
    // Earlier period (January): user 1 visits 4 days and pays 50; user 2 visits 4 days and
    // pays nothing; users 3..5 visit 1 day.
    let mut jan = Vec::new();
    for d in 1..=4 {
        jan.push(EventRecord::<u32>::new(1_u32, t(1, d, 9)));
        jan.push(EventRecord::<u32>::new(2_u32, t(1, d, 9)));
    }
    jan.push(EventRecord::<u32>::new(1_u32, t(1, 2, 10)).with_amount(50.0));
    for u in 3..=5_u32 {
        jan.push(EventRecord::<u32>::new(u, t(1, 5, 9)));
    }
    let before = fold(MetricSummary::new(Arc::clone(&tree), Utc, january()), &jan)
        .unwrap()
        .finish()
        .unwrap();
    let weights = ValueWeights::new([("revenue", 3.0), ("visit_frequency", 1.0)]).unwrap();
    let value = value_scores(&before, &weights, &TierParams::default()).unwrap();
    // mean revenue 10, mean visits (4+4+1+1+1)/5 = 2.2.
    // user 1: 0.75*5 + 0.25*4/2.2; user 2: 0.25*4/2.2; others 0.25*1/2.2.
    let s1 = 0.75 * 5.0 + 0.25 * 4.0 / 2.2;
    assert!((value.users[0].score - s1).abs() < 1e-12);
    assert_eq!(value.users[0].tier, 2);
    // User 2 behaves like user 1 (4 visits >= the top tier's median 4) but pays 0 < 25.
    let c = conversion_candidates(&before, &value, &CandidateParams::default()).unwrap();
    assert_eq!(c.users.iter().map(|c| c.user).collect::<Vec<_>>(), [2]);
    // Bars: the top tier's median visits 4; half its median revenue, 0.5 * 50 = 25.
    assert_eq!((c.engagement_bar, c.money_bar), (4.0, 25.0));

    // Later period (February, same length): user 1 visits 2 days (-50%), user 2 visits 4.
    let feb_window = Window::new(t(1, 31, 0), t(3, 2, 0)).unwrap();
    let feb: Vec<EventRecord<u32>> = vec![
        EventRecord::new(1_u32, t(2, 1, 9)),
        EventRecord::new(1_u32, t(2, 2, 9)),
        EventRecord::new(2_u32, t(2, 1, 9)),
        EventRecord::new(2_u32, t(2, 2, 9)),
        EventRecord::new(2_u32, t(2, 3, 9)),
        EventRecord::new(2_u32, t(2, 4, 9)),
    ];
    let after = fold(MetricSummary::new(Arc::clone(&tree), Utc, feb_window), &feb)
        .unwrap()
        .finish()
        .unwrap();
    let falling = falling_usage(&before, &value, &after, &FallingParams::default()).unwrap();
    assert_eq!(falling.high_value_users, 1);
    assert_eq!(falling.users.len(), 1);
    assert_eq!(
        (
            falling.users[0].user,
            falling.users[0].before,
            falling.users[0].after
        ),
        (1, 4.0, 2.0)
    );
    assert_eq!(falling.users[0].change, -0.5);

    let lift = global_lift(&before, &after).unwrap();
    let visits = lift
        .metrics
        .iter()
        .find(|m| m.metric == "visit_frequency")
        .unwrap();
    // Before: 4, 4, 1, 1, 1 (mean 2.2, median 1); after: 2, 4 (mean 3); both above 1.
    assert!((visits.mean_before - 2.2).abs() < 1e-12);
    assert_eq!((visits.mean_after, visits.median_before), (3.0, 1.0));
    assert_eq!(visits.share_above_previous_median, 1.0);
    assert!((visits.mean_change.unwrap() - (3.0 / 2.2 - 1.0)).abs() < 1e-12);
}

#[test]
fn key_users_cap_and_stable_holdout() {
    let scored: Vec<(u64, f64)> = (0..5_000_u64).map(|u| (u, (u % 97) as f64)).collect();
    let p = KeyUserParams::new(20_000, 0.25, "campaign-7").unwrap();
    let a = key_users("value score", scored.clone(), &p);
    assert_eq!(a.users.len(), 1_000); // capped at the default 1,000
    assert_eq!(a.requested, 20_000);
    assert_eq!(a.treatment + a.holdout, 1_000);
    assert!(a.users.windows(2).all(|w| w[0].score >= w[1].score));
    // Same users, reversed input order: same picks, same sides.
    let mut reversed = scored;
    reversed.reverse();
    let b = key_users("value score", reversed, &p);
    assert_eq!(a, b);
    // The side depends on the user and salt only, not on who else is picked.
    for u in &a.users {
        assert_eq!(u.holdout, holdout(&u.user, "campaign-7", 0.25));
    }
    let share = a.holdout as f64 / 1_000.0;
    assert!((0.2..0.3).contains(&share), "{share}");
}

#[test]
fn preference_shares_by_hand() {
    let as_of = Utc.with_ymd_and_hms(2025, 3, 31, 23, 0, 0).unwrap();
    let log: Vec<EventRecord<u32>> = vec![
        // u1: January car_control + community, February car_control, March car_control +
        // activities -> 3 active months: car_control 3/3, community 1/3, activities 1/3.
        EventRecord::new(1_u32, t(1, 5, 9)).with_name("car_control"),
        EventRecord::new(1_u32, t(1, 6, 9)).with_name("community"),
        EventRecord::new(1_u32, t(2, 5, 9)).with_name("car_control"),
        EventRecord::new(1_u32, t(3, 5, 9)).with_name("car_control"),
        EventRecord::new(1_u32, t(3, 7, 9)).with_name("activities"),
        // u2: active only in February: community twice and activities -> both 1/1.
        EventRecord::new(2_u32, t(2, 1, 9)).with_name("community"),
        EventRecord::new(2_u32, t(2, 9, 9)).with_name("community"),
        EventRecord::new(2_u32, t(2, 9, 10)).with_name("activities"),
        // u3: December 2024 (before the window) and April (after as_of): skipped.
        EventRecord::new(3_u32, Utc.with_ymd_and_hms(2024, 12, 20, 0, 0, 0).unwrap())
            .with_name("community"),
        EventRecord::new(3_u32, t(4, 1, 9)).with_name("community"),
        // u4: one unnamed event in March: active, no feature.
        EventRecord::new(4_u32, t(3, 3, 9)),
    ];
    let r = fold(PreferenceSummary::months(Zone::Utc, as_of).unwrap(), &log)
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(
        r.periods.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        ["2025-01", "2025-02", "2025-03"]
    );
    assert_eq!(r.outside_window, 2);
    assert_eq!(
        r.users.iter().map(|u| u.user).collect::<Vec<_>>(),
        [1, 2, 4]
    );
    let u1 = &r.users[0];
    assert_eq!(u1.active_periods, 3);
    let shares: Vec<(&str, f64)> = u1
        .shares
        .iter()
        .map(|s| (s.feature.as_str(), s.share))
        .collect();
    assert_eq!(
        shares,
        [
            ("car_control", 1.0),
            ("activities", 1.0 / 3.0),
            ("community", 1.0 / 3.0)
        ]
    );
    assert_eq!(u1.tags(2, 0.3), ["car_control", "activities"]);
    assert_eq!(u1.tags(3, 0.5), ["car_control"]);
    let u2 = &r.users[1];
    assert_eq!(u2.active_periods, 1);
    assert_eq!(
        u2.shares.iter().map(|s| s.share).collect::<Vec<_>>(),
        [1.0, 1.0]
    );
    assert_eq!((r.users[2].active_periods, r.users[2].shares.len()), (1, 0));

    // Profile of {u1, u2}: activities (1/3 + 1)/2 = 2/3, community 2/3, car_control 1/2.
    let g = r.profile(|u| *u <= 2);
    assert_eq!(g.users, 2);
    let rows: Vec<(&str, u64)> = g
        .features
        .iter()
        .map(|f| (f.feature.as_str(), f.users_using))
        .collect();
    assert_eq!(
        rows,
        [("activities", 2), ("community", 2), ("car_control", 1)]
    );
    assert!((g.features[0].mean_share - 2.0 / 3.0).abs() < 1e-15);
    assert_eq!(g.features[2].mean_share, 0.5);
    assert_eq!(g.features[2].share_of_users, 0.5);
}

/// Compares two JSON values, numbers within 1e-12 relative (serde_json's default float parser
/// may be one ulp off).
fn json_close(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value::*;
    match (a, b) {
        (Number(x), Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            laws::close(x, y, 1e-12)
        }
        (Array(x), Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_close(p, q))
        }
        (Object(x), Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_close(v, w)))
        }
        _ => a == b,
    }
}

fn round_trips<T: Serialize + DeserializeOwned>(x: &T) -> bool {
    let text = serde_json::to_string(x).unwrap();
    let back: T = serde_json::from_str(&text).unwrap();
    json_close(
        &serde_json::to_value(x).unwrap(),
        &serde_json::to_value(&back).unwrap(),
    )
}

type Ev = EventRecord<u8>;

fn arb_events() -> impl Strategy<Value = Vec<Ev>> {
    prop::collection::vec(
        (
            0_u8..6,
            0_i64..45 * 24,
            0_u8..4,
            0_u32..3,
            prop::option::of(1_i64..3600),
        ),
        0..60,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .map(|(u, hours, name, pay, dur)| {
                let mut e = EventRecord::<u8>::new(u, t(1, 1, 0) + TimeDelta::hours(hours))
                    .with_name(["browse", "order", "search", "community"][usize::from(name)])
                    .with_amount([0.0, 12.5, -3.0][pay as usize]);
                if let Some(s) = dur {
                    e = e.with_duration(TimeDelta::seconds(s));
                }
                e
            })
            .collect()
    })
}

fn reports_close<U: PartialEq>(a: &MetricReport<U>, b: &MetricReport<U>) -> bool {
    a.users == b.users
        && a.metrics == b.metrics
        && a.outside_window == b.outside_window
        && a.values.len() == b.values.len()
        && a.values
            .iter()
            .zip(&b.values)
            .all(|(x, y)| laws::close(*x, *y, 1e-9))
}

struct Orders;
impl SecondaryMetric<Ev> for Orders {
    fn name(&self) -> &str {
        "orders"
    }
    fn observe(&self, e: &Ev) -> f64 {
        f64::from(u8::from(e.name() == Some("order")))
    }
}

fn law_tree() -> Arc<MetricTree<Ev>> {
    Arc::new(
        MetricTree::standard()
            .secondary("visit_frequency", "browse", Measure::count("browse"))
            .secondary("visit_frequency", "community", Measure::count("community"))
            .host("revenue", Orders)
            .secondary(
                "revenue",
                "orders_per_day",
                Measure::per_active_day("orders"),
            )
            .build()
            .unwrap(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn metric_summary_fold_laws(events in arb_events(), cuts in prop::collection::vec(0_usize..60, 0..4), seed in any::<u64>()) {
        let tree = law_tree();
        let window = Window::new(t(1, 3, 0), t(2, 10, 0)).unwrap();
        let empty = || MetricSummary::new(Arc::clone(&tree), Zone::Utc, window);
        laws::merge_law(empty, &events, &cuts, reports_close).map_err(TestCaseError::fail)?;
        let mut perm: Vec<usize> = (0..events.len()).collect();
        let mut rng = userops::sample::Rng::new(seed);
        for i in (1..perm.len()).rev() {
            perm.swap(i, rng.below(i as u64 + 1) as usize);
        }
        laws::order_law(empty, &events, &perm, reports_close).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn preference_summary_fold_laws(events in arb_events(), cuts in prop::collection::vec(0_usize..60, 0..4)) {
        let as_of = t(2, 10, 0);
        let empty = || PreferenceSummary::months(Zone::Utc, as_of).unwrap();
        laws::merge_law(empty, &events, &cuts, |a, b| a == b).map_err(TestCaseError::fail)?;
        let perm: Vec<usize> = (0..events.len()).rev().collect();
        laws::order_law(empty, &events, &perm, |a, b| a == b).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn value_score_never_falls_when_a_weighted_metric_rises(
        values in prop::collection::vec(prop::collection::vec(0.0_f64..100.0, 3), 1..20),
        w in prop::collection::vec(0.01_f64..5.0, 3),
        who in any::<prop::sample::Index>(),
        which in 0_usize..3,
        delta in 0.001_f64..500.0,
    ) {
        let n = values.len();
        let make = |vals: &[Vec<f64>]| MetricReport::<u32> {
            window: january(),
            metrics: ["a", "b", "c"].iter().map(|m| MetricInfo { name: m.to_string(), parent: None, depth: 0, measure: Measure::Events }).collect(),
            users: (0..n as u32).collect(),
            values: vals.iter().flatten().copied().collect(),
            outside_window: 0,
        };
        let weights = ValueWeights::new([("a", w[0]), ("b", w[1]), ("c", w[2])]).unwrap();
        let i = who.index(n);
        let before = value_scores(&make(&values), &weights, &TierParams::default()).unwrap();
        let mut raised = values.clone();
        raised[i][which] += delta;
        let after = value_scores(&make(&raised), &weights, &TierParams::default()).unwrap();
        prop_assert!(after.users[i].score >= before.users[i].score * (1.0 - 1e-12) - 1e-12,
            "{} -> {}", before.users[i].score, after.users[i].score);
        prop_assert!(round_trips(&after));
    }

    #[test]
    fn tiers_partition_users(
        scores in prop::collection::vec(prop_oneof![Just(0.0_f64), Just(1.0), 0.0_f64..10.0], 1..40),
        cuts in prop::sample::select(vec![vec![0.5, 0.8], vec![0.25, 0.5, 0.75], vec![0.9]]),
    ) {
        let n = scores.len();
        let report = MetricReport::<u32> {
            window: january(),
            metrics: vec![MetricInfo { name: "x".into(), parent: None, depth: 0, measure: Measure::Events }],
            users: (0..n as u32).collect(),
            values: scores.clone(),
            outside_window: 0,
        };
        let names: Vec<String> = (0..=cuts.len()).map(|i| format!("t{i}")).collect();
        let tiers = TierParams::new(cuts.clone(), names).unwrap();
        let v = value_scores(&report, &ValueWeights::new([("x", 1.0)]).unwrap(), &tiers).unwrap();
        prop_assert_eq!(v.users.len(), n);
        prop_assert_eq!(v.tiers.iter().map(|t| t.users).sum::<u64>(), n as u64);
        for u in &v.users {
            prop_assert!(u.tier <= cuts.len());
        }
        // Equal scores share a tier, and a higher score is never in a lower tier.
        for a in &v.users {
            for b in &v.users {
                if a.score == b.score { prop_assert_eq!(a.tier, b.tier); }
                if a.score > b.score { prop_assert!(a.tier >= b.tier); }
            }
        }
    }

    #[test]
    fn pareto_share_is_between_a_fifth_and_one(values in prop::collection::vec(-5.0_f64..1e6, 0..50), same in 0.0_f64..1e9, n in 1_usize..200) {
        let p = pareto_share(&values);
        prop_assert!((0.2..=1.0).contains(&p), "{p}");
        prop_assert_eq!(pareto_share(&vec![same; n]), 0.2);
    }

    #[test]
    fn metric_and_population_reports_round_trip(events in arb_events()) {
        let window = Window::new(t(1, 1, 0), t(3, 1, 0)).unwrap();
        let r = fold(MetricSummary::new(law_tree(), Zone::Utc, window), &events).unwrap().finish().unwrap();
        prop_assert!(round_trips(&r));
        if !r.users.is_empty() {
            prop_assert!(round_trips(&population(&r, 5).unwrap()));
            prop_assert!(round_trips(&global_lift(&r, &r).unwrap()));
        }
        let prefs = fold(PreferenceSummary::months(Zone::Utc, t(2, 28, 0)).unwrap(), &events).unwrap().finish().unwrap();
        prop_assert!(round_trips(&prefs));
        prop_assert!(round_trips(&prefs.profile(|u| u % 2 == 0)));
        let keys = key_users("x", r.users.iter().map(|u| (*u, f64::from(*u))), &KeyUserParams::default());
        prop_assert!(round_trips(&keys));
    }
}

#[test]
fn many_active_days_in_any_order_and_split() {
    // User 5 is active on 40 distinct days (more than fit inline), visited twice a day, events
    // shuffled and interleaved with users 9 and 1 (out of id order); folded whole and in three
    // parts merged.
    let mut log: Vec<EventRecord<u32>> = Vec::new();
    for d in 0..40_i64 {
        for h in [8, 20] {
            log.push(EventRecord::new(
                5_u32,
                t(1, 1, 0) + TimeDelta::days(d) + TimeDelta::hours(h),
            ));
        }
    }
    log.push(EventRecord::new(9_u32, t(1, 2, 0)));
    log.push(EventRecord::new(1_u32, t(1, 3, 0)));
    let mut rng = userops::sample::Rng::new(7);
    for i in (1..log.len()).rev() {
        log.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let window = Window::new(t(1, 1, 0), t(3, 1, 0)).unwrap();
    let tree = standard();
    let whole = fold(MetricSummary::new(Arc::clone(&tree), Utc, window), &log)
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(whole.users, [1, 5, 9]);
    assert_eq!(get(&whole, 5, "visit_frequency"), 40.0);
    assert_eq!(get(&whole, 5, "events"), 80.0);
    assert_eq!(get(&whole, 5, "events_per_active_day"), 2.0);
    let mut merged = MetricSummary::new(Arc::clone(&tree), Utc, window);
    for part in log.chunks(29) {
        merged
            .merge(fold(MetricSummary::new(Arc::clone(&tree), Utc, window), part).unwrap())
            .unwrap();
    }
    assert_eq!(merged.finish().unwrap(), whole);
}

#[test]
fn lever_reports_round_trip() {
    let report = MetricReport::<u32> {
        window: january(),
        metrics: ["visit_frequency", "revenue"]
            .iter()
            .map(|m| MetricInfo {
                name: m.to_string(),
                parent: None,
                depth: 0,
                measure: Measure::Events,
            })
            .collect(),
        users: vec![1, 2, 3, 4, 5],
        values: vec![1.0, 0.0, 2.0, 0.0, 1.0, 0.0, 20.0, 0.0, 20.0, 100.0],
        outside_window: 0,
    };
    let value = value_scores(
        &report,
        &ValueWeights::new([("revenue", 1.0)]).unwrap(),
        &TierParams::default(),
    )
    .unwrap();
    let c = conversion_candidates(&report, &value, &CandidateParams::default()).unwrap();
    assert!(round_trips(&c) && round_trips(&value));
    let f = falling_usage(&report, &value, &report, &FallingParams::default()).unwrap();
    assert!(f.users.is_empty());
    assert!(round_trips(&f));
    let q = userops::quadrant::classify(
        &userops::quadrant::ProductFigures::given(2.5, 0.3).unwrap(),
        &userops::quadrant::QuadrantParams::default(),
    )
    .unwrap();
    assert!(round_trips(&q));
}

#[cfg(feature = "parallel")]
#[test]
fn fold_par_equals_fold() {
    use userops::fold::fold_par;
    use userops::sample::{SampleConfig, SampleEvent, generate};
    let data = generate(&SampleConfig::new(3_000).seed(5)).unwrap();
    let tree = Arc::new(MetricTree::<SampleEvent>::standard().build().unwrap());
    let window = Window::trailing_days(data.end, 365).unwrap();
    let empty = MetricSummary::new(Arc::clone(&tree), Zone::Utc, window);
    let serial = fold(empty.clone(), &data.events).unwrap().finish().unwrap();
    let parallel = fold_par(&empty, &data.events).unwrap().finish().unwrap();
    assert!(reports_close(&serial, &parallel));
}

/// Host metric `k` adds `k` per event.
struct Nth(usize, String);
impl SecondaryMetric<EventRecord<u32>> for Nth {
    fn name(&self) -> &str {
        &self.1
    }
    fn observe(&self, _: &EventRecord<u32>) -> f64 {
        self.0 as f64
    }
}

#[test]
fn many_host_metrics() {
    // Ten host metrics (more than are kept on the stack); two events: metric k sums to 2k.
    let mut b = MetricTree::builder().primary("events", Measure::Events);
    for k in 0..10 {
        b = b.host_metric(Some("events"), Arc::new(Nth(k, format!("h{k}"))));
    }
    let tree = Arc::new(b.build().unwrap());
    let log = vec![
        EventRecord::<u32>::new(3_u32, t(1, 2, 0)),
        EventRecord::<u32>::new(3_u32, t(1, 5, 0)),
    ];
    let r = fold(MetricSummary::new(tree, Utc, january()), &log)
        .unwrap()
        .finish()
        .unwrap();
    let expected: Vec<f64> = std::iter::once(2.0)
        .chain((0..10).map(|k| 2.0 * k as f64))
        .collect();
    assert_eq!(r.row(0).unwrap(), &expected[..]);
}

/// Cuts `events` at `cuts`, folds each part alone with `empty`, sends it through JSON text
/// and back with `read`, and merges the parts read back, left to right.
fn parts_through_json<S>(
    empty: impl Fn() -> S,
    read: impl Fn(&str) -> S,
    events: &[Ev],
    cuts: &[usize],
) -> S
where
    S: userops::fold::Fold<Ev> + Serialize,
{
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(events.len())).collect();
    cuts.extend([0, events.len()]);
    cuts.sort_unstable();
    let mut merged = empty();
    for w in cuts.windows(2) {
        let mut part = empty();
        part.observe_many(&events[w[0]..w[1]]).unwrap();
        merged
            .merge(read(&serde_json::to_string(&part).unwrap()))
            .unwrap();
    }
    merged
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The metric summary's partial state through JSON (joined again to its tree): parts
    /// folded apart, serialized, read back and merged give the report of the whole log; the
    /// whole state reads back to a state that writes the same text and finishes the same.
    #[test]
    fn metric_summary_state_round_trips_and_parts_merge_through_json(
        events in arb_events(),
        cuts in prop::collection::vec(0_usize..60, 0..4),
    ) {
        let tree = law_tree();
        let window = Window::new(t(1, 3, 0), t(2, 10, 0)).unwrap();
        let empty = || MetricSummary::new(Arc::clone(&tree), Zone::Utc, window);
        let read = |text: &str| {
            let state: MetricState<u8, Zone> = serde_json::from_str(text).unwrap();
            MetricSummary::from_state(Arc::clone(&tree), state).unwrap()
        };
        let whole = fold(empty(), &events).unwrap();
        let text = serde_json::to_string(&whole).unwrap();
        let back = read(&text);
        prop_assert_eq!(serde_json::to_string(&back).unwrap(), text);
        // A report that cannot be made (a metric that is not a number) is refused alike.
        let whole = whole.finish();
        prop_assert_eq!(&back.finish(), &whole);
        let merged = parts_through_json(empty, read, &events, &cuts).finish();
        match (&merged, &whole) {
            (Ok(m), Ok(w)) => prop_assert!(reports_close(m, w), "{m:?}\n{w:?}"),
            _ => prop_assert_eq!(merged.err(), whole.err()),
        }
    }

    /// The same for the preference summary.
    #[test]
    fn preference_summary_state_round_trips_and_parts_merge_through_json(
        events in arb_events(),
        cuts in prop::collection::vec(0_usize..60, 0..4),
    ) {
        let as_of = t(2, 10, 0);
        let empty = || PreferenceSummary::months(Zone::Utc, as_of).unwrap();
        let read = |text: &str| serde_json::from_str::<PreferenceSummary<u8>>(text).unwrap();
        let whole = fold(empty(), &events).unwrap();
        let text = serde_json::to_string(&whole).unwrap();
        let back = read(&text);
        prop_assert_eq!(serde_json::to_string(&back).unwrap(), text);
        let whole = whole.finish().unwrap();
        prop_assert_eq!(&back.finish().unwrap(), &whole);
        let merged = parts_through_json(empty, read, &events, &cuts).finish().unwrap();
        prop_assert_eq!(merged, whole);
    }
}

/// A change to a serialized state.
type Edit = fn(&mut serde_json::Value);

/// Serialized metric and preference states that no fold could make are refused when read.
#[test]
fn summary_states_that_no_fold_makes_are_refused() {
    let tree = law_tree();
    let window = Window::new(t(1, 3, 0), t(2, 10, 0)).unwrap();
    let log: Vec<Ev> = vec![
        EventRecord::new(1_u8, t(1, 5, 9)).with_name("browse"),
        EventRecord::new(2_u8, t(1, 9, 9))
            .with_name("order")
            .with_amount(4.0),
    ];
    let folded = fold(
        MetricSummary::new(Arc::clone(&tree), Zone::Utc, window),
        &log,
    )
    .unwrap();
    let good: serde_json::Value = serde_json::to_value(&folded).unwrap();
    let read = |v: &serde_json::Value| {
        let state: MetricState<u8, Zone> = serde_json::from_value(v.clone())?;
        MetricSummary::from_state(Arc::clone(&tree), state).map_err(|e| e.to_string())?;
        Ok::<(), Box<dyn std::error::Error>>(())
    };
    read(&good).unwrap();
    // Window days: 2025-01-03 is day 0, so 2025-01-05 is 2 and 2025-01-09 is 6.
    assert_eq!(good["days"], serde_json::json!([[2], [6]]));
    let edits: [(&str, Edit); 6] = [
        ("another tree", |v| v["metrics"][0] = "other".into()),
        ("a day outside the window", |v| {
            v["days"][0] = serde_json::json!([2, 400])
        }),
        ("days out of order", |v| {
            v["days"][1] = serde_json::json!([6, 3])
        }),
        ("a user without a day", |v| {
            v["days"][1] = serde_json::json!([])
        }),
        ("sums short of a user", |v| {
            let sums = v["sums"].as_array_mut().unwrap();
            sums.pop();
        }),
        ("a user twice", |v| v["users"] = serde_json::json!([1, 1])),
    ];
    for (what, edit) in edits {
        let mut v = good.clone();
        edit(&mut v);
        assert!(read(&v).is_err(), "{what}");
    }

    let prefs = fold(
        PreferenceSummary::months(Zone::Utc, t(2, 10, 0)).unwrap(),
        &log,
    )
    .unwrap();
    let good = serde_json::to_value(&prefs).unwrap();
    let read = |v: &serde_json::Value| serde_json::from_value::<PreferenceSummary<u8>>(v.clone());
    read(&good).unwrap();
    // Months December to February: January is bit 1; user 1 used feature 0 ("browse") in it.
    assert_eq!(
        good["users"]["states"][0],
        serde_json::json!({"active": 2, "used": [[0, 2]]})
    );
    let edits: [(&str, Edit); 5] = [
        ("an unknown feature", |v| {
            v["users"]["states"][0]["used"][0][0] = 7.into()
        }),
        ("a feature used in an inactive period", |v| {
            v["users"]["states"][0]["used"][0][1] = 3.into()
        }),
        ("a period outside the window", |v| {
            v["users"]["states"][0]["active"] = 10.into()
        }),
        ("a user never active", |v| {
            v["users"]["states"][0] = serde_json::json!({"active": 0, "used": []})
        }),
        ("no period at all", |v| v["periods"] = 0.into()),
    ];
    for (what, edit) in edits {
        let mut v = good.clone();
        edit(&mut v);
        assert!(read(&v).is_err(), "{what}");
    }
}
