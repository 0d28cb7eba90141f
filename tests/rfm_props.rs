//! Property tests of the `rfm` module: fold laws, monotone scores, permutation invariance,
//! one segment per customer, serde round trips.

mod common;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use userops::event::EventRecord;
use userops::fold::{FoldTable, Summary, fold, laws};
use userops::rfm::{
    CustomerRfm, CustomerRow, HealthParams, Method, RfmSummary, RfmTable, ScoreParams, SegmentRule,
    SegmentRules,
};
use userops::time::Zone;

fn as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0).unwrap()
}

fn events(raw: &[(u8, u32, i32)]) -> Vec<EventRecord<u8>> {
    raw.iter()
        .map(|&(u, minutes, cents)| {
            EventRecord::new(u % 12, as_of() - TimeDelta::minutes(i64::from(minutes)))
                .with_amount(f64::from(cents) / 100.0)
        })
        .collect()
}

fn same_rows(a: &CustomerRfm<u8>, b: &CustomerRfm<u8>) -> bool {
    a.user == b.user
        && a.recency_days == b.recency_days
        && a.orders == b.orders
        && a.purchase_days == b.purchase_days
        && laws::close(a.monetary, b.monetary, 1e-9)
        && laws::close(a.mean_monetary, b.mean_monetary, 1e-9)
}

fn same_tables(a: &RfmTable<u8>, b: &RfmTable<u8>) -> bool {
    let mut x: Vec<&CustomerRfm<u8>> = a.customers.iter().collect();
    let mut y: Vec<&CustomerRfm<u8>> = b.customers.iter().collect();
    x.sort_by_key(|c| c.user);
    y.sort_by_key(|c| c.user);
    a.as_of == b.as_of && x.len() == y.len() && x.iter().zip(&y).all(|(p, q)| same_rows(p, q))
}

fn methods() -> Vec<Method> {
    vec![Method::Quantile, Method::Ntile, Method::RfmR]
}

