//! The Shapley value of the channels' coalition game.
//!
//! Players: the channels on converting paths. The worth `v(S)` of a coalition `S` is the
//! conversions (for value credits, the conversion value) of the journeys whose channels all
//! lie in `S`: what `S` converts on its own. This is the game of Zhao, Mahboobi and Bagheri,
//! "Shapley value methods for attribution modeling in online advertising" (2018), and of the
//! tutorial "Data-driven marketing attribution" (towardsdatascience.com, its worked example
//! in tests/attribution.rs). Each channel's credit is its Shapley value
//!
//! ```text
//! φ_j = Σ_{S ⊆ N \ {j}} |S|! (n - |S| - 1)! / n! · (v(S ∪ {j}) - v(S))
//! ```
//!
//! computed over all `2^n` coalitions (so `n` is capped by [`MAX_SHAPLEY_CHANNELS`]). The
//! credits sum to `v(N)`, every conversion; channels only on non-converting paths are null
//! players and get nothing. (For this game the Shapley value works out to splitting each
//! journey's conversions equally among its distinct channels, Zhao et al.'s "simplified
//! Shapley value"; the tests check the two agree.)

use super::params::Credit;
use super::paths::PathTable;
use crate::{Error, Result};

/// The most channels (on converting paths) the Shapley model plays with: its coalitions
/// number `2^n` (two tables of `2^n` numbers, 16 MiB at the cap).
pub const MAX_SHAPLEY_CHANNELS: usize = 20;

/// Shapley credits of a path table's conversions and value.
pub(crate) fn attribute(paths: &PathTable) -> Result<Credit> {
    let channels = paths.channels().len();
    // The players: channels on some converting path, numbered 0..n.
    let mut player = vec![usize::MAX; channels];
    let mut players = Vec::new();
    for row in paths.rows().iter().filter(|r| r.conversions > 0) {
        for &c in &row.path {
            if player[c as usize] == usize::MAX {
                player[c as usize] = players.len();
                players.push(c as usize);
            }
        }
    }
    let n = players.len();
    if n > MAX_SHAPLEY_CHANNELS {
        return Err(Error::TooLarge {
            name: "shapley channels",
            requested: format!("{n} channels on converting paths"),
            cap: format!("{MAX_SHAPLEY_CHANNELS} channels"),
            hint: "map event names to fewer channels, or use the Markov model",
        });
    }
    let mut credit = Credit {
        conversions: vec![0.0; channels],
        value: vec![0.0; channels],
        removal_effects: None,
    };
    if n == 0 {
        return Ok(credit);
    }
    // v(S) for every coalition: first the conversions of journeys whose channel set is
    // exactly S, then summed over subsets.
    let size = 1usize << n;
    let mut worth = vec![0.0; size];
    let mut worth_value = vec![0.0; size];
    for row in paths.rows().iter().filter(|r| r.conversions > 0) {
        let set = row
            .path
            .iter()
            .fold(0usize, |s, &c| s | 1 << player[c as usize]);
        worth[set] += row.conversions as f64;
        worth_value[set] += row.value;
    }
    for bit in 0..n {
        for set in 0..size {
            if set & (1 << bit) != 0 {
                worth[set] += worth[set ^ (1 << bit)];
                worth_value[set] += worth_value[set ^ (1 << bit)];
            }
        }
    }
    // |S|! (n - |S| - 1)! / n! = 1 / (n · C(n - 1, |S|)).
    let mut weight = vec![0.0; n];
    let mut binomial = 1.0;
    for (s, w) in weight.iter_mut().enumerate() {
        *w = 1.0 / (n as f64 * binomial);
        binomial = binomial * (n - 1 - s) as f64 / (s + 1) as f64;
    }
    for (j, &c) in players.iter().enumerate() {
        let bit = 1usize << j;
        let (mut phi, mut phi_value) = (0.0, 0.0);
        for set in (0..size).filter(|s| s & bit == 0) {
            let w = weight[set.count_ones() as usize];
            phi += w * (worth[set | bit] - worth[set]);
            phi_value += w * (worth_value[set | bit] - worth_value[set]);
        }
        credit.conversions[c] = phi;
        credit.value[c] = phi_value;
    }
    Ok(credit)
}
