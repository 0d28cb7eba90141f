//! Lifecycle, forecast/plan and the ops statistics on arbitrary numbers: never panics, and
//! every promised number (p-value, statistic, forecast figures) is finite and in range.
#![no_main]

use chrono::{TimeDelta, TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use userops::event::EventRecord;
use userops::fold::{Summary, fold};
use userops::lifecycle::{
    ForecastStart, Lever, LifecycleSummary, Rates, StageParams, forecast, plan,
};
use userops::ops::experiment::{
    PowerSpec, Proportion, ProportionOptions, chi_square, sample_size_two_proportions,
    two_proportions, welch_t_test,
};
use userops::ops::nps::Nps;
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
    fn unit(&mut self) -> f64 {
        match self.u8() {
            255 => f64::NAN,
            254 => 1.5,
            b => f64::from(b) / 253.0,
        }
    }
    fn f64(&mut self) -> f64 {
        let raw = f64::from_bits(u64::from(self.u16()) << 48 | u64::from(self.u16()) << 16);
        raw
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    // Lifecycle stages on random events.
    let base = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let n = usize::from(b.u8()) % 64;
    let events: Vec<EventRecord<u8>> = (0..n)
        .map(|_| {
            EventRecord::<u8>::new(
                b.u8() % 16,
                base + TimeDelta::days(i64::from(b.u8()) * 2 - 60),
            )
        })
        .collect();
    let interval = match b.u8() % 3 {
        0 => Interval::Day,
        1 => Interval::Week(chrono::Weekday::Sun),
        _ => Interval::Month,
    };
    let zone = if b.u8() % 2 == 0 {
        Zone::Utc
    } else {
        Zone::parse("America/Los_Angeles").unwrap()
    };
    let to = base + TimeDelta::days(i64::from(b.u8()));
    if let Ok(summary) = LifecycleSummary::new(Calendar::new(zone, interval), base, to) {
        if let Ok(s) = fold(summary, &events) {
            let churn_after = u32::from(b.u8() % 5);
            if let Ok(params) = StageParams::new(churn_after) {
                let report = s.finish().unwrap().stages(&params, None);
                for row in &report.rows {
                    assert!(row.active_rate.is_finite() && (0.0..=1.0).contains(&row.active_rate));
                }
                if let (Ok(start), Ok(rates)) = (
                    ForecastStart::from_report(&report),
                    Rates::trailing(&report, 3),
                ) {
                    let new = [f64::from(b.u8()); 3];
                    if let Ok(f) = forecast(&start, &rates, &new) {
                        for r in &f.rows {
                            assert!(r.active_rate.is_finite());
                        }
                    }
                    let _ = plan(
                        &start,
                        &rates,
                        &new,
                        Lever::ALL[usize::from(b.u8() % 4)],
                        b.unit(),
                    );
                }
            }
        }
    }
    // Forecast from arbitrary rates.
    if let Ok(rates) = Rates::new(b.unit(), b.unit(), b.unit(), b.unit(), b.unit()) {
        let _ = rates;
    }
    // Experiments.
    let (xc, nc, xt, nt) = (
        u64::from(b.u16()),
        u64::from(b.u16()),
        u64::from(b.u16()),
        u64::from(b.u16()),
    );
    let opts = ProportionOptions::default();
    if let Ok(r) = two_proportions(Proportion::new(xc, nc), Proportion::new(xt, nt), &opts) {
        assert!((0.0..=1.0).contains(&r.p_value), "p {}", r.p_value);
        assert!(r.statistic.is_finite());
    }
    let c: Vec<f64> = (0..usize::from(b.u8() % 8)).map(|_| b.f64()).collect();
    let t: Vec<f64> = (0..usize::from(b.u8() % 8)).map(|_| b.f64()).collect();
    if let Ok(r) = welch_t_test(&c, &t, 0.95) {
        assert!((0.0..=1.0).contains(&r.p_value), "p {}", r.p_value);
    }
    let rows = usize::from(b.u8() % 4);
    let cols = usize::from(b.u8() % 4);
    let table: Vec<Vec<f64>> = (0..rows)
        .map(|_| (0..cols).map(|_| f64::from(b.u16() % 500)).collect())
        .collect();
    if let Ok(r) = chi_square(&table, b.u8() % 2 == 0) {
        assert!((0.0..=1.0).contains(&r.p_value));
    }
    let _ = sample_size_two_proportions(b.unit(), b.unit(), &PowerSpec::default());
    let scores: Vec<i64> = (0..usize::from(b.u8() % 20))
        .map(|_| i64::from(b.u8() % 12))
        .collect();
    if let Ok(r) = Nps::from_scores(scores, 0.95) {
        assert!(r.score.is_finite());
    }
});
