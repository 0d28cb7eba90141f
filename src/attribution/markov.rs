//! The Markov-chain removal effect, computed exactly with absorbing-chain algebra.
//!
//! States: `start`, the channel states, and the absorbing `conversion` and `null`. Each path
//! row moves `conversions + nulls` journeys from `start` through its states; `conversions`
//! of them end in `conversion`, `nulls` in `null`. Transition probabilities are the
//! observed counts over each state's total.
//!
//! With `Q` the transitions among the transient states (`start` and the channel states),
//! `r` the probabilities of stepping into `conversion`, and `N = (I - Q)^-1` the fundamental
//! matrix (expected visits), the probability of converting from each state is `h = N r` and
//! `P = h[start]`. Removing channel `c` sends every state that contains it to `null`; for
//! that set `S`, block elimination of `N` gives
//!
//! ```text
//! P(conversion without c) = P - N[start, S] · N[S, S]^-1 · h[S]
//! ```
//!
//! (for one state `s` this is `P - f(start → s) · h[s]`: convert, minus the journeys that
//! reach `s` and convert from there). The removal effect is
//! `1 - P(conversion without c) / P`; credits are the removal effects normalised to the
//! conversions. The value works alike with `r` replaced by the expected conversion value on
//! stepping into `conversion` (each last state's value per conversion, as ChannelAttribution
//! draws it), so value is credited by value removal effects.

use std::collections::HashMap;

use super::params::Credit;
use super::paths::PathTable;
use crate::{Error, Result};

/// The most channel states a Markov model builds (its dense fundamental matrix has
/// `(states + 1)²` entries; inverting it takes about a second at the cap).
pub const MAX_MARKOV_STATES: usize = 1000;

/// The chain of a path table: states (index 0 is `start`, an empty tuple), transition
/// counts among them, and counts into the absorbing states.
struct Chain {
    states: Vec<Vec<u32>>,
    /// Dense `n × n`, row `i` the counts out of state `i` to each transient state.
    counts: Vec<f64>,
    to_conversion: Vec<f64>,
    to_null: Vec<f64>,
    /// Conversion value of the journeys whose last state is each state.
    value: Vec<f64>,
}

impl Chain {
    fn from_paths(paths: &PathTable, order: usize) -> Result<Chain> {
        let mut index: HashMap<Vec<u32>, usize> = HashMap::new();
        let mut states: Vec<Vec<u32>> = vec![Vec::new()];
        let mut edges: HashMap<(usize, usize), f64> = HashMap::new();
        let mut ends: Vec<(usize, f64, f64, f64)> = Vec::new();
        let mut walk = Vec::new();
        for row in paths.rows() {
            let journeys = row.conversions as f64 + row.nulls as f64;
            if journeys == 0.0 {
                continue;
            }
            // A path shorter than the order is one state; a longer one, the windows of
            // `order` consecutive channels. Repeated states in a row are one visit.
            walk.clear();
            let windows: Vec<&[u32]> = if row.path.len() <= order {
                vec![&row.path[..]]
            } else {
                row.path.windows(order).collect()
            };
            for w in windows {
                let s = match index.get(w) {
                    Some(&s) => s,
                    None => {
                        if states.len() > MAX_MARKOV_STATES {
                            return Err(too_many_states(order));
                        }
                        index.insert(w.to_vec(), states.len());
                        states.push(w.to_vec());
                        states.len() - 1
                    }
                };
                if walk.last() != Some(&s) {
                    walk.push(s);
                }
            }
            let mut from = 0;
            for &to in &walk {
                *edges.entry((from, to)).or_insert(0.0) += journeys;
                from = to;
            }
            ends.push((from, row.conversions as f64, row.nulls as f64, row.value));
        }
        let n = states.len();
        let mut chain = Chain {
            states,
            counts: vec![0.0; n * n],
            to_conversion: vec![0.0; n],
            to_null: vec![0.0; n],
            value: vec![0.0; n],
        };
        for ((from, to), c) in edges {
            chain.counts[from * n + to] += c;
        }
        for (s, conversions, nulls, value) in ends {
            chain.to_conversion[s] += conversions;
            chain.to_null[s] += nulls;
            chain.value[s] += value;
        }
        Ok(chain)
    }
}

fn too_many_states(order: usize) -> Error {
    Error::TooLarge {
        name: "markov states",
        requested: format!("more than {MAX_MARKOV_STATES} states (order {order})"),
        cap: format!("{MAX_MARKOV_STATES} states"),
        hint: "lower the Markov order, or map event names to fewer channels",
    }
}

