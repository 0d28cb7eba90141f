//! Attribution against published worked examples and hand calculations: heuristic models,
//! the Markov removal effect (first and higher order), the Shapley value, journeys in a
//! lookback window; and the caps and bad input.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use userops::Error;
use userops::attribution::{
    AttributionParams, AttributionReport, ChannelRule, ConversionRule, JourneyRules,
    JourneySummary, Journeys, MAX_MARKOV_STATES, MAX_SHAPLEY_CHANNELS, Model, PathTable,
};
use userops::engine::EventTable;
use userops::event::EventRecord;
use userops::fold::{FoldTable, Summary, fold};

fn paths(rows: &[(&str, u64, f64, u64)]) -> PathTable {
    let mut b = PathTable::builder();
    for &(path, conversions, value, nulls) in rows {
        b.add_text(path, ">", conversions, value, nulls).unwrap();
    }
    b.build()
}

fn run(models: &[Model], table: &PathTable) -> AttributionReport {
    AttributionParams::new(models.iter().copied())
        .check()
        .unwrap()
        .attribute_paths(table)
        .unwrap()
}

/// `(conversions, value)` of `channel` under `model`.
fn credit(report: &AttributionReport, model: Model, channel: &str) -> (f64, f64) {
    let c = report.model(&model).unwrap().credit(channel).unwrap();
    (c.conversions, c.value)
}

fn removal(report: &AttributionReport, model: Model, channel: &str) -> (f64, f64) {
    let c = report.model(&model).unwrap().credit(channel).unwrap();
    (c.removal_effect.unwrap(), c.value_removal_effect.unwrap())
}

fn assert_close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: got {got}, want {want}"
    );
}

const MARKOV1: Model = Model::Markov { order: 1 };

/// Sergey Bryl, "Marketing Multi-Channel Attribution model with R (part 1: Markov chain
/// concept)", analyzecore.com, 2016-08-03: paths C1 > C2 > C3 (converted), C1 and C2 > C3
/// (not). The expected numbers are those of the JavaScript package that reproduces the
/// tutorial (github.com/JesseCastro/markovattribution, test/test.js, with value 1000):
/// P(conversion) 1/3, without C1 1/6; removal effects C1 0.5, C2 1, C3 1; attributed
/// conversions 0.2 / 0.4 / 0.4, value 200 / 400 / 400.
#[test]
fn markov_analyzecore_tutorial() {
    let table = paths(&[
        ("C1 > C2 > C3", 1, 1000.0, 0),
        ("C1", 0, 0.0, 1),
        ("C2 > C3", 0, 0.0, 1),
    ]);
    let report = run(&[MARKOV1], &table);
    for (channel, effect, conversions, value) in [
        ("C1", 0.5, 0.2, 200.0),
        ("C2", 1.0, 0.4, 400.0),
        ("C3", 1.0, 0.4, 400.0),
    ] {
        let (re, re_value) = removal(&report, MARKOV1, channel);
        assert_close(re, effect, channel);
        assert_close(re_value, effect, channel);
        let (c, v) = credit(&report, MARKOV1, channel);
        assert_close(c, conversions, channel);
        assert_close(v, value, channel);
    }
}

