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

/// Rules over labels: "churned for 2+ months → SMS", "dormant → push", with the decision
/// log's rule, user and channel.
#[test]
fn rules_target_users_by_their_labels() {
    use userops::ops::automation::{Attributes, MatchMode, Rule, RuleSet, SegmentKind};
    use userops::ops::outcome::{HoldOut, decision_log};
    // Users 1..=3 active in January only; 4 and 5 in January and May; 6 in June.
    let mut log = Vec::new();
    for u in 1_u32..=3 {
        log.push(EventRecord::<u32>::new(u, m(1)).with_amount(5.0));
    }
    for u in 4_u32..=5 {
        log.push(EventRecord::new(u, m(1)).with_amount(5.0));
        log.push(EventRecord::new(u, m(5)).with_amount(5.0));
    }
    log.push(EventRecord::new(6_u32, m(6)).with_amount(5.0));
    let mut options = LabelOptions::monthly(m(6), 6);
    options.rfm = None;
    options.health = None;
    let labels = label_events(&EventTable::from_events(&log).unwrap(), &options).unwrap();
    let source = labels.segments();
    let rules = RuleSet::new(
        vec![
            Rule::new(
                "win_back",
                SegmentKind::Lifecycle,
                "churned",
                "coupon_14",
                "sms",
            )
            .inactive_for(2),
            Rule::new(
                "wake",
                SegmentKind::Lifecycle,
                "dormant",
                "reminder",
                "push",
            ),
        ],
        MatchMode::FirstMatch,
    );
    let june = *labels.periods.last().unwrap();
    let eval = rules
        .evaluate(june, &source.audience(), &source, &Attributes::new())
        .unwrap();
    // In June: 1-3 idle since January (5 periods: churned), 4-5 idle since May (1: dormant),
    // 6 new.
    assert_eq!(eval.targets("win_back"), vec![&1, &2, &3]);
    assert_eq!(eval.targets("wake"), vec![&4, &5]);
    let at = Utc.with_ymd_and_hms(2025, 6, 30, 9, 0, 0).unwrap();
    let decisions = decision_log(&eval, at, &HoldOut::new("q3", 0.0).unwrap());
    let rows: Vec<(&str, u32, &str)> = decisions
        .iter()
        .map(|d| (d.rule.as_str(), d.user, d.channel.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("win_back", 1, "sms"),
            ("win_back", 2, "sms"),
            ("win_back", 3, "sms"),
            ("wake", 4, "push"),
            ("wake", 5, "push")
        ]
    );
}

/// Outcomes against R's `prop.test(c(179, 203), c(300, 400), correct = FALSE)`:
/// X-squared = 5.4979, p-value = 0.01904 (the values the experiment module is checked on):
/// 300 users reached, 179 back within 7 days; 400 held out, 203 back.
#[test]
fn outcomes_match_prop_test_and_the_hand_estimates() {
    use userops::ops::outcome::{DecisionRecord, OutcomeParams, outcomes};
    let at = Utc.with_ymd_and_hms(2025, 9, 1, 0, 0, 0).unwrap();
    let mut log = Vec::new();
    let mut events = Vec::new();
    for u in 0_u32..700 {
        let held = u >= 300;
        log.push(DecisionRecord::new("wake_dormant", u, "push", at, held));
        let back = if held { u - 300 < 203 } else { u < 179 };
        if back {
            events.push(EventRecord::<u32>::new(u, at + TimeDelta::days(6)));
        } else {
            // Active again only after the 7-day window: does not count.
            events.push(EventRecord::<u32>::new(u, at + TimeDelta::days(9)));
        }
        // An event before the decision never counts.
        events.push(EventRecord::<u32>::new(u, at - TimeDelta::days(1)));
    }
    let report = outcomes(&log, &events, &OutcomeParams::days(7).unwrap()).unwrap();
    let row = &report.rows[0];
    assert_eq!(
        (
            row.reached,
            row.reached_active,
            row.held_out,
            row.held_out_active
        ),
        (300, 179, 400, 203)
    );
    let test = row.uplift.as_ref().unwrap();
    assert!((test.chi_square.unwrap() - 5.4979).abs() < 1e-4);
    assert!((test.p_value - 0.01904).abs() < 1e-5);
    // Uplift: 179/300 − 203/400 = 0.596667 − 0.5075 = 0.089167.
    assert!((test.difference - 0.0891667).abs() < 1e-6);
    // Precision: 1 − 203/400 = 0.4925; Wald half-width 1.959964·sqrt(0.4925·0.5075/400)
    // = 1.959964 · 0.0249972 = 0.048994.
    assert!((row.precision.unwrap() - 0.4925).abs() < 1e-12);
    let (lo, hi) = row.precision_ci.unwrap();
    assert!((lo - 0.443506).abs() < 1e-5 && (hi - 0.541494).abs() < 1e-5);
    // Incremental users: 179 − 300 · 0.5075 = 179 − 152.25 = 26.75.
    assert!((row.incremental_users.unwrap() - 26.75).abs() < 1e-9);
}

