//! Unit economics and cohort LTV: hand-computed logs (the arithmetic is in the comments),
//! fold laws, monotone cohort curves and serde round trips.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc, Weekday};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use userops::event::EventRecord;
use userops::fold::{Summary, fold, laws};
use userops::ltv::cohort::{CohortLedger, CohortSummary, cohort_ltv};
use userops::ltv::economics::{
    LtvParams, channel_economics, churn_rate, ltv, payback_period, period_economics,
};
use userops::time::{Calendar, Interval};

fn at(m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, m, d, 12, 0, 0).unwrap()
}

fn month(m: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, 1).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

fn assert_close(a: f64, b: f64) {
    assert!(close(a, b), "{a} != {b}");
}

fn assert_curve(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(close(*g, *w), "{got:?} vs {want:?}");
    }
}

/// The hand-computed log (monthly periods, UTC, as of the end of March 2025):
///
/// | user | channel  | events                                                      |
/// |------|----------|-------------------------------------------------------------|
/// | 1    | ads      | Jan 5 sign-up (0), Jan 10 pays 30, Feb 3 pays 20, Mar 7 pays 10 |
/// | 2    | ads      | Jan 20 visit (0), Mar 2 pays 40                              |
/// | 3    | organic  | Feb 1 sign-up (0), Feb 15 pays 15, Feb 16 pays 5              |
/// | 4    | referral | Feb 10 sign-up (0), never pays, never back                    |
/// | 5    | organic  | Mar 30 pays 60                                               |
fn log() -> Vec<EventRecord<u32>> {
    vec![
        EventRecord::new(1_u32, at(1, 5)),
        EventRecord::new(1_u32, at(1, 10)).with_amount(30.0),
        EventRecord::new(1_u32, at(2, 3)).with_amount(20.0),
        EventRecord::new(1_u32, at(3, 7)).with_amount(10.0),
        EventRecord::new(2_u32, at(1, 20)),
        EventRecord::new(2_u32, at(3, 2)).with_amount(40.0),
        EventRecord::new(3_u32, at(2, 1)),
        EventRecord::new(3_u32, at(2, 15)).with_amount(15.0),
        EventRecord::new(3_u32, at(2, 16)).with_amount(5.0),
        EventRecord::new(4_u32, at(2, 10)),
        EventRecord::new(5_u32, at(3, 30)).with_amount(60.0),
    ]
}

fn channels() -> HashMap<u32, String> {
    [
        (1, "ads"),
        (2, "ads"),
        (3, "organic"),
        (4, "referral"),
        (5, "organic"),
    ]
    .into_iter()
    .map(|(u, c)| (u, c.to_string()))
    .collect()
}

fn as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 31, 23, 59, 59).unwrap()
}

fn ledger() -> CohortLedger<u32> {
    fold(
        CohortSummary::new(Calendar::new(Utc, Interval::Month), as_of()),
        log(),
    )
    .unwrap()
    .finish()
    .unwrap()
}

#[test]
fn arpu_arppu_and_churn_per_month_by_hand() {
    let r = period_economics(&ledger()).unwrap();
    let p: Vec<String> = r.rows.iter().map(|r| r.period.to_string()).collect();
    assert_eq!(p, ["2025-01", "2025-02", "2025-03"]);
    // January: active {1, 2} = 2, paying {1} = 1, new {1, 2} = 2, revenue 30.
    //   ARPU = 30 / 2 = 15, ARPPU = 30 / 1 = 30, churn undefined (first period).
    let jan = &r.rows[0];
    assert_eq!(
        (jan.active_users, jan.paying_users, jan.new_users),
        (2, 1, 2)
    );
    assert_eq!(
        (jan.revenue, jan.arpu, jan.arppu),
        (30.0, Some(15.0), Some(30.0))
    );
    assert_eq!((jan.churned_users, jan.churn_rate), (0, None));
    // February: active {1, 3, 4} = 3, paying {1, 3} = 2, new {3, 4} = 2, revenue 20 + 15 + 5 = 40.
    //   ARPU = 40 / 3, ARPPU = 40 / 2 = 20; churned: user 2 (active in Jan, not Feb) → 1 / 2.
    let feb = &r.rows[1];
    assert_eq!(
        (feb.active_users, feb.paying_users, feb.new_users),
        (3, 2, 2)
    );
    assert_eq!(feb.revenue, 40.0);
    assert_close(feb.arpu.unwrap(), 40.0 / 3.0);
    assert_eq!(feb.arppu, Some(20.0));
    assert_eq!((feb.churned_users, feb.churn_rate), (1, Some(0.5)));
    // March: active {1, 2, 5} = 3, all paying, new {5} = 1, revenue 10 + 40 + 60 = 110.
    //   ARPU = ARPPU = 110 / 3; churned: users 3 and 4 (active in Feb, not Mar) → 2 / 3.
    let mar = &r.rows[2];
    assert_eq!(
        (mar.active_users, mar.paying_users, mar.new_users),
        (3, 3, 1)
    );
    assert_eq!(mar.revenue, 110.0);
    assert_close(mar.arpu.unwrap(), 110.0 / 3.0);
    assert_close(mar.arppu.unwrap(), 110.0 / 3.0);
    assert_eq!(mar.churned_users, 2);
    assert_close(mar.churn_rate.unwrap(), 2.0 / 3.0);
    // Pooled: revenue 180 over 2 + 3 + 3 = 8 active user-months → ARPU 22.5;
    //   over 1 + 2 + 3 = 6 paying user-months → ARPPU 30;
    //   churn (1 + 2) lost / (2 + 3) at risk = 0.6.
    assert_eq!((r.users, r.revenue), (5, 180.0));
    assert_eq!(r.arpu, Some(22.5));
    assert_eq!(r.arppu, Some(30.0));
    assert_close(r.churn_rate.unwrap(), 0.6);
}

