//! Per-user labels (issue 23): the labels' counts are the models' counts, stage paths follow
//! the stage definitions, rules over labels, decision outcomes, multi-lever planning and the
//! churn threshold.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use userops::engine::EventTable;
use userops::event::EventRecord;
use userops::fold::{Summary, fold};
use userops::labels::{LabelOptions, Labeler, label_events};
use userops::lifecycle::{LifecycleSummary, Stage, StageParams};
use userops::rfm::{
    CustomerRow, HealthParams, Method, RfmSummary, RfmTable, ScoreParams, SegmentRule, SegmentRules,
};
use userops::time::{Calendar, Interval, Zone};

fn m(month: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, month, 10, 12, 0, 0).unwrap()
}

fn monthly() -> Calendar<Zone> {
    Calendar::new(Zone::Utc, Interval::Month)
}

/// Stage paths by the definitions of `Stage` (churn_after = 2), written out by hand.
#[test]
fn stage_paths_follow_the_definitions() {
    // ana: Jan, Apr. bo: Mar, Apr, May. cy: Dec 2024 (before the window), Feb.
    let log = vec![
        EventRecord::<&str>::new("ana", m(1)),
        EventRecord::new("ana", m(4)),
        EventRecord::new("bo", m(3)),
        EventRecord::new("bo", m(4)),
        EventRecord::new("bo", m(5)),
        EventRecord::new("cy", Utc.with_ymd_and_hms(2024, 12, 3, 0, 0, 0).unwrap()),
        EventRecord::new("cy", m(2)),
    ];
    let s = LifecycleSummary::new(monthly(), m(1), m(5)).unwrap();
    let activity = fold(s, &log).unwrap().finish().unwrap();
    let table = Labeler::new(&activity, StageParams::default())
        .build()
        .unwrap();
    let row = |u: &str| table.rows().find(|r| r.user == u).unwrap();
    use Stage::*;
    // ana: new in Jan; Feb idle 1 (< 2: dormant); Mar idle 2 (churned); Apr back after being
    // churned (returned); May idle 1 (dormant).
    assert_eq!(
        row("ana").stages,
        [
            Some(New),
            Some(Dormant),
            Some(Churned),
            Some(Returned),
            Some(Dormant)
        ]
    );
    assert_eq!(row("ana").inactive_periods, 1);
    // bo: unknown Jan-Feb, new in Mar, new last period and active (retained_new), then retained.
    assert_eq!(
        row("bo").stages,
        [None, None, Some(New), Some(RetainedNew), Some(Retained)]
    );
    assert_eq!(row("bo").inactive_periods, 0);
    // cy: active in Dec (the lead period), idle in Jan (dormant), back in Feb after being
    // dormant (woken), idle Mar (dormant), Apr (churned), May (churned); last active Feb, 3
    // periods before May.
    assert_eq!(
        row("cy").stages,
        [
            Some(Dormant),
            Some(Woken),
            Some(Dormant),
            Some(Churned),
            Some(Churned)
        ]
    );
    assert_eq!(row("cy").inactive_periods, 3);
}

fn log_strategy() -> impl Strategy<Value = Vec<EventRecord<u16>>> {
    prop::collection::vec((0_u16..40, 0_i64..(300 * 24), 1_i64..500), 1..200).prop_map(|rows| {
        let base = Utc.with_ymd_and_hms(2024, 11, 1, 0, 0, 0).unwrap();
        rows.into_iter()
            .map(|(u, h, cents)| {
                EventRecord::new(u, base + TimeDelta::hours(h)).with_amount(cents as f64 / 100.0)
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Labels summed per period give the stage report's rows exactly; users per RFM segment
    /// give the segmentation's summary.
    #[test]
    fn labels_sum_to_the_models(log in log_strategy(), churn_after in 1_u32..5) {
        let as_of = Utc.with_ymd_and_hms(2025, 8, 31, 0, 0, 0).unwrap();
        let params = StageParams::new(churn_after).unwrap();
        let table = EventTable::from_events(&log).unwrap();
        let mut options = LabelOptions::monthly(as_of, 6);
        options.stage_params = params;
        options.health = Some(HealthParams::default());
        let labels = label_events(&table, &options).unwrap();

        // The models on their own.
        let s = LifecycleSummary::new(monthly(), Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap(), as_of).unwrap();
        let report = fold(s, &log).unwrap().finish().unwrap().stages(&params, None);
        prop_assert_eq!(labels.periods.len(), report.rows.len());
        for (t, row) in report.rows.iter().enumerate() {
            let c = labels.stage_counts(t);
            for st in Stage::ALL {
                prop_assert_eq!(c[st as usize], row.count(st), "period {} stage {}", t, st);
            }
        }
        prop_assert_eq!(labels.len() as u64, report.rows.last().unwrap().known);
        let scores = ScoreParams::new(Method::Quantile).check().unwrap()
            .score(&fold(RfmSummary::new(as_of), &log).unwrap().finish().unwrap()).unwrap();
        let segments = SegmentRules::standard().segment(&scores).unwrap();
        let expected: Vec<(String, u64)> = segments.summary.iter().map(|r| (r.segment.clone(), r.customers)).collect();
        prop_assert_eq!(labels.segment_counts(), expected);
    }
}

/// RFM scores listed in another order than the lifecycle's users are joined by user id.
#[test]
fn reports_in_another_order_are_joined_by_user() {
    let log = vec![
        EventRecord::<u32>::new(1_u32, m(1)),
        EventRecord::new(2_u32, m(2)),
        EventRecord::new(3_u32, m(3)),
    ];
    let activity = fold(LifecycleSummary::new(monthly(), m(1), m(3)).unwrap(), &log)
        .unwrap()
        .finish()
        .unwrap();
    // Customers 3, 2, 1 with frequencies 1, 2, 3 and breaks at 1.5 and 2.5: F scores 1, 2, 3.
    let rfm = RfmTable::from_customers([
        CustomerRow::new(3_u32, 1.0, 1, 10.0),
        CustomerRow::new(2_u32, 2.0, 2, 20.0),
        CustomerRow::new(1_u32, 3.0, 3, 30.0),
    ])
    .unwrap();
    let scores = ScoreParams::new(Method::Quantile)
        .frequency(Method::Breaks(vec![1.5, 2.5]))
        .check()
        .unwrap()
        .score(&rfm)
        .unwrap();
    let rules =
        SegmentRules::new(vec![SegmentRule::new("one_order", [1, 5], [1, 1], [1, 5])]).unwrap();
    let segments = rules.segment(&scores).unwrap();
    let table = Labeler::new(&activity, StageParams::default())
        .rfm(&scores, &segments)
        .build()
        .unwrap();
    let f_of = |u: u32| table.rows().find(|r| r.user == u).unwrap().rfm.unwrap()[1];
    assert_eq!((f_of(1), f_of(2), f_of(3)), (3, 2, 1));
    let seg_of = |u: u32| {
        table
            .rows()
            .find(|r| r.user == u)
            .unwrap()
            .rfm_segment
            .unwrap()
    };
    assert_eq!(
        (seg_of(3).as_str(), seg_of(1).as_str()),
        ("one_order", "Others")
    );
}
