//! Serde round trip of every public type that is `Serialize + Deserialize` (issue 9, item 1):
//! each value comes out of the real pipeline on the sample data (or from its constructor for
//! parameters), goes to JSON text and back, and must come back *equal* (`PartialEq`, floats
//! bit for bit: serde_json is built with `float_roundtrip`) and print the same JSON again.
//!
//! Reports embed their row and parameter types, so a report's round trip covers them too;
//! the table at the end lists which test value covers which type, and
//! `every_serde_type_is_covered` fails when a new `Serialize + Deserialize` type appears in
//! `src/` without an entry.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use userops::fold::{Summary, fold};
use userops::sample::{SampleConfig, SampleData, generate};
use userops::time::{Calendar, Interval, Period, Zone};

/// JSON text and back: equal value, same text.
fn rt<T: Serialize + DeserializeOwned + PartialEq + Debug>(name: &str, value: &T) {
    let text = serde_json::to_string(value).unwrap_or_else(|e| panic!("{name}: {e}"));
    let back: T = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e} in {text}"));
    assert!(
        back == *value,
        "{name}: round trip changed the value\n{value:?}\n{back:?}"
    );
    assert_eq!(
        serde_json::to_string(&back).unwrap(),
        text,
        "{name}: JSON differs"
    );
}

fn data() -> SampleData {
    generate(&SampleConfig::new(400).months(12).seed(9)).unwrap()
}

#[test]
fn foundation_and_activity() {
    use userops::activity::{ActivitySummary, PeriodTotals};
    let data = data();
    let cal = Calendar::new(Zone::Utc, Interval::Month);
    rt("Interval", &Interval::Week(chrono::Weekday::Mon));
    let p = Period::containing(NaiveDate::from_ymd_opt(2025, 3, 9).unwrap(), Interval::Day);
    rt("Period", &p);
    let grid = cal
        .grid(data.events[0].at, data.end - TimeDelta::seconds(1))
        .unwrap();
    rt("PeriodGrid", &grid);
    let e = userops::event::EventRecord::<String>::new("u1".to_string(), data.end)
        .with_amount(12.5)
        .with_name("order");
    rt("EventRecord", &e);
    rt("SampleConfig", &data.config);
    rt("SampleEvent", &data.events[3]);
    rt("SampleUser", &data.users[0]);
    rt("ChannelSpend", &data.spend[0]);
    rt("SampleData", &data);
    rt("Order", &userops::sample::Order::Time);
    let a = fold(ActivitySummary::new(cal.clone()), &data.events).unwrap();
    rt("ActivitySummary", &a);
    rt("ActivityReport", &a.finish().unwrap());
    let t = fold(PeriodTotals::new(cal), &data.events).unwrap();
    rt("PeriodTotals", &t);
    rt("PeriodReport", &t.finish().unwrap());
}

#[cfg(feature = "csv")]
#[test]
fn csv_events() {
    use userops::csv::{Column, CsvSpec, read_events};
    let text = "user,at,amount\na,2025-01-02,3.5\nb,not a time,1\nc,2025-01-03,NaN\n";
    let spec = CsvSpec::new("user", "at").amount("amount");
    let events = read_events(text.as_bytes(), &spec).unwrap();
    assert!(
        !events.rejected.is_empty(),
        "rejected rows are part of the report"
    );
    rt("CsvEvents", &events);
    rt("Column", &Column::parse("#2"));
}

#[cfg(feature = "arrow")]
#[test]
fn arrow_read_report() {
    use std::sync::Arc;
    use userops::io::arrow::{ArrowSpec, read_batches};
    let batch = arrow_array::RecordBatch::try_from_iter([
        (
            "u",
            Arc::new(arrow_array::StringArray::from(vec![Some("a"), None])) as _,
        ),
        (
            "t",
            Arc::new(arrow_array::StringArray::from(vec!["2025-01-02", "x"])) as _,
        ),
    ])
    .unwrap();
    let (_, report) = read_batches([&batch], &ArrowSpec::new("u", "t")).unwrap();
    assert_eq!(report.rejections.len(), 1);
    rt("ReadReport", &report);
}

