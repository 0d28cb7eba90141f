//! Issue 18: the hostile inputs that broke the crate's promises, each with the exact error (or
//! the hand-computed result) it must now give. By class: panics, memory without bound, hangs,
//! inf/NaN reported as success, rows lost or wrongly rejected, errors that don't help.

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc, Weekday};
use userops::Error;
use userops::csv::{CsvSpec, Delimiter, RejectReason, read_events, read_rows};
use userops::lifecycle::LifecycleSummary;
use userops::ltv::{BgNbdParams, ClvOptions, Customer, GammaGammaParams, TimeUnit, clv};
use userops::ops::experiment::{Moments, chi_square, welch_t_test};
use userops::rfm::{CustomerRow, Method, RfmTable, ScoreParams, SegmentRule, SegmentRules};
use userops::sample::{SampleConfig, generate};
use userops::time::{Calendar, Interval, Period, parse_instant};

const SCALE_HINT: &str =
    "the values are too large to add up: rescale them (e.g. cents to millions) and run again";

fn ymd(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

// ---- 1. Panics --------------------------------------------------------------------------

#[test]
fn welch_on_plus_minus_1e308_is_an_overflow_not_a_statrs_panic() {
    // The control's variance is (1e308² + 1e308²) / 2 = 1e616: beyond f64.
    let err = welch_t_test(&[1e308, -1e308, 0.0], &[1.0, 2.0, 3.0], 0.95).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "overflow: the sum of squared deviations of the values is too large to represent; {SCALE_HINT}"
        )
    );
    // Big but representable: mean 0, m2 = 2 · 1e150² = 2e300, finite.
    let m = Moments::of(&[1e150, -1e150, 0.0]).unwrap();
    assert_eq!(m.mean, 0.0);
    assert!((m.m2 - 2e300).abs() < 1e288, "{m:?}");
}

#[test]
fn chronos_first_date_is_refused_by_the_parser_and_the_reader() {
    let err = parse_instant("-262143-01-01", &Utc).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot parse time \"-262143-01-01\": outside the supported instants \
         0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z"
    );
    let text = "user,time\nana,-262143-01-01\nbo,+262142-12-31\ncy,2025-01-01\n";
    let read = read_events(text.as_bytes(), &CsvSpec::new("user", "time")).unwrap();
    assert_eq!(read.rows_read, 3);
    assert_eq!(read.events.len(), 1);
    assert_eq!(
        read.rejected[0].to_string(),
        "line 2: time is outside the supported instants 0001-01-01T00:00:00Z to \
         9999-12-31T23:59:59Z: \"-262143-01-01\""
    );
    assert_eq!(read.rejected[1].line, 3);
    // The edges themselves are supported.
    assert!(parse_instant("0001-01-01", &Utc).is_ok());
    assert!(parse_instant("9999-12-31T23:59:59Z", &Utc).is_ok());
}

#[test]
fn weekly_bucketing_at_chronos_first_date_does_not_panic() {
    let p = Period::containing(NaiveDate::MIN, Interval::Week(Weekday::Sun));
    // The week would start before chrono's first date: it saturates there.
    assert_eq!(p.start(), NaiveDate::MIN);
    let cal = Calendar::new(Utc, Interval::Week(Weekday::Mon));
    let _ = cal.period_of(DateTime::<Utc>::MIN_UTC);
    let err = cal
        .periods(DateTime::<Utc>::MIN_UTC, ymd(2025, 1, 1))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`from` -262143-01-01 00:00:00 UTC is outside the supported instants \
         0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z; correct the date or leave the row out"
    );
}

#[test]
fn period_offset_saturates_as_documented() {
    let day = Period::containing(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), Interval::Day);
    assert_eq!(day.offset(i64::MAX).start(), NaiveDate::MAX);
    assert_eq!(day.offset(i64::MIN).start(), NaiveDate::MIN);
    let week = Period::containing(
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        Interval::Week(Weekday::Mon),
    );
    assert!(week.offset(i64::MAX).start() > NaiveDate::from_ymd_opt(262_000, 1, 1).unwrap());
    let month = Period::containing(
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        Interval::Month,
    );
    assert_eq!(month.offset(i64::MIN).start(), NaiveDate::MIN);
}

#[test]
fn a_sample_of_u64_max_users_is_refused_before_allocating() {
    let err = generate(&SampleConfig::new(u64::MAX)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`users` asks for 18446744073709551615 users, more than the cap of 20000000 users; \
         generate fewer users (or several logs with different seeds)"
    );
    let err = generate(&SampleConfig::new(10_000_000).events_per_user(1000.0)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooLarge {
                name: "events_per_user",
                ..
            }
        ),
        "{err}"
    );
}

