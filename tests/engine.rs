//! The engine's event table: every summary folds it to the same state as the events it was
//! built from, in time order as exports come, whole, in row ranges merged, and over all cores.

use chrono::TimeDelta;
use userops::engine::{EventTable, TablePart};
use userops::fold::{FoldTable, fold};
use userops::sample::{SampleConfig, SampleData, SampleEvent, generate};
use userops::time::{Calendar, Interval, Zone};

fn data() -> SampleData {
    generate(&SampleConfig::new(400).events_per_user(6.0).seed(11)).unwrap()
}

/// The log in time order (ties by user), as a database or event pipeline exports it.
fn time_ordered(data: &SampleData) -> Vec<SampleEvent> {
    let mut log = data.events.clone();
    log.sort_by_key(|e| (e.at, e.user));
    log
}

/// Folds `log` by events and `table` by columns (whole; and cut in three row ranges merged)
/// and checks the three reports are equal.
/// Whether two reports are equal but for float rounding (relative 1e-9), compared as JSON.
fn close<V: serde::Serialize>(a: &V, b: &V) -> bool {
    fn values(a: &serde_json::Value, b: &serde_json::Value) -> bool {
        use serde_json::Value;
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                let (x, y) = (
                    x.as_f64().unwrap_or(f64::NAN),
                    y.as_f64().unwrap_or(f64::NAN),
                );
                userops::fold::laws::close(x, y, 1e-9)
            }
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values(p, q))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .all(|(k, v)| y.get(k).is_some_and(|w| values(v, w)))
            }
            _ => a == b,
        }
    }
    values(
        &serde_json::to_value(a).unwrap(),
        &serde_json::to_value(b).unwrap(),
    )
}

fn same<S>(empty: impl Fn() -> S, log: &[SampleEvent], table: &EventTable<u64>)
where
    S: for<'a> userops::fold::Fold<&'a SampleEvent> + FoldTable<u64>,
    S::Output: PartialEq + serde::Serialize,
{
    same_by(empty, log, table, |o| o);
}

/// [`same`], comparing what `view` makes of each output.
fn same_by<S, V>(
    empty: impl Fn() -> S,
    log: &[SampleEvent],
    table: &EventTable<u64>,
    view: impl Fn(S::Output) -> V,
) where
    S: for<'a> userops::fold::Fold<&'a SampleEvent> + FoldTable<u64>,
    V: PartialEq + serde::Serialize,
{
    let by_events = view(fold(empty(), log).unwrap().finish().unwrap());
    let mut whole = empty();
    whole.observe_table(table).unwrap();
    // The same rows in the same order: the same sums to the last bit.
    assert!(
        view(whole.finish().unwrap()) == by_events,
        "whole table differs"
    );
    let (a, b) = (table.len() / 3, 2 * table.len() / 3);
    let mut merged = empty();
    for rows in [0..a, a..b, b..table.len()] {
        let mut part = empty();
        part.observe_rows(table, rows).unwrap();
        merged.merge(part).unwrap();
    }
    // Parts add their sums in another order: equal up to rounding.
    assert!(
        close(&view(merged.finish().unwrap()), &by_events),
        "merged row ranges differ"
    );
    // Parts cut by user (the table's indices are in first-seen order), merged in order, for
    // a summary that says it can take them: users come out in the order of the whole fold
    // (reports compared in order).
    if !empty().splits_by_user() {
        return;
    }
    let n = table.users().len() as u32;
    let (a, b) = (n / 4, n / 2 + 3);
    let mut merged = empty();
    for users in [0..a, a..b, b..u32::MAX] {
        let mut part = empty();
        part.observe_part(table, &TablePart::users(users)).unwrap();
        merged.merge(part).unwrap();
    }
    assert!(
        close(&view(merged.finish().unwrap()), &by_events),
        "merged user ranges differ"
    );
}

