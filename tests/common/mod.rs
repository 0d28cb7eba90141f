//! Logs shared by several integration test files (`mod common;` in each).

/// Events in the logs of [`projection_logs`]: 2^17, long enough for a fold's `observe_many`
/// into an empty summary to reserve room for the whole once a sixteenth is folded.
pub const LONG_LOG: u32 = 1 << 17;

/// The user of each event of two logs of [`LONG_LOG`] events, with the number of distinct
/// users worked out by hand from the construction:
/// * "few then many": an eighth of the log for 4 users (4,096 events each), then one event a
///   user, so a projection from the first sixteenth falls far short;
/// * "many then few": an eighth of the log one event a user, then 4,096 events a user, so the
///   projection is far over.
pub fn projection_logs() -> [(&'static str, Vec<u32>, usize); 2] {
    let n = LONG_LOG;
    let few_then_many = (0..n)
        .map(|i| if i < n / 8 { i / 4096 } else { 1_000 + i })
        .collect();
    let many_then_few = (0..n)
        .map(|i| if i < n / 8 { i } else { n + i / 4096 })
        .collect();
    [
        ("few then many", few_then_many, (4 + (n - n / 8)) as usize),
        (
            "many then few",
            many_then_few,
            (n / 8 + (n - n / 8) / 4096) as usize,
        ),
    ]
}

/// How many distinct users `users` holds (to check a hand count against).
pub fn distinct_users(users: &[u32]) -> usize {
    let mut ids = users.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}
