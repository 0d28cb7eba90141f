//! `userops clv`: fit BTYD models (BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma) and forecast
//! customer value.

use std::collections::HashMap;

use clap::{Args, Subcommand};
use userops::error::{quote_if_needed, shorten};
use userops::fold::{Summary, fold};
use userops::ltv::{
    BgNbdParams, BtydSummary, ClvOptions, Customer, FitOptions, FitReport, GammaGammaParams,
    MAX_CLV_MONTHS, MbgNbdParams, ModelParams, ParetoNbdParams, TimeUnit, TransactionModel, clv,
};

use crate::Res;
use crate::input::{Columns, InputArgs};
use crate::output::{Format, OutputArgs};

/// Flags of `userops clv`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "SUMMARY FILES are CSV with a header. Default columns: id = ID|id|customer_id \
(else the first column), frequency = frequency|x, recency = recency|t_x, T = T, monetary = \
monetary_value|monetary|zbar.\n\n\
TRANSACTION LOGS (--input): purchases are counted per distinct day; recency and T are in --unit.\n\
--unit (default week) is the time unit of the summary's recency and T, of --params and of \
--horizon: a fitted model carries it, and a month is 4.345 weeks or 30.415 days."
)]
pub struct ClvArgs {
    /// fit or predict.
    #[command(subcommand)]
    pub action: ClvAction,
}

/// `clv fit` or `clv predict`.
#[derive(Debug, Clone, Subcommand)]
pub enum ClvAction {
    /// Fit a model's parameters by maximum likelihood; prints them with standard errors.
    Fit(FitArgs),
    /// P(alive), expected purchases and (with --spend-params) CLV per customer.
    Predict(PredictArgs),
}

/// What `fit` and `predict` share: the model and where the customers come from.
#[derive(Debug, Clone, Args)]
pub struct ClvCommon {
    /// bgnbd, mbgnbd, pareto-nbd or gamma-gamma.
    #[arg(long, value_parser = ["bgnbd", "mbgnbd", "pareto-nbd", "gamma-gamma"])]
    pub model: String,
    /// A per-customer summary file (frequency, recency, T[, monetary]).
    #[arg(long, value_name = "FILE", conflicts_with = "input")]
    pub summary: Option<String>,
    /// Summary file: the frequency column.
    #[arg(long, value_name = "COL")]
    pub frequency: Option<String>,
    /// Summary file: the recency column.
    #[arg(long, value_name = "COL")]
    pub recency: Option<String>,
    /// Summary file: the T (age) column.
    #[arg(long, value_name = "COL")]
    pub t: Option<String>,
    /// Summary file: the mean spend column.
    #[arg(long, value_name = "COL")]
    pub monetary: Option<String>,
    /// Summary file: the customer id column.
    #[arg(long, value_name = "COL")]
    pub id: Option<String>,
    /// Time unit of recency, T, the parameters and the horizon: day or week.
    #[arg(long, default_value = "week")]
    pub unit: String,
    /// Which file and how to read it.
    #[command(flatten)]
    pub input: InputArgs,
    /// Transaction log: the customer id column (name, or #N from 0).
    #[arg(long, value_name = "COL")]
    pub user: Option<String>,
    /// Transaction log: the purchase time column.
    #[arg(long, value_name = "COL")]
    pub time: Option<String>,
    /// Transaction log: the purchase amount column.
    #[arg(long, value_name = "COL")]
    pub amount: Option<String>,
    /// Transaction log: the last day of the calibration period (later purchases are counted
    /// and left out).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub calibration_end: Option<String>,
}

impl ClvCommon {
    fn column(&self, flag: &str) -> Option<&str> {
        match flag {
            "frequency" => self.frequency.as_deref(),
            "recency" => self.recency.as_deref(),
            "t" => self.t.as_deref(),
            "monetary" => self.monetary.as_deref(),
            "id" => self.id.as_deref(),
            _ => None,
        }
    }
}

/// Flags of `userops clv fit`.
#[derive(Debug, Clone, Args)]
pub struct FitArgs {
    /// The model and where the customers come from.
    #[command(flatten)]
    pub common: ClvCommon,
    /// How and where the result is written.
    #[command(flatten)]
    pub output: OutputArgs,
    /// L2 penalty on the log-parameters (lifetimes' penalizer_coef).
    #[arg(
        long,
        value_name = "X",
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    pub penalizer: f64,
}

