//! The rule-based models: each converting journey's conversion and value split among its
//! touchpoints by weights that sum to 1.

use super::journeys::Journeys;
use super::params::{Credit, Model};
use super::paths::PathTable;

const MS_PER_DAY: f64 = 86_400_000.0;

/// The weights of a journey's touchpoints under `model` (they sum to 1), into `weights`.
/// `lags_ms` (time from each touchpoint to the conversion) is read by time decay only.
fn weights(model: &Model, n: usize, lags_ms: &[i64], weights: &mut Vec<f64>) {
    weights.clear();
    weights.resize(n, 0.0);
    if n == 0 {
        return;
    }
    match *model {
        Model::FirstTouch => weights[0] = 1.0,
        Model::LastTouch => weights[n - 1] = 1.0,
        // Markov and Shapley are not rule based and never asked here.
        Model::Linear | Model::Markov { .. } | Model::Shapley => weights.fill(1.0 / n as f64),
        Model::TimeDecay { half_life_days } => {
            // 2^(-lag / half-life), taken relative to the latest touchpoint so that old
            // journeys do not underflow to all zeros (the ratios are the same).
            let half_life_ms = half_life_days * MS_PER_DAY;
            let nearest = lags_ms.iter().copied().min().unwrap_or(0);
            let mut total = 0.0;
            for (w, &lag) in weights.iter_mut().zip(lags_ms) {
                *w = (-((lag - nearest) as f64) / half_life_ms).exp2();
                total += *w;
            }
            // `total` >= 1: the nearest touchpoint weighs 1.
            for w in weights.iter_mut() {
                *w /= total;
            }
        }
        Model::PositionBased { first, last } => match n {
            1 => weights[0] = 1.0,
            2 => {
                weights[0] = first / (first + last);
                weights[1] = last / (first + last);
            }
            _ => {
                let middle = (1.0 - first - last).max(0.0) / (n - 2) as f64;
                weights.fill(middle);
                weights[0] = first;
                weights[n - 1] = last;
            }
        },
    }
}

/// Credits of the converting journeys.
pub(crate) fn attribute_journeys(model: &Model, journeys: &Journeys) -> Credit {
    let n = journeys.channels().len();
    let mut credit = Credit {
        conversions: vec![0.0; n],
        value: vec![0.0; n],
        removal_effects: None,
    };
    let mut w = Vec::new();
    for j in journeys.iter().filter(|j| j.converted) {
        weights(model, j.channels.len(), j.lags_ms, &mut w);
        for (&c, &wi) in j.channels.iter().zip(&w) {
            credit.conversions[c as usize] += wi;
            credit.value[c as usize] += wi * j.value;
        }
    }
    credit
}

/// Credits of a path table's conversions (time decay excluded by the caller).
pub(crate) fn attribute_paths(model: &Model, paths: &PathTable) -> Credit {
    let n = paths.channels().len();
    let mut credit = Credit {
        conversions: vec![0.0; n],
        value: vec![0.0; n],
        removal_effects: None,
    };
    let mut w = Vec::new();
    for row in paths.rows().iter().filter(|r| r.conversions > 0) {
        weights(model, row.path.len(), &[], &mut w);
        let conversions = row.conversions as f64;
        for (&c, &wi) in row.path.iter().zip(&w) {
            credit.conversions[c as usize] += wi * conversions;
            credit.value[c as usize] += wi * row.value;
        }
    }
    credit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_based_40_20_40_by_hand() {
        let mut w = Vec::new();
        let m = Model::position_based();
        weights(&m, 4, &[], &mut w);
        // 40% first, 40% last, 20% over the two in between.
        for (got, want) in w.iter().zip([0.4, 0.1, 0.1, 0.4]) {
            assert!((got - want).abs() < 1e-15, "{w:?}");
        }
        weights(&m, 2, &[], &mut w);
        assert_eq!(w, [0.5, 0.5]);
        weights(&m, 1, &[], &mut w);
        assert_eq!(w, [1.0]);
    }

    #[test]
    fn time_decay_of_very_old_journeys_does_not_underflow() {
        let mut w = Vec::new();
        let m = Model::TimeDecay {
            half_life_days: 1.0,
        };
        let year = 365 * 86_400_000_i64;
        // Lags of 10,000 and 10,000 years + 1 day: weights 2 : 1 (one half-life apart).
        weights(&m, 2, &[10_000 * year + 86_400_000, 10_000 * year], &mut w);
        assert!((w[0] - 1.0 / 3.0).abs() < 1e-15 && (w[1] - 2.0 / 3.0).abs() < 1e-15);
    }
}
