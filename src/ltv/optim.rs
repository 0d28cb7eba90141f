//! A small derivative-free minimizer for the BTYD likelihoods: Nelder–Mead on the
//! log-parameters, restarted once, then Newton polish steps with a central-difference
//! gradient and Hessian; BFGS where an exact gradient exists, Newton's method where an exact
//! Hessian also does and the start is already close. Also the numeric Hessian and the SPD
//! inverse behind standard errors.

// Small dense matrices (n <= 4) read best with explicit indices.
#![allow(clippy::needless_range_loop)]

/// A function returning its value and gradient.
pub(crate) type ValueGrad<'a> = &'a dyn Fn(&[f64]) -> (f64, Vec<f64>);

/// Result of [`minimize`].
#[derive(Debug, Clone)]
pub(crate) struct Optimum {
    /// Arg-min (in the optimizer's coordinates).
    pub x: Vec<f64>,
    /// Objective evaluations used.
    pub evaluations: usize,
    /// Whether the simplex collapsed, the gradient vanished and the Hessian is positive definite
    /// with every coordinate inside `±bound`.
    pub converged: bool,
    /// Why not converged (empty when converged).
    pub message: String,
}

struct Counted<'a> {
    f: &'a dyn Fn(&[f64]) -> f64,
    n: usize,
}

impl Counted<'_> {
    fn eval(&mut self, x: &[f64]) -> f64 {
        self.n += 1;
        let v = (self.f)(x);
        if v.is_finite() { v } else { f64::INFINITY }
    }
}

fn nelder_mead(
    f: &mut Counted<'_>,
    x0: &[f64],
    step: f64,
    max_evals: usize,
    (ftol, xtol): (f64, f64),
    bound: f64,
) -> (Vec<f64>, f64, bool) {
    let n = x0.len();
    let mut pts: Vec<Vec<f64>> = Vec::with_capacity(n + 1);
    pts.push(x0.to_vec());
    for i in 0..n {
        let mut p = x0.to_vec();
        p[i] += step;
        pts.push(p);
    }
    let mut vals: Vec<f64> = pts.iter().map(|p| f.eval(p)).collect();
    let start = f.n;
    loop {
        // Order best .. worst.
        let mut idx: Vec<usize> = (0..=n).collect();
        idx.sort_by(|&a, &b| vals[a].total_cmp(&vals[b]));
        pts = idx.iter().map(|&i| pts[i].clone()).collect();
        vals = idx.iter().map(|&i| vals[i]).collect();
        let (best, worst) = (vals[0], vals[n]);
        let diameter = pts[1..]
            .iter()
            .flat_map(|p| p.iter().zip(&pts[0]).map(|(a, b)| (a - b).abs()))
            .fold(0.0_f64, f64::max);
        if best.is_finite() && (worst - best).abs() <= ftol * (best.abs() + 1e-8) && diameter < xtol
        {
            return (pts[0].clone(), best, true);
        }
        // Out of budget, or the best point has run well past the boundary: stop.
        if f.n - start > max_evals || pts[0].iter().any(|v| v.abs() > bound + 2.0) {
            return (pts[0].clone(), best, false);
        }
        let mut c = vec![0.0; n];
        for p in &pts[..n] {
            for (ci, pi) in c.iter_mut().zip(p) {
                *ci += pi / n as f64;
            }
        }
        let along = |t: f64| -> Vec<f64> {
            c.iter()
                .zip(&pts[n])
                .map(|(ci, wi)| ci + t * (ci - wi))
                .collect()
        };
        let xr = along(1.0);
        let fr = f.eval(&xr);
        if fr < vals[0] {
            let xe = along(2.0);
            let fe = f.eval(&xe);
            if fe < fr {
                pts[n] = xe;
                vals[n] = fe;
            } else {
                pts[n] = xr;
                vals[n] = fr;
            }
            continue;
        }
        if fr < vals[n - 1] {
            pts[n] = xr;
            vals[n] = fr;
            continue;
        }
        let (xc, fc) = if fr < vals[n] {
            let xc = along(0.5);
            let fc = f.eval(&xc);
            (xc, fc)
        } else {
            let xc = along(-0.5);
            let fc = f.eval(&xc);
            (xc, fc)
        };
        if fc < vals[n].min(fr) {
            pts[n] = xc;
            vals[n] = fc;
            continue;
        }
        // Shrink towards the best point.
        for i in 1..=n {
            let p: Vec<f64> = pts[i]
                .iter()
                .zip(&pts[0])
                .map(|(a, b)| b + 0.5 * (a - b))
                .collect();
            vals[i] = f.eval(&p);
            pts[i] = p;
        }
    }
}

