//! Bad input for retention and stickiness: each row asserts the exact error, or the documented
//! result where the input is legal but empty.

use chrono::{DateTime, TimeZone, Utc};
use userops::Error;
use userops::event::EventRecord;
use userops::fold::{Summary, fold};
use userops::retention::{
    EventMatch, EventsPerPeriod, MAX_PERIODS, RetentionMode, RetentionParams, RetentionSummary,
    StickinessParams,
};
use userops::time::{Calendar, Interval, Zone};

fn t(m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, m, d, 12, 0, 0).unwrap()
}

fn params(periods: usize) -> RetentionParams<Utc> {
    RetentionParams::new(Calendar::new(Utc, Interval::Day), t(3, 1), periods)
}

#[test]
fn zero_periods_is_an_error() {
    let err = params(0).check().unwrap_err();
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
    assert!(err.to_string().contains("at least 1"));
}

#[test]
fn too_many_periods_is_an_error() {
    let err = params(MAX_PERIODS + 1).check().unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidParameter {
            name: "periods",
            ..
        }
    ));
}

#[test]
fn empty_event_names_are_errors() {
    let err = params(3).start_event("").check().unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidParameter {
                name: "start_event",
                ..
            }
        ),
        "{err:?}"
    );
    let err = params(3).return_event("   ").check().unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidParameter {
                name: "return_event",
                ..
            }
        ),
        "{err:?}"
    );
    let err = StickinessParams::new(Calendar::new(Utc, Interval::Day), t(1, 1), t(1, 2))
        .event("")
        .check()
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { name: "event", .. }),
        "{err:?}"
    );
    assert!(
        EventMatch::parse("", "start_event")
            .unwrap_err()
            .to_string()
            .contains("\"*\"")
    );
}

#[test]
fn unknown_mode_is_an_error() {
    let err = RetentionMode::parse("weekly").unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { name: "mode", .. }));
}

#[test]
fn unknown_zone_is_an_error() {
    // The zone is named before a calendar exists: the error comes from `Zone::parse`.
    let err = Zone::parse("America/Atlantis").unwrap_err();
    assert_eq!(err, Error::UnknownTimeZone("America/Atlantis".into()));
}

#[test]
fn date_to_before_all_events_gives_empty_cohorts_and_says_why() {
    // Legal input, documented result: every cohort is empty, and the report counts the
    // events that fell after the window so the caller can see what happened.
    let log = vec![
        EventRecord::<u32>::new(1_u32, t(5, 1)).with_name("signup"),
        EventRecord::new(1_u32, t(5, 2)).with_name("open"),
    ];
    for mode in [RetentionMode::Recurring, RetentionMode::FirstTime] {
        let spec = params(7).mode(mode).start_event("signup").check().unwrap();
        let report = fold(RetentionSummary::new(spec), &log)
            .unwrap()
            .finish()
            .unwrap();
        assert_eq!(report.cohort_users, 0);
        assert!(
            report
                .cohorts
                .iter()
                .all(|c| c.counts.iter().all(|n| *n == 0))
        );
        assert_eq!(report.cohorts.len(), 7);
        assert_eq!(report.events_outside_window, 2);
        assert!(report.cohorts.iter().all(|c| c.rate(1).is_none())); // never NaN
    }
}

#[test]
fn stickiness_bad_ranges_and_criteria() {
    let cal = Calendar::new(Utc, Interval::Day);
    let err = StickinessParams::new(cal.clone(), t(2, 1), t(1, 1))
        .check()
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { name: "to", .. }),
        "{err:?}"
    );
    for criterion in [
        EventsPerPeriod::AtLeast(0),
        EventsPerPeriod::AtMost(0),
        EventsPerPeriod::Exactly(0),
    ] {
        let err = StickinessParams::new(cal.clone(), t(1, 1), t(1, 2))
            .events_per_period(criterion)
            .check()
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidParameter {
                    name: "events_per_period",
                    ..
                }
            ),
            "{err:?}"
        );
    }
    let err = StickinessParams::new(cal, t(1, 1), t(1, 1) + chrono::TimeDelta::days(20_000))
        .check()
        .unwrap_err();
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
fn events_without_names_match_only_the_any_pattern() {
    let log = vec![EventRecord::<u32>::new(1_u32, t(3, 1))];
    let spec = params(1)
        .start_event("signup")
        .return_event("open")
        .check()
        .unwrap();
    let report = fold(RetentionSummary::new(spec), &log)
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!((report.cohort_users, report.events_unmatched), (0, 1));
    let spec = params(1).check().unwrap();
    let report = fold(RetentionSummary::new(spec), &log)
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(report.cohorts[0].counts, [1]);
}

#[test]
fn extreme_instants_are_errors_not_panics() {
    for date_to in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC] {
        for interval in [
            Interval::Day,
            Interval::Week(chrono::Weekday::Sun),
            Interval::Month,
        ] {
            for zone in ["UTC", "US/Pacific", "+14:00", "-12:00"] {
                let cal = Calendar::new(Zone::parse(zone).unwrap(), interval);
                let err = RetentionParams::new(cal.clone(), date_to, 3)
                    .check()
                    .unwrap_err();
                assert!(
                    matches!(
                        err,
                        Error::InvalidParameter {
                            name: "date_to",
                            ..
                        }
                    ),
                    "{err:?}"
                );
                let err = StickinessParams::new(cal, date_to, date_to)
                    .check()
                    .unwrap_err();
                assert!(
                    matches!(err, Error::InvalidParameter { name: "from", .. }),
                    "{err:?}"
                );
            }
        }
    }
}

#[test]
fn far_but_legal_instants_work_in_every_zone() {
    // The last months of the supported range (years 1 to 9999, issue 18; it was ±200,000
    // years before the crate had one range): any zone, any interval, a long window.
    let far = Utc.with_ymd_and_hms(9999, 6, 1, 0, 0, 0).unwrap();
    let beyond = Utc.with_ymd_and_hms(150_000, 6, 1, 0, 0, 0).unwrap();
    let cal = Calendar::new(Utc, Interval::Day);
    assert_eq!(
        RetentionParams::new(cal, beyond, 1)
            .check()
            .unwrap_err()
            .to_string(),
        "invalid parameter `date_to`: +150000-06-01 00:00:00 UTC is outside the supported \
         instants 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z"
    );
    let log = vec![EventRecord::<u32>::new(1_u32, far)];
    for interval in [
        Interval::Day,
        Interval::Week(chrono::Weekday::Mon),
        Interval::Month,
    ] {
        for zone in ["UTC", "US/Pacific", "+14:00", "-12:00"] {
            let cal = Calendar::new(Zone::parse(zone).unwrap(), interval);
            let spec = RetentionParams::new(cal, far, 1_000).check().unwrap();
            let report = fold(RetentionSummary::new(spec), &log)
                .unwrap()
                .finish()
                .unwrap();
            assert_eq!(report.cohort_users, 1);
        }
    }
}

#[test]
fn min_return_events_out_of_range_is_an_error() {
    for n in [0, 256] {
        let err = params(3).min_return_events(n).check().unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidParameter {
                    name: "min_return_events",
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
