//! The attribution report: every model's credit per channel.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::params::Model;

/// What one model credits one channel.
///
/// ```
/// use userops::attribution::ChannelCredit;
/// let c = ChannelCredit { channel: "email".into(), conversions: 1.5, value: 60.0,
///     removal_effect: None, value_removal_effect: None };
/// assert_eq!(c.conversions, 1.5);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelCredit {
    /// The channel.
    pub channel: String,
    /// Conversions credited (fractional).
    pub conversions: f64,
    /// Conversion value credited.
    pub value: f64,
    /// Markov only: the share of conversions lost when the channel is removed.
    pub removal_effect: Option<f64>,
    /// Markov only: the share of conversion value lost when the channel is removed.
    pub value_removal_effect: Option<f64>,
}

/// One model's credits, one per channel (in the report's channel order).
///
/// ```
/// use userops::attribution::{ChannelCredit, Model, ModelCredit};
/// let m = ModelCredit { model: Model::Linear, channels: vec![ChannelCredit { channel: "a".into(),
///     conversions: 2.0, value: 9.0, removal_effect: None, value_removal_effect: None }] };
/// assert_eq!(m.credit("a").map(|c| c.value), Some(9.0));
/// assert!(m.credit("b").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCredit {
    /// The model.
    pub model: Model,
    /// Credits per channel.
    pub channels: Vec<ChannelCredit>,
}

impl ModelCredit {
    /// The credit of the channel named `channel`.
    ///
    /// ```
    /// let m = userops::attribution::ModelCredit { model: userops::attribution::Model::Shapley, channels: vec![] };
    /// assert!(m.credit("x").is_none());
    /// ```
    #[must_use]
    pub fn credit(&self, channel: &str) -> Option<&ChannelCredit> {
        self.channels.iter().find(|c| c.channel == channel)
    }
}

/// Every model's credits: each model's conversions add up to [`AttributionReport::conversions`]
/// and its values to [`AttributionReport::value`] (to the rounding of the sums).
///
/// ```
/// use userops::attribution::{AttributionParams, Model, PathTable};
/// let mut b = PathTable::builder();
/// b.add_text("a > b", ">", 4, 40.0, 1)?;
/// let report = AttributionParams::new([Model::LastTouch]).check()?.attribute_paths(&b.build())?;
/// assert_eq!((report.conversions, report.value, report.non_converting), (4, 40.0, 1));
/// assert!(report.to_string().contains("last_touch"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributionReport {
    /// The channels, sorted by name.
    pub channels: Vec<String>,
    /// Conversions credited to channels (journeys with at least one touchpoint).
    pub conversions: u64,
    /// Their value.
    pub value: f64,
    /// Journeys that did not convert.
    pub non_converting: u64,
    /// Conversions without a touchpoint in their window (credited to no channel).
    pub unattributed_conversions: u64,
    /// Their value.
    pub unattributed_value: f64,
    /// One entry per model, in the order asked for.
    pub models: Vec<ModelCredit>,
}

impl AttributionReport {
    /// The credits of `model`, if it was run.
    ///
    /// ```
    /// use userops::attribution::{AttributionParams, Model, PathTable};
    /// let r = AttributionParams::new([Model::Linear]).check()?.attribute_paths(&PathTable::default())?;
    /// assert!(r.model(&Model::Linear).is_some() && r.model(&Model::Shapley).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn model(&self, model: &Model) -> Option<&ModelCredit> {
        self.models.iter().find(|m| m.model == *model)
    }
}

impl fmt::Display for AttributionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = 24;
        for (title, pick) in [
            (
                "conversions",
                (|c: &ChannelCredit| c.conversions) as fn(&ChannelCredit) -> f64,
            ),
            ("value", |c: &ChannelCredit| c.value),
        ] {
            write!(f, "{:<20}", format!("{title} by"))?;
            for m in &self.models {
                write!(f, " {:>width$}", m.model.to_string())?;
            }
            writeln!(f)?;
            for (i, channel) in self.channels.iter().enumerate() {
                write!(f, "{:<20}", crate::error::shorten(channel))?;
                for m in &self.models {
                    write!(f, " {:>width$.2}", m.channels.get(i).map_or(0.0, pick))?;
                }
                writeln!(f)?;
            }
            writeln!(f)?;
        }
        if let Some(markov) = self
            .models
            .iter()
            .find(|m| matches!(m.model, Model::Markov { .. }))
        {
            writeln!(f, "removal effects ({}):", markov.model)?;
            for c in &markov.channels {
                writeln!(
                    f,
                    "{:<20} {:>10.4} (value {:.4})",
                    crate::error::shorten(&c.channel),
                    c.removal_effect.unwrap_or(0.0),
                    c.value_removal_effect.unwrap_or(0.0)
                )?;
            }
            writeln!(f)?;
        }
        write!(
            f,
            "{} conversions (value {:.2}) credited to {} channels; {} journeys without \
             conversion; {} conversions (value {:.2}) without touchpoint",
            self.conversions,
            self.value,
            self.channels.len(),
            self.non_converting,
            self.unattributed_conversions,
            self.unattributed_value
        )
    }
}
