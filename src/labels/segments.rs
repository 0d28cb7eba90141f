//! A label table as the segment source of automation rules.

use std::collections::HashMap;
use std::hash::Hash;

use super::table::LabelTable;
use crate::lifecycle::Stage;
use crate::ops::automation::{LastActive, SegmentKind, SegmentSource};
use crate::rfm::Health;

/// The [`SegmentKind::Custom`] name of a user's first (most preferred) preference tag.
pub const TOP_TAG: &str = "top_tag";

/// A [`LabelTable`] looked up by user: the [`SegmentSource`] of automation rules over labels.
///
/// Kinds: [`SegmentKind::Lifecycle`] (the stage in the table's last period: `new`,
/// `retained`, ..., `dormant`, `churned`), [`SegmentKind::Rfm`] (the RFM segment),
/// [`SegmentKind::Health`] (`healthy`, `warning`, `churned`), [`SegmentKind::ValueTier`]
/// (the tier name) and `Custom("top_tag")` ([`TOP_TAG`], the user's first preference tag).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::engine::EventTable;
/// use userops::event::EventRecord;
/// use userops::labels::{label_events, LabelOptions};
/// use userops::ops::automation::{Attributes, MatchMode, Rule, RuleSet, SegmentKind};
///
/// let m = |month| Utc.with_ymd_and_hms(2025, month, 10, 0, 0, 0).unwrap();
/// let log = vec![EventRecord::<u32>::new(1_u32, m(1)), EventRecord::new(2_u32, m(1)), EventRecord::new(2_u32, m(3))];
/// let mut options = LabelOptions::monthly(m(3), 3);
/// options.rfm = None;
/// options.health = None;
/// let labels = label_events(&EventTable::from_events(&log)?, &options)?;
/// let source = labels.segments();
/// let rules = RuleSet::new(vec![
///     Rule::new("win_back", SegmentKind::Lifecycle, "churned", "coupon", "sms").inactive_for(2),
/// ], MatchMode::FirstMatch);
/// let eval = rules.evaluate(labels.periods[2], &source.audience(), &source, &Attributes::new())?;
/// assert_eq!(eval.targets("win_back"), vec![&1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct LabelSegments<'a, U> {
    table: &'a LabelTable<U>,
    index: HashMap<&'a U, usize>,
}

impl<U: Eq + Hash> LabelTable<U> {
    /// The table as a segment source for automation rules (one hash map of the users).
    ///
    /// ```
    /// # fn f(t: &userops::labels::LabelTable<u32>) { let s = t.segments(); let _ = s.audience(); }
    /// ```
    #[must_use]
    pub fn segments(&self) -> LabelSegments<'_, U> {
        LabelSegments {
            table: self,
            index: self.users.iter().enumerate().map(|(i, u)| (u, i)).collect(),
        }
    }
}

impl<U: Clone> LabelSegments<'_, U> {
    /// Every user's last active period (the table's last period minus the inactive periods):
    /// the audience of [`crate::ops::automation::RuleSet::evaluate`] for the table's last
    /// period.
    ///
    /// ```
    /// # fn f(t: &userops::labels::LabelTable<u32>) { assert_eq!(t.segments().audience().len(), t.len()); }
    /// ```
    #[must_use]
    pub fn audience(&self) -> Vec<LastActive<U>> {
        let Some(last) = self.table.periods.last() else {
            return Vec::new();
        };
        self.table
            .users
            .iter()
            .zip(&self.table.inactive_periods)
            .map(|(u, idle)| LastActive::new(u.clone(), last.offset(-i64::from(*idle))))
            .collect()
    }
}

impl<U: Eq + Hash> SegmentSource<U> for LabelSegments<'_, U> {
    fn labels(&self, kind: &SegmentKind) -> Vec<String> {
        let t = self.table;
        match kind {
            SegmentKind::Lifecycle => Stage::ALL.iter().map(|s| s.name().to_string()).collect(),
            SegmentKind::Rfm => t
                .rfm
                .as_ref()
                .map(|r| r.segment_names.clone())
                .unwrap_or_default(),
            SegmentKind::Health if t.health.is_some() => {
                [Health::Healthy, Health::Warning, Health::Churned]
                    .iter()
                    .map(|h| h.name().to_string())
                    .collect()
            }
            SegmentKind::ValueTier => t
                .value_tier
                .as_ref()
                .map(|v| v.names.clone())
                .unwrap_or_default(),
            SegmentKind::Custom(name) if name == TOP_TAG => {
                let mut all: Vec<String> = t
                    .tags
                    .iter()
                    .flatten()
                    .filter_map(|tags| tags.first().cloned())
                    .collect();
                all.sort();
                all.dedup();
                all
            }
            _ => Vec::new(),
        }
    }

    fn segment(&self, kind: &SegmentKind, user: &U) -> Option<&str> {
        let t = self.table;
        let i = *self.index.get(user)?;
        match kind {
            SegmentKind::Lifecycle => {
                let last = t.periods.len().checked_sub(1)?;
                t.stage(i, last).map(Stage::name)
            }
            SegmentKind::Rfm => {
                let r = t.rfm.as_ref()?;
                let s = r.segment.get(i).copied().flatten()?;
                r.segment_names.get(usize::from(s)).map(String::as_str)
            }
            SegmentKind::Health => t
                .health
                .as_ref()?
                .get(i)
                .copied()
                .flatten()
                .map(|h| h.name()),
            SegmentKind::ValueTier => {
                let v = t.value_tier.as_ref()?;
                let s = v.tier.get(i).copied().flatten()?;
                v.names.get(usize::from(s)).map(String::as_str)
            }
            SegmentKind::Custom(name) if name == TOP_TAG => {
                t.tags.as_ref()?.get(i)?.first().map(String::as_str)
            }
            SegmentKind::Custom(_) => None,
        }
    }
}
