//! The attribution models and their checked settings.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::journeys::Journeys;
use super::paths::PathTable;
use super::report::{AttributionReport, ChannelCredit, ModelCredit};
use super::{heuristic, markov, shapley};
use crate::{Error, Result};

/// The highest Markov order accepted (states are tuples of up to this many channels).
pub const MAX_MARKOV_ORDER: u8 = 8;

/// One attribution model.
///
/// * **First touch** / **last touch** — the whole conversion to the first / last touchpoint.
/// * **Linear** — equal shares to every touchpoint (a channel touched twice gets two shares,
///   as in ChannelAttribution's `linear_touch`).
/// * **Time decay** — touchpoint weights `2^(-lag / half_life)` (lag: time from the
///   touchpoint to the conversion), normalised per conversion; needs touch times, so it runs on
///   [`Journeys`], not on a [`PathTable`].
/// * **Position based** — `first` to the first touchpoint, `last` to the last, the rest
///   shared equally by the touchpoints between (40/20/40 by default); a journey of one
///   touchpoint gives it everything, of two splits in the ratio `first : last`.
/// * **Markov** — the removal effect in a Markov chain of order `order` over the paths
///   (states: tuples of the last `order` channels), computed exactly; see the module docs.
/// * **Shapley** — the Shapley value of the coalition game whose worth of a set of channels
///   is the conversions (value) of the journeys whose channels all lie in it.
///
/// ```
/// use userops::attribution::Model;
/// assert_eq!(Model::position_based().to_string(), "position_based(40/20/40)");
/// assert_eq!(Model::Markov { order: 2 }.to_string(), "markov(2)");
/// assert!(Model::TimeDecay { half_life_days: -1.0 }.check().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum Model {
    /// Everything to the first touchpoint.
    FirstTouch,
    /// Everything to the last touchpoint.
    LastTouch,
    /// Equal shares to every touchpoint.
    Linear,
    /// Weights halving every `half_life_days` before the conversion.
    TimeDecay {
        /// The half-life in days (positive, finite).
        half_life_days: f64,
    },
    /// `first` and `last` to the end touchpoints, the rest to those between.
    PositionBased {
        /// Share of the first touchpoint (from 0 to 1).
        first: f64,
        /// Share of the last touchpoint (from 0 to 1; `first + last` from above 0 to 1).
        last: f64,
    },
    /// Markov-chain removal effect of order `order` (1 to [`MAX_MARKOV_ORDER`]).
    Markov {
        /// Channels per state.
        order: u8,
    },
    /// Shapley value of the subset-conversions game.
    Shapley,
}

impl Model {
    /// Position based with the usual 40/20/40 shares.
    ///
    /// ```
    /// use userops::attribution::Model;
    /// assert_eq!(Model::position_based(), Model::PositionBased { first: 0.4, last: 0.4 });
    /// ```
    #[must_use]
    pub fn position_based() -> Model {
        Model::PositionBased {
            first: 0.4,
            last: 0.4,
        }
    }

    /// Time decay with a 7-day half-life (Google Analytics' default).
    ///
    /// ```
    /// use userops::attribution::Model;
    /// assert_eq!(Model::time_decay(), Model::TimeDecay { half_life_days: 7.0 });
    /// ```
    #[must_use]
    pub fn time_decay() -> Model {
        Model::TimeDecay {
            half_life_days: 7.0,
        }
    }

