//! Pareto/NBD (Schmittlein, Morrison & Colombo 1987), likelihood as in Fader & Hardie's
//! derivation note (2005), computed without the ₂F₁ difference that loses all precision (or
//! overflows) when `t_x` is close to `T` and the frequency is large.

use serde::{Deserialize, Serialize};
use statrs::function::gamma::digamma;

use super::bgnbd::nbd_log_pmf;
#[cfg(test)]
use super::model::sum_rows;
use super::model::{
    Customer, FitOptions, FitReport, ModelParams, Rows, TimeUnit, TransactionModel,
    WARM_START_ABOVE, Warm, check_all, check_horizon, check_positive, expectation, finite,
    fit_model, subsample, sum_rows_vec,
};
use super::special::{ln_poch, log_add_exp};
use crate::Result;

/// Pareto/NBD parameters: purchase rates `λ ~ Gamma(r, α)`, lifetimes exponential with
/// rates `μ ~ Gamma(s, β)`, in a time [`unit`](ParetoNbdParams::unit): `α` and `β` are
/// times, and customer rows and horizons given to the model are in that unit.
/// [`ParetoNbdParams::in_unit`] converts the model exactly.
///
/// ```
/// use userops::ltv::{ParetoNbdParams, Customer, TimeUnit, TransactionModel};
/// let m = ParetoNbdParams::new(0.553, 10.58, 0.606, 11.67, TimeUnit::Week)?;
/// // A heavy buyer whose last purchase is at T: finite, and surely alive.
/// let c = Customer::new(300, 38.0, 38.0)?;
/// assert!(m.log_likelihood(&c)?.is_finite());
/// assert!((m.p_alive(&c)? - 1.0).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParetoNbdParams {
    /// Shape of the purchase-rate gamma.
    pub r: f64,
    /// Scale (rate) of the purchase-rate gamma: a time, in `unit`.
    pub alpha: f64,
    /// Shape of the dropout-rate gamma.
    pub s: f64,
    /// Scale (rate) of the dropout-rate gamma: a time, in `unit`.
    pub beta: f64,
    /// The time unit of `alpha` and `beta`, of the customer rows and of the horizons.
    pub unit: TimeUnit,
}

impl ModelParams for ParetoNbdParams {
    const MODEL: &'static str = "pareto-nbd";
    const NAMES: &'static [&'static str] = &["r", "alpha", "s", "beta"];
    fn values(&self) -> Vec<f64> {
        vec![self.r, self.alpha, self.s, self.beta]
    }
    fn from_values(v: &[f64], unit: TimeUnit) -> Result<Self> {
        check_positive(Self::NAMES, v)?;
        Ok(ParetoNbdParams {
            r: v[0],
            alpha: v[1],
            s: v[2],
            beta: v[3],
            unit,
        })
    }
    fn time_unit(&self) -> Option<TimeUnit> {
        Some(self.unit)
    }
}

/// `ln ∫_{t_x}^{T} (α+τ)^-(r+x) (β+τ)^-(s+1) dτ` (−inf when `t_x == T`).
///
/// Expanding the second factor around the first (or the first around the second) gives a
/// series in `z = (α-β)/(α+t_x)` (or `w = (β-α)/(β+t_x)`) whose terms each hold the positive
/// difference `1 - ρ^(m+n)`, `ρ = (α+t_x)/(α+T)`, computed with `expm1`: no cancellation
/// between two ₂F₁ values, no overflow (terms are rescaled as they grow).
pub(crate) fn ln_dropout_integral(
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
    x: f64,
    tx: f64,
    t: f64,
) -> f64 {
    if t <= tx {
        return f64::NEG_INFINITY;
    }
    let m = r + s + x;
    let z1 = (alpha - beta) / (alpha + tx);
    let (k, z, base) = if alpha >= beta || z1.abs() <= 0.5 {
        (s + 1.0, z1, alpha + tx)
    } else {
        (r + x, (beta - alpha) / (beta + tx), beta + tx)
    };
    // Terms grow until n ≈ k|z| / (1 - |z|); past a few thousand terms (a slow positive
    // series, or an alternating one that would cancel) integrate numerically instead.
    if z.abs() > 0.95 || k * z.abs() / (1.0 - z.abs()) > 2000.0 {
        // The series would converge slowly (its ratio tends to z): take the difference of
        // the two tails instead, whose series converge fast (the range where they would not
        // is integrated numerically). It cancels only when t_x is close to T, where the
        // dropout term is negligible beside the alive term.
        let (fa, _) = ln_tail_grad(r, alpha, s, beta, x, tx);
        let (fb, _) = ln_tail_grad(r, alpha, s, beta, x, t);
        return if fb < fa {
            fa + (-(fb - fa).exp_m1()).ln()
        } else {
            f64::NEG_INFINITY
        };
    }
    let ln_rho = -((t - tx) / base).ln_1p();
    let rho = ln_rho.exp();
    let one_minus_rho = -ln_rho.exp_m1();
    let mut coef = 1.0_f64; // (k)_n / n! z^n, rescaled
    let mut log_scale = 0.0_f64;
    let mut sum = 0.0_f64;
    // q_n = 1 - ρ^(m+n) by the recurrence q_{n+1} = (1 - ρ) + ρ q_n: a sum of positive terms,
    // so no cancellation however close ρ is to 1.
    let mut q = -(m * ln_rho).exp_m1();
    let mut n = 0.0_f64;
    const RESCALE: f64 = 1e250;
    let mut converged = false;
    for _ in 0..2_000_000 {
        let term = coef * q / (m + n);
        sum += term;
        let ratio = (k + n) / (n + 1.0) * z;
        // Tail bound once terms shrink geometrically.
        if coef == 0.0
            || (ratio.abs() < 1.0
                && term.abs() * ratio.abs() / (1.0 - ratio.abs()) <= 1e-17 * sum.abs())
        {
            converged = true;
            break;
        }
        coef *= ratio;
        q = one_minus_rho + rho * q;
        n += 1.0;
        if coef.abs() > RESCALE {
            coef /= RESCALE;
            sum /= RESCALE;
            log_scale += RESCALE.ln();
        }
    }
    if !converged {
        return f64::NAN;
    }
    if sum.is_nan() || sum <= 0.0 {
        return f64::NAN;
    }
    -m * base.ln() + sum.ln() + log_scale
}