/// Flags of `userops clv predict`.
#[derive(Debug, Clone, Args)]
pub struct PredictArgs {
    /// The model and where the customers come from.
    #[command(flatten)]
    pub common: ClvCommon,
    /// The model's parameters: k=v,k=v (r, alpha, a, b; or r, alpha, s, beta).
    #[arg(long, value_name = "K=V,..")]
    pub params: String,
    /// Horizon in --unit; expected purchases are for (T, T + horizon].
    #[arg(long, value_name = "T", allow_negative_numbers = true)]
    pub horizon: f64,
    /// Gamma-Gamma parameters p=..,q=..,gamma=.. (adds expected_spend and clv).
    #[arg(long, value_name = "P=..,Q=..,GAMMA=..")]
    pub spend_params: Option<String>,
    /// Monthly discount rate of the CLV.
    #[arg(
        long,
        value_name = "RATE",
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    pub discount: f64,
    /// CLV months (default: horizon / units per month, at least 1).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub months: Option<f64>,
    /// csv (default) or json.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Write to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<String>,
}

/// Runs `userops clv`.
pub fn run(args: &ClvArgs) -> Res<()> {
    match &args.action {
        ClvAction::Fit(a) => fit(a),
        ClvAction::Predict(a) => predict(a),
    }
}

/// Reads the customers: from a summary file or straight from a transaction log.
fn customers(args: &ClvCommon) -> Res<(Vec<String>, Vec<Customer>)> {
    match (args.summary.as_deref(), args.input.input.as_deref()) {
        (Some(path), None) => read_summary(path, args),
        (None, Some(_)) => from_log(args),
        (Some(_), Some(_)) => Err("give either --summary or --input, not both".into()),
        (None, None) => {
            Err("--summary FILE (or --input FILE with a transaction log) is required".into())
        }
    }
}

fn from_log(args: &ClvCommon) -> Res<(Vec<String>, Vec<Customer>)> {
    let need = |v: &Option<String>, flag: &str| -> Res<String> {
        v.clone()
            .ok_or_else(|| format!("{flag} is required with --input").into())
    };
    let columns = Columns {
        user: need(&args.user, "--user")?,
        time: need(&args.time, "--time")?,
        amount: args.amount.clone(),
        ..Columns::default()
    };
    let unit = TimeUnit::parse(&args.unit)?;
    let end = need(&args.calibration_end, "--calibration-end")?;
    let end = chrono::NaiveDate::parse_from_str(&end, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(&end, "%Y%m%d"))
        .map_err(|_| format!("--calibration-end: {end:?} is not a date (YYYY-MM-DD)"))?;
    let log = args.input.load(&columns, None)?;
    let report = fold(BtydSummary::new(end, unit), &log.events)?.finish()?;
    eprintln!(
        "{} customers; {} transactions after {end} ignored",
        report.customers.len(),
        report.ignored_after_calibration
    );
    let ids = report.customers.iter().map(|c| c.user.clone()).collect();
    Ok((ids, report.to_customers()))
}

fn fit(args: &FitArgs) -> Res<()> {
    let (_, rows) = customers(&args.common)?;
    // The unit of the summary's (or the log summary's) recency and T: the fitted model carries it.
    let unit = TimeUnit::parse(&args.common.unit)?;
    let options = FitOptions::new().penalizer(args.penalizer)?;
    fn show<P: ModelParams>(r: FitReport<P>, output: &OutputArgs) -> Res<()> {
        match output.format {
            Format::Json => output.write(&format!("{}\n", serde_json::to_string(&r)?)),
            Format::Table => output.write(&r.to_string()),
            Format::Csv => output.unsupported("clv fit", "table or json"),
        }
    }
    match args.common.model.as_str() {
        "bgnbd" => show(BgNbdParams::fit(&rows, unit, &options)?, &args.output),
        "mbgnbd" => show(MbgNbdParams::fit(&rows, unit, &options)?, &args.output),
        "pareto-nbd" => show(ParetoNbdParams::fit(&rows, unit, &options)?, &args.output),
        _ => show(GammaGammaParams::fit(&rows, &options)?, &args.output),
    }
}

/// Lines with their 0-based numbers; `\n`, `\r\n` and a lone `\r` each end one line.
fn lines_any(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        out.push((out.len(), &rest[..end]));
        let skip = if rest[end..].starts_with("\r\n") {
            2
        } else {
            1
        };
        rest = rest.get(end + skip..).unwrap_or("");
    }
    out
}

