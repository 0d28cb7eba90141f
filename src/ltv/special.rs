//! Special functions the BTYD models need: the Gauss hypergeometric function ₂F₁ and a
//! signed log-gamma (statrs has neither ₂F₁ nor a log-gamma for negative arguments).
//!
//! ```
//! use userops::ltv::special::hyp2f1;
//! // 2F1(1, 1; 2; z) = -ln(1 - z) / z
//! let z = 0.5_f64;
//! assert!((hyp2f1(1.0, 1.0, 2.0, z) - (-(1.0 - z).ln() / z)).abs() < 1e-14);
//! ```

use statrs::function::gamma::ln_gamma;

/// `ln |Γ(x)|` and the sign of `Γ(x)` for any real `x` that is not a pole (0, -1, -2, ...).
/// At a pole the log is `+inf` and the sign `0`.
///
/// ```
/// use userops::ltv::special::ln_gamma_signed;
/// // Γ(-0.5) = -2√π
/// let (l, s) = ln_gamma_signed(-0.5);
/// assert_eq!(s, -1.0);
/// assert!((l - (2.0 * std::f64::consts::PI.sqrt()).ln()).abs() < 1e-13);
/// ```
#[must_use]
pub fn ln_gamma_signed(x: f64) -> (f64, f64) {
    if x > 0.0 {
        return (ln_gamma(x), 1.0);
    }
    if x == x.floor() {
        return (f64::INFINITY, 0.0);
    }
    // Reflection: Γ(x) Γ(1 - x) = π / sin(πx).
    let s = (std::f64::consts::PI * x).sin();
    let l = std::f64::consts::PI.ln() - s.abs().ln() - ln_gamma(1.0 - x);
    (l, s.signum())
}

/// `ln Γ(a + x) - ln Γ(a)` (the log of the rising factorial `(a)_x`) for `a > 0`, `x >= 0`,
/// without the cancellation of the plain difference when `a` is large: at `a = 1e7` each
/// `ln Γ` is about 1.5e8, so the plain difference keeps only 8 digits of a value near
/// `x ln a`. Fits on customers who never drop out drive `r` there.
///
/// ```
/// use userops::ltv::special::ln_poch;
/// // (3)_2 = 3 · 4
/// assert!((ln_poch(3.0, 2.0) - 12f64.ln()).abs() < 1e-15);
/// // (1e7)_3 = 1e7 (1e7 + 1) (1e7 + 2)
/// let want = 1e7_f64.ln() + (1e7_f64 + 1.0).ln() + (1e7_f64 + 2.0).ln();
/// assert!((ln_poch(1e7, 3.0) - want).abs() < 1e-14 * want);
/// ```
#[must_use]
pub fn ln_poch(a: f64, x: f64) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    if a >= 1e3 {
        // Stirling's series for both: (a+x-½) ln(a+x) - (a-½) ln a - x, rewritten so that
        // nothing cancels, plus the difference of the 1/(12z) - 1/(360z³) + 1/(1260z⁵) tails.
        let c = |z: f64| {
            let z2 = z * z;
            (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / (1260.0 * z2)) / z2) / z
        };
        return (a - 0.5) * (x / a).ln_1p() + x * (a + x).ln() - x + (c(a + x) - c(a));
    }
    if x <= 32.0 && x == x.floor() {
        // A product of at most 32 factors below 1032: no overflow, one logarithm.
        let mut prod = 1.0;
        let mut j = 0.0;
        while j < x {
            prod *= a + j;
            j += 1.0;
        }
        return prod.ln();
    }
    ln_gamma(a + x) - ln_gamma(a)
}

/// Most terms a series may take before it is declared not convergent.
const MAX_TERMS: usize = 500_000;

