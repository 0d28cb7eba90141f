//! The CSV reader on arbitrary bytes, in every mode (header, headerless, whitespace, other
//! delimiters): never panics, accounts for every row, and gives every row a line that exists.
#![no_main]

use libfuzzer_sys::fuzz_target;
use userops::csv::{CsvSpec, Delimiter, read_events, read_rows};

/// Lines of `data` as the readers count them: \n, \r\n and a lone \r each end one line.
fn line_count(data: &[u8]) -> u64 {
    let mut lines = 1;
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'\n' || data[i] == b'\r' {
            lines += 1;
            if data[i] == b'\r' && data.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
        }
        i += 1;
    }
    lines
}

fuzz_target!(|data: &[u8]| {
    let specs = [
        CsvSpec::new("user", "time")
            .amount("amount")
            .name("event")
            .duration("seconds")
            .attribute("channel"),
        CsvSpec::new(0_usize, 1_usize).amount(2_usize).header(false),
        CsvSpec::cdnow(),
        CsvSpec::new(0_usize, 1_usize)
            .delimiter(Delimiter::Whitespace)
            .header(false),
        CsvSpec::new("user", "time").delimiter(Delimiter::Whitespace),
        CsvSpec::new("user", "time").delimiter(Delimiter::Byte(b';')),
        CsvSpec::new(1_usize, 0_usize)
            .delimiter(Delimiter::Byte(b'\t'))
            .header(false),
    ];
    let lines = line_count(data);
    for spec in &specs {
        if let Ok(read) = read_events(data, spec) {
            assert_eq!(
                read.rows_read as usize,
                read.events.len() + read.rejected.len()
            );
            let mut last = 0;
            for r in &read.rejected {
                assert!(r.line >= 1 && r.line <= lines, "line {} of {lines}", r.line);
                assert!(r.line > last, "lines out of order: {} after {last}", r.line);
                last = r.line;
                // At most 60 characters of the field, each escaped to at most 10 (`\u{10ffff}`).
                assert!(r.reason.to_string().len() < 1000, "{r}");
            }
            for e in &read.events {
                assert!(e.amount.is_finite());
                assert!(!e.user.is_empty());
                assert!(userops::time::is_supported(e.at));
            }
        }
    }
    let mut last = 0;
    let _ = read_rows(data, b',', |line, _| {
        assert!(
            line > last && line <= lines,
            "row line {line} after {last} of {lines}"
        );
        last = line;
        Ok(())
    });
});
