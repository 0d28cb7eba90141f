//! Fit BTYD models and forecast customer value from the command line.
//!
//! ```text
//! cargo run --release --example clv -- fit --model bgnbd|mbgnbd|pareto-nbd|gamma-gamma \
//!     --summary FILE [--frequency COL --recency COL --t COL --monetary COL] [--penalizer X] [--format json]
//! cargo run --release --example clv -- fit --model M --input FILE --user COL --time COL \
//!     --amount COL --unit day|week --calibration-end DATE [--delimiter ws|,|;|tab] [--header|--no-header]
//! cargo run --release --example clv -- predict --model M --params k=v,k=v,... --summary FILE \
//!     --horizon T [--spend-params p=..,q=..,gamma=..] [--discount RATE] [--format csv|json]
//! ```

use std::collections::HashMap;
use std::error::Error;
use std::process::ExitCode;

use userops::error::{quote_if_needed, shorten};

use userops::ltv::{
    BgNbdParams, ClvOptions, Customer, FitOptions, FitReport, GammaGammaParams, MAX_CLV_MONTHS,
    MbgNbdParams, ModelParams, ParetoNbdParams, TimeUnit, TransactionModel, clv,
};

const HELP: &str = "\
clv — fit BTYD models (BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma) and forecast customer value

USAGE:
  clv fit --model bgnbd|mbgnbd|pareto-nbd|gamma-gamma --summary FILE
          [--frequency COL --recency COL --t COL --monetary COL] [--unit day|week] [--penalizer X]
          [--format json]
  clv fit --model M --input FILE --user COL --time COL --amount COL --unit day|week
          --calibration-end DATE [--delimiter ws|,|;|tab] [--header|--no-header] [--penalizer X] [--format json]
  clv predict --model bgnbd|mbgnbd|pareto-nbd --params k=v,k=v,... --summary FILE --horizon T
          [--spend-params p=..,q=..,gamma=..] [--discount RATE] [--months N] [--unit day|week]
          [--id COL] [--format csv|json]

SUMMARY FILES are CSV with a header. Default columns: id = ID|id|customer_id (else the first
column), frequency = frequency|x, recency = recency|t_x, T = T, monetary =
monetary_value|monetary|zbar.

TRANSACTION LOGS (--input): COL is a header name or #N (0-based position). The separator
(comma, semicolon, tab, |, or runs of spaces) and whether the first row is a header are read
off the file's first lines; --delimiter, --header and --no-header overrule them. Without a
header, columns are #N only. Purchases are counted per distinct day; recency and T are in --unit (default week).

fit prints a table, or with --format json:
  {\"model\",\"params\",\"log_likelihood\",\"customers\",\"converged\",\"std_errors\",...}
  params are r, alpha, a, b (bgnbd, mbgnbd); r, alpha, s, beta (pareto-nbd); p, q, gamma.
predict prints CSV (default) id,p_alive,expected_purchases[,expected_spend,clv] or a JSON array.
  --horizon is in the summary's time unit; expected purchases are for (T, T + horizon].
  CLV (with --spend-params) sums monthly expected purchases x expected spend over --months months
  (default: horizon / units per month, at least 1), discounted by --discount per month (default 0),
  as lifetimes' customer_lifetime_value.
--unit (default week) is the time unit of the summary's recency and T, of --params and of
  --horizon: a fitted model carries it, and a month is 4.345 weeks or 30 days.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{HELP}");
        return if args.is_empty() {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}\n(run with --help for usage)");
            ExitCode::from(2)
        }
    }
}

type Res<T> = Result<T, Box<dyn Error>>;

struct Args {
    command: String,
    flags: HashMap<String, String>,
    switches: Vec<String>,
}