/// Central-difference gradient and Hessian of `f` at `x` with step `h` in every coordinate.
fn grad_hess(f: &mut Counted<'_>, x: &[f64], fx: f64, h: f64) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = x.len();
    let mut g = vec![0.0; n];
    let mut hm = vec![vec![0.0; n]; n];
    let mut p = x.to_vec();
    for i in 0..n {
        p[i] = x[i] + h;
        let fp = f.eval(&p);
        p[i] = x[i] - h;
        let fm = f.eval(&p);
        p[i] = x[i];
        g[i] = (fp - fm) / (2.0 * h);
        hm[i][i] = (fp - 2.0 * fx + fm) / (h * h);
    }
    for i in 0..n {
        for j in (i + 1)..n {
            let mut q = x.to_vec();
            let mut at = |di: f64, dj: f64| {
                q[i] = x[i] + di;
                q[j] = x[j] + dj;
                f.eval(&q)
            };
            let v = (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4.0 * h * h);
            hm[i][j] = v;
            hm[j][i] = v;
        }
    }
    (g, hm)
}

/// Cholesky factor of a symmetric matrix; `None` unless positive definite.
fn cholesky(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = a[i][j];
            for k in 0..j {
                s -= l[i][k] * l[j][k];
            }
            if i == j {
                if !(s > 0.0 && s.is_finite()) {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    Some(l)
}

fn chol_solve(l: &[Vec<f64>], b: &[f64]) -> Vec<f64> {
    let n = b.len();
    let mut y = vec![0.0; n];
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i][k] * y[k];
        }
        y[i] = s / l[i][i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let mut s = y[i];
        for k in (i + 1)..n {
            s -= l[k][i] * x[k];
        }
        x[i] = s / l[i][i];
    }
    x
}

/// Inverse of a symmetric positive definite matrix; `None` when it is not SPD.
pub(crate) fn inverse_spd(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let l = cholesky(a)?;
    let n = a.len();
    let mut inv = vec![vec![0.0; n]; n];
    for j in 0..n {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        let col = chol_solve(&l, &e);
        for i in 0..n {
            inv[i][j] = col[i];
        }
    }
    Some(inv)
}

/// Numeric Hessian of `f` at `x` with relative steps `rel * max(|x_i|, 1e-8)`.
pub(crate) fn hessian(f: &dyn Fn(&[f64]) -> f64, x: &[f64], rel: f64) -> Vec<Vec<f64>> {
    let n = x.len();
    let h: Vec<f64> = x.iter().map(|v| rel * v.abs().max(1e-8)).collect();
    let f0 = f(x);
    let mut hm = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in i..n {
            let v = if i == j {
                let mut p = x.to_vec();
                p[i] = x[i] + h[i];
                let fp = f(&p);
                p[i] = x[i] - h[i];
                let fm = f(&p);
                (fp - 2.0 * f0 + fm) / (h[i] * h[i])
            } else {
                let at = |di: f64, dj: f64| {
                    let mut q = x.to_vec();
                    q[i] += di;
                    q[j] += dj;
                    f(&q)
                };
                (at(h[i], h[j]) - at(h[i], -h[j]) - at(-h[i], h[j]) + at(-h[i], -h[j]))
                    / (4.0 * h[i] * h[j])
            };
            hm[i][j] = v;
            hm[j][i] = v;
        }
    }
    hm
}

