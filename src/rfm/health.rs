//! Customer health from RFM scores (healthy / warning / churned) and the value × activity
//! quadrant with the play each quadrant calls for.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::score::RfmScores;
use crate::{Error, Result};

/// A customer's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Health {
    /// Buying recently enough.
    Healthy,
    /// Slipping: act before they go.
    Warning,
    /// Gone quiet for long.
    Churned,
}

impl Health {
    /// Lower-case name.
    ///
    /// ```
    /// assert_eq!(userops::rfm::Health::Warning.name(), "warning");
    /// ```
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Warning => "warning",
            Health::Churned => "churned",
        }
    }
}

/// Value × activity quadrant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Quadrant {
    /// High value, still active.
    HighValueActive,
    /// High value, gone silent.
    HighValueSilent,
    /// Low value, active.
    LowValueActive,
    /// Low value, silent.
    LowValueSilent,
}

impl Quadrant {
    /// All four, in display order.
    pub const ALL: [Quadrant; 4] = [
        Quadrant::HighValueActive,
        Quadrant::HighValueSilent,
        Quadrant::LowValueActive,
        Quadrant::LowValueSilent,
    ];

    /// Short name.
    ///
    /// ```
    /// assert_eq!(userops::rfm::Quadrant::HighValueSilent.name(), "high value, silent");
    /// ```
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Quadrant::HighValueActive => "high value, active",
            Quadrant::HighValueSilent => "high value, silent",
            Quadrant::LowValueActive => "low value, active",
            Quadrant::LowValueSilent => "low value, silent",
        }
    }

    /// The suggested play for customers in this quadrant.
    ///
    /// ```
    /// use userops::rfm::Quadrant;
    /// assert!(Quadrant::HighValueActive.play().contains("early access"));
    /// assert!(Quadrant::LowValueSilent.play().contains("no pushes"));
    /// ```
    #[must_use]
    pub fn play(&self) -> &'static str {
        match self {
            Quadrant::HighValueActive => {
                "keep them close: early access to new products, VIP perks, ask for referrals"
            }
            Quadrant::HighValueSilent => {
                "win them back personally: a care call or message and a personal coupon"
            }
            Quadrant::LowValueActive => {
                "grow the basket: best-value offers, bundles and group deals"
            }
            Quadrant::LowValueSilent => {
                "no pushes: leave them to low-cost channels, do not spend on them"
            }
        }
    }
}

/// Thresholds of health and quadrants, on scores.
///
/// * health: recency score `>= healthy_min_r` is healthy, `>= warning_min_r` is warning,
///   below is churned;
/// * quadrant: monetary score `>= high_value_min_m` is high value; recency score
///   `>= active_min_r` is active.
///
/// The defaults suit 5 scores: healthy r 4–5, warning r 2–3, churned r 1; high value m 4–5;
/// active r 3–5.
///
/// ```
/// let p = userops::rfm::HealthParams::default();
/// assert_eq!((p.healthy_min_r, p.warning_min_r, p.high_value_min_m, p.active_min_r), (4, 2, 4, 3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthParams {
    /// Lowest recency score that is healthy.
    pub healthy_min_r: u8,
    /// Lowest recency score that is a warning (below: churned).
    pub warning_min_r: u8,
    /// Lowest monetary score that is high value.
    pub high_value_min_m: u8,
    /// Lowest recency score that is active.
    pub active_min_r: u8,
}

impl Default for HealthParams {
    fn default() -> Self {
        HealthParams {
            healthy_min_r: 4,
            warning_min_r: 2,
            high_value_min_m: 4,
            active_min_r: 3,
        }
    }
}

impl HealthParams {
    /// Checks the thresholds against the number of scores `(r, f, m)`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the field: a threshold of 0 or above the number of
    /// scores, or `warning_min_r > healthy_min_r`.
    ///
    /// ```
    /// let p = userops::rfm::HealthParams { healthy_min_r: 2, warning_min_r: 3, ..Default::default() };
    /// assert!(p.check((5, 5, 5)).is_err());
    /// assert!(userops::rfm::HealthParams::default().check((3, 3, 3)).is_err());
    /// ```
    pub fn check(&self, bins: (u8, u8, u8)) -> Result<()> {
        for (name, v, k) in [
            ("healthy_min_r", self.healthy_min_r, bins.0),
            ("warning_min_r", self.warning_min_r, bins.0),
            ("active_min_r", self.active_min_r, bins.0),
            ("high_value_min_m", self.high_value_min_m, bins.2),
        ] {
            if v < 1 || v > k {
                return Err(Error::invalid(
                    name,
                    format!("must be a score between 1 and {k}, got {v}"),
                ));
            }
        }
        if self.warning_min_r > self.healthy_min_r {
            return Err(Error::invalid(
                "warning_min_r",
                format!(
                    "must not exceed healthy_min_r ({}), got {}",
                    self.healthy_min_r, self.warning_min_r
                ),
            ));
        }
        Ok(())
    }

