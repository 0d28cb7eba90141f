//! Tests of the `ops` module against published values (R outputs printed in R's documentation
//! and in tutorials, cited beside each value) and hand calculations written out here, plus
//! property tests for the laws.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use userops::event::EventRecord;
use userops::fold::{Summary, fold, laws};
use userops::ops::automation::*;
use userops::ops::experiment::*;
use userops::ops::health::*;
use userops::ops::nps::{Nps, NpsReport};
use userops::ops::warning::*;
use userops::time::{Interval, Period};

/// Agreement to 4 significant digits: `a` rounds to the printed R value `b` in its 4th
/// significant digit, |a - b| <= 0.5 * 10^(floor(log10 |b|) - 3).
fn sig4(a: f64, b: f64) {
    let unit = 10f64.powf(b.abs().log10().floor() - 3.0);
    assert!(
        (a - b).abs() <= 0.5 * unit * (1.0 + 1e-9),
        "{a} vs R's {b} (4 significant digits)"
    );
}

/// Serde round trip: deserializing the JSON and serializing again gives the same JSON, numbers
/// within 1e-14 relative (serde_json's default float parser, without its `float_roundtrip`
/// feature, may differ from the original in the last bit).
fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T) {
    fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
        use serde_json::Value::*;
        match (a, b) {
            (Number(x), Number(y)) => match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => laws::close(x, y, 1e-14),
                _ => x == y,
            },
            (Array(x), Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
            (Object(x), Object(y)) => {
                x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
            }
            _ => a == b,
        }
    }
    let json = serde_json::to_value(value).unwrap();
    let back: T = serde_json::from_value(json.clone()).unwrap();
    let again = serde_json::to_value(&back).unwrap();
    assert!(
        same(&json, &again),
        "round trip changed {json} into {again}"
    );
    let text: T = serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap();
    assert!(same(&json, &serde_json::to_value(&text).unwrap()));
}

fn near(a: f64, b: f64, tol: f64) {
    assert!((a - b).abs() <= tol, "{a} vs {b} (tolerance {tol})");
}

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, d).unwrap()
}

// ---------------------------------------------------------------------------------------
// Experiments against R
// ---------------------------------------------------------------------------------------

#[test]
fn prop_test_with_continuity_correction_matches_r() {
    // R: prop.test(x = c(490, 400), n = c(500, 500))   (correct = TRUE, R's default)
    //   X-squared = 80.909, df = 1, p-value < 2.2e-16
    //   95 percent confidence interval: 0.1408536 0.2191464
    // Published: https://mathcenter.oxford.emory.edu/site/math117/techTipsTwoSampleProportionTests
    // (and STHDA's two-proportions z-test page). R's group 1 is our treatment.
    let r = two_proportions(
        Proportion::new(400, 500),
        Proportion::new(490, 500),
        &ProportionOptions::corrected(),
    )
    .unwrap();
    sig4(r.chi_square.unwrap(), 80.909);
    sig4(r.statistic, 80.909_f64.sqrt()); // z = +sqrt(X-squared): treatment converts better
    assert!(r.p_value < 2.2e-16);
    sig4(r.ci_low, 0.1408536);
    sig4(r.ci_high, 0.2191464);
    assert!(r.continuity_correction);
    // The same table through chisq.test (Yates on a 2 x 2 table) gives the same X-squared.
    let t = chi_square(&[vec![490.0, 10.0], vec![400.0, 100.0]], true).unwrap();
    sig4(t.statistic, 80.909);
    assert!(t.yates);
}

#[test]
fn prop_test_without_continuity_correction_matches_r() {
    // R: prop.test(x = c(179, 203), n = c(300, 400), correct = FALSE)
    //   X-squared = 5.4979, df = 1, p-value = 0.01904
    //   95 percent confidence interval: 0.01512659 0.16320674
    //   sample estimates: prop 1 0.5966667, prop 2 0.5075000
    // Published: http://homepages.gac.edu/~anienow2/MCS_142/R/R-2-prop.html
    let r = two_proportions(
        Proportion::new(203, 400),
        Proportion::new(179, 300),
        &ProportionOptions::default(),
    )
    .unwrap();
    sig4(r.chi_square.unwrap(), 5.4979);
    sig4(r.p_value, 0.01904);
    sig4(r.ci_low, 0.01512659);
    sig4(r.ci_high, 0.16320674);
    sig4(r.treatment.estimate, 0.5966667);
    sig4(r.control.estimate, 0.5075);
    // z is the signed square root of X-squared; the p-value is R's.
    sig4(r.statistic, 5.4979_f64.sqrt());
    // Hand calculation of the lift: 0.5966667 / 0.5075 - 1 = 0.17570...
    near(
        r.lift.unwrap(),
        (179.0 / 300.0) / (203.0 / 400.0) - 1.0,
        1e-12,
    );
    assert!(r.lift_ci_low.unwrap() < r.lift.unwrap() && r.lift.unwrap() < r.lift_ci_high.unwrap());
}

