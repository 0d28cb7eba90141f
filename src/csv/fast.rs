//! The table reader's fast road for plain files: the same rows, rejections and line numbers
//! as the general road (every row through the CSV parser, [`super::read_rows`]), on all
//! cores.
//!
//! The data after the header is read in blocks cut at a line end (16 MiB by default, so
//! memory stays bounded). A block takes the fast road when it has no `"`, no `\r` other
//! than one just before a `\n`, and is valid UTF-8: then every line is a record whose fields
//! are the text between delimiter bytes (a quote-free line is split by the CSV parser the
//! same way), and a line that is empty or only `\r` is a blank line, as the parser skips.
//! Such a block is cut into pieces at line ends, each piece parsed on its own thread (with
//! the `parallel` feature) into columns, and the pieces are appended to the table in file
//! order on one thread, so that users and event names are interned in first-seen order as
//! the general road interns them. The first block that does not qualify, and everything after
//! it, goes the general road, its line numbers counted on from the blocks before it.

use std::io::Read;

use chrono::TimeDelta;
use memchr::{memchr, memchr_iter, memchr2_iter, memrchr};

use super::{
    CsvSpec, CsvTable, Layout, RejectReason, RejectedRow, header_name, read_delimited_at, resolve,
    too_many,
};
use crate::engine::{FULL, IdKey, KeyHasher, TextIds};
use crate::time::InstantParser;
use crate::{Error, Result};

/// Block and piece sizes (private, so that tests can make them tiny).
#[derive(Debug, Clone)]
pub(super) struct Params {
    /// Bytes read at a time (a block is cut at the last line end within).
    pub block: usize,
    /// Pieces a block is cut into; `0` for one per thread of rayon's current pool (one
    /// without the `parallel` feature).
    pub pieces: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            block: 16 << 20,
            pieces: 0,
        }
    }
}

/// The largest block: offsets into a block are kept as `u32`.
const MAX_BLOCK: usize = 1 << 30;

/// Whether a delimiter can take the fast road: an ASCII byte that is neither a quote nor a
/// line end (a non-ASCII byte could split a UTF-8 character, which the general road rejects
/// row by row).
pub(super) fn fits(delimiter: u8) -> bool {
    delimiter.is_ascii() && !matches!(delimiter, b'"' | b'\n' | b'\r')
}

/// Whether `bytes` can take the fast road: no quote, every `\r` just before a `\n`, valid
/// UTF-8.
fn plain(bytes: &[u8]) -> bool {
    plain_text(bytes).is_some()
}

/// `bytes` as text when they can take the fast road (see [`plain`]), checked once.
fn plain_text(bytes: &[u8]) -> Option<&str> {
    if memchr(b'"', bytes).is_some()
        || !memchr_iter(b'\r', bytes).all(|p| bytes.get(p + 1) == Some(&b'\n'))
    {
        return None;
    }
    std::str::from_utf8(bytes).ok()
}

/// The input, a block at a time.
struct Blocks<R> {
    reader: R,
    /// The bytes read after the last block's end (the start of the next block's first line).
    carry: Vec<u8>,
    /// Bytes read at a time.
    size: usize,
    eof: bool,
}

/// A block: `buf[..end]` whole lines (or the input's last bytes), `buf[..filled]` what was
/// read.
struct Block {
    buf: Vec<u8>,
    end: usize,
    filled: usize,
}

impl Block {
    fn bytes(&self) -> &[u8] {
        &self.buf[..self.end]
    }
}

/// What [`Blocks::next`] found.
#[derive(Debug, PartialEq)]
enum Step {
    /// A block: whole lines, or the end of the input.
    Block,
    /// A full buffer with no line end in it (a line longer than a block).
    NoLineEnd,
    /// The end of the input.
    End,
}

impl<R: Read> Blocks<R> {
    fn new(reader: R, size: usize) -> Self {
        Blocks {
            reader,
            carry: Vec::new(),
            size: size.clamp(1, MAX_BLOCK),
            eof: false,
        }
    }

