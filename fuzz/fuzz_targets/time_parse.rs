//! Time parsing, calendar bucketing and period arithmetic on arbitrary text and at extreme
//! instants (chrono's first and last dates, i64 offsets): never panics; every parsed instant is
//! supported; a range of periods is either an error or at most `MAX_PERIODS` long.
#![no_main]

use chrono::{DateTime, NaiveDate, Utc};
use libfuzzer_sys::fuzz_target;
use userops::time::{Calendar, Interval, MAX_PERIODS, Period, Zone, is_supported, parse_instant};

fuzz_target!(|data: &[u8]| {
    // Extreme instants and offsets straight from the bytes.
    if data.len() >= 17 {
        let word = |i: usize| i64::from_le_bytes(data[i..i + 8].try_into().unwrap_or([0; 8]));
        let day = (word(0) % 200_000_000) as i32;
        let date = NaiveDate::from_num_days_from_ce_opt(day).unwrap_or(if day < 0 {
            NaiveDate::MIN
        } else {
            NaiveDate::MAX
        });
        let n = word(8);
        for interval in [
            Interval::Day,
            Interval::Week(chrono::Weekday::Sun),
            Interval::Month,
        ] {
            let p = Period::containing(date, interval);
            let q = p.offset(n);
            let _ = (
                q.next(),
                q.prev(),
                q.last_day(),
                p.periods_until(&q),
                q.to_string(),
            );
            let zone = if data[16] % 2 == 0 {
                Zone::Utc
            } else {
                Zone::parse("+14:00").unwrap_or(Zone::Utc)
            };
            let cal = Calendar::new(zone, interval);
            let at =
                DateTime::<Utc>::from_timestamp_millis(word(0)).unwrap_or(DateTime::<Utc>::MAX_UTC);
            let later =
                DateTime::<Utc>::from_timestamp_millis(word(8)).unwrap_or(DateTime::<Utc>::MAX_UTC);
            let period = cal.period_of(at);
            let _ = (cal.start_of(&period), cal.end_of(&period));
            if let Ok(ps) = cal.periods(at, later) {
                assert!(!ps.is_empty() && ps.len() <= MAX_PERIODS);
            }
            if let Ok(grid) = cal.grid(at, later) {
                assert!(grid.len() <= MAX_PERIODS);
                let _ = grid.index_of(at);
            }
        }
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (zone_text, time_text) = text.split_once('|').unwrap_or(("UTC", text));
    let Ok(zone) = Zone::parse(zone_text) else {
        return;
    };
    if let Ok(at) = parse_instant(time_text, &zone) {
        assert!(is_supported(at), "{time_text:?} parsed to {at}");
        for interval in [
            Interval::Day,
            Interval::Week(chrono::Weekday::Sun),
            Interval::Month,
        ] {
            let cal = Calendar::new(zone, interval);
            let p = cal.period_of(at);
            let start = cal.start_of(&p);
            let end = cal.end_of(&p);
            assert!(start <= end);
            let _ = p.next().prev();
        }
    }
});
