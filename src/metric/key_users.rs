//! Key users for small-scale, hands-on operations, with a stable hold-out split.

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

use super::summary::truncate;
use crate::{Error, Result};

/// The default (and default maximum) number of key users: about as many as a team can look
/// after by hand.
const DEFAULT_CAP: usize = 1_000;

/// Settings of [`key_users`], checked on construction.
///
/// * `n` — how many users to pick (default 1,000), capped at `cap` (default 1,000);
/// * `holdout_share` — share of picked users held out from the strategy, in `[0, 1)` (default
///   0.1);
/// * `salt` — changes the hold-out split between experiments (default `"userops"`).
///
/// ```
/// use userops::metric::KeyUserParams;
/// let p = KeyUserParams::new(50, 0.2, "spring-campaign")?;
/// assert_eq!(p.n(), 50);
/// assert_eq!(KeyUserParams::new(5_000, 0.1, "x")?.n(), 1_000); // capped
/// assert!(KeyUserParams::new(0, 0.1, "x").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyUserParams {
    n: usize,
    requested: usize,
    cap: usize,
    holdout_share: f64,
    salt: String,
}

impl Default for KeyUserParams {
    fn default() -> Self {
        KeyUserParams {
            n: DEFAULT_CAP,
            requested: DEFAULT_CAP,
            cap: DEFAULT_CAP,
            holdout_share: 0.1,
            salt: "userops".into(),
        }
    }
}

impl KeyUserParams {
    /// `n` users (capped at 1,000) with `holdout_share` held out, split by `salt`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `n` = 0 or a hold-out share outside `[0, 1)`.
    ///
    /// ```
    /// assert!(userops::metric::KeyUserParams::new(10, 1.0, "s").is_err());
    /// ```
    pub fn new(n: usize, holdout_share: f64, salt: impl Into<String>) -> Result<Self> {
        KeyUserParams::with_cap(n, DEFAULT_CAP, holdout_share, salt)
    }

    /// Like [`KeyUserParams::new`] with a cap other than 1,000.
    ///
    /// # Errors
    /// As [`KeyUserParams::new`], and for a cap of 0.
    ///
    /// ```
    /// let p = userops::metric::KeyUserParams::with_cap(5_000, 10_000, 0.1, "s")?;
    /// assert_eq!(p.n(), 5_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_cap(
        n: usize,
        cap: usize,
        holdout_share: f64,
        salt: impl Into<String>,
    ) -> Result<Self> {
        if n == 0 {
            return Err(Error::invalid("n", "pick at least 1 key user"));
        }
        if cap == 0 {
            return Err(Error::invalid("cap", "the cap must be at least 1"));
        }
        if !(holdout_share.is_finite() && (0.0..1.0).contains(&holdout_share)) {
            return Err(Error::invalid(
                "holdout_share",
                format!("must be a share in [0, 1), got {holdout_share}"),
            ));
        }
        Ok(KeyUserParams {
            n: n.min(cap),
            requested: n,
            cap,
            holdout_share,
            salt: salt.into(),
        })
    }

    /// How many users will be picked at most (after the cap).
    ///
    /// ```
    /// assert_eq!(userops::metric::KeyUserParams::default().n(), 1_000);
    /// ```
    #[must_use]
    pub fn n(&self) -> usize {
        self.n
    }

    /// The hold-out share.
    ///
    /// ```
    /// assert_eq!(userops::metric::KeyUserParams::default().holdout_share(), 0.1);
    /// ```
    #[must_use]
    pub fn holdout_share(&self) -> f64 {
        self.holdout_share
    }

    /// The salt.
    ///
    /// ```
    /// assert_eq!(userops::metric::KeyUserParams::default().salt(), "userops");
    /// ```
    #[must_use]
    pub fn salt(&self) -> &str {
        &self.salt
    }
}

/// FNV-1a (64-bit) with little-endian integer writes: the same bytes on every platform.
struct StableHasher(u64);

impl Hasher for StableHasher {
    fn finish(&self) -> u64 {
        // SplitMix64 finaliser spreads FNV's low-entropy high bits.
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }
    fn write_u16(&mut self, i: u16) {
        self.write(&i.to_le_bytes());
    }
    fn write_u32(&mut self, i: u32) {
        self.write(&i.to_le_bytes());
    }
    fn write_u64(&mut self, i: u64) {
        self.write(&i.to_le_bytes());
    }
    fn write_u128(&mut self, i: u128) {
        self.write(&i.to_le_bytes());
    }
    fn write_usize(&mut self, i: usize) {
        self.write(&(i as u64).to_le_bytes());
    }
    fn write_i8(&mut self, i: i8) {
        self.write_u8(i as u8);
    }
    fn write_i16(&mut self, i: i16) {
        self.write_u16(i as u16);
    }
    fn write_i32(&mut self, i: i32) {
        self.write_u32(i as u32);
    }
    fn write_i64(&mut self, i: i64) {
        self.write_u64(i as u64);
    }
    fn write_i128(&mut self, i: i128) {
        self.write_u128(i as u128);
    }
    fn write_isize(&mut self, i: isize) {
        self.write_usize(i as usize);
    }
}