/// The shape of the article's Q3 table: for July–September, keep old retention at the
/// first-half peak (93%), wake 95% of dormant users and win back 14% of churned users; the
/// monthly active users and rate, and the average against an 85% goal. Numbers by hand.
#[test]
fn q3_multi_lever_plan_by_hand() {
    use userops::lifecycle::{ForecastStart, Lever, LeverTargets, Rates, plan_levers};
    // End of June: 1000 known = 50 new + 750 old active + 100 dormant + 100 churned.
    let start = ForecastStart {
        period: None,
        churn_after: 2,
        known: 1000.0,
        new: 50.0,
        old_active: 750.0,
        dormant: 100.0,
        churned: 100.0,
    };
    // First-half rates: old retention 90%, new retention 60%, wake 30%, return 5%.
    let base = Rates::new(0.90, 0.60, 0.30, 0.05, 0.0).unwrap();
    let q3 = LeverTargets::new()
        .set(Lever::OldRetention, 0.93)
        .set(Lever::WakeRate, 0.95)
        .set(Lever::ReturnRate, 0.14);
    let plan = plan_levers(&start, &base, &[q3.clone(), q3.clone(), q3], &[50.0; 3]).unwrap();
    // July:  old = 0.93·750 + 0.6·50 + 0.95·100 + 0.14·100 = 697.5 + 30 + 95 + 14 = 836.5
    //        dormant = 0.07·750 + 0.4·50 = 52.5 + 20 = 72.5
    //        churned = 0.05·100 + 0.86·100 = 5 + 86 = 91
    //        active = 50 + 836.5 = 886.5 of 1050 known: 84.4286%
    // August: old = 0.93·836.5 + 30 + 0.95·72.5 + 0.14·91 = 777.945 + 30 + 68.875 + 12.74 = 889.56
    //        dormant = 0.07·836.5 + 20 = 78.555; churned = 0.05·72.5 + 0.86·91 = 3.625 + 78.26 = 81.885
    //        active = 939.56 of 1100: 85.4145%
    // September: old = 0.93·889.56 + 30 + 0.95·78.555 + 0.14·81.885
    //        = 827.2908 + 30 + 74.62725 + 11.4639 = 943.38195
    //        dormant = 0.07·889.56 + 20 = 82.2692; churned = 0.05·78.555 + 0.86·81.885 = 74.34885
    //        active = 993.38195 of 1150: 86.3810%
    // Average rate (0.8442857 + 0.8541455 + 0.8638104) / 3 = 0.8540805 >= 85%.
    let expect = [
        (886.5, 72.5, 91.0, 1050.0),
        (939.56, 78.555, 81.885, 1100.0),
        (993.38195, 82.2692, 74.34885, 1150.0),
    ];
    for (row, (active, dormant, churned, known)) in plan.rows.iter().zip(expect) {
        let p = &row.projection;
        assert!((p.active - active).abs() < 1e-9, "{p:?}");
        assert!((p.dormant - dormant).abs() < 1e-9);
        assert!((p.churned - churned).abs() < 1e-9);
        assert_eq!(p.known, known);
        assert_eq!(row.rates.wake_rate, 0.95);
    }
    assert!((plan.average_active_rate - 0.8540805).abs() < 1e-7);
    assert!(plan.average_active_rate >= 0.85);
    // (886.5 + 939.56 + 993.38195) / 3 = 939.81398
    assert!((plan.average_active - 939.81398).abs() < 1e-5);
    // Without the levers, July: old = 0.9·750 + 30 + 0.3·100 + 0.05·100 = 740, active 790.
    let flat = plan_levers(&start, &base, &[LeverTargets::new()], &[50.0]).unwrap();
    assert!((flat.rows[0].projection.active - 790.0).abs() < 1e-9);
}