fn one_segment() -> SegmentRules {
    SegmentRules::new(vec![SegmentRule::new("All", [1, 5], [1, 5], [1, 5])]).unwrap()
}

#[test]
fn order_counts_near_u64_max_overflow_the_segment_sums_as_an_error() {
    let half = u64::MAX / 2 + 1;
    let rows = (0..5_u32).map(|i| CustomerRow::new(i, f64::from(i), half, 10.0));
    let table = RfmTable::<u32>::from_customers(rows).unwrap();
    let scores = ScoreParams::new(Method::Quantile)
        .check()
        .unwrap()
        .score(&table)
        .unwrap();
    let err = one_segment().segment(&scores).unwrap_err();
    assert_eq!(
        err.to_string(),
        "overflow: the orders of segment \"All\" is too large to represent; the counts pass \
         u64::MAX: split the data and report the parts"
    );
}

// ---- 2. Memory without bound --------------------------------------------------------------

#[test]
fn a_daily_range_over_all_supported_years_is_refused_not_allocated() {
    let cal = Calendar::new(Utc, Interval::Day);
    let (from, to) = (ymd(1, 1, 1), ymd(9999, 12, 31));
    // 0001-01-01 ..= 9999-12-31 is 3,652,059 days (days_from_ce of 9999-12-31).
    let err = cal.periods(from, to).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`to` asks for 3652059 periods (day), more than the cap of 100000 periods; use a longer \
         interval (week, month) or a shorter range"
    );
    assert!(cal.grid(from, to).is_err());
    // Lifecycle adds one lead period before `from`: one more.
    let err = LifecycleSummary::<String, _>::new(cal, from, to).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("`to` asks for 3652060 periods (day)"),
        "{err}"
    );
    // Whole supported range by month is 119,988 months: above the cap too.
    let months = Calendar::new(Utc, Interval::Month);
    assert!(matches!(
        months.periods(from, to),
        Err(Error::TooLarge { name: "to", .. })
    ));
    // A century by week is fine: 5,218 or 5,219 weeks.
    let n = Calendar::new(Utc, Interval::Week(Weekday::Mon))
        .periods(ymd(1900, 1, 1), ymd(1999, 12, 31))
        .unwrap()
        .len();
    assert!((5218..=5219).contains(&n), "{n}");
}

// ---- 3. Hangs ------------------------------------------------------------------------------

#[test]
fn a_clv_horizon_beyond_the_cap_is_refused() {
    let err = ClvOptions::new(u32::MAX).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`months` asks for 4294967295 months, more than the cap of 1200 months; forecast at \
         most 100 years ahead"
    );
    let hand_built = ClvOptions {
        months: 5000,
        monthly_discount: 0.0,
    };
    let bg = BgNbdParams::new(0.2426, 4.4137, 0.7930, 2.4262, TimeUnit::Week).unwrap();
    let gg = GammaGammaParams::new(6.25, 3.74, 15.44).unwrap();
    let c = [Customer::new(2, 30.43, 38.86).unwrap().with_monetary(22.35)];
    assert!(matches!(
        clv(&bg, &gg, &c, &hand_built),
        Err(Error::TooLarge { name: "months", .. })
    ));
}

#[test]
fn the_shadowed_rule_check_is_near_linear_in_the_rules() {
    // 32,768 copies of one rule: every copy after the first is shadowed by the first.
    let rules: Vec<SegmentRule> = (0..32_768)
        .map(|i| SegmentRule::new(format!("r{i}"), [1, 5], [1, 5], [1, 5]))
        .collect();
    let rules = SegmentRules::new(rules).unwrap();
    let start = Instant::now();
    let dead = rules.unreachable((5, 5, 5));
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(dead.len(), 32_767);
    assert_eq!(dead[0].index, 1);
    assert_eq!(dead[0].covered_by, ["r0"]);
    assert_eq!(dead[32_766].covered_by, ["r0"]);
}

// ---- 4. inf / NaN reported as success -------------------------------------------------------

#[test]
fn segment_revenue_that_overflows_is_an_error_not_inf() {
    let rows = (0..4_u32).map(|i| CustomerRow::new(i, f64::from(i), 1, 1e308));
    let table = RfmTable::<u32>::from_customers(rows).unwrap();
    let scores = ScoreParams::new(Method::Quantile)
        .check()
        .unwrap()
        .score(&table)
        .unwrap();
    let err = one_segment().segment(&scores).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("overflow: the revenue of segment \"All\" is too large to represent; {SCALE_HINT}")
    );
}

