//! Golden tests: PostHog's retention and stickiness test cases, ported.
//!
//! Retention cases come from PostHog's
//! `posthog/hogql_queries/insights/test/test_retention_query_runner.py` (class `TestRetention`
//! and `TestClickhouseRetentionGroupAggregation`); stickiness cases from
//! `posthog/hogql_queries/insights/test/test_stickiness_query_runner.py`. The expected arrays
//! are copied from those files in their "triangle" form (the argument of PostHog's `pad()`):
//! PostHog pads the cells that cannot be observed yet with zeros, we leave them out.
//!
//! How the PostHog fixtures map here:
//! * `_date(day, hour=5, month=0)` is `datetime(2020, 6 + month, 10 + day, hour)`, a naive
//!   timestamp stored as UTC; `date_to` is naive too and read in the team's time zone.
//! * A person's distinct ids (`person1`, `alias1`) are one user.
//! * `$pageview` is PostHog's default start and return entity; "All events" (`id: None`) is
//!   `*`; an action with one step `{"event": "sign up"}` is the event name `sign up`.
//! * Property filters select events before the fold (the host's job); a filter on the start
//!   or return entity only is expressed by giving the matching events a second name.

use chrono::{DateTime, NaiveDate, TimeZone, Utc, Weekday};
use userops::event::EventRecord;
use userops::fold::{Summary, fold};
use userops::retention::{
    EventsPerPeriod, RetentionMode, RetentionParams, RetentionSummary, StickinessParams,
    StickinessSummary,
};
use userops::time::{Calendar, Interval, Zone, local_to_utc};

type Ev = EventRecord<String>;

/// PostHog's `_date(day, hour, month)`: naive, stored as UTC.
fn date(day: i32, hour: u32, month: i32) -> DateTime<Utc> {
    naive(day, hour, month).and_utc()
}

fn naive(day: i32, hour: u32, month: i32) -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2020, (6 + month) as u32, (10 + day) as u32)
        .unwrap()
        .and_hms_opt(hour, 0, 0)
        .unwrap()
}

fn ev(user: &str, at: DateTime<Utc>, name: &str) -> Ev {
    EventRecord::new(user, at).with_name(name)
}

/// `_create_events(team, [(distinct_id, timestamp), ...], event)` with `alias1` = `person1`.
fn events(rows: &[(&str, DateTime<Utc>)], name: &str) -> Vec<Ev> {
    rows.iter()
        .map(|(u, t)| {
            let user = if *u == "alias1" { "person1" } else { u };
            ev(user, *t, name)
        })
        .collect()
}

struct Query {
    interval: Interval,
    zone: &'static str,
    /// (day, hour, month) of `_date`, read in `zone`.
    date_to: (i32, u32, i32),
    periods: usize,
    start: &'static str,
    ret: &'static str,
    mode: RetentionMode,
    cumulative: bool,
    min_occurrences: u32,
}

impl Query {
    fn days(date_to: (i32, u32, i32), periods: usize) -> Query {
        Query {
            interval: Interval::Day,
            zone: "UTC",
            date_to,
            periods,
            start: "$pageview",
            ret: "$pageview",
            mode: RetentionMode::Recurring,
            cumulative: false,
            min_occurrences: 1,
        }
    }

    fn run(&self, log: &[Ev]) -> Vec<Vec<u64>> {
        let zone = Zone::parse(self.zone).unwrap();
        let (d, h, m) = self.date_to;
        let date_to = local_to_utc(&zone, naive(d, h, m));
        let spec = RetentionParams::new(Calendar::new(zone, self.interval), date_to, self.periods)
            .start_event(self.start)
            .return_event(self.ret)
            .mode(self.mode)
            .on_or_after(self.cumulative)
            .min_return_events(self.min_occurrences)
            .check()
            .unwrap();
        let report = fold(RetentionSummary::new(spec), log)
            .unwrap()
            .finish()
            .unwrap();
        report.cohorts.into_iter().map(|c| c.counts).collect()
    }

    fn labels(&self) -> Vec<String> {
        let zone = Zone::parse(self.zone).unwrap();
        let (d, h, m) = self.date_to;
        let spec = RetentionParams::new(
            Calendar::new(zone, self.interval),
            local_to_utc(&zone, naive(d, h, m)),
            self.periods,
        )
        .check()
        .unwrap();
        spec.period_labels()
    }
}

/// The events of `test_day_interval` and many others.
fn day_interval_pageviews() -> Vec<Ev> {
    events(
        &[
            ("person1", date(0, 5, 0)),
            ("person1", date(1, 5, 0)),
            ("person1", date(2, 5, 0)),
            ("person1", date(5, 5, 0)),
            ("alias1", date(5, 9, 0)),
            ("person1", date(6, 5, 0)),
            ("person2", date(1, 5, 0)),
            ("person2", date(2, 5, 0)),
            ("person2", date(3, 5, 0)),
            ("person2", date(6, 5, 0)),
        ],
        "$pageview",
    )
}

/// The triangle `[[...11], [...10], ...]` of the day tests.
fn day_interval_expected() -> Vec<Vec<u64>> {
    vec![
        vec![1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0],
        vec![2, 2, 1, 0, 1, 2, 0, 0, 0, 0],
        vec![2, 1, 0, 1, 2, 0, 0, 0, 0],
        vec![1, 0, 0, 1, 0, 0, 0, 0],
        vec![0, 0, 0, 0, 0, 0, 0],
        vec![1, 1, 0, 0, 0, 0],
        vec![2, 0, 0, 0, 0],
        vec![0, 0, 0, 0],
        vec![0, 0, 0],
        vec![0, 0],
        vec![0],
    ]
}

