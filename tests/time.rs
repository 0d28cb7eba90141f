//! Calendar facts checked against the time module: DST days, week starts, month lengths.

use chrono::{Datelike, NaiveDate, TimeZone, Utc, Weekday};
use userops::time::{Calendar, Interval, Period, Zone, days_between, parse_instant, weeks_between};

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn la() -> Zone {
    Zone::parse("America/Los_Angeles").unwrap()
}

#[test]
fn spring_forward_2025_03_09_los_angeles_is_one_day_of_23_hours() {
    // Calendar fact: on 2025-03-09 at 02:00 PST clocks in Los Angeles jump to 03:00 PDT.
    // Local midnight on 03-09 is 08:00 UTC (PST, UTC-8); local midnight on 03-10 is 07:00 UTC
    // (PDT, UTC-7). So the day spans 23 hours.
    let cal = Calendar::new(la(), Interval::Day);
    let day = cal.period_of(utc(2025, 3, 9, 12, 0));
    assert_eq!(day.start(), date(2025, 3, 9));
    assert_eq!(cal.start_of(&day), utc(2025, 3, 9, 8, 0));
    assert_eq!(cal.end_of(&day), utc(2025, 3, 10, 7, 0));
    assert_eq!((cal.end_of(&day) - cal.start_of(&day)).num_hours(), 23);

    // Instants on both sides of each boundary.
    assert_eq!(
        cal.period_of(utc(2025, 3, 9, 7, 59)).start(),
        date(2025, 3, 8)
    ); // 23:59 PST 03-08
    assert_eq!(
        cal.period_of(utc(2025, 3, 9, 8, 0)).start(),
        date(2025, 3, 9)
    ); // 00:00 PST 03-09
    assert_eq!(
        cal.period_of(utc(2025, 3, 9, 10, 0)).start(),
        date(2025, 3, 9)
    ); // 03:00 PDT
    assert_eq!(
        cal.period_of(utc(2025, 3, 10, 6, 59)).start(),
        date(2025, 3, 9)
    ); // 23:59 PDT
    assert_eq!(
        cal.period_of(utc(2025, 3, 10, 7, 0)).start(),
        date(2025, 3, 10)
    ); // 00:00 PDT 03-10

    // It is still exactly one period: the next day follows it.
    assert_eq!(day.next().start(), date(2025, 3, 10));
    assert_eq!(day.prev().periods_until(&day.next()), 2);
}

#[test]
fn fall_back_2025_11_02_los_angeles_is_one_day_of_25_hours() {
    // Calendar fact: on 2025-11-02 at 02:00 PDT clocks fall back to 01:00 PST.
    let cal = Calendar::new(la(), Interval::Day);
    let day = cal.period_of(utc(2025, 11, 2, 12, 0));
    assert_eq!(cal.start_of(&day), utc(2025, 11, 2, 7, 0)); // 00:00 PDT
    assert_eq!(cal.end_of(&day), utc(2025, 11, 3, 8, 0)); // 00:00 PST
    assert_eq!((cal.end_of(&day) - cal.start_of(&day)).num_hours(), 25);
}

#[test]
fn grid_over_the_dst_week_buckets_by_local_day() {
    let cal = Calendar::new(la(), Interval::Day);
    let grid = cal
        .grid(utc(2025, 3, 8, 12, 0), utc(2025, 3, 10, 12, 0))
        .unwrap();
    assert_eq!(grid.len(), 3);
    assert_eq!(grid.index_of(utc(2025, 3, 9, 7, 59)), Some(0));
    assert_eq!(grid.index_of(utc(2025, 3, 9, 8, 0)), Some(1));
    assert_eq!(grid.index_of(utc(2025, 3, 10, 6, 59)), Some(1));
    assert_eq!(grid.index_of(utc(2025, 3, 10, 7, 0)), Some(2));
    assert_eq!(grid.index_of(utc(2025, 3, 8, 7, 59)), None); // 23:59 PST on 03-07
}

#[test]
fn weeks_starting_sunday_vs_monday() {
    // Calendar fact: 2025-03-09 is a Sunday, 2025-03-10 a Monday, 2025-03-12 a Wednesday.
    let sun = Interval::Week(Weekday::Sun);
    let mon = Interval::Week(Weekday::Mon);
    assert_eq!(
        Period::containing(date(2025, 3, 12), sun).start(),
        date(2025, 3, 9)
    );
    assert_eq!(
        Period::containing(date(2025, 3, 12), mon).start(),
        date(2025, 3, 10)
    );
    // A Sunday starts its own Sunday-week but ends the Monday-week begun on 03-03.
    assert_eq!(
        Period::containing(date(2025, 3, 9), sun).start(),
        date(2025, 3, 9)
    );
    assert_eq!(
        Period::containing(date(2025, 3, 9), mon).start(),
        date(2025, 3, 3)
    );
    // Saturday 2025-03-15 is the last day of the Sunday-week of 03-09.
    assert_eq!(
        Period::containing(date(2025, 3, 15), sun).last_day(),
        date(2025, 3, 15)
    );
    assert_eq!(
        Period::containing(date(2025, 3, 15), mon).last_day(),
        date(2025, 3, 16)
    );
    // Weeks across the year end: Monday-weeks of 2024-12-30 .. 2025-12-29 are 52 apart.
    let a = Period::containing(date(2025, 1, 1), mon);
    let b = Period::containing(date(2025, 12, 31), mon);
    assert_eq!(a.start(), date(2024, 12, 30));
    assert_eq!(b.start(), date(2025, 12, 29));
    assert_eq!(a.periods_until(&b), 52);
    assert_eq!(a.offset(52), b);
}