#[test]
fn retention_and_lifecycle() {
    use userops::event::SignUp;
    use userops::lifecycle::{
        ForecastStart, Lever, LifecycleSummary, Rates, StageParams, forecast, plan,
    };
    use userops::retention::{
        EventMatch, RetentionMode, RetentionParams, RetentionSummary, StickinessParams,
        StickinessSummary,
    };
    let data = data();
    let last = data.end - TimeDelta::seconds(1);
    let spec = RetentionParams::new(Calendar::new(Zone::Utc, Interval::Month), last, 6)
        .start_event("signup")
        .mode(RetentionMode::FirstTime)
        .on_or_after(true)
        .check()
        .unwrap();
    rt("RetentionSpec", &spec);
    let retention = fold(RetentionSummary::new(spec), &data.events).unwrap();
    rt("RetentionSummary", &retention);
    rt("RetentionReport", &retention.finish().unwrap());
    let spec = StickinessParams::new(
        Calendar::new(Zone::Utc, Interval::Day),
        last - TimeDelta::days(13),
        last,
    )
    .check()
    .unwrap();
    rt("StickinessSpec", &spec);
    let stickiness = fold(StickinessSummary::new(spec), &data.events).unwrap();
    rt("StickinessSummary", &stickiness);
    rt("StickinessReport", &stickiness.finish().unwrap());
    rt(
        "EventMatch",
        &EventMatch::parse("order", "return_event").unwrap(),
    );
    rt("EventMatch::Any", &EventMatch::Any);

    let from = userops::time::local_to_utc(
        &Zone::Utc,
        data.config.start.and_time(chrono::NaiveTime::MIN),
    );
    let summary =
        LifecycleSummary::new(Calendar::new(Zone::Utc, Interval::Month), from, last).unwrap();
    let summary = fold(summary, &data.events).unwrap();
    rt("LifecycleSummary", &summary);
    let activity = summary.finish().unwrap();
    let signups: &dyn SignUp<u64> = &data;
    let params = StageParams::default();
    rt("StageParams", &params);
    let report = activity.stages(&params, Some(signups));
    rt("StageReport", &report);
    rt("PostHogLifecycle", &activity.posthog(Some(signups)));
    let by = activity.breakdown(&data.channel(), |part| part.stages(&params, Some(signups)));
    rt("Breakdown<StageReport>", &by);
    let rates = Rates::trailing(&report, 3).unwrap();
    rt("Rates", &rates);
    let start = ForecastStart::from_report(&report).unwrap();
    rt("ForecastStart", &start);
    rt("Forecast", &forecast(&start, &rates, &[10.0; 4]).unwrap());
    for lever in Lever::ALL {
        rt(
            "TargetPlan",
            &plan(&start, &rates, &[10.0; 4], lever, 0.5).unwrap(),
        );
    }
}

#[test]
fn rfm() {
    use userops::rfm::{
        CustomerRow, HealthParams, Method, RfmSummary, RfmTable, ScoreParams, SegmentRules,
    };
    let data = data();
    let table = fold(RfmSummary::new(data.end).payments_only(true), &data.events)
        .unwrap()
        .finish()
        .unwrap();
    rt("RfmTable", &table);
    for method in [
        Method::Quantile,
        Method::Ntile,
        Method::RfmR,
        Method::Breaks(vec![1.0, 3.0]),
    ] {
        let breaks = matches!(method, Method::Breaks(_));
        let params = ScoreParams::new(method).weights(1.0, 2.0, 0.5);
        rt("ScoreParams", &params);
        let scores = params.check().unwrap().score(&table).unwrap();
        rt("RfmScores", &scores);
        if !breaks {
            // The standard segments and health bands are for 5 bins.
            rt(
                "Segmentation",
                &SegmentRules::standard().segment(&scores).unwrap(),
            );
            rt(
                "HealthReport (rfm)",
                &HealthParams::default().assess(&scores).unwrap(),
            );
        }
    }
    rt("SegmentRules", &SegmentRules::rfm_vignette());
    rt("HealthParams (rfm)", &HealthParams::default());
    rt(
        "UnreachableRule",
        &SegmentRules::standard().unreachable((2, 2, 2)),
    );
    let rows =
        RfmTable::from_customers(vec![CustomerRow::<String>::new("a", 3.0, 2, 40.0)]).unwrap();
    rt("RfmTable from rows", &rows);
    rt("CustomerRow", &CustomerRow::<u32>::new(1_u32, 2.5, 3, 7.25));
}

#[test]
fn ltv() {
    use userops::ltv::cohort::{CohortSummary, cohort_ltv};
    use userops::ltv::economics::{LtvParams, channel_economics, period_economics};
    use userops::ltv::{
        BgNbdParams, BtydSummary, ClvOptions, ClvReport, Customer, FitOptions, GammaGammaParams,
        MbgNbdParams, ParetoNbdParams, TimeUnit,
    };
    let data = data();
    let as_of = data.end - TimeDelta::milliseconds(1);
    let calendar = Calendar::new(Zone::Utc, Interval::Month);
    let mut ledger = fold(CohortSummary::new(calendar.clone(), as_of), &data.events)
        .unwrap()
        .finish()
        .unwrap();
    ledger.use_sign_up(&data, &calendar).unwrap();
    rt("CohortLedger", &ledger);
    rt("PeriodEconomicsReport", &period_economics(&ledger).unwrap());
    let params = LtvParams::new(0.7)
        .unwrap()
        .with_discount_rate(0.01)
        .unwrap();
    rt("LtvParams", &params);
    let channel = data.channel();
    rt(
        "ChannelEconomicsReport",
        &channel_economics(&ledger, &channel, &data.spend, &params).unwrap(),
    );
    rt(
        "CohortLtvReport",
        &cohort_ltv(&ledger, Some(&channel)).unwrap(),
    );

    let end = (data.end - TimeDelta::days(60)).date_naive();
    let summary = fold(
        BtydSummary::new(end, TimeUnit::Week)
            .holdout((data.end - TimeDelta::days(1)).date_naive())
            .unwrap(),
        data.orders(),
    )
    .unwrap()
    .finish()
    .unwrap();
    rt("BtydReport", &summary);
    let customers = summary.to_customers();
    rt(
        "Customer",
        &Customer::new(3, 10.5, 20.25).unwrap().with_monetary(33.1),
    );
    let opts = FitOptions::new().penalizer(0.001).unwrap();
    rt("FitOptions", &opts);
    let bg = BgNbdParams::fit(&customers, TimeUnit::Week, &opts).unwrap();
    rt("FitReport<BgNbdParams>", &bg);
    rt(
        "FitReport<MbgNbdParams>",
        &MbgNbdParams::fit(&customers, TimeUnit::Week, &opts).unwrap(),
    );
    rt(
        "FitReport<ParetoNbdParams>",
        &ParetoNbdParams::fit(&customers, TimeUnit::Week, &opts).unwrap(),
    );
    let gg = GammaGammaParams::fit(&customers, &FitOptions::new()).unwrap();
    rt("FitReport<GammaGammaParams>", &gg);
    rt("TimeUnit", &TimeUnit::Day);
    let options = ClvOptions::new(12).unwrap().discount(0.01).unwrap();
    rt("ClvOptions", &options);
    let rows = summary.customers.iter().map(|c| (c.user, c.customer()));
    rt(
        "ClvReport",
        &ClvReport::compute(&bg.params, &gg.params, rows, &options).unwrap(),
    );
}

