//! How reports print: the one rule every long report's `Display` follows.
//!
//! A report with a row per user or customer (an RFM table, a BTYD summary, a CLV forecast, a
//! metric table, ...) can hold millions of rows. Its `Display` prints the first
//! [`HEAD_ROWS`] rows, a line with the count of the rows left out, and the last
//! [`HEAD_ROWS`] rows; the alternate form, `{:#}` (`format!("{report:#}")`), prints every row.
//! The report itself always holds every row (its fields, its JSON).
//!
//! ```
//! use userops::ltv::{BtydReport, CustomerSummary, TimeUnit};
//! let row = |user| CustomerSummary { user, frequency: 1, recency: 2.0, age: 5.0, monetary: 9.0,
//!     frequency_holdout: 0, monetary_holdout: 0.0, duration_holdout: 0.0 };
//! let report = BtydReport { unit: TimeUnit::Week,
//!     calibration_end: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), holdout_end: None,
//!     customers: (0..2357_u32).map(row).collect(),
//!     first_purchase_after_calibration: 0, ignored_after_calibration: 0 };
//! let short = report.to_string();
//! assert!(short.contains("… 2,337 more customers …"));
//! assert_eq!(short.lines().count(), 2 + 10 + 1 + 10); // title, header, head, gap, tail
//! assert_eq!(format!("{report:#}").lines().count(), 2 + 2357);
//! ```

use std::fmt;

/// Rows a long report's `Display` shows at each end (see the [module docs](self)).
pub const HEAD_ROWS: usize = 10;

/// Writes `rows` with `row` (each call writes one line, its newline included): all of them
/// when there are at most `2 HEAD_ROWS + 1` or the formatter is alternate (`{:#}`), else the
/// first and the last [`HEAD_ROWS`] with a line `… N more <noun> …` between.
pub(crate) fn rows<T>(
    f: &mut fmt::Formatter<'_>,
    rows: &[T],
    noun: &str,
    mut row: impl FnMut(&mut fmt::Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    if f.alternate() || rows.len() <= 2 * HEAD_ROWS + 1 {
        for r in rows {
            row(f, r)?;
        }
        return Ok(());
    }
    for r in &rows[..HEAD_ROWS] {
        row(f, r)?;
    }
    writeln!(
        f,
        "… {} more {noun} …",
        thousands((rows.len() - 2 * HEAD_ROWS) as u64)
    )?;
    for r in &rows[rows.len() - HEAD_ROWS..] {
        row(f, r)?;
    }
    Ok(())
}

/// `n` with a comma between groups of three digits (`2,337`).
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Numbers(Vec<u32>);
    impl fmt::Display for Numbers {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            rows(f, &self.0, "numbers", |f, n| writeln!(f, "{n}"))
        }
    }

    #[test]
    fn head_gap_tail_or_everything() {
        // 25 rows: 1..=10, a gap of 5 (11..=15), 16..=25, written out by hand.
        let text = Numbers((1..=25).collect()).to_string();
        let want: Vec<String> = (1..=10)
            .map(|n| n.to_string())
            .chain(["… 5 more numbers …".to_string()])
            .chain((16..=25).map(|n| n.to_string()))
            .collect();
        assert_eq!(text.lines().collect::<Vec<_>>(), want);
        assert_eq!(
            format!("{:#}", Numbers((1..=25).collect())).lines().count(),
            25
        );
        // 21 rows: a gap of one row would hide nothing worth hiding; all are shown.
        assert_eq!(Numbers((1..=21).collect()).to_string().lines().count(), 21);
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(2337), "2,337");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
