//! Segments: ordered rules over R/F/M score ranges (first match wins, unmatched customers are
//! "Others"), the standard 11-segment map, JSON rule files, detection of rules that can never
//! match, and the per-segment summary.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::score::{RfmScores, ScoredCustomer};
use crate::{Error, Result};

/// The name of the segment of customers no rule matched.
pub const OTHERS: &str = "Others";

/// One rule: a name and inclusive score ranges `[lowest, highest]` for R, F and M.
///
/// Its JSON form is `{"name": "Champions", "r": [4, 5], "f": [4, 5], "m": [4, 5]}`.
///
/// ```
/// let rule: userops::rfm::SegmentRule =
///     serde_json::from_str(r#"{"name": "Champions", "r": [4, 5], "f": [4, 5], "m": [4, 5]}"#)?;
/// assert!(rule.matches(5, 4, 4));
/// assert!(!rule.matches(3, 5, 5));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentRule {
    /// Segment name.
    pub name: String,
    /// Recency score range, inclusive.
    pub r: [u8; 2],
    /// Frequency score range, inclusive.
    pub f: [u8; 2],
    /// Monetary score range, inclusive.
    pub m: [u8; 2],
}

impl SegmentRule {
    /// A rule.
    ///
    /// ```
    /// let lost = userops::rfm::SegmentRule::new("Lost", [1, 1], [1, 1], [1, 1]);
    /// assert!(lost.matches(1, 1, 1));
    /// ```
    pub fn new(name: impl Into<String>, r: [u8; 2], f: [u8; 2], m: [u8; 2]) -> Self {
        SegmentRule {
            name: name.into(),
            r,
            f,
            m,
        }
    }

    /// Whether scores `(r, f, m)` fall in all three ranges.
    ///
    /// ```
    /// let r = userops::rfm::SegmentRule::new("x", [2, 3], [1, 5], [1, 5]);
    /// assert!(r.matches(3, 1, 5) && !r.matches(4, 1, 1));
    /// ```
    #[must_use]
    pub fn matches(&self, r: u8, f: u8, m: u8) -> bool {
        (self.r[0]..=self.r[1]).contains(&r)
            && (self.f[0]..=self.f[1]).contains(&f)
            && (self.m[0]..=self.m[1]).contains(&m)
    }

