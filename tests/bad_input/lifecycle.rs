//! Bad input for the lifecycle models: each row asserts the exact error.

use chrono::{TimeZone, Utc};
use userops::Error;
use userops::event::EventRecord;
use userops::fold::{Summary, fold};
use userops::lifecycle::{
    ForecastStart, Lever, LifecycleSummary, PlanOutcome, Rates, StageParams, forecast, plan,
};
use userops::time::{Calendar, Interval, Zone};

fn t(m: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, m, 1, 0, 0, 0).unwrap()
}

fn start() -> ForecastStart {
    ForecastStart {
        period: None,
        churn_after: 2,
        known: 100.0,
        new: 10.0,
        old_active: 40.0,
        dormant: 20.0,
        churned: 30.0,
    }
}

fn rates() -> Rates {
    Rates::new(0.75, 0.5, 0.25, 0.1, 0.0).unwrap()
}

#[test]
fn to_before_from() {
    let err = LifecycleSummary::<u32, _>::new(Calendar::new(Utc, Interval::Month), t(5), t(1))
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { name: "to", .. }),
        "{err:?}"
    );
}

#[test]
fn zero_periods_to_forecast_or_average() {
    let err = forecast(&start(), &rates(), &[]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidParameter {
                name: "periods",
                ..
            }
        ),
        "{err:?}"
    );
    let err = plan(&start(), &rates(), &[], Lever::WakeRate, 0.5).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidParameter {
                name: "periods",
                ..
            }
        ),
        "{err:?}"
    );
    let s = LifecycleSummary::new(Calendar::new(Utc, Interval::Month), t(1), t(3)).unwrap();
    let report = fold(s, [EventRecord::<u8>::new(1_u8, t(1))])
        .unwrap()
        .finish()
        .unwrap()
        .stages(&StageParams::default(), None);
    let err = Rates::trailing(&report, 0).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidParameter {
                name: "periods",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn unknown_zone() {
    assert_eq!(
        Zone::parse("Europe/Atlantis").unwrap_err(),
        Error::UnknownTimeZone("Europe/Atlantis".into())
    );
}

#[test]
fn churn_after_zero_or_huge() {
    for bad in [0, userops::lifecycle::MAX_CHURN_AFTER + 1] {
        let err = StageParams::new(bad).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidParameter {
                    name: "churn_after",
                    ..
                }
            ),
            "{err:?}"
        );
    }
    let mut s = start();
    s.churn_after = 0;
    assert!(matches!(
        forecast(&s, &rates(), &[1.0]),
        Err(Error::InvalidParameter {
            name: "churn_after",
            ..
        })
    ));
}

#[test]
fn target_rate_above_100_percent_or_not_a_number() {
    for bad in [1.2, -0.1, f64::NAN, f64::INFINITY] {
        let err = plan(&start(), &rates(), &[10.0], Lever::OldRetention, bad).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidParameter {
                    name: "target_rate",
                    ..
                }
            ),
            "{bad}: {err:?}"
        );
    }
    // Exactly 100% is a valid target, usually out of reach: a clear answer, not an error.
    let p = plan(&start(), &rates(), &[10.0], Lever::OldRetention, 1.0).unwrap();
    assert!(matches!(p.outcome, PlanOutcome::Unreachable { .. }));
}

#[test]
fn rates_out_of_range() {
    assert!(matches!(
        Rates::new(1.5, 0.5, 0.2, 0.1, 0.0),
        Err(Error::InvalidParameter {
            name: "old_retention",
            ..
        })
    ));
    assert!(matches!(
        Rates::new(0.5, f64::NAN, 0.2, 0.1, 0.0),
        Err(Error::InvalidParameter {
            name: "new_retention",
            ..
        })
    ));
    assert!(matches!(
        Rates::new(0.5, 0.5, 0.8, 0.1, 0.5),
        Err(Error::InvalidParameter {
            name: "wake_rate",
            ..
        })
    ));
    assert!(matches!(
        rates().with(Lever::ReturnRate, -0.1),
        Err(Error::InvalidParameter {
            name: "return_rate",
            ..
        })
    ));
    assert!(matches!(
        Lever::parse("price"),
        Err(Error::InvalidParameter { name: "lever", .. })
    ));
}

#[test]
fn negative_or_nan_counts_and_expected_new_users() {
    let mut s = start();
    s.dormant = -1.0;
    assert!(matches!(
        forecast(&s, &rates(), &[1.0]),
        Err(Error::InvalidParameter { name: "start", .. })
    ));
    assert!(matches!(
        forecast(&start(), &rates(), &[1.0, f64::NAN]),
        Err(Error::InvalidParameter {
            name: "expected_new",
            ..
        })
    ));
}

#[test]
fn empty_data_gives_empty_reports_and_clear_errors() {
    let s =
        LifecycleSummary::<u32, _>::new(Calendar::new(Utc, Interval::Month), t(1), t(3)).unwrap();
    let activity = s.finish().unwrap();
    let report = activity.stages(&StageParams::default(), None);
    assert!(
        report
            .rows
            .iter()
            .all(|r| r.known == 0 && r.active_rate == 0.0)
    );
    assert!(report.decomposition.iter().all(|d| d.old_retention == 0.0));
    let ph = activity.posthog(None);
    assert_eq!(ph.new, [0, 0, 0]);
    // A report without rows cannot start a forecast.
    let mut empty = report.clone();
    empty.rows.clear();
    empty.decomposition.clear();
    assert!(matches!(
        ForecastStart::from_report(&empty),
        Err(Error::Empty(_))
    ));
    assert!(matches!(Rates::trailing(&empty, 3), Err(Error::Empty(_))));
}

#[test]
fn merging_different_windows_is_refused() {
    let cal = Calendar::new(Utc, Interval::Month);
    let mut a = LifecycleSummary::<u32, _>::new(cal.clone(), t(1), t(3)).unwrap();
    let b = LifecycleSummary::<u32, _>::new(cal, t(1), t(4)).unwrap();
    assert!(matches!(a.merge(b), Err(Error::MergeMismatch(_))));
}

/// Chrono's first and last instants are outside the supported years (0001..=9999 UTC): the
/// fold refuses them with the crate's one error for that, never a panic; instants at the ends
/// of the supported years are folded.
#[test]
fn extreme_instants_are_refused_not_panics() {
    let cal = Calendar::new(Utc, Interval::Day);
    let s = || LifecycleSummary::new(cal.clone(), t(1), t(2)).unwrap();
    for at in [
        chrono::DateTime::<Utc>::MIN_UTC,
        chrono::DateTime::<Utc>::MAX_UTC,
    ] {
        let err = fold(s(), [EventRecord::<u8>::new(1_u8, at)]).unwrap_err();
        assert!(matches!(err, Error::InstantOutOfRange { .. }), "{err}");
    }
    let first = Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap();
    let last = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap();
    let events = [
        EventRecord::<u8>::new(1_u8, first),
        EventRecord::new(1_u8, last),
        EventRecord::new(2_u8, last),
    ];
    let activity = fold(s(), &events).unwrap().finish().unwrap();
    let report = activity.stages(&StageParams::default(), None);
    // User 1 is known (since year 1) and churned; user 2 only appears after `to`.
    assert_eq!(report.rows[0].churned, 1);
    assert_eq!(report.rows[0].known, 1);
    let _ = activity.posthog(None);
}