impl Args {
    fn parse(args: &[String]) -> Res<Args> {
        let command = args[0].clone();
        if command != "fit" && command != "predict" {
            return Err(format!("unknown command {command:?}: expected fit or predict").into());
        }
        let mut flags = HashMap::new();
        let mut switches = Vec::new();
        let mut i = 1;
        while i < args.len() {
            let a = &args[i];
            let Some(name) = a.strip_prefix("--") else {
                return Err(format!("unexpected argument {a:?}").into());
            };
            if name == "no-header" || name == "header" {
                switches.push(name.to_string());
                i += 1;
                continue;
            }
            let value = args
                .get(i + 1)
                .ok_or_else(|| format!("--{name} needs a value"))?;
            const KNOWN: &[&str] = &[
                "model",
                "summary",
                "frequency",
                "recency",
                "t",
                "monetary",
                "penalizer",
                "format",
                "input",
                "user",
                "time",
                "amount",
                "unit",
                "calibration-end",
                "delimiter",
                "params",
                "horizon",
                "spend-params",
                "discount",
                "months",
                "id",
            ];
            if !KNOWN.contains(&name) {
                return Err(format!("unknown flag --{name}").into());
            }
            flags.insert(name.to_string(), value.clone());
            i += 2;
        }
        Ok(Args {
            command,
            flags,
            switches,
        })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.flags.get(name).map(String::as_str)
    }

    fn need(&self, name: &str) -> Res<&str> {
        self.get(name)
            .ok_or_else(|| format!("--{name} is required for {}", self.command).into())
    }

    fn number(&self, name: &str) -> Res<Option<f64>> {
        self.get(name)
            .map(|v| {
                v.parse::<f64>().map_err(|_| {
                    format!("--{name}: {:?} is not a number", userops::error::shorten(v)).into()
                })
            })
            .transpose()
    }
}

fn run(raw: &[String]) -> Res<()> {
    let args = Args::parse(raw)?;
    let format = args
        .get("format")
        .unwrap_or(if args.command == "fit" { "text" } else { "csv" });
    if !["text", "json", "csv"].contains(&format) {
        return Err(format!("--format: expected json or csv, got {format:?}").into());
    }
    let model = args.need("model")?;
    if !["bgnbd", "mbgnbd", "pareto-nbd", "gamma-gamma"].contains(&model) {
        return Err(format!(
            "--model: expected bgnbd, mbgnbd, pareto-nbd or gamma-gamma, got {model:?}"
        )
        .into());
    }
    if args.command == "fit" {
        fit(&args, model, format)
    } else {
        predict(&args, model, format)
    }
}

