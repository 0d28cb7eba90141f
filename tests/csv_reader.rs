//! The CSV reader on the reference data and on deliberately broken files.
#![cfg(feature = "csv")]

use std::collections::HashSet;

use chrono::{TimeZone, Utc};
use userops::csv::{CsvSpec, RejectReason, read_events, read_events_from_path};
use userops::event::Event;

#[test]
fn cdnow_log_reads_with_zero_rejected_rows() {
    // The data set's published description (Fader & Hardie; lifetimes): 6,919 transactions, 2,357 customers, 1997-01-01 .. 1998-06-30.
    let read = read_events_from_path("tests/data/cdnow_sample.txt", &CsvSpec::cdnow()).unwrap();
    assert_eq!(read.rejected, vec![]);
    assert_eq!(read.rows_read, 6_919);
    assert_eq!(read.events.len(), 6_919);
    let users: HashSet<&String> = read.events.iter().map(|e| e.user()).collect();
    assert_eq!(users.len(), 2_357);
    let first = read.events.iter().map(|e| e.at).min().unwrap();
    let last = read.events.iter().map(|e| e.at).max().unwrap();
    assert_eq!(first, Utc.with_ymd_and_hms(1997, 1, 1, 0, 0, 0).unwrap());
    assert_eq!(last, Utc.with_ymd_and_hms(1998, 6, 30, 0, 0, 0).unwrap());
    // The file's first line is " 00004 0001 19970101  2   29.33".
    let e = &read.events[0];
    assert_eq!((e.user.as_str(), e.amount), ("00004", 29.33));
}

#[test]
fn rfm_orders_reads_with_zero_rejected_rows() {
    // R package rfm's rfm_data_orders: 4,906 orders of 995 customers.
    let spec = CsvSpec::new("customer_id", "order_date").amount("revenue");
    let read = read_events_from_path("tests/data/rfm_orders.csv", &spec).unwrap();
    assert_eq!(read.rejected, vec![]);
    assert_eq!(read.rows_read, 4_906);
    let users: HashSet<&String> = read.events.iter().map(|e| e.user()).collect();
    assert_eq!(users.len(), 995);
    // Second line of the file: "Brion Stark,2004-12-20,32".
    assert_eq!(read.events[0].user, "Brion Stark");
    assert_eq!(
        read.events[0].at,
        Utc.with_ymd_and_hms(2004, 12, 20, 0, 0, 0).unwrap()
    );
    assert_eq!(read.events[0].amount, 32.0);
}

#[test]
fn every_broken_row_is_reported_by_line() {
    let text = "\
user,time,amount,event,seconds,channel
ana,2025-01-01 10:00:00,12.5,order,,ads
bo,2025-13-01,1,order,,ads
,2025-01-02,3,order,,ads
cy,2025-01-03,abc,order,,ads
cy,2025-01-03,inf,order,,ads
dee,2025-01-04
eve,2025-01-05T08:00:00Z,,view,-3,organic

fay,1735689600,0,view,42,\"ads, paid\"
gus,20250106,7,order,,organic,extra
";
    let spec = CsvSpec::new("user", "time")
        .amount("amount")
        .name("event")
        .duration("seconds")
        .attribute("channel");
    let read = read_events(text.as_bytes(), &spec).unwrap();
    let got: Vec<(u64, RejectReason)> = read
        .rejected
        .iter()
        .map(|r| (r.line, r.reason.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (3, RejectReason::TimeUnparsable("2025-13-01".into())),
            (4, RejectReason::UserMissing),
            (5, RejectReason::AmountNotNumber("abc".into())),
            (6, RejectReason::AmountNotFinite("inf".into())),
            (
                7,
                RejectReason::WrongFieldCount {
                    expected: 6,
                    found: 2
                }
            ),
            (8, RejectReason::DurationInvalid("-3".into())),
            (
                11,
                RejectReason::WrongFieldCount {
                    expected: 6,
                    found: 7
                }
            ),
        ]
    );
    assert_eq!(read.events.len(), 2);
    assert_eq!(read.rows_read, 9); // the blank line 9 is not a row
    assert_eq!(
        read.rows_read,
        (read.events.len() + read.rejected.len()) as u64
    );
    // The accepted rows carry every facet.
    let fay = &read.events[1];
    assert_eq!(fay.user, "fay");
    assert_eq!(fay.at, Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()); // 1735689600 s
    assert_eq!(fay.duration(), Some(chrono::TimeDelta::seconds(42)));
    assert_eq!(fay.attributes, vec!["ads, paid".to_string()]);
    assert_eq!(read.attribute_names, vec!["channel".to_string()]);
    assert_eq!(read.events[0].name(), Some("order"));
}

#[test]
fn whitespace_file_with_broken_rows() {
    let text = " 1 1 19970101 1 10.00\r\n 2 2 1997011 1 5.00\r\n 3 3 19970105 1\r\n\r\n 4 4 19970106 2 x\r\n";
    let read = read_events(text.as_bytes(), &CsvSpec::cdnow()).unwrap();
    let lines: Vec<u64> = read.rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![2, 3, 5]);
    assert_eq!(read.rows_read, 4);
    assert_eq!(read.events.len(), 1);
}

#[test]
fn headerless_comma_file_by_position_and_a_zone() {
    let text = "u1;2025-07-01 00:30:00;9.99\n";
    let spec = CsvSpec::new(0_usize, 1_usize)
        .amount(2_usize)
        .header(false)
        .delimiter(userops::csv::Delimiter::Byte(b';'))
        .zone(userops::time::Zone::parse("Europe/Berlin").unwrap());
    let read = read_events(text.as_bytes(), &spec).unwrap();
    // 00:30 CEST (UTC+2) on 2025-07-01 is 22:30 UTC on 06-30.
    assert_eq!(
        read.events[0].at,
        Utc.with_ymd_and_hms(2025, 6, 30, 22, 30, 0).unwrap()
    );
    assert_eq!(read.events[0].amount, 9.99);
}