/// Minimizes `f` (non-finite values count as +inf) from `x0` with Nelder–Mead, a restart,
/// and Newton polish steps. `bound`: coordinates beyond `±bound` count as a boundary solution.
pub(crate) fn minimize(f: &dyn Fn(&[f64]) -> f64, x0: &[f64], bound: f64, step: f64) -> Optimum {
    let mut counted = Counted { f, n: 0 };
    // A loose simplex search to the basin, then Newton steps (quadratic convergence) finish.
    let (x1, _, ok1) = nelder_mead(&mut counted, x0, step, 2000, (1e-7, 1e-2), bound);
    let (mut x, mut fx, ok2) = nelder_mead(&mut counted, &x1, 0.05, 2000, (1e-9, 1e-3), bound);
    let simplex_ok = ok1 || ok2;
    let h = 1e-4;
    let mut grad_ok = false;
    let mut pd = false;
    let mut gnorm = f64::INFINITY;
    for _ in 0..12 {
        if !fx.is_finite() {
            break;
        }
        let (g, hm) = grad_hess(&mut counted, &x, fx, h);
        gnorm = g.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        let Some(l) = cholesky(&hm) else {
            pd = false;
            grad_ok = gnorm < 1e-6;
            break;
        };
        pd = true;
        grad_ok = gnorm < 1e-6;
        let neg: Vec<f64> = g.iter().map(|v| -v).collect();
        let d = chol_solve(&l, &neg);
        // Converged when the gradient vanishes or the Newton step is negligible (the numeric
        // gradient of a steep function cannot get below its truncation error).
        grad_ok = grad_ok || d.iter().all(|v| v.abs() < 1e-7);
        let slope: f64 = g.iter().zip(&d).map(|(a, b)| a * b).sum();
        // Newton decrement: the predicted improvement is -slope / 2; below rounding, stop.
        if -slope < 1e-15 * (fx.abs() + 1e-8) {
            break;
        }
        let mut t = 1.0;
        let mut moved = false;
        while t > 1e-6 {
            let cand: Vec<f64> = x.iter().zip(&d).map(|(a, b)| a + t * b).collect();
            let fc = counted.eval(&cand);
            if fc <= fx + 1e-4 * t * slope {
                x = cand;
                fx = fc;
                moved = true;
                break;
            }
            t *= 0.5;
        }
        if !moved {
            break;
        }
    }
    let inside = x.iter().all(|v| v.abs() < bound);
    let converged = fx.is_finite() && simplex_ok && grad_ok && pd && inside;
    let message = if converged {
        String::new()
    } else if !fx.is_finite() {
        "the likelihood is not finite anywhere the optimizer looked".into()
    } else if !inside {
        "a parameter ran off to the boundary (0 or infinity): the model does not fit these data"
            .into()
    } else if !pd {
        "the Hessian at the optimum is not positive definite (flat or saddle likelihood)".into()
    } else if !grad_ok {
        format!("the gradient did not vanish (max |g| = {gnorm:.2e})")
    } else {
        "the simplex did not collapse within the evaluation budget".into()
    };
    Optimum {
        x,
        evaluations: counted.n,
        converged,
        message,
    }
}

/// How far above `gtol` the gradient may stay when the objective no longer changes beyond
/// its rounding (a sum over a million rows carries a gradient noise of about 1e-7).
const NOISE_GTOL: f64 = 1e3;