/// Serhii Puzyrov, "Markov Chain Attribution – Simple Explanation Of Removal Effect"
/// (serhiipuzyrov.com, 2019-07): google ads alone 2 conversions, mailing alone 1, google ads >
/// mailing 1, google ads alone 1 without conversion. Its published transition table: start >
/// google ads 4/5, start > mailing 1/5, google ads > conv 2/4, google ads > mailing 1/4, google
/// ads > null 1/4, mailing > conv 2/2. By hand from that table:
/// P(conv) = 0.8 · (0.5 + 0.25 · 1) + 0.2 · 1 = 0.8;
/// without google ads: 0.2 → removal effect 1 - 0.2/0.8 = 0.75;
/// without mailing: 0.8 · 0.5 = 0.4 → removal effect 1 - 0.4/0.8 = 0.5;
/// credits of the 4 conversions: 4 · 0.75/1.25 = 2.4 and 4 · 0.5/1.25 = 1.6.
#[test]
fn markov_puzyrov_removal_effect_example() {
    let table = paths(&[
        ("google ads", 2, 0.0, 1),
        ("mailing", 1, 0.0, 0),
        ("google ads > mailing", 1, 0.0, 0),
    ]);
    let report = run(
        &[Model::FirstTouch, Model::LastTouch, Model::Linear, MARKOV1],
        &table,
    );
    assert_close(
        removal(&report, MARKOV1, "google ads").0,
        0.75,
        "RE google ads",
    );
    assert_close(removal(&report, MARKOV1, "mailing").0, 0.5, "RE mailing");
    assert_close(credit(&report, MARKOV1, "google ads").0, 2.4, "google ads");
    assert_close(credit(&report, MARKOV1, "mailing").0, 1.6, "mailing");
    // Heuristics by hand: first touch google ads 2 + 1 = 3, mailing 1; last touch 2 and 2;
    // linear google ads 2 + 0.5, mailing 1 + 0.5.
    assert_close(
        credit(&report, Model::FirstTouch, "google ads").0,
        3.0,
        "first",
    );
    assert_close(credit(&report, Model::LastTouch, "mailing").0, 2.0, "last");
    assert_close(
        credit(&report, Model::Linear, "google ads").0,
        2.5,
        "linear",
    );
    assert_close(credit(&report, Model::Linear, "mailing").0, 1.5, "linear");
    // The value is 0 everywhere: nothing to credit, no NaN.
    assert!(
        report
            .models
            .iter()
            .flat_map(|m| &m.channels)
            .all(|c| c.value == 0.0)
    );
}

/// Value credited by value removal effects, as ChannelAttribution draws each conversion's
/// value from the journeys that ended in the same last state. By hand: paths A (1 conversion,
/// value 10) and B (1 conversion, value 30): start > A 1/2, start > B 1/2, both convert.
/// Conversions: removal effects 1/2 each, one conversion each. Value: E[value] = 20; without A
/// 15 (effect 1/4), without B 5 (effect 3/4); credits 40 · 1/4 = 10 and 40 · 3/4 = 30.
#[test]
fn markov_value_by_value_removal_effects() {
    let table = paths(&[("A", 1, 10.0, 0), ("B", 1, 30.0, 0)]);
    let report = run(&[MARKOV1], &table);
    assert_close(removal(&report, MARKOV1, "A").0, 0.5, "RE A");
    assert_close(removal(&report, MARKOV1, "A").1, 0.25, "value RE A");
    assert_close(removal(&report, MARKOV1, "B").1, 0.75, "value RE B");
    assert_eq!(credit(&report, MARKOV1, "A").0, 1.0);
    assert_close(credit(&report, MARKOV1, "A").1, 10.0, "value A");
    assert_close(credit(&report, MARKOV1, "B").1, 30.0, "value B");
}

/// Order 2 against order 1, by hand. Paths A > B (converted) and C > B (not).
/// Order 1: start > A 1/2, start > C 1/2, A > B 1, C > B 1, B > conv 1/2, B > null 1/2;
/// P = 1/2; without A 1/4 (effect 1/2), without C 1/4 (effect 1/2), without B 0 (effect 1):
/// credits A 1/4, B 1/2, C 1/4 (C credited though it never converted: no memory).
/// Order 2 (states the pairs (A,B) and (C,B)): start > (A,B) > conv, start > (C,B) > null;
/// without A or B nothing converts (effect 1), without C all does (effect 0): A 1/2, B 1/2.
#[test]
fn markov_second_order_remembers_where_journeys_came_from() {
    let table = paths(&[("A > B", 1, 8.0, 0), ("C > B", 0, 0.0, 1)]);
    let m2 = Model::Markov { order: 2 };
    let report = run(&[MARKOV1, m2], &table);
    for (channel, first, second) in [("A", 0.25, 0.5), ("B", 0.5, 0.5), ("C", 0.25, 0.0)] {
        assert_close(credit(&report, MARKOV1, channel).0, first, channel);
        assert_close(credit(&report, m2, channel).0, second, channel);
        assert_close(credit(&report, m2, channel).1, 8.0 * second, channel);
    }
    // A path no longer than the order is one state (ChannelAttribution): under order 3, A > B
    // is the single state (A,B), so removing either loses everything.
    let m3 = Model::Markov { order: 3 };
    let report = run(&[m3], &paths(&[("A > B", 2, 0.0, 0), ("B", 1, 0.0, 1)]));
    // By hand: start > (A,B) 2/4 > conv; start > B 2/4 > conv 1/2. P = 3/4.
    // Without A: 1/4 (effect 2/3); without B: 0 (effect 1). Credits 3 · (2/3)/(5/3) = 1.2, 1.8.
    assert_close(credit(&report, m3, "A").0, 1.2, "A");
    assert_close(credit(&report, m3, "B").0, 1.8, "B");
}