#[test]
fn invalid_utf8_rows_are_rejected_not_dropped() {
    let mut bytes = b"u,t\nok,2025-01-01\n".to_vec();
    bytes.extend_from_slice(b"\xff\xfe,2025-01-01\n");
    let read = read_events(bytes.as_slice(), &CsvSpec::new("u", "t")).unwrap();
    assert_eq!(read.rows_read, 2);
    assert_eq!(read.rejected.len(), 1);
    assert_eq!(read.rejected[0].line, 3);
}

#[test]
fn cdnow_log_reads_into_a_table_with_its_published_counts() {
    // Same published counts as above (6,919 transactions, 2,357 customers), as columns.
    let read = userops::csv::read_table_from_path("tests/data/cdnow_sample.txt", &CsvSpec::cdnow())
        .unwrap();
    assert_eq!(read.rejected, vec![]);
    assert_eq!((read.rows_read, read.table.len()), (6_919, 6_919));
    assert_eq!(read.table.users().len(), 2_357);
    let row = read.table.row(0).unwrap();
    assert_eq!((row.user().as_str(), row.amount()), ("00004", 29.33));
    assert_eq!(row.at(), Utc.with_ymd_and_hms(1997, 1, 1, 0, 0, 0).unwrap());
}

mod table_agrees_with_events {
    use proptest::prelude::*;
    use userops::csv::{CsvSpec, Delimiter, read_events, read_table};
    use userops::event::Event;

    /// A field: good values, bad values and the odd ones out.
    fn field() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "ana",
            "bo",
            "",
            " cy ",
            "2025-01-02",
            "2025-01-02 03:04:05",
            "2025-01-02T03:04:05Z",
            "20250102",
            "1735804800",
            "0000-01-01",
            "2025-02-30",
            "12.5",
            "-3",
            "NaN",
            "x y",
            "\"q\"",
            "order",
            "9999-12-31 23:59:59",
            "2025-01-02 03:04:05.123456789",
        ])
        .prop_map(str::to_string)
    }

    proptest! {
        /// Rows read, accepted and rejected (with their lines and reasons) and every accepted
        /// row's values are the same whether the file is read into events or into a table.
        #[test]
        fn same_rows_same_rejections(
            rows in prop::collection::vec(prop::collection::vec(field(), 1..6), 0..25),
            blank_every in 2usize..6,
            whitespace in any::<bool>(),
            header in any::<bool>(),
        ) {
            let sep = if whitespace { " " } else { "," };
            let mut text = String::new();
            if header {
                text.push_str(&["user", "time", "amount", "event"].join(sep));
                text.push('\n');
            }
            for (i, row) in rows.iter().enumerate() {
                if i % blank_every == 0 {
                    text.push('\n');
                }
                text.push_str(&row.join(sep));
                text.push('\n');
            }
            let mut spec = if header {
                CsvSpec::new("user", "time").amount("amount").name("event")
            } else {
                CsvSpec::new(0_usize, 1_usize).amount(2_usize).header(false)
            };
            if whitespace {
                spec = spec.delimiter(Delimiter::Whitespace);
            }
            let events = read_events(text.as_bytes(), &spec);
            let table = read_table(text.as_bytes(), &spec);
            match (events, table) {
                (Ok(e), Ok(t)) => {
                    prop_assert_eq!(e.rows_read, t.rows_read);
                    prop_assert_eq!(&e.rejected, &t.rejected);
                    prop_assert_eq!(e.events.len(), t.table.len());
                    prop_assert_eq!(e.rows_read as usize, e.events.len() + e.rejected.len());
                    for (a, b) in e.events.iter().zip(t.table.rows()) {
                        prop_assert_eq!(a.user(), b.user());
                        prop_assert_eq!(a.at().timestamp_micros(), b.at().timestamp_micros());
                        prop_assert_eq!(a.amount(), b.amount());
                        prop_assert_eq!(a.name(), b.name());
                        prop_assert_eq!(a.duration(), b.duration());
                    }
                }
                (Err(a), Err(b)) => prop_assert_eq!(a, b),
                (a, b) => prop_assert!(false, "events {:?} but table {:?}", a.map(|r| r.rows_read), b.map(|r| r.rows_read)),
            }
        }
    }
}

/// `csv::sniff` on the reference files as they are: the CDNOW log is whitespace-separated with
/// no header (Fader & Hardie's `CDNOW_sample.txt`: id, id, date, quantity, amount), the R `rfm`
/// orders are a comma-separated export with a header (`customer_id,order_date,revenue`).
#[test]
fn sniff_reads_the_reference_files() {
    use userops::csv::{Delimiter, sniff};
    let start = |path: &str| {
        let bytes = std::fs::read(path).unwrap();
        bytes[..bytes.len().min(4096)].to_vec()
    };
    let cdnow = sniff(&start("tests/data/cdnow_sample.txt"));
    assert_eq!(cdnow.delimiter, Delimiter::Whitespace);
    assert!(!cdnow.has_header);
    let orders = sniff(&start("tests/data/rfm_orders.csv"));
    assert_eq!(orders.delimiter, Delimiter::Byte(b','));
    assert!(orders.has_header);
    let summary = sniff(&start("tests/data/cdnow_summary.csv"));
    assert_eq!(summary.delimiter, Delimiter::Byte(b','));
    assert!(summary.has_header);
}
