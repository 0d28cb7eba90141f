//! Bad input for the quadrant and metric modules: trees with cycles or duplicate names,
//! negative or zero weights, metrics yielding NaN, out-of-range parameters.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use userops::Error;
use userops::event::EventRecord;
use userops::fold::{Fold, Summary, fold};
use userops::metric::*;
use userops::quadrant::{ProductFigures, QuadrantParams, UsageSummary, classify};

type Ev = EventRecord<String>;

fn t(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, d, 0, 0, 0).unwrap()
}

fn window() -> Window {
    Window::new(t(1), t(31)).unwrap()
}

#[test]
fn duplicate_metric_name() {
    let err = MetricTree::<Ev>::standard()
        .secondary("revenue", "payments", Measure::Payments)
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        Error::Metric(MetricError::DuplicateName("payments".into()))
    );
}

#[test]
fn duplicate_host_metric_name() {
    struct A;
    impl SecondaryMetric<Ev> for A {
        fn name(&self) -> &str {
            "events"
        }
        fn observe(&self, _: &Ev) -> f64 {
            1.0
        }
    }
    let err = MetricTree::<Ev>::standard()
        .host("visit_frequency", A)
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        Error::Metric(MetricError::DuplicateName("events".into()))
    );
}

#[test]
fn cycle_through_parents() {
    let err = MetricTree::<Ev>::builder()
        .primary("root", Measure::Events)
        .metric(MetricDef::new("a", Some("b"), Measure::Events))
        .metric(MetricDef::new("b", Some("c"), Measure::Events))
        .metric(MetricDef::new("c", Some("a"), Measure::Events))
        .build()
        .unwrap_err();
    match err {
        Error::Metric(MetricError::Cycle(path)) => {
            assert_eq!(path.first(), path.last());
            assert_eq!(path.len(), 4, "{path:?}");
        }
        other => panic!("expected a cycle, got {other:?}"),
    }
}

#[test]
fn metric_that_is_its_own_parent() {
    let err = MetricTree::<Ev>::builder()
        .metric(MetricDef::new("a", Some("a"), Measure::Events))
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        Error::Metric(MetricError::Cycle(vec!["a".into(), "a".into()]))
    );
}

#[test]
fn cycle_through_rates() {
    let err = MetricTree::<Ev>::builder()
        .primary("a", Measure::per_active_day("b"))
        .secondary("a", "b", Measure::ratio("c", "a"))
        .secondary("a", "c", Measure::Events)
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Metric(MetricError::Cycle(p)) if p.contains(&"a".to_string()) && p.contains(&"b".to_string())),
        "{err:?}"
    );
}

#[test]
fn unknown_parent_or_reference() {
    let err = MetricTree::<Ev>::builder()
        .secondary("nowhere", "x", Measure::Events)
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        Error::Metric(MetricError::UnknownMetric {
            name: "nowhere".into(),
            referenced_by: "x".into()
        })
    );
    let err = MetricTree::<Ev>::builder()
        .primary("x", Measure::per_active_day("missing"))
        .build()
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Metric(MetricError::UnknownMetric { .. })
    ));
    // A host measure without a host metric behind it.
    let err = MetricTree::<Ev>::builder()
        .primary("x", Measure::Host)
        .build()
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Metric(MetricError::UnknownMetric { .. })
    ));
}

#[test]
fn empty_tree_and_empty_name() {
    assert!(matches!(
        MetricTree::<Ev>::builder().build(),
        Err(Error::Empty(_))
    ));
    assert!(matches!(
        MetricTree::<Ev>::builder()
            .primary(" ", Measure::Events)
            .build(),
        Err(Error::InvalidParameter { name: "name", .. })
    ));
}

#[test]
fn negative_weights() {
    for w in [-1.0, -1e-300, f64::NAN, f64::NEG_INFINITY, f64::INFINITY] {
        let err = ValueWeights::new([("revenue", 1.0), ("visit_frequency", w)]).unwrap_err();
        assert!(
            matches!(&err, Error::Metric(MetricError::NegativeWeight { metric, .. }) if metric == "visit_frequency"),
            "{w}: {err:?}"
        );
    }
}