/// BFGS on a function with an exact gradient (`fg` returns value and gradient; non-finite
/// values count as +inf). Converged when the gradient's largest entry is below `gtol`, with
/// every coordinate inside `±bound`.
/// `h0` is the starting inverse Hessian (the identity, scaled after the first step, when
/// `None`).
pub(crate) fn bfgs(
    fg: ValueGrad<'_>,
    x0: &[f64],
    bound: f64,
    gtol: f64,
    h0: Option<Vec<Vec<f64>>>,
) -> Optimum {
    let n = x0.len();
    let mut evaluations = 0;
    let mut eval = |x: &[f64]| {
        evaluations += 1;
        let (f, g) = fg(x);
        if f.is_finite() && g.iter().all(|v| v.is_finite()) {
            (f, g)
        } else {
            (f64::INFINITY, g)
        }
    };
    let mut x = x0.to_vec();
    let (mut f, mut g) = eval(&x);
    let mut first_update = true;
    let mut h: Vec<Vec<f64>> = match h0 {
        Some(h) if h.len() == n && h.iter().all(|row| row.len() == n) => {
            first_update = false;
            h
        }
        _ => (0..n)
            .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
            .collect(),
    };
    let mut converged = false;
    for _ in 0..400 {
        if !f.is_finite() {
            break;
        }
        let gmax = g.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        if gmax < gtol {
            converged = true;
            break;
        }
        if x.iter().any(|v| v.abs() > bound + 2.0) {
            break;
        }
        let mut d: Vec<f64> = (0..n)
            .map(|i| -(0..n).map(|j| h[i][j] * g[j]).sum::<f64>())
            .collect();
        let mut slope: f64 = g.iter().zip(&d).map(|(a, b)| a * b).sum();
        if slope.is_nan() || slope >= 0.0 {
            // Not a descent direction: restart from steepest descent.
            for (i, row) in h.iter_mut().enumerate() {
                for (j, v) in row.iter_mut().enumerate() {
                    *v = if i == j { 1.0 } else { 0.0 };
                }
            }
            d = g.iter().map(|v| -v).collect();
            slope = -g.iter().map(|v| v * v).sum::<f64>();
        }
        let near_floor = gmax < gtol * NOISE_GTOL;
        let (xn, fnew, gn) = match line_search(&x, &d, f, slope, near_floor, 1e-12, &mut eval) {
            Step::Accepted(xn, fnew, gn) => (xn, fnew, gn),
            Step::NoiseFloor => {
                converged = true;
                break;
            }
            Step::Failed => break,
        };
        let sv: Vec<f64> = xn.iter().zip(&x).map(|(a, b)| a - b).collect();
        let yv: Vec<f64> = gn.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy: f64 = sv.iter().zip(&yv).map(|(a, b)| a * b).sum();
        if sy > 1e-300 {
            if first_update {
                // Scale the identity to the curvature seen along the first step (Nocedal &
                // Wright, eq. 6.20): the first steps then have the right length.
                let yy: f64 = yv.iter().map(|v| v * v).sum();
                if yy > 0.0 {
                    for (i, row) in h.iter_mut().enumerate() {
                        for (j, v) in row.iter_mut().enumerate() {
                            *v = if i == j { sy / yy } else { 0.0 };
                        }
                    }
                }
                first_update = false;
            }
            // H <- (I - ρ s yᵀ) H (I - ρ y sᵀ) + ρ s sᵀ
            let rho = 1.0 / sy;
            let hy: Vec<f64> = (0..n)
                .map(|i| (0..n).map(|j| h[i][j] * yv[j]).sum())
                .collect();
            let yhy: f64 = yv.iter().zip(&hy).map(|(a, b)| a * b).sum();
            for i in 0..n {
                for j in 0..n {
                    h[i][j] += -rho * (hy[i] * sv[j] + sv[i] * hy[j])
                        + (rho * rho * yhy + rho) * sv[i] * sv[j];
                }
            }
        }
        let small = (f - fnew).abs() <= 1e-14 * f.abs().max(1.0);
        x = xn;
        f = fnew;
        g = gn;
        if small {
            let gmax = g.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
            converged = gmax < gtol * NOISE_GTOL;
            break;
        }
    }
    let inside = x.iter().all(|v| v.abs() < bound);
    let converged = converged && inside && f.is_finite();
    let message = if converged {
        String::new()
    } else if !inside {
        "a parameter ran off to the boundary (0 or infinity): the model does not fit these data"
            .into()
    } else {
        "the quasi-Newton search did not reach a zero gradient".into()
    };
    Optimum {
        x,
        evaluations,
        converged,
        message,
    }
}

/// Where a [`line_search`] ended.
enum Step<T> {
    /// A point with enough decrease: the point, its value and what else `eval` returned.
    Accepted(Vec<f64>, f64, T),
    /// The decrease fell below the rounding of the objective with the gradient already small
    /// (`near_floor`): the optimum, as far as `f` can tell.
    NoiseFloor,
    /// No step down to `t_min` decreased `f` enough.
    Failed,
}

/// Backtracking (Armijo) line search from `x` along the descent direction `d` (`slope` =
/// g·d < 0), the first step capped so that no coordinate moves more than 2 (one bad direction
/// cannot jump to absurd parameters), halved down to `t_min`. Shared by [`bfgs`] and
/// [`newton`]; `eval` returns the value and whatever the method needs at the new point.
fn line_search<T>(
    x: &[f64],
    d: &[f64],
    f: f64,
    slope: f64,
    near_floor: bool,
    t_min: f64,
    eval: &mut impl FnMut(&[f64]) -> (f64, T),
) -> Step<T> {
    let dmax = d.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let mut t = if dmax > 2.0 { 2.0 / dmax } else { 1.0 };
    while t > t_min {
        let cand: Vec<f64> = x.iter().zip(d).map(|(a, b)| a + t * b).collect();
        let (fc, rest) = eval(&cand);
        if fc <= f + 1e-4 * t * slope {
            return Step::Accepted(cand, fc, rest);
        }
        // Near the optimum the decrease a step can make falls below the rounding of f (a sum
        // over 600k rows carries about 1e-12 of it): with the gradient already small, halving
        // the step further only burns evaluations.
        if near_floor && (fc - f).abs() <= 1e-11 * f.abs().max(1.0) {
            return Step::NoiseFloor;
        }
        t *= 0.5;
    }
    Step::Failed
}

