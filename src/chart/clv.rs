//! Customer-lifetime-value charts: the P(alive) and expected-purchases matrices by frequency ×
//! recency (as lifetimes' `plot_probability_alive_matrix` / `plot_frequency_recency_matrix`),
//! actual vs model repeat-purchase counts (lifetimes' `plot_period_transactions`, with the
//! model's exact `P(X(T) = n)` where lifetimes simulates), and calibration vs holdout
//! purchases (lifetimes' `plot_calibration_purchases_vs_holdout_purchases`).

use std::collections::BTreeMap;

use super::svg::{self, Frame, Linear, SERIES, Svg, num, ramp};
use crate::ltv::{BtydReport, Customer, TransactionModel};
use crate::{Error, Result};

/// Most rows or columns a matrix draws: larger grids are sampled at even steps.
///
/// ```
/// assert_eq!(userops::chart::MAX_MATRIX_CELLS, 40);
/// ```
pub const MAX_MATRIX_CELLS: u32 = 40;
/// Repeat-purchase counts drawn one by one; higher counts are pooled into one `N+` bucket.
const MAX_COUNT: u32 = 7;

/// What a [`clv_matrix`] cell shows.
///
/// ```
/// let kind = userops::chart::MatrixKind::ExpectedPurchases { horizon: 4.0 };
/// assert_ne!(kind, userops::chart::MatrixKind::PAlive);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MatrixKind {
    /// The probability the customer is alive at `T`.
    PAlive,
    /// Expected purchases in the next `horizon` time units.
    ExpectedPurchases {
        /// The horizon, in the model's time unit.
        horizon: f64,
    },
}

