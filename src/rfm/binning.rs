//! Binning one dimension's values into scores `1..=k`: sample quantiles (R type 7), equal-size
//! n-tiles (pandas `qcut(rank(method="first"))`), caller's breaks, and the exact rules of the
//! R package `rfm` 0.3.
//!
//! All functions work on ascending scores (1 = lowest value); recency is reversed by the
//! caller. They take `O(n)` (quantiles, breaks) or `O(n log n)` (n-tiles) time and never
//! panic: values are checked finite before they get here.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// How a dimension's values become scores.
///
/// ```
/// use userops::rfm::Method;
/// let m: Method = serde_json::from_str("\"Quantile\"")?;
/// assert_eq!(m, Method::Quantile);
/// assert_eq!(Method::parse("r-rfm")?, Method::RfmR);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Method {
    /// Breaks at the sample quantiles `i/k` (linear interpolation, R `quantile` type 7);
    /// score `s` holds values in `(b[s-1], b[s]]` (the lowest bin also holds the minimum).
    /// Equal values always share a score; bins may be uneven or empty.
    Quantile,
    /// Equal-size bins by rank, ties split by input order: `qcut(rank(method="first"), k)` in
    /// pandas. Equal values may get different scores.
    Ntile,
    /// The caller's breaks `b1 < b2 < ... < bm` give `m + 1` scores; a break is the first value
    /// of the next score: score `s` holds `[b[s-1], b[s])`.
    Breaks(Vec<f64>),
    /// Exactly what R package `rfm` 0.3 does (`rfm_table_order`, `rfm_table_customer`):
    /// breaks are the type-7 quantiles at `i/k` **plus one**; score `s` holds
    /// `[lower[s], upper[s])` with `lower = (min, breaks)` and `upper = (breaks, max + 1)`.
    /// A value equal to a quantile therefore stays in the lower score.
    RfmR,
}

impl Method {
    /// Parses the command-line spelling: `quantile`, `ntile`, `r-rfm` (or `rfm-r`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the accepted spellings.
    ///
    /// ```
    /// assert_eq!(userops::rfm::Method::parse("ntile")?, userops::rfm::Method::Ntile);
    /// assert!(userops::rfm::Method::parse("kmeans").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(text: &str) -> Result<Method> {
        match text.trim().to_ascii_lowercase().as_str() {
            "quantile" => Ok(Method::Quantile),
            "ntile" => Ok(Method::Ntile),
            "r-rfm" | "rfm-r" | "rfmr" | "r" => Ok(Method::RfmR),
            _ => Err(Error::invalid(
                "binning",
                format!("{text:?} is not a binning; use quantile, ntile or r-rfm"),
            )),
        }
    }

    /// The method's name as the command line spells it.
    ///
    /// ```
    /// assert_eq!(userops::rfm::Method::RfmR.name(), "r-rfm");
    /// ```
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Method::Quantile => "quantile",
            Method::Ntile => "ntile",
            Method::Breaks(_) => "breaks",
            Method::RfmR => "r-rfm",
        }
    }
}

/// Whether a band's bounds are included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Closed {
    /// `[lower, upper)`.
    Left,
    /// `(lower, upper]` (the first band also holds its lower bound).
    Right,
    /// Bands are by rank, not by value: `lower`/`upper` are the smallest and largest value
    /// that received the score (an empty score repeats the bound of the score below it).
    Rank,
}

/// The values one score stands for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// The score.
    pub score: u8,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

/// The thresholds one dimension was scored with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// How the scores were made.
    pub method: Method,
    /// Number of scores (`1..=bins`).
    pub bins: u8,
    /// The breaks between scores, ascending in value (`bins - 1` of them; empty for n-tiles).
    pub breaks: Vec<f64>,
    /// How bands include their bounds.
    pub closed: Closed,
    /// One band per score, in ascending order of value (so for recency the first band is the
    /// highest score).
    pub bands: Vec<Band>,
}

/// Probability `i / k` exactly as R's `seq(0, 1, length.out = k + 1)` and numpy's
/// `linspace(0, 1, k + 1)` compute it: `i * (1 / k)`.
fn prob(i: usize, k: usize) -> f64 {
    i as f64 * (1.0 / k as f64)
}

