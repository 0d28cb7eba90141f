//! PostHog's lifecycle test cases, ported as golden tests.
//!
//! Source: PostHog/posthog, `posthog/hogql_queries/insights/test/test_lifecycle_query_runner.py`
//! (class `TestLifecycleQueryRunner`) and the older `posthog/queries/test/test_lifecycle.py`.
//! The events, date ranges, team time zone and week start are PostHog's; the expected arrays
//! are copied from PostHog's assertions. A PostHog person is created at the first event of
//! the test (`freeze_time(timestamps[0])`), which is our default creation time (the user's
//! first event); where PostHog creates the person at another time, the test passes it as a
//! sign-up time.

use std::collections::HashMap;

use chrono::{DateTime, Utc, Weekday};
use userops::event::{EventRecord, SignUp};
use userops::fold::{Summary, fold};
use userops::lifecycle::{LifecycleSummary, PostHogLifecycle};
use userops::time::{Calendar, Interval, Zone, parse_instant};

type Data<'a> = &'a [(&'a str, &'a [&'a str])];

/// The standard persons of PostHog's lifecycle tests (`test_lifecycle_trend` and others).
const P1_TO_P4: Data<'static> = &[
    (
        "p1",
        &[
            "2020-01-11T12:00:00Z",
            "2020-01-12T12:00:00Z",
            "2020-01-13T12:00:00Z",
            "2020-01-15T12:00:00Z",
            "2020-01-17T12:00:00Z",
            "2020-01-19T12:00:00Z",
        ],
    ),
    ("p2", &["2020-01-09T12:00:00Z", "2020-01-12T12:00:00Z"]),
    ("p3", &["2020-01-12T12:00:00Z"]),
    ("p4", &["2020-01-15T12:00:00Z"]),
];

fn ts(text: &str) -> DateTime<Utc> {
    parse_instant(text, &Utc).unwrap()
}

fn run(
    data: Data<'_>,
    from: &str,
    to: &str,
    interval: Interval,
    team_tz: &str,
    created: Option<&dyn SignUp<String>>,
) -> PostHogLifecycle {
    let zone = Zone::parse(team_tz).unwrap();
    let events: Vec<EventRecord<String>> = data
        .iter()
        .flat_map(|(user, times)| {
            times
                .iter()
                .map(move |t| EventRecord::<String>::new(*user, ts(t)))
        })
        .collect();
    let from = parse_instant(from, &zone).unwrap();
    let to = parse_instant(to, &zone).unwrap();
    let summary = LifecycleSummary::new(Calendar::new(zone, interval), from, to).unwrap();
    let activity = fold(summary, &events).unwrap().finish().unwrap();
    let out = activity.posthog(created);
    // The same answer whatever the order of the events (PostHog's SQL has no order).
    let mut reversed = events.clone();
    reversed.reverse();
    let summary = LifecycleSummary::new(
        Calendar::new(Zone::parse(team_tz).unwrap(), interval),
        from,
        to,
    )
    .unwrap();
    assert_eq!(
        fold(summary, &reversed)
            .unwrap()
            .finish()
            .unwrap()
            .posthog(created),
        out
    );
    out
}

fn check(
    out: &PostHogLifecycle,
    new: &[i64],
    returning: &[i64],
    resurrecting: &[i64],
    dormant: &[i64],
) {
    assert_eq!(out.new, new, "new");
    assert_eq!(out.returning, returning, "returning");
    assert_eq!(out.resurrecting, resurrecting, "resurrecting");
    assert_eq!(out.dormant, dormant, "dormant");
}

// test_lifecycle_trend (also test_lifecycle_trend_action, test_lifecycle_trend_all_events and
// the legacy posthog/queries/test/test_lifecycle.py::test_lifecycle_trend).
#[test]
fn lifecycle_trend_daily() {
    let out = run(
        P1_TO_P4,
        "2020-01-12T00:00:00Z",
        "2020-01-19T00:00:00Z",
        Interval::Day,
        "UTC",
        None,
    );
    assert_eq!(
        out.periods,
        [
            "2020-01-12",
            "2020-01-13",
            "2020-01-14",
            "2020-01-15",
            "2020-01-16",
            "2020-01-17",
            "2020-01-18",
            "2020-01-19"
        ]
    );
    check(
        &out,
        &[1, 0, 0, 1, 0, 0, 0, 0],
        &[1, 1, 0, 0, 0, 0, 0, 0],
        &[1, 0, 0, 1, 0, 1, 0, 1],
        &[0, -2, -1, 0, -2, 0, -1, 0],
    );
}

// test_lifecycle_trend_prop_filtering: only p1's events carry `$number = 1`, so only they
// pass the filter; the persons are created outside `freeze_time` (at the test's wall-clock
// time, years later), so no bucket is "new".
#[test]
fn lifecycle_trend_prop_filtering() {
    let only_p1 = &P1_TO_P4[..1];
    let created: HashMap<String, DateTime<Utc>> =
        [("p1".to_string(), ts("2023-06-01T00:00:00Z"))].into();
    let out = run(
        only_p1,
        "2020-01-12T00:00:00Z",
        "2020-01-19T00:00:00Z",
        Interval::Day,
        "UTC",
        Some(&created),
    );
    check(
        &out,
        &[0, 0, 0, 0, 0, 0, 0, 0],
        &[1, 1, 0, 0, 0, 0, 0, 0],
        &[0, 0, 0, 1, 0, 1, 0, 1],
        &[0, 0, -1, 0, -1, 0, -1, 0],
    );
}

// test_lifecycle_trends_distinct_id_repeat: one person (two distinct ids), created
// 2020-01-12T12:00:00Z.
#[test]
fn lifecycle_trends_distinct_id_repeat() {
    let data: Data<'_> = &[(
        "p1",
        &[
            "2020-01-12T12:00:00Z",
            "2020-01-14T12:00:00Z",
            "2020-01-15T12:00:00Z",
            "2020-01-17T12:00:00Z",
            "2020-01-19T12:00:00Z",
        ],
    )];
    let out = run(
        data,
        "2020-01-12T00:00:00Z",
        "2020-01-19T00:00:00Z",
        Interval::Day,
        "UTC",
        None,
    );
    check(
        &out,
        &[1, 0, 0, 0, 0, 0, 0, 0],
        &[0, 0, 0, 1, 0, 0, 0, 0],
        &[0, 0, 1, 0, 0, 1, 0, 1],
        &[0, -1, 0, 0, -1, 0, -1, 0],
    );
}

