//! RFM entry points on arbitrary input: segment-rule JSON, customer rows and scoring params.
//! Never panics; every score is in 1..=bins and no promised number is NaN.
#![no_main]

use libfuzzer_sys::fuzz_target;
use userops::rfm::{CustomerRow, Method, RfmTable, ScoreParams, SegmentRules};

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    // Segment rules from arbitrary JSON text.
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(rules) = SegmentRules::from_json(text) {
            let _ = rules.unreachable((5, 5, 5));
        }
    }
    // Customer rows from the bytes: each 6 bytes = recency (u16), orders (u8), monetary (i16 ~ refunds), flag.
    let bins = 2 + data[0] % 8;
    let method = match data[1] % 4 {
        0 => Method::Quantile,
        1 => Method::Ntile,
        2 => Method::RfmR,
        _ => Method::Breaks(data.iter().take(4).map(|b| f64::from(*b)).collect()),
    };
    // Breaks give one score more than they have breaks, whatever `bins` says.
    let top = match &method {
        Method::Breaks(b) => b.len() as u8 + 1,
        _ => bins,
    };
    let rows: Vec<CustomerRow<u32>> = data[2..]
        .chunks_exact(6)
        .enumerate()
        .map(|(i, c)| {
            let rec = f64::from(u16::from_le_bytes([c[0], c[1]]));
            let mon = f64::from(i16::from_le_bytes([c[3], c[4]]));
            let rec = if c[5] == 255 {
                f64::NAN
            } else if c[5] == 254 {
                f64::INFINITY
            } else {
                rec
            };
            CustomerRow::new(i as u32, rec, u64::from(c[2]), mon)
        })
        .collect();
    let Ok(table) = RfmTable::from_customers(rows) else {
        return;
    };
    let Ok(scorer) = ScoreParams::new(method).bins(bins).check() else {
        return;
    };
    if let Ok(scores) = scorer.score(&table) {
        for c in &scores.customers {
            for s in [c.r, c.f, c.m] {
                assert!((1..=top).contains(&s), "score {s} outside 1..={top}");
            }
            assert!(c.score_sum.is_finite());
        }
        if let Ok(seg) = SegmentRules::standard().segment(&scores) {
            assert_eq!(
                seg.summary.iter().map(|s| s.customers).sum::<u64>() as usize,
                scores.customers.len()
            );
        }
    }
});