    /// Reads the next block into `buf` (a spent block's buffer, so that its pages are used
    /// again).
    fn next(&mut self, mut buf: Vec<u8>) -> Result<(Step, Block)> {
        if buf.len() < self.size {
            // Zeroed by the allocator: pages the reads never reach are never touched (a small
            // input costs no 16 MiB of writes).
            buf = vec![0; self.size];
        }
        let mut filled = self.carry.len();
        buf[..filled].copy_from_slice(&self.carry);
        self.carry.clear();
        while !self.eof && filled < buf.len() {
            match self.reader.read(&mut buf[filled..]) {
                Ok(0) => self.eof = true,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::Read(e.to_string())),
            }
        }
        let (step, end) = if filled == 0 {
            (Step::End, 0)
        } else if self.eof {
            (Step::Block, filled)
        } else {
            match memrchr(b'\n', &buf[..filled]) {
                Some(p) => (Step::Block, p + 1),
                None => (Step::NoLineEnd, 0),
            }
        };
        self.carry.extend_from_slice(&buf[end..filled]);
        Ok((step, Block { buf, end, filled }))
    }

    /// The input from `block`'s start on.
    fn rest(self, block: Block) -> impl Read {
        let mut buf = block.buf;
        buf.truncate(block.filled);
        std::io::Cursor::new(buf).chain(self.reader)
    }
}

/// Runs `a` and `b`, side by side with the `parallel` feature.
fn both<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    #[cfg(feature = "parallel")]
    {
        rayon::join(a, b)
    }
    #[cfg(not(feature = "parallel"))]
    {
        (a(), b())
    }
}

/// Reads a file with a header into `out` (see the module docs). While one block's pieces are
/// appended to the table (on one thread, in file order), the next block is parsed.
pub(super) fn read_table<R: Read>(
    reader: R,
    spec: &CsvSpec,
    delimiter: u8,
    parser: &InstantParser,
    out: &mut CsvTable,
    params: &Params,
) -> Result<()> {
    let mut blocks = Blocks::new(reader, params.block);
    // The header, from the first block when it is plain and has a non-blank line.
    let (step, mut block) = blocks.next(Vec::new())?;
    let header = match step {
        Step::Block if plain(block.bytes()) => header(block.bytes(), delimiter),
        _ => None,
    };
    let Some((names, data_start, lines_before)) = header else {
        // The general road for the whole file.
        return read_delimited_at(blocks.rest(block), spec, delimiter, parser, out, 0, None);
    };
    let layout = resolve(spec, Some(&names))?;
    let pieces = match params.pieces {
        0 => threads(),
        n => n,
    };
    let mut ids = TextIds::new(out.table.users());
    let hasher = ids.hasher().clone();
    let parse = |bytes: &[u8], start, spare| {
        parse_block(
            bytes, start, pieces, spare, delimiter, &layout, spec, parser, &hasher,
        )
    };
    // Line ends before the current block's data.
    let mut base = lines_before;
    let Some(mut parsed) = parse(block.bytes(), data_start, Vec::new()) else {
        return general(blocks, block, base, spec, delimiter, parser, out, layout);
    };
    let mut spare = Vec::new();
    let mut spare_pieces = Vec::new();
    loop {
        let (step, next) = blocks.next(std::mem::take(&mut spare))?;
        if step != Step::Block {
            append_all(out, &mut ids, block.bytes(), &parsed, &mut base);
            if step == Step::End {
                return Ok(());
            }
            return general(blocks, next, base, spec, delimiter, parser, out, layout);
        }
        let ((), next_parsed) = both(
            || append_all(out, &mut ids, block.bytes(), &parsed, &mut base),
            || parse(next.bytes(), 0, std::mem::take(&mut spare_pieces)),
        );
        let Some(next_parsed) = next_parsed else {
            return general(blocks, next, base, spec, delimiter, parser, out, layout);
        };
        spare_pieces = std::mem::replace(&mut parsed, next_parsed);
        spare = std::mem::replace(&mut block, next).buf;
    }
}

/// Appends a block's parsed pieces in order, `base` counting the line ends on.
fn append_all(
    out: &mut CsvTable,
    ids: &mut TextIds,
    block: &[u8],
    parsed: &[Piece],
    base: &mut u64,
) {
    for piece in parsed {
        append(out, ids, block, piece, *base);
        *base += piece.newlines;
    }
}