#[test]
fn weights_summing_to_zero() {
    let none: [(&str, f64); 0] = [];
    for err in [
        ValueWeights::new([("revenue", 0.0), ("arpu", 0.0)]).unwrap_err(),
        ValueWeights::new(none).unwrap_err(),
    ] {
        assert_eq!(err, Error::Metric(MetricError::ZeroWeights));
    }
    assert_eq!(
        ValueWeights::new([("a", 1.0), ("a", 2.0)]).unwrap_err(),
        Error::Metric(MetricError::DuplicateName("a".into()))
    );
}

#[test]
fn weight_on_a_metric_the_tree_lacks() {
    let tree = Arc::new(MetricTree::<Ev>::standard().build().unwrap());
    let log = vec![Ev::new("ann".to_string(), t(2))];
    let r = fold(MetricSummary::new(tree, Utc, window()), &log)
        .unwrap()
        .finish()
        .unwrap();
    let err = value_scores(
        &r,
        &ValueWeights::new([("karma", 1.0)]).unwrap(),
        &TierParams::default(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::Metric(MetricError::UnknownMetric {
            name: "karma".into(),
            referenced_by: "weights".into()
        })
    );
}

struct Karma;
impl SecondaryMetric<Ev> for Karma {
    fn name(&self) -> &str {
        "karma"
    }
    fn observe(&self, e: &Ev) -> f64 {
        if e.name.as_deref() == Some("bad") {
            f64::NAN
        } else {
            1.0
        }
    }
}

#[test]
fn host_metric_yielding_nan_names_metric_and_user() {
    let tree = Arc::new(
        MetricTree::<Ev>::builder()
            .host_metric(None, Arc::new(Karma))
            .build()
            .unwrap(),
    );
    let mut s = MetricSummary::new(tree, Utc, window());
    s.observe(&Ev::new("ann".to_string(), t(2))).unwrap();
    let err = s
        .observe(&Ev::new("bob".to_string(), t(3)).with_name("bad"))
        .unwrap_err();
    match err {
        Error::Metric(MetricError::NotANumber {
            metric,
            user,
            value,
        }) => {
            assert_eq!((metric.as_str(), user.as_str()), ("karma", "\"bob\""));
            assert!(value.is_nan());
        }
        other => panic!("expected NotANumber, got {other:?}"),
    }
    // The rejected event changed nothing.
    assert_eq!(s.len(), 1);
}

#[test]
fn metric_value_overflowing_to_infinity_names_metric_and_user() {
    let tree = Arc::new(MetricTree::<Ev>::standard().build().unwrap());
    let log = vec![
        Ev::new("cy".to_string(), t(2)).with_amount(f64::MAX),
        Ev::new("cy".to_string(), t(3)).with_amount(f64::MAX),
    ];
    let err = fold(MetricSummary::new(tree, Utc, window()), &log)
        .unwrap()
        .finish()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Metric(MetricError::NotANumber { user, .. }) if user == "\"cy\""),
        "{err:?}"
    );
}

#[test]
fn nan_in_a_metric_report_names_metric_and_user() {
    let report = MetricReport::<u32> {
        window: window(),
        metrics: vec![MetricInfo {
            name: "revenue".into(),
            parent: None,
            depth: 0,
            measure: Measure::Amount,
        }],
        users: vec![7, 8],
        values: vec![1.0, f64::NAN],
        outside_window: 0,
    };
    let err = value_scores(
        &report,
        &ValueWeights::new([("revenue", 1.0)]).unwrap(),
        &TierParams::default(),
    )
    .unwrap_err();
    match err {
        Error::Metric(MetricError::NotANumber { metric, user, .. }) => {
            assert_eq!((metric.as_str(), user.as_str()), ("revenue", "8"));
        }
        other => panic!("expected NotANumber, got {other:?}"),
    }
    assert!(matches!(
        population(&report, 10),
        Err(Error::Metric(MetricError::NotANumber { .. }))
    ));
}

#[test]
fn nan_amounts_and_negative_durations() {
    let tree = Arc::new(MetricTree::<Ev>::standard().build().unwrap());
    let mut s = MetricSummary::new(tree, Utc, window());
    assert!(matches!(
        s.observe(&Ev::new("a".to_string(), t(2)).with_amount(f64::NAN)),
        Err(Error::NonFinite {
            field: "amount",
            ..
        })
    ));
    assert!(matches!(
        s.observe(&Ev::new("a".to_string(), t(2)).with_duration(TimeDelta::seconds(-5))),
        Err(Error::Negative {
            field: "duration",
            ..
        })
    ));
    assert!(s.is_empty());
}