/// A matrix by frequency (repeat purchases, up) × recency (across) for customers of age `age`
/// (`T`, in the model's time unit): each cell the model's P(alive) or expected purchases.
/// Frequencies run `0..=max_frequency` and recencies `0..=age` in whole units, sampled at even
/// steps beyond [`MAX_MATRIX_CELLS`]. A customer without repeat purchases has recency 0, so
/// the frequency-0 row has one cell. Cells are `<rect class="cell" data-frequency=".."
/// data-recency=".." data-value="..">`.
///
/// # Errors
/// [`Error::InvalidParameter`] for an `age` that is not finite and positive or a horizon that
/// is not finite and non-negative; the model's own errors.
///
/// ```
/// use userops::chart::{clv_matrix, MatrixKind};
/// use userops::ltv::{BgNbdParams, TimeUnit};
/// let m = BgNbdParams::new(0.2426, 4.4137, 0.7930, 2.4262, TimeUnit::Week)?;
/// let svg = clv_matrix(&m, MatrixKind::PAlive, 10, 38.0)?;
/// assert!(svg.contains("data-frequency=\"0\" data-recency=\"0\""));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn clv_matrix<M: TransactionModel + ?Sized>(
    model: &M,
    kind: MatrixKind,
    max_frequency: u32,
    age: f64,
) -> Result<String> {
    if !(age.is_finite() && age > 0.0) {
        return Err(Error::invalid(
            "age",
            format!("must be a finite number of time units > 0, got {age}"),
        ));
    }
    if let MatrixKind::ExpectedPurchases { horizon } = kind
        && !(horizon.is_finite() && horizon >= 0.0)
    {
        return Err(Error::invalid(
            "horizon",
            format!("must be finite and >= 0, got {horizon}"),
        ));
    }
    let unit = format!("{:?}", model.unit()).to_lowercase();
    let frequencies = steps(f64::from(max_frequency));
    let recencies = steps(age.floor());
    let (id, title, what) = match kind {
        MatrixKind::PAlive => (
            "clv-p-alive",
            "Probability a customer is alive, by frequency and recency".to_string(),
            "P(alive)".to_string(),
        ),
        MatrixKind::ExpectedPurchases { horizon } => (
            "clv-expected",
            format!(
                "Expected purchases in the next {}, by frequency and recency",
                span(horizon, &unit)
            ),
            "expected purchases".to_string(),
        ),
    };
    let mut values: Vec<(f64, f64, f64)> = Vec::new();
    for &f in &frequencies {
        for &r in &recencies {
            if f == 0.0 && r > 0.0 {
                continue;
            }
            let c = Customer::new(f as u32, r.min(age), age)?;
            let v = match kind {
                MatrixKind::PAlive => model.p_alive(&c)?,
                MatrixKind::ExpectedPurchases { horizon } => {
                    model.expected_purchases(&c, horizon)?
                }
            };
            values.push((f, r, svg::finite("matrix cell", v)?));
        }
    }
    let hi = match kind {
        MatrixKind::PAlive => 1.0,
        MatrixKind::ExpectedPurchases { .. } => values.iter().map(|v| v.2).fold(0.0, f64::max),
    };
    let frame = Frame {
        width: 700.0,
        height: 520.0,
        right: 160.0,
        ..Frame::standard()
    };
    let mut s = Svg::new(
        id,
        frame,
        &title,
        &format!(
            "Matrix of the {} model for customers of age {} {unit}s: repeat purchases 0 to {max_frequency} up, recency 0 to {} {unit}s across; each cell's shade is the {what}; darker is higher.",
            model.model_name(),
            num(age),
            num(age.floor())
        ),
    );
    let cw = (frame.x1() - frame.x0()) / recencies.len().max(1) as f64;
    let ch = (frame.y1() - frame.y0()) / frequencies.len().max(1) as f64;
    s.raw("<g class=\"marks\">");
    for (f, r, v) in &values {
        let i = frequencies.iter().position(|x| x == f).unwrap_or(0);
        let j = recencies.iter().position(|x| x == r).unwrap_or(0);
        let t = if hi > 0.0 { v / hi } else { 0.0 };
        s.rect(
            frame.x0() + cw * j as f64,
            frame.y1() - ch * (i + 1) as f64,
            cw,
            ch,
            &ramp(t),
            &format!(
                " class=\"cell\" data-frequency=\"{}\" data-recency=\"{}\" data-value=\"{:.6}\"",
                num(*f),
                num(*r),
                v
            ),
        );
    }
    s.raw("</g><g class=\"axis\">");
    let every = (recencies.len() / 10).max(1);
    for (j, r) in recencies.iter().enumerate() {
        if j % every == 0 {
            s.text(
                frame.x0() + cw * (j as f64 + 0.5),
                frame.y1() + 18.0,
                "middle",
                " class=\"band-label\"",
                &num(*r),
            );
        }
    }
    let every = (frequencies.len() / 10).max(1);
    for (i, f) in frequencies.iter().enumerate() {
        if i % every == 0 {
            s.text(
                frame.x0() - 8.0,
                frame.y1() - ch * (i as f64 + 0.5) + 4.0,
                "end",
                " class=\"band-label\"",
                &num(*f),
            );
        }
    }
    s.raw("</g>");
    s.x_label(&format!(
        "recency: time of the last purchase ({unit}s since the first)"
    ));
    let c = num(f64::midpoint(frame.y0(), frame.y1()));
    s.raw(&format!(
        "<text class=\"axis-label\" x=\"24\" y=\"{c}\" text-anchor=\"middle\" transform=\"rotate(-90 24 {c})\">frequency (repeat purchases)</text>"
    ));
    let (lo_label, hi_label) = (format!("0: {}", "low"), format!("{}: high", num(hi)));
    let dark = ramp(1.0);
    s.legend(
        &what,
        &[
            (lo_label.as_str(), "#f7fbff", "box"),
            (hi_label.as_str(), dark.as_str(), "box"),
        ],
    );
    Ok(s.finish())
}

/// `1 week`, `4 weeks`.
fn span(n: f64, unit: &str) -> String {
    if n == 1.0 {
        unit.to_string()
    } else {
        format!("{} {unit}s", num(n))
    }
}

/// `0..=max` in whole steps, at most [`MAX_MATRIX_CELLS`] values (even steps, `max` last).
fn steps(max: f64) -> Vec<f64> {
    let max = max.max(0.0);
    let n = f64::from(MAX_MATRIX_CELLS - 1);
    let step = (max / n).ceil().max(1.0);
    let mut out: Vec<f64> = (0..MAX_MATRIX_CELLS)
        .map(|i| f64::from(i) * step)
        .take_while(|v| *v < max)
        .collect();
    out.push(max);
    out
}

