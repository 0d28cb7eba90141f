//! Bad input for `rfm`: empty data, one customer, all-equal values, NaN amounts, purchases
//! after the as-of date, breaks not strictly increasing, bad rule files.

use chrono::{TimeZone, Utc};
use userops::Error;
use userops::event::EventRecord;
use userops::fold::{Fold, Summary, fold};
use userops::rfm::{
    CustomerRow, FrequencyMeasure, HealthParams, Method, RfmSummary, RfmTable, ScoreParams,
    SegmentRules,
};

fn t(d: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, d, 0, 0, 0).unwrap()
}

fn all_methods() -> Vec<ScoreParams> {
    vec![
        ScoreParams::new(Method::Quantile),
        ScoreParams::new(Method::Ntile),
        ScoreParams::new(Method::RfmR),
        ScoreParams::new(Method::Breaks(vec![10.0, 20.0])),
    ]
}

#[test]
fn empty_data_is_an_empty_error_for_every_method() {
    let table = fold(
        RfmSummary::<String>::new(t(10)),
        Vec::<EventRecord<String>>::new(),
    )
    .unwrap()
    .finish()
    .unwrap();
    assert!(table.customers.is_empty());
    for p in all_methods() {
        let err = p.check().unwrap().score(&table).unwrap_err();
        assert_eq!(err, Error::Empty("no customers to score"));
    }
    let none = RfmTable::<u8>::from_customers(Vec::new()).unwrap();
    assert!(matches!(
        ScoreParams::new(Method::Quantile)
            .check()
            .unwrap()
            .score(&none),
        Err(Error::Empty(_))
    ));
}

#[test]
fn one_customer_gets_a_defined_score_from_every_method() {
    let log = vec![EventRecord::<&str>::new("solo", t(1)).with_amount(20.0)];
    let table = fold(RfmSummary::new(t(10)), &log)
        .unwrap()
        .finish()
        .unwrap();
    for p in all_methods() {
        let s = p.clone().check().unwrap().score(&table).unwrap();
        let c = &s.customers[0];
        let k = s.recency.bins;
        // Quantile, n-tile and R rfm: the one value is the lowest of every dimension, so
        // recency (reversed) scores k, frequency and monetary score 1. Breaks 10, 20: 9 days
        // is below 10 (recency score 3), 1 order below 10, 20.0 is the first value of score 3.
        match p.monetary {
            Method::Breaks(_) => assert_eq!((c.r, c.f, c.m), (3, 1, 3)),
            _ => assert_eq!((c.r, c.f, c.m), (k, 1, 1)),
        }
        assert!(c.score_sum.is_finite());
    }
}

#[test]
fn all_equal_values_give_every_method_a_defined_score() {
    let rows = (0..10_u32).map(|i| CustomerRow::new(i, 30.0, 4, 100.0));
    let table = RfmTable::<u32>::from_customers(rows).unwrap();
    for p in all_methods() {
        let s = p.clone().check().unwrap().score(&table).unwrap();
        for c in &s.customers {
            assert!((1..=s.recency.bins).contains(&c.r));
            assert!((1..=s.frequency.bins).contains(&c.f));
            assert!((1..=s.monetary.bins).contains(&c.m));
        }
        for b in s
            .recency
            .bands
            .iter()
            .chain(&s.frequency.bands)
            .chain(&s.monetary.bands)
        {
            assert!(b.lower.is_finite() && b.upper.is_finite(), "{b:?}");
        }
        if p.monetary == Method::Quantile || p.monetary == Method::RfmR {
            // Equal values share a score.
            assert!(s.customers.iter().all(|c| c.m == s.customers[0].m));
        }
    }
}

#[test]
fn nan_amounts_are_rejected_naming_the_user() {
    let mut s = RfmSummary::new(t(10));
    let e = EventRecord::<String>::new("ana", t(1)).with_amount(f64::NAN);
    match s.observe(&e) {
        Err(Error::NonFinite {
            field: "amount",
            user,
            ..
        }) => assert_eq!(user, "\"ana\""),
        other => panic!("expected NonFinite, got {other:?}"),
    }
    assert!(s.is_empty());
    let err = RfmTable::from_customers(vec![CustomerRow::<&str>::new("a", 3.0, 1, f64::NAN)])
        .unwrap_err();
    assert!(matches!(
        err,
        Error::NonFinite {
            field: "monetary",
            ..
        }
    ));
    let err = RfmTable::from_customers(vec![CustomerRow::<&str>::new("a", f64::INFINITY, 1, 1.0)])
        .unwrap_err();
    assert!(matches!(
        err,
        Error::NonFinite {
            field: "recency_days",
            ..
        }
    ));
}