    /// `Ok` when the model's settings are in range.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the setting and its range.
    ///
    /// ```
    /// use userops::attribution::Model;
    /// assert!(Model::PositionBased { first: 0.7, last: 0.4 }.check().is_err());
    /// assert!(Model::Markov { order: 0 }.check().is_err());
    /// assert!(Model::Shapley.check().is_ok());
    /// ```
    pub fn check(&self) -> Result<()> {
        match *self {
            Model::TimeDecay { half_life_days } => {
                if !(half_life_days.is_finite() && half_life_days > 0.0) {
                    return Err(Error::invalid(
                        "half_life_days",
                        format!("must be a positive number of days, got {half_life_days}"),
                    ));
                }
            }
            Model::PositionBased { first, last } => {
                let share = |s: f64| s.is_finite() && (0.0..=1.0).contains(&s);
                if !(share(first) && share(last) && first + last > 0.0 && first + last <= 1.0) {
                    return Err(Error::invalid(
                        "position_based",
                        format!(
                            "first and last shares must be from 0 to 1 with a sum above 0 and \
                             at most 1, got {first} and {last}"
                        ),
                    ));
                }
            }
            Model::Markov { order } => {
                if !(1..=MAX_MARKOV_ORDER).contains(&order) {
                    return Err(Error::invalid(
                        "order",
                        format!("must be from 1 to {MAX_MARKOV_ORDER}, got {order}"),
                    ));
                }
            }
            Model::FirstTouch | Model::LastTouch | Model::Linear | Model::Shapley => {}
        }
        Ok(())
    }

    /// Parses `first_touch`, `last_touch`, `linear`, `time_decay` or `time_decay:DAYS`,
    /// `position_based` or `position_based:FIRST,LAST` (shares, e.g. `0.3,0.3`), `markov` or
    /// `markov:ORDER`, `shapley`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unknown name or a setting that does not parse or
    /// is out of range.
    ///
    /// ```
    /// use userops::attribution::Model;
    /// assert_eq!(Model::parse("markov:3")?, Model::Markov { order: 3 });
    /// assert_eq!(Model::parse("time_decay:14")?, Model::TimeDecay { half_life_days: 14.0 });
    /// assert!(Model::parse("w_shaped").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(text: &str) -> Result<Model> {
        let (name, arg) = match text.split_once(':') {
            Some((n, a)) => (n.trim(), Some(a.trim())),
            None => (text.trim(), None),
        };
        let number = |a: &str| -> Result<f64> {
            a.parse::<f64>().map_err(|_| {
                Error::invalid("model", format!("{a:?} is not a number (in {text:?})"))
            })
        };
        let model = match (name, arg) {
            ("first_touch", None) => Model::FirstTouch,
            ("last_touch", None) => Model::LastTouch,
            ("linear", None) => Model::Linear,
            ("shapley", None) => Model::Shapley,
            ("time_decay", None) => Model::time_decay(),
            ("time_decay", Some(a)) => Model::TimeDecay {
                half_life_days: number(a)?,
            },
            ("position_based", None) => Model::position_based(),
            ("position_based", Some(a)) => {
                let (f, l) = a.split_once(',').ok_or_else(|| {
                    Error::invalid(
                        "model",
                        format!("give position_based:FIRST,LAST, got {text:?}"),
                    )
                })?;
                Model::PositionBased {
                    first: number(f.trim())?,
                    last: number(l.trim())?,
                }
            }
            ("markov", None) => Model::Markov { order: 1 },
            ("markov", Some(a)) => Model::Markov {
                order: a.parse().map_err(|_| {
                    Error::invalid(
                        "model",
                        format!("markov order {a:?} is not from 1 to {MAX_MARKOV_ORDER}"),
                    )
                })?,
            },
            _ => {
                return Err(Error::invalid(
                    "model",
                    format!(
                        "unknown model {text:?}; use first_touch, last_touch, linear, \
                         time_decay[:DAYS], position_based[:FIRST,LAST], markov[:ORDER], shapley"
                    ),
                ));
            }
        };
        model.check()?;
        Ok(model)
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Model::FirstTouch => write!(f, "first_touch"),
            Model::LastTouch => write!(f, "last_touch"),
            Model::Linear => write!(f, "linear"),
            Model::TimeDecay { half_life_days } => write!(f, "time_decay({half_life_days}d)"),
            Model::PositionBased { first, last } => {
                let pct = |s: f64| (s * 100.0 * 1e6).round() / 1e6;
                write!(
                    f,
                    "position_based({}/{}/{})",
                    pct(*first),
                    pct(1.0 - first - last),
                    pct(*last)
                )
            }
            Model::Markov { order } => write!(f, "markov({order})"),
            Model::Shapley => write!(f, "shapley"),
        }
    }
}