// test_lifecycle_trend_all_time: date_from "all" with now frozen at 2020-01-17T13:01:01Z is
// the range from the first event's day (2020-01-09) to 2020-01-17.
#[test]
fn lifecycle_trend_all_time() {
    let out = run(
        P1_TO_P4,
        "2020-01-09T12:00:00Z",
        "2020-01-17T13:01:01Z",
        Interval::Day,
        "UTC",
        None,
    );
    check(
        &out,
        &[1, 0, 1, 1, 0, 0, 1, 0, 0],
        &[0, 0, 0, 1, 1, 0, 0, 0, 0],
        &[0, 0, 0, 1, 0, 0, 1, 0, 1],
        &[0, -1, 0, 0, -2, -1, 0, -2, 0],
    );
}

const WEEKS_DATA: Data<'static> = &[
    (
        "p1",
        &[
            "2020-02-01T12:00:00Z",
            "2020-02-05T12:00:00Z",
            "2020-02-10T12:00:00Z",
            "2020-02-15T12:00:00Z",
            "2020-02-27T12:00:00Z",
            "2020-03-02T12:00:00Z",
        ],
    ),
    ("p2", &["2020-02-11T12:00:00Z", "2020-02-18T12:00:00Z"]),
    ("p3", &["2020-02-12T12:00:00Z"]),
    ("p4", &["2020-02-27T12:00:00Z"]),
];