fn table_of(rows: &[(u16, u16, u32)]) -> RfmTable<u32> {
    RfmTable::from_customers(rows.iter().enumerate().map(|(i, &(rec, n, cents))| {
        CustomerRow::new(
            i as u32,
            f64::from(rec),
            u64::from(n % 40),
            f64::from(cents) / 100.0,
        )
    }))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn merge_law(raw in prop::collection::vec((any::<u8>(), 0u32..600_000, -5_000i32..50_000), 0..80),
                 cuts in prop::collection::vec(0usize..80, 0..4)) {
        let ev = events(&raw);
        let empty = || RfmSummary::new(as_of()).distinct_days(Zone::Utc);
        laws::merge_law(empty, &ev, &cuts, same_tables).map_err(TestCaseError::fail)?;
        // Parts merged left to right keep the whole's first-seen order, row for row.
        let whole = fold(empty(), &ev).unwrap().finish().unwrap();
        let mut left = fold(empty(), &ev[..ev.len() / 2]).unwrap();
        left.merge(fold(empty(), &ev[ev.len() / 2..]).unwrap()).unwrap();
        let merged = left.finish().unwrap();
        prop_assert!(whole.customers.iter().zip(&merged.customers).all(|(a, b)| same_rows(a, b)));
    }

    /// Partial states survive JSON (they read back equal) and the parts read back merge to
    /// the whole, with every setting (payments only, distinct days in a zone with DST).
    #[test]
    fn serialized_parts_merge_to_the_whole(
        raw in prop::collection::vec((any::<u8>(), 0u32..600_000, -5_000i32..50_000), 0..80),
        cuts in prop::collection::vec(0usize..80, 0..4),
        payments_only in any::<bool>(),
        days in any::<bool>(),
    ) {
        let mut ev = events(&raw);
        // Some events without an amount, for payments_only to skip.
        for e in ev.iter_mut().step_by(3) {
            e.amount = 0.0;
        }
        let empty = || {
            let s = RfmSummary::new(as_of()).payments_only(payments_only);
            if days { s.distinct_days(Zone::parse("America/Los_Angeles").unwrap()) } else { s }
        };
        laws::serde_merge_law(empty, &ev, &cuts, same_tables).map_err(TestCaseError::fail)?;
    }

    /// Folding the event table by its columns (whole, or in row ranges merged) gives the
    /// table of folding the events one at a time, errors included (an event after the as-of
    /// instant stops both at the same row).
    #[test]
    fn table_columns_fold_as_the_events_do(
        raw in prop::collection::vec((any::<u8>(), 0u32..600_000, -5_000i32..50_000), 0..80),
        cut in 0usize..80,
        payments_only in any::<bool>(),
        late in prop::option::of(0usize..80),
    ) {
        let mut ev = events(&raw);
        for e in ev.iter_mut().step_by(4) {
            e.amount = 0.0;
        }
        if let Some(i) = late.filter(|&i| i < ev.len()) {
            ev[i].at = as_of() + TimeDelta::seconds(1);
        }
        let empty = || RfmSummary::new(as_of()).payments_only(payments_only);
        let table = userops::engine::EventTable::from_events(&ev).unwrap();
        let by_events = fold(empty(), &ev).and_then(Summary::finish);
        let mut whole = empty();
        let by_columns = whole.observe_table(&table).map(|()| whole.finish().unwrap());
        prop_assert_eq!(&by_events, &by_columns);
        if by_events.is_ok() {
            let cut = cut.min(ev.len());
            let mut left = empty();
            left.observe_rows(&table, 0..cut).unwrap();
            let mut right = empty();
            right.observe_rows(&table, cut..ev.len()).unwrap();
            left.merge(right).unwrap();
            let merged = left.finish().unwrap();
            prop_assert!(same_tables(&merged, by_events.as_ref().unwrap()));
        }
    }

    /// Parts of a log ordered by user are kept apart by `merge` (no copy): merged in any tree
    /// shape (left to right, or pairs of pairs), with boundary users shared by two or more
    /// parts and parts of one user, then given more events (one at a time and as a slice) and
    /// an unordered part, they still give the whole log's table row for row and its scores.
    #[test]
    fn ordered_parts_merge_in_any_shape(
        raw in prop::collection::vec((any::<u8>(), 0u32..600_000, -5_000i32..50_000), 1..80),
        cuts in prop::collection::vec(0usize..80, 0..6),
        pairs in any::<bool>(),
        days in any::<bool>(),
        more in prop::collection::vec((any::<u8>(), 0u32..600_000, -5_000i32..50_000), 0..6),
        unordered in prop::collection::vec((any::<u8>(), 0u32..600_000, -5_000i32..50_000), 0..6),
    ) {
        let mut ev = events(&raw);
        ev.sort_by_key(|e| e.user);
        let empty = || {
            let s = RfmSummary::new(as_of());
            if days { s.distinct_days(Zone::Utc) } else { s }
        };
        let mut cuts: Vec<usize> = cuts.iter().map(|c| (*c).min(ev.len())).collect();
        cuts.extend([0, ev.len()]);
        cuts.sort_unstable();
        cuts.dedup();
        let mut parts: Vec<RfmSummary<u8>> = cuts
            .windows(2)
            .map(|w| fold(empty(), &ev[w[0]..w[1]]).unwrap())
            .collect();
        // Left to right, or neighbours two by two until one is left.
        while parts.len() > 1 {
            if pairs {
                let mut next = Vec::new();
                let mut it = parts.into_iter();
                while let Some(mut a) = it.next() {
                    if let Some(b) = it.next() {
                        a.merge(b).unwrap();
                    }
                    next.push(a);
                }
                parts = next;
            } else {
                let b = parts.remove(1);
                parts[0].merge(b).unwrap();
            }
        }
        let mut merged = parts.pop().unwrap();
        prop_assert_eq!(merged.len(), fold(empty(), &ev).unwrap().len());
        // Scored straight from the parts as through the table (which reads them row by row);
        // the table itself is checked against the whole log's below.
        let scorer = ScoreParams::new(Method::Quantile).check().unwrap();
        let via_table = scorer.score(&merged.clone().finish().unwrap()).unwrap();
        prop_assert_eq!(&scorer.score_summary(merged.clone()).unwrap(), &via_table);
        #[cfg(feature = "parallel")]
        prop_assert_eq!(&scorer.score_summary_par(merged.clone()).unwrap(), &via_table);
        let whole = fold(empty(), &ev).unwrap().finish().unwrap();
        let table = merged.clone().finish().unwrap();
        prop_assert_eq!(whole.customers.len(), table.customers.len());
        prop_assert!(whole.customers.iter().zip(&table.customers).all(|(a, b)| same_rows(a, b)));
        // More events: half one at a time, half as a slice; then an unordered part.
        let more = events(&more);
        let (one, slice) = more.split_at(more.len() / 2);
        for e in one {
            userops::fold::Fold::observe(&mut merged, e).unwrap();
        }
        userops::fold::Fold::observe_many(&mut merged, slice).unwrap();
        let unordered = events(&unordered);
        merged.merge(fold(empty(), &unordered).unwrap()).unwrap();
        let all: Vec<_> = ev.iter().chain(&more).chain(&unordered).cloned().collect();
        let whole = fold(empty(), &all).unwrap().finish().unwrap();
        let merged = merged.finish().unwrap();
        prop_assert_eq!(whole.customers.len(), merged.customers.len());
        prop_assert!(whole.customers.iter().zip(&merged.customers).all(|(a, b)| same_rows(a, b)),
                     "whole {:?}\nmerged {:?}", whole, merged);
    }

    #[test]
    fn order_law(raw in prop::collection::vec((any::<u8>(), 0u32..600_000, -5_000i32..50_000), 1..80),
                 seed in any::<u64>()) {
        let ev = events(&raw);
        let mut perm: Vec<usize> = (0..ev.len()).collect();
        let mut rng = userops::sample::Rng::new(seed);
        for i in (1..perm.len()).rev() {
            perm.swap(i, rng.below(i as u64 + 1) as usize);
        }
        laws::order_law(|| RfmSummary::new(as_of()).distinct_days(Zone::Utc), &ev, &perm, same_tables)
            .map_err(TestCaseError::fail)?;
    }

    #[test]
    fn observe_many_equals_one_at_a_time(
        raw in prop::collection::vec((any::<u8>(), 0u32..600_000, -5_000i32..50_000), 0..80),
        grouped in any::<bool>(),
        bad in prop::option::of((0usize..80, any::<bool>())),
    ) {
        let mut ev = events(&raw);
        if grouped {
            // Runs of one user's events (the fast path), users in ascending order.
            ev.sort_by_key(|e| e.user);
        }
        if let Some((at, nan)) = bad {
            // One unusable event: a NaN amount or a purchase after the as-of instant; the
            // events before it count, those from it on do not.
            let i = at.min(ev.len());
            let e = if nan {
                EventRecord::new(3_u8, as_of()).with_amount(f64::NAN)
            } else {
                EventRecord::new(3_u8, as_of() + TimeDelta::milliseconds(1)).with_amount(1.0)
            };
            ev.insert(i, e);
        }
        for payments_only in [false, true] {
            let empty = || RfmSummary::new(as_of()).payments_only(payments_only);
            laws::slice_law(empty, &ev, same_tables).map_err(TestCaseError::fail)?;
        }
    }

    #[test]
    fn scoring_a_summary_equals_scoring_its_table(
        raw in prop::collection::vec((any::<u8>(), 0u32..600_000, -5_000i32..50_000), 1..80),
        bins in 2u8..=9,
    ) {
        let ev = events(&raw);
        let s = || fold(RfmSummary::new(as_of()).distinct_days(Zone::Utc), &ev).unwrap();
        for method in methods() {
            for measure in [userops::rfm::FrequencyMeasure::Orders, userops::rfm::FrequencyMeasure::PurchaseDays] {
                let scorer = ScoreParams::new(method.clone()).bins(bins).frequency_measure(measure).check().unwrap();
                prop_assert_eq!(scorer.score_summary(s()).unwrap(), scorer.score(&s().finish().unwrap()).unwrap());
            }
        }
    }

    #[test]
    fn scores_are_monotone(rows in prop::collection::vec((0u16..400, 1u16..30, 0u32..100_000), 1..60),
                           bins in 2u8..=9) {
        let table = table_of(&rows);
        for method in methods() {
            let s = ScoreParams::new(method.clone()).bins(bins).check().unwrap().score(&table).unwrap();
            for a in &s.customers {
                for b in &s.customers {
                    // More recent never scores lower; more money never scores lower; more
                    // orders never score lower.
                    if a.recency_days < b.recency_days { prop_assert!(a.r >= b.r, "{method:?}"); }
                    if a.monetary > b.monetary { prop_assert!(a.m >= b.m, "{method:?}"); }
                    if a.frequency > b.frequency { prop_assert!(a.f >= b.f, "{method:?}"); }
                    // Quantile and R rfm: equal values share a score.
                    if method != Method::Ntile && a.monetary == b.monetary { prop_assert_eq!(a.m, b.m); }
                }
                prop_assert!((1..=bins).contains(&a.r) && (1..=bins).contains(&a.f) && (1..=bins).contains(&a.m));
                prop_assert_eq!(a.rfm_score, u16::from(a.r) * 100 + u16::from(a.f) * 10 + u16::from(a.m));
            }
        }
    }

    #[test]
    fn permuting_rows_changes_no_quantile_score(rows in prop::collection::vec((0u16..400, 1u16..30, 0u32..100_000), 1..60),
                                                seed in any::<u64>()) {
        let table = table_of(&rows);
        let mut shuffled = table.clone();
        let mut rng = userops::sample::Rng::new(seed);
        for i in (1..shuffled.customers.len()).rev() {
            shuffled.customers.swap(i, rng.below(i as u64 + 1) as usize);
        }
        for method in [Method::Quantile, Method::RfmR] {
            let scorer = ScoreParams::new(method).check().unwrap();
            let a = scorer.score(&table).unwrap();
            let b = scorer.score(&shuffled).unwrap();
            prop_assert_eq!(&a.recency, &b.recency);
            for c in &b.customers {
                let o = &a.customers[c.user as usize];
                prop_assert_eq!((o.r, o.f, o.m), (c.r, c.f, c.m));
            }
        }
    }

    #[test]
    fn every_customer_is_in_exactly_one_segment(rows in prop::collection::vec((0u16..400, 1u16..30, 0u32..100_000), 1..60),
                                               raw_rules in prop::collection::vec((1u8..=5, 1u8..=5, 1u8..=5, 1u8..=5, 1u8..=5, 1u8..=5), 0..8)) {
        let rules = SegmentRules::new(raw_rules.iter().enumerate().map(|(i, &(a, b, c, d, e, f))| {
            SegmentRule::new(format!("s{i}"), [a.min(b), a.max(b)], [c.min(d), c.max(d)], [e.min(f), e.max(f)])
        }).collect()).unwrap();
        let s = ScoreParams::new(Method::Quantile).check().unwrap().score(&table_of(&rows)).unwrap();
        let seg = rules.segment(&s).unwrap();
        prop_assert_eq!(seg.of_customer.len(), s.customers.len());
        prop_assert_eq!(seg.summary.iter().map(|r| r.customers).sum::<u64>(), s.customers.len() as u64);
        for (i, c) in s.customers.iter().enumerate() {
            // The segment is the first rule that matches, else Others.
            prop_assert_eq!(seg.segment_of(i).unwrap(), rules.name_of(c.r, c.f, c.m));
        }
        // A rule reported unreachable has no customer.
        for u in &seg.unreachable {
            prop_assert_eq!(seg.summary[u.index].customers, 0);
        }
    }

    #[test]
    fn reports_survive_serde(rows in prop::collection::vec((0u16..400, 1u16..30, 0u32..100_000), 1..40)) {
        let table = table_of(&rows);
        let back: RfmTable<u32> = serde_json::from_value(serde_json::to_value(&table).unwrap()).unwrap();
        prop_assert_eq!(&back, &table);
        for method in methods() {
            let s = ScoreParams::new(method).check().unwrap().score(&table).unwrap();
            let back = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
            prop_assert_eq!(&s, &back);
            let seg = SegmentRules::standard().segment(&s).unwrap();
            let back = serde_json::from_value(serde_json::to_value(&seg).unwrap()).unwrap();
            prop_assert_eq!(&seg, &back);
            let h = HealthParams::default().assess(&s).unwrap();
            let back = serde_json::from_value(serde_json::to_value(&h).unwrap()).unwrap();
            prop_assert_eq!(&h, &back);
        }
    }
}

