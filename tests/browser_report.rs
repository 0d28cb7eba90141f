//! The HTML report of the built-in sample, rendered by a real browser (headless Chromium):
//! it loads with no console error, every section and chart is there, and the marks the
//! browser lays out (their boxes measured with `getBBox()`) match the models' numbers at the
//! scale the browser measures from the axis ticks.
//!
//! Without Chromium the test is skipped with a message, unless `USEROPS_REQUIRE_BROWSER=1`
//! (CI), then it fails. `USEROPS_CHROMIUM` names another browser binary.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use serde_json::Value;
use userops::chart::html::{ReportOptions, SECTIONS, report};
use userops::engine::EventTable;
use userops::fold::{Summary, fold};
use userops::lifecycle::{LifecycleSummary, Stage, StageParams};
use userops::ops::health::HealthParams;
use userops::retention::{RetentionMode, RetentionParams, RetentionSummary};
use userops::sample::{SampleConfig, generate};
use userops::time::{Calendar, Interval, Zone};

/// Longest a browser run may take before it is killed and the test fails.
const TIMEOUT: Duration = Duration::from_secs(90);

/// Every chart the report of the sample draws.
const CHARTS: [&str; 12] = [
    "rfm-heatmap",
    "rfm-segments",
    "lifecycle-bars",
    "lifecycle-waterfall",
    "retention-heatmap",
    "clv-p-alive",
    "clv-expected",
    "clv-repeat",
    "clv-holdout",
    "value-quadrant",
    "value-pareto",
    "health-index",
];

/// Injected first into the test copy's `<head>`: records every console error and every error
/// event (script errors, and resources that fail to load, caught in the capture phase).
const PRELUDE: &str = r#"<script>
window.__errors = [];
(function () {
  const original = console.error;
  console.error = function () { window.__errors.push(Array.from(arguments).join(' ')); original.apply(console, arguments); };
  window.addEventListener('error', function (e) {
    window.__errors.push('error event: ' + (e.message || (e.target && (e.target.src || e.target.href)) || 'unknown'));
  }, true);
})();
</script>"#;

/// The script injected into a test copy of the page: it measures every chart's ticks and
/// marks as laid out once the page has loaded (every fetch it might have made settled) and
/// writes them as JSON into `<pre id="measured">`.
const MEASURE: &str = r#"<pre id="measured"></pre><script>
window.addEventListener('load', function () {
  const out = { sections: [], notes: [], charts: {}, errors: window.__errors,
                resources: performance.getEntriesByType('resource').map(function (r) { return r.name; }) };
  for (const s of document.querySelectorAll('section.model')) out.sections.push(s.id);
  for (const n of document.querySelectorAll('.note')) out.notes.push(n.textContent);
  for (const svg of document.querySelectorAll('svg.chart')) {
    const title = svg.querySelector(':scope > title');
    const desc = svg.querySelector(':scope > desc');
    const c = {
      title: title ? title.textContent : '',
      desc: desc ? desc.textContent : '',
      labelledby: svg.getAttribute('aria-labelledby') || '',
      legend: svg.querySelectorAll('g.legend .legend-item').length,
      axis_labels: svg.querySelectorAll('.axis-label').length,
      ticks: [], marks: []
    };
    for (const t of svg.querySelectorAll('line.tick')) {
      const b = t.getBBox();
      c.ticks.push({ axis: t.dataset.axis, value: t.dataset.value, x: b.x, y: b.y });
    }
    for (const m of svg.querySelectorAll('.bar, .step, .cell, .point, .product')) {
      const b = m.getBBox();
      c.marks.push({ cls: m.getAttribute('class'), data: Object.assign({}, m.dataset),
                     x: b.x, y: b.y, w: b.width, h: b.height });
    }
    out.charts[svg.id] = c;
  }
  document.getElementById('measured').textContent = JSON.stringify(out);
  console.log('userops-measured ' + Object.keys(out.charts).length);
});
</script>"#;

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("USEROPS_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// Runs the browser on `page` with `--dump-dom`: (stdout, stderr). Panics on timeout.
fn run_browser(browser: &Path, page: &Path, profile: &Path) -> (String, String) {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-dev-shm-usage",
            // Any name lookup fails: a page that tried to fetch anything would log an error.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the browser");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait for the browser").is_some() {
            break;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the browser did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (out.join().unwrap(), err.join().unwrap())
}

/// Console lines of the browser's log (`INFO:CONSOLE(...)`, any level: headless Chromium
/// logs `console.error` at the same level as `console.log`), but the probe's own line.
fn console_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.contains("CONSOLE") && !l.contains("userops-measured"))
        .map(str::to_string)
        .collect()
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}")),
        other => panic!("not a number: {other}"),
    }
}