#[test]
fn quadrant_and_metric() {
    use userops::metric::{
        CandidateParams, FallingParams, KeyUserParams, Measure, MetricDef, MetricSummary,
        MetricTree, PreferenceSummary, TierParams, ValueWeights, Window, conversion_candidates,
        falling_usage, global_lift, key_users, population, value_scores,
    };
    use userops::quadrant::{ProductFigures, QuadrantParams, UsageSummary, classify};
    let data = data();
    let figures = fold(UsageSummary::new(Zone::Utc), &data.events)
        .unwrap()
        .finish()
        .unwrap();
    rt("ProductFigures", &figures);
    rt(
        "ProductFigures::given",
        &ProductFigures::given(3.5, 0.04).unwrap(),
    );
    let params = QuadrantParams::default();
    rt("QuadrantParams", &params);
    let q = classify(&figures, &params).unwrap();
    rt("QuadrantReport", &q);
    rt("Quadrant", &q.quadrant());

    let tree = Arc::new(
        MetricTree::<userops::sample::SampleEvent>::standard()
            .secondary("visit_frequency", "searches", Measure::count("search"))
            .build()
            .unwrap(),
    );
    let metric = |w: Window| {
        fold(
            MetricSummary::new(Arc::clone(&tree), Zone::Utc, w),
            &data.events,
        )
        .unwrap()
        .finish()
        .unwrap()
    };
    let mid = data.end - TimeDelta::days(90);
    let before = metric(Window::trailing_days(mid, 90).unwrap());
    let after = metric(Window::trailing_days(data.end, 90).unwrap());
    rt("MetricReport", &after);
    rt("Window", &Window::trailing_days(data.end, 30).unwrap());
    rt("PopulationReport", &population(&after, 10).unwrap());
    let weights = ValueWeights::for_quadrant(&q.quadrant());
    rt("ValueWeights", &weights);
    let tiers = TierParams::default();
    rt("TierParams", &tiers);
    let value = value_scores(&after, &weights, &tiers).unwrap();
    rt("ValueReport", &value);
    let before_value = value_scores(&before, &weights, &tiers).unwrap();
    let cp = CandidateParams::default();
    rt("CandidateParams", &cp);
    rt(
        "ConversionCandidates",
        &conversion_candidates(&after, &value, &cp).unwrap(),
    );
    let fp = FallingParams::default();
    rt("FallingParams", &fp);
    rt(
        "FallingUsage",
        &falling_usage(&before, &before_value, &after, &fp).unwrap(),
    );
    rt("GlobalLift", &global_lift(&before, &after).unwrap());
    let kp = KeyUserParams::new(50, 0.2, "roundtrip").unwrap();
    rt("KeyUserParams", &kp);
    rt(
        "KeyUsers",
        &key_users("value", value.users.iter().map(|u| (u.user, u.score)), &kp),
    );
    let prefs = fold(
        PreferenceSummary::months(Zone::Utc, data.end - TimeDelta::milliseconds(1)).unwrap(),
        &data.events,
    )
    .unwrap()
    .finish()
    .unwrap();
    rt("PreferenceReport", &prefs);
    rt("GroupProfile", &prefs.profile(|u| u % 2 == 0));
    rt("Measure", &Measure::per_active_day("searches"));
    rt(
        "MetricDef",
        &MetricDef::new("answers", Some("visit_frequency"), Measure::count("answer")),
    );
}