#[test]
fn k_sample_prop_test_matches_r_smokers_example() {
    // R ?prop.test: smokers <- c(83, 90, 129, 70); patients <- c(86, 93, 136, 82)
    // prop.test(smokers, patients): X-squared = 12.6, df = 3, p-value = 0.005585
    // Published: https://matstat.org/content_en/R-course/proptest.html
    // Hand check of X-squared (Pearson on the 4 x 2 table): 12.6004.
    let groups = [(83, 86), (90, 93), (129, 136), (70, 82)].map(|(x, n)| Proportion::new(x, n));
    let r = proportions_chi_square(&groups, true).unwrap();
    near(r.statistic, 12.6, 0.005);
    near(r.statistic, 12.600411, 1e-5);
    assert_eq!(r.df, 3.0);
    sig4(r.p_value, 0.005585);
    assert!(!r.yates); // never for more than two groups
}

#[test]
fn chisq_test_matches_r_documentation_example() {
    // R ?chisq.test: M <- as.table(rbind(c(762, 327, 468), c(484, 239, 477)))
    // chisq.test(M): X-squared = 30.07, df = 2, p-value = 2.954e-07
    // Hand check: Pearson's sum = 30.070149; with df = 2 the upper tail is exp(-x/2) = 2.9536e-07.
    let r = chi_square(
        &[vec![762.0, 327.0, 468.0], vec![484.0, 239.0, 477.0]],
        true,
    )
    .unwrap();
    sig4(r.statistic, 30.07);
    assert_eq!(r.df, 2.0);
    sig4(r.p_value, 2.954e-07);
    assert!(!r.yates);
    // Expected counts: row 1 total 1557, column 1 total 1246, grand total 2757.
    near(r.expected[0][0], 1557.0 * 1246.0 / 2757.0, 1e-9);
}

#[test]
fn chisq_test_without_correction_matches_published_2x2_and_larger_tables() {
    // Faraway's femsmoke data, summary(xtabs(...)): Chisq = 9.121, df = 1, p-value = 0.002527
    // (Pearson without continuity correction). Published:
    // http://www.stat.nthu.edu.tw/~swcheng/Teaching/stat5230/lab/04.04_ContingencyTable_3way.html
    let r = chi_square(&[vec![502.0, 230.0], vec![443.0, 139.0]], false).unwrap();
    sig4(r.statistic, 9.121);
    sig4(r.p_value, 0.002527);
    // chisq.test(matrix(c(120, 90, 40, 110, 95, 45), ncol = 3, byrow = TRUE)):
    // X-squared = 0.86404, df = 2, p-value = 0.6492 (Statology / tutoraspire tutorial).
    let r = chi_square(&[vec![120.0, 90.0, 40.0], vec![110.0, 95.0, 45.0]], true).unwrap();
    sig4(r.statistic, 0.86404);
    sig4(r.p_value, 0.6492);
    // chisq.test(matrix(c(60, 54, 46, 41, 40, 44, 53, 57), ncol = 4, byrow = TRUE)):
    // X-squared = 8.0061, df = 3, p-value = 0.04589 (N. Carter, Bentley University how-to).
    let r = chi_square(
        &[vec![60.0, 54.0, 46.0, 41.0], vec![40.0, 44.0, 53.0, 57.0]],
        true,
    )
    .unwrap();
    sig4(r.statistic, 8.0061);
    assert_eq!(r.df, 3.0);
    sig4(r.p_value, 0.04589);
}

#[test]
fn yates_on_a_2x2_table_by_hand() {
    // Table [[30, 10], [20, 40]]: row sums 40, 60; column sums 50, 50; N = 100.
    // Expected 20, 20, 30, 30; |O - E| = 10 everywhere; Yates subtracts 0.5:
    // X² = 9.5² (1/20 + 1/20 + 1/30 + 1/30) = 90.25 / 6 = 15.041667; uncorrected 100 / 6.
    let t = [vec![30.0, 10.0], vec![20.0, 40.0]];
    near(chi_square(&t, true).unwrap().statistic, 90.25 / 6.0, 1e-12);
    near(chi_square(&t, false).unwrap().statistic, 100.0 / 6.0, 1e-12);
}

const SLEEP_1: [f64; 10] = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const SLEEP_2: [f64; 10] = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

