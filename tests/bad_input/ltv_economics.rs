//! Bad input for unit economics and cohort LTV (`ltv::economics`, `ltv::cohort`).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use userops::Error;
use userops::event::EventRecord;
use userops::fold::{Fold, Summary, fold};
use userops::ltv::cohort::{CohortLedger, CohortSummary, cohort_ltv};
use userops::ltv::economics::{
    LtvParams, channel_economics, churn_rate, ltv, payback_period, period_economics,
};
use userops::time::{Calendar, Interval};

fn at(m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, m, d, 12, 0, 0).unwrap()
}

fn jan() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
}

fn ledger() -> CohortLedger<u8> {
    let events = vec![
        EventRecord::<u8>::new(1_u8, at(1, 3)).with_amount(10.0),
        EventRecord::new(2_u8, at(1, 4)),
        EventRecord::new(1_u8, at(2, 4)),
    ];
    fold(
        CohortSummary::new(Calendar::new(Utc, Interval::Month), at(2, 28)),
        &events,
    )
    .unwrap()
    .finish()
    .unwrap()
}

fn channels() -> HashMap<u8, String> {
    [(1, "ads".to_string()), (2, "organic".to_string())].into()
}

fn empty_ledger() -> CohortLedger<u8> {
    let events: Vec<EventRecord<u8>> = Vec::new();
    fold(
        CohortSummary::new(Calendar::new(Utc, Interval::Month), at(2, 28)),
        &events,
    )
    .unwrap()
    .finish()
    .unwrap()
}

#[test]
fn churn_zero_without_discount_is_an_unbounded_ltv_error() {
    let p = LtvParams::new(0.5).unwrap();
    assert!(matches!(
        ltv(&p, 10.0, 0.0),
        Err(Error::InvalidParameter { name: "churn", .. })
    ));
    // With a discount rate, churn 0 is finite: 0.5 × 10 × 1.05 / 0.05 = 105.
    let d = p.with_discount_rate(0.05).unwrap();
    assert!((ltv(&d, 10.0, 0.0).unwrap() - 105.0).abs() < 1e-9);
}