/// A function returning its value, gradient and Hessian.
pub(crate) type ValueGradHess<'a> = &'a dyn Fn(&[f64]) -> (f64, Vec<f64>, Vec<Vec<f64>>);

/// Newton's method with an exact Hessian and a backtracking line search, for a start already
/// close to the optimum (a warm start): quadratic convergence there takes two or three
/// evaluations where BFGS takes four to six. Converged as [`bfgs`] is (the gradient's largest
/// entry below `gtol`, or the objective at its rounding floor with the gradient within
/// `gtol * NOISE_GTOL`), inside `±bound`. It gives up, not converged, after `max_iter` steps
/// or where the Hessian is not positive definite: the caller then falls back to BFGS.
pub(crate) fn newton(
    fgh: ValueGradHess<'_>,
    x0: &[f64],
    bound: f64,
    gtol: f64,
    max_iter: usize,
) -> Optimum {
    let mut evaluations = 0;
    let mut eval = |x: &[f64]| {
        evaluations += 1;
        let (f, g, h) = fgh(x);
        let ok = f.is_finite()
            && g.iter().all(|v| v.is_finite())
            && h.iter().flatten().all(|v| v.is_finite());
        (if ok { f } else { f64::INFINITY }, g, h)
    };
    let mut x = x0.to_vec();
    let (mut f, mut g, mut h) = eval(&x);
    let mut converged = false;
    for _ in 0..max_iter {
        if !f.is_finite() {
            break;
        }
        let gmax = g.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        if gmax < gtol {
            converged = true;
            break;
        }
        if x.iter().any(|v| v.abs() > bound) {
            break;
        }
        let Some(l) = cholesky(&h) else {
            break;
        };
        let neg: Vec<f64> = g.iter().map(|v| -v).collect();
        let d = chol_solve(&l, &neg);
        let slope: f64 = g.iter().zip(&d).map(|(a, b)| a * b).sum();
        if slope.is_nan() || slope >= 0.0 {
            break;
        }
        let near_floor = gmax < gtol * NOISE_GTOL;
        let mut eval_gh = |x: &[f64]| {
            let (f, g, h) = eval(x);
            (f, (g, h))
        };
        let (xn, fnew, (gn, hn)) =
            match line_search(&x, &d, f, slope, near_floor, 1e-6, &mut eval_gh) {
                Step::Accepted(xn, fnew, gh) => (xn, fnew, gh),
                Step::NoiseFloor => {
                    converged = true;
                    break;
                }
                Step::Failed => break,
            };
        let small = (f - fnew).abs() <= 1e-14 * f.abs().max(1.0);
        (x, f, g, h) = (xn, fnew, gn, hn);
        if small {
            let gmax = g.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
            converged = gmax < gtol * NOISE_GTOL;
            break;
        }
    }
    let inside = x.iter().all(|v| v.abs() < bound);
    let converged = converged && inside && f.is_finite();
    Optimum {
        x,
        evaluations,
        converged,
        message: if converged {
            String::new()
        } else {
            "Newton's method did not reach a zero gradient".into()
        },
    }
}

