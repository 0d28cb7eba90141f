//! Journeys: each conversion with the touchpoints of its lookback window, and the touchpoints
//! that led to no conversion.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::paths::{PathTable, PathTableBuilder};
use super::summary::{CONVERSION, Point};
use crate::{Error, Result};

/// One journey: its touchpoints' channels in time order (indices into
/// [`Journeys::channels`]), how long before the journey's end each was (milliseconds), and
/// whether it ended in a conversion and with what value.
///
/// ```
/// use userops::attribution::Journey;
/// let j = Journey { channels: &[0, 1], lags_ms: &[86_400_000, 0], converted: true, value: 5.0 };
/// assert_eq!(j.channels.len(), j.lags_ms.len());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Journey<'a> {
    /// Channel indices, oldest touchpoint first.
    pub channels: &'a [u32],
    /// Milliseconds from each touchpoint to the conversion (to the last touchpoint for a
    /// journey without conversion); never negative.
    pub lags_ms: &'a [i64],
    /// Whether the journey ended in a conversion.
    pub converted: bool,
    /// The conversion value (0 without conversion).
    pub value: f64,
}

/// Every user's journeys: the finished [`super::JourneySummary`].
///
/// How a user's points (in time order; at one instant touchpoints before conversions) become
/// journeys:
///
/// * each **conversion** at `t` claims the touchpoints not claimed by an earlier conversion
///   that lie in its lookback window `t - lookback ..= t`: a converting journey;
/// * the unclaimed touchpoints before it, too old for its window, form one **non-converting**
///   journey (they led to no conversion within the window);
/// * the touchpoints after the user's last conversion (all of them for a user who never
///   converted) form one non-converting journey. These are the paths that end in the Markov
///   model's null state;
/// * a conversion whose window holds no touchpoint is **unattributed**: counted with its value
///   ([`Journeys::unattributed_conversions`]) but credited to no channel.
///
/// Every touchpoint is in exactly one journey. Journeys come in the order users were first
/// seen, each user's in time order; channels are sorted by name, so that the same events in
/// any order and any split give the same journeys up to that user order (the models add them
/// up, so their results agree to the rounding of the sums).
///
/// ```
/// use chrono::{DateTime, TimeDelta};
/// use userops::attribution::{JourneyRules, JourneySummary};
/// use userops::fold::Summary;
/// let t = |h| DateTime::UNIX_EPOCH + TimeDelta::hours(h);
/// let mut s = JourneySummary::new(JourneyRules::new().lookback(TimeDelta::hours(10))?);
/// s.touch(&1_u8, t(0), "a")?;   // too old for the conversion at 20: a journey of its own
/// s.touch(&1_u8, t(15), "b")?;
/// s.convert(&1_u8, t(20), 9.0)?;
/// s.touch(&1_u8, t(30), "c")?;  // after the last conversion
/// let journeys = s.finish().unwrap();
/// let all: Vec<_> = journeys.iter().map(|j| (j.channels.to_vec(), j.converted)).collect();
/// assert_eq!(all, [(vec![0], false), (vec![1], true), (vec![2], false)]);
/// assert_eq!((journeys.conversions(), journeys.non_converting()), (1, 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "JourneysParts")]
pub struct Journeys {
    channels: Vec<String>,
    /// Every journey's touchpoints, one journey after the other.
    touch_channels: Vec<u32>,
    touch_lags_ms: Vec<i64>,
    /// Journey `i` is `starts[i]..starts[i + 1]` of the touchpoints.
    starts: Vec<usize>,
    converted: Vec<bool>,
    values: Vec<f64>,
    unattributed_conversions: u64,
    unattributed_value: f64,
}