/// A block and the rest of the input by the general road, `base` lines into the file (after
/// the header). The text is read after one more line end, so that the CSV parser, which takes
/// a byte-order mark off the start of what it reads, reads the block's first bytes as they
/// are; the line numbers count that line out.
#[allow(clippy::too_many_arguments)]
fn general<R: Read>(
    blocks: Blocks<R>,
    block: Block,
    base: u64,
    spec: &CsvSpec,
    delimiter: u8,
    parser: &InstantParser,
    out: &mut CsvTable,
    layout: Layout,
) -> Result<()> {
    let rest = blocks.rest(block);
    match base.checked_sub(1) {
        Some(offset) => {
            let rest = std::io::Cursor::new(b"\n").chain(rest);
            read_delimited_at(rest, spec, delimiter, parser, out, offset, Some(layout))
        }
        // Not reached: the header's line end comes before any block's data.
        None => read_delimited_at(rest, spec, delimiter, parser, out, 0, Some(layout)),
    }
}

/// Appends a parsed piece to the table in row order, `base` the line ends before the piece
/// in the file; a row the table cannot take (a dictionary past its cap) is rejected there.
fn append(out: &mut CsvTable, ids: &mut TextIds, block: &[u8], piece: &Piece, base: u64) {
    out.rows_read += piece.rows;
    let text = |(at, len): (u32, u32)| {
        let bytes = &block[at as usize..at as usize + len as usize];
        // Plain: checked valid UTF-8 and cut at ASCII bytes.
        std::str::from_utf8(bytes).unwrap_or_default()
    };
    let mut failed = Vec::new();
    let line_of =
        |user: (u32, u32)| memchr_iter(b'\n', &block[piece.start..user.0 as usize]).count();
    // Event names first, row by row (few distinct ones); a row whose name does not fit is
    // rejected, its user not looked up.
    let mut names = Vec::with_capacity(if piece.names.is_empty() {
        0
    } else {
        piece.users.len()
    });
    let mut kept = Vec::with_capacity(piece.users.len());
    for (i, &user) in piece.users.iter().enumerate() {
        let name = match piece.names.get(i).filter(|n| n.1 > 0) {
            Some(&n) => match out.table.name_index(text(n)) {
                Ok(index) => Some(index),
                Err(e) => {
                    failed.push((line_of(user) as u64, too_many(&e)));
                    continue;
                }
            },
            None => None,
        };
        names.push(name);
        kept.push(i);
    }
    // Then the users of the kept rows, as one batch (see `engine::TextIds`), their keys and
    // hashes made by the piece's thread.
    let subset: (Vec<Option<IdKey>>, Vec<u64>);
    let (keys, hashes) = if kept.len() == piece.users.len() {
        (piece.keys.as_slice(), piece.hashes.as_slice())
    } else {
        subset = kept
            .iter()
            .map(|&i| (piece.keys[i], piece.hashes[i]))
            .unzip();
        (subset.0.as_slice(), subset.1.as_slice())
    };
    let mut users = Vec::with_capacity(kept.len());
    ids.intern_hashed(
        out.table.users_mut(),
        keys,
        hashes,
        |k, buf| buf.push_str(text(piece.users[kept[k]])),
        &mut users,
    );
    out.table.reserve(kept.len());
    let limit = out.table.users().limit();
    for (k, &i) in kept.iter().enumerate() {
        match users[k] {
            FULL => failed.push((
                line_of(piece.users[i]) as u64,
                too_many(&Error::TooManyUsers {
                    limit: u64::from(limit),
                }),
            )),
            user => out.table.push_checked(
                user,
                piece.at[i],
                piece.amount[i],
                names.get(k).copied().flatten(),
                piece
                    .durations
                    .get(i)
                    .copied()
                    .flatten()
                    .and_then(|d| d.num_microseconds()),
            ),
        }
    }
    let line = |(before, reason): (u64, RejectReason)| RejectedRow {
        line: base + before + 1,
        reason,
    };
    if failed.is_empty() {
        out.rejected
            .extend(piece.rejected.iter().cloned().map(line));
    } else {
        let mut all: Vec<(u64, RejectReason)> = piece.rejected.clone();
        all.extend(failed);
        all.sort_by_key(|r| r.0);
        out.rejected.extend(all.into_iter().map(line));
    }
}