#[test]
fn welch_t_test_matches_r_sleep_example() {
    // R: t.test(extra ~ group, data = sleep)  (Welch, R's default)
    //   t = -1.8608, df = 17.776, p-value = 0.07939
    //   95 percent confidence interval: -3.3654832  0.2054832
    //   mean in group 1 0.75, mean in group 2 2.33
    // Published: R's ?t.test example output; afex's compare.2.vectors docs print
    // "Welch t -1.861 17.78 0.07939" (https://rdrr.io/github/singmann/afex/src/examples/examples.compare.R).
    // Hand check: s1² = 3.200556, s2² = 4.009000, se = sqrt(0.3200556 + 0.4009) = 0.849091,
    // t = (0.75 - 2.33) / 0.849091 = -1.86081.
    // R's x (group 1) minus y (group 2) is our treatment minus control.
    let r = welch_t_test(&SLEEP_2, &SLEEP_1, 0.95).unwrap();
    sig4(r.statistic, -1.8608);
    sig4(r.df.unwrap(), 17.776);
    sig4(r.p_value, 0.07939);
    sig4(r.ci_low, -3.3654832);
    sig4(r.ci_high, 0.2054832);
    near(r.treatment.estimate, 0.75, 1e-12);
    near(r.control.estimate, 2.33, 1e-12);
    near(r.difference, -1.58, 1e-12);
}

#[test]
fn power_prop_test_matches_r_documentation() {
    // R ?power.prop.test examples:
    //   power.prop.test(n = 50, p1 = .50, p2 = .75)       ## => power = 0.740
    //   power.prop.test(p1 = .50, p2 = .75, power = .90)  ## => n = 76.7
    // Hand calculation of the closed form: z_a = 1.959964, z_b = 1.281552,
    // sqrt((p1+p2)(q1+q2)/2) = sqrt(0.46875) = 0.684653, sqrt(p1q1 + p2q2) = sqrt(0.4375) = 0.661438,
    // n = ((1.959964 * 0.684653 + 1.281552 * 0.661438) / 0.25)² = (8.758277)² = 76.7074.
    near(
        power_two_proportions(50.0, 0.5, 0.75, 0.05, true).unwrap(),
        0.740,
        5e-4,
    );
    let s = sample_size_two_proportions(0.5, 0.75, &PowerSpec::with_power(0.9)).unwrap();
    near(s.per_group, 76.7, 0.05);
    sig4(s.per_group, 76.7074);
    assert_eq!(s.per_group_rounded_up, 77);
    // Power at the computed n is the requested power (the equation R's uniroot solves).
    near(
        power_two_proportions(s.per_group, 0.5, 0.75, 0.05, true).unwrap(),
        0.9,
        1e-9,
    );
}

#[test]
fn experiment_reports_round_trip() {
    let r = welch_t_test(&SLEEP_2, &SLEEP_1, 0.95).unwrap();
    round_trip::<TestReport>(&r);
    let p = two_proportions(
        Proportion::new(0, 50),
        Proportion::new(5, 50),
        &ProportionOptions::corrected(),
    )
    .unwrap();
    assert_eq!(p.lift, None); // control converted nobody: no relative lift
    round_trip::<TestReport>(&p);
    round_trip::<ChiSquareReport>(&chi_square(&[vec![1.0, 2.0], vec![3.0, 4.0]], true).unwrap());
    round_trip::<SampleSize>(
        &sample_size_two_proportions(0.1, 0.12, &PowerSpec::default()).unwrap(),
    );
}

#[test]
fn moments_fold_laws_and_values() {
    let values: Vec<f64> = SLEEP_1.iter().chain(&SLEEP_2).copied().collect();
    let close = |a: &Moments, b: &Moments| {
        a.n == b.n && laws::close(a.mean, b.mean, 1e-9) && laws::close(a.m2, b.m2, 1e-9)
    };
    laws::merge_law(Moments::default, &values, &[3, 11, 17], close).unwrap();
    let perm: Vec<usize> = (0..values.len()).rev().collect();
    laws::order_law(Moments::default, &values, &perm, close).unwrap();
    // Hand: sum of sleep group 1 = 7.5, mean 0.75; sample variance 3.200556 (R: var(...)).
    let m = Moments::of(&SLEEP_1).unwrap();
    near(m.variance().unwrap(), 28.805 / 9.0, 1e-12);
}

// ---------------------------------------------------------------------------------------
// NPS
// ---------------------------------------------------------------------------------------

#[test]
fn nps_by_hand() {
    // 10 answers: 4 promoters (10, 9, 9, 10), 3 passives (8, 7, 8), 3 detractors (3, 6, 0).
    // NPS = 40% - 30% = +10. Indicator variance = pP + pD - (pP - pD)² = 0.7 - 0.01 = 0.69,
    // se = sqrt(0.69 / 10) = 0.262679, 95% CI = 0.1 ± 1.959964 * 0.262679 = [-0.414842, 0.614842].
    let r = Nps::from_scores([10, 9, 9, 10, 8, 7, 8, 3, 6, 0], 0.95).unwrap();
    assert_eq!(
        (r.promoters, r.passives, r.detractors, r.answers),
        (4, 3, 3, 10)
    );
    near(r.score, 10.0, 1e-12);
    near(r.standard_error, 26.2679, 1e-4);
    near(r.ci_low, -41.4842, 1e-3);
    near(r.ci_high, 61.4842, 1e-3);
    // All promoters: score 100, zero variance, interval collapses to [100, 100].
    let all = Nps::from_scores([9, 10, 10], 0.95).unwrap();
    assert_eq!((all.score, all.ci_low, all.ci_high), (100.0, 100.0, 100.0));
}

