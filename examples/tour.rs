//! The tour: every model in `userops` on the built-in sample data.
//!
//! `cargo run --release --example tour`

use std::error::Error;

/// `println!` that ends the tour quietly when stdout is closed (`tour | head`), instead of
/// panicking on the broken pipe.
macro_rules! println {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

/// `print!`, ending quietly on a closed stdout as `println!` above.
macro_rules! print {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if write!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

use userops::activity::PeriodTotals;
use userops::fold::{Summary, fold};
use userops::sample::{SampleConfig, SampleData, generate};
use userops::time::{Calendar, Interval, Period, Zone};

fn main() -> Result<(), Box<dyn Error>> {
    let data = generate(&SampleConfig::tour())?;
    println!(
        "userops tour — sample product: {} users, {} events, {} months from {}\n",
        data.users.len(),
        data.events.len(),
        data.config.months,
        data.config.start
    );

    section(
        "Overview: users, events, revenue and active users per month",
        "What the log holds, month by month: the scale every later section works at.",
    );
    let months = fold(
        PeriodTotals::new(Calendar::new(Zone::Utc, Interval::Month)),
        &data.events,
    )?
    .finish()?;
    println!("{months}\n");

    tour_value(&data)?;
    tour_rfm(&data)?;
    tour_lifecycle(&data)?;
    tour_retention(&data)?;
    tour_ltv_cac(&data)?;
    tour_clv(&data)?;
    tour_ops(&data)?;

    Ok(())
}

/// Product quadrant, metric tree, user value and preference tags on the sample product.
fn tour_value(data: &SampleData) -> Result<(), Box<dyn Error>> {
    use std::sync::Arc;
    use userops::metric::{
        CandidateParams, KeyUserParams, Measure, MetricSummary, MetricTree, PreferenceSummary,
        SecondaryMetric, TierParams, ValueWeights, Window, conversion_candidates, key_users,
        population, value_scores,
    };
    use userops::quadrant::{QuadrantParams, UsageSummary, classify};
    use userops::sample::SampleEvent;

    section(
        "Product quadrant: usage frequency × direct payment",
        "What kind of product this is decides which value metrics it must watch.",
    );
    let figures = fold(UsageSummary::new(Zone::Utc), &data.events)?.finish()?;
    let quadrant = classify(&figures, &QuadrantParams::default())?;
    println!("{quadrant}\n");

    section(
        "Metric tree: primary metrics and their secondary metrics (last 90 days)",
        "Each primary metric with the secondary metrics that explain its moves, per user.",
    );
    /// The host's own secondary metric, read from its own event type.
    struct CommunitySessions;
    impl SecondaryMetric<SampleEvent> for CommunitySessions {
        fn name(&self) -> &str {
            "community_sessions"
        }
        fn observe(&self, e: &SampleEvent) -> f64 {
            f64::from(u8::from(e.feature == 4))
        }
    }
    let tree = Arc::new(
        MetricTree::standard()
            .secondary("visit_frequency", "searches", Measure::count("search"))
            .host("time_spent", CommunitySessions)
            .build()?,
    );
    println!("{tree}\n");
    let window = Window::trailing_days(data.end, 90)?;
    let report = fold(
        MetricSummary::new(Arc::clone(&tree), Zone::Utc, window),
        &data.events,
    )?
    .finish()?;
    println!("{}\n", population(&report, 10)?);

    section(
        "User value: score weighted as the quadrant recommends, tiers, Pareto share",
        "Who the valuable users are, how concentrated value is, and whom to treat by hand.",
    );
    let value = value_scores(
        &report,
        &ValueWeights::for_quadrant(&quadrant.quadrant()),
        &TierParams::default(),
    )?;
    println!("{value}");
    let candidates = conversion_candidates(&report, &value, &CandidateParams::default())?;
    println!("{candidates}");
    let keys = key_users(
        "value score",
        value.users.iter().map(|u| (u.user, u.score)),
        &KeyUserParams::new(100, 0.2, "tour")?,
    );
    println!("{keys}\n");

    section(
        "Preference tags: features used in a user's active months (last 3 months)",
        "What each user comes for: the features to lead with when reaching out.",
    );
    let prefs = fold(
        PreferenceSummary::months(Zone::Utc, data.end - chrono::TimeDelta::milliseconds(1))?,
        &data.events,
    )?
    .finish()
    .unwrap();
    println!("{prefs}\n");
    // Dormant: active in the three months, but not in the last 30 days. Reach them through
    // what they used most.
    let recent = Window::trailing_days(data.end, 30)?;
    let active_recently: std::collections::HashSet<u64> = data
        .events
        .iter()
        .filter(|e| recent.contains(e.at))
        .map(|e| e.user)
        .collect();
    let dormant = prefs.profile(|u| !active_recently.contains(u));
    println!("dormant users (no event in the last 30 days): preference profile\n{dormant}\n");
    Ok(())
}

/// LTV / CAC: unit economics per month, CAC, LTV, LTV/CAC and payback per acquisition channel,
/// and the realized cohort LTV table.
fn tour_ltv_cac(data: &SampleData) -> Result<(), Box<dyn Error>> {
    use userops::ltv::cohort::{CohortSummary, cohort_ltv};
    use userops::ltv::economics::{LtvParams, channel_economics, period_economics};

    // The sample history ends (exclusive) at `data.end`: the last instant inside it is the
    // as-of instant, so the last month is complete.
    let as_of = data.end - chrono::TimeDelta::milliseconds(1);
    let calendar = Calendar::new(Zone::Utc, Interval::Month);
    let mut ledger = fold(CohortSummary::new(calendar.clone(), as_of), &data.events)?.finish()?;
    // Acquisition month = sign-up month (the sample knows every user's sign-up).
    ledger.use_sign_up(data, &calendar)?;

    section(
        "LTV / CAC: ARPU, ARPPU and churn per month",
        "Revenue per user and churn per month: the inputs of every LTV figure below.",
    );
    println!("{}", period_economics(&ledger)?);
    println!(
        "(churn counts a user who skips a month as lost; users who come back show in the realized cohort LTV below)\n"
    );

    section(
        "LTV / CAC per acquisition channel (70% margin, 1% monthly discount)",
        "Which channels pay back what they cost to acquire a user.",
    );
    let params = LtvParams::new(0.7)?.with_discount_rate(0.01)?;
    let channel = data.channel();
    println!(
        "{}\n",
        channel_economics(&ledger, &channel, &data.spend, &params)?
    );

    section(
        "Cohort LTV: cumulative revenue per acquired user by months since sign-up",
        "Realized value per acquired user over time, by sign-up month and by channel.",
    );
    println!("{}\n", cohort_ltv(&ledger, Some(&channel))?);
    Ok(())
}

/// RFM: recency, frequency and monetary scores, segments, health and the value × activity
/// quadrant of the sample's paying users.
fn tour_rfm(data: &userops::sample::SampleData) -> Result<(), Box<dyn Error>> {
    use userops::rfm::{HealthParams, Method, RfmSummary, ScoreParams, SegmentRules};

    section(
        "RFM: scores, segments, health (orders only, as of the end of the sample)",
        "Recency, frequency and monetary scores put every customer in a segment with a play.",
    );
    let table = fold(RfmSummary::new(data.end).payments_only(true), &data.events)?.finish()?;
    let scores = ScoreParams::new(Method::Quantile).check()?.score(&table)?;
    println!("{scores}\n");
    let segments = SegmentRules::standard().segment(&scores)?;
    println!("{segments}\n");
    println!("{}\n", HealthParams::default().assess(&scores)?);
    Ok(())
}

fn tour_lifecycle(data: &SampleData) -> Result<(), Box<dyn Error>> {
    use userops::event::SignUp;
    use userops::lifecycle::{
        ForecastStart, Lever, LifecycleSummary, Rates, StageParams, forecast, plan,
    };

    section(
        "Lifecycle: user stages per month (sign-up makes a user new; churn after 2 silent months)",
        "Where every user stands each month, and how the flows add up to next month's active users.",
    );
    let from = userops::time::local_to_utc(
        &Zone::Utc,
        data.config.start.and_time(chrono::NaiveTime::MIN),
    );
    let to = data.end - chrono::TimeDelta::milliseconds(1);
    let summary = LifecycleSummary::new(Calendar::new(Zone::Utc, Interval::Month), from, to)?;
    let activity = fold(summary, &data.events)?.finish()?;
    let signups: &dyn SignUp<u64> = data;
    let params = StageParams::default();
    let report = activity.stages(&params, Some(signups));
    println!("{report}");

    section(
        "Lifecycle: forecast of the next 6 months from the trailing 3-month rates",
        "Next months' active users if the recent flow rates hold.",
    );
    let rates = Rates::trailing(&report, 3)?;
    let tail = &report.rows[report.rows.len().saturating_sub(3)..];
    let expected_new = tail.iter().map(|r| r.new as f64).sum::<f64>() / tail.len().max(1) as f64;
    let start = ForecastStart::from_report(&report)?;
    let projection = forecast(&start, &rates, &[expected_new; 6])?;
    println!("{projection}");

    section(
        "Lifecycle: target plan (active rate +5 points in 6 months, one lever at a time)",
        "How far each lever must move alone to reach a target active rate.",
    );
    let target = (projection.rows.last().map_or(0.0, |r| r.active_rate) + 0.05).min(1.0);
    for lever in Lever::ALL {
        print!(
            "{}",
            plan(&start, &rates, &[expected_new; 6], lever, target)?
        );
    }
    println!();

    section(
        "Lifecycle: the last three months by acquisition channel",
        "The same stages split by where users came from.",
    );
    let by_channel = activity.breakdown(&data.channel(), |part| {
        let r = part.stages(&params, Some(signups));
        r.rows[r.rows.len().saturating_sub(3)..].to_vec()
    });
    for g in &by_channel.groups {
        for row in &g.report {
            println!(
                "{:<12} {}  new {:>4}  retained {:>4}  retained_new {:>4}  woken {:>4}  returned {:>4}  dormant {:>4}  churned {:>5}  active rate {:>5.1}%",
                g.value,
                row.period,
                row.new,
                row.retained,
                row.retained_new,
                row.woken,
                row.returned,
                row.dormant,
                row.churned,
                row.active_rate * 100.0
            );
        }
    }
    println!();
    Ok(())
}

/// A section's title and one line on why it matters.
fn section(title: &str, why: &str) {
    println!("== {title} ==\n{why}");
}

/// Retention: monthly first-time cohorts (start = sign-up, return = any event, `*`) over the
/// last 12 months, and weekly stickiness over the last 12 weeks.
fn tour_retention(data: &SampleData) -> Result<(), Box<dyn Error>> {
    use userops::retention::{
        RetentionMode, RetentionParams, RetentionSummary, StickinessParams, StickinessSummary,
    };

    section(
        "Retention: monthly sign-up cohorts, back for any event (first-time, last 12 months)",
        "Of each month's sign-ups, how many come back 1, 2, ... months later.",
    );
    let last_instant = data.end - chrono::TimeDelta::seconds(1);
    let spec = RetentionParams::new(Calendar::new(Zone::Utc, Interval::Month), last_instant, 12)
        .start_event("signup")
        .return_event("*")
        .mode(RetentionMode::FirstTime)
        .check()?;
    let table = fold(RetentionSummary::new(spec), &data.events)?.finish()?;
    println!("{table}\n");

    section(
        "Stickiness: users by number of active weeks in the last 12 weeks (Monday start)",
        "How habitual use is: the share of users active in k of the last 12 weeks.",
    );
    let from = last_instant - chrono::TimeDelta::weeks(11);
    let spec = StickinessParams::new(
        Calendar::new(Zone::Utc, Interval::Week(chrono::Weekday::Mon)),
        from,
        last_instant,
    )
    .event("*")
    .check()?;
    let sticky = fold(StickinessSummary::new(spec), &data.events)?.finish()?;
    println!("{sticky}\n");
    Ok(())
}

/// Operations: the health index, a three-colour warning, an experiment and NPS.
fn tour_ops(data: &SampleData) -> Result<(), Box<dyn Error>> {
    use chrono::TimeDelta;
    use userops::ops::automation::{
        Attributes, LastActive, MatchMode, ReachSummary, Rule, RuleSet, SegmentKind,
    };
    use userops::ops::experiment::{
        PowerSpec, Proportion, ProportionOptions, sample_size_for_mde, two_proportions,
    };
    use userops::ops::health::{DailyActivity, HealthModel, HealthParams};
    use userops::ops::nps::Nps;
    use userops::ops::warning::{WarningFigures, WarningThresholds};

    section(
        "Ops: user health index over the last 180 days",
        "One index of activity, contribution and loyalty, with alerts and anomalous days.",
    );
    let daily = fold(DailyActivity::new(Zone::Utc), &data.events)?.finish()?;
    // The sample product is used a few times a month: a warning line of 12 (healthy from 24)
    // suits it; the library's defaults (40 / 60) suit a daily-use product.
    let model = HealthModel::new(HealthParams {
        warning_line: 12.0,
        healthy_line: 24.0,
        ..HealthParams::default()
    })?;
    let to = (data.end - TimeDelta::days(1)).date_naive();
    let health = model.score(&daily, to - TimeDelta::days(179), to)?;
    println!("{health}\n");

    section(
        "Ops: automation rules on the health bands (evaluated for the last day)",
        "Who today's rules would reach, on which channel, and what the reach funnel gives.",
    );
    let segments = health.segment_map();
    let attributes = Attributes::new().with("channel", data.channel());
    let audience: Vec<LastActive<u64>> = daily
        .users
        .iter()
        .filter_map(|u| {
            let last = u.days.last()?;
            Some(LastActive::new(
                u.user,
                Period::containing(last.date, Interval::Day),
            ))
        })
        .collect();
    let rules = RuleSet::new(
        vec![
            Rule::new(
                "rescue_paid_users",
                SegmentKind::Health,
                "critical",
                "coupon_15",
                "email",
            )
            .inactive_for(14)
            .with_attribute("channel", ["search_ads", "social_ads"]),
            Rule::new(
                "nudge_watch",
                SegmentKind::Health,
                "watch",
                "push_reminder",
                "push",
            )
            .inactive_for(7),
            Rule::new(
                "rescue_others",
                SegmentKind::Health,
                "critical",
                "reminder",
                "email",
            )
            .inactive_for(14),
        ],
        MatchMode::FirstMatch,
    );
    let evaluation = rules.evaluate(
        Period::containing(to, Interval::Day),
        &audience,
        &segments,
        &attributes,
    )?;
    println!("{evaluation}");
    let mut reach = ReachSummary::default();
    reach.add_counts("email", 1_180, 1_121, 291, 38)?; // made-up outcomes
    reach.add_counts("push", 240, 226, 61, 5)?;
    println!("{}\n", reach.finish()?);

    section(
        "Ops: three-colour warning (made-up figures for one month)",
        "Thresholds that turn a month's churn, complaints and LTV into yellow, orange or red.",
    );
    let figures = WarningFigures::default()
        .label("this month")
        .complaints(31, 600)?
        .churn(45, 600)?
        .ltv(84.0, 70.5)?;
    println!("{}\n", WarningThresholds::default().evaluate(&figures)?);

    section(
        "Ops: experiment — new onboarding vs control (made-up conversions)",
        "Whether a change worked: the test, its interval, and the sample size to plan.",
    );
    let test = two_proportions(
        Proportion::new(120, 2_400),
        Proportion::new(156, 2_400),
        &ProportionOptions::default(),
    )?;
    println!("{test}");
    println!(
        "{}\n",
        sample_size_for_mde(0.05, 0.01, &PowerSpec::default())?
    );

    section(
        "Ops: NPS on made-up survey scores",
        "Net promoter score with its confidence interval.",
    );
    let mut rng = userops::sample::Rng::new(11);
    let weights = [1, 1, 1, 2, 2, 4, 5, 9, 14, 12, 10];
    let total: u64 = weights.iter().sum();
    let scores: Vec<i64> = (0..400)
        .map(|_| {
            let mut pick = rng.below(total);
            let mut score = 0;
            for (s, w) in weights.iter().enumerate() {
                if pick < *w {
                    score = s as i64;
                    break;
                }
                pick -= w;
            }
            score
        })
        .collect();
    println!("{}\n", Nps::from_scores(scores, 0.95)?);
    Ok(())
}

/// Probabilistic CLV: BG/NBD + Gamma-Gamma on the orders, the most valuable customers.
fn tour_clv(data: &SampleData) -> Result<(), Box<dyn Error>> {
    use userops::ltv::{
        BgNbdParams, BtydSummary, ClvOptions, ClvReport, FitOptions, GammaGammaParams, TimeUnit,
    };
    section(
        "Customer lifetime value: BG/NBD + Gamma-Gamma on the orders, top 10 by 12-month CLV",
        "Each customer's probability of being alive and expected value over the next 12 months.",
    );
    let end = (data.end - chrono::TimeDelta::days(1)).date_naive();
    let summary = fold(BtydSummary::new(end, TimeUnit::Week), data.orders())?.finish()?;
    let customers = summary.to_customers();
    // Plain maximum likelihood first; if it does not converge (the sample's customers never
    // churn, so the dropout parameters a, b run off to infinity), a small L2 penalty on the
    // log-parameters, as lifetimes recommends, keeps them finite. Only the fit used is shown.
    let plain = BgNbdParams::fit(&customers, TimeUnit::Week, &FitOptions::new())?;
    let purchases = if plain.converged {
        println!("fit used: plain maximum likelihood (it converged)");
        plain
    } else {
        println!(
            "fit used: penalized (L2 0.001 on the log-parameters, as lifetimes recommends), \
             because plain maximum likelihood does not converge here: {}",
            plain.message
        );
        BgNbdParams::fit(
            &customers,
            TimeUnit::Week,
            &FitOptions::new().penalizer(0.001)?,
        )?
    };
    println!("{purchases}");
    let spend = GammaGammaParams::fit(&customers, &FitOptions::new())?;
    println!("{spend}");
    let options = ClvOptions::new(12)?.discount(0.01)?;
    let rows = summary.customers.iter().map(|c| (c.user, c.customer()));
    let report = ClvReport::compute(&purchases.params, &spend.params, rows, &options)?;
    let total: f64 = report.rows.iter().map(|r| r.clv).sum();
    println!(
        "{} customers, total 12-month CLV {total:.0}",
        report.rows.len()
    );
    println!("{}", report.top(10));
    Ok(())
}