/// Customers by number of repeat purchases in calibration, `0, 1, …, 6, 7+`: the actual
/// counts next to the model's expected counts `Σ_customers P(X(T_i) = n)` (customers with the
/// same `T` computed once). Bars are `<rect class="bar" data-purchases="n"
/// data-series="actual|model" data-value="..">`.
///
/// # Errors
/// [`Error::Empty`] without customers; the model's own errors.
///
/// ```
/// use userops::chart::repeat_purchases;
/// use userops::ltv::{BgNbdParams, BtydReport, CustomerSummary, TimeUnit};
/// let c = |user, frequency, recency| CustomerSummary { user, frequency, recency, age: 30.0,
///     monetary: 0.0, frequency_holdout: 0, monetary_holdout: 0.0, duration_holdout: 0.0 };
/// let report = BtydReport { unit: TimeUnit::Week,
///     calibration_end: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), holdout_end: None,
///     customers: vec![c(1, 0, 0.0), c(2, 2, 20.0)],
///     first_purchase_after_calibration: 0, ignored_after_calibration: 0 };
/// let m = BgNbdParams::new(0.2426, 4.4137, 0.7930, 2.4262, TimeUnit::Week)?;
/// let svg = repeat_purchases(&report, &m)?;
/// assert!(svg.contains("data-purchases=\"2\" data-series=\"actual\" data-value=\"1\""));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn repeat_purchases<U, M: TransactionModel + ?Sized>(
    report: &BtydReport<U>,
    model: &M,
) -> Result<String> {
    let customers = report.customers_in(model.unit());
    if customers.is_empty() {
        return Err(Error::Empty("no customers to compare the model with"));
    }
    let buckets = MAX_COUNT as usize + 1;
    let mut actual = vec![0.0; buckets];
    let mut by_age: BTreeMap<u64, f64> = BTreeMap::new();
    for c in &customers {
        actual[(c.frequency.min(MAX_COUNT)) as usize] += 1.0;
        *by_age
            .entry(svg::finite("T", c.age)?.to_bits())
            .or_insert(0.0) += 1.0;
    }
    let mut expected = vec![0.0; buckets];
    for (bits, count) in &by_age {
        let t = f64::from_bits(*bits);
        let mut below = 0.0;
        for n in 0..MAX_COUNT {
            let p = model.purchases_pmf(n, t)?;
            expected[n as usize] += count * p;
            below += p;
        }
        expected[MAX_COUNT as usize] += count * (1.0 - below).max(0.0);
    }
    let labels: Vec<String> = (0..buckets)
        .map(|i| {
            if i == MAX_COUNT as usize {
                format!("{MAX_COUNT}+")
            } else {
                i.to_string()
            }
        })
        .collect();
    let series = [
        ("actual", &actual, SERIES[0]),
        ("model", &expected, SERIES[3]),
    ];
    Ok(grouped_bars(
        "clv-repeat",
        "Customers by repeat purchases: actual vs model",
        &format!(
            "Grouped bars for {} customers: how many made 0, 1, … {MAX_COUNT}+ repeat purchases in calibration, next to the {} model's expected number.",
            customers.len(),
            model.model_name()
        ),
        &labels,
        &series,
        "repeat purchases in calibration (count)",
        "customers (count)",
    ))
}