/// R's `quantile(x, p, type = 7)` for a set of probabilities, from order statistics.
///
/// `sorted_at(j)` gives the j-th smallest value (0-based).
fn type7(n: usize, p: f64, sorted_at: &impl Fn(usize) -> f64) -> f64 {
    // index <- 1 + max(n - 1, 0) * probs; lo <- floor(index); hi <- ceiling(index)
    let index = 1.0 + (n.saturating_sub(1)) as f64 * p;
    let lo = index.floor();
    let hi = index.ceil();
    let (lo_i, hi_i) = (lo as usize, hi as usize);
    let qs = sorted_at(lo_i.saturating_sub(1));
    let x_hi = sorted_at(hi_i.saturating_sub(1));
    if index > lo && x_hi != qs {
        let h = index - lo;
        (1.0 - h) * qs + h * x_hi
    } else {
        qs
    }
}

/// The 0-based order-statistic positions type 7 needs for probabilities `i/k`, `0 < i < k`.
fn needed_positions(n: usize, k: usize) -> Vec<usize> {
    let mut pos = Vec::with_capacity(2 * k);
    for i in 1..k {
        let index = 1.0 + (n.saturating_sub(1)) as f64 * prob(i, k);
        pos.push((index.floor() as usize).saturating_sub(1));
        pos.push((index.ceil() as usize).saturating_sub(1));
    }
    pos.sort_unstable();
    pos.dedup();
    pos.retain(|&p| p < n);
    pos
}

/// Selects the order statistics at sorted `positions` (ascending, `< values.len()`) in
/// expected `O(n)` time, reordering `values`. A position right after the previous one is the
/// minimum of the part above it (a scan, not a selection).
fn order_statistics(values: &mut [f64], positions: &[usize]) -> Vec<(usize, f64)> {
    let mut out = Vec::with_capacity(positions.len());
    let mut start = 0usize;
    let mut rest: &mut [f64] = values;
    for &p in positions {
        if p < start {
            continue;
        }
        let local = p - start;
        if local >= rest.len() {
            break;
        }
        if local == 0 {
            let (i, v) =
                rest.iter()
                    .copied()
                    .enumerate()
                    .fold((0, f64::INFINITY), |(bi, bv), (i, v)| {
                        if v.total_cmp(&bv).is_lt() {
                            (i, v)
                        } else {
                            (bi, bv)
                        }
                    });
            rest.swap(0, i);
            out.push((p, v));
            start = p + 1;
            let all = std::mem::take(&mut rest);
            rest = all
                .split_first_mut()
                .map(|(_, tail)| tail)
                .unwrap_or_default();
            continue;
        }
        let (_, nth, right) = rest.select_nth_unstable_by(local, f64::total_cmp);
        out.push((p, *nth));
        start = p + 1;
        rest = right;
    }
    out
}

/// Type-7 quantiles at `i/k` for `0 < i < k` (the interior breaks of `k` bins).
///
/// # Errors
/// [`Error::Empty`] for no values.
///
/// ```
/// // mtcars$mpg, the data set R's own tests use; quantile(mpg, c(.2, .4, .6, .8)) is
/// // 15.20 17.92 21.00 24.08 in R.
/// let mpg = [21.0, 21.0, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3, 15.2,
///     10.4, 10.4, 14.7, 32.4, 30.4, 33.9, 21.5, 15.5, 15.2, 13.3, 19.2, 27.3, 26.0, 30.4, 15.8,
///     19.7, 15.0, 21.4];
/// let q = userops::rfm::quantile_breaks(&mpg, 5)?;
/// let r: Vec<f64> = q.iter().map(|x| (x * 100.0).round() / 100.0).collect();
/// assert_eq!(r, [15.20, 17.92, 21.00, 24.08]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn quantile_breaks(values: &[f64], k: u8) -> Result<Vec<f64>> {
    if values.is_empty() {
        return Err(Error::Empty("no values to compute quantiles of"));
    }
    Ok(breaks_with_range(values, usize::from(k), min_max(values)))
}

/// The type-7 breaks of `values` whose minimum and maximum are known (`binner` has them).
/// `values` is left as it is: the counting roads only read it, and the selection road (few
/// values, or a degenerate range) works on a copy.
fn breaks_with_range(values: &[f64], k: usize, (lo, hi): (f64, f64)) -> Vec<f64> {
    let n = values.len();
    let positions = needed_positions(n, k);
    let stats = match integer_histogram(values, lo, hi) {
        Some(counts) => histogram_statistics(lo, &counts, &positions),
        None => bucketed_statistics(values, &positions, (lo, hi))
            .unwrap_or_else(|| order_statistics(&mut values.to_vec(), &positions)),
    };
    type7_breaks(n, k, &stats)
}

