//! Retention (cohort tables) and stickiness on arbitrary events and parameters: never panics;
//! a fold split in two and merged equals the fold of the whole; every cell is within its
//! cohort; rates are in [0, 1]; stickiness counts add up.
#![no_main]

use chrono::{TimeDelta, TimeZone, Utc, Weekday};
use libfuzzer_sys::fuzz_target;
use userops::event::EventRecord;
use userops::fold::{Summary, fold};
use userops::retention::{
    EventsPerPeriod, RetentionMode, RetentionParams, RetentionSummary, StickinessParams,
    StickinessSummary,
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
    /// An offset in seconds: mostly within a year, sometimes centuries, sometimes extreme.
    fn offset(&mut self) -> TimeDelta {
        match self.u8() % 16 {
            0 => TimeDelta::days(i64::from(self.u16() as i16) * 400),
            1 => TimeDelta::days(i64::from(self.u16() as i16) * 2_000),
            2 => TimeDelta::seconds(i64::from(self.u16()) - 32_768),
            _ => TimeDelta::hours(i64::from(self.u16() as i16)),
        }
    }
    fn name(&mut self) -> Option<&'static str> {
        match self.u8() % 4 {
            0 => None,
            1 => Some("a"),
            2 => Some("b"),
            _ => Some("*"),
        }
    }
    fn param_name(&mut self) -> &'static str {
        match self.u8() % 5 {
            0 => "a",
            1 => "b",
            2 => "",
            3 => " ",
            _ => "*",
        }
    }
}

fn calendar(b: &mut Bytes) -> Calendar<Zone> {
    let interval = match b.u8() % 4 {
        0 => Interval::Day,
        1 => Interval::Week(Weekday::Sun),
        2 => Interval::Week(Weekday::Mon),
        _ => Interval::Month,
    };
    let zone = match b.u8() % 4 {
        0 => Zone::Utc,
        1 => Zone::parse("America/Los_Angeles").unwrap(),
        2 => Zone::parse("Australia/Lord_Howe").unwrap(),
        _ => Zone::parse("+05:45").unwrap(),
    };
    Calendar::new(zone, interval)
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let base = Utc.with_ymd_and_hms(2025, 3, 30, 1, 30, 0).unwrap();
    let n = usize::from(b.u8() % 64);
    let events: Vec<EventRecord<u8>> = (0..n)
        .map(|_| {
            let user = b.u8() % 12;
            let at = base + b.offset();
            let mut e = EventRecord::<u8>::new(user, at);
            if let Some(name) = b.name() {
                e = e.with_name(name);
            }
            e
        })
        .collect();
    let users = {
        let mut u: Vec<u8> = events.iter().map(|e| e.user).collect();
        u.sort_unstable();
        u.dedup();
        u.len() as u64
    };
    let split = usize::from(b.u8()).min(events.len());

    // Retention.
    let cal = calendar(&mut b);
    // Up to 2,000 periods and, rarely, beyond MAX_PERIODS (rejected). A window of n periods
    // makes a triangle of n(n+1)/2 cells: 10,000 periods (the cap) is a 400 MB report, slow
    // under the fuzzer's instrumentation, so the fuzzer stays below.
    let periods = match b.u8() % 8 {
        0 => usize::from(b.u16() % 2_000),
        1 if b.u8() == 0 => 10_001,
        _ => usize::from(b.u8() % 40),
    };
    let params = RetentionParams::new(cal, base + b.offset(), periods)
        .start_event(b.param_name())
        .return_event(b.param_name())
        .mode(if b.u8() % 2 == 0 {
            RetentionMode::Recurring
        } else {
            RetentionMode::FirstTime
        })
        .on_or_after(b.u8() % 2 == 0)
        .min_return_events(u32::from(b.u8() % 5) + if b.u8() == 0 { 300 } else { 0 });
    if let Ok(spec) = params.check() {
        let whole = fold(RetentionSummary::new(spec.clone()), &events);
        let left = fold(RetentionSummary::new(spec.clone()), &events[..split]);
        let right = fold(RetentionSummary::new(spec.clone()), &events[split..]);
        if let (Ok(whole), Ok(mut left), Ok(right)) = (whole, left, right) {
            left.merge(right).expect("same settings merge");
            let merged = left.finish().unwrap();
            let report = whole.finish().unwrap();
            assert_eq!(
                merged, report,
                "merge of parts differs from the fold of the whole"
            );
            assert!(report.cohort_users <= users);
            assert_eq!(report.cohorts.len(), spec.periods());
            for (i, row) in report.cohorts.iter().enumerate() {
                assert_eq!(row.counts.len(), spec.periods() - i);
                for (k, c) in row.counts.iter().enumerate() {
                    assert!(
                        *c <= row.size(),
                        "cell {k} {c} above cohort size {}",
                        row.size()
                    );
                    if let Some(r) = row.rate(k) {
                        assert!((0.0..=1.0).contains(&r), "rate {r}");
                    }
                }
                if report.on_or_after {
                    assert!(
                        row.counts.windows(2).skip(1).all(|w| w[0] >= w[1]),
                        "on-or-after not monotone: {:?}",
                        row.counts
                    );
                }
            }
            for r in report.mean_rates().into_iter().flatten() {
                assert!((0.0..=1.0).contains(&r), "mean rate {r}");
            }
            if spec.periods() <= 64 {
                // Display of a large triangle dominates the run time; small ones cover it.
                let _ = report.to_string();
            }
        }
    }

    // Stickiness.
    let cal = calendar(&mut b);
    let from = base + b.offset();
    let to = from + TimeDelta::hours(i64::from(b.u16())) - TimeDelta::hours(i64::from(b.u8() % 4));
    let criterion = match b.u8() % 3 {
        0 => EventsPerPeriod::AtLeast(u32::from(b.u8() % 4)),
        1 => EventsPerPeriod::AtMost(u32::from(b.u8() % 4)),
        _ => EventsPerPeriod::Exactly(u32::from(b.u8() % 4)),
    };
    let params = StickinessParams::new(cal, from, to)
        .event(b.param_name())
        .events_per_period(criterion);
    if let Ok(spec) = params.check() {
        let whole = fold(StickinessSummary::new(spec.clone()), &events);
        let left = fold(StickinessSummary::new(spec.clone()), &events[..split]);
        let right = fold(StickinessSummary::new(spec.clone()), &events[split..]);
        if let (Ok(whole), Ok(mut left), Ok(right)) = (whole, left, right) {
            left.merge(right).expect("same settings merge");
            let merged = left.finish().unwrap();
            let report = whole.finish().unwrap();
            assert_eq!(
                merged, report,
                "merge of parts differs from the fold of the whole"
            );
            assert_eq!(report.users.len(), spec.periods());
            assert_eq!(report.users.iter().sum::<u64>(), report.total_users);
            assert!(report.total_users <= users);
            assert_eq!(
                report.cumulative.first().copied().unwrap_or(0),
                report.total_users
            );
            assert!(report.cumulative.windows(2).all(|w| w[0] >= w[1]));
            let _ = report.to_string();
        }
    }
});