#[test]
fn posthog_test_day_interval() {
    let q = Query::days((10, 6, 0), 11);
    assert_eq!(q.run(&day_interval_pageviews()), day_interval_expected());
    // result[0]["date"] == datetime(2020, 6, 10, 0, tzinfo=UTC)
    assert_eq!(q.labels()[0], "2020-06-10");
    assert_eq!(q.labels()[10], "2020-06-20");
}

#[test]
fn posthog_test_all_events() {
    // targetEntity "All events", returningEntity $pageview.
    let q = Query {
        start: "*",
        ..Query::days((10, 6, 0), 11)
    };
    assert_eq!(q.run(&day_interval_pageviews()), day_interval_expected());
}

#[test]
fn posthog_test_month_interval() {
    let log = events(
        &[
            ("person1", date(0, 5, -5)),
            ("person2", date(0, 5, -5)),
            ("person1", date(0, 5, -4)),
            ("person2", date(0, 5, -4)),
            ("person1", date(0, 5, -3)),
            ("person2", date(0, 5, -3)),
            ("person1", date(0, 5, -1)),
            ("person1", date(0, 5, 0)),
            ("person2", date(0, 5, 0)),
            ("person2", date(0, 5, 1)),
            ("person1", date(0, 5, 3)),
            ("person2", date(0, 5, 5)),
        ],
        "$pageview",
    );
    let q = Query {
        interval: Interval::Month,
        ..Query::days((15, 0, 5), 11)
    };
    assert_eq!(
        q.run(&log),
        vec![
            vec![2, 2, 2, 0, 1, 2, 1, 0, 1, 0, 1],
            vec![2, 2, 0, 1, 2, 1, 0, 1, 0, 1],
            vec![2, 0, 1, 2, 1, 0, 1, 0, 1],
            vec![0, 0, 0, 0, 0, 0, 0, 0],
            vec![1, 1, 0, 0, 1, 0, 0],
            vec![2, 1, 0, 1, 0, 1],
            vec![1, 0, 0, 0, 1],
            vec![0, 0, 0, 0],
            vec![1, 0, 0],
            vec![0, 0],
            vec![1],
        ]
    );
    // dates: datetime(2020, 1, 1) ... datetime(2020, 11, 1)
    let labels = q.labels();
    assert_eq!(
        (labels[0].as_str(), labels[10].as_str()),
        ("2020-01", "2020-11")
    );
}

fn week_events() -> Vec<Ev> {
    events(
        &[
            ("person1", date(0, 5, 0)),
            ("person2", date(0, 5, 0)),
            ("person1", date(1, 5, 0)),
            ("person2", date(1, 5, 0)),
            ("person1", date(7, 5, 0)),
            ("person2", date(7, 5, 0)),
            ("person1", date(14, 5, 0)),
            ("person1", date(-6, 5, 1)),
            ("person2", date(-6, 5, 1)),
            ("person2", date(1, 5, 1)),
            ("person1", date(1, 5, 1)),
            ("person2", date(15, 5, 1)),
        ],
        "$pageview",
    )
}

fn week_expected() -> Vec<Vec<u64>> {
    vec![
        vec![2, 2, 1, 2, 2, 0, 1],
        vec![2, 1, 2, 2, 0, 1],
        vec![1, 1, 1, 0, 0],
        vec![2, 2, 0, 1],
        vec![2, 0, 1],
        vec![0, 0],
        vec![1],
    ]
}

#[test]
fn posthog_test_week_interval_sunday_and_monday() {
    let sunday = Query {
        interval: Interval::Week(Weekday::Sun),
        ..Query::days((10, 0, 1), 7)
    };
    assert_eq!(sunday.run(&week_events()), week_expected());
    assert_eq!(
        sunday.labels(),
        [
            "2020-06-07",
            "2020-06-14",
            "2020-06-21",
            "2020-06-28",
            "2020-07-05",
            "2020-07-12",
            "2020-07-19"
        ]
    );
    let monday = Query {
        interval: Interval::Week(Weekday::Mon),
        ..Query::days((10, 0, 1), 7)
    };
    assert_eq!(monday.run(&week_events()), week_expected());
    assert_eq!(
        monday.labels(),
        [
            "2020-06-08",
            "2020-06-15",
            "2020-06-22",
            "2020-06-29",
            "2020-07-06",
            "2020-07-13",
            "2020-07-20"
        ]
    );
}

#[test]
fn posthog_test_interval_rounding() {
    // date_to mid-week (2020-07-24) still ends with the whole week starting 2020-07-19.
    let q = Query {
        interval: Interval::Week(Weekday::Sun),
        ..Query::days((14, 0, 1), 7)
    };
    assert_eq!(q.run(&week_events()), week_expected());
    assert_eq!(q.labels()[0], "2020-06-07");
}

#[test]
fn posthog_test_groups_aggregating_group_1() {
    // aggregation_group_type_index 1: the user is the `$group_1` key; events without one are
    // left out (PostHog drops events whose group key is empty).
    let log = events(
        &[
            ("company:1", date(0, 5, 0)),
            ("company:1", date(-6, 5, 1)),
            ("company:1", date(15, 5, 1)),
        ],
        "$pageview",
    );
    let q = Query {
        interval: Interval::Week(Weekday::Sun),
        ..Query::days((10, 0, 1), 7)
    };
    assert_eq!(
        q.run(&log),
        vec![
            vec![1, 0, 0, 1, 0, 0, 1],
            vec![0, 0, 0, 0, 0, 0],
            vec![0, 0, 0, 0, 0],
            vec![1, 0, 0, 1],
            vec![0, 0, 0],
            vec![0, 0],
            vec![1],
        ]
    );
}