// ---------------------------------------------------------------------------------------
// Health: alerts, anomalies, index
// ---------------------------------------------------------------------------------------

fn series(values: &[f64]) -> Vec<(NaiveDate, f64)> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| (day(3, 1 + i as u32), *v))
        .collect()
}

#[test]
fn alerts_fire_after_three_days_below_the_line() {
    // Line 40, default 3 consecutive days. Two days below: no alert.
    let two = series(&[50.0, 39.0, 38.0, 45.0, 50.0]);
    assert!(below_line_alerts(&two, 40.0, 3).unwrap().is_empty());
    // Three days below (Mar 2, 3, 4): one alert, fired on the third day.
    let three = series(&[50.0, 39.0, 38.0, 30.0, 45.0]);
    let a = below_line_alerts(&three, 40.0, 3).unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(
        (
            a[0].first_day,
            a[0].fired_on,
            a[0].last_day,
            a[0].days_below
        ),
        (day(3, 2), day(3, 4), day(3, 4), 3)
    );
    assert_eq!(a[0].lowest, 30.0);
    // Four days below: still one alert (fired on day 3 of the run), spanning four days.
    let four = series(&[50.0, 39.0, 38.0, 30.0, 35.0, 45.0]);
    let a = below_line_alerts(&four, 40.0, 3).unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(
        (a[0].fired_on, a[0].last_day, a[0].days_below),
        (day(3, 4), day(3, 5), 4)
    );
    // A run still open at the end of the series alerts too.
    let open = series(&[50.0, 39.0, 38.0, 30.0]);
    assert_eq!(below_line_alerts(&open, 40.0, 3).unwrap().len(), 1);
    // Exactly on the line is not below it.
    let on = series(&[40.0, 40.0, 40.0, 40.0]);
    assert!(below_line_alerts(&on, 40.0, 3).unwrap().is_empty());
    // A missing day breaks the run: Mar 1, 2, then Mar 4.
    let gap = vec![(day(3, 1), 10.0), (day(3, 2), 10.0), (day(3, 4), 10.0)];
    assert!(below_line_alerts(&gap, 40.0, 3).unwrap().is_empty());
}

#[test]
fn anomalies_use_median_and_scaled_mad_by_hand() {
    // Baseline of 5: [10, 12, 11, 13, 9] -> sorted [9, 10, 11, 12, 13], median 11,
    // |x - 11| = [2, 1, 0, 1, 2] -> MAD = 1, scaled MAD = 1.4826.
    // Next value 16: z = 5 / 1.4826 = 3.3725 > 3 -> anomaly. Value 15 (baseline now
    // [12, 11, 13, 9, 16], median 12, |dev| = [0, 1, 1, 3, 4], MAD 1): z = 3 / 1.4826 = 2.02 -> not.
    let s = series(&[10.0, 12.0, 11.0, 13.0, 9.0, 16.0, 15.0]);
    let a = anomalies(&s, 5, 3.0).unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].date, day(3, 6));
    near(a[0].baseline_median, 11.0, 0.0);
    near(a[0].scaled_mad, 1.4826, 1e-12);
    near(a[0].robust_z.unwrap(), 5.0 / 1.4826, 1e-12);
    assert_eq!(a[0].direction, Direction::Above);
    // A flat baseline: any departure is flagged, without a z.
    let flat = series(&[5.0, 5.0, 5.0, 5.0, 5.1]);
    let a = anomalies(&flat, 4, 3.0).unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].robust_z, None);
}