#[test]
fn attribution() {
    use std::collections::BTreeMap;
    use userops::attribution::{
        AttributionParams, ChannelRule, ConversionRule, JourneyRules, JourneySummary, Model,
        PathColumns, read_paths,
    };
    let data = data();
    let rules = JourneyRules::new().lookback(TimeDelta::days(14)).unwrap();
    rt("JourneyRules", &rules);
    rt(
        "ConversionRule",
        &ConversionRule::Named(vec!["order".into()]),
    );
    rt(
        "ChannelRule",
        &ChannelRule::Mapped(BTreeMap::from([("a".to_string(), "b".to_string())])),
    );
    let summary = fold(JourneySummary::new(rules), &data.events).unwrap();
    rt("JourneySummary", &summary);
    let journeys = summary.finish().unwrap();
    assert!(journeys.conversions() > 0);
    rt("Journeys", &journeys);
    let paths = journeys.paths().unwrap();
    rt("PathTable", &paths);
    let models = [
        Model::FirstTouch,
        Model::time_decay(),
        Model::position_based(),
        Model::Markov { order: 2 },
        Model::Shapley,
    ];
    rt("Model", &models);
    let params = AttributionParams::new(models);
    rt("AttributionParams", &params);
    let report = params.check().unwrap().attribute(&journeys).unwrap();
    rt("AttributionReport", &report);
    let file = read_paths(
        "path,conv\na > b,1\n,1\n".as_bytes(),
        &PathColumns::new("path", "conv"),
    )
    .unwrap();
    rt("RejectedPath", &file.rejected);
}

#[test]
fn ops() {
    use userops::ops::automation::{
        Attributes, Compensation, CompensationPlan, LastActive, MatchMode, ReachSummary, Rule,
        RuleSet, SegmentKind,
    };
    use userops::ops::experiment::{
        Moments, PowerSpec, Proportion, ProportionOptions, chi_square, sample_size_for_mde,
        two_proportions, welch_t_test,
    };
    use userops::ops::health::{DailyActivity, HealthModel, HealthParams, anomalies};
    use userops::ops::nps::Nps;
    use userops::ops::warning::{WarningFigures, WarningThresholds};
    let data = data();
    let daily = fold(DailyActivity::new(Zone::Utc), &data.events)
        .unwrap()
        .finish()
        .unwrap();
    rt("DailyActivityReport", &daily);
    let hp = HealthParams {
        warning_line: 12.0,
        healthy_line: 24.0,
        ..HealthParams::default()
    };
    rt("HealthParams (ops)", &hp);
    let model = HealthModel::new(hp).unwrap();
    let to = (data.end - TimeDelta::days(1)).date_naive();
    let health = model.score(&daily, to - TimeDelta::days(59), to).unwrap();
    rt("HealthReport (ops)", &health);
    rt(
        "UserAlert",
        &model
            .user_alerts(&daily, to - TimeDelta::days(59), to)
            .unwrap(),
    );
    rt(
        "DailyScore",
        &model
            .user_series(&daily, &daily.users[0], to - TimeDelta::days(9), to)
            .unwrap(),
    );
    let series: Vec<(NaiveDate, f64)> = (0..60)
        .map(|d| {
            (
                to - TimeDelta::days(59 - d),
                if d == 50 { 90.0 } else { 10.0 + (d % 3) as f64 },
            )
        })
        .collect();
    rt("Anomaly", &anomalies(&series, 28, 3.0).unwrap());

    let segments = health.segment_map();
    let attributes = Attributes::new().with("channel", data.channel());
    let audience: Vec<LastActive<u64>> = daily
        .users
        .iter()
        .filter_map(|u| {
            Some(LastActive::new(
                u.user,
                Period::containing(u.days.last()?.date, Interval::Day),
            ))
        })
        .collect();
    rt("LastActive", &audience[0]);
    let rules = RuleSet::new(
        vec![
            Rule::new("rescue", SegmentKind::Health, "critical", "coupon", "email")
                .inactive_for(14)
                .with_attribute("channel", ["search_ads", "social_ads"]),
            Rule::new(
                "nudge",
                SegmentKind::Health,
                "watch",
                "push_reminder",
                "push",
            )
            .inactive_for(7),
        ],
        MatchMode::EveryMatch,
    );
    rt("RuleSet", &rules);
    let evaluation = rules
        .evaluate(
            Period::containing(to, Interval::Day),
            &audience,
            &segments,
            &attributes,
        )
        .unwrap();
    rt("Evaluation", &evaluation);
    let mut reach = ReachSummary::default();
    reach.add_counts("email", 1_180, 1_121, 291, 38).unwrap();
    rt("ReachSummary", &reach);
    rt("ReachReport", &reach.finish().unwrap());
    let plan = CompensationPlan {
        kind: SegmentKind::Health,
        ..CompensationPlan::new()
    }
    .tier("critical", Compensation::new("credit_20", 20.0))
    .otherwise(Compensation::new("apology", 0.0));
    rt("CompensationPlan", &plan);
    let affected: Vec<u64> = daily.users.iter().take(20).map(|u| u.user).collect();
    rt(
        "CompensationReport",
        &plan.apply(&affected, &segments).unwrap(),
    );

    let figures = WarningFigures::default()
        .label("month")
        .complaints(31, 600)
        .unwrap()
        .churn(45, 600)
        .unwrap()
        .ltv(84.0, 70.5)
        .unwrap();
    rt("WarningFigures", &figures);
    let thresholds = WarningThresholds::default();
    rt("WarningThresholds", &thresholds);
    rt("WarningReport", &thresholds.evaluate(&figures).unwrap());

    let options = ProportionOptions::default();
    rt("ProportionOptions", &options);
    rt("Proportion", &Proportion::new(120, 2_400));
    rt(
        "TestReport (z)",
        &two_proportions(
            Proportion::new(120, 2_400),
            Proportion::new(156, 2_400),
            &options,
        )
        .unwrap(),
    );
    rt(
        "TestReport (t)",
        &welch_t_test(&[1.0, 2.5, 3.25, 4.0], &[2.0, 3.5, 5.0, 4.75], 0.95).unwrap(),
    );
    rt("Moments", &Moments::of(&[1.0, 2.5, 3.25]).unwrap());
    rt(
        "ChiSquareReport",
        &chi_square(&[vec![12.0, 30.0], vec![25.0, 21.0]], true).unwrap(),
    );
    let spec = PowerSpec::default();
    rt("PowerSpec", &spec);
    rt(
        "SampleSize",
        &sample_size_for_mde(0.05, 0.01, &spec).unwrap(),
    );
    let mut nps = Nps::default();
    for s in [10, 9, 7, 3, 10] {
        nps.add(s).unwrap();
    }
    rt("Nps", &nps);
    rt("NpsReport", &nps.report(0.95).unwrap());
}