/// The plain Gauss series `Σ (a)_n (b)_n / ((c)_n n!) zⁿ` for `|z| < 1`; `None` when it does
/// not converge within [`MAX_TERMS`] or overflows.
fn series(a: f64, b: f64, c: f64, z: f64) -> Option<f64> {
    let mut term = 1.0_f64;
    let mut sum = 1.0_f64;
    let mut n = 0.0_f64;
    for _ in 0..MAX_TERMS {
        let ratio = (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        term *= ratio;
        sum += term;
        n += 1.0;
        if term == 0.0 {
            return Some(sum);
        }
        if !sum.is_finite() {
            return None;
        }
        // Past the point where terms shrink, the tail is at most term * r / (1 - r) for the
        // limiting ratio r = |z|; stop when that is below half an ulp of the sum.
        let shrinking = ((a + n) * (b + n) / ((c + n) * (n + 1.0))).abs() <= 1.0
            || n > (a.abs() + b.abs() + c.abs());
        if shrinking {
            let tail = term.abs() * z.abs() / (1.0 - z.abs()).max(1e-300);
            if tail <= 1e-17 * sum.abs() {
                return Some(sum);
            }
        }
    }
    None
}

fn is_nonpositive_integer(x: f64) -> bool {
    x <= 0.0 && x == x.floor()
}

/// The Gauss hypergeometric function ₂F₁(a, b; c; z) for real arguments and `z < 1`.
///
/// Method: for `z < 0` Pfaff's transformation maps the argument into `[0, 1)`; for
/// `0 ≤ z ≤ 0.9` the Gauss series, after Euler's transformation
/// `₂F₁(a,b;c;z) = (1-z)^(c-a-b) ₂F₁(c-a, c-b; c; z)` when `c - a - b < 0` (so that the summed
/// series stays bounded as `z → 1`); for `0.9 < z < 1` the `1 - z` connection formula
/// (Abramowitz & Stegun 15.3.6), except where `c - a - b` is within `1e-6` of an integer or
/// its two terms cancel: there the Gauss series is summed, which converges, only more slowly.
///
/// Returns NaN when `c` is a pole (0, -1, -2, ...), when `z ≥ 1` or an argument is not finite,
/// or when the series does not converge; callers in this crate turn NaN into an error.
///
/// Checked against closed forms in the tests: `₂F₁(1,1;2;z) = -ln(1-z)/z`,
/// `₂F₁(a,b;b;z) = (1-z)^-a`, `₂F₁(½,½;3/2;z²) = arcsin(z)/z`, Gauss's theorem at `z → 1`.
///
/// ```
/// use userops::ltv::special::hyp2f1;
/// // 2F1(a, b; b; z) = (1 - z)^(-a)
/// assert!((hyp2f1(2.5, 0.7, 0.7, -3.0) - 4.0_f64.powf(-2.5)).abs() < 1e-14);
/// // arcsin(z) / z = 2F1(1/2, 1/2; 3/2; z^2)
/// let z = 0.99_f64;
/// assert!((hyp2f1(0.5, 0.5, 1.5, z * z) - z.asin() / z).abs() < 1e-12);
/// ```
#[must_use]
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    if !(a.is_finite() && b.is_finite() && c.is_finite() && z.is_finite()) || z >= 1.0 {
        return f64::NAN;
    }
    if is_nonpositive_integer(c) {
        return f64::NAN;
    }
    if z == 0.0 || a == 0.0 || b == 0.0 {
        return 1.0;
    }
    if z < 0.0 {
        // Pfaff: 2F1(a,b;c;z) = (1-z)^(-a) 2F1(a, c-b; c; z/(z-1)); pick the form whose
        // prefactor parameter gives the better conditioned series (either is exact).
        let w = z / (z - 1.0);
        let one_minus = (-z).ln_1p();
        let v = hyp2f1_unit(a, c - b, c, w);
        return (-a * one_minus).exp() * v;
    }
    hyp2f1_unit(a, b, c, z)
}

/// ₂F₁ for `0 ≤ z < 1`.
fn hyp2f1_unit(a: f64, b: f64, c: f64, z: f64) -> f64 {
    if z == 0.0 || a == 0.0 || b == 0.0 {
        return 1.0;
    }
    let s = c - a - b;
    if z > 0.9
        && (s - s.round()).abs() > 1e-6
        && !is_nonpositive_integer(c - a)
        && !is_nonpositive_integer(c - b)
        && !is_nonpositive_integer(a)
        && !is_nonpositive_integer(b)
    {
        if let Some(v) = connection(a, b, c, z) {
            return v;
        }
    }
    euler_series(a, b, c, z).unwrap_or(f64::NAN)
}

/// Gauss series, with Euler's transformation when `c - a - b < 0`.
fn euler_series(a: f64, b: f64, c: f64, z: f64) -> Option<f64> {
    let s = c - a - b;
    // Euler's form when c - a - b < 0, unless it trades a series of positive terms for one
    // whose terms alternate (a large negative parameter): that one cancels catastrophically.
    let positive_direct = a >= 0.0 && b >= 0.0 && c > 0.0;
    let positive_euler = c - a >= 0.0 && c - b >= 0.0 && c > 0.0;
    if s < 0.0 && (positive_euler || !positive_direct) {
        let v = series(c - a, c - b, c, z)?;
        Some((s * (-z).ln_1p()).exp() * v)
    } else {
        series(a, b, c, z)
    }
}

