//! Bad input for the ops toolkit: experiments, warnings, health index, automation, NPS.

use chrono::NaiveDate;
use userops::Error;
use userops::ops::OpsError;
use userops::ops::automation::*;
use userops::ops::experiment::*;
use userops::ops::health::*;
use userops::ops::nps::Nps;
use userops::ops::warning::*;
use userops::time::{Interval, Period};

fn ops(err: Error) -> OpsError {
    match err {
        Error::Ops(e) => e,
        other => panic!("expected an ops error, got {other:?}"),
    }
}

fn param(err: &Error) -> &'static str {
    match err {
        Error::InvalidParameter { name, .. } => name,
        other => panic!("expected InvalidParameter, got {other:?}"),
    }
}

#[test]
fn empty_groups() {
    let e = two_proportions(
        Proportion::new(0, 0),
        Proportion::new(3, 10),
        &ProportionOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        ops(e),
        OpsError::EmptyGroup {
            group: "control".into()
        }
    );
    let e = welch_t_test(&[1.0, 2.0], &[], 0.95).unwrap_err();
    assert_eq!(
        ops(e),
        OpsError::EmptyGroup {
            group: "treatment".into()
        }
    );
    let e = welch_t_test(&[1.0], &[1.0, 2.0], 0.95).unwrap_err();
    assert_eq!(
        ops(e),
        OpsError::TooFewObservations {
            group: "control".into(),
            needed: 2,
            got: 1
        }
    );
    assert!(matches!(
        ops(proportions_chi_square(&[Proportion::new(1, 2)], false).unwrap_err()),
        OpsError::BadTable(_)
    ));
}

#[test]
fn successes_above_trials() {
    let e = two_proportions(
        Proportion::new(3, 10),
        Proportion::new(11, 10),
        &ProportionOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        ops(e),
        OpsError::SuccessesExceedTrials {
            group: "treatment".into(),
            successes: 11,
            trials: 10
        }
    );
    let e =
        proportions_chi_square(&[Proportion::new(1, 2), Proportion::new(5, 4)], false).unwrap_err();
    assert!(matches!(ops(e), OpsError::SuccessesExceedTrials { .. }));
}

#[test]
fn zero_variance() {
    let e = welch_t_test(&[3.0, 3.0, 3.0], &[3.0, 3.0], 0.95).unwrap_err();
    assert_eq!(
        ops(e),
        OpsError::ZeroVariance {
            test: "Welch t-test"
        }
    );
    // All converted in both groups: the pooled proportion is 1, the z statistic undefined.
    let e = two_proportions(
        Proportion::new(10, 10),
        Proportion::new(20, 20),
        &ProportionOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(ops(e), OpsError::ZeroVariance { .. }));
    let e = two_proportions(
        Proportion::new(0, 10),
        Proportion::new(0, 20),
        &ProportionOptions::corrected(),
    )
    .unwrap_err();
    assert!(matches!(ops(e), OpsError::ZeroVariance { .. }));
}

#[test]
fn non_finite_values_in_a_t_test() {
    let e = welch_t_test(&[1.0, f64::NAN], &[1.0, 2.0], 0.95).unwrap_err();
    assert!(
        matches!(e, Error::NonFinite { field: "value", .. }),
        "{e:?}"
    );
}

#[test]
fn bad_contingency_tables() {
    for table in [
        vec![vec![1.0, 2.0]],                      // one row
        vec![vec![1.0], vec![2.0]],                // one column
        vec![vec![1.0, 2.0], vec![3.0]],           // ragged
        vec![vec![1.0, -2.0], vec![3.0, 4.0]],     // negative
        vec![vec![1.0, f64::NAN], vec![3.0, 4.0]], // NaN
        vec![vec![0.0, 0.0], vec![3.0, 4.0]],      // empty row
        vec![vec![0.0, 2.0], vec![0.0, 4.0]],      // empty column
    ] {
        let e = chi_square(&table, true).unwrap_err();
        assert!(matches!(ops(e), OpsError::BadTable(_)), "{table:?}");
    }
}