/// Sums that would overflow to +inf and to -inf (whose merge would be a NaN, inf - inf) are
/// refused where they happen, in the fold and in the merge: no summary ever holds a
/// non-finite total for scoring to trip over.
#[test]
fn sums_that_would_overflow_are_refused_in_the_fold_and_the_merge() {
    let up = [
        EventRecord::<u8>::new(1_u8, t(1)).with_amount(f64::MAX),
        EventRecord::new(1_u8, t(2)).with_amount(f64::MAX),
    ];
    let down = [
        EventRecord::<u8>::new(1_u8, t(3)).with_amount(-f64::MAX),
        EventRecord::new(1_u8, t(4)).with_amount(-f64::MAX),
    ];
    for log in [&up, &down] {
        let err = fold(RfmSummary::new(t(10)), log).unwrap_err();
        assert!(matches!(err, Error::Overflow { .. }), "{err}");
    }
    let mut s = fold(RfmSummary::new(t(10)), &up[..1]).unwrap();
    let err = s
        .merge(fold(RfmSummary::new(t(10)), &up[1..]).unwrap())
        .unwrap_err();
    assert!(matches!(err, Error::Overflow { .. }), "{err}");
}

#[test]
fn purchases_after_the_as_of_date_are_rejected() {
    let mut s = RfmSummary::new(t(10));
    let e = EventRecord::<String>::new("bo", t(11)).with_amount(5.0);
    assert!(matches!(s.observe(&e), Err(Error::AfterAsOf { .. })));
    assert!(s.is_empty());
    // Customer-level rows: a negative recency is the same mistake.
    let err =
        RfmTable::from_customers(vec![CustomerRow::<&str>::new("a", -2.0, 1, 1.0)]).unwrap_err();
    assert!(matches!(
        err,
        Error::Negative {
            field: "recency_days",
            ..
        }
    ));
}

#[test]
fn breaks_not_strictly_increasing_are_rejected_naming_the_dimension() {
    for (p, name) in [
        (
            ScoreParams::new(Method::Quantile).recency(Method::Breaks(vec![30.0, 30.0])),
            "recency_breaks",
        ),
        (
            ScoreParams::new(Method::Quantile).frequency(Method::Breaks(vec![5.0, 2.0])),
            "frequency_breaks",
        ),
        (
            ScoreParams::new(Method::Quantile).monetary(Method::Breaks(vec![1.0, f64::NAN])),
            "monetary_breaks",
        ),
        (
            ScoreParams::new(Method::Quantile).monetary(Method::Breaks(vec![])),
            "monetary_breaks",
        ),
        (
            ScoreParams::new(Method::Quantile)
                .monetary(Method::Breaks((1..=9).map(f64::from).collect())),
            "monetary_breaks",
        ),
    ] {
        match p.check() {
            Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
            other => panic!("expected InvalidParameter {name}, got {other:?}"),
        }
    }
}

#[test]
fn out_of_range_parameters_are_rejected() {
    for bins in [0, 1, 10] {
        assert!(matches!(
            ScoreParams::new(Method::Quantile).bins(bins).check(),
            Err(Error::InvalidParameter { name: "bins", .. })
        ));
    }
    for w in [(-1.0, 1.0, 1.0), (0.0, 0.0, 0.0), (f64::NAN, 1.0, 1.0)] {
        assert!(matches!(
            ScoreParams::new(Method::Quantile)
                .weights(w.0, w.1, w.2)
                .check(),
            Err(Error::InvalidParameter {
                name: "weights",
                ..
            })
        ));
    }
    let table =
        RfmTable::<u8>::from_customers((0..5).map(|i| CustomerRow::new(i, 1.0, 1, 1.0))).unwrap();
    let days = ScoreParams::new(Method::Quantile)
        .frequency_measure(FrequencyMeasure::PurchaseDays)
        .check()
        .unwrap();
    assert!(matches!(
        days.score(&table),
        Err(Error::InvalidParameter {
            name: "frequency_measure",
            ..
        })
    ));
    let three = ScoreParams::new(Method::Quantile)
        .bins(3)
        .check()
        .unwrap()
        .score(&table)
        .unwrap();
    assert!(matches!(
        HealthParams::default().assess(&three),
        Err(Error::InvalidParameter {
            name: "healthy_min_r",
            ..
        })
    ));
}

