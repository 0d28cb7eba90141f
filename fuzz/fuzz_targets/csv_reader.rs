//! The CSV reader on arbitrary bytes: never panics, and accounts for every row.
#![no_main]

use libfuzzer_sys::fuzz_target;
use userops::csv::{CsvSpec, Delimiter, read_events};

fuzz_target!(|data: &[u8]| {
    let specs = [
        CsvSpec::new("user", "time")
            .amount("amount")
            .name("event")
            .duration("seconds")
            .attribute("channel"),
        CsvSpec::new(0_usize, 1_usize).amount(2_usize).header(false),
        CsvSpec::cdnow(),
        CsvSpec::new("user", "time").delimiter(Delimiter::Byte(b';')),
    ];
    for spec in &specs {
        if let Ok(read) = read_events(data, spec) {
            assert_eq!(
                read.rows_read as usize,
                read.events.len() + read.rejected.len()
            );
            for e in &read.events {
                assert!(e.amount.is_finite());
                assert!(!e.user.is_empty());
            }
        }
    }
});
