//! Bad input for `ltv`: BTYD summaries, fits, predictions, CLV.

use chrono::{NaiveDate, TimeZone, Utc};
use userops::Error;
use userops::event::EventRecord;
use userops::fold::{Fold, Summary};
use userops::ltv::{
    BgNbdParams, BtydSummary, ClvOptions, Customer, FitOptions, GammaGammaParams, MbgNbdParams,
    ParetoNbdParams, TimeUnit, TransactionModel,
};

#[test]
fn recency_after_t_is_rejected() {
    assert!(
        matches!(Customer::new(2, 40.0, 38.86), Err(Error::InvalidInput(m)) if m.contains("recency"))
    );
    // Also when the row is built by hand and handed to a fit: the row is named.
    let rows = [
        Customer::new(1, 1.0, 2.0).unwrap(),
        Customer {
            frequency: 1,
            recency: 5.0,
            age: 2.0,
            monetary: 0.0,
        },
    ];
    match BgNbdParams::fit(&rows, TimeUnit::Week, &FitOptions::new()) {
        Err(Error::InvalidInput(m)) => assert!(m.contains("row 1"), "{m}"),
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[test]
fn negative_and_non_finite_values_are_rejected() {
    assert!(matches!(
        Customer::new(1, -1.0, 2.0),
        Err(Error::Negative {
            field: "recency",
            ..
        })
    ));
    assert!(matches!(
        Customer::new(0, 0.0, -2.0),
        Err(Error::Negative { field: "T", .. })
    ));
    assert!(matches!(
        Customer::new(1, f64::NAN, 2.0),
        Err(Error::NonFinite {
            field: "recency",
            ..
        })
    ));
    assert!(matches!(
        Customer::new(1, 1.0, f64::INFINITY),
        Err(Error::NonFinite { field: "T", .. })
    ));
    let m = BgNbdParams::new(0.24, 4.4, 0.79, 2.4, TimeUnit::Week).unwrap();
    let c = Customer::new(1, 1.0, 2.0).unwrap();
    assert!(matches!(
        m.expected_purchases(&c, -1.0),
        Err(Error::Negative {
            field: "horizon",
            ..
        })
    ));
    assert!(matches!(
        m.expected_purchases_new(f64::NAN),
        Err(Error::NonFinite {
            field: "horizon",
            ..
        })
    ));
    assert!(matches!(
        BgNbdParams::new(0.24, -4.4, 0.79, 2.4, TimeUnit::Week),
        Err(Error::InvalidParameter { name: "alpha", .. })
    ));
    assert!(matches!(
        ParetoNbdParams::new(0.5, 10.0, f64::NAN, 11.0, TimeUnit::Week),
        Err(Error::InvalidParameter { name: "s", .. })
    ));
    assert!(matches!(
        GammaGammaParams::new(0.0, 3.0, 15.0),
        Err(Error::InvalidParameter { name: "p", .. })
    ));
    assert!(matches!(
        FitOptions::new().penalizer(-0.1),
        Err(Error::InvalidParameter {
            name: "penalizer",
            ..
        })
    ));
    // A spend model on negative spend.
    let gg = GammaGammaParams::new(6.25, 3.74, 15.44).unwrap();
    let refund = Customer::new(2, 1.0, 2.0).unwrap().with_monetary(-5.0);
    assert!(matches!(
        gg.expected_spend(&refund),
        Err(Error::Negative {
            field: "monetary",
            ..
        })
    ));
    assert!(matches!(
        GammaGammaParams::fit(&[refund], &FitOptions::new()),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn frequency_zero_with_recency_is_rejected() {
    assert!(
        matches!(Customer::new(0, 3.0, 5.0), Err(Error::InvalidInput(m)) if m.contains("frequency is 0"))
    );
}

#[test]
fn empty_set_is_an_error() {
    assert!(matches!(
        BgNbdParams::fit(&[], TimeUnit::Week, &FitOptions::new()),
        Err(Error::Empty(_))
    ));
    assert!(matches!(
        MbgNbdParams::fit(&[], TimeUnit::Week, &FitOptions::new()),
        Err(Error::Empty(_))
    ));
    assert!(matches!(
        ParetoNbdParams::fit(&[], TimeUnit::Week, &FitOptions::new()),
        Err(Error::Empty(_))
    ));
    assert!(matches!(
        GammaGammaParams::fit(&[], &FitOptions::new()),
        Err(Error::Empty(_))
    ));
    let end = NaiveDate::from_ymd_opt(2025, 1, 31).unwrap();
    let report = BtydSummary::<u32>::new(end, TimeUnit::Day)
        .finish()
        .unwrap();
    assert!(report.customers.is_empty());
}

#[test]
fn all_zero_frequency_is_reported_not_converged() {
    // Nobody ever came back: the purchase rate runs to 0 (r/alpha -> 0), a boundary solution.
    // The fit must say so instead of returning parameters as if they were fine.
    let rows: Vec<Customer> = (0..500)
        .map(|i| Customer::new(0, 0.0, 10.0 + f64::from(i % 30)).unwrap())
        .collect();
    for fit in [
        BgNbdParams::fit(&rows, TimeUnit::Week, &FitOptions::new())
            .map(|f| (f.converged, f.message)),
        MbgNbdParams::fit(&rows, TimeUnit::Week, &FitOptions::new())
            .map(|f| (f.converged, f.message)),
        ParetoNbdParams::fit(&rows, TimeUnit::Week, &FitOptions::new())
            .map(|f| (f.converged, f.message)),
    ] {
        match fit {
            Ok((converged, message)) => assert!(!converged && !message.is_empty()),
            Err(e) => assert!(matches!(e, Error::NonFinite { .. }), "{e}"),
        }
    }
}

#[test]
fn spend_model_without_repeat_purchases_is_an_error() {
    let rows: Vec<Customer> = (0..10)
        .map(|_| Customer::new(0, 0.0, 10.0).unwrap())
        .collect();
    assert!(matches!(
        GammaGammaParams::fit(&rows, &FitOptions::new()),
        Err(Error::Empty(_))
    ));
    let gg = GammaGammaParams::new(6.25, 3.74, 15.44).unwrap();
    assert!(matches!(
        gg.log_likelihood(&rows[0]),
        Err(Error::InvalidInput(_))
    ));
    // q <= 1: no mean spend.
    let heavy = GammaGammaParams::new(6.25, 0.9, 15.44).unwrap();
    assert!(matches!(
        heavy.mean_spend(),
        Err(Error::InvalidParameter { name: "q", .. })
    ));
}

#[test]
fn summary_rejects_nan_amounts_and_events_after_the_holdout() {
    let end = NaiveDate::from_ymd_opt(2025, 1, 31).unwrap();
    let mut s = BtydSummary::<String>::new(end, TimeUnit::Day);
    let e = EventRecord::<String>::new("ana", Utc.with_ymd_and_hms(2025, 1, 3, 0, 0, 0).unwrap())
        .with_amount(f64::NAN);
    assert!(matches!(
        s.observe(&e),
        Err(Error::NonFinite {
            field: "amount",
            ..
        })
    ));
    assert!(s.is_empty());
    let mut h = BtydSummary::<String>::new(end, TimeUnit::Day)
        .holdout(NaiveDate::from_ymd_opt(2025, 2, 28).unwrap())
        .unwrap();
    let late =
        EventRecord::<String>::new("ana", Utc.with_ymd_and_hms(2025, 3, 3, 0, 0, 0).unwrap());
    assert!(matches!(h.observe(&late), Err(Error::AfterAsOf { .. })));
    assert!(matches!(
        BtydSummary::<String>::new(end, TimeUnit::Day).holdout(end),
        Err(Error::InvalidParameter {
            name: "holdout_end",
            ..
        })
    ));
    // Merging summaries with different settings.
    let mut a = BtydSummary::<String>::new(end, TimeUnit::Day);
    let b = BtydSummary::<String>::new(end, TimeUnit::Week);
    assert!(matches!(a.merge(b), Err(Error::MergeMismatch(_))));
}

#[test]
fn clv_options_are_checked() {
    assert!(matches!(
        ClvOptions::new(0),
        Err(Error::InvalidParameter { name: "months", .. })
    ));
    assert!(matches!(
        ClvOptions::new(12).unwrap().discount(f64::NAN),
        Err(Error::InvalidParameter {
            name: "discount",
            ..
        })
    ));
    assert!(matches!(
        TimeUnit::parse("fortnight"),
        Err(Error::InvalidParameter { name: "unit", .. })
    ));
}