#[test]
fn out_of_range_parameters() {
    let bad = ProportionOptions {
        continuity_correction: false,
        confidence: 1.0,
    };
    let e = two_proportions(Proportion::new(1, 10), Proportion::new(2, 10), &bad).unwrap_err();
    assert_eq!(param(&e), "confidence");
    assert_eq!(
        param(&welch_t_test(&[1.0, 2.0], &[2.0, 4.0], f64::NAN).unwrap_err()),
        "confidence"
    );
    assert_eq!(
        param(&sample_size_two_proportions(0.5, 0.5, &PowerSpec::default()).unwrap_err()),
        "p2"
    );
    assert_eq!(
        param(&sample_size_two_proportions(0.0, 0.5, &PowerSpec::default()).unwrap_err()),
        "p1"
    );
    assert_eq!(
        param(&sample_size_two_proportions(0.2, 0.3, &PowerSpec::with_power(1.0)).unwrap_err()),
        "power"
    );
    let spec = PowerSpec {
        alpha: 0.0,
        ..PowerSpec::default()
    };
    assert_eq!(
        param(&sample_size_two_proportions(0.2, 0.3, &spec).unwrap_err()),
        "alpha"
    );
    assert_eq!(
        param(&sample_size_for_mde(0.95, 0.1, &PowerSpec::default()).unwrap_err()),
        "mde"
    );
    assert_eq!(
        param(&power_two_proportions(0.0, 0.2, 0.3, 0.05, true).unwrap_err()),
        "n"
    );
    assert_eq!(
        param(&Nps::default().report(0.0).unwrap_err()),
        "confidence"
    );
}

#[test]
fn warning_thresholds_out_of_range() {
    assert_eq!(
        param(&WarningThresholds::new(0.0, 0.1, 0.15).unwrap_err()),
        "complaint_rate"
    );
    assert_eq!(
        param(&WarningThresholds::new(0.05, 1.01, 0.15).unwrap_err()),
        "churn_rate"
    );
    assert_eq!(
        param(&WarningThresholds::new(0.05, 0.1, f64::INFINITY).unwrap_err()),
        "ltv_drop"
    );
    let t = WarningThresholds {
        ltv_drop: -0.2,
        ..WarningThresholds::default()
    };
    assert_eq!(
        param(&t.evaluate(&WarningFigures::default()).unwrap_err()),
        "ltv_drop"
    );
    // Figures out of range.
    assert_eq!(
        param(&WarningFigures::default().complaints(3, 0).unwrap_err()),
        "complaint_rate"
    );
    assert_eq!(
        param(&WarningFigures::default().churn(11, 10).unwrap_err()),
        "churn_rate"
    );
    assert_eq!(
        param(&WarningFigures::default().ltv(-5.0, 1.0).unwrap_err()),
        "ltv_before"
    );
    assert_eq!(
        param(&WarningFigures::default().ltv(5.0, f64::NAN).unwrap_err()),
        "ltv_now"
    );
}

#[test]
fn health_settings_and_series_out_of_range() {
    let p = HealthParams {
        weights: HealthWeights {
            activity: 0.0,
            contribution: 0.0,
            loyalty: 0.0,
        },
        ..HealthParams::default()
    };
    assert_eq!(param(&HealthModel::new(p).unwrap_err()), "weights");
    let p = HealthParams {
        healthy_line: 30.0,
        ..HealthParams::default()
    };
    assert_eq!(param(&HealthModel::new(p).unwrap_err()), "healthy_line");
    let p = HealthParams {
        contribution_target: ContributionTarget::PayerQuantile(1.5),
        ..HealthParams::default()
    };
    assert_eq!(
        param(&HealthModel::new(p).unwrap_err()),
        "contribution_target"
    );
    let p = HealthParams {
        anomaly_k: 0.0,
        ..HealthParams::default()
    };
    assert_eq!(param(&HealthModel::new(p).unwrap_err()), "anomaly_k");
    let d = |x| NaiveDate::from_ymd_opt(2025, 1, x).unwrap();
    let series = [(d(1), 1.0), (d(2), f64::NAN)];
    assert!(matches!(
        below_line_alerts(&series, 40.0, 3).unwrap_err(),
        Error::NonFinite { field: "index", .. }
    ));
    assert_eq!(
        param(&below_line_alerts(&[(d(1), 1.0)], 40.0, 0).unwrap_err()),
        "consecutive_days"
    );
    assert!(matches!(
        below_line_alerts(&[(d(2), 1.0), (d(1), 1.0)], 40.0, 3).unwrap_err(),
        Error::InvalidInput(_)
    ));
    assert_eq!(
        param(&anomalies(&[(d(1), 1.0)], 2, 3.0).unwrap_err()),
        "baseline_days"
    );
    // Nothing to score.
    let empty = DailyActivityReport::<u32> { users: vec![] };
    let model = HealthModel::new(HealthParams::default()).unwrap();
    assert!(matches!(
        model.score(&empty, d(1), d(2)).unwrap_err(),
        Error::Empty(_)
    ));
}

