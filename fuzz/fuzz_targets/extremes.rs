//! Issue 18's classes on arbitrary bytes: statistics on extreme magnitudes, CLV horizons and
//! discounts, segment sums near the limits of u64 and f64, parameter-sized allocations (a
//! calendar range, a sample size, a CLV horizon). Never panics, never allocates beyond the
//! documented caps (run with `-rss_limit_mb=2048`), and every number of an `Ok` is finite.
#![no_main]

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use userops::ltv::{BgNbdParams, ClvOptions, Customer, GammaGammaParams, TimeUnit, clv};
use userops::ops::experiment::{Moments, chi_square, welch};
use userops::rfm::{CustomerRow, Method, RfmTable, ScoreParams, SegmentRules};
use userops::sample::{MAX_SAMPLE_USERS, SampleConfig, generate};
use userops::time::{Calendar, Interval, MAX_PERIODS, Zone};

struct Bytes<'a>(&'a [u8]);
impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        let (b, rest) = self.0.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
        self.0 = rest;
        b
    }
    fn u64(&mut self) -> u64 {
        (0..8).fold(0, |a, _| a << 8 | u64::from(self.u8()))
    }
    /// Mostly extreme magnitudes: ±1e308, ±f64::MAX, tiny, zero, and raw bit patterns.
    fn f64(&mut self) -> f64 {
        match self.u8() % 8 {
            0 => 1e308,
            1 => -1e308,
            2 => f64::MAX,
            3 => f64::MIN_POSITIVE,
            4 => 0.0,
            5 => f64::from(self.u8()),
            _ => f64::from_bits(self.u64()),
        }
    }
    fn instant(&mut self) -> DateTime<Utc> {
        let millis = self.u64() as i64;
        DateTime::<Utc>::from_timestamp_millis(millis % 8_210_298_412_800_000)
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

fn statistics(b: &mut Bytes) {
    let n = usize::from(b.u8() % 16);
    let xs: Vec<f64> = (0..n).map(|_| b.f64()).collect();
    let ys: Vec<f64> = (0..n).map(|_| b.f64()).collect();
    let (mc, mt) = (Moments::of(&xs), Moments::of(&ys));
    for m in [&mc, &mt].into_iter().flatten() {
        assert!(m.mean.is_finite() && m.m2.is_finite(), "{m:?}");
    }
    if let (Ok(c), Ok(t)) = (mc, mt) {
        if let Ok(r) = welch(&c, &t, 0.95) {
            for v in [r.statistic, r.p_value, r.ci_low, r.ci_high, r.difference] {
                assert!(v.is_finite(), "{r:?}");
            }
        }
    }
    let cols = usize::from(b.u8() % 3) + 2;
    let table: Vec<Vec<f64>> = (0..2)
        .map(|_| (0..cols).map(|_| b.f64().abs()).collect())
        .collect();
    if let Ok(r) = chi_square(&table, b.u8() % 2 == 0) {
        assert!(
            r.statistic.is_finite() && (0.0..=1.0).contains(&r.p_value),
            "{r:?}"
        );
    }
}

fn lifetime_value(b: &mut Bytes) {
    let months = b.u64() as u32 % 5000;
    let discount = match b.u8() % 4 {
        0 => -0.999,
        1 => -1.0 + f64::EPSILON,
        2 => f64::from(b.u8()) / 100.0,
        _ => b.f64(),
    };
    let Ok(options) = ClvOptions::new(months).and_then(|o| o.discount(discount)) else {
        return;
    };
    let (Ok(bg), Ok(gg)) = (
        BgNbdParams::new(0.2426, 4.4137, 0.7930, 2.4262, TimeUnit::Week),
        GammaGammaParams::new(6.25, 3.74, 15.44),
    ) else {
        return;
    };
    let customers: Vec<Customer> = (0..usize::from(b.u8() % 4))
        .filter_map(|_| {
            let x = u32::from(b.u8());
            let t = f64::from(b.u8());
            Customer::new(x, t.min(t), t + f64::from(b.u8()))
                .ok()
                .map(|c| c.with_monetary(b.f64().abs()))
        })
        .collect();
    if let Ok(values) = clv(&bg, &gg, &customers, &options) {
        assert!(
            values.iter().all(|v| v.is_finite()),
            "{values:?} {options:?}"
        );
    }
}

fn segments(b: &mut Bytes) {
    let rows: Vec<CustomerRow<u32>> = (0..u32::from(b.u8() % 12))
        .map(|i| {
            let orders = if b.u8() % 2 == 0 {
                u64::MAX - u64::from(b.u8())
            } else {
                u64::from(b.u8())
            };
            CustomerRow::new(i, f64::from(b.u8()), orders.max(1), b.f64().abs())
        })
        .collect();
    let Ok(table) = RfmTable::from_customers(rows) else {
        return;
    };
    let Ok(scorer) = ScoreParams::new(Method::Quantile).check() else {
        return;
    };
    if let Ok(scores) = scorer.score(&table) {
        if let Ok(seg) = SegmentRules::standard().segment(&scores) {
            for s in &seg.summary {
                assert!(
                    s.revenue.is_finite() && s.revenue_share.is_finite(),
                    "{s:?}"
                );
            }
        }
    }
}

fn allocations(b: &mut Bytes) {
    let interval = match b.u8() % 3 {
        0 => Interval::Day,
        1 => Interval::Week(chrono::Weekday::Sun),
        _ => Interval::Month,
    };
    let zone =
        Zone::parse(["UTC", "+14:00", "-12:00", "America/Los_Angeles"][usize::from(b.u8() % 4)])
            .unwrap_or(Zone::Utc);
    let cal = Calendar::new(zone, interval);
    let (from, to) = (b.instant(), b.instant());
    if let Ok(periods) = cal.periods(from, to) {
        assert!(periods.len() <= MAX_PERIODS);
        assert!(periods.windows(2).all(|w| w[0] < w[1]));
    }
    let users = b.u64();
    let config = SampleConfig::new(users).events_per_user(f64::from(b.u8()));
    if users > MAX_SAMPLE_USERS {
        assert!(generate(&config).is_err());
    } else if users <= 200 {
        let _ = generate(&config);
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    match b.u8() % 4 {
        0 => statistics(&mut b),
        1 => lifetime_value(&mut b),
        2 => segments(&mut b),
        _ => allocations(&mut b),
    }
});