/// `ln F(t0)` and its gradient in `(r, α, s, β)`, where
/// `F(t0) = ∫_{t0}^∞ (α+τ)^-(r+x) (β+τ)^-(s+1) dτ`, so that the dropout integral of the
/// likelihood is `F(t_x) - F(T)`.
///
/// With `(P, p, Q, q)` the pair `(α, r+x)` / `(β, s+1)` whose scale is larger as `(P, p)`,
/// `F = (P+t0)^-p (Q+t0)^-(q-1) Σ_n (p)_n / (m)_{n+1} z^n`, `m = p+q-1`, `z = (P-Q)/(P+t0)`
/// in `[0, 1)` (Euler's transformation of the ₂F₁ in Fader & Hardie's note): every term is
/// positive and the ratio of consecutive terms is below `z`, so there is no cancellation and
/// no growth. The derivatives of the terms are carried along the series. When `z` is close
/// to 1 the part of the range where it is, `[t0, t1]`, is integrated by Gauss–Legendre.
pub(crate) fn ln_tail_grad(
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
    x: f64,
    t0: f64,
) -> (f64, [f64; 4]) {
    ln_tail_grad_with(r, alpha, s, beta, x, t0, &Tables::NONE)
}

/// What a series can take precomputed: `inv_p[i] = 1/(p+i)` and `inv_m[i] = 1/(m+1+i)`
/// for `i = 0, 1, ...` (as far as they go; later terms divide), and `ln(α+t0)`, `ln(β+t0)`.
pub(crate) struct Tables<'a> {
    inv_p: &'a [f64],
    inv_m: &'a [f64],
    logs: Option<(f64, f64)>,
}

impl Tables<'_> {
    const NONE: Tables<'static> = Tables {
        inv_p: &[],
        inv_m: &[],
        logs: None,
    };
}

/// [`ln_tail_grad`] with precomputed reciprocals and logarithms (the fit shares them across
/// the pairs with the same `x` or the same `t0`).
fn ln_tail_grad_with(
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
    x: f64,
    t0: f64,
    tables: &Tables<'_>,
) -> (f64, [f64; 4]) {
    let k = r + x;
    // (P, p, Q, q); `swap` when P is β.
    let swap = beta > alpha;
    let (big, p, small, q) = if swap {
        (beta, s + 1.0, alpha, k)
    } else {
        (alpha, k, beta, s + 1.0)
    };
    let tables = Tables {
        logs: tables
            .logs
            .map(|(la, lb)| if swap { (lb, la) } else { (la, lb) }),
        ..*tables
    };
    let (lv, g) = ln_tail_pq(big, p, small, q, t0, &tables);
    // g = ∂/∂(p, q, P, Q).
    let grad = if swap {
        [g[1], g[3], g[0], g[2]]
    } else {
        [g[0], g[2], g[1], g[3]]
    };
    (lv, grad)
}

/// Largest `z` the series is summed at; closer to 1 the range is split.
const TAIL_Z_MAX: f64 = 0.9;

