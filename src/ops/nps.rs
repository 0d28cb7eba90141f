//! Net Promoter Score from 0–10 survey answers ("How likely are you to recommend us?").
//!
//! * promoters answer 9–10, passives 7–8, detractors 0–6;
//! * **NPS** = % promoters − % detractors, from −100 to +100;
//! * **confidence interval** (normal approximation): give each answer the value +1
//!   (promoter), 0 (passive) or −1 (detractor). NPS/100 is the mean of that indicator, whose
//!   variance is `p_P + p_D − (p_P − p_D)²`; the standard error of the mean is
//!   `sqrt(variance / n)` and the interval `NPS ± z · 100 · se`, clipped to [−100, 100]. It is
//!   reliable for a few dozen answers or more; for a handful it is only indicative.
//!
//! ```
//! use userops::ops::nps::Nps;
//! let r = Nps::from_scores([10, 9, 9, 10, 8, 7, 8, 3, 6, 0], 0.95)?;
//! assert_eq!((r.promoters, r.passives, r.detractors), (4, 3, 3));
//! assert!((r.score - 10.0).abs() < 1e-12);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use super::OpsError;
use crate::fold::{Fold, Summary};
use crate::{Error, Result};

/// Counts of answers: a mergeable summary of survey scores (any integer type convertible to
/// `i64`; scores outside 0..=10 are errors).
///
/// ```
/// use userops::fold::{fold, Summary};
/// use userops::ops::nps::Nps;
/// let mut a = fold(Nps::default(), [10_i64, 9, 2])?;
/// a.merge(fold(Nps::default(), [7_i64])?)?;
/// let counts = a.finish()?;
/// assert_eq!(counts.answers(), 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nps {
    /// Answers per score 0..=10.
    pub counts: [u64; 11],
}

impl Nps {
    /// Adds one answer.
    ///
    /// # Errors
    /// [`OpsError::ScoreOutOfRange`] for a score outside 0..=10 (the counts are unchanged).
    ///
    /// ```
    /// let mut n = userops::ops::nps::Nps::default();
    /// n.add(9)?;
    /// assert!(n.add(11).is_err());
    /// assert_eq!(n.answers(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add(&mut self, score: i64) -> Result<()> {
        let i = usize::try_from(score)
            .ok()
            .filter(|i| *i <= 10)
            .ok_or(OpsError::ScoreOutOfRange(score))?;
        self.counts[i] += 1;
        Ok(())
    }

    /// Number of answers.
    ///
    /// ```
    /// assert_eq!(userops::ops::nps::Nps::default().answers(), 0);
    /// ```
    #[must_use]
    pub fn answers(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The report from answers, with a `confidence`-level interval.
    ///
    /// # Errors
    /// [`OpsError::ScoreOutOfRange`], [`Error::Empty`] for no answers, and
    /// [`Error::InvalidParameter`] for a confidence outside (0, 1).
    ///
    /// ```
    /// let r = userops::ops::nps::Nps::from_scores([10, 10, 0], 0.9)?;
    /// assert!((r.score - 100.0 / 3.0).abs() < 1e-9);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_scores<I>(scores: I, confidence: f64) -> Result<NpsReport>
    where
        I: IntoIterator,
        I::Item: Into<i64>,
    {
        let mut n = Nps::default();
        for s in scores {
            n.add(s.into())?;
        }
        n.report(confidence)
    }

    /// The report of the answers counted so far.
    ///
    /// # Errors
    /// [`Error::Empty`] for no answers, [`Error::InvalidParameter`] for a confidence outside
    /// (0, 1).
    ///
    /// ```
    /// let mut n = userops::ops::nps::Nps::default();
    /// for s in [9, 9, 6] { n.add(s)?; }
    /// let r = n.report(0.95)?;
    /// assert_eq!((r.promoters, r.detractors), (2, 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn report(&self, confidence: f64) -> Result<NpsReport> {
        if !(confidence.is_finite() && confidence > 0.0 && confidence < 1.0) {
            return Err(Error::invalid(
                "confidence",
                format!("must be strictly between 0 and 1, got {confidence}"),
            ));
        }
        let n = self.answers();
        if n == 0 {
            return Err(Error::Empty("no survey answers"));
        }
        let detractors: u64 = self.counts[..7].iter().sum();
        let passives: u64 = self.counts[7..9].iter().sum();
        let promoters: u64 = self.counts[9..].iter().sum();
        let nf = n as f64;
        let (pp, pd) = (promoters as f64 / nf, detractors as f64 / nf);
        let mean = pp - pd;
        let variance = (pp + pd - mean * mean).max(0.0);
        let se = (variance / nf).sqrt();
        let z = Normal::standard().inverse_cdf(0.5 + confidence / 2.0);
        Ok(NpsReport {
            answers: n,
            promoters,
            passives,
            detractors,
            score: 100.0 * mean,
            standard_error: 100.0 * se,
            confidence,
            ci_low: (100.0 * (mean - z * se)).max(-100.0),
            ci_high: (100.0 * (mean + z * se)).min(100.0),
        })
    }
}

impl Summary for Nps {
    type Output = Nps;
    fn merge(&mut self, other: Self) -> Result<()> {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
        Ok(())
    }
    fn finish(self) -> Result<Nps> {
        Ok(self)
    }
}

impl Fold<i64> for Nps {
    fn observe(&mut self, score: &i64) -> Result<()> {
        self.add(*score)
    }
}

impl Fold<u8> for Nps {
    fn observe(&mut self, score: &u8) -> Result<()> {
        self.add(i64::from(*score))
    }
}

impl Fold<&i64> for Nps {
    fn observe(&mut self, score: &&i64) -> Result<()> {
        self.add(**score)
    }
}

/// Net Promoter Score with its interval (see the [module docs](self) for the method).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NpsReport {
    /// Number of answers.
    pub answers: u64,
    /// Answers of 9 or 10.
    pub promoters: u64,
    /// Answers of 7 or 8.
    pub passives: u64,
    /// Answers of 0 to 6.
    pub detractors: u64,
    /// % promoters − % detractors (−100..=100).
    pub score: f64,
    /// Standard error of the score (in score points).
    pub standard_error: f64,
    /// Confidence level of the interval.
    pub confidence: f64,
    /// Lower end of the interval (score points).
    pub ci_low: f64,
    /// Upper end of the interval (score points).
    pub ci_high: f64,
}

impl fmt::Display for NpsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |k: u64| 100.0 * k as f64 / self.answers.max(1) as f64;
        writeln!(f, "{:<12} {:>8} {:>8}", "answer", "count", "share")?;
        for (label, k) in [
            ("promoters", self.promoters),
            ("passives", self.passives),
            ("detractors", self.detractors),
        ] {
            writeln!(f, "{label:<12} {k:>8} {:>7.1}%", pct(k))?;
        }
        write!(
            f,
            "NPS = {:+.1} ({} answers), {:.0}% CI [{:+.1}, {:+.1}]",
            self.score,
            self.answers,
            self.confidence * 100.0,
            self.ci_low,
            self.ci_high
        )
    }
}
