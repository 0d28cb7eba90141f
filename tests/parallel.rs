//! Merging parts of a log ordered by user (what `fold_par` makes of it): the append path of
//! the RFM and lifecycle summaries must give what one fold gives, including the user a cut
//! splits in two and logs that are ordered only in places. With the `parallel` feature, the
//! parallel fold and the parallel model passes must give the one-thread result.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use userops::event::EventRecord;
use userops::fold::{Summary, fold, laws};
use userops::lifecycle::{LifecycleActivity, LifecycleSummary, StageParams};
use userops::rfm::{CustomerRfm, RfmSummary, RfmTable};
use userops::time::{Calendar, Interval, Zone};

fn as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0).unwrap()
}

/// Events from `(user, minutes before as_of, cents)`, sorted by user when `sorted` (users
/// then arrive in ascending runs, the fast path), else in the given order.
fn log(raw: &[(u8, u32, i32)], sorted: bool) -> Vec<EventRecord<u8>> {
    let mut raw = raw.to_vec();
    if sorted {
        raw.sort_by_key(|r| r.0 % 16);
    }
    raw.iter()
        .map(|&(u, minutes, cents)| {
            EventRecord::new(u % 16, as_of() - TimeDelta::minutes(i64::from(minutes)))
                .with_amount(f64::from(cents) / 100.0)
        })
        .collect()
}

/// Same rows in the same order (the order users were first seen), money within 1e-9.
fn same_tables(a: &RfmTable<u8>, b: &RfmTable<u8>) -> bool {
    let same = |p: &CustomerRfm<u8>, q: &CustomerRfm<u8>| {
        p.user == q.user
            && p.recency_days == q.recency_days
            && p.orders == q.orders
            && p.purchase_days == q.purchase_days
            && laws::close(p.monetary, q.monetary, 1e-9)
            && laws::close(p.mean_monetary, q.mean_monetary, 1e-9)
    };
    a.as_of == b.as_of
        && a.customers.len() == b.customers.len()
        && a.customers
            .iter()
            .zip(&b.customers)
            .all(|(p, q)| same(p, q))
}

fn same_activity(a: &LifecycleActivity<u8, Zone>, b: &LifecycleActivity<u8, Zone>) -> bool {
    let params = StageParams::default();
    a.users() == b.users()
        && (0..a.len()).all(|i| {
            a.active_periods(i) == b.active_periods(i) && a.first_period(i) == b.first_period(i)
        })
        && a.stages(&params, None) == b.stages(&params, None)
        && a.posthog(None) == b.posthog(None)
}

