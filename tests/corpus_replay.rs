//! The structured-input check: a small corpus of hostile files (`tests/data/hostile/`, and the
//! minimized inputs the fuzz targets found) replayed through the readers and the calendar with
//! the fuzz targets' own invariants, on the stable toolchain, in a second or two. CI runs it
//! first (`.ci/run`), with the bad-input catalogue.

use std::path::Path;

use userops::csv::{CsvSpec, Delimiter, read_events, read_rows};
use userops::time::{Calendar, Interval, MAX_PERIODS, Zone, is_supported, parse_instant};

/// Lines of `data` as the readers count them: `\n`, `\r\n` and a lone `\r` each end one line.
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

/// The invariants of the `csv_reader` fuzz target, on one input.
fn replay_reader(name: &str, data: &[u8]) {
    let specs = [
        CsvSpec::new("user", "time")
            .amount("amount")
            .name("event")
            .duration("seconds")
            .attribute("channel"),
        CsvSpec::new("user", "time").amount("amount"),
        CsvSpec::new(0_usize, 1_usize).amount(2_usize).header(false),
        CsvSpec::cdnow(),
        CsvSpec::new(0_usize, 1_usize)
            .delimiter(Delimiter::Whitespace)
            .header(false),
        CsvSpec::new("user", "time").delimiter(Delimiter::Whitespace),
        CsvSpec::new("user", "time").delimiter(Delimiter::Byte(b';')),
    ];
    let lines = line_count(data);
    for spec in &specs {
        let Ok(read) = read_events(data, spec) else {
            continue;
        };
        assert_eq!(
            read.rows_read as usize,
            read.events.len() + read.rejected.len(),
            "{name}"
        );
        let mut last = 0;
        for r in &read.rejected {
            assert!(
                r.line > last && r.line <= lines,
                "{name}: {r} ({lines} lines)"
            );
            last = r.line;
            // At most 60 characters of the field, each escaped to at most 10 (`\u{10ffff}`).
            assert!(r.to_string().len() < 1000, "{name}: {r}");
        }
        for e in &read.events {
            assert!(e.amount.is_finite() && !e.user.is_empty(), "{name}");
            assert!(is_supported(e.at), "{name}: {}", e.at);
        }
    }
    let mut last = 0;
    read_rows(data, b',', |line, _| {
        assert!(line > last && line <= lines, "{name}: row line {line}");
        last = line;
        Ok(())
    })
    .unwrap();
}

/// The invariants of the `time_parse` fuzz target, on one `zone|time` line.
fn replay_instant(line: &str) {
    let (zone_text, time_text) = line.split_once('|').unwrap_or(("UTC", line));
    let zone = Zone::parse(zone_text).unwrap();
    if let Ok(at) = parse_instant(time_text, &zone) {
        assert!(is_supported(at), "{line:?} -> {at}");
        for interval in [
            Interval::Day,
            Interval::Week(chrono::Weekday::Sun),
            Interval::Month,
        ] {
            let cal = Calendar::new(zone, interval);
            let p = cal.period_of(at);
            assert!(cal.start_of(&p) <= cal.end_of(&p));
            if let Ok(ps) = cal.periods(at, at) {
                assert!(!ps.is_empty() && ps.len() <= MAX_PERIODS);
            }
        }
    }
}

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<_> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
    out.sort();
    out
}

#[test]
fn the_hostile_corpus_replays_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hostile");
    let all = files(&dir);
    assert!(all.len() >= 10, "the corpus is missing: {}", dir.display());
    for path in all {
        let data = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        if path.file_name().is_some_and(|n| n == "instants.txt") {
            for line in String::from_utf8(data).unwrap().lines() {
                replay_instant(line);
            }
        } else {
            replay_reader(&name, &data);
        }
    }
}

#[test]
fn the_fuzz_regressions_replay_clean() {
    // Minimized inputs the fuzz targets found, one directory per target.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz_regressions");
    for path in files(&dir.join("csv_reader")) {
        replay_reader(&path.display().to_string(), &std::fs::read(&path).unwrap());
    }
    for path in files(&dir.join("time_parse")) {
        if let Ok(text) = String::from_utf8(std::fs::read(&path).unwrap()) {
            if Zone::parse(text.split_once('|').map_or("UTC", |z| z.0)).is_ok() {
                replay_instant(&text);
            }
        }
    }
}