fn rolling_events() -> Vec<Ev> {
    events(
        &[
            ("person1", date(0, 5, 0)),
            ("person1", date(3, 5, 0)),
            ("person1", date(4, 5, 0)),
            ("person2", date(0, 5, 0)),
            ("person2", date(1, 5, 0)),
            ("person3", date(1, 5, 0)),
            ("person3", date(2, 5, 0)),
            ("person3", date(3, 5, 0)),
            ("person4", date(3, 5, 0)),
            ("person4", date(4, 5, 0)),
            ("person5", date(4, 5, 0)),
        ],
        "$pageview",
    )
}

#[test]
fn posthog_test_rolling_retention() {
    // cumulative = "on or after"; targetEntity and returningEntity "All events".
    let q = Query {
        start: "*",
        ret: "*",
        cumulative: true,
        ..Query::days((5, 6, 0), 5)
    };
    assert_eq!(
        q.run(&rolling_events()),
        vec![
            vec![2, 1, 1, 0, 0],
            vec![1, 1, 0, 0],
            vec![3, 2, 0],
            vec![3, 0],
            vec![0]
        ]
    );
}

#[test]
fn posthog_test_rolling_retention_doesnt_double_count_same_user() {
    let q = Query {
        start: "*",
        ret: "*",
        cumulative: true,
        ..Query::days((5, 6, 0), 6)
    };
    assert_eq!(
        q.run(&rolling_events()),
        vec![
            vec![2, 2, 1, 1, 1, 0],
            vec![2, 1, 1, 0, 0],
            vec![1, 1, 0, 0],
            vec![3, 2, 0],
            vec![3, 0],
            vec![0],
        ]
    );
}

#[test]
fn posthog_test_all_events_target_first_time() {
    let mut log = events(
        &[
            ("person1", date(0, 5, 0)),
            ("person1", date(1, 5, 0)),
            ("person1", date(2, 5, 0)),
        ],
        "event1",
    );
    log.extend(events(
        &[("person1", date(2, 5, 0)), ("person1", date(3, 5, 0))],
        "event2",
    ));
    let expected = vec![vec![0, 0, 0, 0], vec![0, 0, 0], vec![0, 0], vec![1]];
    for ret in ["*", "event2"] {
        let q = Query {
            start: "event2",
            ret,
            mode: RetentionMode::FirstTime,
            ..Query::days((2, 6, 0), 4)
        };
        assert_eq!(q.run(&log), expected, "return event {ret}");
    }
}

fn multiple_events() -> Vec<Ev> {
    let mut log = events(
        &[
            ("person1", date(0, 5, 0)),
            ("person1", date(1, 5, 0)),
            ("person1", date(2, 5, 0)),
            ("person1", date(3, 5, 0)),
            ("person2", date(0, 5, 0)),
            ("person2", date(1, 5, 0)),
            ("person2", date(2, 5, 0)),
            ("person2", date(3, 5, 0)),
            ("person3", date(5, 5, 0)),
        ],
        "$some_event",
    );
    log.extend(events(
        &[
            ("person1", date(5, 5, 0)),
            ("person1", date(6, 5, 0)),
            ("person2", date(5, 5, 0)),
        ],
        "$pageview",
    ));
    log
}

#[test]
fn posthog_test_retention_multiple_events() {
    let q = Query {
        start: "$some_event",
        ret: "$pageview",
        ..Query::days((6, 6, 0), 7)
    };
    assert_eq!(
        q.run(&multiple_events()),
        vec![
            vec![2, 0, 0, 0, 0, 2, 1],
            vec![2, 0, 0, 0, 2, 1],
            vec![2, 0, 0, 2, 1],
            vec![2, 0, 2, 1],
            vec![0, 0, 0],
            vec![1, 0],
            vec![0],
        ]
    );
}

#[test]
fn posthog_test_retention_any_event() {
    let q = Query {
        start: "*",
        ret: "*",
        ..Query::days((6, 6, 0), 7)
    };
    assert_eq!(
        q.run(&multiple_events()),
        vec![
            vec![2, 2, 2, 2, 0, 2, 1],
            vec![2, 2, 2, 0, 2, 1],
            vec![2, 2, 0, 2, 1],
            vec![2, 0, 2, 1],
            vec![0, 0, 0],
            vec![3, 1],
            vec![1],
        ]
    );
}

#[test]
fn posthog_test_retention_event_action() {
    let mut log = events(
        &[
            ("person1", date(0, 5, 0)),
            ("person1", date(1, 5, 0)),
            ("person1", date(2, 5, 0)),
            ("person1", date(3, 5, 0)),
            ("person2", date(0, 5, 0)),
            ("person2", date(1, 5, 0)),
            ("person2", date(2, 5, 0)),
            ("person2", date(3, 5, 0)),
        ],
        "sign up",
    );
    log.extend(events(
        &[("person1", date(3, 5, 0)), ("person2", date(5, 5, 0))],
        "$some_event",
    ));
    let q = Query {
        start: "sign up",
        ret: "$some_event",
        ..Query::days((6, 0, 0), 7)
    };
    assert_eq!(
        q.run(&log),
        vec![
            vec![2, 0, 0, 1, 0, 1, 0],
            vec![2, 0, 1, 0, 1, 0],
            vec![2, 1, 0, 1, 0],
            vec![2, 0, 1, 0],
            vec![0, 0, 0],
            vec![0, 0],
            vec![0],
        ]
    );
}