/// Removal effects and credits of an order-`order` Markov model over `paths`.
pub(crate) fn attribute(paths: &PathTable, order: usize) -> Result<Credit> {
    let chain = Chain::from_paths(paths, order)?;
    let n = chain.states.len();
    // I - Q, and the one-step probabilities into `conversion` and its expected value.
    let mut a = vec![0.0; n * n];
    let mut r = vec![0.0; n];
    let mut rv = vec![0.0; n];
    for i in 0..n {
        let row = &chain.counts[i * n..(i + 1) * n];
        let out: f64 = row.iter().sum::<f64>() + chain.to_conversion[i] + chain.to_null[i];
        a[i * n + i] = 1.0;
        if out > 0.0 {
            for j in 0..n {
                a[i * n + j] -= row[j] / out;
            }
            r[i] = chain.to_conversion[i] / out;
            rv[i] = chain.value[i] / out;
        }
    }
    let mut identity = vec![0.0; n * n];
    for i in 0..n {
        identity[i * n + i] = 1.0;
    }
    let fundamental = solve(a, n, identity, n)?;
    let at = |i: usize, j: usize| fundamental[i * n + j];
    let h: Vec<f64> = (0..n)
        .map(|i| (0..n).map(|j| at(i, j) * r[j]).sum())
        .collect();
    let hv: Vec<f64> = (0..n)
        .map(|i| (0..n).map(|j| at(i, j) * rv[j]).sum())
        .collect();
    let (p, pv) = (h[0], hv[0]);

    let channels = paths.channels().len();
    let mut removal = vec![0.0; channels];
    let mut value_removal = vec![0.0; channels];
    let mut set = Vec::new();
    for c in 0..channels as u32 {
        set.clear();
        set.extend((1..n).filter(|&s| chain.states[s].contains(&c)));
        if set.is_empty() || p <= 0.0 {
            continue;
        }
        // N[S, S] x = [h[S], hv[S]]; the conversions lost are N[start, S] · x.
        let k = set.len();
        let block: Vec<f64> = set
            .iter()
            .flat_map(|&i| set.iter().map(move |&j| at(i, j)))
            .collect();
        let rhs: Vec<f64> = set.iter().flat_map(|&i| [h[i], hv[i]]).collect();
        let x = solve(block, k, rhs, 2)?;
        let lost: f64 = set
            .iter()
            .enumerate()
            .map(|(q, &s)| at(0, s) * x[2 * q])
            .sum();
        let lost_value: f64 = set
            .iter()
            .enumerate()
            .map(|(q, &s)| at(0, s) * x[2 * q + 1])
            .sum();
        removal[c as usize] = (lost / p).clamp(0.0, 1.0);
        if pv > 0.0 {
            value_removal[c as usize] = (lost_value / pv).clamp(0.0, 1.0);
        }
    }
    let conversions = normalised(&removal, paths.conversions() as f64);
    let value = normalised(&value_removal, paths.value());
    Ok(Credit {
        conversions,
        value,
        removal_effects: Some((removal, value_removal)),
    })
}

/// `effects` scaled to sum to `total` (all zeros when they sum to zero).
fn normalised(effects: &[f64], total: f64) -> Vec<f64> {
    let sum: f64 = effects.iter().sum();
    if sum > 0.0 {
        effects.iter().map(|e| e / sum * total).collect()
    } else {
        vec![0.0; effects.len()]
    }
}

/// Solves `A X = B` for `A` `n × n` and `B` `n × m` (row-major) by Gaussian elimination with
/// partial pivoting.
fn solve(mut a: Vec<f64>, n: usize, mut b: Vec<f64>, m: usize) -> Result<Vec<f64>> {
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))
            .unwrap_or(col);
        let p = a[pivot * n + col];
        if p.is_nan() || p.abs() <= 1e-300 {
            return Err(Error::Numerical(format!(
                "the Markov chain's system is singular at state {col}; a state from which \
                 no journey ends cannot be solved"
            )));
        }
        if pivot != col {
            for j in 0..n {
                a.swap(col * n + j, pivot * n + j);
            }
            for j in 0..m {
                b.swap(col * m + j, pivot * m + j);
            }
        }
        for i in col + 1..n {
            let f = a[i * n + col] / p;
            if f == 0.0 {
                continue;
            }
            for j in col..n {
                a[i * n + j] -= f * a[col * n + j];
            }
            for j in 0..m {
                b[i * m + j] -= f * b[col * m + j];
            }
        }
    }
    for col in (0..n).rev() {
        let p = a[col * n + col];
        for j in 0..m {
            let mut x = b[col * m + j];
            for k in col + 1..n {
                x -= a[col * n + k] * b[k * m + j];
            }
            b[col * m + j] = x / p;
        }
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_by_hand() {
        // 2x + y = 5, x + 3y = 10: x = 1, y = 3.
        let x = solve(vec![2.0, 1.0, 1.0, 3.0], 2, vec![5.0, 10.0], 1).unwrap();
        assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 3.0).abs() < 1e-12);
        assert!(solve(vec![1.0, 2.0, 2.0, 4.0], 2, vec![1.0, 1.0], 1).is_err());
    }
}