/// Which test value covers each `Serialize + Deserialize` type of `src/` (directly or inside a
/// report). Keep it in step with the derives: the test below reads the sources.
#[test]
fn conversion_analytics() {
    use userops::correlation::{CorrelationParams, TwoByTwo, correlate};
    use userops::funnel::{
        Attribution, Entry, Exclusion, FunnelParams, FunnelSummary, StepMatch, StepOrder,
    };
    use userops::journey::JourneySummary;
    use userops::paths::{Direction, PathParams, paths};
    let data = data();
    let params = FunnelParams::new(["signup", "browse", "order"])
        .order(StepOrder::Ordered)
        .entry(Entry::Every)
        .window(TimeDelta::days(7))
        .exclude(Exclusion::new(StepMatch::named("community"), 0, 1))
        .breakdown_by_property("plan")
        .attribution(Attribution::LastTouch)
        .date_range(
            DateTime::<Utc>::from_timestamp(1_500_000_000, 0).unwrap(),
            DateTime::<Utc>::from_timestamp(2_000_000_000, 0).unwrap(),
        );
    let spec = params.check().unwrap();
    rt("FunnelSpec", &spec);
    rt("StepOrder", &StepOrder::Unordered);
    rt("Entry", &Entry::First);
    rt("Attribution", &Attribution::Step(1));
    rt("Attribution", &Attribution::AllEvents);
    rt("Exclusion", &Exclusion::new(StepMatch::named("x"), 0, 2));
    let summary = fold(FunnelSummary::new(spec), &data.events).unwrap();
    rt("FunnelSummary", &summary);
    let outcomes = summary.finish().unwrap();
    let report = outcomes.report();
    assert!(report.steps[0].count > 0 && report.time_to_convert.histogram.len() == 10);
    rt("FunnelReport", &report);
    let by = outcomes.report_by(&data.channel());
    assert!(!by.breakdowns.is_empty());
    rt("FunnelReport by channel", &by);
    rt(
        "FunnelTrend",
        &outcomes.trend(&Calendar::new(Zone::Utc, Interval::Month)),
    );
    let journeys = fold(JourneySummary::new(), &data.events).unwrap();
    rt("JourneySummary", &journeys);
    let journeys = journeys.finish().unwrap();
    let path = PathParams::new("signup", Direction::After, 3).session_gap(TimeDelta::hours(1));
    rt("PathParams", &path);
    let path = path.check().unwrap();
    rt("PathSpec", &path);
    let report = paths(&journeys, &path);
    assert!(!report.rows.is_empty());
    rt("PathReport", &report);
    let corr = CorrelationParams::new("signup", "*", data.end).at_least([1, 3]);
    rt("CorrelationParams", &corr);
    let corr = corr.check().unwrap();
    rt("CorrelationSpec", &corr);
    let report = correlate(&journeys, &corr);
    assert!(!report.rows.is_empty());
    rt("RetentionCorrelation", &report);
    rt("TwoByTwo", &TwoByTwo::new(1, 2, 3, 4));
}

