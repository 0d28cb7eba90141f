//! Bad input for the foundation: events, time, CSV reader, sample generator.

use chrono::{TimeZone, Utc};
use userops::Error;
use userops::activity::ActivitySummary;
use userops::event::EventRecord;
use userops::fold::{Fold, fold};
use userops::time::{Calendar, Interval, Zone, parse_instant};

fn t(d: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, d, 0, 0, 0).unwrap()
}

#[test]
fn nan_and_infinite_amounts_are_rejected_with_the_user_named() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut s = ActivitySummary::new(Calendar::new(Utc, Interval::Day));
        let e = EventRecord::<String>::new("ana", t(1)).with_amount(bad);
        match s.observe(&e) {
            Err(Error::NonFinite {
                field: "amount",
                user,
                ..
            }) => assert_eq!(user, "\"ana\""),
            other => panic!("expected NonFinite, got {other:?}"),
        }
        // The state is unchanged by the rejected event.
        assert!(s.is_empty());
    }
}

#[test]
fn unknown_time_zone_names_the_zone() {
    let err = Zone::parse("Mars/Olympus_Mons").unwrap_err();
    assert_eq!(err, Error::UnknownTimeZone("Mars/Olympus_Mons".into()));
    assert!(err.to_string().contains("America/Los_Angeles"));
}

#[test]
fn periods_to_before_from_is_an_error() {
    let cal = Calendar::new(Utc, Interval::Day);
    let err = cal.periods(t(5), t(1)).unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { name: "to", .. }),
        "{err:?}"
    );
    assert!(cal.grid(t(5), t(1)).is_err());
}

#[test]
fn unparseable_times_are_errors() {
    for text in [
        "",
        "tomorrow",
        "2025-13-01",
        "20251301",
        "NaN",
        "1e400",
        "1997011",
        "1735689600000",
    ] {
        assert!(
            matches!(parse_instant(text, &Utc), Err(Error::TimeParse { .. })),
            "{text:?}"
        );
    }
}

#[test]
fn empty_input_folds_to_an_empty_report() {
    let events: Vec<EventRecord<String>> = Vec::new();
    let s = fold(
        ActivitySummary::new(Calendar::new(Utc, Interval::Day)),
        &events,
    )
    .unwrap();
    assert!(userops::fold::Summary::finish(s).unwrap().users.is_empty());
}

#[test]
fn sample_generator_rejects_out_of_range_settings() {
    use userops::sample::{SampleConfig, generate};
    assert!(matches!(
        generate(&SampleConfig::new(0)),
        Err(Error::InvalidParameter { name: "users", .. })
    ));
    assert!(matches!(
        generate(&SampleConfig::new(5).months(0)),
        Err(Error::InvalidParameter { name: "months", .. })
    ));
    assert!(matches!(
        generate(&SampleConfig::new(5).events_per_user(f64::NAN)),
        Err(Error::InvalidParameter {
            name: "events_per_user",
            ..
        })
    ));
    assert!(matches!(
        generate(&SampleConfig::new(5).payer_share(1.5)),
        Err(Error::InvalidParameter {
            name: "payer_share",
            ..
        })
    ));
}

#[cfg(feature = "csv")]
#[test]
fn csv_unknown_column_lists_the_columns() {
    use userops::csv::{CsvSpec, read_events};
    let err = read_events(
        "id,when\n1,2025-01-01\n".as_bytes(),
        &CsvSpec::new("id", "time"),
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::UnknownColumn {
            column: "time".into(),
            available: "id, when".into()
        }
    );
}

#[cfg(feature = "csv")]
#[test]
fn csv_empty_file_with_header_expected() {
    use userops::csv::{CsvSpec, read_events};
    let err = read_events("".as_bytes(), &CsvSpec::new("id", "time")).unwrap_err();
    assert_eq!(err, Error::Empty("the file has no header row"));
}

/// Every fold refuses a host event outside the supported years (before 0001-01-01 or after
/// 9999-12-31 UTC) with the same error, before any calendar arithmetic is done with it.
#[test]
fn every_fold_refuses_events_outside_the_supported_years() {
    use chrono::{TimeZone, Utc};
    use userops::Error;
    use userops::activity::{ActivitySummary, PeriodTotals};
    use userops::event::EventRecord;
    use userops::fold::{Fold, fold};
    use userops::ltv::cohort::CohortSummary;
    use userops::ltv::{BtydSummary, TimeUnit};
    use userops::ops::health::DailyActivity;
    use userops::quadrant::UsageSummary;
    use userops::rfm::RfmSummary;
    use userops::time::{Calendar, Interval, Zone};

    let as_of = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    for at in [
        Utc.with_ymd_and_hms(0, 12, 31, 23, 0, 0).unwrap(),
        chrono::DateTime::<Utc>::MIN_UTC,
    ] {
        let e = [EventRecord::<u8>::new(1_u8, at).with_amount(1.0)];
        let month = Calendar::new(Zone::Utc, Interval::Month);
        let refused = |r: userops::Result<()>| {
            assert!(
                matches!(r, Err(Error::InstantOutOfRange { .. })),
                "{at}: {r:?}"
            );
        };
        refused(fold(RfmSummary::new(as_of), &e).map(drop));
        refused(fold(ActivitySummary::new(month.clone()), &e).map(drop));
        refused(fold(PeriodTotals::new(month.clone()), &e).map(drop));
        refused(fold(DailyActivity::new(Zone::Utc), &e).map(drop));
        refused(fold(CohortSummary::new(month.clone(), as_of), &e).map(drop));
        refused(fold(UsageSummary::new(Zone::Utc), &e).map(drop));
        let mut btyd = BtydSummary::new(as_of.date_naive(), TimeUnit::Week);
        refused(btyd.observe(&e[0]));
    }
}