/// The models to run, unchecked: [`AttributionParams::check`] makes the
/// [`AttributionSpec`] that attributes.
///
/// ```
/// use userops::attribution::{AttributionParams, Model};
/// let spec = AttributionParams::new([Model::FirstTouch, Model::Markov { order: 1 }]).check()?;
/// assert_eq!(spec.models().len(), 2);
/// assert!(AttributionParams::new([]).check().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributionParams {
    models: Vec<Model>,
}

impl AttributionParams {
    /// These models, in this order.
    ///
    /// ```
    /// let p = userops::attribution::AttributionParams::new([userops::attribution::Model::Linear]);
    /// assert!(p.check().is_ok());
    /// ```
    pub fn new(models: impl IntoIterator<Item = Model>) -> Self {
        AttributionParams {
            models: models.into_iter().collect(),
        }
    }

    /// Every heuristic model (first touch, last touch, linear, time decay with a 7-day
    /// half-life, position based 40/20/40) and the first-order Markov model.
    ///
    /// ```
    /// let p = userops::attribution::AttributionParams::heuristics_and_markov();
    /// assert_eq!(p.check()?.models().len(), 6);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn heuristics_and_markov() -> Self {
        Self::new([
            Model::FirstTouch,
            Model::LastTouch,
            Model::Linear,
            Model::time_decay(),
            Model::position_based(),
            Model::Markov { order: 1 },
        ])
    }

    /// Checks every model.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for no model, a model listed twice, or a setting out of
    /// range.
    ///
    /// ```
    /// use userops::attribution::{AttributionParams, Model};
    /// assert!(AttributionParams::new([Model::Linear, Model::Linear]).check().is_err());
    /// ```
    pub fn check(self) -> Result<AttributionSpec> {
        if self.models.is_empty() {
            return Err(Error::invalid("models", "name at least one model"));
        }
        for (i, m) in self.models.iter().enumerate() {
            m.check()?;
            if self.models[..i].contains(m) {
                return Err(Error::invalid("models", format!("{m} is listed twice")));
            }
        }
        Ok(AttributionSpec {
            models: self.models,
        })
    }
}

/// Checked models: attributes [`Journeys`] or a [`PathTable`].
///
/// ```
/// use userops::attribution::{AttributionParams, Model, PathTable};
/// let mut b = PathTable::builder();
/// b.add_text("search > email", ">", 2, 100.0, 0)?;
/// let report = AttributionParams::new([Model::FirstTouch, Model::Linear]).check()?.attribute_paths(&b.build())?;
/// let first = report.model(&Model::FirstTouch).unwrap();
/// assert_eq!(first.credit("search").unwrap().conversions, 2.0);
/// assert_eq!(report.model(&Model::Linear).unwrap().credit("email").unwrap().value, 50.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AttributionSpec {
    models: Vec<Model>,
}