#[test]
fn clv_with_a_discount_near_minus_one_is_an_error_not_inf() {
    // Each month is worth 1 / (1 - 0.999) = 1000 times the one before: 1000^103 > f64::MAX.
    let bg = BgNbdParams::new(0.2426, 4.4137, 0.7930, 2.4262, TimeUnit::Week).unwrap();
    let gg = GammaGammaParams::new(6.25, 3.74, 15.44).unwrap();
    let c = [Customer::new(2, 30.43, 38.86).unwrap().with_monetary(22.35)];
    let options = ClvOptions::new(120).unwrap().discount(-0.999).unwrap();
    let err = clv(&bg, &gg, &c, &options).unwrap_err();
    assert_eq!(
        err.to_string(),
        "overflow: the discounted purchases over 120 months at a monthly discount of -0.999 \
         is too large to represent; use a discount rate further from -1 or a shorter horizon"
    );
}

#[test]
fn chi_square_on_counts_near_1e300_is_computed_not_nan() {
    // By hand: rows and columns sum to 4e300, total 8e300, every expected count 2e300; each
    // |o - e| = 1e300 and (1e300)² / 2e300 = 5e299; four cells: 2e300.
    let r = chi_square(&[vec![3e300, 1e300], vec![1e300, 3e300]], false).unwrap();
    assert!((r.statistic / 2e300 - 1.0).abs() < 1e-12, "{}", r.statistic);
    assert_eq!(r.p_value, 0.0);
    // Equal counts: no association at all.
    let r = chi_square(&[vec![1e300, 1e300], vec![1e300, 1e300]], true).unwrap();
    assert_eq!((r.statistic, r.p_value), (0.0, 1.0));
    // A row sum beyond f64::MAX is an overflow.
    let err = chi_square(&[vec![1.7e308, 1.7e308], vec![1.0, 1.0]], false).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("overflow: the sum of row 1 is too large to represent; {SCALE_HINT}")
    );
}

// ---- 5. Rows lost or wrongly rejected -------------------------------------------------------

#[test]
fn cr_only_line_ends_in_a_whitespace_file_are_three_rows() {
    let text = "u1 x 19970101 1 10\ru2 x not-a-date 1 20\ru3 x 19970103 1 30\r";
    let read = read_events(text.as_bytes(), &CsvSpec::cdnow()).unwrap();
    assert_eq!(read.rows_read, 3);
    assert_eq!(read.events.len(), 2);
    assert_eq!(
        read.rejected[0].to_string(),
        "line 2: time cannot be parsed: \"not-a-date\""
    );
    // \r\n is one line end, not two.
    let text = "u1 x 19970101 1 10\r\nu2 x bad 1 20\r\n";
    let read = read_events(text.as_bytes(), &CsvSpec::cdnow()).unwrap();
    assert_eq!(read.rejected[0].line, 2);
}

#[test]
fn a_headerless_first_row_of_another_width_does_not_reject_the_rest() {
    let text = "oops 19970101\nu1 x 19970101 1 10\nu2 x 19970102 1 20\n";
    let read = read_events(text.as_bytes(), &CsvSpec::cdnow()).unwrap();
    assert_eq!(read.rows_read, 3);
    assert_eq!(read.events.len(), 2);
    assert_eq!(
        read.rejected[0].to_string(),
        "line 1: wrong field count: expected 5, found 2"
    );
    // The first accepted row fixes the width: a later row of 6 fields is wrong.
    let text = "a,1997-01-01\nb,1997-01-02,x\nc,1997-01-03\n";
    let spec = CsvSpec::new(0_usize, 1_usize).header(false);
    let read = read_events(text.as_bytes(), &spec).unwrap();
    assert_eq!(read.events.len(), 2);
    assert_eq!(
        read.rejected[0].to_string(),
        "line 2: wrong field count: expected 2, found 3"
    );
}