#[test]
fn ltv_with_and_without_discount_by_hand() {
    // From the pooled figures above: ARPU 22.5, churn 0.6, margin 50%.
    //   simple: 0.5 × 22.5 / 0.6 = 18.75
    //   discounted at 10% a period: 0.5 × 22.5 × 1.1 / (1 + 0.1 − 0.4) = 12.375 / 0.7 = 17.678571428571427
    let simple = LtvParams::new(0.5).unwrap();
    assert_close(ltv(&simple, 22.5, 0.6).unwrap(), 18.75);
    let disc = simple.with_discount_rate(0.1).unwrap();
    assert_close(ltv(&disc, 22.5, 0.6).unwrap(), 12.375 / 0.7);
    // Gupta & Lehmann (2003) write CLV = m·r/(1 + i − r) for margins received at the end of each
    // retained period: with m = 0.5 × 22.5 = 11.25, r = 0.4, i = 0.1 that is 4.5 / 0.7; our
    // figure adds the current period's margin m: 11.25 + 4.5 / 0.7 = 12.375 / 0.7.
    assert_close(ltv(&disc, 22.5, 0.6).unwrap(), 11.25 + 4.5 / 0.7);
    // Host-given figures: 500 customers at the start, 40 lost → churn 8%;
    //   ARPU 50 at 80% margin → LTV = 0.8 × 50 / 0.08 = 500.
    let c = churn_rate(500, 40).unwrap();
    assert_close(c, 0.08);
    assert_close(ltv(&LtvParams::new(0.8).unwrap(), 50.0, c).unwrap(), 500.0);
    // The textbook geometric-series check: margin 100 a year, retention 80%, discount 10%
    //   → 100 × 1.1 / (1.1 − 0.8) = 366.67 (Gupta & Lehmann's m·r/(1+i−r) = 266.67, plus m).
    let p = LtvParams::new(1.0)
        .unwrap()
        .with_discount_rate(0.1)
        .unwrap();
    assert_close(ltv(&p, 100.0, 0.2).unwrap(), 110.0 / 0.3);
}

#[test]
fn cac_ltv_cac_and_payback_per_channel_by_hand() {
    // Spend: ads 100 in January and 20 in February, referral 10 in February; organic none.
    let spend = vec![
        ("ads", month(1), 100.0),
        ("ads", NaiveDate::from_ymd_opt(2025, 2, 14).unwrap(), 20.0),
        ("referral", month(2), 10.0),
    ];
    let params = LtvParams::new(0.5).unwrap();
    let r = channel_economics(&ledger(), &channels(), &spend, &params).unwrap();
    let names: Vec<&str> = r.rows.iter().map(|r| r.channel.as_str()).collect();
    assert_eq!(names, ["ads", "organic", "referral"]);

    // ads: users 1 and 2. CAC = 120 / 2 = 60.
    //   Jan active 2 (revenue 30), Feb active 1 (20; user 2 churned), Mar active 2 (50; nobody
    //   churned). ARPU = 100 / 5 = 20, churn = 1 lost / (2 + 1) at risk = 1/3.
    //   LTV = 0.5 × 20 / (1/3) = 30; LTV/CAC = 30 / 60 = 0.5.
    //   Cohort curve (both acquired in Jan): [30, 30 + 20, 30 + 20 + 50] / 2 = [15, 25, 50];
    //   margin × curve = [7.5, 12.5, 25] never reaches 60 → not paid back.
    let ads = &r.rows[0];
    assert_eq!((ads.new_users, ads.spend, ads.cac), (2, 120.0, 60.0));
    assert_eq!(ads.arpu, Some(20.0));
    assert_close(ads.churn_rate.unwrap(), 1.0 / 3.0);
    assert_close(ads.ltv.unwrap(), 30.0);
    assert_close(ads.ltv_cac.unwrap(), 0.5);
    assert_eq!(ads.payback_periods, None);

    // organic: users 3 (Feb) and 5 (Mar). No spend → CAC 0, LTV/CAC undefined, payback 0.
    //   Feb active 1 (20), Mar active 1 (60; user 3 churned). ARPU = 80 / 2 = 40,
    //   churn = 1 / 1 = 1 → LTV = 0.5 × 40 / 1 = 20.
    let org = &r.rows[1];
    assert_eq!((org.new_users, org.spend, org.cac), (2, 0.0, 0.0));
    assert_eq!((org.arpu, org.churn_rate), (Some(40.0), Some(1.0)));
    assert_close(org.ltv.unwrap(), 20.0);
    assert_eq!((org.ltv_cac, org.payback_periods), (None, Some(0)));

    // referral: user 4 only, never pays. CAC = 10 / 1 = 10; ARPU 0 / 1 = 0; churn 1 / 1 = 1;
    //   LTV = 0; LTV/CAC = 0; never paid back.
    let referral = &r.rows[2];
    assert_eq!((referral.new_users, referral.cac), (1, 10.0));
    assert_eq!((referral.arpu, referral.churn_rate), (Some(0.0), Some(1.0)));
    assert_eq!((referral.ltv, referral.ltv_cac), (Some(0.0), Some(0.0)));
    assert_eq!(referral.payback_periods, None);

    // All channels: blended CAC = 130 / 5 = 26; LTV = 18.75 (pooled ARPU 22.5, churn 0.6);
    //   LTV/CAC = 18.75 / 26. Pooled curve: month 0 over all 5 users (30 + 20 + 60) / 5 = 22;
    //   month 1 over the Jan and Feb cohorts (4 users): (20 + 0) / 4 = 5; month 2 over the Jan
    //   cohort (2 users): 50 / 2 = 25 → [22, 27, 52]; margin × curve = [11, 13.5, 26] reaches
    //   26 in month 2 → paid back after 3 months.
    let all = &r.total;
    assert_eq!((all.new_users, all.spend, all.cac), (5, 130.0, 26.0));
    assert_close(all.ltv.unwrap(), 18.75);
    assert_close(all.ltv_cac.unwrap(), 18.75 / 26.0);
    assert_eq!(all.payback_periods, Some(3));
    let text = r.to_string();
    assert!(
        text.contains("referral") && text.contains("LTV/CAC"),
        "{text}"
    );
}