impl AttributionSpec {
    /// The models, in order.
    ///
    /// ```
    /// let spec = userops::attribution::AttributionParams::heuristics_and_markov().check()?;
    /// assert_eq!(spec.models()[0], userops::attribution::Model::FirstTouch);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn models(&self) -> &[Model] {
        &self.models
    }

    /// Credits the conversions and value of `journeys` to their channels by every model.
    ///
    /// # Errors
    /// [`Error::TooLarge`] past a model's cap ([`super::MAX_MARKOV_STATES`],
    /// [`super::MAX_SHAPLEY_CHANNELS`]); [`Error::Overflow`] when the total value does not fit;
    /// [`Error::Numerical`] if a Markov system cannot be solved.
    ///
    /// ```
    /// use chrono::DateTime;
    /// use userops::attribution::{AttributionParams, JourneySummary};
    /// use userops::fold::Summary;
    /// let mut s = JourneySummary::new(Default::default());
    /// s.touch(&1_u8, DateTime::UNIX_EPOCH, "email")?;
    /// s.convert(&1_u8, DateTime::UNIX_EPOCH, 30.0)?;
    /// let report = AttributionParams::heuristics_and_markov().check()?.attribute(&s.finish().unwrap())?;
    /// assert!(report.models.iter().all(|m| m.channels[0].value == 30.0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn attribute(&self, journeys: &Journeys) -> Result<AttributionReport> {
        let needs_paths = self
            .models
            .iter()
            .any(|m| matches!(m, Model::Markov { .. } | Model::Shapley));
        let paths = if needs_paths {
            Some(journeys.paths()?)
        } else {
            None
        };
        let mut value = 0.0;
        for j in journeys.iter().filter(|j| j.converted) {
            value = crate::checked::add(value, j.value, || "the total conversion value".into())?;
        }
        crate::checked::finite(journeys.unattributed_value(), || {
            "the value of unattributed conversions".into()
        })?;
        let channels = journeys.channels();
        let mut models = Vec::with_capacity(self.models.len());
        for model in &self.models {
            let credit = match (model, &paths) {
                (Model::Markov { order }, Some(p)) => markov::attribute(p, *order as usize)?,
                (Model::Shapley, Some(p)) => shapley::attribute(p)?,
                _ => heuristic::attribute_journeys(model, journeys),
            };
            models.push(model_credit(*model, channels, &credit));
        }
        Ok(AttributionReport {
            channels: channels.to_vec(),
            conversions: journeys.conversions(),
            value,
            non_converting: journeys.non_converting(),
            unattributed_conversions: journeys.unattributed_conversions(),
            unattributed_value: journeys.unattributed_value(),
            models,
        })
    }

    /// Credits the conversions and value of a path table to its channels by every model.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a time-decay model (a path table has no touch times);
    /// otherwise as [`AttributionSpec::attribute`].
    ///
    /// ```
    /// use userops::attribution::{AttributionParams, Model, PathTable};
    /// let spec = AttributionParams::new([Model::time_decay()]).check()?;
    /// assert!(spec.attribute_paths(&PathTable::default()).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn attribute_paths(&self, paths: &PathTable) -> Result<AttributionReport> {
        let channels = paths.channels();
        let mut models = Vec::with_capacity(self.models.len());
        for model in &self.models {
            let credit = match model {
                Model::TimeDecay { .. } => {
                    return Err(Error::invalid(
                        "models",
                        "time decay needs the time of every touchpoint: attribute the \
                         journeys of a JourneySummary, not a path table",
                    ));
                }
                Model::Markov { order } => markov::attribute(paths, *order as usize)?,
                Model::Shapley => shapley::attribute(paths)?,
                _ => heuristic::attribute_paths(model, paths),
            };
            models.push(model_credit(*model, channels, &credit));
        }
        Ok(AttributionReport {
            channels: channels.to_vec(),
            conversions: paths.conversions(),
            value: paths.value(),
            non_converting: paths.nulls(),
            unattributed_conversions: 0,
            unattributed_value: 0.0,
            models,
        })
    }
}

/// What a model credits each channel (indexed like the channels).
#[derive(Debug, Clone, Default)]
pub(crate) struct Credit {
    pub(crate) conversions: Vec<f64>,
    pub(crate) value: Vec<f64>,
    /// Markov only: removal effects on conversions and on value.
    pub(crate) removal_effects: Option<(Vec<f64>, Vec<f64>)>,
}

fn model_credit(model: Model, channels: &[String], credit: &Credit) -> ModelCredit {
    let channels = channels
        .iter()
        .enumerate()
        .map(|(i, name)| ChannelCredit {
            channel: name.clone(),
            conversions: credit.conversions.get(i).copied().unwrap_or(0.0),
            value: credit.value.get(i).copied().unwrap_or(0.0),
            removal_effect: credit.removal_effects.as_ref().map(|r| r.0[i]),
            value_removal_effect: credit.removal_effects.as_ref().map(|r| r.1[i]),
        })
        .collect();
    ModelCredit { model, channels }
}