impl Journeys {
    /// Journeys from a summary's points (`users` users, channels named by `names`).
    pub(crate) fn from_points(
        users: usize,
        names: &[String],
        points: Vec<Point>,
        lookback_ms: Option<i64>,
    ) -> Journeys {
        // Channels with a touchpoint, sorted by name: the canonical indices.
        let mut used = vec![false; names.len()];
        for p in &points {
            if let Some(u) = used.get_mut(p.channel as usize) {
                *u = true;
            }
        }
        let mut order: Vec<usize> = (0..names.len()).filter(|&c| used[c]).collect();
        order.sort_unstable_by(|&a, &b| names[a].cmp(&names[b]));
        let mut rank = vec![u32::MAX; names.len()];
        for (r, &c) in order.iter().enumerate() {
            rank[c] = r as u32;
        }
        let channels: Vec<String> = order.iter().map(|&c| names[c].clone()).collect();

        // Counting sort by user (stable), channels renamed to their ranks on the way.
        let mut starts = vec![0usize; users + 1];
        for p in &points {
            starts[p.user as usize + 1] += 1;
        }
        for u in 0..users {
            starts[u + 1] += starts[u];
        }
        let mut next = starts.clone();
        let mut sorted = vec![
            Point {
                user: 0,
                channel: 0,
                at_ms: 0,
                value: 0.0
            };
            points.len()
        ];
        for p in points {
            let slot = &mut next[p.user as usize];
            sorted[*slot] = Point {
                channel: if p.channel == CONVERSION {
                    CONVERSION
                } else {
                    rank[p.channel as usize]
                },
                ..p
            };
            *slot += 1;
        }
        drop(next);

        let mut journeys = Journeys {
            channels,
            touch_channels: Vec::with_capacity(sorted.len()),
            touch_lags_ms: Vec::with_capacity(sorted.len()),
            starts: vec![0],
            converted: Vec::new(),
            values: Vec::new(),
            unattributed_conversions: 0,
            unattributed_value: 0.0,
        };
        let key = |p: &Point| (p.at_ms, p.channel);
        let before = |a: &Point, b: &Point| {
            key(a)
                .cmp(&key(b))
                .then_with(|| a.value.total_cmp(&b.value))
        };
        for u in 0..users {
            let user = &mut sorted[starts[u]..starts[u + 1]];
            if !user.is_sorted_by(|a, b| before(a, b).is_le()) {
                user.sort_unstable_by(before);
            }
            journeys.add_user(user, lookback_ms);
        }
        journeys
    }

    /// The journeys of one user's points, in time order.
    fn add_user(&mut self, points: &[Point], lookback_ms: Option<i64>) {
        let mut pending = 0;
        for (j, p) in points.iter().enumerate() {
            if p.channel != CONVERSION {
                continue;
            }
            let window_start = lookback_ms.map_or(i64::MIN, |w| p.at_ms.saturating_sub(w));
            let touches = &points[pending..j];
            let claimed = touches.partition_point(|t| t.at_ms < window_start);
            if claimed > 0 {
                self.push(&touches[..claimed], None);
            }
            if claimed < touches.len() {
                self.push(&touches[claimed..], Some((p.at_ms, p.value)));
            } else {
                self.unattributed_conversions += 1;
                self.unattributed_value += p.value;
            }
            pending = j + 1;
        }
        if pending < points.len() {
            self.push(&points[pending..], None);
        }
    }

    /// One journey of these touchpoints, converting at `(instant, value)` or not.
    fn push(&mut self, touches: &[Point], conversion: Option<(i64, f64)>) {
        let end = conversion.map_or_else(|| touches.last().map_or(0, |t| t.at_ms), |c| c.0);
        for t in touches {
            self.touch_channels.push(t.channel);
            self.touch_lags_ms.push(end.saturating_sub(t.at_ms));
        }
        self.starts.push(self.touch_channels.len());
        self.converted.push(conversion.is_some());
        self.values.push(conversion.map_or(0.0, |c| c.1));
    }

    /// The channels, sorted by name; journeys name them by index.
    ///
    /// ```
    /// let j = userops::attribution::Journeys::default();
    /// assert!(j.channels().is_empty());
    /// ```
    #[must_use]
    pub fn channels(&self) -> &[String] {
        &self.channels
    }

    /// Number of journeys (converting and not).
    ///
    /// ```
    /// assert_eq!(userops::attribution::Journeys::default().len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.converted.len()
    }

    /// Whether there is no journey.
    ///
    /// ```
    /// assert!(userops::attribution::Journeys::default().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.converted.is_empty()
    }

    /// Every journey.
    ///
    /// ```
    /// assert_eq!(userops::attribution::Journeys::default().iter().count(), 0);
    /// ```
    #[must_use]
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Journey<'_>> + '_ {
        (0..self.len()).map(move |i| {
            let r = self.starts[i]..self.starts[i + 1];
            Journey {
                channels: &self.touch_channels[r.clone()],
                lags_ms: &self.touch_lags_ms[r],
                converted: self.converted[i],
                value: self.values[i],
            }
        })
    }

    /// Number of converting journeys: the conversions the models attribute.
    ///
    /// ```
    /// assert_eq!(userops::attribution::Journeys::default().conversions(), 0);
    /// ```
    #[must_use]
    pub fn conversions(&self) -> u64 {
        self.converted.iter().filter(|&&c| c).count() as u64
    }

    /// Number of journeys without conversion.
    ///
    /// ```
    /// assert_eq!(userops::attribution::Journeys::default().non_converting(), 0);
    /// ```
    #[must_use]
    pub fn non_converting(&self) -> u64 {
        self.len() as u64 - self.conversions()
    }

    /// Conversions with no touchpoint in their window (credited to no channel).
    ///
    /// ```
    /// assert_eq!(userops::attribution::Journeys::default().unattributed_conversions(), 0);
    /// ```
    #[must_use]
    pub fn unattributed_conversions(&self) -> u64 {
        self.unattributed_conversions
    }

    /// The value of the unattributed conversions.
    ///
    /// ```
    /// assert_eq!(userops::attribution::Journeys::default().unattributed_value(), 0.0);
    /// ```
    #[must_use]
    pub fn unattributed_value(&self) -> f64 {
        self.unattributed_value
    }

    /// The journeys as unique paths with their conversions, value and non-conversions
    /// (ChannelAttribution's `path, total_conversions, total_conversion_value, total_null`).
    ///
    /// # Errors
    /// [`Error::Overflow`] when a path's value or count does not fit.
    ///
    /// ```
    /// let paths = userops::attribution::Journeys::default().paths()?;
    /// assert!(paths.rows().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn paths(&self) -> Result<PathTable> {
        let mut builder = PathTableBuilder::with_channels(self.channels.clone());
        for j in self.iter() {
            let (conversions, nulls) = if j.converted { (1, 0) } else { (0, 1) };
            builder.add_indexed(j.channels, conversions, j.value, nulls)?;
        }
        Ok(builder.build())
    }
}