fn split_line(line: &str) -> Vec<String> {
    line.split(',')
        .map(|f| f.trim().trim_matches('"').to_string())
        .collect()
}

fn read_summary(path: &str, args: &ClvCommon) -> Res<(Vec<String>, Vec<Customer>)> {
    let text = if path == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        s
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut lines = lines_any(text)
        .into_iter()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or_else(|| format!("{path} is empty"))?;
    let header = split_line(header);
    let find = |flag: &str, defaults: &[&str], required: bool| -> Res<Option<usize>> {
        if let Some(name) = args.column(flag) {
            return header
                .iter()
                .position(|h| h == name)
                .map(Some)
                .ok_or_else(|| {
                    format!(
                        "--{flag} {:?}: no such column; the columns are {}",
                        shorten(name),
                        header
                            .iter()
                            .map(|h| quote_if_needed(h))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                    .into()
                });
        }
        match defaults
            .iter()
            .find_map(|d| header.iter().position(|h| h == d))
        {
            Some(i) => Ok(Some(i)),
            None if required => Err(format!(
                "{path}: no {} column (tried {}); name it with --{flag}",
                defaults[0],
                defaults.join(", ")
            )
            .into()),
            None => Ok(None),
        }
    };
    let fcol = find("frequency", &["frequency", "x"], true)?.unwrap_or(0);
    let rcol = find("recency", &["recency", "t_x"], true)?.unwrap_or(0);
    let tcol = find("t", &["T"], true)?.unwrap_or(0);
    let mcol = find("monetary", &["monetary_value", "monetary", "zbar"], false)?;
    let icol = find("id", &["ID", "id", "customer_id"], false)?.unwrap_or(0);
    let mut ids = Vec::new();
    let mut rows = Vec::new();
    for (n, line) in lines {
        let f = split_line(line);
        let who = format!("{path} line {}", n + 1);
        let who = who.as_str();
        let num = |i: usize, what: &str| -> Res<f64> {
            let v = f.get(i).ok_or_else(|| format!("{who}: missing {what}"))?;
            v.parse::<f64>()
                .map_err(|_| format!("{who}: {what} {:?} is not a number", shorten(v)).into())
        };
        let x = num(fcol, "frequency")?;
        if !(x >= 0.0 && x.fract() == 0.0 && x <= f64::from(u32::MAX)) {
            return Err(format!("{who}: frequency {x} is not a whole number >= 0").into());
        }
        let mut c = Customer {
            frequency: x as u32,
            recency: num(rcol, "recency")?,
            age: num(tcol, "T")?,
            monetary: 0.0,
        };
        if let Some(m) = mcol {
            c.monetary = num(m, "monetary")?;
        }
        c.check(who)?;
        ids.push(f.get(icol).cloned().unwrap_or_default());
        rows.push(c);
    }
    Ok((ids, rows))
}

/// `k=v,k=v` into values in `names` order.
fn params(text: &str, names: &[&str], flag: &str) -> Res<Vec<f64>> {
    let mut map = HashMap::new();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("--{flag}: {part:?} is not name=value"))?;
        let v: f64 = v
            .trim()
            .parse()
            .map_err(|_| format!("--{flag}: {v:?} is not a number"))?;
        if !names.contains(&k.trim()) {
            return Err(format!(
                "--{flag}: unknown parameter {k:?}; expected {}",
                names.join(", ")
            )
            .into());
        }
        map.insert(k.trim().to_string(), v);
    }
    names
        .iter()
        .map(|n| {
            map.get(*n)
                .copied()
                .ok_or_else(|| format!("--{flag}: missing {n}").into())
        })
        .collect()
}