/// The `k - 1` type-7 quantile breaks of `n` values from their order statistics at
/// [`needed_positions`].
fn type7_breaks(n: usize, k: usize, stats: &[(usize, f64)]) -> Vec<f64> {
    let at = |j: usize| -> f64 {
        stats
            .iter()
            .find(|(p, _)| *p == j)
            .map_or(f64::NAN, |(_, v)| *v)
    };
    (1..k).map(|i| type7(n, prob(i, k), &at)).collect()
}

/// [`binner`] for whole numbers (order counts) read straight off an iterator, without a work
/// column: one pass counts them, and the quantile methods read their breaks off the counts.
/// `None` when the method needs the values themselves (n-tiles, given breaks), for no
/// values, or when the largest is 2^20 or more (the caller then builds the column).
pub(crate) fn count_binner(
    values: impl Iterator<Item = u64>,
    method: &Method,
    k: u8,
) -> Option<Binner> {
    const SPAN: u64 = 1 << 20;
    if !matches!(method, Method::Quantile | Method::RfmR) {
        return None;
    }
    let mut counts: Vec<u32> = vec![0; 64];
    let mut n = 0usize;
    for v in values {
        if v >= SPAN {
            return None;
        }
        let i = v as usize; // < 2^20
        if i >= counts.len() {
            counts.resize((i + 1).next_power_of_two(), 0);
        }
        if let Some(c) = counts.get_mut(i) {
            *c = c.checked_add(1)?;
        }
        n += 1;
    }
    let lo = counts.iter().position(|&c| c > 0)?;
    let hi = counts.iter().rposition(|&c| c > 0)?;
    let counts = counts.get(lo..=hi)?;
    let (min, max) = (lo as f64, hi as f64);
    let kk = usize::from(k);
    let stats = histogram_statistics(min, counts, &needed_positions(n, kk));
    Some(quantile_binner(
        method,
        k,
        type7_breaks(n, kk, &stats),
        (min, max),
    ))
}

/// Order statistics in two linear passes: count values into equal-width buckets between the
/// known minimum and maximum (the bucket of `v` is monotone in `v`, so bucket `b` holds
/// exactly the values ranked between the counts below it), then select only inside the few
/// buckets that hold a wanted rank. A bucket of equal values (a mass of ties, such as the
/// customers who never paid) is answered without selecting; a crowded bucket of a skewed
/// distribution is bucketed again over its own range. `None` (caller selects the plain way)
/// for small inputs or a degenerate range.
fn bucketed_statistics(
    values: &[f64],
    positions: &[usize],
    range: (f64, f64),
) -> Option<Vec<(usize, f64)>> {
    bucketed_at_depth(values, positions, range, 0)
}