/// Reads the customers: from a summary file or straight from a transaction log.
fn customers(args: &Args) -> Res<(Vec<String>, Vec<Customer>)> {
    match (args.get("summary"), args.get("input")) {
        (Some(path), None) => read_summary(path, args),
        (None, Some(path)) => from_log(path, args),
        (Some(_), Some(_)) => Err("give either --summary or --input, not both".into()),
        (None, None) => {
            Err("--summary FILE (or --input FILE with a transaction log) is required".into())
        }
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

fn read_summary(path: &str, args: &Args) -> Res<(Vec<String>, Vec<Customer>)> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut lines = lines_any(text)
        .into_iter()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or_else(|| format!("{path} is empty"))?;
    let header = split_line(header);
    let find = |flag: &str, defaults: &[&str], required: bool| -> Res<Option<usize>> {
        if let Some(name) = args.get(flag) {
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

#[cfg(feature = "csv")]
fn from_log(path: &str, args: &Args) -> Res<(Vec<String>, Vec<Customer>)> {
    use userops::csv::{Column, CsvSpec, Delimiter, read_events_from_path};
    use userops::fold::{Summary, fold};
    use userops::ltv::BtydSummary;
    let mut spec = CsvSpec::new(
        Column::parse(args.need("user")?),
        Column::parse(args.need("time")?),
    );
    if let Some(a) = args.get("amount") {
        spec = spec.amount(Column::parse(a));
    }
    // Separator and header as the file's first lines show them, unless given.
    spec = spec.sniffed(path)?;
    if args.switches.iter().any(|s| s == "header") {
        spec = spec.header(true);
    }
    if let Some(d) = args.get("delimiter") {
        spec = spec.delimiter(match d {
            "ws" | "whitespace" => Delimiter::Whitespace,
            "tab" => Delimiter::Byte(b'\t'),
            "," | ";" | "|" => Delimiter::Byte(d.as_bytes()[0]),
            other => {
                return Err(format!(
                    "--delimiter: expected ws, tab, ',', ';' or '|', got {other:?}"
                )
                .into());
            }
        });
    }
    if args.switches.iter().any(|s| s == "no-header") {
        spec = spec.header(false);
    }
    let unit = TimeUnit::parse(args.get("unit").unwrap_or("week"))?;
    let end = args.need("calibration-end")?;
    let end = chrono::NaiveDate::parse_from_str(end, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(end, "%Y%m%d"))
        .map_err(|_| format!("--calibration-end: {end:?} is not a date (YYYY-MM-DD)"))?;
    let log = read_events_from_path(path, &spec)?;
    eprintln!("{}", log.account());
    let report = fold(BtydSummary::new(end, unit), &log.events)?.finish()?;
    eprintln!(
        "{} customers; {} transactions after {end} ignored",
        report.customers.len(),
        report.ignored_after_calibration
    );
    let ids = report.customers.iter().map(|c| c.user.clone()).collect();
    Ok((ids, report.to_customers()))
}

#[cfg(not(feature = "csv"))]
fn from_log(_: &str, _: &Args) -> Res<(Vec<String>, Vec<Customer>)> {
    Err("--input needs the `csv` feature".into())
}

fn fit(args: &Args, model: &str, format: &str) -> Res<()> {
    let (_, rows) = customers(args)?;
    // The unit of the summary's (or the log summary's) recency and T: the fitted model carries it.
    let unit = TimeUnit::parse(args.get("unit").unwrap_or("week"))?;
    let options = FitOptions::new().penalizer(args.number("penalizer")?.unwrap_or(0.0))?;
    fn show<P: ModelParams>(r: FitReport<P>, format: &str) -> Res<()> {
        if format == "json" {
            println!("{}", serde_json::to_string(&r)?);
        } else {
            print!("{r}");
        }
        Ok(())
    }
    match model {
        "bgnbd" => show(BgNbdParams::fit(&rows, unit, &options)?, format),
        "mbgnbd" => show(MbgNbdParams::fit(&rows, unit, &options)?, format),
        "pareto-nbd" => show(ParetoNbdParams::fit(&rows, unit, &options)?, format),
        _ => show(GammaGammaParams::fit(&rows, &options)?, format),
    }
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

fn predict(args: &Args, model: &str, format: &str) -> Res<()> {
    let p = args.need("params")?;
    // The unit of the parameters and of the summary's recency and T (the same one).
    let unit = TimeUnit::parse(args.get("unit").unwrap_or("week"))?;
    let m: Box<dyn Model> = match model {
        "bgnbd" => Box::new(BgNbdParams::from_values(&params(p, BgNbdParams::NAMES, "params")?, unit)?),
        "mbgnbd" => Box::new(MbgNbdParams::from_values(&params(p, MbgNbdParams::NAMES, "params")?, unit)?),
        "pareto-nbd" => Box::new(ParetoNbdParams::from_values(&params(p, ParetoNbdParams::NAMES, "params")?, unit)?),
        _ => return Err("predict needs a transaction model (bgnbd, mbgnbd, pareto-nbd); give the spend model with --spend-params".into()),
    };
    let horizon = args
        .number("horizon")?
        .ok_or("--horizon is required for predict")?;
    let spend = args
        .get("spend-params")
        .map(|s| -> Res<GammaGammaParams> {
            Ok(GammaGammaParams::from_values(
                &params(s, GammaGammaParams::NAMES, "spend-params")?,
                unit,
            )?)
        })
        .transpose()?;
    let (ids, rows) = customers(args)?;
    // Refuse what cannot be honoured instead of clamping it: the horizon and the months are
    // bounded by the library's cap on the CLV horizon.
    let max_horizon = f64::from(MAX_CLV_MONTHS) * unit.per_month();
    if !(horizon > 0.0 && horizon <= max_horizon) {
        return Err(format!(
            "--horizon: {horizon:?} is not in (0, {max_horizon}] (the model's time unit; at most {MAX_CLV_MONTHS} months); give a shorter horizon"
        )
        .into());
    }
    let months = match args.number("months")? {
        Some(m) if (1.0..=f64::from(MAX_CLV_MONTHS)).contains(&m) && m.fract() == 0.0 => m as u32,
        Some(m) => {
            return Err(format!(
                "--months: {m:?} is not a whole number from 1 to {MAX_CLV_MONTHS}"
            )
            .into());
        }
        None => ((horizon / unit.per_month()).round() as u32).max(1),
    };
    let options = ClvOptions::new(months)?.discount(args.number("discount")?.unwrap_or(0.0))?;
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
    write_out(&out)
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn write_out(text: &str) -> Res<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
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