/// Bars for each label, one per series, on one count scale from 0.
fn grouped_bars(
    id: &str,
    title: &str,
    desc: &str,
    labels: &[String],
    series: &[(&str, &Vec<f64>, &str)],
    x_label: &str,
    y_label: &str,
) -> String {
    let frame = Frame::standard();
    let mut s = Svg::new(id, frame, title, desc);
    let hi = series
        .iter()
        .flat_map(|(_, v, _)| v.iter())
        .copied()
        .fold(0.0, f64::max);
    let tick_values = svg::ticks(0.0, hi.max(1.0), 5);
    let y = Linear::new(
        0.0,
        tick_values.last().copied().unwrap_or(1.0),
        frame.y1(),
        frame.y0(),
    );
    s.y_axis(&y, &tick_values, y_label, svg::short);
    let band = (frame.x1() - frame.x0()) / labels.len().max(1) as f64;
    let width = band * 0.8 / series.len().max(1) as f64;
    let mut centres = Vec::new();
    s.raw("<g class=\"marks\">");
    for (i, label) in labels.iter().enumerate() {
        let x0 = frame.x0() + band * i as f64 + band * 0.1;
        for (j, (name, values, fill)) in series.iter().enumerate() {
            let v = values[i];
            s.rect(
                x0 + width * j as f64,
                y.at(v),
                width,
                y.at(0.0) - y.at(v),
                fill,
                &format!(
                    " class=\"bar\" data-purchases=\"{}\" data-series=\"{name}\" data-value=\"{}\" stroke=\"#333333\" stroke-width=\"0.5\"",
                    svg::esc(label),
                    num(v)
                ),
            );
        }
        centres.push((x0 + band * 0.4, label.clone()));
    }
    s.raw("</g>");
    s.band_labels(&centres);
    s.x_label(x_label);
    let items: Vec<(&str, &str, &str)> = series.iter().map(|(n, _, f)| (*n, *f, "box")).collect();
    s.legend("series", &items);
    s.finish()
}