/// Whether `user` is held out: a hash of the salt and the user id (FNV-1a over the id's
/// [`Hash`] bytes, integers little-endian, then a SplitMix64 finaliser), mapped to `[0, 1)`
/// and compared with `share`. No random state: the same user, salt and share give the same
/// answer in any order, on any machine, in every run.
///
/// ```
/// use userops::metric::holdout;
/// assert_eq!(holdout(&42_u64, "spring", 0.5), holdout(&42_u64, "spring", 0.5));
/// assert!(!holdout(&42_u64, "spring", 0.0));
/// let held = (0..10_000_u64).filter(|u| holdout(u, "spring", 0.1)).count();
/// assert!((900..1100).contains(&held), "{held}");
/// ```
pub fn holdout<U: Hash + ?Sized>(user: &U, salt: &str, share: f64) -> bool {
    let mut h = StableHasher(0xcbf2_9ce4_8422_2325);
    h.write(salt.as_bytes());
    h.write_u8(0xff);
    user.hash(&mut h);
    let unit = (h.finish() >> 11) as f64 / (1_u64 << 53) as f64;
    unit < share
}

/// One key user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyUser<U> {
    /// Rank (1 = highest score).
    pub rank: usize,
    /// The user.
    pub user: U,
    /// The score they were ranked by.
    pub score: f64,
    /// Whether the user is in the hold-out group (not treated).
    pub holdout: bool,
}

/// The top users by a score, split into treatment and hold-out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyUsers<U> {
    /// The rule the users were ranked by (e.g. "value score").
    pub rule: String,
    /// How many were asked for.
    pub requested: usize,
    /// The cap.
    pub cap: usize,
    /// How many users were eligible.
    pub eligible: usize,
    /// Users to treat.
    pub treatment: usize,
    /// Users held out.
    pub holdout: usize,
    /// The picked users, by rank.
    pub users: Vec<KeyUser<U>>,
}

impl<U: fmt::Debug> fmt::Display for KeyUsers<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "key users by {}: {} picked of {} eligible (asked {}, cap {}); {} to treat, {} held out",
            self.rule,
            self.users.len(),
            self.eligible,
            self.requested,
            self.cap,
            self.treatment,
            self.holdout
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "{:>5} {:<20} {:>12} group",
            "rank", "user", "value score"
        )?;
        crate::report::rows(f, &self.users, "users", |f, u| {
            writeln!(
                f,
                "{:>5} {:<20} {:>12.3} {}",
                u.rank,
                truncate(&format!("{:?}", u.user), 20),
                u.score,
                if u.holdout { "hold-out" } else { "treat" }
            )
        })
    }
}

/// The top `params.n()` users by `score` (highest first, ties by user id), each assigned to
/// treatment or hold-out by [`holdout`]. `candidates` can be every user with their value score
/// or the users a candidate rule picked (conversion candidates with their engagement, say).
/// Scores that are not finite are left out.
///
/// ```
/// use userops::metric::{key_users, KeyUserParams};
/// let scored = vec![("ann", 3.0), ("bob", 9.0), ("cid", 5.0), ("dee", 9.0)];
/// let picked = key_users("value score", scored, &KeyUserParams::new(3, 0.0, "s")?);
/// let names: Vec<_> = picked.users.iter().map(|u| u.user).collect();
/// assert_eq!(names, ["bob", "dee", "cid"]);
/// assert_eq!((picked.treatment, picked.holdout), (3, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn key_users<U: Hash + Ord>(
    rule: &str,
    candidates: impl IntoIterator<Item = (U, f64)>,
    params: &KeyUserParams,
) -> KeyUsers<U> {
    let mut all: Vec<(U, f64)> = candidates
        .into_iter()
        .filter(|(_, s)| s.is_finite())
        .collect();
    let eligible = all.len();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    all.truncate(params.n);
    let users: Vec<KeyUser<U>> = all
        .into_iter()
        .enumerate()
        .map(|(i, (user, score))| KeyUser {
            rank: i + 1,
            holdout: holdout(&user, &params.salt, params.holdout_share),
            user,
            score,
        })
        .collect();
    let held = users.iter().filter(|u| u.holdout).count();
    KeyUsers {
        rule: rule.to_string(),
        requested: params.requested,
        cap: params.cap,
        eligible,
        treatment: users.len() - held,
        holdout: held,
        users,
    }
}