#[test]
fn rules_naming_unknown_segments() {
    let mut s = SegmentMap::new();
    s.declare(SegmentKind::Rfm, ["champions", "at_risk"]);
    s.assign(SegmentKind::Rfm, 1_u32, "at_risk");
    let p = Period::containing(
        NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
        Interval::Month,
    );
    let rules = RuleSet::new(
        vec![Rule::new(
            "typo",
            SegmentKind::Rfm,
            "at-risk",
            "coupon",
            "email",
        )],
        MatchMode::FirstMatch,
    );
    let e = rules
        .evaluate(p, &[LastActive::new(1, p)], &s, &Attributes::new())
        .unwrap_err();
    assert_eq!(
        ops(e),
        OpsError::UnknownSegment {
            rule: "typo".into(),
            kind: "rfm".into(),
            label: "at-risk".into(),
            known: "at_risk, champions".into()
        }
    );
    // A kind the source does not know at all.
    let rules = RuleSet::new(
        vec![Rule::new(
            "life",
            SegmentKind::Lifecycle,
            "dormant",
            "push",
            "push",
        )],
        MatchMode::FirstMatch,
    );
    let e = rules.check(&s, &Attributes::new()).unwrap_err();
    assert!(matches!(ops(e), OpsError::UnknownSegment { known, .. } if known.is_empty()));
    // An attribute not supplied, a duplicate rule name, an empty channel.
    let rules = RuleSet::new(
        vec![
            Rule::new("r", SegmentKind::Rfm, "at_risk", "x", "email")
                .with_attribute("region", ["north"]),
        ],
        MatchMode::FirstMatch,
    );
    assert!(matches!(
        ops(rules.check(&s, &Attributes::new()).unwrap_err()),
        OpsError::UnknownAttribute { .. }
    ));
    let r = Rule::new("r", SegmentKind::Rfm, "at_risk", "x", "email");
    let rules = RuleSet::new(vec![r.clone(), r], MatchMode::EveryMatch);
    assert_eq!(
        ops(rules.check(&s, &Attributes::new()).unwrap_err()),
        OpsError::DuplicateRule("r".into())
    );
    let rules = RuleSet::new(
        vec![Rule::new("r", SegmentKind::Rfm, "at_risk", "x", " ")],
        MatchMode::EveryMatch,
    );
    assert_eq!(
        param(&rules.check(&s, &Attributes::new()).unwrap_err()),
        "channel"
    );
    // Activity after the evaluated period, or in another interval.
    let rules = RuleSet::new(
        vec![Rule::new("r", SegmentKind::Rfm, "at_risk", "x", "email")],
        MatchMode::EveryMatch,
    );
    assert_eq!(
        param(
            &rules
                .evaluate(p, &[LastActive::new(1, p.next())], &s, &Attributes::new())
                .unwrap_err()
        ),
        "period"
    );
    let day = Period::containing(NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(), Interval::Day);
    assert_eq!(
        param(
            &rules
                .evaluate(p, &[LastActive::new(1, day)], &s, &Attributes::new())
                .unwrap_err()
        ),
        "period"
    );
    // A compensation plan naming an unknown tier.
    let plan = CompensationPlan::new().tier("platinum", Compensation::new("c", 1.0));
    assert!(matches!(
        ops(plan.apply(&[1_u32], &s).unwrap_err()),
        OpsError::UnknownSegment { .. }
    ));
}

#[test]
fn funnel_out_of_order_and_bad_amounts() {
    use userops::fold::Fold;
    let mut r = ReachSummary::default();
    let e = r.observe(&Delivery::new("email").opened()).unwrap_err();
    assert!(matches!(ops(e), OpsError::FunnelOrder { .. }));
    let e = r.add_counts("sms", 10, 9, 3, 4).unwrap_err();
    assert!(matches!(ops(e), OpsError::FunnelOrder { .. }));
    let mut tiers = SegmentMap::new();
    tiers.assign(SegmentKind::ValueTier, 1_u32, "gold");
    let plan = CompensationPlan::new().tier("gold", Compensation::new("c", f64::NAN));
    assert_eq!(param(&plan.apply(&[1], &tiers).unwrap_err()), "amount");
}

#[test]
fn nps_scores_outside_0_to_10() {
    for bad in [-1_i64, 11, 100] {
        assert_eq!(
            ops(Nps::from_scores([9_i64, bad], 0.95).unwrap_err()),
            OpsError::ScoreOutOfRange(bad)
        );
    }
    assert_eq!(
        Nps::from_scores(Vec::<i64>::new(), 0.95).unwrap_err(),
        Error::Empty("no survey answers")
    );
}