impl Default for Journeys {
    fn default() -> Self {
        Journeys {
            channels: Vec::new(),
            touch_channels: Vec::new(),
            touch_lags_ms: Vec::new(),
            starts: vec![0],
            converted: Vec::new(),
            values: Vec::new(),
            unattributed_conversions: 0,
            unattributed_value: 0.0,
        }
    }
}

/// The serialized form of [`Journeys`], checked on the way in.
#[derive(Deserialize)]
struct JourneysParts {
    channels: Vec<String>,
    touch_channels: Vec<u32>,
    touch_lags_ms: Vec<i64>,
    starts: Vec<usize>,
    converted: Vec<bool>,
    values: Vec<f64>,
    unattributed_conversions: u64,
    unattributed_value: f64,
}

impl TryFrom<JourneysParts> for Journeys {
    type Error = Error;

    fn try_from(p: JourneysParts) -> Result<Self> {
        let bad = |why: &str| Err(Error::InvalidInput(format!("journeys: {why}")));
        if !p.channels.is_sorted_by(|a, b| a < b) {
            return bad("channels must be sorted by name, each once");
        }
        if p.touch_channels.len() != p.touch_lags_ms.len() {
            return bad("touch_channels and touch_lags_ms differ in length");
        }
        if p.touch_channels
            .iter()
            .any(|&c| c as usize >= p.channels.len())
        {
            return bad("a touchpoint of an unknown channel");
        }
        if p.touch_lags_ms.iter().any(|&l| l < 0) {
            return bad("a negative lag");
        }
        let n = p.converted.len();
        if p.values.len() != n || p.starts.len() != n + 1 || p.starts.first() != Some(&0) {
            return bad("starts, converted and values do not describe the same journeys");
        }
        if p.starts.last() != Some(&p.touch_channels.len()) || !p.starts.is_sorted_by(|a, b| a < b)
        {
            return bad("every journey must have touchpoints, the starts rising to their number");
        }
        for (&c, &v) in p.converted.iter().zip(&p.values) {
            if !v.is_finite() || v < 0.0 || (!c && v != 0.0) {
                return bad("a value that is not finite, negative, or without conversion");
            }
        }
        if !p.unattributed_value.is_finite() || p.unattributed_value < 0.0 {
            return bad("the unattributed value must be finite and not negative");
        }
        Ok(Journeys {
            channels: p.channels,
            touch_channels: p.touch_channels,
            touch_lags_ms: p.touch_lags_ms,
            starts: p.starts,
            converted: p.converted,
            values: p.values,
            unattributed_conversions: p.unattributed_conversions,
            unattributed_value: p.unattributed_value,
        })
    }
}

impl fmt::Display for Journeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<48} {:>10} {:>12}", "journey", "converted", "value")?;
        for j in self.iter().take(20) {
            let path: Vec<&str> = j
                .channels
                .iter()
                .map(|&c| self.channels[c as usize].as_str())
                .collect();
            writeln!(
                f,
                "{:<48} {:>10} {:>12.2}",
                super::paths::shown_path(&path),
                if j.converted { "yes" } else { "no" },
                j.value
            )?;
        }
        if self.len() > 20 {
            writeln!(f, "... {} more journeys", self.len() - 20)?;
        }
        write!(
            f,
            "{} journeys: {} converting, {} not; {} conversions without touchpoint",
            self.len(),
            self.conversions(),
            self.non_converting(),
            self.unattributed_conversions
        )
    }
}