/// Hessian from differences of an exact gradient, relative steps `rel * |x_i|`: central
/// differences (2n gradients), or forward differences from `g0`, the gradient at `x`
/// (n gradients).
pub(crate) fn hessian_from_gradient(
    g: &dyn Fn(&[f64]) -> Vec<f64>,
    x: &[f64],
    rel: f64,
    g0: Option<&[f64]>,
) -> Vec<Vec<f64>> {
    let n = x.len();
    let mut hm = vec![vec![0.0; n]; n];
    for j in 0..n {
        let h = rel * x[j].abs().max(1e-8);
        let mut p = x.to_vec();
        p[j] = x[j] + h;
        let gp = g(&p);
        let (gm, h) = match &g0 {
            None => {
                p[j] = x[j] - h;
                (g(&p), h)
            }
            Some(g0) => (g0.to_vec(), 0.5 * h),
        };
        for i in 0..n {
            hm[i][j] = (gp.get(i).copied().unwrap_or(f64::NAN)
                - gm.get(i).copied().unwrap_or(f64::NAN))
                / (2.0 * h);
        }
    }
    for i in 0..n {
        for j in (i + 1)..n {
            let v = 0.5 * (hm[i][j] + hm[j][i]);
            hm[i][j] = v;
            hm[j][i] = v;
        }
    }
    hm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rosenbrock() {
        let f = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let o = minimize(&f, &[-1.2, 1.0], 50.0, 0.5);
        assert!(
            (o.x[0] - 1.0).abs() < 1e-4 && (o.x[1] - 1.0).abs() < 1e-4,
            "{o:?}"
        );
    }

    #[test]
    fn smooth_bowl_converges() {
        // Minimum at (ln 2, -1): f = (e^x - 2)^2 + 3 (y + 1)^2 + 0.5 (y + 1)^4.
        let f = |x: &[f64]| {
            (x[0].exp() - 2.0).powi(2) + 3.0 * (x[1] + 1.0).powi(2) + 0.5 * (x[1] + 1.0).powi(4)
        };
        let o = minimize(&f, &[0.0, 0.0], 20.0, 0.5);
        assert!(o.converged, "{}", o.message);
        assert!((o.x[0] - 2f64.ln()).abs() < 1e-7 && (o.x[1] + 1.0).abs() < 1e-7);
    }

    #[test]
    fn bfgs_smooth_bowl() {
        let fg = |x: &[f64]| {
            let e = x[0].exp();
            let f = (e - 2.0).powi(2) + 3.0 * (x[1] + 1.0).powi(2) + 0.5 * (x[1] + 1.0).powi(4);
            (
                f,
                vec![
                    2.0 * (e - 2.0) * e,
                    6.0 * (x[1] + 1.0) + 2.0 * (x[1] + 1.0).powi(3),
                ],
            )
        };
        let o = bfgs(&fg, &[0.0, 0.0], 20.0, 1e-10, None);
        assert!(o.converged, "{}", o.message);
        assert!((o.x[0] - 2f64.ln()).abs() < 1e-8 && (o.x[1] + 1.0).abs() < 1e-8);
    }

    #[test]
    fn boundary_is_not_converged() {
        // exp(-x) has no minimum: the optimizer runs to the bound.
        let f = |x: &[f64]| (-x[0]).exp() + x[1] * x[1];
        let o = minimize(&f, &[0.0, 1.0], 20.0, 0.5);
        assert!(!o.converged);
    }

    #[test]
    fn newton_smooth_bowl() {
        // The bowl of `bfgs_smooth_bowl` with its exact Hessian, minimum at (ln 2, -1),
        // started near it as a warm start would be.
        let fgh = |x: &[f64]| {
            let e = x[0].exp();
            let y = x[1] + 1.0;
            let f = (e - 2.0).powi(2) + 3.0 * y * y + 0.5 * y.powi(4);
            let g = vec![2.0 * (e - 2.0) * e, 6.0 * y + 2.0 * y.powi(3)];
            let h = vec![
                vec![2.0 * e * e + 2.0 * (e - 2.0) * e, 0.0],
                vec![0.0, 6.0 + 6.0 * y * y],
            ];
            (f, g, h)
        };
        let o = newton(&fgh, &[0.5, -0.8], 20.0, 1e-10, 20);
        assert!(o.converged, "{}", o.message);
        assert!((o.x[0] - 2f64.ln()).abs() < 1e-9 && (o.x[1] + 1.0).abs() < 1e-9);
        assert!(o.evaluations < 10, "{}", o.evaluations);
        // A saddle (Hessian not positive definite) is given up at once, not converged.
        let saddle = |x: &[f64]| {
            (
                x[0] * x[0] - x[1] * x[1],
                vec![2.0 * x[0], -2.0 * x[1]],
                vec![vec![2.0, 0.0], vec![0.0, -2.0]],
            )
        };
        assert!(!newton(&saddle, &[0.5, 0.5], 20.0, 1e-10, 20).converged);
    }

    #[test]
    fn spd_inverse() {
        let a = vec![vec![4.0, 2.0], vec![2.0, 3.0]];
        let inv = inverse_spd(&a).unwrap();
        // [[4,2],[2,3]]^-1 = 1/8 [[3,-2],[-2,4]]
        assert!((inv[0][0] - 0.375).abs() < 1e-15 && (inv[0][1] + 0.25).abs() < 1e-15);
        assert!(inverse_spd(&[vec![1.0, 2.0], vec![2.0, 1.0]]).is_none());
    }
}