#[test]
fn every_table_summary_folds_as_its_events_do() {
    use userops::activity::{ActivitySummary, PeriodTotals};
    use userops::lifecycle::{LifecycleSummary, StageParams};
    use userops::ops::health::DailyActivity;
    use userops::retention::{
        RetentionParams, RetentionSummary, StickinessParams, StickinessSummary,
    };
    use userops::rfm::RfmSummary;

    let data = data();
    let log = time_ordered(&data);
    let table = EventTable::from_events(&log).unwrap();
    assert_eq!(
        (table.len(), table.users().len()),
        (log.len(), data.users.len())
    );
    let month = Calendar::new(Zone::Utc, Interval::Month);
    let last = data.end - TimeDelta::seconds(1);

    same(|| RfmSummary::new(data.end), &log, &table);
    same(
        || RfmSummary::new(data.end).payments_only(true),
        &log,
        &table,
    );
    same(
        || RfmSummary::new(data.end).distinct_days(Zone::parse("Asia/Shanghai").unwrap()),
        &log,
        &table,
    );
    same(|| ActivitySummary::new(month.clone()), &log, &table);
    same(|| PeriodTotals::new(month.clone()), &log, &table);
    same(|| DailyActivity::new(Zone::Utc), &log, &table);
    let from = log[0].at;
    same_by(
        || LifecycleSummary::new(month.clone(), from, last).unwrap(),
        &log,
        &table,
        |activity| activity.stages(&StageParams::default(), None),
    );
    let spec = RetentionParams::new(month.clone(), last, 6)
        .start_event("signup")
        .check()
        .unwrap();
    same(|| RetentionSummary::new(spec.clone()), &log, &table);
    let spec = RetentionParams::new(month.clone(), last, 6)
        .start_event("signup")
        .mode(userops::retention::RetentionMode::FirstTime)
        .on_or_after(true)
        .check()
        .unwrap();
    same(|| RetentionSummary::new(spec.clone()), &log, &table);
    let spec = StickinessParams::new(
        Calendar::new(Zone::Utc, Interval::Day),
        last - TimeDelta::days(13),
        last,
    )
    .check()
    .unwrap();
    same(|| StickinessSummary::new(spec.clone()), &log, &table);

    use userops::ltv::cohort::CohortSummary;
    use userops::ltv::{BtydSummary, TimeUnit};
    use userops::metric::PreferenceSummary;
    use userops::quadrant::UsageSummary;
    let calibration_end = (data.end - TimeDelta::days(120)).date_naive();
    same(
        || BtydSummary::new(calibration_end, TimeUnit::Week),
        &log,
        &table,
    );
    same(|| CohortSummary::new(month.clone(), last), &log, &table);
    same(
        || PreferenceSummary::new(month.clone(), last, 6).unwrap(),
        &log,
        &table,
    );
    same(|| UsageSummary::new(Zone::Utc), &log, &table);
}

#[cfg(feature = "parallel")]
#[test]
fn tables_fold_over_all_cores_as_on_one() {
    use userops::fold::Summary;
    use userops::rfm::RfmSummary;
    let data = generate(&SampleConfig::new(3_000).events_per_user(8.0).seed(5)).unwrap();
    let log = time_ordered(&data);
    let table = EventTable::from_events(&log).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    let par = pool
        .install(|| userops::fold::fold_table_par(&RfmSummary::new(data.end), &table))
        .unwrap();
    let one = fold(RfmSummary::new(data.end), &log).unwrap();
    // Parts merge in their order, so customers keep their first-seen order; sums are added
    // in another order, so they agree up to rounding.
    assert!(
        close(&par.finish().unwrap(), &one.finish().unwrap()),
        "parallel table fold differs"
    );
}

mod user_events {
    use proptest::prelude::*;
    use userops::engine::{Dictionary, UserEvents};

    fn users(n: u32) -> Dictionary<u32> {
        let mut d = Dictionary::new();
        for u in 0..n {
            d.intern(&(u * 7)).unwrap();
        }
        d
    }