#[test]
fn rules_files_with_inverted_or_out_of_range_ranges_are_rejected() {
    let inverted = r#"[{"name": "Champions", "r": [5, 4], "f": [4, 5], "m": [4, 5]}]"#;
    match SegmentRules::from_json(inverted) {
        Err(Error::InvalidParameter {
            name: "segments",
            reason,
        }) => assert!(
            reason.contains("inverted") && reason.contains("Champions"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    for bad in [
        r#"[{"name": "Zero", "r": [0, 2], "f": [1, 5], "m": [1, 5]}]"#,
        r#"[{"name": "Ten", "r": [1, 2], "f": [1, 10], "m": [1, 5]}]"#,
        r#"[{"name": "", "r": [1, 2], "f": [1, 5], "m": [1, 5]}]"#,
    ] {
        assert!(
            matches!(
                SegmentRules::from_json(bad),
                Err(Error::InvalidParameter {
                    name: "segments",
                    ..
                })
            ),
            "{bad}"
        );
    }
    // Not the expected shape at all.
    for bad in [
        r#"{"name": "x"}"#,
        r#"[{"name": "x", "r": [1], "f": [1, 5], "m": [1, 5]}]"#,
        r#"[{"name": "x", "r": [-1, 2], "f": [1, 5], "m": [1, 5]}]"#,
        "not json",
    ] {
        assert!(
            matches!(SegmentRules::from_json(bad), Err(Error::Json(_))),
            "{bad}"
        );
    }
    // In range 1..=9 but beyond the scores actually made (3 bins).
    let table =
        RfmTable::<u8>::from_customers((0..5).map(|i| CustomerRow::new(i, 1.0, 1, 1.0))).unwrap();
    let s = ScoreParams::new(Method::Quantile)
        .bins(3)
        .check()
        .unwrap()
        .score(&table)
        .unwrap();
    match SegmentRules::standard().segment(&s) {
        Err(Error::InvalidParameter {
            name: "segments",
            reason,
        }) => assert!(reason.contains("1 to 3"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn merging_summaries_with_different_as_of_is_an_error() {
    let mut a = RfmSummary::<u8>::new(t(10));
    let b = RfmSummary::<u8>::new(t(11));
    assert!(matches!(a.merge(b), Err(Error::MergeMismatch(_))));
}

#[test]
fn duplicate_customer_rows_are_rejected() {
    let err = RfmTable::from_customers(vec![
        CustomerRow::<&str>::new("a", 1.0, 1, 1.0),
        CustomerRow::new("a", 2.0, 1, 1.0),
    ])
    .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)));
}

#[test]
fn a_monetary_total_past_the_largest_float_is_an_overflow_by_every_road() {
    use userops::engine::EventTable;
    use userops::fold::FoldTable;
    // 1e308 + 1e308 is past f64::MAX (about 1.8e308): the second purchase overflows.
    let log = vec![
        EventRecord::<&str>::new("ana", t(1)).with_amount(1e308),
        EventRecord::new("ana", t(2)).with_amount(1e308),
    ];
    let want = "overflow: the monetary total of customer \"ana\" is too large to represent; \
        the values are too large to add up: rescale them (e.g. cents to millions) and run again";
    let err = fold(RfmSummary::new(t(10)), &log).unwrap_err();
    assert_eq!(err.to_string(), want);
    let table = EventTable::from_events(&log).unwrap();
    let err = RfmSummary::new(t(10)).observe_table(&table).unwrap_err();
    assert_eq!(err.to_string(), want);
    // One purchase in each part: the merge overflows.
    let mut left = fold(RfmSummary::new(t(10)), &log[..1]).unwrap();
    let right = fold(RfmSummary::new(t(10)), &log[1..]).unwrap();
    let err = left.merge(right).unwrap_err();
    assert!(matches!(err, Error::Overflow { .. }), "{err}");
    // The state that failed is left, and the one before is still whole: 1e308 once.
    let mut ok = RfmSummary::new(t(10));
    ok.observe(&log[0]).unwrap();
    assert!(ok.observe(&log[1]).is_err());
    assert_eq!(ok.finish().unwrap().customers[0].monetary, 1e308);
}

#[test]
fn events_outside_the_supported_years_are_refused_by_the_fold() {
    // Year 0 is before 0001-01-01, the first supported instant.
    let early = Utc.with_ymd_and_hms(0, 6, 1, 0, 0, 0).unwrap();
    let err = fold(
        RfmSummary::new(t(10)),
        [EventRecord::<u8>::new(1_u8, early).with_amount(1.0)],
    )
    .unwrap_err();
    assert!(matches!(err, Error::InstantOutOfRange { .. }), "{err}");
}