#[test]
fn margin_multiples_of_gupta_and_lehmann() {
    // The margin-multiple table of Gupta & Lehmann ("Customers as assets", 2003; also their
    // book "Managing Customers as Investments", 2005): CLV = m × r / (1 + i − r), tabulated
    // for retention r of 60–90% and discount i of 10–16%, to two decimals. Our LTV counts the
    // current period's margin too, so LTV / m − 1 is their multiple.
    let discount = [0.10, 0.12, 0.14, 0.16];
    let table = [
        (0.6, [1.20, 1.15, 1.11, 1.07]),
        (0.7, [1.75, 1.67, 1.59, 1.52]),
        (0.8, [2.67, 2.50, 2.35, 2.22]),
        (0.9, [4.50, 4.09, 3.75, 3.46]),
    ];
    for (r, row) in table {
        for (i, want) in discount.iter().zip(row) {
            let p = LtvParams::new(1.0).unwrap().with_discount_rate(*i).unwrap();
            let multiple = ltv(&p, 1.0, 1.0 - r).unwrap() - 1.0;
            assert!(
                (multiple - want).abs() < 0.005 + 1e-12,
                "r {r}, i {i}: {multiple} vs {want}"
            );
        }
    }
}

#[test]
fn discounted_ltv_per_channel_by_hand() {
    // ads as above with a 10% discount: 0.5 × 20 × 1.1 / (0.1 + 1/3) = 11 / (13/30) = 330 / 13.
    let params = LtvParams::new(0.5)
        .unwrap()
        .with_discount_rate(0.1)
        .unwrap();
    let spend = [("ads", month(1), 120.0)];
    let r = channel_economics(&ledger(), &channels(), spend, &params).unwrap();
    assert_close(r.rows[0].ltv.unwrap(), 330.0 / 13.0);
    assert_close(r.rows[0].ltv_cac.unwrap(), 330.0 / 13.0 / 60.0);
}

#[test]
fn cohort_ltv_table_by_hand() {
    let r = cohort_ltv(&ledger(), Some(&channels())).unwrap();
    // January cohort (users 1, 2; both paid at some point): revenue by month since
    //   acquisition 30, 20, 50 → cumulative per user [15, 25, 50].
    // February cohort (users 3, 4; only 3 paid): 20, 0 → [10, 10].
    // March cohort (user 5): 60 → [60].
    let cohorts: Vec<(String, u64, u64)> = r
        .cohorts
        .iter()
        .map(|c| (c.cohort.unwrap().to_string(), c.users, c.paying_users))
        .collect();
    assert_eq!(
        cohorts,
        [
            ("2025-01".into(), 2, 2),
            ("2025-02".into(), 2, 1),
            ("2025-03".into(), 1, 1)
        ]
    );
    assert_curve(&r.cohorts[0].ltv, &[15.0, 25.0, 50.0]);
    assert_curve(&r.cohorts[1].ltv, &[10.0, 10.0]);
    assert_curve(&r.cohorts[2].ltv, &[60.0]);
    // Channels: ads = January cohort [15, 25, 50]. organic = users 3 (Feb) and 5 (Mar):
    //   month 0 (20 + 60) / 2 = 40, month 1 only the Feb cohort is old enough: 0 / 1 → [40, 40].
    //   referral = user 4: [0, 0].
    let ch: Vec<&str> = r
        .channels
        .iter()
        .map(|c| c.channel.as_deref().unwrap())
        .collect();
    assert_eq!(ch, ["ads", "organic", "referral"]);
    assert_curve(&r.channels[0].ltv, &[15.0, 25.0, 50.0]);
    assert_curve(&r.channels[1].ltv, &[40.0, 40.0]);
    assert_curve(&r.channels[2].ltv, &[0.0, 0.0]);
    // Total: [22, 27, 52] (see the channel test).
    assert_curve(&r.total.ltv, &[22.0, 27.0, 52.0]);
    assert_eq!((r.total.users, r.total.paying_users), (5, 4));
    // Cells: (Jan, ads), (Feb, organic), (Feb, referral), (Mar, organic).
    assert_eq!(r.cells.len(), 4);
    assert_curve(&r.cells[1].ltv, &[20.0, 20.0]);
    let text = r.to_string();
    assert!(text.contains("M2") && text.contains("organic"), "{text}");
}

#[test]
fn sign_up_moves_the_acquisition_period() {
    // User 5 signed up in January though first seen on March 30: acquisition January, its 60
    // falls in month 2. January cohort is then users 1, 2, 5: (30, 20, 50 + 60) →
    // cumulative [30, 50, 160] / 3 = [10, 16.67, 53.33]; March has no cohort any more.
    let cal = Calendar::new(Utc, Interval::Month);
    let mut l = ledger();
    let signups: HashMap<u32, DateTime<Utc>> = [(5, at(1, 2))].into();
    assert_eq!(l.use_sign_up(&signups, &cal).unwrap(), 1);
    let r = cohort_ltv(&l, None).unwrap();
    assert_eq!(r.cohorts.len(), 2);
    assert_eq!(r.cohorts[0].users, 3);
    assert_curve(&r.cohorts[0].ltv, &[10.0, 50.0 / 3.0, 160.0 / 3.0]);
    // And the new users per month follow: Jan 3, Feb 2, Mar 0.
    let e = period_economics(&l).unwrap();
    let new: Vec<u64> = e.rows.iter().map(|r| r.new_users).collect();
    assert_eq!(new, [3, 2, 0]);
}

