//! Product quadrant: four hand-computed logs (one per quadrant) and cases exactly at the
//! thresholds.

use chrono::{DateTime, TimeZone, Utc};
use userops::event::EventRecord;
use userops::fold::{Summary, fold, laws};
use userops::quadrant::{
    Frequency, Payment, ProductFigures, QuadrantParams, QuadrantReport, UsageSummary, ValueMetric,
    classify,
};
use userops::time::Zone;

fn t(m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, m, d, 10, 0, 0).unwrap()
}

fn classify_log(log: &[EventRecord<&'static str>]) -> QuadrantReport {
    let figures = fold(UsageSummary::new(Zone::Utc), log)
        .unwrap()
        .finish()
        .unwrap();
    classify(&figures, &QuadrantParams::default()).unwrap()
}

#[test]
fn game_is_high_frequency_and_paid() {
    // A: March 1..6 (6 days), pays on the 2nd. B: March 1, 3, 5, 7 (4 days), never pays.
    // Active days per user-month = (6 + 4) / 2 = 5.0 >= 4; payer share = 1 / 2 = 0.5 >= 0.02.
    let mut log: Vec<_> = (1..=6).map(|d| EventRecord::new("A", t(3, d))).collect();
    log.push(EventRecord::new("A", t(3, 2)).with_amount(4.99));
    log.extend([1, 3, 5, 7].map(|d| EventRecord::new("B", t(3, d))));
    let q = classify_log(&log);
    assert_eq!((q.frequency, q.payment), (Frequency::High, Payment::Direct));
    assert_eq!(q.measured.active_days_per_user_month, 5.0);
    assert_eq!(q.measured.payer_share, 0.5);
    assert_eq!(
        q.value_metrics,
        [
            ValueMetric::VisitFrequency,
            ValueMetric::TimeSpent,
            ValueMetric::Revenue,
            ValueMetric::Arpu
        ]
    );
    assert!(q.warning.is_none());
    assert!(q.reasons[0].contains("5.00 active days") && q.reasons[0].contains("at or above"));
    assert!(q.reasons[1].contains("50.0%"));
}

#[test]
fn social_app_is_high_frequency_and_free() {
    // One user: 8 days in January, 4 in February, no payment: (8 + 4) / 2 = 6.0; share 0.
    let mut log: Vec<_> = (1..=8).map(|d| EventRecord::new("u", t(1, d))).collect();
    log.extend((10..=13).map(|d| EventRecord::new("u", t(2, d))));
    let q = classify_log(&log);
    assert_eq!((q.frequency, q.payment), (Frequency::High, Payment::None));
    assert_eq!(q.measured.active_days_per_user_month, 6.0);
    assert_eq!(
        q.value_metrics,
        [ValueMetric::TimeSpent, ValueMetric::VisitFrequency]
    );
}

#[test]
fn car_wash_is_low_frequency_and_paid() {
    // Three users wash once in January and once in February, paying 15 each time:
    // 6 user-months with 1 day each = 1.0 day; 6 of 6 user-months pay = 1.0.
    let mut log = Vec::new();
    for u in ["a", "b", "c"] {
        log.push(EventRecord::new(u, t(1, 10)).with_amount(15.0));
        log.push(EventRecord::new(u, t(2, 10)).with_amount(15.0));
    }
    let q = classify_log(&log);
    assert_eq!((q.frequency, q.payment), (Frequency::Low, Payment::Direct));
    assert_eq!(q.measured.active_days_per_user_month, 1.0);
    assert_eq!(q.measured.payer_share, 1.0);
    assert_eq!(q.value_metrics, [ValueMetric::Revenue]);
    assert!(q.reasons[0].contains("is below"));
}

#[test]
fn rarely_used_free_tool_gets_the_warning() {
    // Four users, one day each, nobody pays: 1.0 day, share 0.
    let log: Vec<_> = ["a", "b", "c", "d"]
        .iter()
        .enumerate()
        .map(|(i, u)| EventRecord::new(*u, t(4, 1 + i as u32)))
        .collect();
    let q = classify_log(&log);
    assert_eq!((q.frequency, q.payment), (Frequency::Low, Payment::None));
    assert!(
        q.warning
            .as_deref()
            .unwrap()
            .contains("little commercial value")
    );
    assert_eq!(q.value_metrics, [ValueMetric::VisitFrequency]);
    let json = serde_json::to_string(&q).unwrap();
    assert!(
        json.starts_with(r#"{"frequency":"low","payment":"none""#),
        "{json}"
    );
}

#[test]
fn exactly_at_the_frequency_threshold_is_high() {
    // 4 active days in one month = 4.0 = the default threshold -> high.
    let log: Vec<_> = [1, 8, 15, 22]
        .map(|d| EventRecord::new("u", t(5, d)))
        .to_vec();
    assert_eq!(classify_log(&log).frequency, Frequency::High);
    // 3 days -> 3.0 < 4.0 -> low.
    assert_eq!(classify_log(&log[..3]).frequency, Frequency::Low);
    // Just under the threshold, as figures given by the host: low.
    let r = classify(
        &ProductFigures::given(3.999, 0.0).unwrap(),
        &QuadrantParams::default(),
    )
    .unwrap();
    assert_eq!(r.frequency, Frequency::Low);
}

#[test]
fn exactly_at_the_payer_threshold_is_direct() {
    // 50 users in June, 1 pays: 1 / 50 = 0.02 = the default threshold -> direct.
    let mut log: Vec<EventRecord<String>> = (0..50)
        .map(|u| EventRecord::new(format!("u{u}"), t(6, 1)))
        .collect();
    log.push(EventRecord::new("u0".to_string(), t(6, 1)).with_amount(1.0));
    let f = fold(UsageSummary::new(Utc), &log)
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(f.payer_share, 0.02);
    let r = classify(&f, &QuadrantParams::default()).unwrap();
    assert_eq!(r.payment, Payment::Direct);
    // A 51st user who does not pay: 1 / 51 < 0.02 -> none.
    log.push(EventRecord::new("u50".to_string(), t(6, 2)));
    let f = fold(UsageSummary::new(Utc), &log)
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(
        classify(&f, &QuadrantParams::default()).unwrap().payment,
        Payment::None
    );
}

#[test]
fn adjusted_thresholds_move_the_boundary() {
    let p = QuadrantParams::new(10.0, 0.5).unwrap();
    let figures = ProductFigures::given(10.0, 0.49).unwrap();
    let r = classify(&figures, &p).unwrap();
    assert_eq!((r.frequency, r.payment), (Frequency::High, Payment::None));
    assert_eq!(r.thresholds, p);
    assert!(r.reasons[1].contains("49.0%") && r.reasons[1].contains("50.0%"));
}

#[test]
fn days_are_local_days_of_the_zone() {
    // 23:30 and 00:30 UTC are two UTC days but one day in UTC-05:00 (18:30 and 19:30).
    let a = Utc.with_ymd_and_hms(2025, 1, 1, 23, 30, 0).unwrap();
    let log: Vec<EventRecord<u8>> = vec![
        EventRecord::new(1_u8, a),
        EventRecord::new(1_u8, a + chrono::TimeDelta::hours(1)),
    ];
    let utc = fold(UsageSummary::new(Zone::Utc), &log)
        .unwrap()
        .finish()
        .unwrap();
    let ny = fold(UsageSummary::new(Zone::parse("-05:00").unwrap()), &log)
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(utc.active_days_per_user_month, 2.0);
    assert_eq!(ny.active_days_per_user_month, 1.0);
}

#[test]
fn usage_summary_fold_laws() {
    let mut log = Vec::new();
    for u in 0..5_u8 {
        for d in 0..7_u32 {
            let amount = if (u32::from(u) + d) % 4 == 0 {
                3.0
            } else {
                0.0
            };
            log.push(EventRecord::<u8>::new(u, t(1 + d % 3, 1 + (d * 5) % 28)).with_amount(amount));
        }
    }
    let same = |a: &ProductFigures, b: &ProductFigures| a == b;
    laws::merge_law(|| UsageSummary::new(Zone::Utc), &log, &[3, 17, 30], same).unwrap();
    let perm: Vec<usize> = (0..log.len()).rev().collect();
    laws::order_law(|| UsageSummary::new(Zone::Utc), &log, &perm, same).unwrap();
}

#[test]
fn quadrant_report_serde_round_trip() {
    let r = classify(
        &ProductFigures::given(7.5, 0.125).unwrap(),
        &QuadrantParams::default(),
    )
    .unwrap();
    let back: QuadrantReport = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(back, r);
    assert!(r.to_string().contains("games, video memberships"));
}

proptest::proptest! {
    /// The usage summary's partial state through JSON: parts folded apart, serialized, read
    /// back and merged give the figures of the whole log; the whole state reads back to a
    /// state that writes the same text and finishes the same.
    #[test]
    fn usage_summary_state_round_trips_and_parts_merge_through_json(
        rows in proptest::collection::vec((0_u8..6, 1_u32..4, 1_u32..29, proptest::bool::ANY), 0..60),
        cuts in proptest::collection::vec(0_usize..60, 0..4),
    ) {
        use proptest::prelude::*;
        let zone = Zone::parse("Asia/Tokyo").unwrap();
        let log: Vec<EventRecord<u8>> = rows
            .iter()
            .map(|&(u, m, d, paid)| EventRecord::new(u, t(m, d)).with_amount(if paid { 2.5 } else { 0.0 }))
            .collect();
        let empty = || UsageSummary::<u8, Zone>::new(zone);
        let read = |text: &str| serde_json::from_str::<UsageSummary<u8, Zone>>(text).unwrap();
        let whole = fold(empty(), &log).unwrap();
        let text = serde_json::to_string(&whole).unwrap();
        prop_assert_eq!(&serde_json::to_string(&read(&text)).unwrap(), &text);
        // An empty log is refused alike (`Error::Empty`).
        let whole = whole.finish();
        prop_assert_eq!(&read(&text).finish(), &whole);
        let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(log.len())).collect();
        cuts.extend([0, log.len()]);
        cuts.sort_unstable();
        let mut merged = empty();
        for w in cuts.windows(2) {
            let part = fold(empty(), &log[w[0]..w[1]]).unwrap();
            merged.merge(read(&serde_json::to_string(&part).unwrap())).unwrap();
        }
        prop_assert_eq!(merged.finish(), whole);
    }
}

/// A serialized usage state that no fold could make is refused when read.
#[test]
fn usage_summary_state_that_no_fold_makes_is_refused() {
    let read = |t: &str| serde_json::from_str::<UsageSummary<u8, Zone>>(t);
    let good = r#"{"tz":"UTC","users":{"users":[1],"states":[{"739252":true}]}}"#;
    // Day 739252 from the common era is 2025-01-01: one paying user-month with one day.
    let f = read(good).unwrap().finish().unwrap();
    assert_eq!((f.active_days_per_user_month, f.payer_share), (1.0, 1.0));
    for (what, t) in [
        (
            "a user without a day",
            r#"{"tz":"UTC","users":{"users":[1],"states":[{}]}}"#,
        ),
        (
            "a day that is no date",
            r#"{"tz":"UTC","users":{"users":[1],"states":[{"2147483647":true}]}}"#,
        ),
        (
            "a user twice",
            r#"{"tz":"UTC","users":{"users":[1,1],"states":[{"1":true},{"2":true}]}}"#,
        ),
        (
            "an unknown zone",
            r#"{"tz":"Mars/Olympus","users":{"users":[],"states":[]}}"#,
        ),
    ] {
        assert!(read(t).is_err(), "{what}");
    }
}