/// `ln ∫_{t0}^∞ (P+τ)^-p (Q+τ)^-q dτ` (`P >= Q`) and its derivatives in `(p, q, P, Q)`.
fn ln_tail_pq(
    big: f64,
    p: f64,
    small: f64,
    q: f64,
    t0: f64,
    tables: &Tables<'_>,
) -> (f64, [f64; 4]) {
    let z = (big - small) / (big + t0);
    if z <= TAIL_Z_MAX {
        return ln_tail_series(big, p, small, q, t0, tables);
    }
    // Split at t1 where z(t1) = TAIL_Z_MAX: the series from t1, quadrature on [t0, t1].
    let t1 = (big - small) / TAIL_Z_MAX - big;
    let at_t1 = Tables {
        logs: None,
        ..*tables
    };
    let (l_tail, g_tail) = ln_tail_series(big, p, small, q, t1, &at_t1);
    let (l_head, g_head) = ln_head_quadrature(big, p, small, q, t0, t1);
    let l = log_add_exp(l_tail, l_head);
    let (wt, wh) = ((l_tail - l).exp(), (l_head - l).exp());
    let mut g = [0.0; 4];
    for i in 0..4 {
        g[i] = wt * g_tail[i] + wh * g_head[i];
    }
    (l, g)
}

/// The series of [`ln_tail_grad`] for `z = (P-Q)/(P+t0)` in `[0, TAIL_Z_MAX]`.
fn ln_tail_series(
    big: f64,
    p: f64,
    small: f64,
    q: f64,
    t0: f64,
    tables: &Tables<'_>,
) -> (f64, [f64; 4]) {
    let m = p + q - 1.0;
    let (pt, qt) = (big + t0, small + t0);
    let z = (big - small) / pt;
    // t_0 = 1/m; t_n = u_n z with u_1 = p / (m (m+1)), u_{n+1} = u_n z (p+n)/(m+n+1).
    // hp, hq: ∂ ln t_n / ∂p, ∂q (m depends on both).
    let t_first = 1.0 / m;
    let mut sum = t_first;
    let mut hp = -1.0 / m;
    let mut hq = -1.0 / m;
    let mut sp = t_first * hp;
    let mut sq = t_first * hq;
    let mut sz = 0.0; // Σ n t_n / z
    // 1/(m+n), carried from one step to the next (one division fewer per term).
    let mut inv_mn = match tables.inv_m.first() {
        Some(v) => *v,
        None => 1.0 / (m + 1.0),
    };
    let mut u = p / m * inv_mn;
    let mut n = 1.0_f64;
    let tail = z / ((1.0 - z) * (1.0 - z));
    for i in 0..10_000 {
        let t = u * z;
        let inv_p = match tables.inv_p.get(i) {
            Some(v) => *v,
            None => 1.0 / (p + n - 1.0),
        };
        hp += inv_p - inv_mn;
        hq -= inv_mn;
        sum += t;
        sp += t * hp;
        sq += t * hq;
        sz += n * u;
        // The remaining terms are below u_n z^j (n + j) ...: bound them against the sums.
        if u * tail * (n + 2.0 + hp.abs() + hq.abs()) <= 1e-16 * sum || u == 0.0 {
            break;
        }
        inv_mn = match tables.inv_m.get(i + 1) {
            Some(v) => *v,
            None => 1.0 / (m + n + 1.0),
        };
        u *= z * (p + n) * inv_mn;
        n += 1.0;
    }
    let (lp, lq) = tables.logs.unwrap_or_else(|| (pt.ln(), qt.ln()));
    let value = -p * lp - (q - 1.0) * lq + sum.ln();
    let dz = sz / sum;
    let grad = [
        -lp + sp / sum,
        -lq + sq / sum,
        -p / pt + dz * qt / (pt * pt),
        -(q - 1.0) / qt - dz / pt,
    ];
    (value, grad)
}

/// `ln ∫_{t0}^{t1} (P+τ)^-p (Q+τ)^-q dτ` and its derivatives in `(p, q, P, Q)` by
/// composite Gauss–Legendre in `y = ln(Q+τ)`, summed in log space.
fn ln_head_quadrature(big: f64, p: f64, small: f64, q: f64, t0: f64, t1: f64) -> (f64, [f64; 4]) {
    const PANELS: usize = 32;
    let (y0, y1) = ((small + t0).ln(), (small + t1).ln());
    let (nodes, weights) = gauss_legendre_8();
    let h = (y1 - y0) / PANELS as f64;
    let mut pts = [(0.0_f64, 0.0_f64, 0.0_f64); PANELS * 8];
    let mut top = f64::NEG_INFINITY;
    for (j, pt) in pts.iter_mut().enumerate() {
        let mid = y0 + ((j / 8) as f64 + 0.5) * h;
        let y = mid + 0.5 * h * nodes[j % 8];
        let qv = y.exp();
        let pv = big - small + qv;
        // dτ = (Q+τ) dy.
        let l = (0.5 * h * weights[j % 8]).ln() - p * pv.ln() - (q - 1.0) * y;
        top = top.max(l);
        *pt = (l, pv, qv);
    }
    if !top.is_finite() {
        return (f64::NAN, [f64::NAN; 4]);
    }
    let (mut sum, mut g) = (0.0, [0.0; 4]);
    for &(l, pv, qv) in &pts {
        let e = (l - top).exp();
        sum += e;
        g[0] -= e * pv.ln();
        g[1] -= e * qv.ln();
        g[2] -= e * p / pv;
        g[3] -= e * q / qv;
    }
    for v in &mut g {
        *v /= sum;
    }
    (top + sum.ln(), g)
}