    // A hand-worked log: rows of users 2, 0, 2, 1, 0 (row 3 not kept); each user's events
    // come out sorted by instant, ties by code.
    #[test]
    fn grouped_by_user_by_hand() {
        let user = [2, 0, 2, 1, 0];
        let at = [9, 4, 1, 5, 4];
        let code = [1_u8, 3, 2, 9, 0];
        let kept = |i: usize| (i != 3).then(|| (at[i], code[i]));
        let (users, g) = UserEvents::grouped_by_user(users(3), &user, kept)
            .unwrap()
            .into_grouped();
        assert_eq!(users.values(), &[0, 7, 14]);
        assert_eq!(g.user(0), &[(4, 0), (4, 3)]);
        assert!(g.user(1).is_empty());
        assert_eq!(g.user(2), &[(1, 2), (9, 1)]);
    }

    #[test]
    fn grouped_by_user_rejects_what_it_cannot_place() {
        // A user index the dictionary does not have.
        let err = UserEvents::grouped_by_user(users(2), &[0, 2], |_| Some((0, 0_u8)));
        assert!(
            err.unwrap_err()
                .to_string()
                .contains("no user with index 2")
        );
        // An `event` that keeps other rows the second time it is asked.
        let calls = std::cell::Cell::new(0);
        let fickle = |i: usize| {
            calls.set(calls.get() + 1);
            (calls.get() <= 2 || i == 0).then_some((0, 0_u8))
        };
        let err = UserEvents::grouped_by_user(users(2), &[0, 1], fickle);
        assert!(err.unwrap_err().to_string().contains("other events"));
    }

    proptest! {
        // Stored by user or appended in row order, then grouped in place or by copy: every
        // road gives each user the same sorted events.
        #[test]
        fn every_road_groups_alike(
            rows in prop::collection::vec((0_u32..6, -5_i64..5, 0_u8..4, any::<bool>()), 0..80),
            cut in 0_usize..80,
        ) {
            let user: Vec<u32> = rows.iter().map(|r| r.0).collect();
            let kept = |i: usize| rows[i].3.then_some((rows[i].1, rows[i].2));
            let by_user = UserEvents::grouped_by_user(users(6), &user, kept).unwrap();
            let mut appended = UserEvents::with_users(users(6));
            appended
                .extend_indexed(rows.iter().filter(|r| r.3).map(|r| (r.0, r.1, r.2)))
                .unwrap();
            prop_assert_eq!(by_user.len(), appended.len());
            let expected = appended.grouped();
            // A log stored by user, then appended to, is no longer grouped: the copy road.
            let cut = cut.min(rows.len());
            let mut mixed =
                UserEvents::grouped_by_user(users(6), &user[..cut], kept).unwrap();
            mixed
                .extend_indexed(rows[cut..].iter().filter(|r| r.3).map(|r| (r.0, r.1, r.2)))
                .unwrap();
            for (_, g) in [by_user.into_grouped(), appended.into_grouped(), mixed.into_grouped()] {
                prop_assert_eq!(&g, &expected);
            }
            // Each user's run holds exactly that user's kept events, sorted.
            for u in 0..6 {
                let mut want: Vec<(i64, u8)> =
                    rows.iter().filter(|r| r.3 && r.0 == u).map(|r| (r.1, r.2)).collect();
                want.sort_unstable();
                prop_assert_eq!(expected.user(u as usize), &want[..]);
            }
        }
    }
}