#[test]
fn week_bucketing_in_a_zone_uses_the_local_date() {
    // 2025-03-09 06:30 UTC is Saturday 2025-03-08 22:30 PST: in a Sunday-week calendar it is
    // in the week of 03-02, while in UTC it is Sunday and starts the week of 03-09.
    let at = utc(2025, 3, 9, 6, 30);
    let sun = Interval::Week(Weekday::Sun);
    assert_eq!(
        Calendar::new(la(), sun).period_of(at).start(),
        date(2025, 3, 2)
    );
    assert_eq!(
        Calendar::new(Utc, sun).period_of(at).start(),
        date(2025, 3, 9)
    );
    // The Sunday-week of 03-09 in Los Angeles starts at local midnight PST (08:00 UTC) and
    // ends at local midnight PDT on 03-16 (07:00 UTC): 7 days minus one hour.
    let cal = Calendar::new(la(), sun);
    let w = Period::containing(date(2025, 3, 9), sun);
    assert_eq!((cal.end_of(&w) - cal.start_of(&w)).num_hours(), 7 * 24 - 1);
}

#[test]
fn months_and_leap_years() {
    let feb24 = Period::containing(date(2024, 2, 15), Interval::Month);
    assert_eq!(feb24.last_day(), date(2024, 2, 29)); // 2024 is a leap year
    let feb25 = Period::containing(date(2025, 2, 15), Interval::Month);
    assert_eq!(feb25.last_day(), date(2025, 2, 28));
    assert_eq!(feb24.periods_until(&feb25), 12);
    assert_eq!(feb25.offset(-12), feb24);
    assert_eq!(feb24.to_string(), "2024-02");
    // Jan 31 + 1 month is the February period (no day overflow).
    let jan = Period::containing(date(2025, 1, 31), Interval::Month);
    assert_eq!(jan.next().start(), date(2025, 2, 1));
    // A month in Shanghai (UTC+8) starts 8 hours before UTC midnight.
    let cal = Calendar::new(Zone::parse("Asia/Shanghai").unwrap(), Interval::Month);
    assert_eq!(cal.start_of(&jan), utc(2024, 12, 31, 16, 0));
}

#[test]
fn exact_durations_ignore_calendar_buckets() {
    // 12:00 PST on 03-08 to 12:00 PDT on 03-09 is 23 hours, not a day.
    let a = la()
        .with_ymd_and_hms(2025, 3, 8, 12, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let b = la()
        .with_ymd_and_hms(2025, 3, 9, 12, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    assert!((days_between(a, b) - 23.0 / 24.0).abs() < 1e-12);
    assert!((weeks_between(a, b) - 23.0 / 168.0).abs() < 1e-12);
    assert_eq!(days_between(b, a), -days_between(a, b));
}

#[test]
fn times_without_offset_are_read_in_the_zone() {
    let z = la();
    // 2025-01-02 00:00 PST = 08:00 UTC; 2025-07-02 00:00 PDT = 07:00 UTC.
    assert_eq!(
        parse_instant("2025-01-02", &z).unwrap(),
        utc(2025, 1, 2, 8, 0)
    );
    assert_eq!(
        parse_instant("2025-07-02 00:00:00", &z).unwrap(),
        utc(2025, 7, 2, 7, 0)
    );
    assert_eq!(
        parse_instant("20250702", &z).unwrap(),
        utc(2025, 7, 2, 7, 0)
    );
    // An explicit offset wins over the zone.
    assert_eq!(
        parse_instant("2025-07-02T00:00:00+02:00", &z).unwrap(),
        utc(2025, 7, 1, 22, 0)
    );
    assert_eq!(
        parse_instant("2025-07-02T00:00:00Z", &z).unwrap(),
        utc(2025, 7, 2, 0, 0)
    );
    // Unix seconds are absolute: 1_700_000_000 is 2023-11-14T22:13:20Z.
    assert_eq!(
        parse_instant("1700000000", &z).unwrap(),
        Utc.with_ymd_and_hms(2023, 11, 14, 22, 13, 20).unwrap()
    );
    // US/Pacific is the legacy alias of America/Los_Angeles.
    let p = Zone::parse("US/Pacific").unwrap();
    assert_eq!(
        parse_instant("2025-01-02", &p).unwrap(),
        utc(2025, 1, 2, 8, 0)
    );
}

#[test]
fn fixed_offsets_parse_in_common_spellings() {
    for (text, secs) in [
        ("+08:00", 8 * 3600),
        ("-0530", -(5 * 3600 + 30 * 60)),
        ("+5", 5 * 3600),
    ] {
        match Zone::parse(text).unwrap() {
            Zone::Fixed(o) => assert_eq!(o.local_minus_utc(), secs, "{text}"),
            z => panic!("{text} parsed as {z:?}"),
        }
    }
    assert!(Zone::parse("+25:00").is_err());
}

#[test]
fn instants_at_the_ends_of_time_do_not_panic() {
    // Within a day of chrono's range limits an offset pushes local time out of range; the
    // calendar saturates at the first / last representable date instead of panicking.
    let cal = Calendar::new(
        Zone::parse("Asia/Tokyo").unwrap(),
        Interval::Week(Weekday::Mon),
    );
    let p = cal.period_of(chrono::DateTime::<Utc>::MAX_UTC);
    assert_eq!(p.last_day(), NaiveDate::MAX);
    let _ = cal.start_of(&p);
    let _ = cal.end_of(&p);
    let cal = Calendar::new(la(), Interval::Month);
    let p = cal.period_of(chrono::DateTime::<Utc>::MIN_UTC);
    assert_eq!(
        p.start(),
        NaiveDate::MIN.with_day(1).unwrap_or(NaiveDate::MIN)
    );
    let _ = cal.start_of(&p);
}