    fn check(&self, index: usize) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(Error::invalid(
                "segments",
                format!("rule {} has an empty name", index + 1),
            ));
        }
        for (dim, [lo, hi]) in [("r", self.r), ("f", self.f), ("m", self.m)] {
            if lo > hi {
                return Err(Error::invalid(
                    "segments",
                    format!(
                        "rule {} {:?}: {dim} range [{lo}, {hi}] is inverted (lowest must not exceed highest)",
                        index + 1,
                        self.name
                    ),
                ));
            }
            if lo < 1 || hi > 9 {
                return Err(Error::invalid(
                    "segments",
                    format!(
                        "rule {} {:?}: {dim} range [{lo}, {hi}] is out of range (scores are 1 to 9)",
                        index + 1,
                        self.name
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// A rule that can never match: every score it covers is taken by earlier rules (or it covers
/// no possible score).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreachableRule {
    /// The rule's position (0-based).
    pub index: usize,
    /// The rule's name.
    pub name: String,
    /// The earlier rules that take its scores (empty when it covers no possible score).
    pub covered_by: Vec<String>,
}

impl fmt::Display for UnreachableRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.covered_by.is_empty() {
            write!(
                f,
                "rule {} {:?} covers no possible score and never matches",
                self.index + 1,
                self.name
            )
        } else {
            write!(
                f,
                "rule {} {:?} never matches: earlier rules take all its scores ({})",
                self.index + 1,
                self.name,
                self.covered_by.join(", ")
            )
        }
    }
}

/// Ordered segment rules: the first rule that matches a customer's scores names the segment;
/// customers no rule matches are [`OTHERS`].
///
/// ```
/// use userops::rfm::SegmentRules;
/// let rules = SegmentRules::from_json(r#"[
///     {"name": "Champions", "r": [4, 5], "f": [4, 5], "m": [4, 5]},
///     {"name": "Big but gone", "r": [1, 2], "f": [4, 5], "m": [4, 5]}
/// ]"#)?;
/// assert_eq!(rules.name_of(5, 5, 4), "Champions");
/// assert_eq!(rules.name_of(3, 3, 3), "Others");
/// assert!(SegmentRules::from_json(r#"[{"name": "x", "r": [5, 3], "f": [1, 5], "m": [1, 5]}]"#).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<SegmentRule>", into = "Vec<SegmentRule>")]
pub struct SegmentRules {
    rules: Vec<SegmentRule>,
}

impl TryFrom<Vec<SegmentRule>> for SegmentRules {
    type Error = Error;
    fn try_from(rules: Vec<SegmentRule>) -> Result<Self> {
        SegmentRules::new(rules)
    }
}

impl From<SegmentRules> for Vec<SegmentRule> {
    fn from(r: SegmentRules) -> Self {
        r.rules
    }
}

impl SegmentRules {
    /// Rules in priority order.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`segments`) for an empty name, an inverted range or a
    /// range outside the scores 1 to 9, naming the rule.
    ///
    /// ```
    /// use userops::rfm::{SegmentRule, SegmentRules};
    /// let rules = SegmentRules::new(vec![SegmentRule::new("Top", [5, 5], [5, 5], [5, 5])])?;
    /// assert_eq!(rules.rules().len(), 1);
    /// assert!(SegmentRules::new(vec![SegmentRule::new("Bad", [0, 5], [1, 5], [1, 5])]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(rules: Vec<SegmentRule>) -> Result<Self> {
        for (i, r) in rules.iter().enumerate() {
            r.check(i)?;
        }
        Ok(SegmentRules { rules })
    }

    /// The standard 11-segment map for 5 scores: the segments and score ranges of the R
    /// package `rfm` 0.3 vignette (Champions, Loyal Customers, New Customers, Promising,
    /// Potential Loyalist, Need Attention, About To Sleep, Can't Lose Them, Hibernating, At
    /// Risk, Lost) in an order where every rule can match. In the vignette's order
    /// ([`SegmentRules::rfm_vignette`]) Potential Loyalist takes every score of New Customers
    /// and Promising, and At Risk (with earlier rules) every score of Can't Lose Them and
    /// Hibernating: four of its eleven segments are always empty. Here those four come
    /// before the rules that swallowed them.
    ///
    /// ```
    /// let rules = userops::rfm::SegmentRules::standard();
    /// assert_eq!(rules.rules().len(), 11);
    /// assert_eq!(rules.name_of(5, 5, 5), "Champions");
    /// assert_eq!(rules.name_of(5, 1, 1), "New Customers");
    /// assert_eq!(rules.name_of(1, 5, 5), "Can't Lose Them");
    /// assert_eq!(rules.name_of(1, 1, 1), "Lost");
    /// assert!(rules.unreachable((5, 5, 5)).is_empty());
    /// ```
    #[must_use]
    pub fn standard() -> Self {
        let v = Self::rfm_vignette().rules;
        let order = [
            "Champions",
            "Loyal Customers",
            "New Customers",
            "Promising",
            "Potential Loyalist",
            "Need Attention",
            "About To Sleep",
            "Can't Lose Them",
            "Hibernating",
            "At Risk",
            "Lost",
        ];
        SegmentRules {
            rules: order
                .iter()
                .filter_map(|n| v.iter().find(|r| r.name == *n).cloned())
                .collect(),
        }
    }

    /// The 11-segment table of the R package `rfm` 0.3 vignette, in its order, rule for rule.
    /// Four of its rules can never match; see [`SegmentRules::standard`].
    ///
    /// ```
    /// let rules = userops::rfm::SegmentRules::rfm_vignette();
    /// let dead: Vec<String> = rules.unreachable((5, 5, 5)).into_iter().map(|u| u.name).collect();
    /// assert_eq!(dead, ["New Customers", "Promising", "Can't Lose Them", "Hibernating"]);
    /// ```
    #[must_use]
    pub fn rfm_vignette() -> Self {
        // segment_names, recency_lower/upper, frequency_lower/upper, monetary_lower/upper of
        // the vignette, one row per segment.
        type Row<'a> = (&'a str, [u8; 2], [u8; 2], [u8; 2]);
        let t: [Row; 11] = [
            ("Champions", [4, 5], [4, 5], [4, 5]),
            ("Loyal Customers", [2, 4], [3, 4], [4, 5]),
            ("Potential Loyalist", [3, 5], [1, 3], [1, 3]),
            ("New Customers", [4, 5], [1, 1], [1, 1]),
            ("Promising", [3, 4], [1, 1], [1, 1]),
            ("Need Attention", [3, 4], [3, 4], [3, 4]),
            ("About To Sleep", [2, 3], [1, 2], [1, 2]),
            ("At Risk", [1, 2], [2, 5], [2, 5]),
            ("Can't Lose Them", [1, 1], [4, 5], [4, 5]),
            ("Hibernating", [2, 3], [2, 3], [2, 3]),
            ("Lost", [1, 1], [1, 1], [1, 1]),
        ];
        SegmentRules {
            rules: t
                .iter()
                .map(|(n, r, f, m)| SegmentRule::new(*n, *r, *f, *m))
                .collect(),
        }
    }

    /// Rules from JSON: `[{"name": "Champions", "r": [4, 5], "f": [4, 5], "m": [4, 5]}, ...]`.
    ///
    /// # Errors
    /// [`Error::Json`] when the text is not such an array; [`Error::InvalidParameter`] as in
    /// [`SegmentRules::new`].
    ///
    /// ```
    /// let rules = userops::rfm::SegmentRules::from_json(r#"[{"name": "All", "r": [1, 5], "f": [1, 5], "m": [1, 5]}]"#)?;
    /// assert_eq!(rules.name_of(2, 2, 2), "All");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_json(text: &str) -> Result<Self> {
        let rules: Vec<SegmentRule> = serde_json::from_str(text)?;
        SegmentRules::new(rules)
    }

    /// The rules as JSON, in the format [`SegmentRules::from_json`] reads.
    ///
    /// ```
    /// use userops::rfm::SegmentRules;
    /// let s = SegmentRules::standard();
    /// assert_eq!(SegmentRules::from_json(&s.to_json())?, s);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.rules).unwrap_or_else(|_| "[]".into())
    }

    /// The rules in priority order.
    ///
    /// ```
    /// assert_eq!(userops::rfm::SegmentRules::standard().rules()[0].name, "Champions");
    /// ```
    #[must_use]
    pub fn rules(&self) -> &[SegmentRule] {
        &self.rules
    }

    /// The name of the segment of scores `(r, f, m)`: the first matching rule, or [`OTHERS`].
    ///
    /// ```
    /// assert_eq!(userops::rfm::SegmentRules::standard().name_of(4, 1, 1), "New Customers");
    /// ```
    #[must_use]
    pub fn name_of(&self, r: u8, f: u8, m: u8) -> &str {
        self.rules
            .iter()
            .find(|x| x.matches(r, f, m))
            .map_or(OTHERS, |x| x.name.as_str())
    }

    /// Rules that can never match with `bins = (r, f, m)` scores: all their score cells are
    /// taken by earlier rules, or they cover no possible score.
    ///
    /// ```
    /// use userops::rfm::{SegmentRule, SegmentRules};
    /// let rules = SegmentRules::new(vec![
    ///     SegmentRule::new("Low", [1, 2], [1, 5], [1, 5]),
    ///     SegmentRule::new("Lost", [1, 1], [1, 1], [1, 1]),
    /// ])?;
    /// let dead = rules.unreachable((5, 5, 5));
    /// assert_eq!(dead[0].name, "Lost");
    /// assert_eq!(dead[0].covered_by, ["Low"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn unreachable(&self, bins: (u8, u8, u8)) -> Vec<UnreachableRule> {
        // One table of the first matching rule per cell, then one pass over each rule's cells:
        // linear in the number of rules (a rule covers at most 729 cells), where asking every
        // earlier rule for every cell was quadratic (32k rules took minutes).
        let first = self.first_matches();
        let mut out = Vec::new();
        let mut seen = vec![false; self.rules.len()];
        for (i, rule) in self.rules.iter().enumerate() {
            let mut any_cell = false;
            let mut free_cell = false;
            let mut covering: Vec<usize> = Vec::new();
            for r in rule.r[0]..=rule.r[1].min(bins.0) {
                for f in rule.f[0]..=rule.f[1].min(bins.1) {
                    for m in rule.m[0]..=rule.m[1].min(bins.2) {
                        any_cell = true;
                        let earliest = first[cell(r, f, m)];
                        if earliest < i {
                            if !std::mem::replace(&mut seen[earliest], true) {
                                covering.push(earliest);
                            }
                        } else {
                            free_cell = true;
                        }
                    }
                }
            }
            for j in &covering {
                seen[*j] = false;
            }
            if !any_cell || !free_cell {
                out.push(UnreachableRule {
                    index: i,
                    name: rule.name.clone(),
                    covered_by: covering
                        .iter()
                        .map(|j| self.rules[*j].name.clone())
                        .collect(),
                });
            }
        }
        out
    }

    /// The first matching rule of every (r, f, m) cell, 0..=9 each (index `cell(r, f, m)`), or
    /// `rules.len()` where none matches: one pass per rule over its own cells, latest first.
    fn first_matches(&self) -> Vec<usize> {
        let mut table = vec![self.rules.len(); 1000];
        for (i, rule) in self.rules.iter().enumerate().rev() {
            for r in rule.r[0]..=rule.r[1].min(9) {
                for f in rule.f[0]..=rule.f[1].min(9) {
                    for m in rule.m[0]..=rule.m[1].min(9) {
                        table[cell(r, f, m)] = i;
                    }
                }
            }
        }
        table
    }

    /// Checks the rules against the scores actually produced (`bins = (r, f, m)`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`segments`) naming the first rule whose range goes past the
    /// number of scores of its dimension.
    ///
    /// ```
    /// let rules = userops::rfm::SegmentRules::standard();
    /// assert!(rules.check_bins((5, 5, 5)).is_ok());
    /// assert!(rules.check_bins((3, 3, 3)).is_err());
    /// ```
    pub fn check_bins(&self, bins: (u8, u8, u8)) -> Result<()> {
        for (i, rule) in self.rules.iter().enumerate() {
            for (dim, [lo, hi], k) in [
                ("r", rule.r, bins.0),
                ("f", rule.f, bins.1),
                ("m", rule.m, bins.2),
            ] {
                if hi > k {
                    return Err(Error::invalid(
                        "segments",
                        format!(
                            "rule {} {:?}: {dim} range [{lo}, {hi}] is out of range: the scores are 1 to {k}",
                            i + 1,
                            rule.name
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Puts every scored customer in exactly one segment and summarizes the segments.
    ///
    /// # Errors
    /// As [`SegmentRules::check_bins`]; [`Error::Overflow`] naming the segment when its orders
    /// pass `u64::MAX` or its revenue `f64::MAX`.
    ///
    /// ```
    /// use userops::rfm::{CustomerRow, Method, RfmTable, ScoreParams, SegmentRules};
    /// let rows = (1..=20).map(|i| CustomerRow::new(i, f64::from(i), (i % 7) as u64 + 1, f64::from(i * 13 % 50)));
    /// let scores = ScoreParams::new(Method::Quantile).check()?
    ///     .score(&RfmTable::<i32>::from_customers(rows)?)?;
    /// let seg = SegmentRules::standard().segment(&scores)?;
    /// assert_eq!(seg.summary.iter().map(|s| s.customers).sum::<u64>(), 20);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn segment<U>(&self, scores: &RfmScores<U>) -> Result<Segmentation> {
        let plan = self.plan(scores)?;
        let rows = scores.customers.as_slice();
        let blocks = (0..rows.len().div_ceil(SEGMENT_BLOCK))
            .map(|b| plan.block(rows, b))
            .collect::<Result<_>>()?;
        plan.finish(blocks, self.unreachable(scores.bins()))
    }

    /// [`SegmentRules::segment`] with the customers split over rayon's current threads
    /// (feature `parallel`; the ids must be `Sync`). The same result, bit for bit.
    ///
    /// # Errors
    /// As [`SegmentRules::segment`].
    ///
    /// ```
    /// use userops::rfm::{CustomerRow, Method, RfmTable, ScoreParams, SegmentRules};
    /// let rows = (1..=20).map(|i| CustomerRow::new(i, f64::from(i), (i % 7) as u64 + 1, f64::from(i * 13 % 50)));
    /// let scores = ScoreParams::new(Method::Quantile).check()?
    ///     .score(&RfmTable::<i32>::from_customers(rows)?)?;
    /// let rules = SegmentRules::standard();
    /// assert_eq!(rules.segment_par(&scores)?, rules.segment(&scores)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "parallel")]
    pub fn segment_par<U: Sync>(&self, scores: &RfmScores<U>) -> Result<Segmentation> {
        let plan = self.plan(scores)?;
        let rows = scores.customers.as_slice();
        let mut blocks = Vec::new();
        {
            use rayon::prelude::*;
            (0..rows.len().div_ceil(SEGMENT_BLOCK))
                .into_par_iter()
                .map(|b| plan.block(rows, b))
                .collect_into_vec(&mut blocks);
        }
        let blocks = blocks.into_iter().collect::<Result<_>>()?;
        plan.finish(blocks, self.unreachable(scores.bins()))
    }

    /// The lookup table of every (r, f, m) and the names, after checking the bins.
    fn plan<U>(&self, scores: &RfmScores<U>) -> Result<SegmentPlan> {
        self.check_bins(scores.bins())?;
        // Lookup table over all (r, f, m) in 0..=9: first matching rule, or the fallback.
        let others = u16::try_from(self.rules.len()).map_err(|_| {
            Error::invalid("segments", "at most 65,535 segment rules are supported")
        })?;
        let table = self
            .first_matches()
            .into_iter()
            .map(|i| u16::try_from(i).unwrap_or(others))
            .collect();
        let mut names: Vec<String> = self.rules.iter().map(|r| r.name.clone()).collect();
        names.push(OTHERS.to_string());
        Ok(SegmentPlan {
            table,
            others,
            names,
        })
    }
}

/// The index of score cell `(r, f, m)` (each 0..=9) in a 1000-cell table.
fn cell(r: u8, f: u8, m: u8) -> usize {
    usize::from(r) * 100 + usize::from(f) * 10 + usize::from(m)
}

/// Customers per block of [`SegmentRules::segment`]: a fixed size, whatever the threads, so
/// that the totals, added block by block in order, do not depend on the number of threads.
const SEGMENT_BLOCK: usize = 1 << 15;

/// A block's segment per customer and its totals per segment (customers, orders, revenue).
type Block = (Vec<u16>, Vec<(u64, u64, f64)>);

/// What segmenting needs: the first matching rule of every (r, f, m) cell, the fallback
/// index and the names (rules, then "Others").
struct SegmentPlan {
    table: Vec<u16>,
    others: u16,
    names: Vec<String>,
}

impl SegmentPlan {
    /// Block `b` of `rows`.
    fn block<U>(&self, rows: &[ScoredCustomer<U>], b: usize) -> Result<Block> {
        let block = rows
            .get(b * SEGMENT_BLOCK..((b + 1) * SEGMENT_BLOCK).min(rows.len()))
            .unwrap_or_default();
        let mut of = Vec::with_capacity(block.len());
        let mut totals = vec![(0u64, 0u64, 0f64); self.names.len()];
        for c in crate::engine::scan(block) {
            let cell = usize::from(c.r) * 100 + usize::from(c.f) * 10 + usize::from(c.m);
            let s = self.table.get(cell).copied().unwrap_or(self.others);
            if let Some((n, o, v)) = totals.get_mut(usize::from(s)) {
                *n += 1;
                *o = crate::checked::add_count(*o, c.orders, || self.what("orders", s))?;
                *v = crate::checked::add(*v, c.monetary, || self.what("revenue", s))?;
            }
            of.push(s);
        }
        Ok((of, totals))
    }

    /// `orders of segment "Champions"`, for an overflow.
    fn what(&self, total: &str, segment: u16) -> String {
        let name = self
            .names
            .get(usize::from(segment))
            .map_or("", String::as_str);
        format!("the {total} of segment {name:?}")
    }

    /// The segmentation from the blocks, in order.
    fn finish(self, blocks: Vec<Block>, unreachable: Vec<UnreachableRule>) -> Result<Segmentation> {
        let width = self.names.len();
        let names = self.names;
        let mut customers = vec![0u64; width];
        let mut orders = vec![0u64; width];
        let mut revenue = vec![0f64; width];
        let mut of_customer = Vec::with_capacity(blocks.len() * SEGMENT_BLOCK);
        for (of, totals) in blocks {
            of_customer.extend_from_slice(&of);
            for (i, (n, o, v)) in totals.into_iter().enumerate() {
                if let (Some(cn), Some(co), Some(cv)) =
                    (customers.get_mut(i), orders.get_mut(i), revenue.get_mut(i))
                {
                    *cn = crate::checked::add_count(*cn, n, || {
                        format!("the customers of segment {:?}", names[i])
                    })?;
                    *co = crate::checked::add_count(*co, o, || {
                        format!("the orders of segment {:?}", names[i])
                    })?;
                    *cv = crate::checked::add(*cv, v, || {
                        format!("the revenue of segment {:?}", names[i])
                    })?;
                }
            }
        }
        let total_customers = customers.iter().try_fold(0_u64, |a, n| {
            crate::checked::add_count(a, *n, || "the customers of all segments".into())
        })?;
        let total_revenue = revenue.iter().try_fold(0.0, |a, v| {
            crate::checked::add(a, *v, || "the revenue of all segments".into())
        })?;
        let summary = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let n = customers.get(i).copied().unwrap_or(0);
                let o = orders.get(i).copied().unwrap_or(0);
                let v = revenue.get(i).copied().unwrap_or(0.0);
                SegmentRow {
                    segment: name.clone(),
                    customers: n,
                    orders: o,
                    revenue: v,
                    aov: if o == 0 { 0.0 } else { v / o as f64 },
                    customer_share: if total_customers == 0 {
                        0.0
                    } else {
                        n as f64 / total_customers as f64
                    },
                    revenue_share: if total_revenue == 0.0 {
                        0.0
                    } else {
                        v / total_revenue
                    },
                }
            })
            .collect();
        Ok(Segmentation {
            names,
            of_customer,
            summary,
            unreachable,
        })
    }
}

/// One segment's totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentRow {
    /// Segment name.
    pub segment: String,
    /// Customers in the segment.
    pub customers: u64,
    /// Their orders.
    pub orders: u64,
    /// Their revenue.
    pub revenue: f64,
    /// Average order value: revenue / orders (0 when there are no orders).
    pub aov: f64,
    /// Share of all customers (0..=1).
    pub customer_share: f64,
    /// Share of all revenue (0 when total revenue is 0; negative shares are possible with
    /// refunds).
    pub revenue_share: f64,
}

/// Every customer's segment and the per-segment summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segmentation {
    /// Segment names: the rules in order, then [`OTHERS`].
    pub names: Vec<String>,
    /// Each customer's segment (index into `names`), parallel to the scores' customers.
    pub of_customer: Vec<u16>,
    /// One row per segment, in the order of `names` (empty segments included).
    pub summary: Vec<SegmentRow>,
    /// Rules that can never match.
    pub unreachable: Vec<UnreachableRule>,
}

impl Segmentation {
    /// The segment name of customer `i` (in the scores' order); `None` past the end.
    ///
    /// ```
    /// use userops::rfm::{CustomerRow, Method, RfmTable, ScoreParams, SegmentRules};
    /// let t = RfmTable::<u8>::from_customers((1..=5).map(|i| CustomerRow::new(i, 1.0, 1, 1.0)))?;
    /// let s = ScoreParams::new(Method::Quantile).check()?.score(&t)?;
    /// let seg = SegmentRules::standard().segment(&s)?;
    /// assert_eq!(seg.segment_of(0), Some("New Customers")); // all equal: r 5, f 1, m 1
    /// assert_eq!(seg.segment_of(99), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn segment_of(&self, i: usize) -> Option<&str> {
        let s = self.of_customer.get(i)?;
        self.names.get(usize::from(*s)).map(String::as_str)
    }

    /// The summary row of segment `name`.
    ///
    /// ```
    /// use userops::rfm::{CustomerRow, Method, RfmTable, ScoreParams, SegmentRules};
    /// let t = RfmTable::<u8>::from_customers((1..=5).map(|i| CustomerRow::new(i, 1.0, 2, 10.0)))?;
    /// let s = ScoreParams::new(Method::Quantile).check()?.score(&t)?;
    /// let seg = SegmentRules::standard().segment(&s)?;
    /// assert_eq!(seg.row("New Customers").map(|r| (r.customers, r.orders, r.aov)), Some((5, 10, 5.0)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn row(&self, name: &str) -> Option<&SegmentRow> {
        self.summary.iter().find(|r| r.segment == name)
    }
}

impl fmt::Display for Segmentation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<20} {:>9} {:>9} {:>13} {:>9} {:>8} {:>8}",
            "segment", "customers", "orders", "revenue", "aov", "cust %", "rev %"
        )?;
        for r in &self.summary {
            writeln!(
                f,
                "{:<20} {:>9} {:>9} {:>13.2} {:>9.2} {:>7.1}% {:>7.1}%",
                r.segment,
                r.customers,
                r.orders,
                r.revenue,
                r.aov,
                100.0 * r.customer_share,
                100.0 * r.revenue_share
            )?;
        }
        for u in &self.unreachable {
            writeln!(f, "warning: {u}")?;
        }
        let n: u64 = self.summary.iter().map(|r| r.customers).sum();
        write!(f, "{n} customers in {} segments", self.summary.len())
    }
}