mod parts {
    use super::*;
    use proptest::prelude::*;
    use userops::event::EventRecord;
    use userops::fold::Summary;
    use userops::rfm::{Method, RfmSummary, ScoreParams};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        // Whatever the ids' pattern, `parts(n)` holds every row exactly once in at most `n`
        // parts, and folding the parts and merging them in order scores every customer as
        // the whole fold does, in the same order (n-tile ties broken by that order).
        #[test]
        fn parts_hold_every_row_once_and_fold_as_the_whole(
            rows in 8_000_usize..30_000,
            users in 1_u64..5_000,
            skew in 0_u32..4,
            n in 1_usize..6,
            seed in any::<u64>(),
        ) {
            let mut rng = userops::sample::Rng::new(seed);
            let t0 = chrono::DateTime::UNIX_EPOCH + TimeDelta::days(10_000);
            let log: Vec<EventRecord<u64>> = (0..rows)
                .map(|i| {
                    // Skewed ids: low ids come far more often when `skew` is high.
                    let mut u = rng.below(users);
                    for _ in 0..skew {
                        u = u.min(rng.below(users));
                    }
                    EventRecord::new(u * 31 + 7, t0 + TimeDelta::minutes(i as i64))
                        .with_amount(rng.below(4) as f64)
                })
                .collect();
            let table = EventTable::from_events(&log).unwrap();
            let parts = table.parts(n);
            prop_assert!(!parts.is_empty() && parts.len() <= n);
            for (i, &u) in table.user_column().iter().enumerate() {
                let holding = parts
                    .iter()
                    .filter(|p| p.holds(u) && p.rows_in(table.len()).contains(&i))
                    .count();
                prop_assert_eq!(holding, 1, "row {} held by {} parts", i, holding);
            }
            let as_of = t0 + TimeDelta::days(30);
            let mut merged = RfmSummary::new(as_of);
            for part in &parts {
                let mut s = RfmSummary::new(as_of);
                s.observe_part(&table, part).unwrap();
                merged.merge(s).unwrap();
            }
            let whole = fold(RfmSummary::new(as_of), &log).unwrap();
            prop_assert!(
                close(&merged.clone().finish().unwrap(), &whole.clone().finish().unwrap()),
                "merged parts' customers differ"
            );
            let scorer = ScoreParams::new(Method::Quantile).check().unwrap();
            let (a, b) = (scorer.score_summary(merged).unwrap(), scorer.score_summary(whole).unwrap());
            prop_assert_eq!(a.customers.len(), b.customers.len());
            for (x, y) in a.customers.iter().zip(&b.customers) {
                prop_assert_eq!((x.user, x.r, x.f, x.m), (y.user, y.r, y.f, y.m));
            }
        }
    }

    // A balanced split: 2 parts of a log where the first tenth of the users make half the
    // rows still get about half the rows each.
    #[test]
    fn parts_by_user_share_rows_evenly() {
        let t0 = chrono::DateTime::UNIX_EPOCH;
        let log: Vec<EventRecord<u32>> = (0..100_000_u32)
            .map(|i| {
                let u = if i % 2 == 0 {
                    i % 1_000
                } else {
                    1_000 + i % 9_000
                };
                EventRecord::new(u, t0 + TimeDelta::seconds(i64::from(i)))
            })
            .collect();
        let table = EventTable::from_events(&log).unwrap();
        let parts = table.parts(2);
        assert_eq!(parts.len(), 2);
        for p in &parts {
            let rows = table.user_column().iter().filter(|&&u| p.holds(u)).count();
            assert!((45_000..=55_000).contains(&rows), "{rows} rows in {p:?}");
        }
        // Split by user: the second part starts at its first user's first row (row 1 is
        // user 1,001, the first light user, whose index is 1) and runs to the end.
        assert!(parts[1].rows_in(table.len()).start > 0);
        assert_eq!(parts[1].rows_in(table.len()).end, 100_000);
    }

    // In a log grouped by user, each part reads only its own rows: two disjoint halves.
    #[test]
    fn parts_of_a_grouped_log_read_their_own_rows() {
        let t0 = chrono::DateTime::UNIX_EPOCH;
        // 2,000 users of 10 rows each, one user's rows after another's.
        let log: Vec<EventRecord<u32>> = (0..20_000_u32)
            .map(|i| EventRecord::new(i / 10, t0 + TimeDelta::seconds(i64::from(i % 10))))
            .collect();
        let table = EventTable::from_events(&log).unwrap();
        let parts = table.parts(2);
        let rows: Vec<_> = parts.iter().map(|p| p.rows_in(table.len())).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].start, rows[1].end), (0, 20_000));
        assert_eq!(rows[0].end, rows[1].start);
        // The cut falls between two users, near the middle.
        assert_eq!(rows[0].end % 10, 0);
        assert!((9_000..=11_000).contains(&rows[0].end), "{rows:?}");
    }
}