#[test]
fn health_index_by_hand_with_money() {
    // User 1: active on Mar 1, 8, 15, 22 (one event each), pays 50 on Mar 22.
    // User 2: active on Mar 22 only. Scored on Mar 28 with a fixed target of 100.
    // User 1: activity = 4 active days in the 28 days ending Mar 28 (Mar 1..28) / 28 = 0.142857;
    //   contribution = 50 / 100 = 0.5; loyalty: 7-day blocks ending Mar 28: (Mar 22..28) yes,
    //   (15..21) yes, (8..14) yes, (1..7) yes, older 8 blocks no -> 4/12.
    //   index = 0.4 * 0.142857 + 0.3 * 0.5 + 0.3 * 0.333333 = 0.307143 -> 30.7143.
    // User 2: activity 1/28, contribution 0, loyalty 1/12 -> 0.4/28 + 0.3/12 = 0.039286 -> 3.9286.
    let at = |d| Utc.with_ymd_and_hms(2025, 3, d, 10, 0, 0).unwrap();
    let mut log: Vec<EventRecord<u32>> = [1, 8, 15, 22]
        .iter()
        .map(|d| EventRecord::new(1_u32, at(*d)))
        .collect();
    log.push(EventRecord::new(1_u32, at(22)).with_amount(50.0));
    log.push(EventRecord::new(2_u32, at(22)));
    let days = fold(DailyActivity::new(Utc), &log)
        .unwrap()
        .finish()
        .unwrap();
    let p = HealthParams {
        contribution_target: ContributionTarget::Fixed(100.0),
        ..HealthParams::default()
    };
    let r = HealthModel::new(p)
        .unwrap()
        .score(&days, day(3, 1), day(3, 28))
        .unwrap();
    let u1 = &r.users[0];
    near(u1.activity, 100.0 * 4.0 / 28.0, 1e-9);
    near(u1.contribution, 50.0, 1e-9);
    near(u1.loyalty, 100.0 * 4.0 / 12.0, 1e-9);
    near(u1.index, 30.714_285_714, 1e-6);
    assert_eq!(u1.band, "critical");
    let u2 = &r.users[1];
    near(u2.index, 100.0 * (0.4 / 28.0 + 0.3 / 12.0), 1e-9);
    // Population on Mar 28: both users, mean index.
    let last = r.days.last().unwrap();
    assert_eq!(last.users, 2);
    near(last.index, (u1.index + u2.index) / 2.0, 1e-9);
    // Before Mar 22 only user 1 is in the population.
    assert_eq!(r.days[20].users, 1);
}

#[test]
fn payer_quantile_target_by_hand() {
    // Two payers: A pays 90 over a life of 1 day (rate 90 per 90-day window: life < window),
    // B pays 360 over 180 days (rate 360 * 90 / 180 = 180). Type-7 0.9 quantile of [90, 180]
    // = 90 + 0.9 * 90 = 171.
    let at = |m, d| Utc.with_ymd_and_hms(2025, m, d, 10, 0, 0).unwrap();
    let log = vec![
        EventRecord::<u8>::new(1_u8, at(1, 1)).with_amount(90.0),
        EventRecord::new(2_u8, at(1, 1)).with_amount(180.0),
        EventRecord::new(2_u8, at(6, 29)).with_amount(180.0), // Jan 1 + 179 days
        EventRecord::new(3_u8, at(1, 5)),
    ];
    let days = fold(DailyActivity::new(Utc), &log)
        .unwrap()
        .finish()
        .unwrap();
    let m = HealthModel::new(HealthParams::default()).unwrap();
    near(m.contribution_target(&days).unwrap(), 171.0, 1e-9);
}

fn sample_log(n: usize, seed: u64) -> Vec<EventRecord<u16>> {
    let mut rng = userops::sample::Rng::new(seed);
    (0..n)
        .map(|_| {
            let user = rng.below(7) as u16;
            let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
                + chrono::TimeDelta::minutes(rng.below(60 * 24 * 120) as i64);
            let amount = if rng.uniform() < 0.3 {
                (rng.uniform() * 100.0).round() / 4.0
            } else {
                0.0
            };
            EventRecord::new(user, t).with_amount(amount)
        })
        .collect()
}