#[test]
fn churn_outside_zero_one_is_rejected() {
    let p = LtvParams::new(0.5).unwrap();
    for bad in [1.0001, 2.0, -0.1, f64::NAN, f64::INFINITY] {
        assert!(
            matches!(
                ltv(&p, 10.0, bad),
                Err(Error::InvalidParameter { name: "churn", .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn host_given_churn_figures_are_checked() {
    assert!(matches!(
        churn_rate(0, 0),
        Err(Error::InvalidParameter {
            name: "at_start",
            ..
        })
    ));
    assert!(matches!(
        churn_rate(10, 11),
        Err(Error::InvalidParameter { name: "lost", .. })
    ));
}

#[test]
fn margin_outside_zero_one_is_rejected() {
    for bad in [-0.01, 1.01, 70.0, f64::NAN, f64::INFINITY] {
        assert!(
            matches!(
                LtvParams::new(bad),
                Err(Error::InvalidParameter { name: "margin", .. })
            ),
            "{bad}"
        );
        // Params built field by field are checked where they are used.
        let p = LtvParams {
            margin: bad,
            discount_rate: 0.0,
        };
        assert!(matches!(
            ltv(&p, 1.0, 0.5),
            Err(Error::InvalidParameter { name: "margin", .. })
        ));
        assert!(matches!(
            channel_economics(&ledger(), &channels(), [("ads", jan(), 1.0)], &p),
            Err(Error::InvalidParameter { name: "margin", .. })
        ));
        assert!(matches!(
            payback_period(1.0, bad, &[1.0]),
            Err(Error::InvalidParameter { name: "margin", .. })
        ));
    }
}

#[test]
fn discount_rate_outside_zero_one_is_rejected() {
    for bad in [-0.01, 1.5, f64::NAN] {
        assert!(
            matches!(
                LtvParams::new(0.5).unwrap().with_discount_rate(bad),
                Err(Error::InvalidParameter {
                    name: "discount_rate",
                    ..
                })
            ),
            "{bad}"
        );
    }
}

#[test]
fn bad_arpu_is_rejected() {
    let p = LtvParams::new(0.5).unwrap();
    assert!(matches!(
        ltv(&p, -1.0, 0.5),
        Err(Error::Negative { field: "arpu", .. })
    ));
    assert!(matches!(
        ltv(&p, f64::NAN, 0.5),
        Err(Error::NonFinite { field: "arpu", .. })
    ));
}

#[test]
fn negative_or_non_finite_spend_is_rejected() {
    let p = LtvParams::new(0.5).unwrap();
    assert!(matches!(
        channel_economics(&ledger(), &channels(), [("ads", jan(), -5.0)], &p),
        Err(Error::Negative { field: "spend", .. })
    ));
    for bad in [f64::NAN, f64::INFINITY] {
        assert!(matches!(
            channel_economics(&ledger(), &channels(), [("ads", jan(), bad)], &p),
            Err(Error::NonFinite { field: "spend", .. })
        ));
    }
}

#[test]
fn spend_on_an_unknown_channel_is_rejected() {
    let p = LtvParams::new(0.5).unwrap();
    match channel_economics(&ledger(), &channels(), [("tiktok", jan(), 5.0)], &p) {
        Err(Error::InvalidInput(msg)) => {
            assert!(
                msg.contains("tiktok") && msg.contains("ads, organic"),
                "{msg}"
            )
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[test]
fn spend_after_the_as_of_period_is_rejected() {
    let p = LtvParams::new(0.5).unwrap();
    let march = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
    assert!(matches!(
        channel_economics(&ledger(), &channels(), [("ads", march, 5.0)], &p),
        Err(Error::InvalidParameter { name: "spend", .. })
    ));
}

#[test]
fn negative_cac_is_rejected() {
    assert!(matches!(
        payback_period(-1.0, 0.5, &[1.0]),
        Err(Error::Negative { field: "cac", .. })
    ));
    assert!(matches!(
        payback_period(f64::NAN, 0.5, &[1.0]),
        Err(Error::NonFinite { field: "cac", .. })
    ));
}

#[test]
fn empty_data_is_an_empty_error() {
    let l = empty_ledger();
    let p = LtvParams::new(0.5).unwrap();
    assert!(matches!(period_economics(&l), Err(Error::Empty(_))));
    assert!(matches!(cohort_ltv(&l, None), Err(Error::Empty(_))));
    let none: [(&str, NaiveDate, f64); 0] = [];
    assert!(matches!(
        channel_economics(&l, &channels(), none, &p),
        Err(Error::Empty(_))
    ));
}

#[test]
fn events_after_as_of_and_nan_amounts_are_rejected_and_leave_the_state_unchanged() {
    let mut s = CohortSummary::new(Calendar::new(Utc, Interval::Month), at(1, 31));
    let late = EventRecord::<u8>::new(1_u8, at(2, 1));
    assert!(matches!(s.observe(&late), Err(Error::AfterAsOf { .. })));
    let nan = EventRecord::<u8>::new(1_u8, at(1, 2)).with_amount(f64::NAN);
    assert!(matches!(
        s.observe(&nan),
        Err(Error::NonFinite {
            field: "amount",
            ..
        })
    ));
    assert!(s.is_empty());
}

#[test]
fn merging_ledgers_with_other_settings_is_a_mismatch() {
    let cal = Calendar::new(Utc, Interval::Month);
    let mut a = CohortSummary::<u8, _>::new(cal.clone(), at(1, 31));
    let b = CohortSummary::<u8, _>::new(cal, at(2, 28));
    assert!(matches!(a.merge(b), Err(Error::MergeMismatch(_))));
    let c = CohortSummary::<u8, _>::new(Calendar::new(Utc, Interval::Day), at(1, 31));
    assert!(matches!(a.merge(c), Err(Error::MergeMismatch(_))));
}

#[test]
fn sign_up_with_another_calendar_or_after_as_of_is_rejected() {
    let mut l = ledger();
    let before = l.clone();
    let signups: HashMap<u8, DateTime<Utc>> = [(1, at(1, 1))].into();
    assert!(matches!(
        l.use_sign_up(&signups, &Calendar::new(Utc, Interval::Day)),
        Err(Error::InvalidParameter {
            name: "calendar",
            ..
        })
    ));
    let late: HashMap<u8, DateTime<Utc>> = [(1, at(1, 1)), (2, at(3, 1))].into();
    assert!(matches!(
        l.use_sign_up(&late, &Calendar::new(Utc, Interval::Month)),
        Err(Error::AfterAsOf { .. })
    ));
    assert_eq!(l, before);
}

#[test]
fn amounts_whose_sums_overflow_are_non_finite_revenue() {
    let max = f64::MAX;
    let events = vec![
        EventRecord::<u8>::new(1_u8, at(1, 3)).with_amount(max),
        EventRecord::new(2_u8, at(1, 4)).with_amount(max),
    ];
    let ledger = fold(
        CohortSummary::new(Calendar::new(Utc, Interval::Month), at(2, 28)),
        &events,
    )
    .unwrap()
    .finish()
    .unwrap();
    assert!(matches!(
        period_economics(&ledger),
        Err(Error::NonFinite {
            field: "revenue",
            ..
        })
    ));
    assert!(matches!(
        cohort_ltv(&ledger, None),
        Err(Error::NonFinite {
            field: "revenue",
            ..
        })
    ));
    // An LTV beyond f64: NonFinite `ltv`.
    let p = LtvParams::new(1.0).unwrap();
    assert!(matches!(
        ltv(&p, max, 0.5),
        Err(Error::NonFinite { field: "ltv", .. })
    ));
    // Spend rows that sum beyond f64: NonFinite `spend`.
    let spend = [("ads", jan(), max), ("ads", jan(), max)];
    assert!(matches!(
        channel_economics(&self::ledger(), &channels(), spend, &p),
        Err(Error::NonFinite { field: "spend", .. })
    ));
}