/// The `1 - z` connection formula (Abramowitz & Stegun 15.3.6), for `c - a - b` not an integer.
fn connection(a: f64, b: f64, c: f64, z: f64) -> Option<f64> {
    let s = c - a - b;
    let w = 1.0 - z;
    let (lc, sc) = ln_gamma_signed(c);
    let (ls, ss) = ln_gamma_signed(s);
    let (lca, sca) = ln_gamma_signed(c - a);
    let (lcb, scb) = ln_gamma_signed(c - b);
    let (lms, sms) = ln_gamma_signed(-s);
    let (la, sa) = ln_gamma_signed(a);
    let (lb, sb) = ln_gamma_signed(b);
    let f1 = series(a, b, 1.0 - s, w)?;
    let f2 = series(c - a, c - b, 1.0 + s, w)?;
    let t1 = sc * ss * sca * scb * (lc + ls - lca - lcb).exp() * f1;
    let t2 = sc * sms * sa * sb * (lc + lms - la - lb + s * w.ln()).exp() * f2;
    let v = t1 + t2;
    // Guard against cancellation between the two terms: fall back to the series.
    if v.is_finite() && v.abs() > 1e-8 * (t1.abs() + t2.abs()) {
        Some(v)
    } else {
        None
    }
}

/// `ln(e^a + e^b)` without overflow; `-inf` arguments are fine.
pub(crate) fn log_add_exp(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let m = a.max(b);
    m + (-(a - b).abs()).exp().ln_1p()
}

/// The trigamma function `ψ₁(z) = d² ln Γ(z) / dz²` for `z > 0`: the recurrence
/// `ψ₁(z) = ψ₁(z + 1) + 1/z²` up to `z >= 12`, then the asymptotic series
/// `1/z + 1/(2z²) + Σ B₂ₖ / z^(2k+1)` (its first omitted term is below 1e-16 there).
pub(crate) fn trigamma(z: f64) -> f64 {
    let mut z = z;
    let mut acc = 0.0;
    while z < 12.0 {
        acc += 1.0 / (z * z);
        z += 1.0;
    }
    let w = 1.0 / (z * z);
    // 1/6, -1/30, 1/42, -1/30, 5/66, -691/2730 over odd powers of z.
    let tail = w
        * (1.0 / 6.0
            + w * (-1.0 / 30.0
                + w * (1.0 / 42.0 + w * (-1.0 / 30.0 + w * (5.0 / 66.0 - w * 691.0 / 2730.0)))));
    acc + (1.0 + 0.5 / z + tail) / z
}