// test_lifecycle_trend_weeks_sunday (team.week_start_day = SUNDAY).
#[test]
fn lifecycle_trend_weeks_sunday() {
    let out = run(
        WEEKS_DATA,
        "2020-02-05T00:00:00Z",
        "2020-03-09T00:00:00Z",
        Interval::Week(Weekday::Sun),
        "UTC",
        None,
    );
    assert_eq!(
        out.periods,
        [
            "2020-02-02",
            "2020-02-09",
            "2020-02-16",
            "2020-02-23",
            "2020-03-01",
            "2020-03-08"
        ]
    );
    check(
        &out,
        &[0, 2, 0, 1, 0, 0],
        &[1, 1, 1, 0, 1, 0],
        &[0, 0, 0, 1, 0, 0],
        &[0, 0, -2, -1, -1, -1],
    );
}

// test_lifecycle_trend_weeks_monday (team.week_start_day = MONDAY); also the legacy
// test_lifecycle_trend_weeks.
#[test]
fn lifecycle_trend_weeks_monday() {
    let out = run(
        WEEKS_DATA,
        "2020-02-05T00:00:00Z",
        "2020-03-09T00:00:00Z",
        Interval::Week(Weekday::Mon),
        "UTC",
        None,
    );
    assert_eq!(
        out.periods,
        [
            "2020-02-03",
            "2020-02-10",
            "2020-02-17",
            "2020-02-24",
            "2020-03-02",
            "2020-03-09"
        ]
    );
    check(
        &out,
        &[0, 2, 0, 1, 0, 0],
        &[1, 1, 1, 0, 1, 0],
        &[0, 0, 0, 1, 0, 0],
        &[0, 0, -2, -1, -1, -1],
    );
}

// test_lifecycle_trend_months.
#[test]
fn lifecycle_trend_months() {
    let data: Data<'_> = &[
        (
            "p1",
            &[
                "2020-01-11T12:00:00Z",
                "2020-02-12T12:00:00Z",
                "2020-03-13T12:00:00Z",
                "2020-05-15T12:00:00Z",
                "2020-07-17T12:00:00Z",
                "2020-09-19T12:00:00Z",
            ],
        ),
        ("p2", &["2019-12-09T12:00:00Z", "2020-02-12T12:00:00Z"]),
        ("p3", &["2020-02-12T12:00:00Z"]),
        ("p4", &["2020-05-15T12:00:00Z"]),
    ];
    let out = run(
        data,
        "2020-02-01T00:00:00Z",
        "2020-09-01T00:00:00Z",
        Interval::Month,
        "UTC",
        None,
    );
    assert_eq!(out.periods.first().map(String::as_str), Some("2020-02-01"));
    check(
        &out,
        &[1, 0, 0, 1, 0, 0, 0, 0],
        &[1, 1, 0, 0, 0, 0, 0, 0],
        &[1, 0, 0, 1, 0, 1, 0, 1],
        &[0, -2, -1, 0, -2, 0, -1, 0],
    );
}

// test_filter_test_accounts: p1 (the test account) is filtered out.
#[test]
fn filter_test_accounts() {
    let out = run(
        &P1_TO_P4[1..],
        "2020-01-12T00:00:00Z",
        "2020-01-19T00:00:00Z",
        Interval::Day,
        "UTC",
        None,
    );
    check(
        &out,
        &[1, 0, 0, 1, 0, 0, 0, 0],
        &[0, 0, 0, 0, 0, 0, 0, 0],
        &[1, 0, 0, 0, 0, 0, 0, 0],
        &[0, -2, 0, 0, -1, 0, 0, 0],
    );
}

const TZ_DATA: Data<'static> = &[
    (
        "p1",
        &[
            "2020-01-11T23:00:00Z",
            "2020-01-12T01:00:00Z",
            "2020-01-13T12:00:00Z",
            "2020-01-15T12:00:00Z",
            "2020-01-17T12:00:00Z",
            "2020-01-19T12:00:00Z",
        ],
    ),
    ("p2", &["2020-01-09T12:00:00Z", "2020-01-12T12:00:00Z"]),
    ("p3", &["2020-01-12T12:00:00Z"]),
    ("p4", &["2020-01-15T12:00:00Z"]),
];