/// The reverse question on one period, where the rate is linear in each lever: 53 active of
/// 110 today (0.75·40 + 0.5·10 + 0.25·20 + 0.1·30 = 43 old + 10 new); 55 (50%) needs 2 more.
#[test]
fn smallest_change_by_hand() {
    use userops::lifecycle::{
        ChangeOutcome, ForecastStart, Lever, LeverTargets, Rates, smallest_change,
    };
    let start = ForecastStart {
        period: None,
        churn_after: 2,
        known: 100.0,
        new: 10.0,
        old_active: 40.0,
        dormant: 20.0,
        churned: 30.0,
    };
    let base = Rates::new(0.75, 0.5, 0.25, 0.1, 0.0).unwrap();
    let levers = [Lever::OldRetention, Lever::WakeRate, Lever::ReturnRate];
    let answers =
        smallest_change(&start, &base, &[LeverTargets::new()], &[10.0], &levers, 0.5).unwrap();
    let change = |i: usize| match answers[i].outcome {
        ChangeOutcome::Reachable { change } => change,
        ref other => panic!("{other:?}"),
    };
    // Old retention alone: 2 / 40 old active = 0.05. Wake alone: 2 / 20 dormant = 0.10.
    // Return alone: 2 / 30 churned = 0.0667. Together: 2 / (40 + 20 + 30) = 0.02222.
    assert!((change(0) - 0.05).abs() < 1e-9);
    assert!((change(1) - 0.10).abs() < 1e-9);
    assert!((change(2) - 2.0 / 30.0).abs() < 1e-9);
    assert_eq!(answers[3].levers, levers);
    assert!((change(3) - 2.0 / 90.0).abs() < 1e-9);
    // New retention at most 1 adds 0.5·10 = 5: 58 of 110 < 60%.
    let new_only = smallest_change(
        &start,
        &base,
        &[LeverTargets::new()],
        &[10.0],
        &[Lever::NewRetention],
        0.6,
    )
    .unwrap();
    match new_only[0].outcome {
        ChangeOutcome::Unreachable { rate_at_max } => {
            assert!((rate_at_max - 58.0 / 110.0).abs() < 1e-12)
        }
        ref other => panic!("{other:?}"),
    }
}