fn daily_close(a: &DailyActivityReport<u16>, b: &DailyActivityReport<u16>) -> bool {
    a.users.len() == b.users.len()
        && a.users.iter().zip(&b.users).all(|(x, y)| {
            x.user == y.user
                && x.days.len() == y.days.len()
                && x.days.iter().zip(&y.days).all(|(p, q)| {
                    p.date == q.date
                        && p.events == q.events
                        && laws::close(p.amount, q.amount, 1e-9)
                })
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn daily_activity_fold_laws(n in 0usize..200, seed in 0u64..1000, cuts in proptest::collection::vec(0usize..200, 0..4)) {
        let log = sample_log(n, seed);
        laws::merge_law(|| DailyActivity::new(Utc), &log, &cuts, daily_close).unwrap();
        let mut perm: Vec<usize> = (0..log.len()).collect();
        let mut rng = userops::sample::Rng::new(seed + 1);
        for i in (1..perm.len()).rev() {
            perm.swap(i, rng.below(i as u64 + 1) as usize);
        }
        laws::order_law(|| DailyActivity::new(Utc), &log, &perm, daily_close).unwrap();
    }

    #[test]
    fn health_index_is_within_bounds(n in 1usize..200, seed in 0u64..1000) {
        let log = sample_log(n, seed);
        let days = fold(DailyActivity::new(Utc), &log).unwrap().finish().unwrap();
        let r = HealthModel::new(HealthParams::default()).unwrap()
            .score(&days, day(1, 1), day(5, 30)).unwrap();
        for d in &r.days {
            for v in [d.index, d.activity, d.contribution, d.loyalty] {
                prop_assert!((0.0..=100.0 + 1e-9).contains(&v));
            }
        }
        round_trip(&r);
    }

    #[test]
    fn proportion_p_values_are_probabilities_and_symmetric(
        nc in 1u64..5_000, nt in 1u64..5_000, fc in 0.0f64..=1.0, ft in 0.0f64..=1.0, cc in any::<bool>()
    ) {
        let xc = ((nc as f64) * fc).floor() as u64;
        let xt = ((nt as f64) * ft).floor() as u64;
        let o = ProportionOptions { continuity_correction: cc, confidence: 0.95 };
        let a = two_proportions(Proportion::new(xc, nc), Proportion::new(xt, nt), &o);
        let b = two_proportions(Proportion::new(xt, nt), Proportion::new(xc, nc), &o);
        match (a, b) {
            (Ok(a), Ok(b)) => {
                prop_assert!((0.0..=1.0).contains(&a.p_value));
                prop_assert!((a.p_value - b.p_value).abs() <= 1e-12);
                prop_assert!((a.statistic + b.statistic).abs() <= 1e-9);
                prop_assert!((a.ci_low + b.ci_high).abs() <= 1e-9 && (a.ci_high + b.ci_low).abs() <= 1e-9);
                prop_assert!(a.ci_low <= a.difference + 1e-12 && a.difference <= a.ci_high + 1e-12);
            }
            (Err(_), Err(_)) => prop_assert!(xc + xt == 0 || xc + xt == nc + nt),
            _ => prop_assert!(false, "swapping groups changed success into failure"),
        }
    }

    #[test]
    fn welch_p_values_are_probabilities_and_symmetric(
        c in proptest::collection::vec(-1e3f64..1e3, 2..30),
        t in proptest::collection::vec(-1e3f64..1e3, 2..30),
    ) {
        if let (Ok(a), Ok(b)) = (welch_t_test(&c, &t, 0.95), welch_t_test(&t, &c, 0.95)) {
            prop_assert!((0.0..=1.0).contains(&a.p_value));
            prop_assert!((a.p_value - b.p_value).abs() <= 1e-9);
            prop_assert!((a.statistic + b.statistic).abs() <= 1e-9 * a.statistic.abs().max(1.0));
        }
    }

    #[test]
    fn chi_square_is_symmetric_in_rows_and_columns(
        cells in proptest::collection::vec(1u32..500, 6)
    ) {
        let t: Vec<Vec<f64>> = cells.chunks(3).map(|r| r.iter().map(|x| f64::from(*x)).collect()).collect();
        let swapped = vec![t[1].clone(), t[0].clone()];
        let transposed: Vec<Vec<f64>> = (0..3).map(|j| vec![t[0][j], t[1][j]]).collect();
        let a = chi_square(&t, true).unwrap();
        let b = chi_square(&swapped, true).unwrap();
        let c = chi_square(&transposed, true).unwrap();
        prop_assert!((0.0..=1.0).contains(&a.p_value));
        prop_assert!(laws::close(a.statistic, b.statistic, 1e-9) && laws::close(a.statistic, c.statistic, 1e-9));
        prop_assert!((a.p_value - c.p_value).abs() <= 1e-12);
    }

    #[test]
    fn nps_fold_laws_and_bounds(scores in proptest::collection::vec(0i64..=10, 1..200), cut in 0usize..200) {
        laws::merge_law(Nps::default, &scores, &[cut], |a, b| a == b).unwrap();
        let rev: Vec<usize> = (0..scores.len()).rev().collect();
        laws::order_law(Nps::default, &scores, &rev, |a, b| a == b).unwrap();
        let r = fold(Nps::default(), &scores).unwrap().finish().unwrap().report(0.95).unwrap();
        prop_assert!(r.ci_low <= r.score + 1e-9 && r.score <= r.ci_high + 1e-9);
        prop_assert!((-100.0..=100.0).contains(&r.ci_low) && (-100.0..=100.0).contains(&r.ci_high));
        round_trip::<NpsReport>(&r);
    }
}

// ---------------------------------------------------------------------------------------
// Warnings
// ---------------------------------------------------------------------------------------

#[test]
fn warnings_fire_at_their_thresholds() {
    // Exactly 5% complaints (5 of 100), exactly 10% churn, exactly 15% LTV drop (100 -> 85):
    // every rule uses ">=", so all three fire.
    let f = WarningFigures::default()
        .label("2025-03")
        .complaints(5, 100)
        .unwrap()
        .churn(10, 100)
        .unwrap()
        .ltv(100.0, 85.0)
        .unwrap();
    let r = WarningThresholds::default().evaluate(&f).unwrap();
    let colours: Vec<Colour> = r.warnings.iter().map(|w| w.colour).collect();
    assert_eq!(colours, vec![Colour::Yellow, Colour::Orange, Colour::Red]);
    assert_eq!(r.level, Some(Colour::Red));
    assert_eq!(r.warnings[0].figures["complaints"], 5.0);
    near(r.warnings[2].figures["ltv_drop"], 0.15, 1e-12);
    // Just under: nothing fires.
    let f = WarningFigures::default()
        .complaints(4, 100)
        .unwrap()
        .churn(9, 100)
        .unwrap()
        .ltv(100.0, 85.5)
        .unwrap();
    let r = WarningThresholds::default().evaluate(&f).unwrap();
    assert!(r.warnings.is_empty() && r.level.is_none());
    round_trip::<WarningReport>(&r);
}

// ---------------------------------------------------------------------------------------
// Automation
// ---------------------------------------------------------------------------------------

fn month(m: u32) -> Period {
    Period::containing(day(m, 1), Interval::Month)
}

#[test]
fn first_match_and_every_match() {
    let mut s = SegmentMap::new();
    s.extend(
        SegmentKind::Rfm,
        [(1_u32, "at_risk"), (2, "at_risk"), (3, "champions")],
    );
    s.extend(
        SegmentKind::ValueTier,
        [(1_u32, "gold"), (2, "silver"), (3, "gold")],
    );
    let region: BTreeMap<u32, String> = [
        (1, "north".to_string()),
        (2, "south".to_string()),
        (3, "north".to_string()),
    ]
    .into();
    let attrs = Attributes::new().with("region", region);
    let rules = vec![
        Rule::new("gold_call", SegmentKind::ValueTier, "gold", "call", "phone")
            .inactive_for(2)
            .with_attribute("region", ["north"]),
        Rule::new(
            "at_risk_mail",
            SegmentKind::Rfm,
            "at_risk",
            "coupon_10",
            "email",
        )
        .inactive_for(1),
    ];
    let audience = vec![
        LastActive::new(1, month(1)),
        LastActive::new(2, month(3)),
        LastActive::new(3, month(4)),
    ];
    // Evaluated for April: user 1 inactive 3 months, user 2 one, user 3 zero.
    let first = RuleSet::new(rules.clone(), MatchMode::FirstMatch)
        .evaluate(month(4), &audience, &s, &attrs)
        .unwrap();
    assert_eq!(first.targets("gold_call"), vec![&1]);
    assert_eq!(first.targets("at_risk_mail"), vec![&2]);
    let suppressed: Vec<_> = first
        .decisions
        .iter()
        .filter(|d| matches!(d.status, DecisionStatus::Suppressed { .. }))
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(
        (suppressed[0].user, suppressed[0].rule.as_str()),
        (1, "at_risk_mail")
    );
    assert_eq!(first.decisions[0].inactive_periods, 3);
    assert_eq!(first.decisions[0].attribute_value.as_deref(), Some("north"));
    let every = RuleSet::new(rules, MatchMode::EveryMatch)
        .evaluate(month(4), &audience, &s, &attrs)
        .unwrap();
    assert_eq!(every.targets("at_risk_mail"), vec![&1, &2]);
    round_trip::<Evaluation<u32>>(&every);
}

#[test]
fn reach_report_rates() {
    let mut r = ReachSummary::default();
    r.add_counts("email", 1000, 950, 190, 19).unwrap();
    r.add_counts("sms", 200, 198, 0, 0).unwrap();
    let rep = r.finish().unwrap();
    let email = &rep.channels[0];
    assert_eq!(email.delivery_rate, Some(0.95));
    assert_eq!(email.open_rate, Some(0.2));
    assert_eq!(email.conversion_rate, Some(0.1));
    assert_eq!(email.overall_conversion, Some(0.019));
    assert_eq!(rep.channels[1].conversion_rate, None); // nothing opened
    assert_eq!(rep.total.sent, 1200);
    round_trip::<ReachReport>(&rep);
}

#[test]
fn compensation_tiers() {
    let mut tiers = SegmentMap::new();
    tiers.declare(SegmentKind::ValueTier, ["gold", "silver", "bronze"]);
    tiers.extend(
        SegmentKind::ValueTier,
        [(1_u32, "gold"), (2, "silver"), (3, "bronze")],
    );
    let plan = CompensationPlan::new()
        .tier("gold", Compensation::new("refund_and_credit_50", 50.0))
        .tier("silver", Compensation::new("credit_20", 20.0));
    let r = plan.apply(&[1, 2, 3], &tiers).unwrap();
    assert_eq!(r.awards.len(), 2);
    assert_eq!(r.uncovered, vec![3]);
    assert_eq!(r.total_amount, 70.0);
    round_trip::<CompensationReport<u32>>(&r);
}

fn reach_close(a: &ReachReport, b: &ReachReport) -> bool {
    a == b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn targeted_users_are_in_their_rule_segment_and_order_does_not_matter(
        users in proptest::collection::vec((0u32..60, 0u8..3, 0u8..3, 1u32..7), 0..60),
        every in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let labels = ["at_risk", "champions", "dormant"];
        let tiers = ["gold", "silver", "bronze"];
        let mut s = SegmentMap::new();
        s.declare(SegmentKind::Rfm, labels);
        s.declare(SegmentKind::ValueTier, tiers);
        let mut audience = Vec::new();
        for (u, l, t, m) in &users {
            s.assign(SegmentKind::Rfm, *u, labels[*l as usize]);
            s.assign(SegmentKind::ValueTier, *u, tiers[*t as usize]);
            audience.push(LastActive::new(*u, month(*m)));
        }
        let rules = RuleSet::new(vec![
            Rule::new("a", SegmentKind::Rfm, "at_risk", "coupon", "email").inactive_for(2),
            Rule::new("b", SegmentKind::ValueTier, "gold", "call", "phone"),
            Rule::new("c", SegmentKind::Rfm, "dormant", "push", "push").inactive_for(4),
        ], if every { MatchMode::EveryMatch } else { MatchMode::FirstMatch });
        let e = rules.evaluate(month(7), &audience, &s, &Attributes::new()).unwrap();
        for d in &e.decisions {
            let rule = rules.rules.iter().find(|r| r.name == d.rule).unwrap();
            prop_assert_eq!(s.segment(&rule.kind, &d.user), Some(rule.segment.as_str()));
            prop_assert!(d.inactive_periods >= i64::from(rule.min_inactive_periods));
        }
        if !every {
            // First match: each user targeted at most once.
            let mut seen = std::collections::BTreeSet::new();
            for d in e.decisions.iter().filter(|d| d.status == DecisionStatus::Targeted) {
                prop_assert!(seen.insert(d.user));
            }
        }
        let mut shuffled = audience.clone();
        let mut rng = userops::sample::Rng::new(seed);
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let e2 = rules.evaluate(month(7), &shuffled, &s, &Attributes::new()).unwrap();
        prop_assert_eq!(e2, e);
    }

    #[test]
    fn reach_summary_fold_laws(
        outcomes in proptest::collection::vec((0u8..3, 0u8..4), 0..80),
        cuts in proptest::collection::vec(0usize..80, 0..3),
    ) {
        let channels = ["email", "sms", "push"];
        let log: Vec<Delivery> = outcomes.iter().map(|(c, stage)| {
            let mut d = Delivery::new(channels[*c as usize]);
            if *stage >= 1 { d = d.delivered(); }
            if *stage >= 2 { d = d.opened(); }
            if *stage >= 3 { d = d.converted(); }
            d
        }).collect();
        laws::merge_law(ReachSummary::default, &log, &cuts, reach_close).unwrap();
        let rev: Vec<usize> = (0..log.len()).rev().collect();
        laws::order_law(ReachSummary::default, &log, &rev, reach_close).unwrap();
    }
}

/// Regression (found by `fuzz/fuzz_targets/ops_lifecycle.rs`): with tiny variances the squares
/// in the Welch–Satterthwaite formula underflow, the degrees of freedom ran off to infinity and
/// statrs' inverse t CDF never returned. Every such input now answers at once with p in [0, 1]
/// and df inside the bounds the formula guarantees, or with a clear error.
#[test]
fn welch_with_underflowing_variances_returns() {
    use userops::ops::experiment::welch_t_test;
    for exp in [-150, -155, -158, -160, -162, -165, -170, -300, -310] {
        for mult in [1.0, 2.0, 3.0, 7.5] {
            let a = mult * 10f64.powi(exp);
            for (c, t) in [
                (vec![0.0, a], vec![0.0, a]),
                (vec![0.0, a], vec![0.0, 2.0 * a]),
                (vec![0.0, a, 2.0 * a], vec![a, 0.0]),
                (vec![1e-300, a], vec![0.0, 1e-10]),
            ] {
                if let Ok(r) = welch_t_test(&c, &t, 0.95) {
                    assert!(
                        (0.0..=1.0).contains(&r.p_value),
                        "{c:?} {t:?}: p {}",
                        r.p_value
                    );
                    let df = r.df.unwrap_or(f64::NAN);
                    let (nc, nt) = (c.len() as f64, t.len() as f64);
                    assert!(
                        df >= nc.min(nt) - 1.0 && df <= nc + nt - 2.0,
                        "{c:?} {t:?}: df {df}"
                    );
                }
            }
        }
    }
    // The input the fuzzer hung on (bit patterns, so that the subnormals are exact).
    let c: Vec<f64> = [4278059008_u64, 3405002793270444032, 1801439850948198400]
        .iter()
        .map(|b| f64::from_bits(*b))
        .collect();
    let t: Vec<f64> = [4264493056_u64, 0, 0, 0, 0, 0]
        .iter()
        .map(|b| f64::from_bits(*b))
        .collect();
    let r = welch_t_test(&c, &t, 0.95).unwrap();
    assert!((0.0..=1.0).contains(&r.p_value));
    assert!(r.df.is_some_and(|df| (2.0..=7.0).contains(&df)));
    // Values whose variance overflows are an error, not an infinite statistic.
    assert!(welch_t_test(&[0.0, 1e300, -1e300], &[1.0, 2.0], 0.95).is_err());
}