const COVERED: &[(&str, &str)] = &[
    // conversion analytics
    ("StepOrder", "StepOrder"),
    ("Entry", "Entry"),
    ("Attribution", "Attribution"),
    ("Exclusion", "Exclusion"),
    ("Breakdown", "FunnelSpec"),
    ("FunnelSpec", "FunnelSpec"),
    ("StepRow", "FunnelReport"),
    ("HistogramBin", "FunnelReport"),
    ("TimeToConvert", "FunnelReport"),
    ("BreakdownRow", "FunnelReport"),
    ("FunnelReport", "FunnelReport"),
    ("TrendRow", "FunnelTrend"),
    ("FunnelTrend", "FunnelTrend"),
    ("Direction", "PathParams"),
    ("PathParams", "PathParams"),
    ("PathSpec", "PathSpec"),
    ("PathRow", "PathReport"),
    ("PathReport", "PathReport"),
    ("CorrelationParams", "CorrelationParams"),
    ("CorrelationSpec", "CorrelationSpec"),
    ("TwoByTwo", "TwoByTwo"),
    ("CorrelationRow", "RetentionCorrelation"),
    ("RetentionCorrelation", "RetentionCorrelation"),
    // attribution
    ("ConversionRule", "ConversionRule"),
    ("ChannelRule", "ChannelRule"),
    ("JourneyRules", "JourneyRules"),
    ("Journeys", "Journeys"),
    ("PathRow", "PathTable"),
    ("PathTable", "PathTable"),
    ("Model", "Model"),
    ("AttributionParams", "AttributionParams"),
    ("ChannelCredit", "AttributionReport"),
    ("ModelCredit", "AttributionReport"),
    ("AttributionReport", "AttributionReport"),
    ("RejectedPath", "RejectedPath"),
    // foundation
    ("Interval", "Interval"),
    ("Period", "Period"),
    ("PeriodGrid", "PeriodGrid"),
    ("EventRecord", "EventRecord"),
    ("SampleConfig", "SampleConfig"),
    ("SampleEvent", "SampleEvent"),
    ("SampleUser", "SampleUser"),
    ("ChannelSpend", "ChannelSpend"),
    ("SampleData", "SampleData"),
    ("UserActivity", "ActivityReport"),
    ("ActivityReport", "ActivityReport"),
    ("PeriodRow", "PeriodReport"),
    ("PeriodReport", "PeriodReport"),
    ("Column", "Column"),
    ("Delimiter", "CsvEvents"),
    ("RejectReason", "CsvEvents"),
    ("RejectedRow", "CsvEvents"),
    ("CsvEvents", "CsvEvents"),
    ("Order", "Order"),
    // io::arrow's RejectReason and RejectedRow share the csv names; ReadReport holds them.
    ("ReadReport", "ReadReport"),
    // retention, lifecycle
    ("StickinessReport", "StickinessReport"),
    ("CohortRow", "RetentionReport"),
    ("RetentionReport", "RetentionReport"),
    ("EventMatch", "EventMatch"),
    ("RetentionMode", "RetentionReport"),
    ("EventsPerPeriod", "StickinessReport"),
    ("Stage", "StageReport"),
    ("StageParams", "StageParams"),
    ("StageRow", "StageReport"),
    ("TransitionMatrix", "StageReport"),
    ("Decomposition", "StageReport"),
    ("StageReport", "StageReport"),
    ("BreakdownGroup", "Breakdown<StageReport>"),
    ("Breakdown", "Breakdown<StageReport>"),
    ("PostHogLifecycle", "PostHogLifecycle"),
    ("Lever", "TargetPlan"),
    ("Rates", "Rates"),
    ("ForecastStart", "ForecastStart"),
    ("ForecastRow", "Forecast"),
    ("Forecast", "Forecast"),
    ("PlanOutcome", "TargetPlan"),
    ("TargetPlan", "TargetPlan"),
    // rfm
    ("SegmentRule", "SegmentRules"),
    ("UnreachableRule", "UnreachableRule"),
    ("SegmentRules", "SegmentRules"),
    ("SegmentRow", "Segmentation"),
    ("Segmentation", "Segmentation"),
    ("Health", "HealthReport (rfm)"),
    ("Quadrant", "HealthReport (rfm) / Quadrant"),
    ("HealthParams", "HealthParams (rfm) / (ops)"),
    ("HealthGroup", "HealthReport (rfm)"),
    ("QuadrantGroup", "HealthReport (rfm)"),
    ("HealthReport", "HealthReport (rfm) / (ops)"),
    ("CustomerRfm", "RfmTable"),
    ("CustomerRow", "CustomerRow"),
    ("RfmTable", "RfmTable"),
    ("FrequencyMeasure", "ScoreParams"),
    ("Weights", "ScoreParams"),
    ("ScoreParams", "ScoreParams"),
    ("ScoredCustomer", "RfmScores"),
    ("RfmScores", "RfmScores"),
    ("Method", "ScoreParams"),
    ("Closed", "RfmScores"),
    ("Band", "RfmScores"),
    ("Thresholds", "RfmScores"),
    // ltv
    ("LtvParams", "LtvParams"),
    ("PeriodEconomicsRow", "PeriodEconomicsReport"),
    ("PeriodEconomicsReport", "PeriodEconomicsReport"),
    ("ChannelEconomicsRow", "ChannelEconomicsReport"),
    ("ChannelEconomicsReport", "ChannelEconomicsReport"),
    ("ChannelPeriodCac", "ChannelEconomicsReport"),
    ("TimeUnit", "TimeUnit"),
    ("Customer", "Customer"),
    ("FitOptions", "FitOptions"),
    ("FitReport", "FitReport<*>"),
    ("ParetoNbdParams", "FitReport<ParetoNbdParams>"),
    ("ClvOptions", "ClvOptions"),
    ("CustomerValue", "ClvReport"),
    ("ClvReport", "ClvReport"),
    ("CustomerSummary", "BtydReport"),
    ("BtydReport", "BtydReport"),
    ("PeriodCell", "CohortLedger"),
    ("LedgerRow", "CohortLedger"),
    ("CohortLedger", "CohortLedger"),
    // partial states: round trips and merges through JSON are property tests next to each
    // summary's other laws (tests/ltv_props.rs, ltv_economics.rs, metric.rs, quadrant.rs)
    ("CohortSummary", "CohortSummary (tests/ltv_economics.rs)"),
    ("UsageSummary", "UsageSummary (tests/quadrant.rs)"),
    ("PreferenceSummary", "PreferenceSummary (tests/metric.rs)"),
    ("MetricState", "MetricSummary (tests/metric.rs)"),
    ("CohortLtvRow", "CohortLtvReport"),
    ("CohortLtvReport", "CohortLtvReport"),
    ("GammaGammaParams", "FitReport<GammaGammaParams>"),
    ("BgNbdParams", "FitReport<BgNbdParams>"),
    ("MbgNbdParams", "FitReport<MbgNbdParams>"),
    // quadrant, metric
    ("Frequency", "QuadrantReport"),
    ("Payment", "QuadrantReport"),
    ("ValueMetric", "QuadrantReport"),
    ("QuadrantParams", "QuadrantParams"),
    ("UsageCounts", "ProductFigures"),
    ("ProductFigures", "ProductFigures"),
    ("QuadrantReport", "QuadrantReport"),
    ("ValueWeights", "ValueWeights"),
    ("TierParams", "TierParams"),
    ("WeightRow", "ValueReport"),
    ("UserValue", "ValueReport"),
    ("TierRow", "ValueReport"),
    ("ValueReport", "ValueReport"),
    ("CandidateParams", "CandidateParams"),
    ("Candidate", "ConversionCandidates"),
    ("ConversionCandidates", "ConversionCandidates"),
    ("FallingParams", "FallingParams"),
    ("FallingUser", "FallingUsage"),
    ("FallingUsage", "FallingUsage"),
    ("MetricShift", "GlobalLift"),
    ("GlobalLift", "GlobalLift"),
    ("KeyUserParams", "KeyUserParams"),
    ("KeyUser", "KeyUsers"),
    ("KeyUsers", "KeyUsers"),
    ("Window", "Window"),
    ("MetricInfo", "MetricReport"),
    ("MetricReport", "MetricReport"),
    ("QuantileValue", "PopulationReport"),
    ("Histogram", "PopulationReport"),
    ("MetricStats", "PopulationReport"),
    ("PopulationReport", "PopulationReport"),
    ("FeatureShare", "PreferenceReport"),
    ("UserPreferences", "PreferenceReport"),
    ("FeatureProfile", "GroupProfile"),
    ("GroupProfile", "GroupProfile"),
    ("PreferenceReport", "PreferenceReport"),
    ("Measure", "Measure / MetricReport"),
    ("MetricDef", "MetricDef"),
    // ops
    ("ActiveDay", "DailyActivityReport"),
    ("UserDays", "DailyActivityReport"),
    ("DailyActivityReport", "DailyActivityReport"),
    ("ContributionTarget", "HealthParams (ops)"),
    ("HealthWeights", "HealthParams (ops)"),
    ("DailyScore", "DailyScore"),
    ("UserHealth", "HealthReport (ops)"),
    ("PopulationDay", "HealthReport (ops)"),
    ("Alert", "HealthReport (ops) / UserAlert"),
    ("Direction", "Anomaly"),
    ("Anomaly", "Anomaly"),
    ("UserAlert", "UserAlert"),
    ("SegmentKind", "RuleSet"),
    ("AttributeCondition", "RuleSet"),
    ("Rule", "RuleSet"),
    ("MatchMode", "RuleSet"),
    ("LastActive", "LastActive"),
    ("DecisionStatus", "Evaluation"),
    ("Decision", "Evaluation"),
    ("RuleCount", "Evaluation"),
    ("Evaluation", "Evaluation"),
    ("RuleSet", "RuleSet"),
    ("Delivery", "ReachSummary"),
    ("ReachSummary", "ReachSummary"),
    ("ChannelReach", "ReachReport"),
    ("ReachReport", "ReachReport"),
    ("Compensation", "CompensationPlan"),
    ("CompensationPlan", "CompensationPlan"),
    ("Award", "CompensationReport"),
    ("LevelTotal", "CompensationReport"),
    ("CompensationReport", "CompensationReport"),
    ("Proportion", "Proportion"),
    ("Moments", "Moments"),
    ("ProportionOptions", "ProportionOptions"),
    ("GroupEstimate", "TestReport"),
    ("TestReport", "TestReport"),
    ("ChiSquareReport", "ChiSquareReport"),
    ("PowerSpec", "PowerSpec"),
    ("SampleSize", "SampleSize"),
    ("Nps", "Nps"),
    ("NpsReport", "NpsReport"),
    ("Colour", "WarningReport"),
    ("WarningThresholds", "WarningThresholds"),
    ("WarningFigures", "WarningFigures"),
    ("Warning", "WarningReport"),
    ("WarningReport", "WarningReport"),
    // labels, outcomes, multi-lever plans, return curve (issue 23)
    ("RfmLabels", "LabelTable"),
    ("TierLabels", "LabelTable"),
    ("ClvLabels", "LabelTable"),
    ("LabelTable", "LabelTable"),
    ("UserLabels", "UserLabels"),
    ("DecisionRecord", "DecisionRecord"),
    ("HoldOut", "HoldOut"),
    ("OutcomeParams", "OutcomeParams"),
    ("OutcomeRow", "OutcomeReport"),
    ("OutcomeReport", "OutcomeReport"),
    ("LeverTargets", "LeverTargets"),
    ("LeverPlanRow", "LeverPlan"),
    ("LeverPlan", "LeverPlan"),
    ("ChangeOutcome", "LeverChange"),
    ("LeverChange", "LeverChange"),
    ("ReturnRow", "ReturnCurve"),
    ("ReturnCurve", "ReturnCurve"),
];

