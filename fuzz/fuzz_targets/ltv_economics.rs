//! Unit economics and realized cohort LTV on arbitrary events, sign-ups, spend and parameters:
//! never panics; a ledger folded in two parts and merged equals the fold of the whole; every
//! figure the reports promise (revenue, ARPU, ARPPU, churn, CAC, LTV, LTV/CAC, cohort LTV
//! curves) is a number, not NaN or infinite, and rates are in [0, 1].
#![no_main]

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc, Weekday};
use libfuzzer_sys::fuzz_target;
use userops::event::EventRecord;
use userops::fold::{Summary, fold};
use userops::ltv::cohort::{CohortLtvReport, CohortSummary, cohort_ltv};
use userops::ltv::economics::{
    LtvParams, PeriodEconomicsReport, channel_economics, churn_rate, ltv, payback_period,
    period_economics, period_economics_by_channel,
};
use userops::time::{Calendar, Interval, Zone};

struct Bytes<'a>(&'a [u8]);
impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        let (b, rest) = self.0.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
        self.0 = rest;
        b
    }
    fn u16(&mut self) -> u16 {
        u16::from(self.u8()) << 8 | u16::from(self.u8())
    }
    /// Money over many orders of magnitude, refunds, and some non-numbers.
    fn money(&mut self) -> f64 {
        match self.u8() {
            0 => 0.0,
            1 => f64::NAN,
            2 => f64::INFINITY,
            3 => -1.0,
            4 => f64::MAX,
            5 => -f64::MAX,
            6 => f64::MIN_POSITIVE,
            e => {
                let v =
                    10f64.powf((f64::from(e) - 128.0) / 8.0) * (1.0 + f64::from(self.u8()) / 256.0);
                if e % 7 == 0 { -v } else { v }
            }
        }
    }
    fn rate(&mut self) -> f64 {
        match self.u8() {
            255 => f64::NAN,
            254 => 1.5,
            253 => -0.1,
            252 => f64::INFINITY,
            b => f64::from(b) / 251.0,
        }
    }
    fn offset(&mut self) -> TimeDelta {
        match self.u8() % 16 {
            // Up to ±22 years: a daily ledger over centuries is legal but makes every run
            // slow (its reports hold one value per period), so the fuzzer stays within decades.
            0 => TimeDelta::days(i64::from(self.u16() as i16) / 4),
            1 => TimeDelta::seconds(i64::from(self.u16()) - 32_768),
            _ => TimeDelta::hours(i64::from(self.u16() as i16)),
        }
    }
}

fn finite(what: &str, v: f64) {
    assert!(v.is_finite(), "{what} = {v}");
}

fn check_period(r: &PeriodEconomicsReport) {
    finite("revenue", r.revenue);
    for v in [r.arpu, r.arppu].into_iter().flatten() {
        finite("pooled arpu/arppu", v);
    }
    if let Some(c) = r.churn_rate {
        assert!((0.0..=1.0).contains(&c), "pooled churn {c}");
    }
    for row in &r.rows {
        finite("row revenue", row.revenue);
        for v in [row.arpu, row.arppu].into_iter().flatten() {
            finite("row arpu/arppu", v);
        }
        if let Some(c) = row.churn_rate {
            assert!((0.0..=1.0).contains(&c), "row churn {c}");
        }
        assert!(row.paying_users <= row.active_users);
    }
}