#[test]
fn weekly_periods_count_churn_by_week() {
    // Weeks starting Monday. 2025-03-03 and 2025-03-10 are Mondays.
    // User 1 active weeks 1 and 2, user 2 week 1 only → week 2 churn 1 / 2.
    let d = |day| Utc.with_ymd_and_hms(2025, 3, day, 9, 0, 0).unwrap();
    let events = vec![
        EventRecord::<u8>::new(1_u8, d(3)).with_amount(4.0),
        EventRecord::new(2_u8, d(9)),
        EventRecord::new(1_u8, d(10)),
    ];
    let cal = Calendar::new(Utc, Interval::Week(Weekday::Mon));
    let l = fold(CohortSummary::new(cal, d(16)), &events)
        .unwrap()
        .finish()
        .unwrap();
    let r = period_economics(&l).unwrap();
    assert_eq!(r.rows.len(), 2);
    assert_eq!(r.rows[0].period.to_string(), "2025-03-03");
    assert_eq!(r.rows[1].churn_rate, Some(0.5));
    assert_eq!(r.rows[0].arpu, Some(2.0)); // 4 / 2 active
}

#[test]
fn payback_counts_the_acquisition_period() {
    // CAC 100 paid back by a margin of 25 a month: 25, 50, 75, 100 → 4 months, as CAC / (m × ARPU).
    let curve = [50.0, 100.0, 150.0, 200.0, 250.0];
    assert_eq!(payback_period(100.0, 0.5, &curve).unwrap(), Some(4));
    assert_eq!(payback_period(0.0, 0.5, &curve).unwrap(), Some(0));
    assert_eq!(payback_period(126.0, 0.5, &curve).unwrap(), None);
}

#[test]
fn one_user_one_period_has_no_nan() {
    let events = vec![EventRecord::<u8>::new(1_u8, at(1, 1))];
    let l = fold(
        CohortSummary::new(Calendar::new(Utc, Interval::Month), at(1, 2)),
        &events,
    )
    .unwrap()
    .finish()
    .unwrap();
    let e = period_economics(&l).unwrap();
    assert_eq!((e.arpu, e.arppu, e.churn_rate), (Some(0.0), None, None));
    let ch: HashMap<u8, String> = [(1, "ads".to_string())].into();
    let spend = [("ads", month(1), 5.0)];
    let r = channel_economics(&l, &ch, spend, &LtvParams::new(0.5).unwrap()).unwrap();
    assert_eq!((r.rows[0].ltv, r.rows[0].ltv_cac), (None, None));
    assert_eq!(r.rows[0].cac, 5.0);
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
}

#[test]
fn sample_data_end_to_end() {
    use userops::sample::{SampleConfig, generate};
    let data = generate(&SampleConfig::new(2_000).months(12).seed(5)).unwrap();
    let as_of = data.end - chrono::TimeDelta::milliseconds(1);
    let cal = Calendar::new(userops::time::Zone::Utc, Interval::Month);
    let mut l = fold(CohortSummary::new(cal.clone(), as_of), &data.events)
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(l.use_sign_up(&data, &cal).unwrap(), 2_000);
    // Every user is acquired in their sign-up month: the per-channel counts equal the users.
    let ch = data.channel();
    let r = channel_economics(&l, &ch, &data.spend, &LtvParams::new(0.7).unwrap()).unwrap();
    let n: u64 = r.rows.iter().map(|r| r.new_users).sum();
    assert_eq!(n, 2_000);
    // Spend matches the generator's total spend.
    let total: f64 = data.spend.iter().map(|s| s.spend).sum();
    assert!((r.total.spend - total).abs() < 1e-6);
    // Revenue matches the plain sum of amounts.
    let revenue: f64 = data.events.iter().map(|e| e.amount).sum();
    let e = period_economics(&l).unwrap();
    assert!((e.revenue - revenue).abs() < 1e-6 * revenue);
    for row in r.rows.iter().chain([&r.total]) {
        for v in [row.arpu, row.churn_rate, row.ltv, row.ltv_cac]
            .into_iter()
            .flatten()
        {
            assert!(v.is_finite());
        }
    }
}

// ---------------------------------------------------------------------------------------
// Properties

fn arb_events(refunds: bool) -> impl Strategy<Value = Vec<EventRecord<u8>>> {
    let amount = if refunds {
        prop_oneof![Just(0.0), -20.0..50.0_f64].boxed()
    } else {
        prop_oneof![Just(0.0), 0.0..50.0_f64].boxed()
    };
    prop::collection::vec((0_u8..8, 0_i64..(180 * 86_400), amount), 0..60).prop_map(|v| {
        v.into_iter()
            .map(|(u, secs, a)| {
                EventRecord::new(u, Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap())
                    .with_amount(a)
                    .tap_at(secs)
            })
            .collect()
    })
}

trait TapAt {
    fn tap_at(self, secs: i64) -> Self;
}
impl TapAt for EventRecord<u8> {
    fn tap_at(mut self, secs: i64) -> Self {
        self.at += chrono::TimeDelta::seconds(secs);
        self
    }
}