#[test]
fn empty_inputs() {
    let tree = Arc::new(MetricTree::<Ev>::standard().build().unwrap());
    let r = fold(MetricSummary::new(tree, Utc, window()), Vec::<Ev>::new())
        .unwrap()
        .finish()
        .unwrap();
    assert!(r.users.is_empty());
    assert!(matches!(population(&r, 10), Err(Error::Empty(_))));
    assert!(matches!(
        value_scores(
            &r,
            &ValueWeights::new([("revenue", 1.0)]).unwrap(),
            &TierParams::default()
        ),
        Err(Error::Empty(_))
    ));
    assert!(matches!(global_lift(&r, &r), Err(Error::Empty(_))));
    assert!(matches!(
        fold(UsageSummary::<String, _>::new(Utc), Vec::<Ev>::new())
            .unwrap()
            .finish(),
        Err(Error::Empty(_))
    ));
    assert_eq!(pareto_share(&[]), 0.2);
}

#[test]
fn out_of_range_parameters() {
    assert!(matches!(
        Window::new(t(2), t(1)),
        Err(Error::InvalidParameter { name: "window", .. })
    ));
    assert!(matches!(
        Window::new(DateTime::UNIX_EPOCH, DateTime::<Utc>::MAX_UTC),
        Err(Error::InvalidParameter { name: "window", .. })
    ));
    assert!(matches!(
        Window::trailing_days(t(5), 0),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        QuadrantParams::new(f64::NAN, 0.1),
        Err(Error::InvalidParameter {
            name: "high_frequency_days",
            ..
        })
    ));
    assert!(matches!(
        QuadrantParams::new(4.0, 0.0),
        Err(Error::InvalidParameter {
            name: "direct_payer_share",
            ..
        })
    ));
    assert!(matches!(
        ProductFigures::given(4.0, 1.01),
        Err(Error::InvalidParameter {
            name: "payer_share",
            ..
        })
    ));
    let bad = ProductFigures {
        active_days_per_user_month: f64::NAN,
        payer_share: 0.1,
        counts: None,
    };
    assert!(matches!(
        classify(&bad, &QuadrantParams::default()),
        Err(Error::InvalidParameter {
            name: "active_days_per_user_month",
            ..
        })
    ));
    assert!(matches!(
        TierParams::new(vec![0.5, 0.5], vec!["a".into(), "b".into(), "c".into()]),
        Err(Error::InvalidParameter { name: "cuts", .. })
    ));
    assert!(matches!(
        TierParams::new(vec![0.5], vec!["a".into()]),
        Err(Error::InvalidParameter { name: "names", .. })
    ));
    assert!(matches!(
        KeyUserParams::new(0, 0.1, "s"),
        Err(Error::InvalidParameter { name: "n", .. })
    ));
    assert!(matches!(
        KeyUserParams::new(10, 1.0, "s"),
        Err(Error::InvalidParameter {
            name: "holdout_share",
            ..
        })
    ));
    assert!(matches!(
        PreferenceSummary::<u32, _>::new(
            userops::time::Calendar::new(Utc, userops::time::Interval::Month),
            t(1),
            65
        ),
        Err(Error::InvalidParameter {
            name: "periods",
            ..
        })
    ));
    let r = MetricReport::<u32> {
        window: window(),
        metrics: vec![],
        users: vec![],
        values: vec![],
        outside_window: 0,
    };
    let v = ValueReport::<u32> {
        weights: vec![],
        users: vec![],
        tiers: vec![],
        pareto_share: 0.2,
    };
    assert!(matches!(
        falling_usage(
            &r,
            &v,
            &r,
            &FallingParams {
                usage: "visit_frequency".into(),
                min_drop: 0.0
            }
        ),
        Err(Error::InvalidParameter {
            name: "min_drop",
            ..
        })
    ));
}

#[test]
fn merging_summaries_of_different_trees_or_windows() {
    let a = Arc::new(MetricTree::<Ev>::standard().build().unwrap());
    let b = Arc::new(MetricTree::<Ev>::standard().build().unwrap());
    let mut s = MetricSummary::new(Arc::clone(&a), Utc, window());
    assert!(matches!(
        s.merge(MetricSummary::new(b, Utc, window())),
        Err(Error::MergeMismatch(_))
    ));
    let other = Window::new(t(2), t(31)).unwrap();
    assert!(matches!(
        s.merge(MetricSummary::new(a, Utc, other)),
        Err(Error::MergeMismatch(_))
    ));
}
