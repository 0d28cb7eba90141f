//! Fold laws for the attribution summaries: merging parts equals the whole, event order does
//! not matter, partial states survive serde; path tables merge alike; and the Shapley value
//! of the subset game equals Zhao et al.'s closed form (each journey's conversions split
//! equally among its distinct channels).

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use userops::attribution::{
    AttributionParams, AttributionReport, ConversionRule, JourneyRules, JourneySummary, Journeys,
    Model, PathTable,
};
use userops::event::EventRecord;
use userops::fold::laws::{close, merge_law, order_law, serde_merge_law, slice_law};

const NAMES: [&str; 6] = ["email", "search", "display", "social", "order", "pageview"];

fn events() -> impl Strategy<Value = Vec<EventRecord<u8>>> {
    prop::collection::vec((0_u8..8, 0_i64..(60 * 24), 0_usize..6, 0_u32..50), 0..80).prop_map(
        |rows| {
            let base: DateTime<Utc> = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
            rows.into_iter()
                .map(|(u, h, name, cents)| {
                    let e =
                        EventRecord::new(u, base + TimeDelta::hours(h / 3)).with_name(NAMES[name]);
                    if name == 4 {
                        e.with_amount(f64::from(cents) / 4.0)
                    } else {
                        e
                    }
                })
                .collect()
        },
    )
}

fn rules() -> JourneyRules {
    JourneyRules::new()
        .conversions(ConversionRule::Named(vec!["order".into()]))
        .lookback(TimeDelta::days(9))
        .unwrap()
}

fn report(journeys: &Journeys) -> AttributionReport {
    AttributionParams::new([
        Model::FirstTouch,
        Model::LastTouch,
        Model::Linear,
        Model::time_decay(),
        Model::position_based(),
        Model::Markov { order: 1 },
        Model::Markov { order: 2 },
        Model::Shapley,
    ])
    .check()
    .unwrap()
    .attribute(journeys)
    .unwrap()
}

fn same_table(a: &PathTable, b: &PathTable) -> bool {
    a.channels() == b.channels()
        && a.rows().len() == b.rows().len()
        && a.rows().iter().zip(b.rows()).all(|(x, y)| {
            x.path == y.path
                && x.conversions == y.conversions
                && x.nulls == y.nulls
                && close(x.value, y.value, 1e-12)
        })
}

/// Journeys agree when their path tables and every model's credits do (journeys come in
/// the order users were first seen, which a shuffle changes).
fn same_journeys(a: &Journeys, b: &Journeys) -> bool {
    let (ra, rb) = (report(a), report(b));
    same_table(&a.paths().unwrap(), &b.paths().unwrap())
        && a.unattributed_conversions() == b.unattributed_conversions()
        && close(a.unattributed_value(), b.unattributed_value(), 1e-12)
        && ra.conversions == rb.conversions
        && ra.models.iter().zip(&rb.models).all(|(x, y)| {
            x.channels.iter().zip(&y.channels).all(|(p, q)| {
                p.channel == q.channel
                    && close(p.conversions, q.conversions, 1e-9)
                    && close(p.value, q.value, 1e-9)
            })
        })
}

fn shuffle(v: &mut [usize], seed: u64) {
    let mut rng = userops::sample::Rng::new(seed);
    for i in (1..v.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        v.swap(i, j);
    }
}

proptest! {
    #[test]
    fn journey_summary_merge_order_and_serde_laws(
        ev in events(),
        cuts in prop::collection::vec(0_usize..80, 0..4),
        seed in any::<u64>(),
    ) {
        let empty = || JourneySummary::new(rules());
        merge_law(empty, &ev, &cuts, same_journeys).map_err(TestCaseError::fail)?;
        serde_merge_law(empty, &ev, &cuts, same_journeys).map_err(TestCaseError::fail)?;
        slice_law(empty, &ev, |a, b| a == b).map_err(TestCaseError::fail)?;
        let mut perm: Vec<usize> = (0..ev.len()).collect();
        shuffle(&mut perm, seed);
        order_law(empty, &ev, &perm, same_journeys).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn path_tables_merge_like_the_whole(
        rows in prop::collection::vec((prop::collection::vec(0_usize..5, 1..5), 0_u64..4, 0_u32..40, 0_u64..4), 0..30),
        cut in 0_usize..30,
    ) {
        let names = ["a", "b", "c", "d", "e"];
        let table = |rows: &[(Vec<usize>, u64, u32, u64)]| {
            let mut b = PathTable::builder();
            for (path, conversions, cents, nulls) in rows {
                let value = if *conversions > 0 { f64::from(*cents) / 4.0 } else { 0.0 };
                let path: Vec<&str> = path.iter().map(|&i| names[i]).collect();
                b.add(&path, *conversions, value, *nulls).unwrap();
            }
            b.build()
        };
        let cut = cut.min(rows.len());
        let whole = table(&rows);
        let mut merged = table(&rows[cut..]);
        merged.merge(table(&rows[..cut])).unwrap();
        prop_assert!(same_table(&whole, &merged), "{whole:?}\n{merged:?}");
        let back: PathTable = serde_json::from_str(&serde_json::to_string(&whole).unwrap()).unwrap();
        prop_assert_eq!(back, whole);
    }

    /// Zhao, Mahboobi and Bagheri (2018), "Shapley value methods for attribution modeling in
    /// online advertising": in the game whose worth of a coalition is the conversions of the
    /// journeys whose channels lie in it, the Shapley value of a channel is the sum over
    /// converting journeys of their conversions divided by their number of distinct channels.
    #[test]
    fn shapley_equals_the_simplified_closed_form(
        rows in prop::collection::vec((prop::collection::vec(0_usize..7, 1..6), 0_u64..5, 0_u64..3), 1..25),
    ) {
        let names = ["a", "b", "c", "d", "e", "f", "g"];
        let mut b = PathTable::builder();
        let mut expected = [0.0_f64; 7];
        for (path, conversions, nulls) in &rows {
            let named: Vec<&str> = path.iter().map(|&i| names[i]).collect();
            b.add(&named, *conversions, *conversions as f64, *nulls).unwrap();
            let mut distinct = path.clone();
            distinct.sort_unstable();
            distinct.dedup();
            for &c in &distinct {
                expected[c] += *conversions as f64 / distinct.len() as f64;
            }
        }
        let table = b.build();
        let report = AttributionParams::new([Model::Shapley]).check().unwrap().attribute_paths(&table).unwrap();
        let shapley = report.model(&Model::Shapley).unwrap();
        for (i, name) in names.iter().enumerate() {
            let got = shapley.credit(name).map_or(0.0, |c| c.conversions);
            prop_assert!(close(got, expected[i], 1e-9), "{name}: {got} vs {}", expected[i]);
        }
    }
}