fn bucketed_at_depth(
    values: &[f64],
    positions: &[usize],
    (lo, hi): (f64, f64),
    depth: u32,
) -> Option<Vec<(usize, f64)>> {
    const BUCKETS: usize = 4096;
    if values.len() < 4 * BUCKETS || positions.is_empty() {
        return None;
    }
    let scale = BUCKETS as f64 / (hi - lo);
    if !scale.is_finite() || scale <= 0.0 {
        return None;
    }
    if values.len() >= u32::MAX as usize {
        return None;
    }
    // Clamped in floating point, then a conversion of a value in [0, BUCKETS) (the values are
    // finite here); the same bucket as truncating first and clamping after.
    let top = (BUCKETS - 1) as f64;
    let bucket = |v: f64| ((v - lo) * scale).min(top) as u32 as usize;
    // Counts in two interleaved tables (even and odd positions), so that a run of values in
    // one bucket (a mass of ties) does not make each increment wait on the previous one.
    let mut counts2 = vec![[0u32; 2]; BUCKETS];
    // Values equal to the minimum (a mass of ties there, such as customers who never paid,
    // is answered without gathering it).
    let mut at_lo = 0usize;
    let mut pairs = values.chunks_exact(2);
    for pair in pairs.by_ref() {
        if let [a, b] = *pair {
            at_lo += usize::from(a == lo) + usize::from(b == lo);
            if let Some([c, _]) = counts2.get_mut(bucket(a)) {
                *c += 1;
            }
            if let Some([_, c]) = counts2.get_mut(bucket(b)) {
                *c += 1;
            }
        }
    }
    for &v in pairs.remainder() {
        at_lo += usize::from(v == lo);
        if let Some([c, _]) = counts2.get_mut(bucket(v)) {
            *c += 1;
        }
    }
    let counts: Vec<usize> = counts2
        .iter()
        .map(|[a, b]| *a as usize + *b as usize)
        .collect();
    let mut out = Vec::with_capacity(positions.len());
    // For each wanted position: its bucket and its rank inside the bucket.
    let mut wanted: Vec<(usize, usize, usize)> = Vec::with_capacity(positions.len());
    let mut below = 0usize;
    let mut b = 0usize;
    for &p in positions {
        if p < at_lo {
            out.push((p, lo));
            continue;
        }
        while let Some(&c) = counts.get(b) {
            if p < below + c {
                break;
            }
            below += c;
            b += 1;
        }
        if b >= BUCKETS {
            return None;
        }
        wanted.push((p, b, p - below));
    }
    // Gather the values of the wanted buckets (a few, at most 2 per break), with each one's
    // minimum and maximum.
    let mut slot_of_bucket = vec![u8::MAX; BUCKETS];
    let mut gathered: Vec<(Vec<f64>, f64, f64)> = Vec::new();
    for &(_, b, _) in &wanted {
        if let Some(s) = slot_of_bucket.get_mut(b) {
            if *s == u8::MAX {
                *s = u8::try_from(gathered.len()).ok()?;
                let size = counts.get(b).copied().unwrap_or(0);
                gathered.push((Vec::with_capacity(size), f64::INFINITY, f64::NEG_INFINITY));
            }
        }
    }
    for &v in values {
        let s = slot_of_bucket.get(bucket(v)).copied().unwrap_or(u8::MAX);
        if s != u8::MAX {
            if let Some((g, g_lo, g_hi)) = gathered.get_mut(usize::from(s)) {
                g.push(v);
                *g_lo = g_lo.min(v);
                *g_hi = g_hi.max(v);
            }
        }
    }
    let mut i = 0;
    while let Some(&(_, b, _)) = wanted.get(i) {
        // The wanted positions of this bucket (consecutive in `wanted`).
        let same = wanted
            .get(i..)
            .unwrap_or_default()
            .iter()
            .take_while(|w| w.1 == b)
            .count();
        let mine = wanted.get(i..i + same)?;
        i += same;
        let s = usize::from(*slot_of_bucket.get(b)?);
        let (g, g_lo, g_hi) = gathered.get_mut(s)?;
        if mine.iter().any(|w| w.2 >= g.len()) {
            return None;
        }
        if g_lo == g_hi {
            out.extend(mine.iter().map(|w| (w.0, *g_lo)));
            continue;
        }
        let ranks: Vec<usize> = mine.iter().map(|w| w.2).collect();
        let inner = if g.len() >= 16 * BUCKETS && depth < 3 {
            bucketed_at_depth(g, &ranks, (*g_lo, *g_hi), depth + 1)
        } else {
            None
        };
        let inner = match inner {
            Some(found) => found,
            None => order_statistics(g, &ranks),
        };
        for ((p, _, _), (_, v)) in mine.iter().zip(inner) {
            out.push((*p, v));
        }
    }
    (out.len() == positions.len()).then_some(out)
}

/// When every value is an integer and they span fewer than 2^20 values (order counts, whole
/// days), their counts: order statistics then take one pass instead of selections.
fn integer_histogram(values: &[f64], lo: f64, hi: f64) -> Option<Vec<u32>> {
    const SPAN: f64 = (1u32 << 20) as f64;
    let span_ok = hi - lo < SPAN; // false for NaN too
    if !span_ok || values.len() >= u32::MAX as usize {
        return None;
    }
    // Whole numbers usually show in the first values: a cheap look before the counts.
    if values.iter().take(64).any(|v| v.fract() != 0.0) {
        return None;
    }
    let mut counts = vec![0u32; (hi - lo) as usize + 1];
    for &v in values {
        if v.fract() != 0.0 {
            return None;
        }
        if let Some(c) = counts.get_mut((v - lo) as usize) {
            *c += 1;
        }
    }
    Some(counts)
}