/// The Pareto/NBD rows with, per row, the index of its `(x, t_x)` and `(x, T)` pairs: the
/// tail integrals depend on those pairs only, so each is computed once per evaluation.
pub(crate) struct PairRows {
    rows: Rows,
    /// Distinct recencies and ages.
    t0s: Vec<f64>,
    /// Distinct `(x, t_x)` and `(x, T)` pairs, as indices in `rows.xs` and `t0s`.
    pairs: Vec<(u32, u32)>,
    /// Per row: index in `pairs` of `(x, t_x)` and of `(x, T)`.
    at_tx: Vec<u32>,
    at_t: Vec<u32>,
}

impl PairRows {
    pub(crate) fn new(mut rows: Rows) -> PairRows {
        // Rows in (T, x, t_x) order: the per-T, per-x and per-pair tables are then read
        // nearly in sequence instead of at random.
        let mut order: Vec<u32> = (0..rows.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            (rows.ti[a], rows.xi[a], rows.txi[a]).cmp(&(rows.ti[b], rows.xi[b], rows.txi[b]))
        });
        fn permute<T: Copy>(v: &mut Vec<T>, order: &[u32]) {
            *v = order.iter().map(|&i| v[i as usize]).collect();
        }
        permute(&mut rows.x, &order);
        permute(&mut rows.tx, &order);
        permute(&mut rows.t, &order);
        permute(&mut rows.w, &order);
        permute(&mut rows.xi, &order);
        permute(&mut rows.txi, &order);
        permute(&mut rows.ti, &order);
        // Every t0 (recencies and ages) once, and where each recency and age sits in it.
        let mut t0s: Vec<f64> = rows.txs.iter().chain(&rows.ts).copied().collect();
        t0s.sort_unstable_by(f64::total_cmp);
        t0s.dedup();
        let at = |v: f64| t0s.binary_search_by(|a| a.total_cmp(&v)).unwrap_or(0) as u32;
        let tx_at: Vec<u32> = rows.txs.iter().map(|&v| at(v)).collect();
        let t_at: Vec<u32> = rows.ts.iter().map(|&v| at(v)).collect();
        let mut index: std::collections::HashMap<u64, u32> = std::collections::HashMap::new();
        let mut pairs = Vec::new();
        let mut id = |xi: u32, ti: u32| -> u32 {
            let next = pairs.len() as u32;
            let i = *index
                .entry(u64::from(xi) << 32 | u64::from(ti))
                .or_insert(next);
            if i == next {
                pairs.push((xi, ti));
            }
            i
        };
        let mut at_tx = Vec::with_capacity(rows.len());
        let mut at_t = Vec::with_capacity(rows.len());
        for i in 0..rows.len() {
            let xi = rows.xi[i];
            at_tx.push(id(xi, tx_at[rows.txi[i] as usize]));
            at_t.push(id(xi, t_at[rows.ti[i] as usize]));
        }
        PairRows {
            rows,
            t0s,
            pairs,
            at_tx,
            at_t,
        }
    }
}