fn check_cohorts(r: &CohortLtvReport, users: usize) {
    assert_eq!(r.total.users as usize, users);
    for row in r
        .cohorts
        .iter()
        .chain(&r.channels)
        .chain(&r.cells)
        .chain([&r.total])
    {
        assert!(row.paying_users <= row.users);
        for v in &row.ltv {
            finite("cohort ltv", *v);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    // Plain functions on arbitrary figures.
    let at_start = u64::from(b.u8());
    let lost = u64::from(b.u8());
    if let Ok(c) = churn_rate(at_start, lost) {
        assert!((0.0..=1.0).contains(&c));
    }
    let params = LtvParams::new(b.rate()).and_then(|p| p.with_discount_rate(b.rate()));
    if let Ok(p) = &params {
        let (arpu, churn) = (b.money(), b.rate());
        if let Ok(v) = ltv(p, arpu, churn) {
            assert!(
                v.is_finite() && v >= 0.0,
                "ltv({p:?}, {arpu}, {churn}) = {v}"
            );
        }
    }
    let curve: Vec<f64> = (0..usize::from(b.u8() % 6)).map(|_| b.money()).collect();
    let (cac, margin) = (b.money(), b.rate());
    if let Ok(Some(k)) = payback_period(cac, margin, &curve) {
        assert!(k <= curve.len());
    }

    // The ledger on arbitrary events.
    let base = Utc.with_ymd_and_hms(2024, 10, 27, 0, 30, 0).unwrap();
    let interval = match b.u8() % 3 {
        0 => Interval::Day,
        1 => Interval::Week(Weekday::Mon),
        _ => Interval::Month,
    };
    let zone = match b.u8() % 3 {
        0 => Zone::Utc,
        1 => Zone::parse("Europe/London").unwrap(),
        _ => Zone::parse("-03:30").unwrap(),
    };
    let calendar = Calendar::new(zone, interval);
    let as_of = base + b.offset();
    let n = usize::from(b.u8() % 48);
    let events: Vec<EventRecord<u8>> = (0..n)
        .map(|_| {
            let user = b.u8() % 10;
            let at = base + b.offset();
            let e = EventRecord::<u8>::new(user, at);
            if b.u8() % 2 == 0 {
                e.with_amount(b.money())
            } else {
                e
            }
        })
        .collect();
    let split = usize::from(b.u8()).min(events.len());
    let whole = fold(CohortSummary::new(calendar.clone(), as_of), &events);
    let left = fold(
        CohortSummary::new(calendar.clone(), as_of),
        &events[..split],
    );
    let right = fold(
        CohortSummary::new(calendar.clone(), as_of),
        &events[split..],
    );
    let (Ok(whole), Ok(mut left), Ok(right)) = (whole, left, right) else {
        return;
    };
    left.merge(right).expect("same calendar and as-of merge");
    let merged = left.finish().unwrap();
    let mut ledger = whole.finish().unwrap();
    // Revenue sums may differ in the last bits by the order of additions; compare the rest.
    assert_eq!(merged.users.len(), ledger.users.len());
    for (m, w) in merged.users.iter().zip(&ledger.users) {
        assert_eq!(
            (m.user, m.first_seen, m.acquired),
            (w.user, w.first_seen, w.acquired)
        );
        assert_eq!(m.periods.len(), w.periods.len());
    }

    // Sign-ups for some users.
    let signups: HashMap<u8, DateTime<Utc>> = (0..b.u8() % 6)
        .map(|_| (b.u8() % 10, base + b.offset()))
        .collect();
    let _ = ledger.use_sign_up(&signups, &calendar);

    let channel = |u: &u8| match u % 3 {
        0 => None,
        1 => Some("ads".to_string()),
        _ => Some("search".to_string()),
    };
    if let Ok(r) = period_economics(&ledger) {
        check_period(&r);
        let _ = r.to_string();
    }
    if let Ok(by) = period_economics_by_channel(&ledger, &channel) {
        by.values().for_each(check_period);
    }
    if let Ok(r) = cohort_ltv(&ledger, Some(&channel)) {
        check_cohorts(&r, ledger.users.len());
        let _ = r.to_string();
    }
    if let Ok(r) = cohort_ltv(&ledger, None) {
        check_cohorts(&r, ledger.users.len());
    }
    let day = NaiveDate::from_ymd_opt(2024, 10, 1).unwrap();
    let spend: Vec<(&str, NaiveDate, f64)> = (0..b.u8() % 5)
        .map(|_| {
            let name = ["ads", "search", "(unknown)", "tv"][usize::from(b.u8() % 4)];
            (
                name,
                day + TimeDelta::days(i64::from(b.u8() % 128) - 30),
                b.money(),
            )
        })
        .collect();
    if let Ok(p) = &params {
        if let Ok(r) = channel_economics(&ledger, &channel, &spend, p) {
            for row in r.rows.iter().chain([&r.total]) {
                finite("spend", row.spend);
                finite("cac", row.cac);
                for v in [row.arpu, row.ltv, row.ltv_cac].into_iter().flatten() {
                    finite("arpu/ltv/ltv_cac", v);
                }
                if let Some(c) = row.churn_rate {
                    assert!((0.0..=1.0).contains(&c));
                }
            }
            for c in &r.by_period {
                finite("period spend", c.spend);
                if let Some(v) = c.cac {
                    finite("period cac", v);
                }
            }
            let _ = r.to_string();
        }
    }
});