/// A loop: repeated and returning channels (A > B > A) keep the system solvable, and a
/// channel repeated in a row is one state (its self-loop changes no absorption probability).
/// By hand: A > B > A (1 conversion), A (1 null): start > A 1; A > B 1/3, A > conv 1/3,
/// A > null 1/3; B > A 1. h_A = 1/3 + 1/3 · h_A, so h_A = 1/2 = P. Without B: 1/3 (effect
/// 1/3); without A: 0 (effect 1). Credits 1 · (1/3)/(4/3) = 1/4 and 3/4.
#[test]
fn markov_with_a_loop_by_hand() {
    let report = run(
        &[MARKOV1],
        &paths(&[("A > B > A", 1, 0.0, 0), ("A > A", 0, 0.0, 1)]),
    );
    assert_close(removal(&report, MARKOV1, "B").0, 1.0 / 3.0, "RE B");
    assert_close(credit(&report, MARKOV1, "B").0, 0.25, "B");
    assert_close(credit(&report, MARKOV1, "A").0, 0.75, "A");
}

/// A path table of our own run through the peer itself: ChannelAttribution 2.2.5 (Python,
/// PyPI), `heuristic_models(D, "path", "total_conversions", var_value=...)` and
/// `markov_model(D, ..., var_null="total_null", order=2, out_more=True, nsim_start=2e7,
/// conv_par=0.0005, seed=7)`. The heuristics are exact and must agree to the digit. The
/// peer's Markov model is a simulation: its order-2 chain here has no loop, so its step cap
/// does not bite, and the exact values must lie within its simulation error (0.2%).
#[test]
fn channel_attribution_2_2_5_on_a_table_of_our_own() {
    let table = paths(&[
        ("search > email > email", 3, 300.0, 7),
        ("display > search", 2, 150.0, 10),
        ("email", 5, 250.0, 5),
        ("display", 0, 0.0, 12),
        ("social > display > search > email", 4, 520.0, 6),
        ("search", 6, 420.0, 14),
        ("social > email", 1, 40.0, 9),
        ("display > social > search", 2, 260.0, 8),
    ]);
    let m2 = Model::Markov { order: 2 };
    let report = run(
        &[Model::FirstTouch, Model::LastTouch, Model::Linear, m2],
        &table,
    );
    // channel, first (conv, value), last (conv, value), linear (conv, value): the peer's
    // output, 12 digits.
    #[rustfmt::skip]
    let heuristics = [
        ("search", (9.0, 720.0), (10.0, 830.0), (9.666666666667, 811.666666666667)),
        ("email", (5.0, 250.0), (13.0, 1110.0), (8.5, 600.0)),
        ("display", (4.0, 410.0), (0.0, 0.0), (2.666666666667, 291.666666666667)),
        ("social", (5.0, 560.0), (0.0, 0.0), (2.166666666667, 236.666666666667)),
    ];
    for (channel, first, last, linear) in heuristics {
        for (model, (c, v)) in [
            (Model::FirstTouch, first),
            (Model::LastTouch, last),
            (Model::Linear, linear),
        ] {
            let (gc, gv) = credit(&report, model, channel);
            assert!(
                (gc - c).abs() < 1e-9 && (gv - v).abs() < 1e-9,
                "{model} {channel}"
            );
        }
    }
    // channel, conversions, value, removal effect (conversions, value): the peer's output.
    #[rustfmt::skip]
    let markov = [
        ("search", 9.0925526117, 774.2654543118, 0.7389594821, 0.8504077708),
        ("email", 6.9551155371, 520.8960120839, 0.5652481536, 0.5721216334),
        ("display", 4.0100232044, 384.6324360663, 0.3258979955, 0.4224577123),
        ("social", 2.9423086468, 260.2060975380, 0.2391239256, 0.2857951186),
    ];
    for (channel, c, v, re, re_value) in markov {
        let (gc, gv) = credit(&report, m2, channel);
        let (gre, gre_value) = removal(&report, m2, channel);
        let near = |got: f64, want: f64| (got - want).abs() <= 2e-3 * want;
        assert!(
            near(gc, c) && near(gv, v),
            "{channel}: {gc} {gv} vs {c} {v}"
        );
        assert!(
            near(gre, re) && near(gre_value, re_value),
            "{channel}: {gre} {gre_value}"
        );
    }
    // Orders 1 and 3, the peer run with `nsim_start=4e6, conv_par=0.002, seed=11` (so 0.4%).
    // The order-1 chain has a loop (display > social > display): the peer simulates at most
    // `max_step` steps and counts longer walks as lost, which with its default (the longest
    // path, 4) takes about 1% off search's credit (8.545); with `max_step=200` its walks end
    // and it agrees with the exact absorption probabilities.
    let m1 = Model::Markov { order: 1 };
    let m3 = Model::Markov { order: 3 };
    let report = run(&[m1, m3], &table);
    #[rustfmt::skip]
    let peer = [
        (m1, "search", 8.5197758011, 713.5833606556, 0.7179848976, 0.7145521335),
        (m1, "email", 6.7070534350, 571.7964953737, 0.5652218070, 0.5725727759),
        (m1, "display", 4.0354169692, 339.0841307576, 0.3400756671, 0.3395444771),
        (m1, "social", 3.7377537947, 315.5360132130, 0.3149907742, 0.3159643902),
        (m3, "search", 8.6868135804, 709.6597372300, 0.7391547498, 0.8505420533),
        (m3, "email", 6.6429179528, 477.3004212075, 0.5652411338, 0.5720545481),
        (m3, "display", 4.0938539314, 400.3462679483, 0.3483431008, 0.4798233842),
        (m3, "social", 3.5764145354, 352.6935736142, 0.3043145529, 0.4227106324),
    ];
    for (model, channel, c, v, re, re_value) in peer {
        let (gc, gv) = credit(&report, model, channel);
        let (gre, gre_value) = removal(&report, model, channel);
        let near = |got: f64, want: f64| (got - want).abs() <= 4e-3 * want;
        assert!(near(gc, c) && near(gv, v), "{model} {channel}: {gc} {gv}");
        assert!(
            near(gre, re) && near(gre_value, re_value),
            "{model} {channel}: {gre}"
        );
    }
}