/// Log-likelihood of the Pareto/NBD over weighted rows and its gradient in `(r, α, s, β)`.
pub(crate) fn pnbd_ll_grad(p: &[f64], pr: &PairRows) -> (f64, Vec<f64>) {
    let (r, alpha, s, beta) = (p[0], p[1], p[2], p[3]);
    let rows = &pr.rows;
    // What the tail series share: per t0 its logarithms, per x the reciprocals of the
    // series' recurrences (and for the form in β, whose p is s + 1, one table for all x).
    const TABLE: usize = 48;
    let swap = beta > alpha;
    let logs: Vec<(f64, f64)> = pr
        .t0s
        .iter()
        .map(|t| ((alpha + t).ln(), (beta + t).ln()))
        .collect();
    let reciprocals =
        |start: f64| -> Vec<f64> { (0..TABLE).map(|i| 1.0 / (start + i as f64)).collect() };
    let shared_inv_p = if swap {
        reciprocals(s + 1.0)
    } else {
        Vec::new()
    };
    let per_x_tables: Vec<(Vec<f64>, Vec<f64>)> = rows
        .xs
        .iter()
        .map(|&x| {
            let inv_p = if swap { Vec::new() } else { reciprocals(r + x) };
            (inv_p, reciprocals(r + x + s + 1.0))
        })
        .collect();
    let tails: Vec<(f64, [f64; 4])> = pr
        .pairs
        .iter()
        .map(|&(xi, ti)| {
            let (xi, ti) = (xi as usize, ti as usize);
            let (inv_p, inv_m) = &per_x_tables[xi];
            let tables = Tables {
                inv_p: if swap { &shared_inv_p } else { inv_p },
                inv_m,
                logs: logs.get(ti).copied(),
            };
            ln_tail_grad_with(r, alpha, s, beta, rows.xs[xi], pr.t0s[ti], &tables)
        })
        .collect();
    let per_x: Vec<(f64, f64)> = rows
        .xs
        .iter()
        .map(|&x| (ln_poch(r, x), digamma(r + x)))
        .collect();
    let per_t: Vec<[f64; 4]> = rows
        .ts
        .iter()
        .map(|t| {
            [
                (alpha + t).ln(),
                1.0 / (alpha + t),
                (beta + t).ln(),
                1.0 / (beta + t),
            ]
        })
        .collect();
    let ln_s = s.ln();
    let acc = sum_rows_vec(rows.len(), 5, |i, acc| {
        let x = rows.x[i];
        let w = rows.w[i];
        let k = r + x;
        let (lg, dg) = per_x[rows.xi[i] as usize];
        let [la, ia, lb, ib] = per_t[rows.ti[i] as usize];
        let alive = -k * la - s * lb;
        let (fa, ga) = &tails[pr.at_tx[i] as usize];
        let (fb, gb) = &tails[pr.at_t[i] as usize];
        let d = fb - fa;
        // F(t_x) - F(T) > 0 unless t_x = T (or rounding says so: then it is negligible).
        // mll = ln(e^alive + e^dead); pa = e^(alive - mll); ca, cb = s F(t_x), s F(T) / e^mll.
        let ln_a = ln_s + fa - alive;
        let (mll, pa, ca, cb) = if !(rows.tx[i] < rows.t[i] && d < 0.0) {
            (alive, 1.0, 0.0, 0.0)
        } else {
            let em1 = d.exp_m1();
            let (mll, pa, ca) = if ln_a < 600.0 {
                // Relative to the alive term: ca = A/(1+R), R = A(1 - e^d) = e^(dead - alive).
                let a = ln_a.exp();
                let ratio = -a * em1;
                let inv = 1.0 / (1.0 + ratio);
                (alive + ratio.ln_1p(), inv, a * inv)
            } else {
                // The dropout term dwarfs the alive term: the same, relative to the dropout term.
                let dead = ln_s + fa + (-em1).ln();
                let e = (-(alive - dead).abs()).exp();
                let mll = alive.max(dead) + e.ln_1p();
                let pa = if alive >= dead { 1.0 } else { e } / (1.0 + e);
                (mll, pa, (ln_s + fa - mll).exp())
            };
            (mll, pa, ca, ca * (1.0 + em1))
        };
        acc[0] += w * (lg + mll);
        acc[1] += w * (dg - pa * la + ca * ga[0] - cb * gb[0]);
        acc[2] += w * (-pa * k * ia + ca * ga[1] - cb * gb[1]);
        acc[3] += w * (-pa * lb + (ca - cb) / s + ca * ga[2] - cb * gb[2]);
        acc[4] += w * (-pa * s * ib + ca * ga[3] - cb * gb[3]);
    });
    let n = rows.total;
    let value = acc[0] + n * (r * alpha.ln() + s * beta.ln());
    let grad = vec![
        acc[1] + n * (-digamma(r) + alpha.ln()),
        acc[2] + n * r / alpha,
        acc[3] + n * beta.ln(),
        acc[4] + n * s / beta,
    ];
    (value, grad)
}