#[test]
fn an_unterminated_quote_is_named_and_the_rows_after_it_are_read() {
    let text = "user,time\nana,2025-01-01\n\"bo,2025-01-02\ncy,2025-01-03\ndi,2025-01-04\n";
    let read = read_events(text.as_bytes(), &CsvSpec::new("user", "time")).unwrap();
    assert_eq!(read.rows_read, 4);
    assert_eq!(
        read.events
            .iter()
            .map(|e| e.user.as_str())
            .collect::<Vec<_>>(),
        ["ana", "cy", "di"]
    );
    assert_eq!(read.rejected[0].line, 3);
    assert_eq!(read.rejected[0].reason, RejectReason::UnterminatedQuote);
    assert_eq!(
        read.rejected[0].reason.to_string(),
        "unterminated quote: a quoted field opens on this line and is never closed (the rows \
         after it were read without it); close the quote or remove it"
    );
    // A quoted line break that is closed is one row, not an error.
    let text = "user,time,name\nana,2025-01-01,\"two\nlines\"\nbo,2025-01-02,x\n";
    let spec = CsvSpec::new("user", "time").name("name");
    let read = read_events(text.as_bytes(), &spec).unwrap();
    assert_eq!((read.rows_read, read.events.len()), (2, 2));
}

#[test]
fn line_numbers_stay_right_after_blank_lines() {
    let text = "user,time,amount\n\nana,2025-01-01,1\n\n\nbo,nope,2\n\ncy,2025-01-03,x\n";
    let spec = CsvSpec::new("user", "time").amount("amount");
    let read = read_events(text.as_bytes(), &spec).unwrap();
    let lines: Vec<u64> = read.rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, [6, 8]);
    // The same in a whitespace file and with \r\n line ends.
    let text = "user time\r\n\r\nana 2025-01-01\r\n\r\nbo nope\r\n";
    let spec = CsvSpec::new("user", "time").delimiter(Delimiter::Whitespace);
    let read = read_events(text.as_bytes(), &spec).unwrap();
    assert_eq!(read.rejected[0].line, 5);
    let text = "user,time\r\n\r\nana,2025-01-01\r\n\r\nbo,nope\r\n";
    let read = read_events(text.as_bytes(), &CsvSpec::new("user", "time")).unwrap();
    assert_eq!(read.rejected[0].line, 5);
    // read_rows counts the same way.
    let mut seen = Vec::new();
    read_rows("a\n\n\nb\n".as_bytes(), b',', |line, _| {
        seen.push(line);
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, [1, 4]);
}

// ---- 6. Errors that don't help --------------------------------------------------------------

#[test]
fn column_lists_show_a_nul_byte_escaped_and_strip_a_bom() {
    let text = "\u{feff}user,ti\0me\nana,2025-01-01\n";
    let err = read_events(text.as_bytes(), &CsvSpec::new("user", "time")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "column \"time\" does not exist; the columns are: user, \"ti\\0me\""
    );
    // The BOM is not part of the first name: `user` is found.
    let text = "\u{feff}user,time\nana,2025-01-01\n";
    assert!(read_events(text.as_bytes(), &CsvSpec::new("user", "time")).is_ok());
    // Also in a whitespace file.
    let text = "\u{feff}user time\nana 2025-01-01\n";
    let spec = CsvSpec::new("user", "time").delimiter(Delimiter::Whitespace);
    assert_eq!(read_events(text.as_bytes(), &spec).unwrap().events.len(), 1);
}

#[test]
fn a_megabyte_bad_field_is_shortened_in_the_reason() {
    let field = "x".repeat(1 << 20);
    let text = format!("user,time\nana,{field}\n");
    let read = read_events(text.as_bytes(), &CsvSpec::new("user", "time")).unwrap();
    assert_eq!(
        read.rejected[0].to_string(),
        format!(
            "line 2: time cannot be parsed: \"{}…(1048516 more chars)\"",
            "x".repeat(60)
        )
    );
    let err = parse_instant(&field, &Utc).unwrap_err().to_string();
    assert!(err.len() < 250, "{}", err.len());
}

#[test]
fn no_message_names_an_empty_user_without_saying_so() {
    let unknown = Error::NonFinite {
        field: "value",
        value: f64::NAN,
        user: String::new(),
    };
    assert_eq!(
        unknown.to_string(),
        "`value` must be a finite number, got NaN"
    );
    let empty_id = Error::NonFinite {
        field: "amount",
        value: f64::INFINITY,
        user: "\"\"".into(),
    };
    assert_eq!(
        empty_id.to_string(),
        "`amount` must be a finite number, got inf (a user whose id is empty)"
    );
    let after = Error::AfterAsOf {
        at: "2025-02-01".into(),
        as_of: "2025-01-01".into(),
        user: String::new(),
    };
    assert_eq!(
        after.to_string(),
        "event at 2025-02-01 is after the as-of instant 2025-01-01 (a user whose id is empty); \
         filter events to `at <= as_of` or move as_of later"
    );
    let named = Error::Negative {
        field: "frequency",
        value: -1.0,
        user: "\"ana\"".into(),
        hint: "",
    };
    assert_eq!(
        named.to_string(),
        "`frequency` must not be negative, got -1 (user \"ana\")"
    );
}