/// "Data-driven marketing attribution" (towardsdatascience.com, the Shapley section; its
/// notebook github.com/tomgorb/misc, "Data Driven Attribution.ipynb"): 100 conversions by
/// channel set, F 20, O 10, L 17, F+O 17, F+L 30, O+L 0, F+O+L 6; worth of a coalition the
/// conversions of the sets inside it; published Shapley values (as shares) F 0.455,
/// O 0.205, L 0.34.
#[test]
fn shapley_towardsdatascience_example() {
    let table = paths(&[
        ("F", 20, 20.0, 0),
        ("O", 10, 10.0, 0),
        ("L", 17, 17.0, 0),
        ("O > F", 17, 17.0, 3),
        ("L > F", 30, 30.0, 0),
        ("F > O > L", 6, 6.0, 0),
        ("O > L", 0, 0.0, 5),
    ]);
    let report = run(&[Model::Shapley], &table);
    for (channel, share) in [("F", 0.455), ("O", 0.205), ("L", 0.34)] {
        let (c, v) = credit(&report, Model::Shapley, channel);
        assert_close(c, 100.0 * share, channel);
        assert_close(v, 100.0 * share, channel);
    }
}

/// ChannelAttribution's heuristic models (`heuristic_models`): first and last touch credit
/// the end channels; linear splits each path's conversions over its touchpoints, a channel
/// touched twice getting two shares. By hand: C1 > C1 > C2 with 3 conversions and value 30:
/// linear C1 2, C2 1 (value 20, 10); first C1 3; last C2 3.
#[test]
fn heuristics_count_repeated_channels_like_channel_attribution() {
    let report = run(
        &[Model::FirstTouch, Model::LastTouch, Model::Linear],
        &paths(&[("C1 > C1 > C2", 3, 30.0, 4)]),
    );
    assert_eq!(credit(&report, Model::Linear, "C1"), (2.0, 20.0));
    assert_eq!(credit(&report, Model::Linear, "C2"), (1.0, 10.0));
    assert_eq!(credit(&report, Model::FirstTouch, "C1"), (3.0, 30.0));
    assert_eq!(credit(&report, Model::LastTouch, "C2"), (3.0, 30.0));
    assert_eq!(credit(&report, Model::LastTouch, "C1"), (0.0, 0.0));
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, day, hour, 0, 0).unwrap()
}