fn histogram_statistics(lo: f64, counts: &[u32], positions: &[usize]) -> Vec<(usize, f64)> {
    let mut out = Vec::with_capacity(positions.len());
    let mut seen = 0usize; // values below the current bucket
    let mut bucket = 0usize;
    for &p in positions {
        while let Some(&c) = counts.get(bucket) {
            if p < seen + c as usize {
                break;
            }
            seen += c as usize;
            bucket += 1;
        }
        out.push((p, lo + bucket as f64));
    }
    out
}

/// The minimum and maximum of `values`, NaN skipped (as `f64::min` and `f64::max` do);
/// `(inf, -inf)` when there is none. Four independent lanes, so that the comparisons do not
/// wait on each other.
pub(crate) fn min_max(values: &[f64]) -> (f64, f64) {
    let mut lo = [f64::INFINITY; 4];
    let mut hi = [f64::NEG_INFINITY; 4];
    let mut quads = values.chunks_exact(4);
    for q in quads.by_ref() {
        for ((l, h), &v) in lo.iter_mut().zip(hi.iter_mut()).zip(q) {
            // `v < l` is false for NaN: NaN never becomes a bound.
            *l = if v < *l { v } else { *l };
            *h = if v > *h { v } else { *h };
        }
    }
    let (mut l, mut h) = (
        lo[0].min(lo[1]).min(lo[2].min(lo[3])),
        hi[0].max(hi[1]).max(hi[2].max(hi[3])),
    );
    for &v in quads.remainder() {
        l = l.min(v);
        h = h.max(v);
    }
    (l, h)
}

/// How scores are read off a value once the breaks are known.
#[derive(Debug, Clone)]
enum Rule {
    /// `1 + #{b < v}`. Quantile bins (closed right) keep their breaks; bins closed left
    /// (`1 + #{b <= v}`: given breaks and R `rfm`) hold each break's next float down, since for
    /// finite `v`, `b <= v` exactly when `next_down(b) < v` (see [`closed_left`]).
    Below([f64; MAX_BREAKS]),
    /// [`Rule::Below`] with at most 4 breaks (5 scores, the usual): half the comparisons.
    Below4([f64; 4]),
    /// Precomputed per position (n-tiles).
    Ranked(Vec<u8>),
}

/// The largest float below `x` (`f64::next_down`, which needs Rust 1.86); +inf gives the
/// largest finite float, and NaN and -inf stay.
fn next_down(x: f64) -> f64 {
    if x.is_nan() || x == f64::NEG_INFINITY {
        x
    } else if x == 0.0 {
        -f64::from_bits(1)
    } else if x > 0.0 {
        f64::from_bits(x.to_bits() - 1)
    } else {
        f64::from_bits(x.to_bits() + 1)
    }
}

/// The rule of bins closed left: `1 + #{b <= v}` as `1 + #{next_down(b) < v}`.
fn closed_left(padded: [f64; MAX_BREAKS]) -> Rule {
    below(padded.map(next_down))
}

/// [`Rule::Below`], or [`Rule::Below4`] when no break past the fourth can be below a finite
/// value (padding: +inf, or the largest float once moved down by [`closed_left`]).
fn below(padded: [f64; MAX_BREAKS]) -> Rule {
    match padded {
        [a, b, c, d, rest @ ..] if rest.iter().all(|&x| x >= f64::MAX) => {
            Rule::Below4([a, b, c, d])
        }
        _ => Rule::Below(padded),
    }
}

/// At most 8 breaks (9 scores, single digits).
const MAX_BREAKS: usize = 8;

/// The breaks in a fixed array, the unused places +inf (never below nor at a finite value):
/// a score is then a fixed count of comparisons, without a loop bound to read.
fn padded(breaks: &[f64]) -> [f64; MAX_BREAKS] {
    let mut out = [f64::INFINITY; MAX_BREAKS];
    for (o, b) in out.iter_mut().zip(breaks) {
        *o = *b;
    }
    out
}

/// Scores of one dimension: the rule and the thresholds.
#[derive(Debug, Clone)]
pub(crate) struct Binner {
    rule: Rule,
    pub(crate) thresholds: Thresholds,
}

impl Binner {
    /// The ascending score of value `v` at position `i`.
    #[inline]
    pub(crate) fn score(&self, i: usize, v: f64) -> u8 {
        match &self.rule {
            Rule::Below(b) => 1 + count_below(b, v),
            Rule::Below4(b) => 1 + count_below(b, v),
            Rule::Ranked(s) => s.get(i).copied().unwrap_or(1),
        }
    }
}