#[test]
fn reports_survive_json_text() {
    let table = table_of(&[
        (10, 3, 12_000),
        (200, 1, 1_500),
        (40, 7, 90_000),
        (5, 2, 3_000),
    ]);
    let s = ScoreParams::new(Method::Quantile)
        .check()
        .unwrap()
        .score(&table)
        .unwrap();
    let text = serde_json::to_string(&s).unwrap();
    let back: userops::rfm::RfmScores<u32> = serde_json::from_str(&text).unwrap();
    // serde_json's default float parser may be 1 ulp off (its `float_roundtrip` feature is
    // off), so floats are compared within 1e-12 relative.
    assert!(close_json(
        &serde_json::to_value(&s).unwrap(),
        &serde_json::to_value(&back).unwrap()
    ));
    let rules = SegmentRules::standard();
    assert_eq!(SegmentRules::from_json(&rules.to_json()).unwrap(), rules);
}

#[test]
fn standard_map_has_no_dead_rule_but_the_older_vignette_map_has_four() {
    assert!(SegmentRules::standard().unreachable((5, 5, 5)).is_empty());
    // The rfm customer-level vignette's older 11-segment table.
    let older = SegmentRules::new(vec![
        SegmentRule::new("Champions", [4, 5], [4, 5], [4, 5]),
        SegmentRule::new("Loyal Customers", [2, 5], [3, 5], [3, 5]),
        SegmentRule::new("Potential Loyalist", [3, 5], [1, 3], [1, 3]),
        SegmentRule::new("New Customers", [4, 5], [1, 1], [1, 1]),
        SegmentRule::new("Promising", [3, 4], [1, 1], [1, 1]),
        SegmentRule::new("Need Attention", [2, 3], [2, 3], [2, 3]),
        SegmentRule::new("About To Sleep", [2, 3], [1, 2], [1, 2]),
        SegmentRule::new("At Risk", [1, 2], [2, 5], [2, 5]),
        SegmentRule::new("Can't Lose Them", [1, 1], [4, 5], [4, 5]),
        SegmentRule::new("Hibernating", [1, 2], [1, 2], [1, 2]),
        SegmentRule::new("Lost", [1, 2], [1, 2], [1, 2]),
    ])
    .unwrap();
    // Hand check of each rule: New Customers (r 4-5, f 1, m 1) and Promising (r 3-4, f 1,
    // m 1) lie inside Potential Loyalist (r 3-5, f 1-3, m 1-3); Can't Lose Them (r 1,
    // f 4-5, m 4-5) inside At Risk (r 1-2, f 2-5, m 2-5); Lost inside Hibernating.
    let dead = older.unreachable((5, 5, 5));
    let names: Vec<&str> = dead.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(
        names,
        ["New Customers", "Promising", "Can't Lose Them", "Lost"]
    );
    let dead: Vec<_> = dead.into_iter().filter(|u| u.name == "Lost").collect();
    assert!(dead[0].covered_by.contains(&"Hibernating".to_string()));
}