impl ParetoNbdParams {
    /// Checked parameters `(r, alpha, s, beta)` in time unit `unit` (`alpha` and `beta` are
    /// times).
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] unless all are finite and `> 0`.
    ///
    /// ```
    /// use userops::ltv::TimeUnit;
    /// assert!(userops::ltv::ParetoNbdParams::new(0.55, 10.6, 0.61, 11.7, TimeUnit::Week).is_ok());
    /// assert!(userops::ltv::ParetoNbdParams::new(0.55, 10.6, 0.0, 11.7, TimeUnit::Week).is_err());
    /// ```
    pub fn new(r: f64, alpha: f64, s: f64, beta: f64, unit: TimeUnit) -> Result<Self> {
        Self::from_values(&[r, alpha, s, beta], unit)
    }

    /// The same model in time unit `unit`: `α` and `β` are times, so they scale by the ratio
    /// of the units (in weeks = in days / 7); `r` and `s` have no unit.
    ///
    /// ```
    /// use userops::ltv::{ParetoNbdParams, TimeUnit};
    /// let w = ParetoNbdParams::new(0.55, 10.6, 0.61, 11.7, TimeUnit::Week)?;
    /// let d = w.in_unit(TimeUnit::Day);
    /// assert_eq!((d.alpha, d.beta, d.unit), (10.6 * 7.0, 11.7 * 7.0, TimeUnit::Day));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn in_unit(&self, unit: TimeUnit) -> Self {
        ParetoNbdParams {
            alpha: self.unit.convert(self.alpha, unit),
            beta: self.unit.convert(self.beta, unit),
            unit,
            ..self.clone()
        }
    }

    /// Fits the model by maximum likelihood on unique `(x, t_x, T)` rows with weights, to
    /// customers whose recency and `T` are measured in `unit`; the fitted model carries that
    /// unit. As for BG/NBD, the fit does not depend on the unit except through an L2
    /// penalizer.
    ///
    /// # Errors
    /// An invalid customer row (named), no customers, or a likelihood that is not finite at
    /// the optimum. Non-convergence is reported in the report, not as `Err`.
    ///
    /// ```
    /// use userops::ltv::{Customer, FitOptions, ParetoNbdParams, TimeUnit};
    /// let data: Vec<Customer> = (0..200)
    ///     .map(|i| Customer::new(i % 4, if i % 4 == 0 { 0.0 } else { (i % 30) as f64 }, 30.0))
    ///     .collect::<Result<_, _>>()?;
    /// let fit = ParetoNbdParams::fit(&data, TimeUnit::Week, &FitOptions::new())?;
    /// assert!(fit.log_likelihood < 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit(
        customers: &[Customer],
        unit: TimeUnit,
        options: &FitOptions,
    ) -> Result<FitReport<Self>> {
        check_all(customers)?;
        let warm = if customers.len() > WARM_START_ABOVE {
            Warm::from(Self::fit(&subsample(customers), unit, options))
        } else {
            None
        };
        let rows = Rows::from_customers(customers);
        let max_t = rows.t.iter().fold(0.0_f64, |m, v| m.max(*v)).max(1e-9);
        let pairs = PairRows::new(rows);
        let ll = |p: &[f64]| -> f64 { pnbd_ll_grad(p, &pairs).0 };
        let grad = |p: &[f64]| -> (f64, Vec<f64>) { pnbd_ll_grad(p, &pairs) };
        let scales = [1.0, max_t / 10.0, 1.0, max_t / 10.0];
        fit_model::<Self>(
            &ll,
            Some(&grad),
            None,
            pairs.rows.total,
            &scales,
            warm,
            *options,
            unit,
        )
    }

    #[cfg(test)]
    fn rows_ll(p: &[f64], rows: &Rows) -> f64 {
        let (r, alpha, s, beta) = (p[0], p[1], p[2], p[3]);
        let base0 = r * alpha.ln() + s * beta.ln();
        let per_x: Vec<f64> = rows.xs.iter().map(|&x| ln_poch(r, x)).collect();
        let ln_s = s.ln();
        let ln_at: Vec<f64> = rows.ts.iter().map(|t| (alpha + t).ln()).collect();
        let ln_bt: Vec<f64> = rows.ts.iter().map(|t| (beta + t).ln()).collect();
        let sum = sum_rows(rows.len(), |i| {
            let x = rows.x[i];
            let (tx, t) = (rows.tx[i], rows.t[i]);
            let ti = rows.ti[i] as usize;
            let alive = -(r + x) * ln_at[ti] - s * ln_bt[ti];
            let dead = ln_s + ln_dropout_integral(r, alpha, s, beta, x, tx, t);
            rows.w[i] * (per_x[rows.xi[i] as usize] + log_add_exp(alive, dead))
        });
        sum + rows.total * base0
    }

    /// `(ln L_alive, ln L_dead)`: the parts of the likelihood (without the common factor)
    /// for "alive at `T`" and "died between `t_x` and `T`".
    fn parts(&self, c: &Customer) -> (f64, f64) {
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let x = f64::from(c.frequency);
        let alive = -(r + x) * (alpha + c.age).ln() - s * (beta + c.age).ln();
        let dead = s.ln() + ln_dropout_integral(r, alpha, s, beta, x, c.recency, c.age);
        (alive, dead)
    }
}