/// Scores `values` (all finite, at least one) ascending into `1..=k` with `method`.
/// Returns the scores (parallel to `values`) and the thresholds.
#[cfg(test)]
pub(crate) fn bin(values: &[f64], method: &Method, k: u8) -> Result<(Vec<u8>, Thresholds)> {
    let b = binner(values, method, k)?;
    let scores = values
        .iter()
        .enumerate()
        .map(|(i, &v)| b.score(i, v))
        .collect();
    Ok((scores, b.thresholds))
}

/// Plans the scores of `values` (all finite) into `1..=k`.
pub(crate) fn binner(values: &[f64], method: &Method, k: u8) -> Result<Binner> {
    let range = min_max(values);
    binner_in_range(values, method, k, range)
}

/// The thresholds reported for `method`.
fn thresholds(
    method: &Method,
    breaks: Vec<f64>,
    closed: Closed,
    bands: Vec<Band>,
    bins: u8,
) -> Thresholds {
    Thresholds {
        method: method.clone(),
        bins,
        breaks,
        closed,
        bands,
    }
}

/// The binner of the quantile methods ([`Method::Quantile`], [`Method::RfmR`]) from the
/// type-7 breaks of the values and their minimum and maximum.
fn quantile_binner(method: &Method, k: u8, breaks: Vec<f64>, (min, max): (f64, f64)) -> Binner {
    if matches!(method, Method::RfmR) {
        let breaks: Vec<f64> = breaks.into_iter().map(|b| b + 1.0).collect();
        let bins = u8::try_from(breaks.len() + 1).unwrap_or(u8::MAX);
        let bands = bands(&breaks, min, bins, max + 1.0);
        Binner {
            rule: closed_left(padded(&breaks)),
            thresholds: thresholds(method, breaks, Closed::Left, bands, bins),
        }
    } else {
        let bands = bands(&breaks, min, k, max);
        Binner {
            rule: below(padded(&breaks)),
            thresholds: thresholds(method, breaks, Closed::Right, bands, k),
        }
    }
}

/// [`binner`] when the minimum and maximum of `values` are known (the caller found them
/// while building the column).
pub(crate) fn binner_in_range(
    values: &[f64],
    method: &Method,
    k: u8,
    (min, max): (f64, f64),
) -> Result<Binner> {
    if values.is_empty() {
        return Err(Error::Empty("no customers to score"));
    }
    match method {
        Method::Quantile | Method::RfmR => {
            let breaks = breaks_with_range(values, usize::from(k), (min, max));
            Ok(quantile_binner(method, k, breaks, (min, max)))
        }
        Method::Breaks(b) => {
            check_breaks("breaks", b)?;
            let breaks = b.clone();
            let bins = u8::try_from(breaks.len() + 1).unwrap_or(u8::MAX);
            let bands = bands(&breaks, min, bins, max + 1.0);
            Ok(Binner {
                rule: closed_left(padded(&breaks)),
                thresholds: thresholds(method, breaks, Closed::Left, bands, bins),
            })
        }
        Method::Ntile => {
            let scores = ntile(values, usize::from(k));
            let mut bands: Vec<Band> = (1..=k)
                .map(|s| Band {
                    score: s,
                    lower: f64::NAN,
                    upper: f64::NAN,
                })
                .collect();
            for (&v, &s) in values.iter().zip(&scores) {
                if let Some(b) = bands.get_mut(usize::from(s).saturating_sub(1)) {
                    if b.lower.is_nan() || v < b.lower {
                        b.lower = v;
                    }
                    if b.upper.is_nan() || v > b.upper {
                        b.upper = v;
                    }
                }
            }
            // An empty score (fewer customers than scores) gets the bound of the score below
            // it (or the minimum), never NaN.
            let mut prev = min;
            for b in &mut bands {
                if b.lower.is_nan() {
                    b.lower = prev;
                    b.upper = prev;
                }
                prev = b.upper;
            }
            Ok(Binner {
                rule: Rule::Ranked(scores),
                thresholds: thresholds(method, Vec::new(), Closed::Rank, bands, k),
            })
        }
    }
}

#[inline]
fn count_below<const N: usize>(breaks: &[f64; N], v: f64) -> u8 {
    let mut c = 0u8;
    for &b in breaks {
        c += u8::from(b < v);
    }
    c
}