fn lifecycle_empty() -> LifecycleSummary<u8, Zone> {
    // Weekly over the last 20 weeks: some events fall before the lead period (history).
    let from = as_of() - TimeDelta::weeks(20);
    LifecycleSummary::new(
        Calendar::new(Zone::Utc, Interval::Week(chrono::Weekday::Mon)),
        from,
        as_of(),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Ordered parts are appended (a cut inside a user's run merges that one user); the
    /// result equals one fold, rows in the same order.
    #[test]
    fn merge_of_ordered_parts_equals_one_fold(
        raw in prop::collection::vec((any::<u8>(), 0u32..400_000, -5_000i32..50_000), 0..120),
        cuts in prop::collection::vec(0usize..120, 0..6),
        sorted in any::<bool>(),
    ) {
        let ev = log(&raw, sorted);
        let empty = || RfmSummary::new(as_of()).distinct_days(Zone::Utc);
        laws::merge_law(empty, &ev, &cuts, same_tables).map_err(TestCaseError::fail)?;
        laws::merge_law(lifecycle_empty, &ev, &cuts, same_activity)
            .map_err(TestCaseError::fail)?;
    }

    /// A sorted log with an unsorted tail: ordered parts append, the first unordered one
    /// falls back to the hash map; still one fold's result.
    #[test]
    fn ordered_then_unordered_parts(
        head in prop::collection::vec((any::<u8>(), 0u32..400_000, -5_000i32..50_000), 0..60),
        tail in prop::collection::vec((any::<u8>(), 0u32..400_000, -5_000i32..50_000), 0..60),
        cuts in prop::collection::vec(0usize..120, 0..6),
    ) {
        let mut ev = log(&head, true);
        ev.extend(log(&tail, false));
        let empty = || RfmSummary::new(as_of());
        laws::merge_law(empty, &ev, &cuts, same_tables).map_err(TestCaseError::fail)?;
        laws::merge_law(lifecycle_empty, &ev, &cuts, same_activity)
            .map_err(TestCaseError::fail)?;
    }
}

/// Merging parts in the other order (later users first) must not take the append path.
#[test]
fn parts_in_descending_order_are_merged_by_map() {
    let raw: Vec<(u8, u32, i32)> = (0..40u8).map(|i| (i, u32::from(i) * 97, 100)).collect();
    let ev = log(&raw, true);
    let (first, second) = ev.split_at(20);
    let whole = fold(RfmSummary::new(as_of()), &ev)
        .unwrap()
        .finish()
        .unwrap();
    let mut late = fold(RfmSummary::new(as_of()), second).unwrap();
    late.merge(fold(RfmSummary::new(as_of()), first).unwrap())
        .unwrap();
    let mut merged = late.finish().unwrap();
    assert_eq!(merged.customers.len(), whole.customers.len());
    merged.customers.sort_by_key(|c| c.user);
    assert!(same_tables(&whole, &merged));
}

#[cfg(feature = "parallel")]
mod par {
    use super::*;
    use userops::fold::fold_par;
    use userops::rfm::{Method, ScoreParams, SegmentRules};
    use userops::sample::{SampleConfig, generate};

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    /// Only the last of 200k users has an event before the window, in the second part of a
    /// two-thread fold: the merged summary must still carry it (June 2024 is 7 months before
    /// January 2025).
    #[test]
    fn history_of_the_last_user_alone_is_found() {
        let at = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap();
        let mut log: Vec<EventRecord<u64>> = (0..200_000_u64)
            .map(|u| EventRecord::new(u, at(2025, 2, 1)))
            .collect();
        log.push(EventRecord::new(200_000_u64, at(2024, 6, 15)));
        log.push(EventRecord::new(200_000_u64, at(2025, 3, 1)));
        let cal = Calendar::new(Zone::Utc, Interval::Month);
        let empty = LifecycleSummary::new(cal, at(2025, 1, 1), at(2025, 3, 31)).unwrap();
        for threads in [1, 2] {
            let a = pool(threads).install(|| fold_par(&empty, &log).unwrap().finish().unwrap());
            assert_eq!(a.first_period(200_000), Some(-7), "{threads} threads");
            assert_eq!(a.first_period(0), Some(1), "{threads} threads");
        }
    }

    /// 150k users: large enough that the model passes split over threads.
    #[test]
    fn two_threads_give_the_one_thread_result() {
        let data = generate(&SampleConfig::new(150_000).events_per_user(4.0).seed(5)).unwrap();
        let scorer = ScoreParams::new(Method::Quantile).check().unwrap();
        let rules = SegmentRules::standard();

        // RFM: the parallel fold's summary scores as the one-thread fold's; the parallel
        // scoring of one summary equals its one-thread scoring exactly.
        let empty = RfmSummary::new(data.end);
        let one = fold(empty.clone(), &data.events).unwrap();
        let two = pool(2).install(|| fold_par(&empty, &data.events)).unwrap();
        assert!(same_tables_u64(
            &one.clone().finish().unwrap(),
            &two.clone().finish().unwrap()
        ));
        let scored_one = pool(1)
            .install(|| scorer.score_summary(two.clone()))
            .unwrap();
        let scored_two = pool(2)
            .install(|| scorer.score_summary_par(two.clone()))
            .unwrap();
        assert_eq!(scored_one, scored_two);
        assert_eq!(
            rules.segment(&scored_one).unwrap(),
            rules.segment(&scored_two).unwrap()
        );
        // Segments over two threads: the one-thread result, revenue sums bit for bit.
        assert_eq!(
            pool(1).install(|| rules.segment(&scored_one)).unwrap(),
            pool(2).install(|| rules.segment_par(&scored_two)).unwrap()
        );

        // Lifecycle: bits are exact, so the reports are equal.
        let from = data.config.start.and_time(chrono::NaiveTime::MIN).and_utc();
        let to = data.end - TimeDelta::milliseconds(1);
        let empty =
            LifecycleSummary::new(Calendar::new(Zone::Utc, Interval::Month), from, to).unwrap();
        let params = StageParams::default();
        let one = pool(1).install(|| {
            fold(empty.clone(), &data.events)
                .unwrap()
                .finish()
                .unwrap()
                .stages(&params, None)
        });
        let two = pool(2).install(|| {
            fold_par(&empty, &data.events)
                .unwrap()
                .finish()
                .unwrap()
                .stages(&params, None)
        });
        assert_eq!(one, two);
        // A window that opens half a year in: the users who signed up before it have history
        // (the calendar pass), whichever part of the parallel fold saw it.
        let late = LifecycleSummary::new(
            Calendar::new(Zone::Utc, Interval::Month),
            from + TimeDelta::days(182),
            to,
        )
        .unwrap();
        let one = pool(1).install(|| fold(late.clone(), &data.events).unwrap().finish().unwrap());
        let two = pool(2).install(|| fold_par(&late, &data.events).unwrap().finish().unwrap());
        let with_history = (0..one.len())
            .filter(|&i| one.first_period(i) < Some(-1))
            .count();
        assert!(
            with_history > 0,
            "the window must leave some history before it"
        );
        assert!((0..one.len()).all(|i| one.first_period(i) == two.first_period(i)));
        assert_eq!(one.stages(&params, None), two.stages(&params, None));
    }

    fn same_tables_u64(a: &RfmTable<u64>, b: &RfmTable<u64>) -> bool {
        a.customers.len() == b.customers.len()
            && a.customers.iter().zip(&b.customers).all(|(p, q)| {
                p.user == q.user
                    && p.recency_days == q.recency_days
                    && p.orders == q.orders
                    && laws::close(p.monetary, q.monetary, 1e-9)
            })
    }
}