/// `(1 - (1 + u)^-(k)) / k` for `k` near 0 too (limit `ln(1+u)`).
fn power_bracket(k: f64, u: f64) -> f64 {
    let l = u.ln_1p();
    if (k * l).abs() < 1e-10 {
        l
    } else {
        -(-k * l).exp_m1() / k
    }
}

impl TransactionModel for ParetoNbdParams {
    fn model_name(&self) -> &'static str {
        "pareto-nbd"
    }

    fn unit(&self) -> TimeUnit {
        self.unit
    }

    fn log_likelihood(&self, c: &Customer) -> Result<f64> {
        c.check("")?;
        let x = f64::from(c.frequency);
        let (alive, dead) = self.parts(c);
        let v = ln_poch(self.r, x)
            + self.r * self.alpha.ln()
            + self.s * self.beta.ln()
            + log_add_exp(alive, dead);
        finite("log_likelihood", v)
    }

    fn p_alive(&self, c: &Customer) -> Result<f64> {
        c.check("")?;
        let (alive, dead) = self.parts(c);
        finite("p_alive", (alive - log_add_exp(alive, dead)).exp())
    }

    fn expected_purchases(&self, c: &Customer, t: f64) -> Result<f64> {
        let p = self.p_alive(c)?;
        expectation(
            "expected_purchases",
            p * self.expected_purchases_if_alive(c.frequency, c.age, t)?,
        )
    }

    fn expected_purchases_if_alive(&self, frequency: u32, age: f64, t: f64) -> Result<f64> {
        check_horizon(t)?;
        check_horizon(age)?;
        let x = f64::from(frequency);
        // (r+x)(β+T) / ((α+T)(s-1)) [1 - ((β+T)/(β+T+t))^(s-1)]
        let v = (self.r + x) * (self.beta + age) / (self.alpha + age)
            * power_bracket(self.s - 1.0, t / (self.beta + age));
        expectation("expected_purchases", v)
    }

    fn expected_purchases_new(&self, t: f64) -> Result<f64> {
        check_horizon(t)?;
        // rβ/(α(s-1)) [1 - (β/(β+t))^(s-1)]
        let v = self.r * self.beta / self.alpha * power_bracket(self.s - 1.0, t / self.beta);
        expectation("expected_purchases", v)
    }

    fn purchases_pmf(&self, n: u32, t: f64) -> Result<f64> {
        check_horizon(t)?;
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let x = f64::from(n);
        // P(X(t)=n) = P(τ > t) NBD(n; t) + ∫_0^t f(τ) NBD(n; τ) dτ, f(τ) = sβ^s/(β+τ)^(s+1):
        // Gauss–Legendre on 64 panels (the integrand is smooth; the substitution
        // τ = t u² takes the τ^n behaviour at 0 in its stride).
        let survive = (-s * (t / beta).ln_1p()).exp();
        let mut integral = 0.0;
        if t > 0.0 {
            const PANELS: usize = 64;
            let (nodes, weights) = gauss_legendre_8();
            for k in 0..PANELS {
                let (lo, hi) = (k as f64 / PANELS as f64, (k + 1) as f64 / PANELS as f64);
                let (mid, half) = (0.5 * (lo + hi), 0.5 * (hi - lo));
                for (xi, wi) in nodes.iter().zip(weights.iter()) {
                    let u = mid + half * xi;
                    let tau = t * u * u;
                    let jac = 2.0 * t * u;
                    let dens = s * (s * beta.ln() - (s + 1.0) * (beta + tau).ln()).exp();
                    integral += wi * half * jac * dens * nbd_log_pmf(r, alpha, x, tau).exp();
                }
            }
        }
        super::model::probability(
            "purchases_pmf",
            survive * nbd_log_pmf(r, alpha, x, t).exp() + integral,
        )
    }
}