fn order_rules(lookback_days: i64) -> JourneyRules {
    JourneyRules::new()
        .conversions(ConversionRule::Named(vec!["order".into()]))
        .lookback(TimeDelta::days(lookback_days))
        .unwrap()
}

/// Time decay with a 7-day half-life, by hand: touchpoints 14, 7 and 0 days before a
/// conversion of value 70 weigh 1/4, 1/2 and 1, normalised 1/7, 2/7, 4/7: 10, 20, 40.
/// Position based 40/20/40 on four touchpoints: 0.4, 0.1, 0.1, 0.4; with 30/30 shares: 0.3,
/// 0.2, 0.2, 0.3; a second user with two touchpoints splits 50/50, a third with one gets all.
#[test]
fn time_decay_and_position_based_by_hand() {
    let log = vec![
        EventRecord::<u8>::new(1_u8, at(1, 12)).with_name("display"),
        EventRecord::new(1_u8, at(8, 12)).with_name("search"),
        EventRecord::new(1_u8, at(15, 12)).with_name("email"),
        EventRecord::new(1_u8, at(15, 12))
            .with_name("order")
            .with_amount(70.0),
    ];
    let journeys = fold(JourneySummary::new(order_rules(30)), &log)
        .unwrap()
        .finish()
        .unwrap();
    let report = AttributionParams::new([Model::time_decay()])
        .check()
        .unwrap()
        .attribute(&journeys)
        .unwrap();
    let td = Model::time_decay();
    for (channel, share) in [("display", 1.0), ("search", 2.0), ("email", 4.0)] {
        let (c, v) = credit(&report, td, channel);
        assert_close(c, share / 7.0, channel);
        assert_close(v, 10.0 * share, channel);
    }

    let log = vec![
        EventRecord::<u8>::new(1_u8, at(1, 1)).with_name("a"),
        EventRecord::new(1_u8, at(1, 2)).with_name("b"),
        EventRecord::new(1_u8, at(1, 3)).with_name("c"),
        EventRecord::new(1_u8, at(1, 4)).with_name("d"),
        EventRecord::new(1_u8, at(1, 5))
            .with_name("order")
            .with_amount(100.0),
        EventRecord::new(2_u8, at(1, 1)).with_name("a"),
        EventRecord::new(2_u8, at(1, 2)).with_name("d"),
        EventRecord::new(2_u8, at(1, 3))
            .with_name("order")
            .with_amount(10.0),
        EventRecord::new(3_u8, at(1, 1)).with_name("c"),
        EventRecord::new(3_u8, at(1, 3))
            .with_name("order")
            .with_amount(1.0),
    ];
    let journeys = fold(JourneySummary::new(order_rules(30)), &log)
        .unwrap()
        .finish()
        .unwrap();
    let custom = Model::PositionBased {
        first: 0.3,
        last: 0.3,
    };
    let report = AttributionParams::new([Model::position_based(), custom])
        .check()
        .unwrap()
        .attribute(&journeys)
        .unwrap();
    let pb = Model::position_based();
    // a: 0.4 · 100 + 0.5 · 10; b: 0.1 · 100; c: 0.1 · 100 + 1 · 1; d: 0.4 · 100 + 0.5 · 10.
    assert_close(credit(&report, pb, "a").1, 45.0, "a");
    assert_close(credit(&report, pb, "b").1, 10.0, "b");
    assert_close(credit(&report, pb, "c").1, 11.0, "c");
    assert_close(credit(&report, pb, "d").1, 45.0, "d");
    assert_close(credit(&report, pb, "a").0, 0.9, "a conversions");
    // 30/30: a 0.3 · 100 + 0.5 · 10, b 0.2 · 100.
    assert_close(credit(&report, custom, "a").1, 35.0, "a 30/30");
    assert_close(credit(&report, custom, "b").1, 20.0, "b 30/30");
}

