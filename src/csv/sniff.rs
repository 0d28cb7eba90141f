//! What a delimited file looks like, read off its first lines: the field separator and whether
//! the first row is a header.

use super::Delimiter;
use crate::time::{Zone, parse_instant};

/// Lines looked at: enough to see a pattern, few enough to read at once.
const LINES: usize = 50;

/// A file's separator and header, as [`sniff`] found them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    /// The field separator.
    pub delimiter: Delimiter,
    /// Whether the first row names the columns.
    pub has_header: bool,
}

/// Finds the field separator and whether the first row is a header, from the start of a file
/// (a few kilobytes are plenty; a last line cut off by the sample's end is left out).
///
/// * **Separator**: of comma, semicolon, tab and `|`, the one that splits every line looked at
///   into the same number of fields (at least two; separators inside double quotes do not
///   count), the most fields winning and comma winning ties. If none does, runs of spaces
///   (the CDNOW log) when they split every line alike; else comma.
/// * **Header**: a column whose values below the first row are all numbers or all times
///   decides it: the first row is a header when its value there is not of that kind. A file
///   with no such column is taken to have a header (as most exports do).
///
/// ```
/// use userops::csv::{sniff, Delimiter};
///
/// let cdnow = b"00001 19970101  1  11.77\n00002 19970112  1  12.00\n00002 19970112  5  77.00\n";
/// let s = sniff(cdnow);
/// assert_eq!((s.delimiter, s.has_header), (Delimiter::Whitespace, false));
///
/// let european = b"kunde;datum;betrag\nana;05.01.2025;12,50\nbo;10.02.2025;7,00\n";
/// let s = sniff(european);
/// assert_eq!((s.delimiter, s.has_header), (Delimiter::Byte(b';'), true));
/// ```
#[must_use]
pub fn sniff(sample: &[u8]) -> Sniffed {
    let text = String::from_utf8_lossy(sample);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if !text.ends_with('\n') && lines.len() > 1 {
        lines.pop(); // cut off by the sample's end
    }
    lines.truncate(LINES);
    let delimiter = delimiter_of(&lines);
    let rows: Vec<Vec<&str>> = lines.iter().map(|l| split(l, delimiter)).collect();
    Sniffed {
        delimiter,
        has_header: header_of(&rows),
    }
}

fn delimiter_of(lines: &[&str]) -> Delimiter {
    let mut best: Option<(usize, u8)> = None;
    for d in [b',', b';', b'\t', b'|'] {
        let counts: Vec<usize> = lines.iter().map(|l| count_outside_quotes(l, d)).collect();
        let Some(&first) = counts.first() else {
            continue;
        };
        if first > 0 && counts.iter().all(|&c| c == first) && best.is_none_or(|(n, _)| first > n) {
            best = Some((first, d));
        }
    }
    if let Some((_, d)) = best {
        return Delimiter::Byte(d);
    }
    let widths: Vec<usize> = lines.iter().map(|l| l.split_whitespace().count()).collect();
    match widths.first() {
        Some(&w) if w >= 2 && widths.iter().all(|&x| x == w) => Delimiter::Whitespace,
        _ => Delimiter::Byte(b','),
    }
}

fn count_outside_quotes(line: &str, d: u8) -> usize {
    let mut quoted = false;
    let mut n = 0;
    for &b in line.as_bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if b == d && !quoted {
            n += 1;
        }
    }
    n
}

fn split(line: &str, d: Delimiter) -> Vec<&str> {
    match d {
        Delimiter::Whitespace => line.split_whitespace().collect(),
        Delimiter::Byte(b) => line
            .split(char::from(b))
            .map(|f| f.trim().trim_matches('"'))
            .collect(),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Number,
    Time,
}

fn kind(field: &str) -> Option<Kind> {
    let f = field.trim();
    if f.is_empty() {
        return None;
    }
    // Decimal commas (12,50) count as numbers too.
    if f.replace(',', ".").parse::<f64>().is_ok_and(f64::is_finite) {
        return Some(Kind::Number);
    }
    let looks_like_time = f.bytes().filter(u8::is_ascii_digit).count() >= 4;
    (looks_like_time && parse_instant(f, &Zone::Utc).is_ok()).then_some(Kind::Time)
}

fn header_of(rows: &[Vec<&str>]) -> bool {
    let Some((first, body)) = rows.split_first() else {
        return true;
    };
    if body.is_empty() {
        // One row: a header if none of its fields is a number or a time.
        return first.iter().all(|f| kind(f).is_none());
    }
    let mut decided = false;
    for (c, head) in first.iter().enumerate() {
        let kinds: Vec<Option<Kind>> = body
            .iter()
            .map(|r| r.get(c).and_then(|f| kind(f)))
            .collect();
        let Some(Some(k)) = kinds.first().copied() else {
            continue;
        };
        let typed = |x: Option<Kind>| x == Some(k) || (k == Kind::Number && x == Some(Kind::Time));
        if !kinds.iter().all(|&x| typed(x)) {
            continue;
        }
        if !typed(kind(head)) {
            return true;
        }
        decided = true;
    }
    // Every typed column's first value is of its kind: data. No typed column: a header.
    !decided
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_and_headers_of_common_exports() {
        let cases: [(&[u8], Delimiter, bool); 8] = [
            (
                b"user,time,amount\n1,2025-01-01,3\n2,2025-01-02,4\n",
                Delimiter::Byte(b','),
                true,
            ),
            (
                b"1,2025-01-01,3\n2,2025-01-02,4\n",
                Delimiter::Byte(b','),
                false,
            ),
            (
                b"user\ttime\nana\t2025-01-01 10:00:00\n",
                Delimiter::Byte(b'\t'),
                true,
            ),
            (
                b"a|b\nx|20250101\ny|20250102\n",
                Delimiter::Byte(b'|'),
                true,
            ),
            // Commas inside quotes do not count; semicolons split every line alike.
            (
                b"name;when\n\"Stark, Brion\";2025-01-01\n\"Bo\";2025-02-01\n",
                Delimiter::Byte(b';'),
                true,
            ),
            (
                b"00001 19970101 1 11.77\n00002 19970112 1 12.00\n",
                Delimiter::Whitespace,
                false,
            ),
            // Text-only columns: a header is assumed.
            (
                b"user,event\nana,signup\nbo,order\n",
                Delimiter::Byte(b','),
                true,
            ),
            // A last line cut off by the sample's end is left out.
            (b"u,t\n1,2025-01-01\n2,2025-0", Delimiter::Byte(b','), true),
        ];
        for (text, delimiter, has_header) in cases {
            let s = sniff(text);
            assert_eq!(
                (s.delimiter, s.has_header),
                (delimiter, has_header),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn empty_and_single_line_samples() {
        assert_eq!(sniff(b"").delimiter, Delimiter::Byte(b','));
        assert!(sniff(b"").has_header);
        assert!(sniff(b"user,time\n").has_header);
        assert!(!sniff(b"7,2025-01-01\n").has_header);
        // Bytes that are not UTF-8 are read as replacement characters, never a panic.
        assert_eq!(sniff(b"\xff\xfe,\x00\n").delimiter, Delimiter::Byte(b','));
    }
}