#[test]
fn posthog_test_retention_action_start_point() {
    let log: Vec<Ev> = day_interval_pageviews()
        .into_iter()
        .map(|e| e.with_name("sign up"))
        .collect();
    let q = Query {
        start: "sign up",
        ret: "sign up",
        ..Query::days((6, 0, 0), 7)
    };
    assert_eq!(
        q.run(&log),
        vec![
            vec![1, 1, 1, 0, 0, 1, 1],
            vec![2, 2, 1, 0, 1, 2],
            vec![2, 1, 0, 1, 2],
            vec![1, 0, 0, 1],
            vec![0, 0, 0],
            vec![1, 1],
            vec![2],
        ]
    );
}

/// `_create_first_time_retention_events`.
fn first_time_events() -> Vec<Ev> {
    let mut log = events(
        &[
            ("shouldnt_include", date(-5, 5, 0)),
            ("shouldnt_include", date(-1, 5, 0)),
            ("person1", date(-1, 5, 0)),
            ("person1", date(1, 5, 0)),
            ("person1", date(2, 5, 0)),
            ("person1", date(3, 5, 0)),
            ("person1", date(4, 5, 0)),
            ("person2", date(-1, 5, 0)),
        ],
        "$user_signed_up",
    );
    log.extend(day_interval_pageviews());
    log.extend(events(&[("person3", date(0, 5, 0))], "$user_signed_up"));
    log.extend(events(
        &[
            ("person3", date(1, 5, 0)),
            ("person3", date(3, 5, 0)),
            ("person3", date(4, 5, 0)),
            ("person3", date(5, 5, 0)),
        ],
        "$pageview",
    ));
    log.extend(events(&[("person4", date(2, 5, 0))], "$user_signed_up"));
    log.extend(events(
        &[("person4", date(3, 5, 0)), ("person4", date(5, 5, 0))],
        "$pageview",
    ));
    log
}

#[test]
fn posthog_test_first_time_retention() {
    let q = Query {
        start: "$user_signed_up",
        mode: RetentionMode::FirstTime,
        ..Query::days((5, 6, 0), 7)
    };
    assert_eq!(
        q.run(&first_time_events()),
        vec![
            vec![2, 1, 2, 2, 1, 0, 1],
            vec![1, 1, 0, 1, 1, 1],
            vec![0, 0, 0, 0, 0],
            vec![1, 1, 0, 1],
            vec![0, 0, 0],
            vec![0, 0],
            vec![0],
        ]
    );
}

#[test]
fn posthog_test_first_time_retention_weeks() {
    let q = Query {
        interval: Interval::Week(Weekday::Sun),
        start: "$user_signed_up",
        mode: RetentionMode::FirstTime,
        ..Query::days((5, 6, 0), 7)
    };
    assert_eq!(
        q.run(&first_time_events()),
        vec![
            vec![0, 0, 0, 0, 0, 0, 0],
            vec![0, 0, 0, 0, 0, 0],
            vec![0, 0, 0, 0, 0],
            vec![0, 0, 0, 0],
            vec![1, 0, 0],
            vec![4, 4],
            vec![0],
        ]
    );
}