fn close_json(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(p), Some(q)) => laws::close(p, q, 1e-12),
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| close_json(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| close_json(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(feature = "parallel")]
#[test]
fn parallel_fold_equals_sequential_fold() {
    let raw: Vec<(u8, u32, i32)> = (0..50_000u32)
        .map(|i| ((i * 7 % 251) as u8, i * 13 % 500_000, (i % 9_000) as i32))
        .collect();
    let ev = events(&raw);
    let empty = RfmSummary::new(as_of()).distinct_days(Zone::Utc);
    let seq = fold(empty.clone(), &ev).unwrap().finish().unwrap();
    let par = userops::fold::fold_par(&empty, &ev)
        .unwrap()
        .finish()
        .unwrap();
    assert!(same_tables(&seq, &par));
}

/// Logs long enough (2^17 events) for `observe_many` to reserve room for the whole once a
/// sixteenth is folded: a projection far short (few long runs first, then one event a user),
/// far over (the reverse), and a log in user order at first whose order breaks later.
/// Each must give the table of one event at a time, with one customer per distinct user and
/// one order per event (counts written from the construction).
#[test]
fn projected_room_or_not_the_slice_road_agrees() {
    let at = |k: u32| as_of() - TimeDelta::minutes(i64::from(k % 50_000));
    let n = common::LONG_LOG;
    let breaks_late: Vec<u32> = (0..n)
        .map(|i| {
            if i < n / 2 {
                10 + i / 3
            } else {
                (i / 3) % 1_000
            }
        })
        .collect();
    let [short, over] = common::projection_logs();
    let late = (
        "breaks late",
        breaks_late,
        10 + (n / 2).div_ceil(3) as usize,
    );
    for (name, users, distinct) in [short, over, late] {
        let ev: Vec<EventRecord<u32>> = users
            .iter()
            .enumerate()
            .map(|(i, &u)| EventRecord::new(u, at(i as u32)).with_amount(f64::from(u % 7)))
            .collect();
        laws::slice_law(|| RfmSummary::new(as_of()), &ev, |a, b| a == b)
            .map_err(|e| format!("{name}: {e}"))
            .unwrap();
        let table = fold(RfmSummary::new(as_of()), &ev)
            .unwrap()
            .finish()
            .unwrap();
        let orders: u64 = table.customers.iter().map(|c| c.orders).sum();
        assert_eq!(orders, u64::from(n), "{name}");
        let distinct_users = common::distinct_users(&users);
        assert_eq!(distinct_users, distinct, "{name}: the count written above");
        assert_eq!(table.customers.len(), distinct_users, "{name}");
    }
}

#[test]
fn serialized_state_is_refused_when_it_could_not_come_from_a_fold() {
    let ok = r#"{"as_of":"2025-07-01T00:00:00Z","payments_only":false,"day_zone":null,"users":[1],"states":[{"last_ms":1751328000000,"monetary":5.0,"orders":1}],"days":[]}"#;
    assert!(serde_json::from_str::<RfmSummary<u8>>(ok).is_ok());
    // A last purchase one millisecond after the as-of instant (2025-07-01T00:00:00Z is
    // 1,751,328,000,000 ms), a customer without orders, a repeated user, a day of customer 1
    // of 1, days without a zone: each refused.
    for bad in [
        ok.replace("1751328000000", "1751328000001"),
        ok.replace(r#""orders":1"#, r#""orders":0"#),
        ok.replace("[1]", "[1,1]"),
        ok.replace(r#""day_zone":null"#, r#""day_zone":"UTC""#)
            .replace(r#""days":[]"#, r#""days":[[1,739000]]"#),
        ok.replace(r#""days":[]"#, r#""days":[[0,739000]]"#),
    ] {
        assert!(
            serde_json::from_str::<RfmSummary<u8>>(&bad).is_err(),
            "{bad}"
        );
    }
}