fn prop_as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 30, 23, 59, 59).unwrap()
}

fn empty() -> CohortSummary<u8, Utc> {
    CohortSummary::new(Calendar::new(Utc, Interval::Month), prop_as_of())
}

fn same_ledger(a: &CohortLedger<u8>, b: &CohortLedger<u8>) -> bool {
    a.interval == b.interval
        && a.as_of == b.as_of
        && a.users.len() == b.users.len()
        && a.users.iter().zip(&b.users).all(|(x, y)| {
            x.user == y.user
                && x.first_seen == y.first_seen
                && x.acquired == y.acquired
                && x.periods.len() == y.periods.len()
                && x.periods.iter().zip(&y.periods).all(|(p, q)| {
                    p.period == q.period
                        && p.paid == q.paid
                        && laws::close(p.revenue, q.revenue, 1e-9)
                })
        })
}

fn to_json_value<T: Serialize>(t: &T) -> serde_json::Value {
    serde_json::to_value(t).unwrap()
}

/// JSON numbers may lose the last bit through serde_json's default float parser: compare
/// within 1e-15 relative.
fn same_json(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value::*;
    match (a, b) {
        (Number(x), Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => laws::close(x, y, 1e-15),
            _ => x == y,
        },
        (Array(x), Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(p, q)),
        (Object(x), Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

fn round_trip<T: Serialize + DeserializeOwned>(t: &T) {
    let text = serde_json::to_string(t).unwrap();
    let back: T = serde_json::from_str(&text).unwrap();
    assert!(
        same_json(&to_json_value(t), &to_json_value(&back)),
        "round trip changed {text}"
    );
}

proptest! {
    #[test]
    fn cohort_summary_merge_law(events in arb_events(true), cuts in prop::collection::vec(0_usize..60, 0..4)) {
        laws::merge_law(empty, &events, &cuts, same_ledger).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn cohort_summary_merge_law_on_input_ordered_by_user(events in arb_events(true), cuts in prop::collection::vec(0_usize..60, 0..4)) {
        // The no-hash-map path: parts of an export ordered by user, merged in order and not.
        let mut sorted = events;
        sorted.sort_by_key(|e| (e.user, e.at));
        laws::merge_law(empty, &sorted, &cuts, same_ledger).map_err(TestCaseError::fail)?;
        let whole = fold(empty(), &sorted).unwrap().finish().unwrap();
        let cut = cuts.first().copied().unwrap_or(0).min(sorted.len());
        let mut backwards = fold(empty(), &sorted[cut..]).unwrap();
        backwards.merge(fold(empty(), &sorted[..cut]).unwrap()).unwrap();
        prop_assert!(same_ledger(&whole, &backwards.finish().unwrap()));
        // Folding more events after a merge keeps working (in order or not).
        let mut again = fold(empty(), &sorted[..cut]).unwrap();
        again.merge(empty()).unwrap();
        for e in &sorted[cut..] {
            userops::fold::Fold::observe(&mut again, e).unwrap();
        }
        prop_assert!(same_ledger(&whole, &again.finish().unwrap()));
    }

    #[test]
    fn cohort_summary_order_law(events in arb_events(true), seed in any::<u64>()) {
        let mut perm: Vec<usize> = (0..events.len()).collect();
        let mut rng = userops::sample::Rng::new(seed);
        for i in (1..perm.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            perm.swap(i, j);
        }
        laws::order_law(empty, &events, &perm, same_ledger).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn grouped_and_shuffled_input_agree(events in arb_events(true)) {
        // The grouped-by-user fast path gives the same ledger as arbitrary order.
        let mut grouped = events.clone();
        grouped.sort_by_key(|e| (e.user, e.at));
        let a = fold(empty(), &events).unwrap().finish().unwrap();
        let b = fold(empty(), &grouped).unwrap().finish().unwrap();
        prop_assert!(same_ledger(&a, &b));
    }

    #[test]
    fn cohort_ltv_never_decreases_without_refunds(events in arb_events(false), split in any::<bool>()) {
        prop_assume!(!events.is_empty());
        let ledger = fold(empty(), &events).unwrap().finish().unwrap();
        let channel = |u: &u8| Some(if split && u % 2 == 0 { "even" } else { "odd" }.to_string());
        let r = cohort_ltv(&ledger, Some(&channel)).unwrap();
        for row in r.cohorts.iter().chain(&r.channels).chain(&r.cells).chain([&r.total]) {
            for w in row.ltv.windows(2) {
                prop_assert!(w[1] >= w[0], "{:?}", row);
            }
            prop_assert!(row.ltv.iter().all(|v| v.is_finite() && *v >= 0.0));
        }
    }

    #[test]
    fn reports_round_trip_through_json(events in arb_events(true), margin in 0.0..=1.0_f64, d in 0.0..=1.0_f64) {
        prop_assume!(!events.is_empty());
        let ledger = fold(empty(), &events).unwrap().finish().unwrap();
        round_trip(&ledger);
        let channel = |u: &u8| (u % 3 != 0).then(|| format!("c{}", u % 3));
        round_trip(&cohort_ltv(&ledger, Some(&channel)).unwrap());
        round_trip(&period_economics(&ledger).unwrap());
        let params = LtvParams::new(margin).unwrap().with_discount_rate(d).unwrap();
        round_trip(&params);
        let spend: Vec<(String, NaiveDate, f64)> = ledger
            .users
            .iter()
            .filter_map(|r| channel(&r.user).map(|c| (c, month(1), 10.0)))
            .collect();
        round_trip(&channel_economics(&ledger, &channel, &spend, &params).unwrap());
    }

    #[test]
    fn ltv_falls_as_churn_or_discount_rises(arpu in 0.0..1e4_f64, c1 in 0.001..=1.0_f64, c2 in 0.001..=1.0_f64, d1 in 0.0..=1.0_f64, d2 in 0.0..=1.0_f64) {
        let (lo, hi) = if c1 <= c2 { (c1, c2) } else { (c2, c1) };
        let p = LtvParams::new(0.6).unwrap();
        prop_assert!(ltv(&p, arpu, lo).unwrap() >= ltv(&p, arpu, hi).unwrap());
        let (dlo, dhi) = if d1 <= d2 { (d1, d2) } else { (d2, d1) };
        let a = ltv(&p.with_discount_rate(dlo).unwrap(), arpu, c1).unwrap();
        let b = ltv(&p.with_discount_rate(dhi).unwrap(), arpu, c1).unwrap();
        prop_assert!(a >= b * (1.0 - 1e-12));
        prop_assert!(a.is_finite() && b.is_finite());
    }
}

proptest! {
    #[test]
    fn ledger_periods_match_direct_bucketing_across_dst(
        raw in prop::collection::vec((0_u8..5, 0_i64..(40 * 86_400), 0.0..10.0_f64), 1..80),
    ) {
        // Days in Los Angeles around the spring-forward change of 2025-03-09.
        use std::collections::BTreeMap;
        use userops::time::Zone;
        let zone = Zone::parse("America/Los_Angeles").unwrap();
        let cal = Calendar::new(zone, Interval::Day);
        let t0 = Utc.with_ymd_and_hms(2025, 2, 20, 0, 0, 0).unwrap();
        let events: Vec<EventRecord<u8>> = raw
            .iter()
            .map(|(u, s, a)| EventRecord::new(*u, t0 + chrono::TimeDelta::seconds(*s)).with_amount(*a))
            .collect();
        let as_of = t0 + chrono::TimeDelta::days(40);
        let ledger = fold(CohortSummary::new(cal.clone(), as_of), &events).unwrap().finish().unwrap();
        let mut want: BTreeMap<(u8, userops::time::Period), f64> = BTreeMap::new();
        for e in &events {
            *want.entry((e.user, cal.period_of(e.at))).or_default() += e.amount;
        }
        let got: Vec<(u8, userops::time::Period)> = ledger
            .users
            .iter()
            .flat_map(|r| r.periods.iter().map(move |c| (r.user, c.period)))
            .collect();
        prop_assert_eq!(got, want.keys().copied().collect::<Vec<_>>());
    }
}

#[cfg(feature = "parallel")]
#[test]
fn parallel_fold_equals_sequential_fold() {
    use userops::sample::{SampleConfig, generate};
    let data = generate(&SampleConfig::new(3_000).seed(11)).unwrap();
    let as_of = data.end - chrono::TimeDelta::milliseconds(1);
    let empty = CohortSummary::new(Calendar::new(Utc, Interval::Month), as_of);
    let seq = fold(empty.clone(), &data.events).unwrap().finish().unwrap();
    let par = userops::fold::fold_par(&empty, &data.events)
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(seq.len(), 3_000);
    assert!(
        seq.users.len() == par.users.len()
            && seq
                .users
                .iter()
                .zip(&par.users)
                .all(|(a, b)| a.user == b.user
                    && a.first_seen == b.first_seen
                    && a.periods.len() == b.periods.len()
                    && a.periods
                        .iter()
                        .zip(&b.periods)
                        .all(|(p, q)| p.period == q.period
                            && p.paid == q.paid
                            && laws::close(p.revenue, q.revenue, 1e-9)))
    );
}

/// Regression (found by `fuzz/fuzz_targets/ltv_economics.rs`, input `00 08 80 0a 04`): the
/// bytes decode to churn figures (0 at start, 8 lost: rejected), margin 128/251, discount rate
/// 10/251, ARPU `f64::MAX` and churn 0. By hand, LTV = 0.50996 × 1.797e308 × 1.0398 / 0.0398
/// ≈ 2.4e309, beyond `f64::MAX`: the result was infinity. It is now `Error::NonFinite` naming
/// `ltv`, and an ARPU a hundred orders of magnitude smaller still answers, by hand
/// m · ARPU · (1 + d) / (d + churn).
#[test]
fn ltv_overflow_is_an_error_not_infinity() {
    use userops::ltv::economics::{LtvParams, churn_rate, ltv};
    assert!(churn_rate(0, 8).is_err());
    let (margin, d) = (128.0 / 251.0, 10.0 / 251.0);
    let p = LtvParams::new(margin)
        .unwrap()
        .with_discount_rate(d)
        .unwrap();
    assert!(matches!(
        ltv(&p, f64::MAX, 0.0),
        Err(userops::Error::NonFinite { field: "ltv", .. })
    ));
    let v = ltv(&p, 1e200, 0.0).unwrap();
    let hand = margin * 1e200 * (1.0 + d) / d;
    assert!((v - hand).abs() <= 1e-12 * hand, "{v} vs {hand}");
}

/// Regression (found while widening the `ltv_economics` fuzz target to amounts near
/// `f64::MAX`): each amount is finite, but their sums are not. Two purchases of 1.8e308 by one
/// user in one month made the ledger cell +infinity, two refunds of 1.8e308 by another −infinity,
/// and the month's revenue NaN (∞ − ∞), which `period_economics` and `cohort_ltv` reported as
/// ARPU NaN. Every such sum is now `Error::NonFinite` naming `revenue` (or `spend`), never a
/// NaN or an infinity in a report.
#[test]
fn revenue_sums_that_overflow_are_errors_not_nan() {
    use userops::Error;
    use userops::ltv::economics::{LtvParams, channel_economics, period_economics};
    let cal = || Calendar::new(Utc, Interval::Month);
    let jan = Utc.with_ymd_and_hms(2025, 1, 5, 0, 0, 0).unwrap();
    let feb = Utc.with_ymd_and_hms(2025, 2, 5, 0, 0, 0).unwrap();
    let revenue_error = |r: userops::Result<_>| {
        matches!(
            r,
            Err(Error::NonFinite {
                field: "revenue",
                ..
            })
        )
    };
    let ledger_of = |log: &[EventRecord<u8>]| {
        fold(CohortSummary::new(cal(), feb), log)
            .unwrap()
            .finish()
            .unwrap()
    };
    let max = f64::MAX;
    // One user's cell overflows (+inf), another's (−inf): the month would be NaN.
    let ledger = ledger_of(&[
        EventRecord::new(1, jan).with_amount(max),
        EventRecord::new(1, jan).with_amount(max),
        EventRecord::new(2, jan).with_amount(-max),
        EventRecord::new(2, jan).with_amount(-max),
    ]);
    assert!(revenue_error(period_economics(&ledger).map(|_| ())));
    assert!(revenue_error(cohort_ltv(&ledger, None).map(|_| ())));
    // Every cell finite, the month's sum over two users not.
    let ledger = ledger_of(&[
        EventRecord::new(1, jan).with_amount(max),
        EventRecord::new(2, jan).with_amount(max),
    ]);
    assert!(revenue_error(period_economics(&ledger).map(|_| ())));
    // Every month finite, the total revenue and the cumulative revenue per user (max in
    // January + max in February) not.
    let ledger = ledger_of(&[
        EventRecord::new(1, jan).with_amount(max),
        EventRecord::new(1, feb).with_amount(max),
    ]);
    assert!(revenue_error(period_economics(&ledger).map(|_| ())));
    assert!(revenue_error(cohort_ltv(&ledger, None).map(|_| ())));
    // Two spend rows of max on one channel: the spend sum overflows.
    let ledger = ledger_of(&[EventRecord::new(1, jan).with_amount(1.0)]);
    let channel = |_: &u8| Some("ads".to_string());
    let day = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let spend = [("ads", day, max), ("ads", day, max)];
    let p = LtvParams::new(1.0).unwrap();
    assert!(matches!(
        channel_economics(&ledger, &channel, spend, &p),
        Err(Error::NonFinite { field: "spend", .. })
    ));
    // A hand-built (or deserialized) ledger with a NaN cell is refused, not reported as NaN.
    let mut ledger = ledger_of(&[EventRecord::new(1, jan).with_amount(1.0)]);
    ledger.users[0].periods[0].revenue = f64::NAN;
    assert!(revenue_error(period_economics(&ledger).map(|_| ())));
    assert!(revenue_error(cohort_ltv(&ledger, None).map(|_| ())));
}

/// Folds each part of `events` (cut at `cuts`) alone, sends it through JSON text and back,
/// and merges the parts read back, left to right.
fn cohort_parts_through_json(events: &[EventRecord<u8>], cuts: &[usize]) -> CohortSummary<u8, Utc> {
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(events.len())).collect();
    cuts.extend([0, events.len()]);
    cuts.sort_unstable();
    let mut merged = empty();
    for w in cuts.windows(2) {
        let part = fold(empty(), &events[w[0]..w[1]]).unwrap();
        let text = serde_json::to_string(&part).unwrap();
        merged.merge(serde_json::from_str(&text).unwrap()).unwrap();
    }
    merged
}

proptest! {
    /// The ledger's partial state through JSON: parts folded apart, serialized, read back and
    /// merged give the ledger of the whole log; the whole state reads back to a state that
    /// writes the same text and finishes the same.
    #[test]
    fn cohort_summary_state_round_trips_and_parts_merge_through_json(
        events in arb_events(true),
        cuts in prop::collection::vec(0_usize..60, 0..4),
        grouped in any::<bool>(),
    ) {
        let mut events = events;
        if grouped {
            events.sort_by_key(|e| e.user);
        }
        let whole = fold(empty(), &events).unwrap();
        let text = serde_json::to_string(&whole).unwrap();
        let back: CohortSummary<u8, Utc> = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(serde_json::to_string(&back).unwrap(), text);
        let whole = whole.finish().unwrap();
        prop_assert_eq!(&back.finish().unwrap(), &whole);
        let merged = cohort_parts_through_json(&events, &cuts).finish().unwrap();
        prop_assert!(same_ledger(&merged, &whole), "{merged:?}\n{whole:?}");
    }
}

/// A serialized ledger state that no fold could make is refused when read.
#[test]
fn cohort_summary_state_that_no_fold_makes_is_refused() {
    let cell = |month: &str, revenue: f64| {
        format!(
            r#"{{"period":{{"start":"{month}-01","interval":"month"}},"revenue":{revenue},"paid":true}}"#
        )
    };
    let text = |first_seen: &str, cells: &[String]| {
        format!(
            r#"{{"calendar":{{"zone":"UTC","interval":"month"}},"as_of":"2025-06-30T23:59:59Z",
            "users":{{"users":[3],"states":[{{"first_seen":"{first_seen}","periods":[{}]}}]}}}}"#,
            cells.join(",")
        )
    };
    let read = |t: String| serde_json::from_str::<CohortSummary<u8, Utc>>(&t);
    let good = read(text(
        "2025-02-03T00:00:00Z",
        &[cell("2025-02", 4.0), cell("2025-04", 1.0)],
    ))
    .unwrap()
    .finish()
    .unwrap();
    assert_eq!((good.users[0].user, good.users[0].periods.len()), (3, 2));
    let bad_start =
        r#"{"period":{"start":"2025-04-02","interval":"month"},"revenue":1.0,"paid":true}"#;
    for (what, t) in [
        (
            "periods out of order",
            text(
                "2025-02-03T00:00:00Z",
                &[cell("2025-04", 1.0), cell("2025-02", 4.0)],
            ),
        ),
        (
            "first period not the first-seen one",
            text("2025-01-03T00:00:00Z", &[cell("2025-02", 4.0)]),
        ),
        (
            "a period after the as-of one",
            text(
                "2025-02-03T00:00:00Z",
                &[cell("2025-02", 4.0), cell("2025-07", 1.0)],
            ),
        ),
        (
            "first seen after the as-of instant",
            text("2025-07-03T00:00:00Z", &[cell("2025-07", 4.0)]),
        ),
        ("no period", text("2025-02-03T00:00:00Z", &[])),
        (
            "a month that does not start on the 1st",
            text(
                "2025-02-03T00:00:00Z",
                &[cell("2025-02", 4.0), bad_start.to_string()],
            ),
        ),
    ] {
        assert!(read(t).is_err(), "{what}");
    }
}

/// Issue 19: channel LTV/CAC needed a hand-built per-user channel map although the channel is
/// on every order. `channel_economics_from_events` reads it off the orders (each customer's
/// first order's channel) and must give what the hand-built map gives, and the figures below,
/// worked out by hand from the module's definitions.
#[test]
fn channel_economics_straight_from_orders() {
    use chrono::DateTime;
    use userops::event::Event;
    use userops::ltv::economics::channel_economics_from_events;

    struct Order {
        customer: u32,
        placed: DateTime<Utc>,
        total: f64,
        channel: &'static str,
    }
    impl Event for Order {
        type User = u32;
        fn user(&self) -> &u32 {
            &self.customer
        }
        fn at(&self) -> DateTime<Utc> {
            self.placed
        }
        fn amount(&self) -> f64 {
            self.total
        }
    }
    let at = |m, d| Utc.with_ymd_and_hms(2025, m, d, 12, 0, 0).unwrap();
    let order = |customer, placed, total, channel| Order {
        customer,
        placed,
        total,
        channel,
    };
    // Customer 1 came through ads and later orders from an email (still an ads customer).
    let orders = [
        order(1, at(1, 5), 40.0, "ads"),
        order(1, at(2, 5), 20.0, "email"),
        order(1, at(3, 5), 10.0, "email"),
        order(2, at(1, 10), 30.0, "ads"),
        order(3, at(2, 3), 50.0, "organic"),
        order(3, at(3, 3), 50.0, "organic"),
    ];
    let spend = [("ads", NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), 60.0)];
    let month = Calendar::new(Utc, Interval::Month);
    let params = LtvParams::new(1.0).unwrap();
    let report = channel_economics_from_events(
        month.clone(),
        at(3, 20),
        &orders,
        |o| Some(o.channel),
        spend,
        &params,
    )
    .unwrap();

    let names: Vec<&str> = report.rows.iter().map(|r| r.channel.as_str()).collect();
    assert_eq!(names, ["ads", "organic"]);
    let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-9);
    // ads: customers 1 and 2, spend 60 -> CAC 30. Active: Jan 2 (revenue 70), Feb 1 (20),
    // Mar 1 (10): ARPU 100 / 4 = 25. At risk 2 (Jan) + 1 (Feb), lost 1 (customer 2 in Feb):
    // churn 1/3. LTV = 25 / (1/3) = 75; LTV/CAC = 2.5. The Jan cohort's first month brings
    // 70 / 2 = 35 per customer >= 30: paid back in 1 period.
    let ads = &report.rows[0];
    assert_eq!((ads.new_users, ads.spend, ads.cac), (2, 60.0, 30.0));
    assert!(close(ads.arpu, 25.0) && close(ads.churn_rate, 1.0 / 3.0));
    assert!(close(ads.ltv, 75.0) && close(ads.ltv_cac, 2.5));
    assert_eq!(ads.payback_periods, Some(1));
    // organic: customer 3, no spend -> CAC 0, no LTV/CAC. Active Feb and Mar (50 each): ARPU
    // 50; never lost: churn 0, so no LTV without a discount rate.
    let organic = &report.rows[1];
    assert_eq!(
        (organic.new_users, organic.spend, organic.cac),
        (1, 0.0, 0.0)
    );
    assert!(close(organic.arpu, 50.0) && close(organic.churn_rate, 0.0));
    assert_eq!((organic.ltv, organic.ltv_cac), (None, None));
    // All: 3 customers, CAC 60 / 3 = 20. Active Jan 2 (70), Feb 2 (70), Mar 2 (60): ARPU
    // 200 / 6; at risk 2 + 2, lost 1: churn 1/4; LTV = (200/6) / (1/4) = 133.33; / 20 = 6.67.
    let all = &report.total;
    assert_eq!((all.new_users, all.cac), (3, 20.0));
    assert!(close(all.arpu, 200.0 / 6.0) && close(all.churn_rate, 0.25));
    assert!(close(all.ltv, 800.0 / 6.0) && close(all.ltv_cac, 800.0 / 120.0));

    // The hand-built map of the old road gives the same report.
    let map: HashMap<u32, String> = [(1, "ads"), (2, "ads"), (3, "organic")]
        .into_iter()
        .map(|(u, c)| (u, c.to_string()))
        .collect();
    let ledger = fold(CohortSummary::new(month, at(3, 20)), &orders)
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(
        channel_economics(&ledger, &map, spend, &params).unwrap(),
        report
    );
}