    /// The health of scores `r`.
    ///
    /// ```
    /// use userops::rfm::{Health, HealthParams};
    /// let p = HealthParams::default();
    /// assert_eq!((p.health(5), p.health(3), p.health(1)), (Health::Healthy, Health::Warning, Health::Churned));
    /// ```
    #[must_use]
    pub fn health(&self, r: u8) -> Health {
        if r >= self.healthy_min_r {
            Health::Healthy
        } else if r >= self.warning_min_r {
            Health::Warning
        } else {
            Health::Churned
        }
    }

    /// The quadrant of scores `r` and `m`.
    ///
    /// ```
    /// use userops::rfm::{HealthParams, Quadrant};
    /// assert_eq!(HealthParams::default().quadrant(1, 5), Quadrant::HighValueSilent);
    /// ```
    #[must_use]
    pub fn quadrant(&self, r: u8, m: u8) -> Quadrant {
        match (m >= self.high_value_min_m, r >= self.active_min_r) {
            (true, true) => Quadrant::HighValueActive,
            (true, false) => Quadrant::HighValueSilent,
            (false, true) => Quadrant::LowValueActive,
            (false, false) => Quadrant::LowValueSilent,
        }
    }

    /// Health and quadrant of every scored customer, with counts and revenue per group.
    ///
    /// # Errors
    /// As [`HealthParams::check`].
    ///
    /// ```
    /// use userops::rfm::{CustomerRow, HealthParams, Method, RfmTable, ScoreParams};
    /// let rows = (1..=10).map(|i| CustomerRow::new(i, f64::from(10 * i), 1, f64::from(i)));
    /// let s = ScoreParams::new(Method::Quantile).check()?.score(&RfmTable::<i32>::from_customers(rows)?)?;
    /// let h = HealthParams::default().assess(&s)?;
    /// assert_eq!(h.health.iter().map(|g| g.customers).sum::<u64>(), 10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn assess<U>(&self, scores: &RfmScores<U>) -> Result<HealthReport> {
        self.check(scores.bins())?;
        let mut health = [Health::Healthy, Health::Warning, Health::Churned].map(|h| HealthGroup {
            health: h,
            customers: 0,
            revenue: 0.0,
        });
        let mut quadrants = Quadrant::ALL.map(|q| QuadrantGroup {
            quadrant: q,
            play: q.play().to_string(),
            customers: 0,
            revenue: 0.0,
        });
        let mut of_customer = Vec::with_capacity(scores.customers.len());
        for c in &scores.customers {
            let h = self.health(c.r);
            let q = self.quadrant(c.r, c.m);
            if let Some(g) = health.iter_mut().find(|g| g.health == h) {
                g.customers += 1;
                g.revenue += c.monetary;
            }
            if let Some(g) = quadrants.iter_mut().find(|g| g.quadrant == q) {
                g.customers += 1;
                g.revenue += c.monetary;
            }
            of_customer.push((h, q));
        }
        Ok(HealthReport {
            params: *self,
            health: health.to_vec(),
            quadrants: quadrants.to_vec(),
            of_customer,
        })
    }
}

/// Customers and revenue in one health state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthGroup {
    /// The state.
    pub health: Health,
    /// Customers in it.
    pub customers: u64,
    /// Their revenue.
    pub revenue: f64,
}

/// Customers and revenue in one quadrant, with its play.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuadrantGroup {
    /// The quadrant.
    pub quadrant: Quadrant,
    /// The suggested play.
    pub play: String,
    /// Customers in it.
    pub customers: u64,
    /// Their revenue.
    pub revenue: f64,
}

/// Health and quadrant of every customer, and the totals per group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    /// The thresholds used.
    pub params: HealthParams,
    /// Healthy, warning, churned.
    pub health: Vec<HealthGroup>,
    /// The four quadrants.
    pub quadrants: Vec<QuadrantGroup>,
    /// Each customer's health and quadrant, parallel to the scores' customers.
    pub of_customer: Vec<(Health, Quadrant)>,
}

impl fmt::Display for HealthReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<20} {:>9} {:>13}", "health", "customers", "revenue")?;
        for g in &self.health {
            writeln!(
                f,
                "{:<20} {:>9} {:>13.2}",
                g.health.name(),
                g.customers,
                g.revenue
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "{:<20} {:>9} {:>13}  play",
            "quadrant", "customers", "revenue"
        )?;
        for (i, g) in self.quadrants.iter().enumerate() {
            write!(
                f,
                "{:<20} {:>9} {:>13.2}  {}",
                g.quadrant.name(),
                g.customers,
                g.revenue,
                g.play
            )?;
            if i + 1 < self.quadrants.len() {
                writeln!(f)?;
            }
        }
        Ok(())
    }
}