fn bands(breaks: &[f64], min: f64, k: u8, top: f64) -> Vec<Band> {
    (1..=k)
        .map(|s| {
            let i = usize::from(s);
            Band {
                score: s,
                lower: if i == 1 {
                    min
                } else {
                    breaks.get(i - 2).copied().unwrap_or(min)
                },
                upper: breaks.get(i - 1).copied().unwrap_or(top),
            }
        })
        .collect()
}

/// pandas `qcut(s.rank(method="first"), k, labels=1..k)`: rank `r` (1-based, ties by input
/// order) gets `1 + #{j : r > e_j}` with edges `e_j = 1 + (n - 1) * j / k` (numpy linear
/// quantiles of the ranks); since ranks are integers, `r > e_j` iff `r > floor(e_j)`.
fn ntile(values: &[f64], k: usize) -> Vec<u8> {
    let n = values.len();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        let va = values.get(a as usize).copied().unwrap_or(0.0);
        let vb = values.get(b as usize).copied().unwrap_or(0.0);
        va.partial_cmp(&vb)
            .unwrap_or(Ordering::Equal)
            .then(a.cmp(&b))
    });
    let edges: Vec<usize> = (1..k)
        .map(|j| (1.0 + (n.saturating_sub(1)) as f64 * prob(j, k)).floor() as usize)
        .collect();
    let mut scores = vec![1u8; n];
    for (rank0, &i) in order.iter().enumerate() {
        let rank = rank0 + 1;
        let s = 1 + edges.iter().filter(|&&e| rank > e).count();
        if let Some(slot) = scores.get_mut(i as usize) {
            *slot = u8::try_from(s).unwrap_or(u8::MAX);
        }
    }
    scores
}