#[test]
fn control_characters_in_a_bad_field_are_escaped_and_still_cut_at_60() {
    // Found by the csv_reader fuzz target: 90 control characters in a time field.
    let field = "\u{14}".repeat(90);
    let text = format!("user;time\nana;{field}\n");
    let spec = CsvSpec::new("user", "time").delimiter(Delimiter::Byte(b';'));
    let read = read_events(text.as_bytes(), &spec).unwrap();
    assert_eq!(
        read.rejected[0].to_string(),
        format!(
            "line 2: time cannot be parsed: \"{}…(30 more chars)\"",
            "\\u{14}".repeat(60)
        )
    );
}

#[test]
fn a_retention_window_is_capped_by_its_triangle() {
    use userops::retention::{MAX_COHORT_PERIODS, RetentionParams};
    // 10,000 daily cohorts are a triangle of 50,005,000 cells: refused.
    let cal = Calendar::new(Utc, Interval::Day);
    let err = RetentionParams::new(cal.clone(), ymd(2025, 4, 1), 10_000)
        .check()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid parameter `periods`: a retention window can have at most 3000 periods (its \
         report is a triangle of n(n+1)/2 cells), got 10000; use a longer interval"
    );
    assert!(
        RetentionParams::new(cal, ymd(2025, 4, 1), MAX_COHORT_PERIODS)
            .check()
            .is_ok()
    );
}

#[test]
fn an_rfm_monetary_total_that_overflows_is_an_overflow_by_either_road() {
    use userops::event::EventRecord;
    use userops::fold::fold;
    use userops::rfm::RfmSummary;
    let log = [
        EventRecord::<u8>::new(1_u8, ymd(2025, 1, 1)).with_amount(1e308),
        EventRecord::new(1_u8, ymd(2025, 1, 2)).with_amount(1e308),
        EventRecord::new(2_u8, ymd(2025, 1, 3)).with_amount(1.0),
    ];
    // The fold refuses the purchase that overflows, naming the customer (the summary road
    // and the table road alike; see tests/bad_input/rfm.rs).
    let err = fold(RfmSummary::new(ymd(2025, 2, 1)), &log).unwrap_err();
    let want = format!(
        "overflow: the monetary total of customer 1 is too large to represent; {SCALE_HINT}"
    );
    assert_eq!(err.to_string(), want);
}

#[test]
fn a_sample_size_beyond_u64_max_is_an_overflow_not_a_saturated_count() {
    use userops::ops::experiment::{PowerSpec, sample_size_two_proportions};
    // |p1 - p2| = 1.1e-16: n ≈ (1.96·0.707 + 0.84·0.707)² / 1.2e-32 ≈ 3e32 users per group.
    let err = sample_size_two_proportions(0.5, 0.5 + 1e-16, &PowerSpec::default()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("overflow: the sample size per group (3.18"),
        "{err}"
    );
    assert!(err.to_string().ends_with(
        "the effect is too small to detect with any sample: ask for a larger difference between \
         p1 and p2"
    ));
}

#[test]
fn a_forecast_beyond_the_models_precision_says_so() {
    use userops::ltv::{ParetoNbdParams, TransactionModel};
    let bg = BgNbdParams::new(0.2426, 4.4137, 0.7930, 2.4262, TimeUnit::Week).unwrap();
    let c = Customer::new(2, 30.43, 38.86).unwrap();
    // The hypergeometric series of BG/NBD is NaN at a horizon of 1e20 weeks.
    assert_eq!(
        bg.expected_purchases(&c, 1e20).unwrap_err().to_string(),
        "numerical precision lost: expected_purchases is NaN: the model's formula lost its \
         precision for this customer and horizon; use a shorter horizon (at most 1200 months \
         for CLV)"
    );
    // u32::MAX purchases over 1e300 weeks: Pareto/NBD's expectation passes f64::MAX.
    let pn = ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67, TimeUnit::Week).unwrap();
    let big = Customer::new(u32::MAX, 1e300, 1e300).unwrap();
    assert!(matches!(
        pn.expected_purchases(&big, 52.0),
        Err(Error::Overflow { .. })
    ));
}