/// `ψ₁(u + x) - ψ₁(u)` for `u > 0`, `x >= 0`: for a whole `x <= 64` the exact
/// `-Σ_{k<x} 1/(u+k)²` (no cancellation), else the difference of [`trigamma`] values.
pub(crate) fn trigamma_diff(u: f64, x: f64) -> f64 {
    if x <= 64.0 && x == x.floor() {
        let mut s = 0.0;
        let mut k = 0.0;
        while k < x {
            s += 1.0 / ((u + k) * (u + k));
            k += 1.0;
        }
        return -s;
    }
    trigamma(u + x) - trigamma(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigamma_known_values() {
        use std::f64::consts::PI;
        // ψ₁(1) = π²/6, ψ₁(1/2) = π²/2, ψ₁(1/4) = π² + 8G (G: Catalan's constant),
        // ψ₁(n + 1) = π²/6 - Σ_{k=1..n} 1/k² (Abramowitz & Stegun 6.4.4, 6.4.5, 6.4.6).
        let catalan = 0.915_965_594_177_219;
        assert!(close(trigamma(1.0), PI * PI / 6.0, 1e-15));
        assert!(close(trigamma(0.5), PI * PI / 2.0, 1e-15));
        assert!(close(trigamma(0.25), PI * PI + 8.0 * catalan, 1e-15));
        let mut want = PI * PI / 6.0;
        for n in 1..40 {
            want -= 1.0 / f64::from(n * n);
            assert!(close(trigamma(f64::from(n) + 1.0), want, 1e-13), "{n}");
        }
        // Large z: ψ₁(z) ≈ 1/z + 1/(2z²) + 1/(6z³); tiny z: ψ₁(z) ≈ 1/z² + π²/6.
        assert!(close(trigamma(1e6), 1e-6 + 0.5e-12 + 1e-18 / 6.0, 1e-15));
        assert!(close(trigamma(1e-8), 1e16 + PI * PI / 6.0, 1e-15));
        // The difference against the plain one, and a non-integer step.
        for &u in &[0.01, 0.7, 3.0, 250.0] {
            for &x in &[1.0, 5.0, 64.0, 65.0, 300.0, 2.5] {
                let want = trigamma(u + x) - trigamma(u);
                assert!(close(trigamma_diff(u, x), want, 1e-11), "{u} {x}");
            }
        }
        assert_eq!(trigamma_diff(2.0, 0.0), 0.0);
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn log_series_closed_form() {
        // 2F1(1,1;2;z) = -ln(1-z)/z, over the whole range including z -> 1 and z < 0.
        for &z in &[
            -50.0_f64, -3.0, -0.5, 1e-8, 0.1, 0.5, 0.89, 0.91, 0.99, 0.9999,
        ] {
            let want = -(-z).ln_1p() / z;
            let got = hyp2f1(1.0, 1.0, 2.0, z);
            assert!(close(got, want, 1e-12), "z={z}: {got} vs {want}");
        }
    }

    #[test]
    fn binomial_closed_form() {
        // 2F1(a,b;b;z) = (1-z)^-a
        for &(a, b) in &[(0.3, 2.0), (7.5, 0.25), (300.2, 1.7), (-2.5, 3.3)] {
            for &z in &[-2.0_f64, 0.2, 0.7, 0.95, 0.999] {
                let want = (1.0 - z).powf(-a);
                if !want.is_finite() {
                    continue; // beyond f64
                }
                let got = hyp2f1(a, b, b, z);
                // Values far below the O(1) terms that sum to them lose digits: 1e-8 relative.
                assert!(close(got, want, 1e-8), "a={a} b={b} z={z}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn arcsin_closed_form() {
        for &x in &[0.1_f64, 0.6, 0.9, 0.97, 0.999] {
            let got = hyp2f1(0.5, 0.5, 1.5, x * x);
            assert!(close(got, x.asin() / x, 1e-11), "x={x}");
        }
    }

    #[test]
    fn gauss_theorem_near_one() {
        // 2F1(a,b;c;1) = Γ(c)Γ(c-a-b)/(Γ(c-a)Γ(c-b)) when c - a - b > 0; at z = 1 - 1e-12
        // the function differs from its limit by O((1-z)^(c-a-b)).
        let (a, b, c) = (0.3, 0.4, 2.2);
        let want = (ln_gamma(c) + ln_gamma(c - a - b) - ln_gamma(c - a) - ln_gamma(c - b)).exp();
        let got = hyp2f1(a, b, c, 1.0 - 1e-12);
        assert!(close(got, want, 1e-9), "{got} vs {want}");
    }

    #[test]
    fn terminating_polynomial() {
        // 2F1(-2, b; c; z) = 1 - 2bz/c + b(b+1)z^2/(c(c+1))
        let (b, c, z) = (1.5, 2.5, 0.95);
        let want = 1.0 - 2.0 * b * z / c + b * (b + 1.0) * z * z / (c * (c + 1.0));
        assert!(close(hyp2f1(-2.0, b, c, z), want, 1e-14));
    }

    #[test]
    fn large_first_parameters_stay_finite() {
        // (1-z)^(a) 2F1(a, b; c; z) with a = r + x large: the Euler form keeps it finite.
        let v = hyp2f1(300.24, 302.4, 302.2, 0.5);
        assert!(v.is_finite() && v > 0.0);
        // Compare with the transformed form computed by hand: c-a-b = -300.44
        let w = hyp2f1(302.2 - 300.24, 302.2 - 302.4, 302.2, 0.5) * 0.5_f64.powf(-300.44);
        assert!(close(v, w, 1e-12));
    }

    #[test]
    fn poles_and_bad_input_are_nan() {
        assert!(hyp2f1(1.0, 1.0, 0.0, 0.5).is_nan());
        assert!(hyp2f1(1.0, 1.0, -2.0, 0.5).is_nan());
        assert!(hyp2f1(1.0, 1.0, 2.0, 1.0).is_nan());
        assert!(hyp2f1(f64::NAN, 1.0, 2.0, 0.5).is_nan());
    }

    #[test]
    fn ln_poch_matches_its_definitions() {
        // Small a: against lnΓ(a+x) - lnΓ(a) (no cancellation to speak of there).
        for &a in &[0.05, 0.5, 1.0, 3.7, 250.0, 999.0] {
            for &x in &[1.0, 2.0, 7.0, 31.0, 33.0, 400.0, 2.5] {
                let want = ln_gamma(a + x) - ln_gamma(a);
                assert!(
                    (ln_poch(a, x) - want).abs() < 1e-12 * want.abs().max(1.0),
                    "{a} {x}"
                );
            }
        }
        // Large a: against the sum of logs of the factors (a + j).
        for &a in &[1e3, 4.2e4, 1e7, 6.3e7, 1e15] {
            for &x in &[1.0, 5.0, 15.0, 240.0] {
                let want: f64 = (0..x as u32).map(|j| (a + f64::from(j)).ln()).sum();
                assert!((ln_poch(a, x) - want).abs() < 1e-13 * want, "{a} {x}");
            }
        }
    }

    #[test]
    fn log_add_exp_is_stable() {
        assert!(close(
            log_add_exp(1000.0, 1000.0),
            1000.0 + 2f64.ln(),
            1e-15
        ));
        assert_eq!(log_add_exp(f64::NEG_INFINITY, -3.0), -3.0);
    }
}