/// The return curve on a hand-built log with a known cliff after 2 idle months. Window
/// January–June, transitions observed into February–June. Patterns (active months):
/// * 40 users "Jan, Mar": idle 1 in Feb → back in Mar; idle 1 in Apr, 2 in May, not back.
///   At risk: g1 ×2 (1 back), g2 ×1.
/// * 30 users "Jan, Apr": idle 1 in Feb, 2 in Mar → back in Apr; idle 1 in May.
///   At risk: g1 ×2, g2 ×1 (1 back).
/// * 30 users "Jan": idle 1..4 in Feb..May, never back. At risk: g1..g4 once each.
/// * 2 users "Jan, Jun": idle 1..4 in Feb..May, back in June. At risk g1..g4, g4 back.
///
/// Totals: g1 at risk 2·40 + 2·30 + 30 + 2 = 172, back 40 (23.3%); g2 102, back 30 (29.4%);
/// g3 32, back 0 (0%); g4 32, back 2 (6.25%). Largest drop: g2 → g3 (29.4 points), so the
/// knee is 2 idle months and the suggested churn_after 3.
#[test]
fn return_curve_finds_the_known_cliff() {
    let mut log = Vec::new();
    let mut user = 0_u32;
    for (count, months) in [
        (40, vec![1, 3]),
        (30, vec![1, 4]),
        (30, vec![1]),
        (2, vec![1, 6]),
    ] {
        for _ in 0..count {
            user += 1;
            for mo in &months {
                log.push(EventRecord::<u32>::new(user, m(*mo)));
            }
        }
    }
    let activity = fold(LifecycleSummary::new(monthly(), m(1), m(6)).unwrap(), &log)
        .unwrap()
        .finish()
        .unwrap();
    let curve = activity.return_curve(5).unwrap();
    let got: Vec<(u64, u64)> = curve.rows.iter().map(|r| (r.at_risk, r.returned)).collect();
    assert_eq!(got, [(172, 40), (102, 30), (32, 0), (32, 2), (0, 0)]);
    assert_eq!(curve.rows[4].rate, None);
    assert_eq!(curve.knee, Some(2));
    assert_eq!(curve.suggested_churn_after, Some(3));
    assert!(activity.return_curve(0).is_err());
}

/// Preference tags from event names: a feature used in at least `min_share` of the user's
/// active periods is a tag (shares by hand: car_control 3 of 3 months, community 1 of 3).
#[test]
fn tags_come_from_event_names() {
    use userops::labels::{TOP_TAG, TagOptions};
    use userops::ops::automation::{SegmentKind, SegmentSource};
    let named = |u: u32, mo: u32, name: &str| EventRecord::<u32>::new(u, m(mo)).with_name(name);
    let log = vec![
        named(1, 1, "car_control"),
        named(1, 2, "car_control"),
        named(1, 3, "car_control"),
        named(1, 3, "community"),
        named(2, 3, "community"),
    ];
    let mut options = LabelOptions::monthly(m(3), 3);
    options.rfm = None;
    options.health = None;
    options.tags = Some(TagOptions {
        top: 3,
        min_share: 0.5,
    });
    let labels = label_events(&EventTable::from_events(&log).unwrap(), &options).unwrap();
    let tags = |u: u32| labels.rows().find(|r| r.user == u).unwrap().tags;
    assert_eq!(tags(1), ["car_control"]); // community: 1/3 < 0.5
    assert_eq!(tags(2), ["community"]); // 1 of 1 active month
    let source = labels.segments();
    let kind = SegmentKind::Custom(TOP_TAG.to_string());
    assert_eq!(source.segment(&kind, &1), Some("car_control"));
    assert_eq!(source.labels(&kind), ["car_control", "community"]);
}

/// The Parquet export reads back with arrow-rs's own reader: same rows, same stages.
#[cfg(feature = "arrow")]
#[test]
fn parquet_export_reads_back() {
    use arrow_array::cast::AsArray;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let log = vec![
        EventRecord::<u32>::new(1_u32, m(1)).with_amount(4.0),
        EventRecord::new(2_u32, m(2)).with_amount(9.0),
    ];
    let labels = label_events(
        &EventTable::from_events(&log).unwrap(),
        &LabelOptions::monthly(m(3), 3),
    )
    .unwrap();
    let path = std::env::temp_dir().join(format!("userops-labels-{}.parquet", std::process::id()));
    labels
        .write_parquet(std::fs::File::create(&path).unwrap())
        .unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<_> = reader.map(Result::unwrap).collect();
    std::fs::remove_file(&path).ok();
    let b = &batches[0];
    assert_eq!(b.num_rows(), 2);
    let col = |name: &str| {
        b.column_by_name(name)
            .unwrap()
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect::<Vec<_>>()
    };
    assert_eq!(col("user"), [Some("1".to_string()), Some("2".to_string())]);
    // User 1: new in January, dormant February, churned March; user 2 unknown in January.
    assert_eq!(col("stage_2025-01"), [Some("new".to_string()), None]);
    assert_eq!(
        col("stage_2025-03"),
        [Some("churned".to_string()), Some("dormant".to_string())]
    );
}
