//! The slice road of the RFM and BTYD summaries (`Fold::observe_many`) on arbitrary logs:
//! instants across chrono's whole range, NaN/infinite/huge/negative amounts, logs grouped by
//! user or not, zones ahead of and behind UTC. Never a panic; `observe_many` fails and leaves
//! the state exactly as one `observe` at a time does (`laws::slice_law`), and parts folded
//! through it merge into the whole (`laws::merge_law`).
#![no_main]

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use libfuzzer_sys::fuzz_target;
use userops::event::EventRecord;
use userops::fold::{Fold, Summary, laws};
use userops::ltv::{BtydReport, BtydSummary, TimeUnit};
use userops::rfm::{Method, RfmSummary, RfmTable, ScoreParams};
use userops::time::Zone;

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
    /// An instant: near 2025 most of the time, anywhere in chrono's range otherwise.
    fn instant(&mut self) -> Option<DateTime<Utc>> {
        let base = 1_735_689_600_000_i64; // 2025-01-01
        match self.u8() % 8 {
            0 => {
                let raw = i64::from(self.u16()) << 48
                    | i64::from(self.u16()) << 32
                    | i64::from(self.u16());
                DateTime::from_timestamp_millis(raw)
            }
            1 => Some(DateTime::<Utc>::MIN_UTC),
            2 => Some(DateTime::<Utc>::MAX_UTC),
            _ => DateTime::from_timestamp_millis(
                base + i64::from(self.u16()) * 3_600_007 - 100_000_000_000,
            ),
        }
    }
    fn amount(&mut self) -> f64 {
        match self.u8() % 16 {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => f64::MAX,
            3 => -f64::MAX,
            4 => 0.0,
            5 => -1.0,
            _ => f64::from(self.u16()) / 100.0,
        }
    }
}

fn same_rfm(a: &RfmTable<u8>, b: &RfmTable<u8>) -> bool {
    let mut x: Vec<_> = a.customers.iter().collect();
    let mut y: Vec<_> = b.customers.iter().collect();
    x.sort_by_key(|c| c.user);
    y.sort_by_key(|c| c.user);
    x.len() == y.len()
        && x.iter().zip(&y).all(|(p, q)| {
            p.user == q.user
                && p.recency_days == q.recency_days
                && p.orders == q.orders
                && laws::close(p.monetary, q.monetary, 1e-9)
        })
}

fn same_btyd(a: &BtydReport<u8>, b: &BtydReport<u8>) -> bool {
    a.first_purchase_after_calibration == b.first_purchase_after_calibration
        && a.ignored_after_calibration == b.ignored_after_calibration
        && a.customers.len() == b.customers.len()
        && a.customers.iter().zip(&b.customers).all(|(x, y)| {
            x.user == y.user
                && x.frequency == y.frequency
                && x.recency == y.recency
                && x.age == y.age
                && x.frequency_holdout == y.frequency_holdout
                && laws::close(x.monetary, y.monetary, 1e-9)
                && laws::close(x.monetary_holdout, y.monetary_holdout, 1e-9)
        })
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let n = usize::from(b.u8()) % 96;
    let mut events: Vec<EventRecord<u8>> = Vec::with_capacity(n);
    for _ in 0..n {
        let user = b.u8() % 8;
        if let Some(at) = b.instant() {
            events.push(EventRecord::new(user, at).with_amount(b.amount()));
        }
    }
    if b.u8() % 2 == 0 {
        // Grouped by user (stable: each user's events keep their order): the run road.
        events.sort_by_key(|e| e.user);
    }
    let cut = usize::from(b.u8()) % (events.len() + 1);
    let cut2 = usize::from(b.u8()) % (events.len() + 1);
    // The merge law holds up to rounding only while sums do not cancel catastrophically
    // (f64::MAX - f64::MAX - 1 is -1 or 0 by the order of the additions); the slice law,
    // which adds in the same order, holds for every amount.
    let moderate = events
        .iter()
        .all(|e| e.amount.is_finite() && e.amount.abs() <= 1e6);
    let Some(as_of) = b.instant() else { return };

    // RFM, every event a purchase or payments only.
    for payments_only in [false, true] {
        let empty = || RfmSummary::new(as_of).payments_only(payments_only);
        if let Err(e) = laws::slice_law(empty, &events, same_rfm) {
            panic!("{e}");
        }
        let mut whole = empty();
        if whole.observe_many(&events).is_ok() && moderate {
            if let Err(e) = laws::merge_law(empty, &events, &[cut, cut2], same_rfm) {
                panic!("{e}");
            }
            // Parts merged in order (kept apart when grouped): scored straight from the parts
            // as through their table.
            let (lo, hi) = (cut.min(cut2), cut.max(cut2));
            let mut merged = empty();
            for part in [&events[..lo], &events[lo..hi], &events[hi..]] {
                let mut p = empty();
                if p.observe_many(part).is_err() || merged.merge(p).is_err() {
                    panic!("a part of a log that folds whole failed");
                }
            }
            if let Ok(scorer) = ScoreParams::new(Method::Quantile).check() {
                let direct = scorer.score_summary(merged.clone());
                let via_table = scorer.score(&merged.finish().unwrap());
                match (direct, via_table) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b),
                    (Err(_), Err(_)) => {}
                    (a, b) => panic!("scoring roads disagree: {a:?} / {b:?}"),
                }
            }
        }
        let _ = ScoreParams::new(Method::Quantile)
            .check()
            .and_then(|s| s.score_summary(whole));
    }

    // BTYD, in days or weeks, with or without a holdout, in zones on both sides of UTC.
    let zone = match b.u8() % 3 {
        0 => Zone::Utc,
        1 => Zone::parse("Asia/Kolkata").unwrap(),
        _ => Zone::parse("America/Los_Angeles").unwrap(),
    };
    let end = as_of.date_naive();
    let holdout = end
        .num_days_from_ce()
        .checked_add(i32::from(b.u8()))
        .and_then(NaiveDate::from_num_days_from_ce_opt);
    let unit = if b.u8() % 2 == 0 {
        TimeUnit::Day
    } else {
        TimeUnit::Week
    };
    let empty = || {
        let s = BtydSummary::with_zone(zone, end, unit);
        match holdout {
            Some(h) if h > end => s
                .holdout(h)
                .unwrap_or_else(|_| BtydSummary::with_zone(zone, end, unit)),
            _ => s,
        }
    };
    if let Err(e) = laws::slice_law(empty, &events, same_btyd) {
        panic!("{e}");
    }
    let mut whole = empty();
    if whole.observe_many(&events).is_ok() && moderate {
        if let Err(e) = laws::merge_law(empty, &events, &[cut], same_btyd) {
            panic!("{e}");
        }
    }
    let _ = whole.finish().unwrap().to_customers();
});