/// The header of a plain first block: its fields as column names, where its data starts and
/// the line ends before that; `None` when the block has no non-blank line.
fn header(block: &[u8], delimiter: u8) -> Option<(Vec<String>, usize, u64)> {
    // The CSV parser takes a byte-order mark off the start of the file.
    let mut at = if block.starts_with(b"\xef\xbb\xbf") {
        3
    } else {
        0
    };
    let mut lines = 0;
    while at < block.len() {
        let end = memchr(b'\n', &block[at..]).map_or(block.len(), |p| at + p);
        let line = &block[at..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let next = (end + 1).min(block.len());
        if end < block.len() {
            lines += 1;
        }
        if !line.is_empty() {
            let text = std::str::from_utf8(line).ok()?;
            let names = text.split(char::from(delimiter)).map(header_name).collect();
            return Some((names, next, lines));
        }
        at = next;
    }
    None
}

/// The threads a block is parsed on.
fn threads() -> usize {
    #[cfg(feature = "parallel")]
    {
        rayon::current_num_threads().max(1)
    }
    #[cfg(not(feature = "parallel"))]
    {
        1
    }
}

/// One piece of a block, parsed: the accepted rows as columns and the rejected rows.
#[derive(Debug, Default)]
struct Piece {
    /// Where the piece starts in its block.
    start: usize,
    /// Line ends in the piece.
    newlines: u64,
    /// Rows (non-blank lines) in the piece.
    rows: u64,
    /// Each accepted row's user id, as (start, length) in the block.
    users: Vec<(u32, u32)>,
    /// Each accepted row's user id packed ([`IdKey`]), and its hash.
    keys: Vec<Option<IdKey>>,
    hashes: Vec<u64>,
    /// Each accepted row's instant in microseconds since the epoch.
    at: Vec<i64>,
    amount: Vec<f64>,
    /// Each accepted row's event name as (start, length) in the block, length 0 for none;
    /// empty when the spec names no event column.
    names: Vec<(u32, u32)>,
    /// Each accepted row's duration; empty when the spec names no duration column.
    durations: Vec<Option<TimeDelta>>,
    /// Rejected rows: the line ends in the piece before each, and why.
    rejected: Vec<(u64, RejectReason)>,
}

/// The pieces of `block[start..]` parsed into `spare` (spent pieces, whose columns are
/// filled again), or `None` when the block is not plain.
#[allow(clippy::too_many_arguments)]
fn parse_block(
    block: &[u8],
    start: usize,
    pieces: usize,
    mut spare: Vec<Piece>,
    delimiter: u8,
    layout: &Layout,
    spec: &CsvSpec,
    parser: &InstantParser,
    hasher: &KeyHasher,
) -> Option<Vec<Piece>> {
    let ranges = cut(block, start, pieces);
    spare.resize_with(ranges.len(), Piece::default);
    let work: Vec<((usize, usize), Piece)> = ranges.into_iter().zip(spare).collect();
    let parse = |((from, to), piece): ((usize, usize), Piece)| {
        parse_piece(
            piece, block, from, to, delimiter, layout, spec, parser, hasher,
        )
    };
    #[cfg(feature = "parallel")]
    let parsed: Vec<Option<Piece>> = {
        use rayon::prelude::*;
        if work.len() > 1 {
            work.into_par_iter().map(parse).collect()
        } else {
            work.into_iter().map(parse).collect()
        }
    };
    #[cfg(not(feature = "parallel"))]
    let parsed: Vec<Option<Piece>> = work.into_iter().map(parse).collect();
    parsed.into_iter().collect()
}

/// `block[start..]` cut into at most `pieces` ranges of about equal length, each ending at a
/// line end (the last at the block's end).
fn cut(block: &[u8], start: usize, pieces: usize) -> Vec<(usize, usize)> {
    let len = block.len().saturating_sub(start);
    let pieces = pieces.clamp(1, len.max(1));
    let mut ranges = Vec::with_capacity(pieces);
    let mut from = start;
    for k in 1..pieces {
        let target = (start + len / pieces * k).max(from);
        let Some(p) = memchr(b'\n', &block[target..]) else {
            break;
        };
        let to = target + p + 1;
        if to < block.len() {
            ranges.push((from, to));
            from = to;
        }
    }
    ranges.push((from, block.len()));
    ranges
}

/// Parses the rows of `block[from..to]` (whole lines), or `None` when the range is not plain.
#[allow(clippy::too_many_arguments)]
fn parse_piece<'a>(
    mut piece: Piece,
    block: &'a [u8],
    from: usize,
    to: usize,
    delimiter: u8,
    layout: &Layout,
    spec: &CsvSpec,
    parser: &InstantParser,
    hasher: &KeyHasher,
) -> Option<Piece> {
    let bytes = &block[from..to];
    // Plain: valid UTF-8, and cut only at ASCII bytes below.
    let text = plain_text(bytes)?;
    piece.start = from;
    piece.newlines = 0;
    piece.rows = 0;
    piece.users.clear();
    piece.keys.clear();
    piece.hashes.clear();
    piece.at.clear();
    piece.amount.clear();
    piece.names.clear();
    piece.durations.clear();
    piece.rejected.clear();
    let expected = layout.expected.unwrap_or(0);
    let rows_guess = bytes.len() / 32 + 1;
    piece.users.reserve(rows_guess);
    piece.at.reserve(rows_guess);
    piece.amount.reserve(rows_guess);
    if layout.name.is_some() {
        piece.names.reserve(rows_guess);
    }
    let mut fields: Vec<&'a str> = Vec::with_capacity(expected.max(1));
    let mut field_start = 0;
    let mut line_start = 0;
    let offset = |s: &str| -> (u32, u32) {
        // In the block: `s` is a slice of `text`, which starts at `from`.
        let at = s.as_ptr() as usize - text.as_ptr() as usize + from;
        (at as u32, s.len() as u32)
    };
    let end_line = |piece: &mut Piece, fields: &mut Vec<&'a str>, line_start, field_start, end| {
        let mut last_end = end;
        if last_end > field_start && bytes[last_end - 1] == b'\r' {
            last_end -= 1;
        }
        if fields.is_empty() && last_end == line_start {
            return; // a blank line
        }
        fields.push(&text[field_start..last_end]);
        piece.rows += 1;
        let row = layout
            .check_count(fields)
            .and_then(|()| layout.parse(fields, spec, parser));
        match row {
            Ok(row) => {
                piece.users.push(offset(row.user));
                let key = IdKey::of(row.user);
                piece.keys.push(key);
                piece.hashes.push(key.map_or(0, |k| hasher.hash(k)));
                piece.at.push(row.at.timestamp_micros());
                piece.amount.push(row.amount);
                if layout.name.is_some() {
                    piece.names.push(row.name.map_or((0, 0), offset));
                }
                if layout.duration.is_some() {
                    piece.durations.push(row.duration);
                }
            }
            Err(reason) => piece.rejected.push((piece.newlines, reason)),
        }
        fields.clear();
    };
    for p in memchr2_iter(delimiter, b'\n', bytes) {
        if bytes[p] == delimiter {
            fields.push(&text[field_start..p]);
            field_start = p + 1;
            continue;
        }
        end_line(&mut piece, &mut fields, line_start, field_start, p);
        piece.newlines += 1;
        field_start = p + 1;
        line_start = p + 1;
    }
    if line_start < bytes.len() {
        end_line(
            &mut piece,
            &mut fields,
            line_start,
            field_start,
            bytes.len(),
        );
    }
    Some(piece)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::{CsvSpec, CsvTable, Delimiter, read_table_general, read_table_with};
    use super::Params;

    fn spec(delimiter: u8) -> CsvSpec {
        CsvSpec::new("user", "time")
            .amount("amount")
            .name("event")
            .delimiter(Delimiter::Byte(delimiter))
    }

    /// The fast road with tiny blocks and `pieces` pieces a block.
    fn fast(text: &[u8], block: usize, pieces: usize, spec: &CsvSpec) -> CsvTable {
        read_table_with(text, spec, &Params { block, pieces }).unwrap()
    }

    fn lines(read: &CsvTable) -> Vec<(u64, String)> {
        read.rejected
            .iter()
            .map(|r| (r.line, r.reason.to_string()))
            .collect()
    }

    /// Blank lines (empty, or only `\r` before the `\n`) are not rows; a line of spaces is a
    /// row of one field. Counted by hand: line 1 header, 2 blank, 3 good, 4 `\r\n` blank,
    /// 5 spaces (1 field of 4), 6 bad time, 7 bad amount, 8 no user, 9 two fields, 10 good.
    #[test]
    fn blank_lines_and_rejections_by_line() {
        let text = "user,time,amount,event\n\nu1,2024-01-01,5,buy\r\n\r\n  \nu2,bad,1,x\n\
                    u1,2024-01-02,x,y\n,2024-01-03,1,z\nu3,2024-01-04\nu2,2024-01-05 10:00:00,,\n";
        for (block, pieces) in [(16, 1), (40, 3), (64, 2), (1 << 20, 4)] {
            let read = fast(text.as_bytes(), block, pieces, &spec(b','));
            assert_eq!(read.rows_read, 7, "block {block}");
            assert_eq!(read.table.len(), 2);
            assert_eq!(
                read.table.users().values(),
                &["u1".to_string(), "u2".to_string()]
            );
            assert_eq!(read.table.amount_column(), &[5.0, 0.0]);
            // 2024-01-05 10:00:00 UTC: 19727 days and 10 hours after the epoch.
            assert_eq!(
                read.table.at_column()[1],
                (19_727 * 86_400 + 36_000) * 1_000_000
            );
            assert_eq!(
                lines(&read),
                [
                    (5, "wrong field count: expected 4, found 1".to_string()),
                    (6, "time cannot be parsed: \"bad\"".to_string()),
                    (7, "amount is not a number: \"x\"".to_string()),
                    (8, "user missing".to_string()),
                    (9, "wrong field count: expected 4, found 2".to_string()),
                ]
            );
        }
    }

    /// Users are numbered in the order the file first names them, across blocks and pieces.
    #[test]
    fn users_in_first_seen_order_across_pieces() {
        let mut text = String::from("user,time\n");
        for u in ["b", "a", "b", "c", "a", "d"] {
            text.push_str(u);
            text.push_str(",2024-03-01\n");
        }
        let read = fast(text.as_bytes(), 32, 3, &CsvSpec::new("user", "time"));
        assert_eq!(read.table.users().values(), ["b", "a", "c", "d"]);
        assert_eq!(read.table.user_column(), &[0, 1, 0, 2, 1, 3]);
    }

    /// A quote in a later block sends that block and the rest the general road: the quoted
    /// field is one field (with its comma), and the line numbers go on from the fast blocks.
    #[test]
    fn quote_in_a_later_block_goes_the_general_road() {
        let text = "user,time,amount,event\nu1,2024-01-01,1,a\nu2,2024-01-01,2,b\n\
                    u3,2024-01-01,3,\"c,d\"\nu4,bad,4,e\n\nu5,2024-01-01,5,\"f\ng\"\nu6,x,6,h\n";
        let read = fast(text.as_bytes(), 40, 2, &spec(b','));
        assert_eq!(read.rows_read, 6);
        assert_eq!(read.table.names().values(), ["a", "b", "c,d", "f\ng"]);
        // Line 5 bad time; line 6 blank; the quoted field of line 7 runs to line 8; line 9.
        assert_eq!(lines(&read).iter().map(|l| l.0).collect::<Vec<_>>(), [5, 9]);
    }

    /// A row starting with a byte-order mark at a block's start keeps it when that block goes
    /// the general road (the CSV parser takes a mark off only the file's start).
    #[test]
    fn byte_order_mark_at_a_block_start_is_kept() {
        // Blocks of 24 bytes: the header line (13 bytes with the mark), the u1 line, then
        // the u2 line (19 bytes), which has quotes and so goes the general road.
        let text =
            "\u{feff}user,time\nu1,2024-01-01\n\u{feff}u2,\"2024-01-01\"\n\"u3\",2024-01-01\n";
        let read = fast(text.as_bytes(), 24, 1, &CsvSpec::new("user", "time"));
        assert_eq!(read.table.users().values(), ["u1", "\u{feff}u2", "u3"]);
    }

    /// A file whose first block holds no line end goes the general road whole, header first.
    #[test]
    fn long_first_line_and_header_errors_as_the_general_road() {
        let text = "user,time,amount,event\nu1,2024-01-01,1,a\n";
        let read = fast(text.as_bytes(), 8, 2, &spec(b','));
        assert_eq!((read.rows_read, read.table.len()), (1, 1));
        let err = read_table_with(
            "a,b\nu,2024-01-01\n".as_bytes(),
            &CsvSpec::new("user", "b"),
            &Params::default(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "column \"user\" does not exist; the columns are: a, b"
        );
        let err = read_table_with(
            "\n\r\n".as_bytes(),
            &CsvSpec::new("u", "t"),
            &Params::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("no header"), "{err}");
    }

    /// One line of a generated file.
    fn line() -> impl Strategy<Value = Vec<u8>> {
        let user = prop::sample::select(vec!["u1", "u2", "ü3", " u4 ", "", "\u{feff}u5", "u6"]);
        let time = prop::sample::select(vec![
            "2024-01-01 00:02:20",
            "2024-02-29",
            "20240301",
            "2024-02-30",
            "bad",
            "0000-01-01",
            " 2024-01-01T01:02:03Z ",
            "",
        ]);
        let amount = prop::sample::select(vec!["0", "12.5", "", "-3", "abc", "NaN", " 7 "]);
        let event = prop::sample::select(vec!["signup", "", "kauf ä", " pay ", "x;y"]);
        let row = (user, time, amount, event)
            .prop_map(|(u, t, a, e)| format!("{u},{t},{a},{e}").into_bytes());
        prop_oneof![
            10 => row,
            1 => Just(Vec::new()),
            1 => Just(b"\r".to_vec()),
            1 => Just(b"   ".to_vec()),
            1 => Just(b"u1,2024-01-01".to_vec()),
            1 => Just(b"u1,2024-01-01,1,a,extra".to_vec()),
            1 => Just(b"u1,,,".to_vec()),
        ]
    }

    /// Something that sends a block the general road.
    fn oddity() -> impl Strategy<Value = Vec<u8>> {
        prop::sample::select(vec![
            b"\"q\"".to_vec(),
            b"\"open".to_vec(),
            b"\r".to_vec(),
            b"\xff".to_vec(),
            b"\xef\xbb\xbf".to_vec(),
        ])
    }

    proptest! {
        /// The fast road reads every file as the general road does: the same table (users and
        /// names in the same order), the same rejected rows with the same lines and reasons,
        /// the same count of rows; with blocks and pieces small enough to cut anywhere.
        #[test]
        fn fast_road_equals_general_road(
            lines in prop::collection::vec((line(), any::<bool>()), 0..40),
            last_ending in any::<bool>(),
            odd in prop::option::weighted(0.4, (oddity(), 0usize..40, 0usize..60)),
            bom in any::<bool>(),
            semicolon in any::<bool>(),
            block in 16usize..160,
            pieces in 1usize..5,
        ) {
            let mut text = Vec::new();
            if bom {
                text.extend_from_slice(b"\xef\xbb\xbf");
            }
            text.extend_from_slice(b"user,time,amount,event\n");
            for (i, (line, crlf)) in lines.iter().enumerate() {
                text.extend_from_slice(line);
                if i + 1 < lines.len() || last_ending {
                    text.extend_from_slice(if *crlf { b"\r\n" } else { b"\n" });
                }
            }
            if let Some((odd, line, at)) = odd {
                // Into the middle of a line (or the header), at a byte boundary of ASCII text.
                let starts: Vec<usize> = std::iter::once(0)
                    .chain(text.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1))
                    .collect();
                let at = (starts[line % starts.len()] + at).min(text.len());
                if text[..at].is_ascii() || std::str::from_utf8(&text[..at]).is_ok() {
                    text.splice(at..at, odd);
                }
            }
            let delimiter = if semicolon { b';' } else { b',' };
            if semicolon {
                // Commas become the separator; the event "x;y" stays a field with a `;`.
                for b in &mut text {
                    if *b == b',' {
                        *b = b';';
                    }
                }
            }
            let general = read_table_general(text.as_slice(), &spec(delimiter));
            let fast = read_table_with(text.as_slice(), &spec(delimiter), &Params { block, pieces });
            match (general, fast) {
                (Ok(general), Ok(fast)) => {
                    prop_assert_eq!(fast.rows_read, fast.table.len() as u64 + fast.rejected.len() as u64);
                    prop_assert_eq!(&fast, &general);
                }
                (Err(general), Err(fast)) => prop_assert_eq!(fast.to_string(), general.to_string()),
                (general, fast) => prop_assert!(false, "general {general:?}, fast {fast:?}"),
            }
        }
    }
}