/// 8-point Gauss–Legendre nodes and weights on [-1, 1].
fn gauss_legendre_8() -> ([f64; 8], [f64; 8]) {
    let a = [
        0.183_434_642_495_649_8,
        0.525_532_409_916_329,
        0.796_666_477_413_626_7,
        0.960_289_856_497_536_3,
    ];
    let w = [
        0.362_683_783_378_362,
        0.313_706_645_877_887_3,
        0.222_381_034_453_374_5,
        0.101_228_536_290_376_3,
    ];
    (
        [-a[3], -a[2], -a[1], -a[0], a[0], a[1], a[2], a[3]],
        [w[3], w[2], w[1], w[0], w[0], w[1], w[2], w[3]],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ln ∫_{t_x}^{T} (α+τ)^-k (β+τ)^-(s+1) dτ` by composite Simpson on 20,000 intervals in
    /// `u = ln(α+τ)` (which spreads the peak at small τ when α is small): slow, independent.
    fn simpson_reference(k: f64, alpha: f64, s: f64, beta: f64, tx: f64, t: f64) -> f64 {
        let (u0, u1) = ((alpha + tx).ln(), (alpha + t).ln());
        let n = 20_000;
        let h = (u1 - u0) / f64::from(n);
        // Integrand in u, scaled by its value at u0 to stay in range.
        let ln_f = |u: f64| {
            let tau = u.exp() - alpha;
            -(k - 1.0) * u - (s + 1.0) * (beta + tau).ln()
        };
        let top = ln_f(u0);
        let sum: f64 = (0..=n)
            .map(|i| {
                let w = if i == 0 || i == n {
                    1.0
                } else if i % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                w * (ln_f(u0 + f64::from(i) * h) - top).exp()
            })
            .sum();
        top + (sum * h / 3.0).ln()
    }

    #[test]
    fn series_and_quadrature_agree() {
        for &(r, alpha, s, beta, x, tx, t) in &[
            (2.0, 0.05, 0.4, 90.0, 0.0, 0.0, 38.86),
            (2.0, 0.05, 0.4, 90.0, 3.0, 1.0, 38.86),
            (0.553, 10.58, 0.606, 11.67, 2.0, 30.43, 38.86),
            (0.553, 10.58, 0.606, 11.67, 0.0, 0.0, 38.86),
            (0.553, 3.0, 0.606, 30.0, 5.0, 10.0, 38.86),
            (0.553, 30.0, 0.606, 3.0, 5.0, 10.0, 38.86),
            (1.5, 8.0, 2.0, 7.0, 40.0, 37.0, 38.86),
        ] {
            let a = ln_dropout_integral(r, alpha, s, beta, x, tx, t);
            let b = simpson_reference(r + x, alpha, s, beta, tx, t);
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
    }

    /// Customers spread over frequencies, recencies (some at T) and ages.
    fn spread() -> Rows {
        let customers: Vec<Customer> = (0..120_u32)
            .map(|i| {
                let x = [0, 1, 2, 5, 30, 300][(i % 6) as usize];
                let t = 10.0 + f64::from(i % 7) * 5.0;
                let tx = if x == 0 {
                    0.0
                } else if i % 4 == 0 {
                    t
                } else {
                    t * f64::from(i % 9) / 9.0
                };
                Customer::new(x, tx, t).unwrap()
            })
            .collect();
        Rows::from_customers(&customers)
    }

    /// Parameter sets: α > β, α < β, α = β, and far apart (the split range of the tail).
    const PARAMS: [[f64; 4]; 6] = [
        [0.553, 10.58, 0.606, 11.67],
        [0.553, 11.67, 0.606, 10.58],
        [1.2, 5.0, 0.8, 5.0],
        [0.8, 0.8, 0.52, 4.86],
        [0.3, 200.0, 1.5, 0.5],
        [2.0, 0.05, 0.4, 90.0],
    ];

    #[test]
    fn tail_difference_is_the_dropout_integral() {
        // F(t_x) - F(T) against the independent series/quadrature of `ln_dropout_integral`.
        for p in PARAMS {
            let [r, alpha, s, beta] = p;
            for &(x, tx, t) in &[(0.0, 0.0, 38.86), (2.0, 30.43, 38.86), (5.0, 1.0, 50.0)] {
                let (fa, _) = ln_tail_grad(r, alpha, s, beta, x, tx);
                let (fb, _) = ln_tail_grad(r, alpha, s, beta, x, t);
                let ours = fa + (-(fb - fa).exp_m1()).ln();
                let reference = simpson_reference(r + x, alpha, s, beta, tx, t);
                assert!(
                    (ours - reference).abs() < 1e-8,
                    "{p:?} x {x}: {ours} vs {reference}"
                );
            }
        }
    }

    #[test]
    fn pair_likelihood_matches_the_per_customer_series() {
        let rows = spread();
        for p in PARAMS {
            let (v, _) = pnbd_ll_grad(&p, &PairRows::new(rows.clone()));
            let old = ParetoNbdParams::rows_ll(&p, &rows);
            assert!((v - old).abs() < 1e-9 * old.abs(), "{p:?}: {v} vs {old}");
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let pairs = PairRows::new(spread());
        for p in PARAMS {
            let (_, g) = pnbd_ll_grad(&p, &pairs);
            for k in 0..4 {
                let h = 1e-6 * p[k];
                let (mut a, mut b) = (p, p);
                a[k] += h;
                b[k] -= h;
                let fd = (pnbd_ll_grad(&a, &pairs).0 - pnbd_ll_grad(&b, &pairs).0) / (2.0 * h);
                assert!(
                    (fd - g[k]).abs() < 1e-5 * fd.abs().max(1.0),
                    "{p:?} d{k}: analytic {} vs numeric {fd}",
                    g[k]
                );
            }
        }
    }
}