/// Checks caller breaks: finite, strictly increasing, at most 8 (scores stay single digits).
pub(crate) fn check_breaks(name: &'static str, breaks: &[f64]) -> Result<()> {
    if breaks.is_empty() {
        return Err(Error::invalid(name, "give at least one break"));
    }
    if breaks.len() > 8 {
        return Err(Error::invalid(
            name,
            format!(
                "{} breaks give {} scores; at most 8 breaks (9 scores) are allowed",
                breaks.len(),
                breaks.len() + 1
            ),
        ));
    }
    if let Some(b) = breaks.iter().find(|b| !b.is_finite()) {
        return Err(Error::invalid(name, format!("break {b} is not finite")));
    }
    if let Some([a, b]) = breaks.windows(2).find(|w| w[0] >= w[1]) {
        return Err(Error::invalid(
            name,
            format!("breaks must be strictly increasing, but {a} is followed by {b}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_left_rule_counts_breaks_at_or_below() {
        let tiny = f64::from_bits(1);
        assert_eq!(next_down(1.0), 1.0 - f64::EPSILON / 2.0);
        assert_eq!(next_down(0.0), -tiny);
        assert_eq!(next_down(-0.0), -tiny);
        assert_eq!(next_down(tiny), 0.0);
        assert_eq!(next_down(-1.0), -1.0 - f64::EPSILON);
        assert_eq!(next_down(f64::INFINITY), f64::MAX);
        assert_eq!(next_down(f64::NEG_INFINITY), f64::NEG_INFINITY);
        let long = [-2.5, -0.0, tiny, 1.0, 3.0, 1e300];
        let short = [-0.0, tiny, 3.0]; // the four-break road
        assert!(matches!(closed_left(padded(&short)), Rule::Below4(_)));
        assert!(matches!(closed_left(padded(&long)), Rule::Below(_)));
        for breaks in [&long[..], &short[..]] {
            let rule = closed_left(padded(breaks));
            let values = [
                -1e308,
                -2.5,
                -2.499_999_9,
                -tiny,
                -0.0,
                0.0,
                tiny,
                0.5,
                1.0,
                2.0,
                3.0,
                1e300,
                f64::MAX,
            ];
            for v in values {
                let want = 1 + breaks.iter().filter(|&&b| b <= v).count();
                let b = Binner {
                    rule: rule.clone(),
                    thresholds: Thresholds {
                        method: Method::Breaks(breaks.to_vec()),
                        bins: 7,
                        breaks: breaks.to_vec(),
                        closed: Closed::Left,
                        bands: Vec::new(),
                    },
                };
                assert_eq!(usize::from(b.score(0, v)), want, "value {v}");
            }
        }
    }

    #[test]
    fn min_max_skips_nan_like_f64_min_and_max() {
        let nan = f64::NAN;
        assert_eq!(min_max(&[]), (f64::INFINITY, f64::NEG_INFINITY));
        assert_eq!(min_max(&[nan, 2.0, -1.0, nan, 7.5]), (-1.0, 7.5));
        assert_eq!(
            min_max(&[3.0, nan, nan, nan, nan, nan, nan, -4.0, 0.0]),
            (-4.0, 3.0)
        );
        let r = min_max(&[nan; 6]);
        assert!(r.0.is_infinite() && r.1.is_infinite());
    }

    #[test]
    fn bucketed_order_statistics_equal_a_full_sort() {
        let mut rng = crate::sample::Rng::new(9);
        let cases: Vec<Vec<f64>> = vec![
            (0..50_000).map(|_| rng.uniform()).collect(),
            (0..50_000).map(|_| rng.gamma(0.3, 1000.0)).collect(),
            // One huge outlier: nearly everything in the first bucket.
            (0..50_000)
                .map(|i| if i == 7 { 1e12 } else { rng.uniform() })
                .collect(),
            // Heavy ties.
            (0..50_000).map(|i| f64::from(i % 3) + 0.5).collect(),
            (0..40_000).map(|i| -f64::from(i) * 0.25).collect(),
            // A mass of ties at the minimum (customers who never paid), an odd count.
            (0..50_001)
                .map(|i| {
                    if i % 4 == 0 {
                        rng.gamma(0.5, 80.0)
                    } else {
                        0.0
                    }
                })
                .collect(),
        ];
        for values in cases {
            let mut sorted = values.clone();
            sorted.sort_unstable_by(f64::total_cmp);
            let (lo, hi) = (sorted[0], sorted[sorted.len() - 1]);
            assert_eq!(min_max(&values), (lo, hi));
            for k in 2..=9 {
                let positions = needed_positions(values.len(), k);
                let got = bucketed_statistics(&values, &positions, (lo, hi))
                    .expect("the bucketed road answers every case here");
                for (p, v) in got {
                    assert_eq!(v, sorted[p], "k {k} position {p}");
                }
                let plain = order_statistics(&mut values.clone(), &positions);
                for (p, v) in plain {
                    assert_eq!(v, sorted[p]);
                }
            }
        }
    }

    #[test]
    fn type7_matches_hand_calculation() {
        // x = 1..=10, p = 0.2: index = 1 + 9 * 0.2 = 2.8 -> 2 + 0.8 * (3 - 2) = 2.8.
        let x: Vec<f64> = (1..=10).map(f64::from).collect();
        let q = quantile_breaks(&x, 5).unwrap();
        let want = [2.8, 4.6, 6.4, 8.2];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
    }

    #[test]
    fn ntile_matches_pandas_qcut_of_first_ranks() {
        // pandas: pd.qcut(pd.Series([5,5,5,5,5,1,2]).rank(method="first"), 3, labels=[1,2,3])
        // ranks: 5,5,5,5,5 -> 3,4,5,6,7 ; 1 -> 1 ; 2 -> 2. Edges: 1 + 6*[1/3, 2/3] = 3, 5.
        // rank 1,2,3 -> 1 ; 4,5 -> 2 ; 6,7 -> 3.
        let v = [5.0, 5.0, 5.0, 5.0, 5.0, 1.0, 2.0];
        assert_eq!(ntile(&v, 3), vec![1, 2, 2, 3, 3, 1, 1]);
    }

    #[test]
    fn quantile_puts_a_value_at_a_break_in_the_lower_score() {
        // x = 1..=5, k = 2: break = median = 3; 3 is in (-, 3] -> score 1.
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let (s, t) = bin(&x, &Method::Quantile, 2).unwrap();
        assert_eq!(t.breaks, vec![3.0]);
        assert_eq!(s, vec![1, 1, 1, 2, 2]);
    }

    #[test]
    fn rfm_r_adds_one_to_the_quantile() {
        // Same data under R rfm 0.3: break = 3 + 1 = 4; [1, 4) -> 1, [4, 6) -> 2.
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let (s, t) = bin(&x, &Method::RfmR, 2).unwrap();
        assert_eq!(t.breaks, vec![4.0]);
        assert_eq!(s, vec![1, 1, 1, 2, 2]);
        assert_eq!(t.bands[1].upper, 6.0);
    }
}
