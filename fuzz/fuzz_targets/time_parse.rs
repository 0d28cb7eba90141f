//! Time parsing and calendar bucketing on arbitrary text: never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use userops::time::{Calendar, Interval, Zone, parse_instant};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (zone_text, time_text) = text.split_once('|').unwrap_or(("UTC", text));
    let Ok(zone) = Zone::parse(zone_text) else {
        return;
    };
    if let Ok(at) = parse_instant(time_text, &zone) {
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