#[test]
fn posthog_test_timezones_utc_and_us_pacific() {
    let log = events(
        &[
            ("person1", date(-1, 1, 0)),
            ("person1", date(0, 1, 0)),
            ("person1", date(1, 1, 0)), // the only event in US/Pacific on the first day
            ("person2", date(6, 1, 0)),
            ("person2", date(6, 9, 0)),
        ],
        "$pageview",
    );
    let utc = Query::days((10, 6, 0), 11);
    assert_eq!(
        utc.run(&log),
        vec![
            vec![1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            vec![1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            vec![0, 0, 0, 0, 0, 0, 0, 0, 0],
            vec![0, 0, 0, 0, 0, 0, 0, 0],
            vec![0, 0, 0, 0, 0, 0, 0],
            vec![0, 0, 0, 0, 0, 0],
            vec![1, 0, 0, 0, 0], // person 2
            vec![0, 0, 0, 0],
            vec![0, 0, 0],
            vec![0, 0],
            vec![0],
        ]
    );
    let pacific = Query {
        zone: "US/Pacific",
        ..Query::days((10, 6, 0), 11)
    };
    assert_eq!(
        pacific.run(&log),
        vec![
            vec![1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            vec![0, 0, 0, 0, 0, 0, 0, 0, 0],
            vec![0, 0, 0, 0, 0, 0, 0, 0],
            vec![0, 0, 0, 0, 0, 0, 0],
            vec![1, 1, 0, 0, 0, 0], // person 2 is across two dates in US/Pacific
            vec![1, 0, 0, 0, 0],
            vec![0, 0, 0, 0],
            vec![0, 0, 0],
            vec![0, 0],
            vec![0],
        ]
    );
    // result_pacific[0]["date"].isoformat() == "2020-06-10T00:00:00-07:00"
    let zone = Zone::parse("US/Pacific").unwrap();
    let spec = RetentionParams::new(
        Calendar::new(zone, Interval::Day),
        local_to_utc(&zone, naive(10, 6, 0)),
        11,
    )
    .check()
    .unwrap();
    assert_eq!(
        spec.window_start(),
        Utc.with_ymd_and_hms(2020, 6, 10, 7, 0, 0).unwrap()
    );
}

#[test]
fn posthog_test_retention_with_user_properties() {
    // properties: person email == person1@test.com, applied by the host before the fold.
    let log: Vec<Ev> = day_interval_pageviews()
        .into_iter()
        .filter(|e| e.user == "person1")
        .collect();
    let q = Query::days((6, 0, 0), 7);
    assert_eq!(
        q.run(&log),
        vec![
            vec![1, 1, 1, 0, 0, 1, 1],
            vec![1, 1, 0, 0, 1, 1],
            vec![1, 0, 0, 1, 1],
            vec![0, 0, 0, 0],
            vec![0, 0, 0],
            vec![1, 1],
            vec![1],
        ]
    );
}

#[test]
fn posthog_test_filter_test_accounts() {
    // person1 has a test account email and is filtered out by the host.
    let log: Vec<Ev> = day_interval_pageviews()
        .into_iter()
        .filter(|e| e.user != "person1")
        .collect();
    let q = Query::days((10, 6, 0), 11);
    assert_eq!(
        q.run(&log),
        vec![
            vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            vec![1, 1, 1, 0, 0, 1, 0, 0, 0, 0],
            vec![1, 1, 0, 0, 1, 0, 0, 0, 0],
            vec![1, 0, 0, 1, 0, 0, 0, 0],
            vec![0, 0, 0, 0, 0, 0, 0],
            vec![0, 0, 0, 0, 0, 0],
            vec![1, 0, 0, 0, 0],
            vec![0, 0, 0, 0],
            vec![0, 0, 0],
            vec![0, 0],
            vec![0],
        ]
    );
}

#[test]
fn posthog_test_retention_with_properties() {
    // `_create_events` sets `$some_property` on even-indexed events; the query filters on it.
    let log: Vec<Ev> = day_interval_pageviews()
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, e)| e)
        .collect();
    let q = Query::days((10, 0, 0), 11);
    assert_eq!(
        q.run(&log),
        vec![
            vec![1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0],
            vec![1, 0, 1, 0, 0, 0, 0, 0, 0, 0],
            vec![1, 0, 0, 1, 0, 0, 0, 0, 0],
            vec![1, 0, 0, 0, 0, 0, 0, 0],
            vec![0, 0, 0, 0, 0, 0, 0],
            vec![1, 0, 0, 0, 0, 0],
            vec![0, 0, 0, 0, 0],
            vec![0, 0, 0, 0],
            vec![0, 0, 0],
            vec![0, 0],
            vec![0],
        ]
    );
}

/// The day-interval pageviews, with those at `marked` indices also logged under `alias`
/// (same instant): a filter on only the start or only the return entity.
fn with_second_name(marked: &[usize], alias: &str) -> Vec<Ev> {
    let base = day_interval_pageviews();
    let mut log = base.clone();
    for i in marked {
        let e = &base[*i];
        log.push(ev(&e.user, e.at, alias));
    }
    log
}

#[test]
fn posthog_test_retention_with_properties_on_start_event() {
    // Only person1's day-0 pageview has `$target_event_property`.
    let q = Query {
        start: "$pageview[target]",
        ..Query::days((10, 0, 0), 11)
    };
    let mut expected = vec![vec![1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0]];
    expected.extend((1..11).map(|i| vec![0; 11 - i]));
    assert_eq!(
        q.run(&with_second_name(&[0], "$pageview[target]")),
        expected
    );
}

#[test]
fn posthog_test_retention_with_properties_on_start_event_for_first_time() {
    // person1's day-2 and day-5 pageviews have the property; the first one makes the cohort.
    let q = Query {
        start: "$pageview[target]",
        mode: RetentionMode::FirstTime,
        ..Query::days((10, 0, 0), 11)
    };
    let mut expected: Vec<Vec<u64>> = (0..11).map(|i| vec![0; 11 - i]).collect();
    expected[2] = vec![1, 0, 0, 1, 1, 0, 0, 0, 0];
    assert_eq!(
        q.run(&with_second_name(&[2, 3], "$pageview[target]")),
        expected
    );
}

#[test]
fn posthog_test_retention_with_properties_on_return_event() {
    // Only person1's day-1 pageview has the property: one match, 1 day after for person 1.
    let q = Query {
        ret: "$pageview[target]",
        ..Query::days((10, 0, 0), 11)
    };
    let mut expected: Vec<Vec<u64>> = vec![
        vec![1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        vec![2, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        vec![2, 0, 0, 0, 0, 0, 0, 0, 0],
        vec![1, 0, 0, 0, 0, 0, 0, 0],
        vec![0, 0, 0, 0, 0, 0, 0],
        vec![1, 0, 0, 0, 0, 0],
        vec![2, 0, 0, 0, 0],
    ];
    expected.extend((7..11).map(|i| vec![0; 11 - i]));
    assert_eq!(
        q.run(&with_second_name(&[1], "$pageview[target]")),
        expected
    );
}

#[test]
fn posthog_test_retention_with_properties_on_return_event_with_first_time() {
    // Only person1's first day-5 pageview has the property: one match, 5 days after.
    let q = Query {
        ret: "$pageview[target]",
        mode: RetentionMode::FirstTime,
        ..Query::days((10, 0, 0), 11)
    };
    let mut expected: Vec<Vec<u64>> = (0..11).map(|i| vec![0; 11 - i]).collect();
    expected[0] = vec![1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0];
    expected[1] = vec![1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(
        q.run(&with_second_name(&[3], "$pageview[target]")),
        expected
    );
}

#[test]
fn dst_days_are_one_day_each_in_los_angeles() {
    // Hand-built (not from PostHog): daily cohorts in America/Los_Angeles around the
    // spring-forward day 2025-03-09 (23 hours long; PST = UTC-8 before, PDT = UTC-7 after).
    //
    //   user a: 2025-03-09 07:30Z = 03-08 23:30 PST  -> local day 03-08 (cohort 0)
    //           2025-03-10 06:30Z = 03-09 23:30 PDT  -> local day 03-09 (+1)
    //           2025-03-10 07:30Z = 03-10 00:30 PDT  -> local day 03-10 (+2)
    //   user b: 2025-03-09 09:30Z = 03-09 01:30 PST  -> local day 03-09 (cohort 1)
    //           2025-03-11 06:59Z = 03-10 23:59 PDT  -> local day 03-10 (+1)
    //
    // A fixed UTC-8 offset would put a's 03-10 07:30Z event on 03-09 (23:30), merging a's
    // last two days; UTC days would move a's first event to 03-09.
    let t = |d, h, m| Utc.with_ymd_and_hms(2025, 3, d, h, m, 0).unwrap();
    let log = vec![
        ev("a", t(9, 7, 30), "open"),
        ev("a", t(10, 6, 30), "open"),
        ev("a", t(10, 7, 30), "open"),
        ev("b", t(9, 9, 30), "open"),
        ev("b", t(11, 6, 59), "open"),
    ];
    let la = Zone::parse("America/Los_Angeles").unwrap();
    // date_to 2025-03-10 12:00 PDT = 19:00Z: window 03-08, 03-09, 03-10.
    let spec = RetentionParams::new(Calendar::new(la, Interval::Day), t(10, 19, 0), 3)
        .check()
        .unwrap();
    assert_eq!(
        spec.period_labels(),
        ["2025-03-08", "2025-03-09", "2025-03-10"]
    );
    // The DST day runs from 08:00Z to 07:00Z the next day: 23 hours.
    let report = fold(RetentionSummary::new(spec), &log)
        .unwrap()
        .finish()
        .unwrap();
    let counts: Vec<Vec<u64>> = report.cohorts.iter().map(|c| c.counts.clone()).collect();
    // 03-08: a -> back 03-09 and 03-10; 03-09: a and b -> both back on 03-10; 03-10: a, b.
    assert_eq!(counts, vec![vec![1, 1, 1], vec![2, 2], vec![2]]);
    assert_eq!(
        report.window_end - report.window_start,
        chrono::TimeDelta::hours(24 + 23 + 24)
    );
    // First-time: a's cohort is 03-08, b's 03-09.
    let spec = RetentionParams::new(Calendar::new(la, Interval::Day), t(10, 19, 0), 3)
        .mode(RetentionMode::FirstTime)
        .check()
        .unwrap();
    let report = fold(RetentionSummary::new(spec), &log)
        .unwrap()
        .finish()
        .unwrap();
    let counts: Vec<Vec<u64>> = report.cohorts.iter().map(|c| c.counts.clone()).collect();
    assert_eq!(counts, vec![vec![1, 1, 1], vec![1, 1], vec![0]]);
}

// ---------------------------------------------------------------- stickiness

/// `_create_test_events` of the stickiness tests: p1 every day 01-11..01-19, p2 every other
/// day; each event both `$pageview` and `$pageleave`.
fn stickiness_events() -> Vec<Ev> {
    let day = |d| Utc.with_ymd_and_hms(2020, 1, d, 12, 0, 0).unwrap();
    let mut log = Vec::new();
    for (user, days) in [
        ("p1", vec![11, 12, 13, 14, 15, 16, 17, 18, 19]),
        ("p2", vec![11, 13, 15, 17, 19]),
    ] {
        for name in ["$pageview", "$pageleave"] {
            for d in &days {
                log.push(ev(user, day(*d), name));
            }
        }
    }
    log
}

fn stickiness(
    log: &[Ev],
    interval: Interval,
    from: (u32, u32),
    to: (u32, u32),
    event: &str,
    criterion: EventsPerPeriod,
) -> userops::retention::StickinessReport {
    let at = |(m, d): (u32, u32)| Utc.with_ymd_and_hms(2020, m, d, 0, 0, 0).unwrap();
    let spec = StickinessParams::new(Calendar::new(Utc, interval), at(from), at(to))
        .event(event)
        .events_per_period(criterion)
        .check()
        .unwrap();
    fold(StickinessSummary::new(spec), log)
        .unwrap()
        .finish()
        .unwrap()
}

#[test]
fn posthog_stickiness_intervals() {
    let log = stickiness_events();
    // test_interval_day: days [1..10], data [0,0,0,0,1,0,0,0,1,0]; test_count: 2
    let r = stickiness(
        &log,
        Interval::Day,
        (1, 11),
        (1, 20),
        "$pageview",
        EventsPerPeriod::AtLeast(1),
    );
    assert_eq!(r.users, [0, 0, 0, 0, 1, 0, 0, 0, 1, 0]);
    assert_eq!(r.total_users, 2);
    // test_interval_week: [0, 0, 2]
    let r = stickiness(
        &log,
        Interval::Week(Weekday::Sun),
        (1, 11),
        (1, 20),
        "$pageview",
        EventsPerPeriod::AtLeast(1),
    );
    assert_eq!(r.users, [0, 0, 2]);
    // test_interval_month: [2]
    let r = stickiness(
        &log,
        Interval::Month,
        (1, 11),
        (1, 20),
        "$pageview",
        EventsPerPeriod::AtLeast(1),
    );
    assert_eq!(r.users, [2]);
    // test_any_event: [0,0,0,0,1,0,0,0,1,0]
    let r = stickiness(
        &log,
        Interval::Day,
        (1, 11),
        (1, 20),
        "*",
        EventsPerPeriod::AtLeast(1),
    );
    assert_eq!(r.users, [0, 0, 0, 0, 1, 0, 0, 0, 1, 0]);
    // test_compare_to, current period 01-12..01-20: [0,0,0,1,0,0,0,1,0]
    let r = stickiness(
        &log,
        Interval::Day,
        (1, 12),
        (1, 20),
        "$pageview",
        EventsPerPeriod::AtLeast(1),
    );
    assert_eq!(r.users, [0, 0, 0, 1, 0, 0, 0, 1, 0]);
}

#[test]
fn posthog_stickiness_criteria() {
    // test_criteria: stickinessCriteria gte 2 (events per day).
    let day = |d| Utc.with_ymd_and_hms(2020, 1, d, 12, 0, 0).unwrap();
    let mut log = Vec::new();
    for d in [11, 11, 13, 13, 15, 15, 17, 17, 17, 19] {
        log.push(ev("p1", day(d), "$pageview"));
    }
    for d in [12, 12, 13, 13, 19] {
        log.push(ev("p2", day(d), "$pageview"));
    }
    let r = stickiness(
        &log,
        Interval::Day,
        (1, 12),
        (1, 20),
        "$pageview",
        EventsPerPeriod::AtLeast(2),
    );
    assert_eq!(r.total_users, 2);
    assert_eq!(r.users, [0, 1, 1, 0, 0, 0, 0, 0, 0]);
    // operator lte 1 over 01-12..01-20: p1 has one event on 01-19 only (1 day), p2 on 01-19
    // only (1 day).
    let r = stickiness(
        &log,
        Interval::Day,
        (1, 12),
        (1, 20),
        "$pageview",
        EventsPerPeriod::AtMost(1),
    );
    assert_eq!(r.total_users, 2);
    assert_eq!(r.users, [2, 0, 0, 0, 0, 0, 0, 0, 0]);
    // operator exact 2 over 01-11..01-20: p1 on 01-11, 13, 15 (3 days), p2 on 01-12, 13 (2).
    let r = stickiness(
        &log,
        Interval::Day,
        (1, 11),
        (1, 20),
        "$pageview",
        EventsPerPeriod::Exactly(2),
    );
    assert_eq!(r.total_users, 2);
    assert_eq!(r.users, [0, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn posthog_cumulative_stickiness() {
    let day = |d, h| Utc.with_ymd_and_hms(2020, 1, d, h, 0, 0).unwrap();
    // test_cumulative_stickiness: p1 3 days, p2 2 days, p3 1 day -> [3, 2, 1], count 3
    let log = vec![
        ev("p1", day(11, 12), "$pageview"),
        ev("p1", day(12, 12), "$pageview"),
        ev("p1", day(13, 12), "$pageview"),
        ev("p2", day(11, 12), "$pageview"),
        ev("p2", day(12, 12), "$pageview"),
        ev("p3", day(11, 12), "$pageview"),
    ];
    let r = stickiness(
        &log,
        Interval::Day,
        (1, 11),
        (1, 13),
        "$pageview",
        EventsPerPeriod::AtLeast(1),
    );
    assert_eq!(r.cumulative, [3, 2, 1]);
    assert_eq!(r.total_users, 3);
    // test_cumulative_stickiness_zero_days: no events -> [0, 0, 0]
    let r = stickiness(
        &[],
        Interval::Day,
        (1, 11),
        (1, 13),
        "$pageview",
        EventsPerPeriod::AtLeast(1),
    );
    assert_eq!(r.cumulative, [0, 0, 0]);
    // test_cumulative_stickiness_with_criteria (gte 2) -> [2, 1, 0]
    let log = vec![
        ev("p1", day(11, 12), "$pageview"),
        ev("p1", day(11, 12), "$pageview"),
        ev("p1", day(12, 12), "$pageview"),
        ev("p1", day(12, 12), "$pageview"),
        ev("p1", day(13, 12), "$pageview"),
        ev("p2", day(11, 12), "$pageview"),
        ev("p2", day(11, 12), "$pageview"),
        ev("p2", day(12, 12), "$pageview"),
        ev("p3", day(11, 12), "$pageview"),
    ];
    let r = stickiness(
        &log,
        Interval::Day,
        (1, 11),
        (1, 13),
        "$pageview",
        EventsPerPeriod::AtLeast(2),
    );
    assert_eq!(r.cumulative, [2, 1, 0]);
}

#[cfg(feature = "csv")]
#[test]
fn posthog_test_day_interval_from_csv_file() {
    // The same events as `test_day_interval`, read from tests/data the way the `retention`
    // example reads them (times without offset read in the zone, here UTC).
    use userops::csv::{CsvSpec, read_events_from_path};
    let read = read_events_from_path(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/retention_posthog_day_interval.csv"
        ),
        &CsvSpec::new("person", "timestamp")
            .name("event")
            .zone(Zone::Utc),
    )
    .unwrap();
    assert_eq!((read.rows_read, read.rejected.len()), (10, 0));
    let q = Query::days((10, 6, 0), 11);
    assert_eq!(q.run(&read.events), day_interval_expected());
}

#[test]
fn first_time_signup_cohorts_are_the_new_users_of_each_month() {
    // In the sample data every user's first event is their sign-up, so the first-time cohort
    // of a month must be the month's new users as the foundation's `PeriodTotals` counts them.
    use userops::activity::PeriodTotals;
    use userops::sample::{SampleConfig, generate};
    let data = generate(&SampleConfig::new(1_500).seed(11)).unwrap();
    let months = data.config.months as usize;
    let spec = RetentionParams::new(
        Calendar::new(Zone::Utc, Interval::Month),
        data.end - chrono::TimeDelta::seconds(1),
        months,
    )
    .start_event("signup")
    .mode(RetentionMode::FirstTime)
    .check()
    .unwrap();
    let table = fold(RetentionSummary::new(spec), &data.events)
        .unwrap()
        .finish()
        .unwrap();
    let totals = fold(
        PeriodTotals::new(Calendar::new(Zone::Utc, Interval::Month)),
        &data.events,
    )
    .unwrap()
    .finish()
    .unwrap();
    let sizes: Vec<u64> = table.cohorts.iter().map(|c| c.size()).collect();
    let new_users: Vec<u64> = totals.rows.iter().map(|r| r.new_users).collect();
    assert_eq!(sizes, new_users);
    assert_eq!(table.cohort_users, 1_500);
}

#[test]
fn mean_retention_curve_of_the_day_interval_table() {
    // By hand from PostHog's day-interval triangle (cohorts of size 0 add nothing):
    //   +1: cells 1, 2, 1, 0, 1, 0 over sizes 1, 2, 2, 1, 1, 2  -> 5 / 9
    //   +2: cells 1, 1, 0, 0, 0, 0 over sizes 1, 2, 2, 1, 1, 2  -> 2 / 9
    //   +10: only cohort 0 (size 1, cell 0)                     -> 0 / 1
    let spec = RetentionParams::new(Calendar::new(Zone::Utc, Interval::Day), date(10, 6, 0), 11)
        .start_event("$pageview")
        .return_event("$pageview")
        .check()
        .unwrap();
    let log = day_interval_pageviews();
    let report = fold(RetentionSummary::new(spec), &log)
        .unwrap()
        .finish()
        .unwrap();
    let mean = report.mean_rates();
    assert_eq!(mean[0], Some(1.0));
    assert!((mean[1].unwrap() - 5.0 / 9.0).abs() < 1e-12);
    assert!((mean[2].unwrap() - 2.0 / 9.0).abs() < 1e-12);
    assert_eq!(mean[10], Some(0.0));
    assert!(report.to_string().contains("55.6%"));
}

// ------------------------------------------------ minimumOccurrences (min_return_events)

#[test]
fn posthog_test_all_events_with_minimum_occurrences() {
    let q = Query {
        start: "*",
        min_occurrences: 2,
        ..Query::days((10, 6, 0), 11)
    };
    assert_eq!(
        q.run(&day_interval_pageviews()),
        vec![
            vec![1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0],
            vec![2, 0, 0, 0, 1, 0, 0, 0, 0, 0],
            vec![2, 0, 0, 1, 0, 0, 0, 0, 0],
            vec![1, 0, 0, 0, 0, 0, 0, 0],
            vec![0, 0, 0, 0, 0, 0, 0],
            vec![1, 0, 0, 0, 0, 0],
            vec![2, 0, 0, 0, 0],
            vec![0, 0, 0, 0],
            vec![0, 0, 0],
            vec![0, 0],
            vec![0],
        ]
    );
}

#[test]
fn posthog_test_rolling_retention_with_minimum_occurrences() {
    let mut rows = vec![("person1", date(0, 5, 0)), ("person1", date(3, 5, 0))];
    rows.extend([("person1", date(4, 5, 0)); 3]);
    rows.extend([
        ("person2", date(0, 5, 0)),
        ("person2", date(1, 5, 0)),
        ("person3", date(1, 5, 0)),
        ("person3", date(2, 5, 0)),
    ]);
    rows.extend([("person3", date(3, 5, 0)); 3]);
    rows.extend([
        ("person4", date(3, 5, 0)),
        ("person4", date(4, 5, 0)),
        ("person5", date(4, 5, 0)),
    ]);
    let q = Query {
        start: "*",
        ret: "*",
        cumulative: true,
        min_occurrences: 3,
        ..Query::days((5, 6, 0), 5)
    };
    assert_eq!(
        q.run(&events(&rows, "$pageview")),
        vec![
            vec![2, 1, 1, 0, 0],
            vec![1, 1, 0, 0],
            vec![3, 1, 0],
            vec![3, 0],
            vec![0]
        ]
    );
}

#[test]
fn posthog_test_retention_with_user_properties_and_minimum_occurrences() {
    // person1's events twice over, plus a single day-3 event (a start, not a return).
    let once: Vec<Ev> = day_interval_pageviews()
        .into_iter()
        .filter(|e| e.user == "person1")
        .collect();
    let mut log = once.clone();
    log.extend(once);
    log.extend(events(&[("person1", date(3, 5, 0))], "$pageview"));
    let q = Query {
        min_occurrences: 2,
        ..Query::days((6, 0, 0), 7)
    };
    assert_eq!(
        q.run(&log),
        vec![
            vec![1, 1, 1, 0, 0, 1, 1],
            vec![1, 1, 0, 0, 1, 1],
            vec![1, 0, 0, 1, 1],
            vec![1, 0, 1, 1],
            vec![0, 0, 0],
            vec![1, 1],
            vec![1],
        ]
    );
}