fn predict(args: &PredictArgs) -> Res<()> {
    let model = args.common.model.as_str();
    let format = match args.format {
        Format::Json => "json",
        Format::Csv => "csv",
        Format::Table => {
            return Err("clv predict writes csv (the default) or json, not --format table".into());
        }
    };
    let p = args.params.as_str();
    // The unit of the parameters and of the summary's recency and T (the same one).
    let unit = TimeUnit::parse(&args.common.unit)?;
    let m: Box<dyn Model> = match model {
        "bgnbd" => Box::new(BgNbdParams::from_values(&params(p, BgNbdParams::NAMES, "params")?, unit)?),
        "mbgnbd" => Box::new(MbgNbdParams::from_values(&params(p, MbgNbdParams::NAMES, "params")?, unit)?),
        "pareto-nbd" => Box::new(ParetoNbdParams::from_values(&params(p, ParetoNbdParams::NAMES, "params")?, unit)?),
        _ => return Err("predict needs a transaction model (bgnbd, mbgnbd, pareto-nbd); give the spend model with --spend-params".into()),
    };
    let horizon = args.horizon;
    let spend = args
        .spend_params
        .as_deref()
        .map(|s| -> Res<GammaGammaParams> {
            Ok(GammaGammaParams::from_values(
                &params(s, GammaGammaParams::NAMES, "spend-params")?,
                unit,
            )?)
        })
        .transpose()?;
    let (ids, rows) = customers(&args.common)?;
    // Refuse what cannot be honoured instead of clamping it: the horizon and the months are
    // bounded by the library's cap on the CLV horizon.
    let max_horizon = f64::from(MAX_CLV_MONTHS) * unit.per_month();
    if !(horizon > 0.0 && horizon <= max_horizon) {
        return Err(format!(
            "--horizon: {horizon:?} is not in (0, {max_horizon}] (the model's time unit; at most {MAX_CLV_MONTHS} months); give a shorter horizon"
        )
        .into());
    }
    let months = match args.months {
        Some(m) if (1.0..=f64::from(MAX_CLV_MONTHS)).contains(&m) && m.fract() == 0.0 => m as u32,
        Some(m) => {
            return Err(format!(
                "--months: {m:?} is not a whole number from 1 to {MAX_CLV_MONTHS}"
            )
            .into());
        }
        None => ((horizon / unit.per_month()).round() as u32).max(1),
    };
    let options = ClvOptions::new(months)?.discount(args.discount)?;
    let values = match &spend {
        Some(gg) => Some(m.clv_all(gg, &rows, &options)?),
        None => None,
    };
    let mut json = Vec::new();
    let mut out = String::new();
    if format == "csv" {
        out.push_str(if spend.is_some() {
            "id,p_alive,expected_purchases,expected_spend,clv\n"
        } else {
            "id,p_alive,expected_purchases\n"
        });
    }
    for (i, (id, c)) in ids.iter().zip(&rows).enumerate() {
        let pa = m.p_alive(c)?;
        let e = m.expected_purchases(c, horizon)?;
        let extra = match (&spend, &values) {
            (Some(gg), Some(v)) => Some((gg.expected_spend(c)?, v[i])),
            _ => None,
        };
        if format == "json" {
            let mut o = serde_json::json!({"id": id, "p_alive": pa, "expected_purchases": e});
            if let Some((s, v)) = extra {
                o["expected_spend"] = s.into();
                o["clv"] = v.into();
            }
            json.push(o);
        } else {
            match extra {
                Some((s, v)) => out.push_str(&format!("{id},{pa},{e},{s},{v}\n")),
                None => out.push_str(&format!("{id},{pa},{e}\n")),
            }
        }
    }
    if format == "json" {
        out = format!("{}\n", serde_json::Value::Array(json));
    }
    match &args.output {
        Some(path) if path != "-" => {
            std::fs::write(path, out).map_err(|e| format!("cannot write {path}: {e}").into())
        }
        _ => OutputArgs {
            format: Format::Csv,
            output: None,
        }
        .write(&out),
    }
}

/// The transaction models behind one trait object, with CLV.
trait Model {
    fn p_alive(&self, c: &Customer) -> userops::Result<f64>;
    fn expected_purchases(&self, c: &Customer, t: f64) -> userops::Result<f64>;
    fn clv_all(
        &self,
        gg: &GammaGammaParams,
        rows: &[Customer],
        o: &ClvOptions,
    ) -> userops::Result<Vec<f64>>;
}

impl<M: TransactionModel + Sync> Model for M {
    fn p_alive(&self, c: &Customer) -> userops::Result<f64> {
        TransactionModel::p_alive(self, c)
    }
    fn expected_purchases(&self, c: &Customer, t: f64) -> userops::Result<f64> {
        TransactionModel::expected_purchases(self, c, t)
    }
    fn clv_all(
        &self,
        gg: &GammaGammaParams,
        rows: &[Customer],
        o: &ClvOptions,
    ) -> userops::Result<Vec<f64>> {
        clv(self, gg, rows, o)
    }
}