/// Pixels per unit and the pixel of value 0 on `axis`, from the first and last tick as the
/// browser laid them out.
fn scale(chart: &Value, axis: &str) -> (f64, f64) {
    let ticks: Vec<(f64, f64)> = chart["ticks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["axis"] == axis)
        .map(|t| {
            let px = if axis == "x" {
                num(&t["x"])
            } else {
                num(&t["y"])
            };
            (num(&t["value"]), px)
        })
        .collect();
    assert!(ticks.len() >= 2, "{axis} axis has {} ticks", ticks.len());
    let (v0, p0) = ticks[0];
    let (v1, p1) = ticks[ticks.len() - 1];
    let per = (p1 - p0) / (v1 - v0);
    (per, p0 - v0 * per)
}

fn marks<'a>(chart: &'a Value, class: &str) -> Vec<&'a Value> {
    chart["marks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["cls"] == class)
        .collect()
}

#[test]
fn the_report_renders_in_a_browser_and_its_marks_match_the_models() {
    let Some(browser) = chromium() else {
        if std::env::var("USEROPS_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("USEROPS_REQUIRE_BROWSER=1 but no Chromium found (apt-get install chromium)");
        }
        eprintln!("skipped: no Chromium (apt-get install chromium, or set USEROPS_CHROMIUM)");
        return;
    };

    // The sample product, as the tour runs it: health lines that suit a product used a few
    // times a month.
    let data = generate(&SampleConfig::new(2_000).seed(7)).unwrap();
    let table = EventTable::from_events(&data.events).unwrap();
    let as_of = data.end - TimeDelta::seconds(1);
    let options = ReportOptions {
        health: HealthParams {
            warning_line: 12.0,
            healthy_line: 24.0,
            ..HealthParams::default()
        },
        ..ReportOptions::default()
    };
    let html = report(&table, as_of, &options).unwrap();
    // Self-contained: no script, no external reference of any kind (the only URL is the SVG
    // namespace, which is a name, not a fetch).
    assert!(!html.contains("<script"));
    assert!(!html.contains("<link") && !html.contains("@import") && !html.contains("src="));
    let without_ns = html.replace("http://www.w3.org/2000/svg", "");
    assert!(!without_ns.contains("http:") && !without_ns.contains("https:"));
    assert!(html.matches("url(").count() == html.matches("url(#").count());

    let dir = std::env::temp_dir().join(format!("userops-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // 1. The page as written (it has no script) loads with nothing on the console.
    let page = dir.join("report.html");
    std::fs::write(&page, &html).unwrap();
    let (dom, log) = run_browser(&browser, &page, &dir.join("profile-a"));
    assert!(
        dom.contains("id=\"lifecycle-bars\""),
        "the browser did not render the page:\n{log}"
    );
    let console = console_lines(&log);
    assert!(console.is_empty(), "console output: {console:#?}");

    // 2. A test copy measures every mark.
    let probe = dir.join("probe.html");
    let copy = html
        .replacen("<head>", &format!("<head>{PRELUDE}"), 1)
        .replace("</body>", &format!("{MEASURE}</body>"));
    std::fs::write(&probe, copy).unwrap();
    let (dom, log) = run_browser(&browser, &probe, &dir.join("profile-b"));
    // The console check above is real: this run's own console line reached the log.
    assert!(
        log.contains("userops-measured 12"),
        "console lines did not reach the log:\n{log}"
    );
    let console = console_lines(&log);
    assert!(console.is_empty(), "console output: {console:#?}");
    let start =
        dom.find("<pre id=\"measured\">").expect("measured block") + "<pre id=\"measured\">".len();
    let end = start + dom[start..].find("</pre>").unwrap();
    let measured: Value = serde_json::from_str(&unescape(&dom[start..end])).unwrap();

    // No error of any kind, and nothing fetched: the browser's resource timing lists no
    // request at all.
    assert_eq!(
        measured["errors"].as_array().unwrap().len(),
        0,
        "{}",
        measured["errors"]
    );
    assert_eq!(
        measured["resources"].as_array().unwrap().len(),
        0,
        "{}",
        measured["resources"]
    );

    // Every section, no section left a note, every chart with its title, description,
    // legend and axis labels.
    let sections: Vec<&str> = measured["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(sections, SECTIONS.iter().map(|s| s.0).collect::<Vec<_>>());
    assert_eq!(
        measured["notes"].as_array().unwrap().len(),
        0,
        "{}",
        measured["notes"]
    );
    let charts = &measured["charts"];
    assert_eq!(charts.as_object().unwrap().len(), CHARTS.len());
    for id in CHARTS {
        let c = &charts[id];
        assert!(!c.is_null(), "chart {id} missing");
        assert!(!c["title"].as_str().unwrap().is_empty(), "{id}: no <title>");
        assert!(c["desc"].as_str().unwrap().len() > 40, "{id}: no <desc>");
        assert_eq!(c["labelledby"], format!("{id}-title {id}-desc"));
        assert!(num(&c["legend"]) >= 2.0, "{id}: no legend");
        assert!(num(&c["axis_labels"]) >= 1.0, "{id}: no axis label");
    }

    // Lifecycle: 12 periods × 7 stages, each bar's height its count on the measured scale,
    // the counts those of the lifecycle model folded here on its own.
    let calendar = Calendar::new(Zone::Utc, Interval::Month);
    let last = calendar.period_of(as_of);
    let from = calendar.start_of(&last.offset(-11));
    let stages = fold(
        LifecycleSummary::new(calendar.clone(), from, as_of).unwrap(),
        &data.events,
    )
    .unwrap()
    .finish()
    .unwrap()
    .stages(&StageParams::default(), None);
    let chart = &charts["lifecycle-bars"];
    let (per, zero) = scale(chart, "y");
    let bars = marks(chart, "bar");
    assert_eq!(bars.len(), 12 * 7);
    let mut by_key: HashMap<(String, String), &Value> = HashMap::new();
    for b in &bars {
        by_key.insert(
            (
                b["data"]["period"].as_str().unwrap().to_string(),
                b["data"]["stage"].as_str().unwrap().to_string(),
            ),
            b,
        );
    }
    for row in &stages.rows {
        let mut above = 0.0;
        for stage in Stage::ALL {
            let bar = by_key[&(row.period.to_string(), stage.name().to_string())];
            let count = row.count(stage) as f64;
            assert_eq!(
                num(&bar["data"]["value"]),
                count,
                "{} {}",
                row.period,
                stage.name()
            );
            assert!(
                (num(&bar["h"]) - count * per.abs()).abs() < 0.05,
                "{} {}: height {} for {count}",
                row.period,
                stage.name(),
                bar["h"]
            );
            if stage == Stage::New {
                // The first stage above the axis stands on the zero line.
                assert!((num(&bar["y"]) + num(&bar["h"]) - zero).abs() < 0.05);
            }
            if stage.is_active() {
                above += count;
            }
        }
        assert!(above > 0.0);
    }

    // The waterfall: each step's height its value on the measured scale, the total the
    // last period's active users.
    let chart = &charts["lifecycle-waterfall"];
    let (per, _) = scale(chart, "y");
    let steps = marks(chart, "step");
    assert_eq!(steps.len(), 6);
    let total = steps
        .iter()
        .find(|s| s["data"]["step"] == "active")
        .unwrap();
    assert_eq!(
        num(&total["data"]["value"]),
        stages.rows.last().unwrap().active as f64
    );
    for s in &steps {
        assert!((num(&s["h"]) - num(&s["data"]["value"]) * per.abs()).abs() < 0.05);
    }

    // Retention: the triangle of 12 monthly cohorts (12 + 11 + ... + 1 cells), each cell's
    // rate that of the retention model folded here on its own.
    let spec = RetentionParams::new(calendar, as_of, 12)
        .mode(RetentionMode::FirstTime)
        .check()
        .unwrap();
    let retention = fold(RetentionSummary::new(spec), &data.events)
        .unwrap()
        .finish()
        .unwrap();
    let cells = marks(&charts["retention-heatmap"], "cell");
    assert_eq!(cells.len(), 78);
    for row in &retention.cohorts {
        for k in 0..row.counts.len() {
            let cell = cells
                .iter()
                .find(|c| {
                    c["data"]["cohort"] == row.period.as_str()
                        && num(&c["data"]["offset"]) == k as f64
                })
                .unwrap();
            assert!((num(&cell["data"]["value"]) - row.rate(k).unwrap()).abs() < 1e-6);
        }
    }

    // Bars on the RFM segment chart and the repeat-purchase chart: lengths on their scales.
    let chart = &charts["rfm-segments"];
    let (per, origin) = scale(chart, "x");
    for b in marks(chart, "bar") {
        assert!((num(&b["w"]) - num(&b["data"]["value"]) * 100.0 * per).abs() < 0.05);
        assert!((num(&b["x"]) - origin).abs() < 0.05);
    }
    let chart = &charts["clv-repeat"];
    let (per, _) = scale(chart, "y");
    let repeat = marks(chart, "bar");
    assert_eq!(repeat.len(), 16);
    for b in repeat {
        assert!((num(&b["h"]) - num(&b["data"]["value"]) * per.abs()).abs() < 0.05);
    }

    // Health: each point's centre at its index on the measured scale.
    let chart = &charts["health-index"];
    let (per, zero) = scale(chart, "y");
    let points = marks(chart, "point");
    assert_eq!(points.len(), 180);
    for p in points {
        let centre = num(&p["y"]) + num(&p["h"]) / 2.0;
        assert!((centre - (zero + per * num(&p["data"]["value"]))).abs() < 0.05);
    }

    let _ = std::fs::remove_dir_all(&dir);
}
