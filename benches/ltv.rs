//! Benchmarks for `ltv` (the targets, 1M customers / 10M transactions):
//! summary <= 0.3 s, BG/NBD fit <= 0.3 s, Pareto/NBD fit <= 3 s, Gamma-Gamma fit <= 0.1 s,
//! CLV for every customer <= 0.2 s, each CDNOW fit <= 10 ms.
//!
//! `cargo bench --bench ltv -- --warm-up-time 1 --measurement-time 3`

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use userops::event::Event;
use userops::fold::{Summary, fold};
use userops::ltv::{
    BgNbdParams, BtydSummary, ClvOptions, Customer, FitOptions, GammaGammaParams, MbgNbdParams,
    ParetoNbdParams, TimeUnit, clv,
};
use userops::sample::Rng;

/// A compact transaction (the host's own type).
#[derive(Clone)]
struct Tx {
    user: u64,
    at: DateTime<Utc>,
    amount: f64,
}

impl Event for Tx {
    type User = u64;
    fn user(&self) -> &u64 {
        &self.user
    }
    fn at(&self) -> DateTime<Utc> {
        self.at
    }
    fn amount(&self) -> f64 {
        self.amount
    }
}

/// 1M customers x 10 transactions over a year, grouped by customer.
fn transactions() -> Vec<Tx> {
    let mut rng = Rng::new(7);
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let mut out = Vec::with_capacity(10_000_000);
    for user in 0..1_000_000_u64 {
        for _ in 0..10 {
            let secs = rng.below(365 * 86_400) as i64;
            out.push(Tx {
                user,
                at: start + TimeDelta::seconds(secs),
                amount: 5.0 + rng.uniform() * 50.0,
            });
        }
    }
    out
}

fn exp(rng: &mut Rng, rate: f64) -> f64 {
    -(1.0 - rng.uniform()).ln() / rate
}

/// Customers as a daily log gives them: times in whole days, expressed in weeks.
fn day(t: f64) -> f64 {
    (t * 7.0).floor() / 7.0
}

fn bgnbd_customers(n: usize) -> Vec<Customer> {
    let mut rng = Rng::new(11);
    (0..n)
        .map(|_| {
            let lambda = rng.gamma(0.25, 1.0 / 4.0);
            let g1 = rng.gamma(0.8, 1.0);
            let p = g1 / (g1 + rng.gamma(2.5, 1.0));
            let t_end = (rng.below(365) as f64) / 7.0;
            let (mut t, mut x, mut tx) = (0.0, 0, 0.0);
            loop {
                t += exp(&mut rng, lambda);
                if t > t_end {
                    break;
                }
                x += 1;
                tx = day(t);
                if rng.uniform() < p {
                    break;
                }
            }
            let monetary = if x > 0 {
                10.0 + rng.gamma(6.0, 3.0)
            } else {
                0.0
            };
            Customer::new(x, tx, t_end).unwrap().with_monetary(monetary)
        })
        .collect()
}

fn pareto_customers(n: usize) -> Vec<Customer> {
    let mut rng = Rng::new(13);
    (0..n)
        .map(|_| {
            let lambda = rng.gamma(0.55, 1.0 / 10.5);
            let mu = rng.gamma(0.6, 1.0 / 11.7);
            let t_end = (rng.below(365) as f64) / 7.0;
            let end = exp(&mut rng, mu).min(t_end);
            let (mut t, mut x, mut tx) = (0.0, 0, 0.0);
            loop {
                t += exp(&mut rng, lambda);
                if t > end {
                    break;
                }
                x += 1;
                tx = day(t);
            }
            Customer::new(x, tx, t_end).unwrap()
        })
        .collect()
}

fn spend_customers(n: usize) -> Vec<Customer> {
    let mut rng = Rng::new(14);
    (0..n)
        .map(|_| {
            let x = 1 + rng.poisson(2.0) as u32;
            let nu = rng.gamma(3.8, 1.0 / 15.0);
            let total: f64 = (0..x).map(|_| rng.gamma(6.0, 1.0 / nu)).sum();
            // Spend in cents, as a shop records it.
            let m = (total / f64::from(x) * 100.0).round() / 100.0;
            Customer::new(x, 1.0, 2.0)
                .unwrap()
                .with_monetary(m.max(0.01))
        })
        .collect()
}

fn cdnow() -> Vec<Customer> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/cdnow_summary_with_spend.csv"
    ))
    .unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<f64> = l.split(',').map(|v| v.trim().parse().unwrap()).collect();
            Customer::new(f[1] as u32, f[2], f[3])
                .unwrap()
                .with_monetary(f[4])
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("ltv");
    g.sample_size(10);

    let data = cdnow();
    let o = FitOptions::new();
    g.bench_function("cdnow_bgnbd_fit", |b| {
        b.iter(|| BgNbdParams::fit(&data, TimeUnit::Week, &o).unwrap())
    });
    g.bench_function("cdnow_mbgnbd_fit", |b| {
        b.iter(|| MbgNbdParams::fit(&data, TimeUnit::Week, &o).unwrap())
    });
    g.bench_function("cdnow_pareto_nbd_fit", |b| {
        b.iter(|| ParetoNbdParams::fit(&data, TimeUnit::Week, &o).unwrap())
    });
    g.bench_function("cdnow_gamma_gamma_fit", |b| {
        b.iter(|| GammaGammaParams::fit(&data, &o).unwrap())
    });

    let log = transactions();
    let end = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
    // In time order (an application's log), and grouped by customer (`_grouped`).
    let mut by_time = log.clone();
    by_time.sort_by_key(|t| t.at);
    g.bench_function("summary_10m_transactions", |b| {
        b.iter(|| {
            fold(BtydSummary::new(end, TimeUnit::Week), &by_time)
                .unwrap()
                .finish()
                .unwrap()
        })
    });
    drop(by_time);
    g.bench_function("summary_10m_transactions_grouped", |b| {
        b.iter(|| {
            fold(BtydSummary::new(end, TimeUnit::Week), &log)
                .unwrap()
                .finish()
                .unwrap()
        })
    });
    drop(log);

    let customers = bgnbd_customers(1_000_000);
    g.bench_function("bgnbd_fit_1m", |b| {
        b.iter(|| BgNbdParams::fit(&customers, TimeUnit::Week, &o).unwrap())
    });
    let bg = BgNbdParams::new(0.25, 4.0, 0.8, 2.5, TimeUnit::Week).unwrap();
    let gg = GammaGammaParams::new(6.0, 3.8, 15.0).unwrap();
    let options = ClvOptions::new(12).unwrap().discount(0.01).unwrap();
    g.bench_function("clv_1m_12_months", |b| {
        b.iter(|| clv(&bg, &gg, &customers, &options).unwrap())
    });
    drop(customers);

    let customers = pareto_customers(1_000_000);
    g.bench_function("pareto_nbd_fit_1m", |b| {
        b.iter(|| ParetoNbdParams::fit(&customers, TimeUnit::Week, &o).unwrap())
    });
    drop(customers);

    let buyers = spend_customers(946_000);
    g.bench_function("gamma_gamma_fit_946k", |b| {
        b.iter(|| GammaGammaParams::fit(&buyers, &o).unwrap())
    });
    g.finish();
}

criterion_group!(ltv, benches);
criterion_main!(ltv);