/// Labels, decision outcomes, multi-lever plans and the return curve (issue 23).
#[test]
fn labels_outcomes_and_plans_round_trip() {
    use chrono::{TimeZone, Utc};
    use userops::engine::EventTable;
    use userops::event::EventRecord;
    use userops::labels::{ClvLabels, LabelOptions, TierLabels, label_events};
    use userops::lifecycle::{
        ForecastStart, Lever, LeverTargets, LifecycleSummary, Rates, plan_levers, smallest_change,
    };
    use userops::ops::outcome::{DecisionRecord, HoldOut, OutcomeParams, outcomes};
    let m = |mo| Utc.with_ymd_and_hms(2025, mo, 10, 0, 0, 0).unwrap();
    let log: Vec<EventRecord<u32>> = (0..40_u32)
        .map(|u| EventRecord::new(u, m(1 + u % 6)).with_amount(f64::from(u) + 0.25))
        .collect();
    let mut labels = label_events(
        &EventTable::from_events(&log).unwrap(),
        &LabelOptions::monthly(m(6), 4),
    )
    .unwrap();
    let n = labels.len();
    labels.value_tier = Some(TierLabels {
        names: vec!["low".into(), "high".into()],
        tier: (0..n)
            .map(|i| (i % 3 != 0).then_some((i % 2) as u16))
            .collect(),
    });
    labels.clv = Some(ClvLabels {
        p_alive: (0..n).map(|i| Some(i as f64 / 41.0)).collect(),
        clv: vec![None; n],
    });
    labels.tags = Some(
        (0..n)
            .map(|i| {
                if i % 2 == 0 {
                    vec!["car_control".to_string()]
                } else {
                    vec![]
                }
            })
            .collect(),
    );
    rt("LabelTable", &labels);
    rt("UserLabels", &labels.row(3).unwrap());
    let at = m(7);
    let decisions: Vec<DecisionRecord<u32>> = (0..20_u32)
        .map(|u| DecisionRecord::new("wake", u, "push", at, u % 4 == 0))
        .collect();
    rt("DecisionRecord", &decisions[0]);
    rt("HoldOut", &HoldOut::new("q3", 0.1).unwrap());
    let params = OutcomeParams::days(14).unwrap();
    rt("OutcomeParams", &params);
    let later: Vec<EventRecord<u32>> = (0..20_u32)
        .filter(|u| u % 3 == 0)
        .map(|u| EventRecord::new(u, at + TimeDelta::days(2)))
        .collect();
    rt(
        "OutcomeReport",
        &outcomes(&decisions, &later, &params).unwrap(),
    );
    let start = ForecastStart {
        period: Some(Period::containing(
            NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
            Interval::Month,
        )),
        churn_after: 2,
        known: 1000.0,
        new: 50.0,
        old_active: 750.0,
        dormant: 100.0,
        churned: 100.0,
    };
    let base = Rates::new(0.9, 0.6, 0.3, 0.05, 0.0).unwrap();
    let targets = LeverTargets::new().set(Lever::WakeRate, 0.95);
    rt("LeverTargets", &targets);
    rt(
        "LeverPlan",
        &plan_levers(&start, &base, &[targets.clone(), targets], &[50.0, 40.0]).unwrap(),
    );
    let changes = smallest_change(
        &start,
        &base,
        &[LeverTargets::new()],
        &[50.0],
        &[Lever::WakeRate, Lever::OldRetention],
        0.8,
    )
    .unwrap();
    for c in &changes {
        rt("LeverChange", c);
    }
    let activity = fold(
        LifecycleSummary::new(Calendar::new(Zone::Utc, Interval::Month), m(1), m(6)).unwrap(),
        &log,
    )
    .unwrap()
    .finish()
    .unwrap();
    rt("ReturnCurve", &activity.return_curve(3).unwrap());
}

/// Reads `src/` for `derive(... Deserialize ...)` on public types and checks each is listed
/// in [`COVERED`].
#[test]
fn every_serde_type_is_covered() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let listed: BTreeSet<&str> = COVERED.iter().map(|(t, _)| *t).collect();
    let mut missing = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut pending = false;
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with("#[derive(") && line.contains("Deserialize") {
                pending = true;
            } else if pending && (line.starts_with("pub struct ") || line.starts_with("pub enum "))
            {
                let name = line
                    .split_whitespace()
                    .nth(2)
                    .unwrap_or("")
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .next()
                    .unwrap_or("");
                if !listed.contains(name) {
                    missing.push(format!("{name} ({})", file.display()));
                }
                pending = false;
            } else if pending
                && !(line.starts_with("#[") || line.starts_with("///") || line.is_empty())
            {
                pending = false;
            }
        }
    }
    assert!(
        missing.is_empty(),
        "serde types without a round-trip entry: {missing:?}"
    );
}