/// Mean purchases in the holdout period by number of repeat purchases in calibration
/// (`0, 1, …, 6, 7+`): what the customers did next to what the model predicted for each of
/// them (`expected_purchases(customer, duration_holdout)`), as two lines. Points are
/// `<circle class="point" data-series="actual|model" data-frequency=".." data-customers=".."
/// data-value="..">`.
///
/// # Errors
/// [`Error::InvalidInput`] if the report has no holdout period; [`Error::Empty`] without
/// customers; the model's own errors.
///
/// ```
/// use userops::chart::calibration_holdout;
/// use userops::ltv::{BgNbdParams, BtydReport, CustomerSummary, TimeUnit};
/// let c = |user, frequency, recency, frequency_holdout| CustomerSummary { user, frequency, recency,
///     age: 30.0, monetary: 0.0, frequency_holdout, monetary_holdout: 0.0, duration_holdout: 10.0 };
/// let report = BtydReport { unit: TimeUnit::Week,
///     calibration_end: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
///     holdout_end: chrono::NaiveDate::from_ymd_opt(2025, 3, 12),
///     customers: vec![c(1, 0, 0.0, 0), c(2, 2, 20.0, 3), c(3, 2, 25.0, 1)],
///     first_purchase_after_calibration: 0, ignored_after_calibration: 0 };
/// let m = BgNbdParams::new(0.2426, 4.4137, 0.7930, 2.4262, TimeUnit::Week)?;
/// let svg = calibration_holdout(&report, &m)?;
/// assert!(svg.contains("data-series=\"actual\" data-frequency=\"2\" data-customers=\"2\" data-value=\"2\""));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn calibration_holdout<U, M: TransactionModel + ?Sized>(
    report: &BtydReport<U>,
    model: &M,
) -> Result<String> {
    if report.holdout_end.is_none() {
        return Err(Error::InvalidInput(
            "the BTYD report has no holdout period: fold it with BtydSummary::holdout(end) to compare calibration with holdout".into(),
        ));
    }
    if report.customers.is_empty() {
        return Err(Error::Empty("no customers to compare the model with"));
    }
    let rows = report.customers_in(model.unit());
    let buckets = MAX_COUNT as usize + 1;
    let mut n = vec![0u64; buckets];
    let mut actual = vec![0.0; buckets];
    let mut predicted = vec![0.0; buckets];
    // Customers with the same (frequency, recency, T, holdout) share one prediction.
    let mut same: BTreeMap<(u32, u64, u64, u64), (u64, f64)> = BTreeMap::new();
    for (c, summary) in rows.iter().zip(&report.customers) {
        let k = c.frequency.min(MAX_COUNT) as usize;
        n[k] += 1;
        actual[k] += f64::from(summary.frequency_holdout);
        let horizon = report.unit.convert(summary.duration_holdout, model.unit());
        let key = (
            c.frequency,
            c.recency.to_bits(),
            c.age.to_bits(),
            horizon.to_bits(),
        );
        let entry = same.entry(key).or_insert((0, f64::NAN));
        entry.0 += 1;
        if entry.1.is_nan() {
            entry.1 = model.expected_purchases(c, horizon)?;
        }
    }
    for ((frequency, ..), (count, p)) in &same {
        predicted[(*frequency).min(MAX_COUNT) as usize] +=
            *count as f64 * svg::finite("prediction", *p)?;
    }
    let mean = |v: &[f64]| -> Vec<Option<f64>> {
        v.iter()
            .zip(&n)
            .map(|(s, c)| (*c > 0).then(|| s / *c as f64))
            .collect()
    };
    let (actual, predicted) = (mean(&actual), mean(&predicted));
    let frame = Frame::standard();
    let mut s = Svg::new(
        "clv-holdout",
        frame,
        "Calibration vs holdout purchases",
        &format!(
            "Two lines over the number of repeat purchases in calibration (0 to {MAX_COUNT}+): the mean number of purchases customers made in the holdout period, and the mean the {} model predicted.",
            model.model_name()
        ),
    );
    let hi = actual
        .iter()
        .chain(&predicted)
        .flatten()
        .copied()
        .fold(0.0, f64::max);
    let tick_values = svg::ticks(0.0, hi.max(0.1), 5);
    let y = Linear::new(
        0.0,
        tick_values.last().copied().unwrap_or(1.0),
        frame.y1(),
        frame.y0(),
    );
    s.y_axis(
        &y,
        &tick_values,
        "mean purchases in holdout (count per customer)",
        num,
    );
    let x = Linear::new(-0.5, f64::from(MAX_COUNT) + 0.5, frame.x0(), frame.x1());
    let centres: Vec<(f64, String)> = (0..buckets)
        .map(|i| {
            (
                x.at(i as f64),
                if i == MAX_COUNT as usize {
                    format!("{MAX_COUNT}+")
                } else {
                    i.to_string()
                },
            )
        })
        .collect();
    s.band_labels(&centres);
    s.x_label("repeat purchases in calibration (count)");
    for (name, values, colour, dash) in [
        ("actual", &actual, SERIES[0], ""),
        ("model", &predicted, "#d62728", " stroke-dasharray=\"6 3\""),
    ] {
        let pts: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (x.at(i as f64), y.at(v))))
            .collect();
        s.raw(&format!("<g class=\"series\" data-series=\"{name}\">"));
        s.polyline(&pts, colour, dash);
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                s.raw(&format!(
                    "<circle class=\"point\" cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{colour}\" data-series=\"{name}\" data-frequency=\"{}\" data-customers=\"{}\" data-value=\"{}\"/>",
                    num(x.at(i as f64)),
                    num(y.at(*v)),
                    centres[i].1,
                    n[i],
                    num(*v)
                ));
            }
        }
        s.raw("</g>");
    }
    s.legend(
        "series",
        &[
            ("actual (solid)", SERIES[0], "line"),
            ("model (dashed)", "#d62728", "line"),
        ],
    );
    Ok(s.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::lifecycle::tests::{attr, tag};
    use crate::ltv::{BgNbdParams, CustomerSummary, TimeUnit};

    /// Fader, Hardie & Lee (2005), CDNOW estimates (weeks): r 0.243, α 4.414, a 0.793, b 2.426.
    fn cdnow() -> BgNbdParams {
        BgNbdParams::new(0.2426, 4.4137, 0.7930, 2.4262, TimeUnit::Week).unwrap()
    }

    #[test]
    fn p_alive_matrix_has_one_cell_per_valid_customer() {
        let m = cdnow();
        let svg = clv_matrix(&m, MatrixKind::PAlive, 3, 5.0).unwrap();
        // Frequencies 0..=3, recencies 0..=5: frequency 0 has recency 0 only: 1 + 3 × 6 cells.
        assert_eq!(svg.matches("class=\"cell\"").count(), 19);
        // BG/NBD: a customer without repeat purchases is alive for sure (P = 1).
        assert_eq!(
            attr(
                tag(&svg, &["data-frequency=\"0\" data-recency=\"0\""]),
                "data-value"
            ),
            1.0
        );
        // P(alive) rises with recency at fixed frequency (a recent buyer is more likely alive).
        let p = |r: u8| {
            attr(
                tag(
                    &svg,
                    &[&format!("data-frequency=\"3\" data-recency=\"{r}\"")],
                ),
                "data-value",
            )
        };
        assert!(p(5) > p(1));
        // Recency = T: the closed form 1 / (1 + a/(b+x−1) ((α+T)/(α+T))^(r+x)) = (b+x−1)/(b+x−1+a)
        // = 4.4262 / 5.2192 at x = 3.
        assert!((p(5) - 4.4262 / 5.2192).abs() < 1e-6);
    }

    #[test]
    fn steps_sample_large_ranges() {
        assert_eq!(steps(3.0), vec![0.0, 1.0, 2.0, 3.0]);
        let s = steps(100.0);
        assert!(s.len() <= MAX_MATRIX_CELLS as usize);
        assert_eq!((s[1], *s.last().unwrap()), (3.0, 100.0));
    }

    fn summary(user: u32, frequency: u32, recency: f64, holdout: u32) -> CustomerSummary<u32> {
        CustomerSummary {
            user,
            frequency,
            recency,
            age: 10.0,
            monetary: 0.0,
            frequency_holdout: holdout,
            monetary_holdout: 0.0,
            duration_holdout: 5.0,
        }
    }

    #[test]
    fn repeat_purchases_counts_and_model_sum_to_the_customers() {
        let report = BtydReport {
            unit: TimeUnit::Week,
            calibration_end: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            holdout_end: Some(chrono::NaiveDate::from_ymd_opt(2025, 2, 5).unwrap()),
            customers: vec![
                summary(1, 0, 0.0, 1),
                summary(2, 1, 4.0, 0),
                summary(3, 1, 8.0, 2),
                summary(4, 9, 9.0, 3),
            ],
            first_purchase_after_calibration: 0,
            ignored_after_calibration: 0,
        };
        let m = cdnow();
        let svg = repeat_purchases(&report, &m).unwrap();
        let bar = |n: &str, s: &str| {
            attr(
                tag(
                    &svg,
                    &[&format!("data-purchases=\"{n}\" data-series=\"{s}\"")],
                ),
                "data-value",
            )
        };
        assert_eq!(bar("0", "actual"), 1.0);
        assert_eq!(bar("1", "actual"), 2.0);
        assert_eq!(bar("7+", "actual"), 1.0);
        // The model's bars are probabilities summed over 4 customers: they add up to 4 (up
        // to the two-decimal rounding of each of 8 bars).
        let total: f64 = ["0", "1", "2", "3", "4", "5", "6", "7+"]
            .iter()
            .map(|n| bar(n, "model"))
            .sum();
        assert!((total - 4.0).abs() < 0.05, "{total}");
        // Each customer's P(X(10) = 0) by the model, times 4.
        assert!((bar("0", "model") - 4.0 * m.purchases_pmf(0, 10.0).unwrap()).abs() < 0.006);

        let svg = calibration_holdout(&report, &m).unwrap();
        let point = |f: &str, s: &str| {
            tag(
                &svg,
                &[
                    "class=\"point\"",
                    &format!("data-series=\"{s}\" data-frequency=\"{f}\""),
                ],
            )
        };
        // Frequency 1: customers 2 and 3 made 0 and 2 holdout purchases: mean 1.
        assert_eq!(attr(point("1", "actual"), "data-value"), 1.0);
        assert_eq!(attr(point("1", "actual"), "data-customers"), 2.0);
        let expected = f64::midpoint(
            m.expected_purchases(&Customer::new(1, 4.0, 10.0).unwrap(), 5.0)
                .unwrap(),
            m.expected_purchases(&Customer::new(1, 8.0, 10.0).unwrap(), 5.0)
                .unwrap(),
        );
        assert!((attr(point("1", "model"), "data-value") - expected).abs() < 0.006);
        assert!(!svg.contains("data-frequency=\"2\""));
    }

    #[test]
    fn calibration_holdout_needs_a_holdout() {
        let report = BtydReport::<u32> {
            unit: TimeUnit::Week,
            calibration_end: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            holdout_end: None,
            customers: vec![summary(1, 0, 0.0, 0)],
            first_purchase_after_calibration: 0,
            ignored_after_calibration: 0,
        };
        assert!(calibration_holdout(&report, &cdnow()).is_err());
    }
}