// test_timezones, UTC part: dates without an offset are read in the team's zone.
#[test]
fn timezones_utc() {
    let out = run(
        TZ_DATA,
        "2020-01-12",
        "2020-01-19",
        Interval::Day,
        "UTC",
        None,
    );
    check(
        &out,
        &[1, 0, 0, 1, 0, 0, 0, 0],
        &[1, 1, 0, 0, 0, 0, 0, 0],
        &[1, 0, 0, 1, 0, 1, 0, 1],
        &[0, -2, -1, 0, -2, 0, -1, 0],
    );
}

// test_timezones, US/Pacific part: p1's first two events fall on 2020-01-11 in Los Angeles.
#[test]
fn timezones_us_pacific() {
    let out = run(
        TZ_DATA,
        "2020-01-12",
        "2020-01-19",
        Interval::Day,
        "US/Pacific",
        None,
    );
    check(
        &out,
        &[1, 0, 0, 1, 0, 0, 0, 0],
        &[0, 0, 0, 0, 0, 0, 0, 0],
        &[1, 1, 0, 1, 0, 1, 0, 1],
        &[-1, -2, -1, 0, -2, 0, -1, 0],
    );
}

// test_excludes_personless_events: the persons p1 and p2 (the personless p3, p4 have no
// person and are not users here).
#[test]
fn excludes_personless_events() {
    let data: Data<'_> = &[
        (
            "p1",
            &[
                "2020-01-11T12:00:00Z",
                "2020-01-12T12:00:00Z",
                "2020-01-13T12:00:00Z",
                "2020-01-14T12:00:00Z",
            ],
        ),
        ("p2", &["2020-01-11T12:00:00Z", "2020-01-12T12:00:00Z"]),
    ];
    let out = run(
        data,
        "2020-01-11T00:00:00Z",
        "2020-01-14T00:00:00Z",
        Interval::Day,
        "UTC",
        None,
    );
    assert_eq!(out.new, [2, 0, 0, 0]);
    assert_eq!(out.resurrecting, [0, 0, 0, 0]);
}

// test_dormant_on_dst: US/Pacific, active 2025-03-09 (the spring-forward day), dormant on
// 2025-03-10; `date_from` 2025-03-09T00:00:00Z is still 2025-03-08 in Los Angeles.
#[test]
fn dormant_on_dst() {
    let data: Data<'_> = &[("p1", &["2025-03-09T12:00:00Z"])];
    let out = run(
        data,
        "2025-03-09T00:00:00Z",
        "2025-03-12T00:00:00Z",
        Interval::Day,
        "US/Pacific",
        None,
    );
    assert_eq!(
        out.periods,
        ["2025-03-08", "2025-03-09", "2025-03-10", "2025-03-11"]
    );
    assert_eq!(out.new, [0, 1, 0, 0]);
    assert_eq!(out.dormant, [0, 0, -1, 0]);
}

// test_lifecycle_virtual_person_property_filter: one person created and active
// 2020-01-12T12:00:00Z.
#[test]
fn single_person_created_in_window() {
    let data: Data<'_> = &[("p1", &["2020-01-12T12:00:00Z"])];
    let out = run(
        data,
        "2020-01-12T00:00:00Z",
        "2020-01-19T00:00:00Z",
        Interval::Day,
        "UTC",
        None,
    );
    check(
        &out,
        &[1, 0, 0, 0, 0, 0, 0, 0],
        &[0, 0, 0, 0, 0, 0, 0, 0],
        &[0, 0, 0, 0, 0, 0, 0, 0],
        &[0, -1, 0, 0, 0, 0, 0, 0],
    );
}

#[test]
fn json_has_the_contract_keys() {
    let out = run(
        P1_TO_P4,
        "2020-01-12T00:00:00Z",
        "2020-01-13T00:00:00Z",
        Interval::Day,
        "UTC",
        None,
    );
    let v: serde_json::Value = serde_json::to_value(&out).unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["dormant", "new", "periods", "resurrecting", "returning"]
    );
    assert_eq!(v["periods"][0], "2020-01-12");
    let back: PostHogLifecycle = serde_json::from_value(v).unwrap();
    assert_eq!(back, out);
}