/// Journeys in a lookback window, by hand. User 1 (lookback 7 days): search on the 1st,
/// email on the 10th, order on the 12th, display on the 13th, order on the 14th, social on
/// the 20th. The order of the 12th claims email (search is 11 days old: a journey of its own
/// without conversion); the order of the 14th claims display; social is after the last
/// conversion. User 2 orders with no touchpoint: unattributed. User 3 only touches.
#[test]
fn journeys_in_a_lookback_window_by_hand() {
    let log = vec![
        EventRecord::<&str>::new("u1", at(20, 0)).with_name("social"),
        EventRecord::new("u1", at(1, 0)).with_name("search"),
        EventRecord::new("u1", at(12, 0))
            .with_name("order")
            .with_amount(30.0),
        EventRecord::new("u1", at(10, 0)).with_name("email"),
        EventRecord::new("u1", at(14, 0))
            .with_name("order")
            .with_amount(20.0),
        EventRecord::new("u1", at(13, 0)).with_name("display"),
        EventRecord::new("u2", at(3, 0))
            .with_name("order")
            .with_amount(5.0),
        EventRecord::new("u3", at(3, 0)).with_name("email"),
        EventRecord::new("u3", at(4, 0)).with_name("pageview"),
    ];
    let rules = order_rules(7).channels(ChannelRule::Mapped(
        [
            ("search", "search"),
            ("email", "email"),
            ("display", "paid"),
            ("social", "paid"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect(),
    ));
    let journeys = fold(JourneySummary::new(rules), &log)
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(journeys.channels(), ["email", "paid", "search"]);
    let shown: Vec<(Vec<u32>, Vec<i64>, bool, f64)> = journeys
        .iter()
        .map(|j| {
            (
                j.channels.to_vec(),
                j.lags_ms.to_vec(),
                j.converted,
                j.value,
            )
        })
        .collect();
    let day = 86_400_000;
    assert_eq!(
        shown,
        [
            (vec![2], vec![0], false, 0.0),
            (vec![0], vec![2 * day], true, 30.0),
            (vec![1], vec![day], true, 20.0),
            (vec![1], vec![0], false, 0.0),
            (vec![0], vec![0], false, 0.0),
        ]
    );
    assert_eq!(journeys.unattributed_conversions(), 1);
    assert_eq!(journeys.unattributed_value(), 5.0);
    let table = journeys.paths().unwrap();
    assert_eq!(
        (table.conversions(), table.value(), table.nulls()),
        (2, 50.0, 3)
    );
    let report = AttributionParams::heuristics_and_markov()
        .check()
        .unwrap()
        .attribute(&journeys)
        .unwrap();
    assert_eq!(
        (report.conversions, report.value, report.non_converting),
        (2, 50.0, 3)
    );
    assert_eq!(
        (report.unattributed_conversions, report.unattributed_value),
        (1, 5.0)
    );
}

/// A touchpoint at the conversion's instant belongs to it; a payment rule makes every
/// non-zero amount a conversion; the window's edge is inclusive.
#[test]
fn instants_at_the_edges() {
    let log = vec![
        EventRecord::<u8>::new(1_u8, at(1, 0)).with_name("edge"),
        EventRecord::new(1_u8, at(8, 0))
            .with_name("same")
            .with_amount(0.0),
        EventRecord::new(1_u8, at(8, 0))
            .with_name("checkout")
            .with_amount(9.0),
    ];
    let rules = JourneyRules::new().lookback(TimeDelta::days(7)).unwrap();
    let journeys = fold(JourneySummary::new(rules), &log)
        .unwrap()
        .finish()
        .unwrap();
    let all: Vec<_> = journeys
        .iter()
        .map(|j| (j.channels.len(), j.converted))
        .collect();
    assert_eq!(all, [(2, true)]);
}

#[test]
fn the_table_road_equals_the_event_road() {
    let log: Vec<EventRecord<u32>> = (0..2000_u32)
        .map(|i| {
            let e = EventRecord::new(i % 37, at(1 + i % 27, i % 24));
            match i % 5 {
                0 => e.with_name("order").with_amount(f64::from(i % 7)),
                1 => e.with_name("email"),
                2 => e.with_name("search"),
                3 => e.with_name("pageview").with_amount(1.0),
                _ => e.with_name("display"),
            }
        })
        .collect();
    let table = EventTable::from_events(&log).unwrap();
    for rules in [order_rules(5), JourneyRules::new()] {
        let by_events = fold(JourneySummary::new(rules.clone()), &log)
            .unwrap()
            .finish()
            .unwrap();
        let mut by_table = JourneySummary::new(rules);
        by_table.observe_table(&table).unwrap();
        assert_eq!(by_table.finish().unwrap(), by_events);
    }
    // Bad rows fail alike on both roads: a NaN amount on a touchpoint, a negative order.
    for bad in [
        EventRecord::new(3_u32, at(2, 0))
            .with_name("email")
            .with_amount(f64::NAN),
        EventRecord::new(3_u32, at(2, 0))
            .with_name("order")
            .with_amount(-1.0),
    ] {
        let mut log = log.clone();
        log.insert(10, bad);
        let table = EventTable::from_events(&log).unwrap();
        let by_events = fold(JourneySummary::new(order_rules(5)), &log).unwrap_err();
        let mut by_table = JourneySummary::new(order_rules(5));
        let by_table = by_table.observe_table(&table).unwrap_err();
        // As text: a NaN in the error is not equal to itself.
        assert_eq!(by_table.to_string(), by_events.to_string());
    }
}

#[test]
fn credits_sum_to_conversions_and_value_on_every_model() {
    let log: Vec<EventRecord<u32>> = (0..3000_u32)
        .map(|i| {
            let e = EventRecord::new(i % 101, at(1 + (i * 5) % 28, i % 24));
            match i % 4 {
                0 => e.with_name("order").with_amount(f64::from(1 + i % 13)),
                1 => e.with_name(["email", "search", "display"][(i / 4 % 3) as usize]),
                2 => e.with_name(["social", "email"][(i / 4 % 2) as usize]),
                _ => e.with_name("referral"),
            }
        })
        .collect();
    let journeys: Journeys = fold(JourneySummary::new(order_rules(10)), &log)
        .unwrap()
        .finish()
        .unwrap();
    let models = [
        Model::FirstTouch,
        Model::LastTouch,
        Model::Linear,
        Model::time_decay(),
        Model::position_based(),
        Model::Markov { order: 1 },
        Model::Markov { order: 2 },
        Model::Markov { order: 3 },
        Model::Shapley,
    ];
    let report = AttributionParams::new(models)
        .check()
        .unwrap()
        .attribute(&journeys)
        .unwrap();
    assert!(
        report.conversions > 0 && report.non_converting > 0,
        "{report}"
    );
    for m in &report.models {
        let c: f64 = m.channels.iter().map(|c| c.conversions).sum();
        let v: f64 = m.channels.iter().map(|c| c.value).sum();
        assert_close(c, report.conversions as f64, &m.model.to_string());
        assert_close(v, report.value, &m.model.to_string());
        assert!(
            m.channels
                .iter()
                .all(|c| c.conversions >= 0.0 && c.value >= 0.0)
        );
    }
    let text = report.to_string();
    assert!(
        text.contains("markov(3)") && text.contains("removal effects"),
        "{text}"
    );
}

#[test]
fn caps_and_bad_input_are_clear_errors() {
    // Shapley: 21 channels on one converting path.
    let names: Vec<String> = (0..=MAX_SHAPLEY_CHANNELS)
        .map(|i| format!("c{i}"))
        .collect();
    let mut b = PathTable::builder();
    b.add(&names, 1, 1.0, 0).unwrap();
    let table = b.build();
    let err = AttributionParams::new([Model::Shapley])
        .check()
        .unwrap()
        .attribute_paths(&table);
    assert!(
        matches!(
            err,
            Err(Error::TooLarge {
                name: "shapley channels",
                ..
            })
        ),
        "{err:?}"
    );
    // ... while the Markov model takes them.
    assert!(
        AttributionParams::new([MARKOV1])
            .check()
            .unwrap()
            .attribute_paths(&table)
            .is_ok()
    );

    // Markov: more states than the cap (pairs of 40 channels, order 2).
    let mut b = PathTable::builder();
    for i in 0..40 {
        for j in 0..40 {
            b.add(&[format!("c{i}"), format!("c{j}")], 1, 0.0, 1)
                .unwrap();
        }
    }
    let table = b.build();
    const { assert!(40 * 40 > MAX_MARKOV_STATES) };
    let err = AttributionParams::new([Model::Markov { order: 2 }])
        .check()
        .unwrap()
        .attribute_paths(&table);
    assert!(
        matches!(
            err,
            Err(Error::TooLarge {
                name: "markov states",
                ..
            })
        ),
        "{err:?}"
    );

    // Models out of range.
    for m in [
        Model::TimeDecay {
            half_life_days: 0.0,
        },
        Model::TimeDecay {
            half_life_days: f64::NAN,
        },
        Model::PositionBased {
            first: 0.6,
            last: 0.6,
        },
        Model::PositionBased {
            first: 0.0,
            last: 0.0,
        },
        Model::Markov { order: 0 },
        Model::Markov { order: 9 },
    ] {
        assert!(AttributionParams::new([m]).check().is_err(), "{m:?}");
    }

    // Events: a NaN amount, a negative conversion value, an instant out of range.
    let t = at(1, 0);
    let mut s = JourneySummary::new(order_rules(7));
    assert!(matches!(
        s.observe_one(
            EventRecord::<u8>::new(1_u8, t)
                .with_name("order")
                .with_amount(f64::NAN)
        ),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        s.observe_one(
            EventRecord::<u8>::new(1_u8, t)
                .with_name("order")
                .with_amount(-3.0)
        ),
        Err(Error::Negative { .. })
    ));
    let year0 = Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap();
    assert!(matches!(
        s.observe_one(EventRecord::<u8>::new(1_u8, year0).with_name("email")),
        Err(Error::InstantOutOfRange { .. })
    ));
    assert!(s.is_empty());

    // Path tables: an empty path, a value without conversion, a NaN value.
    let mut b = PathTable::builder();
    assert!(b.add_text("", ">", 1, 0.0, 0).is_err());
    assert!(b.add_text("a > > b", ">", 1, 0.0, 0).is_err());
    assert!(b.add_text("a", ">", 0, 3.0, 1).is_err());
    assert!(b.add_text("a", ">", 1, f64::NAN, 0).is_err());
    assert!(b.add_text("a", "", 1, 1.0, 0).is_err());
    assert!(b.add_text("a", ">", u64::MAX, 0.0, 0).is_ok());
    assert!(matches!(
        b.add_text("b", ">", 1, 0.0, 0),
        Err(Error::Overflow { .. })
    ));

    // Merging summaries with different rules.
    let mut a = JourneySummary::<u8>::new(order_rules(7));
    assert!(matches!(
        a.merge(JourneySummary::new(order_rules(8))),
        Err(Error::MergeMismatch(_))
    ));
}

/// Serialized states that would break the fold's invariants are refused on the way in.
#[test]
fn serialized_states_are_checked() {
    let mut s = JourneySummary::new(order_rules(7));
    s.touch(&1_u8, at(1, 0), "email").unwrap();
    s.convert(&1_u8, at(2, 0), 4.0).unwrap();
    let json = serde_json::to_string(&s).unwrap();
    let back: JourneySummary<u8> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s);
    for (from, to) in [
        ("[0,0,", "[5,0,"),  // unknown user
        ("[0,0,", "[0,3,"),  // unknown channel
        (",4.0]", ",-4.0]"), // negative conversion value
        (
            "\"channels\":[\"email\"]",
            "\"channels\":[\"email\",\"email\"]",
        ), // duplicate channel
    ] {
        let bad = json.replacen(from, to, 1);
        assert_ne!(bad, json, "{from} not in {json}");
        assert!(
            serde_json::from_str::<JourneySummary<u8>>(&bad).is_err(),
            "{bad}"
        );
    }
    let journeys = s.finish().unwrap();
    let json = serde_json::to_string(&journeys).unwrap();
    assert_eq!(serde_json::from_str::<Journeys>(&json).unwrap(), journeys);
    let bad = json.replacen("\"touch_lags_ms\":[", "\"touch_lags_ms\":[-", 1);
    assert!(serde_json::from_str::<Journeys>(&bad).is_err(), "{bad}");
    let table = journeys.paths().unwrap();
    let json = serde_json::to_string(&table).unwrap();
    assert_eq!(serde_json::from_str::<PathTable>(&json).unwrap(), table);
    let bad = json.replacen("\"path\":[0]", "\"path\":[7]", 1);
    assert!(serde_json::from_str::<PathTable>(&bad).is_err(), "{bad}");
}

/// Observes one event (a shorthand for the error checks).
trait ObserveOne<E> {
    fn observe_one(&mut self, event: E) -> userops::Result<()>;
}

impl<S: userops::fold::Fold<E>, E> ObserveOne<E> for S {
    fn observe_one(&mut self, event: E) -> userops::Result<()> {
        self.observe(&event)
    }
}
