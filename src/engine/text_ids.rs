//! Text user ids as files hold them, looked up by a packed key in one flat table: what the
//! readers put in front of a table's `Dictionary<String>`.
//!
//! A dictionary of strings finds an id through three places in memory (its hash table, the
//! value column, the string's own bytes), each a cache miss once a log has more users than
//! the cache holds: three misses per row of a time-ordered log. Most ids are short (numbers,
//! short codes), so this table packs an id into its slot — text of up to 8 bytes as the bytes,
//! a decimal number of up to 19 digits as its value — next to its index: one miss per row,
//! and a batch of rows asks for the slots of the rows ahead before it needs them. Longer ids
//! go to the dictionary as before. The dictionary stays the record of the users (their order
//! and their text); this table only finds them faster.

use std::hash::BuildHasher;

use super::Dictionary;
use crate::Result;

/// What [`TextIds::intern_all`] gives for an id that is new when the dictionary is full.
pub(crate) const FULL: u32 = u32::MAX;

/// The tag of an empty slot.
const EMPTY: u32 = 0;
/// The tag of a canonical decimal number (no sign, no leading zero) of 9 to 19 digits.
const DECIMAL: u32 = 16;

/// An id packed into 12 bytes: `tag` says how `bits` holds it (1–8: that many bytes of text;
/// [`DECIMAL`]: a number), so that two ids are equal exactly when their keys are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    bits: u64,
    tag: u32,
}

impl Key {
    /// The key of `id`, or `None` for an id that does not pack (longer text, or empty).
    #[inline]
    pub(crate) fn of(id: &str) -> Option<Key> {
        Key::of_bytes(id.as_bytes())
    }

    /// [`Key::of`] for the bytes of an id's text.
    #[inline]
    pub(crate) fn of_bytes(b: &[u8]) -> Option<Key> {
        if !b.is_empty() && b.len() <= 8 {
            let mut word = [0_u8; 8];
            word[..b.len()].copy_from_slice(b);
            // In range: at most 8.
            return Some(Key {
                bits: u64::from_le_bytes(word),
                tag: b.len() as u32,
            });
        }
        if !(9..=19).contains(&b.len()) || b[0] == b'0' {
            return None;
        }
        let mut value = 0_u64;
        for &c in b {
            if !c.is_ascii_digit() {
                return None;
            }
            value = value.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
        }
        Some(Key {
            bits: value,
            tag: DECIMAL,
        })
    }
}

impl Key {
    /// The key of the decimal text of `value`, without writing the text.
    #[inline]
    pub(crate) fn of_u64(value: u64) -> Option<Key> {
        if value < 100_000_000 {
            let mut word = [0_u8; 8];
            let mut v = value;
            let mut digits = 1;
            while v >= 10 {
                v /= 10;
                digits += 1;
            }
            let mut v = value;
            for d in (0..digits).rev() {
                // In range: a digit.
                word[d] = b'0' + (v % 10) as u8;
                v /= 10;
            }
            Some(Key {
                bits: u64::from_le_bytes(word),
                tag: digits as u32,
            })
        } else if value < 10_000_000_000_000_000_000 {
            Some(Key {
                bits: value,
                tag: DECIMAL,
            })
        } else {
            None
        }
    }

    /// The key of the decimal text of `value` (a minus sign before a negative one).
    #[inline]
    pub(crate) fn of_i64(value: i64) -> Option<Key> {
        match u64::try_from(value) {
            Ok(v) => Key::of_u64(v),
            Err(_) => Key::of(&value.to_string()),
        }
    }
}

/// The keyed hash of [`Key`]s that a [`TextIds`] uses: a copy lets a reader hash its rows'
/// keys on other threads before they are looked up.
#[derive(Clone)]
pub(crate) struct KeyHasher(foldhash::fast::RandomState);

impl KeyHasher {
    /// The hash of `key`.
    #[inline]
    pub(crate) fn hash(&self, key: Key) -> u64 {
        self.0.hash_one((key.bits, key.tag))
    }
}

/// One slot: a key and the dictionary index of its id (16 bytes, four to a cache line).
#[derive(Clone, Copy)]
#[repr(C, align(16))]
struct Slot {
    bits: u64,
    tag: u32,
    index: u32,
}

const FREE: Slot = Slot {
    bits: 0,
    tag: EMPTY,
    index: 0,
};

/// Packed ids and their dictionary indices: open addressing, linear probing, at most three
/// quarters full; keys hashed with the dictionaries' randomly keyed foldhash, so that ids
/// chosen to collide cannot make it quadratic.
pub(crate) struct TextIds {
    slots: Vec<Slot>,
    used: usize,
    hasher: KeyHasher,
    /// The last id found, for a run of one user's rows (a log grouped by user).
    last: Option<(Key, u32)>,
    /// How many values the dictionary held when this table last looked at it.
    known: usize,
}

impl std::fmt::Debug for TextIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextIds")
            .field("ids", &self.used)
            .field("slots", &self.slots.len())
            .finish_non_exhaustive()
    }
}

/// Rows looked up together: the slots of the rows this far ahead are asked for first.
const AHEAD: usize = 16;

impl TextIds {
    /// A table that knows every short id already in `users`.
    pub(crate) fn new(users: &Dictionary<String>) -> Self {
        let mut ids = TextIds {
            slots: Vec::new(),
            used: 0,
            hasher: KeyHasher(foldhash::fast::RandomState::default()),
            last: None,
            known: 0,
        };
        ids.sync(users);
        ids
    }

    #[inline]
    fn hash(&self, key: Key) -> u64 {
        self.hasher.hash(key)
    }

    /// The hasher of this table's keys (see [`TextIds::intern_hashed`]).
    pub(crate) fn hasher(&self) -> &KeyHasher {
        &self.hasher
    }

    /// The index of every id of a batch into `out`, in order, adding new ids to `users` in
    /// the order they come: the same indices as one id at a time, with the
    /// slots of the rows ahead asked for before they are needed. `keys` holds each id's
    /// [`Key`] (`None` for one that does not pack); `text(i, buf)` writes id `i`'s text into
    /// the empty `buf`, asked only for ids that are new or do not pack. An id that is new
    /// when `users` is full gets [`FULL`] (the caller rejects its row or stops), and the
    /// batch goes on.
    pub(crate) fn intern_all(
        &mut self,
        users: &mut Dictionary<String>,
        keys: &[Option<Key>],
        text: impl FnMut(usize, &mut String),
        out: &mut Vec<u32>,
    ) {
        let hashes: Vec<u64> = keys.iter().map(|k| k.map_or(0, |k| self.hash(k))).collect();
        self.intern_hashed(users, keys, &hashes, text, out);
    }

    /// [`TextIds::intern_all`] with each key's hash made already (by [`TextIds::hasher`],
    /// anything for a `None` key): what a reader that hashed its keys on other threads calls.
    pub(crate) fn intern_hashed(
        &mut self,
        users: &mut Dictionary<String>,
        keys: &[Option<Key>],
        hashes: &[u64],
        mut text: impl FnMut(usize, &mut String),
        out: &mut Vec<u32>,
    ) {
        debug_assert_eq!(keys.len(), hashes.len());
        out.reserve(keys.len());
        let mut buf = String::new();
        for (i, (&key, &hash)) in keys.iter().zip(hashes).enumerate() {
            if let Some(&ahead) = hashes.get(i + AHEAD) {
                self.prefetch(ahead);
            }
            let index = match key {
                Some(key) => match self.lookup(key, hash) {
                    Some(index) => Ok(index),
                    None => {
                        buf.clear();
                        text(i, &mut buf);
                        self.add(users, &buf, key, hash)
                    }
                },
                None => {
                    buf.clear();
                    text(i, &mut buf);
                    self.intern_long(users, &buf)
                }
            };
            // The only error of both is a full dictionary.
            out.push(index.unwrap_or(FULL));
        }
    }

    #[inline]
    fn prefetch(&self, hash: u64) {
        let mask = self.slots.len().wrapping_sub(1);
        if let Some(slot) = self.slots.get(hash as usize & mask) {
            userops_prefetch::prefetch(slot);
        }
    }

    /// The index of `key`: the last one found (a run of one user's rows), or from the slots.
    #[inline]
    fn lookup(&mut self, key: Key, hash: u64) -> Option<u32> {
        if let Some((last, index)) = self.last {
            if last == key {
                return Some(index);
            }
        }
        let index = self.find(key, hash)?;
        self.last = Some((key, index));
        Some(index)
    }

    /// A key not in the slots: its id added to `users` and its index kept.
    fn add(
        &mut self,
        users: &mut Dictionary<String>,
        id: &str,
        key: Key,
        hash: u64,
    ) -> Result<u32> {
        if users.len() != self.known {
            // Values added to the dictionary another way: their keys first, and this one
            // may be among them.
            self.sync(users);
            if let Some(index) = self.find(key, hash) {
                return Ok(index);
            }
        }
        // Every value of `users` with a key is in the slots: this id is new there.
        let index = users.push_distinct(id.to_owned())?;
        self.known = users.len();
        if (self.used + 1) * 4 > self.slots.len() * 3 {
            self.grow_for(self.used + 1);
        }
        self.insert(key, hash, index);
        self.last = Some((key, index));
        Ok(index)
    }

    /// An id with no key, through the dictionary's own table.
    fn intern_long(&mut self, users: &mut Dictionary<String>, id: &str) -> Result<u32> {
        if users.len() != self.known {
            self.sync(users);
        }
        let index = users.intern_ref(id)?;
        self.known = users.len();
        Ok(index)
    }

    /// The keys of the values added to `users` since this table last looked.
    #[cold]
    fn sync(&mut self, users: &Dictionary<String>) {
        let from = self.known.min(users.len());
        self.grow_for(self.used + (users.len() - from));
        for (i, id) in users.values().iter().enumerate().skip(from) {
            if let Some(key) = Key::of(id) {
                // In range: a dictionary holds at most u32::MAX values.
                self.insert(key, self.hash(key), i as u32);
            }
        }
        self.known = users.len();
    }

    #[inline]
    fn find(&self, key: Key, hash: u64) -> Option<u32> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut i = hash as usize & mask;
        loop {
            let slot = &self.slots[i];
            if slot.tag == EMPTY {
                return None;
            }
            if slot.bits == key.bits && slot.tag == key.tag {
                return Some(slot.index);
            }
            i = (i + 1) & mask;
        }
    }

    /// Puts a key that is not in the table yet; the table has room (at most 3/4 full).
    fn insert(&mut self, key: Key, hash: u64, index: u32) {
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        while self.slots[i].tag != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = Slot {
            bits: key.bits,
            tag: key.tag,
            index,
        };
        self.used += 1;
    }

    /// Room for `n` keys at most 3/4 full: the slots are rebuilt at the new size.
    #[cold]
    fn grow_for(&mut self, n: usize) {
        let want = (n.max(1024) * 4 / 3 + 1).next_power_of_two();
        if want <= self.slots.len() {
            return;
        }
        let old = std::mem::replace(&mut self.slots, super::column(want));
        self.slots.resize(want, FREE);
        self.used = 0;
        for slot in old.into_iter().filter(|s| s.tag != EMPTY) {
            let key = Key {
                bits: slot.bits,
                tag: slot.tag,
            };
            self.insert(key, self.hash(key), slot.index);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One id through a batch of one; `None` when the dictionary is full.
    fn intern(ids: &mut TextIds, users: &mut Dictionary<String>, id: &str) -> Option<u32> {
        let mut out = Vec::new();
        ids.intern_all(users, &[Key::of(id)], |_, buf| buf.push_str(id), &mut out);
        (out[0] != FULL).then_some(out[0])
    }

    #[test]
    fn keys_are_equal_exactly_when_ids_are() {
        let ids = [
            "1",
            "01",
            "12345678",
            "123456789",
            "0123456789",
            "999999999999999999",
            "9999999999999999999",
            "18446744073709551615",
            "18446744073709551616",
            "ana",
            "ana\0",
            "ünï",
            "abcdefgh",
            "abcdefghi",
        ];
        for (i, a) in ids.iter().enumerate() {
            for (j, b) in ids.iter().enumerate() {
                let (ka, kb) = (Key::of(a), Key::of(b));
                if let (Some(ka), Some(kb)) = (ka, kb) {
                    assert_eq!(ka == kb, i == j, "{a} vs {b}");
                }
            }
        }
        // 9 to 19 digits without a leading zero pack as numbers; 20 digits and other long
        // text do not pack at all.
        assert!(Key::of("123456789").is_some_and(|k| k.tag == DECIMAL));
        assert!(Key::of("0123456789").is_none());
        assert!(Key::of("18446744073709551615").is_none());
        assert!(Key::of("abcdefghi").is_none());
        assert!(Key::of("").is_none());
        // Numbers pack as their decimal text does.
        for v in [
            0_u64,
            7,
            99_999_999,
            100_000_000,
            123_456_789_012,
            9_999_999_999_999_999_999,
            10_000_000_000_000_000_000,
            u64::MAX,
        ] {
            assert!(Key::of_u64(v) == Key::of(&v.to_string()), "{v}");
        }
        for v in [-1_i64, -9_999_999, -99_999_999, i64::MIN, 5, i64::MAX] {
            assert!(Key::of_i64(v) == Key::of(&v.to_string()), "{v}");
        }
    }

    #[test]
    fn same_indices_as_the_dictionary_row_by_row_and_in_batches() {
        let ids: Vec<String> = (0..5000_u64)
            .map(|i| match i % 4 {
                0 => format!("{}", (i * 7919) % 1300),
                1 => format!("{}", 100_000_000_000 + (i * 31) % 977),
                2 => format!("user-{}", (i * 13) % 211),
                _ => format!("a-rather-long-user-id-{}", i % 57),
            })
            .collect();
        let mut plain = Dictionary::<String>::new();
        let expected: Vec<u32> = ids.iter().map(|s| plain.intern_ref(s).unwrap()).collect();

        let mut users = Dictionary::<String>::new();
        let mut one = TextIds::new(&users);
        let got: Vec<u32> = ids
            .iter()
            .map(|s| intern(&mut one, &mut users, s).unwrap())
            .collect();
        assert_eq!(got, expected);
        assert_eq!(users.values(), plain.values());

        let mut users = Dictionary::<String>::new();
        let mut batch = TextIds::new(&users);
        let mut got = Vec::new();
        for part in ids.chunks(333) {
            let keys: Vec<Option<Key>> = part.iter().map(|s| Key::of(s)).collect();
            batch.intern_all(&mut users, &keys, |i, buf| buf.push_str(&part[i]), &mut got);
        }
        assert_eq!(got, expected);
        assert_eq!(users.values(), plain.values());
    }

    #[test]
    fn ids_already_in_the_dictionary_keep_their_indices() {
        let mut users = Dictionary::<String>::new();
        users.intern_ref("42").unwrap();
        users.intern_ref("bo").unwrap();
        let mut ids = TextIds::new(&users);
        // Added behind the table's back: still found, not added twice.
        users.intern_ref("7").unwrap();
        assert_eq!(intern(&mut ids, &mut users, "bo").unwrap(), 1);
        assert_eq!(intern(&mut ids, &mut users, "7").unwrap(), 2);
        assert_eq!(intern(&mut ids, &mut users, "42").unwrap(), 0);
        assert_eq!(intern(&mut ids, &mut users, "new").unwrap(), 3);
        assert_eq!(users.len(), 4);
    }

    #[test]
    fn a_full_dictionary_is_an_error_not_a_wrong_index() {
        let mut users = Dictionary::<String>::with_limit(2);
        let mut ids = TextIds::new(&users);
        assert_eq!(intern(&mut ids, &mut users, "a").unwrap(), 0);
        assert_eq!(intern(&mut ids, &mut users, "b").unwrap(), 1);
        assert!(intern(&mut ids, &mut users, "c").is_none());
        assert_eq!(intern(&mut ids, &mut users, "a").unwrap(), 0);
        let mut out = Vec::new();
        let batch = ["b", "zz", "a"];
        let keys: Vec<Option<Key>> = batch.iter().map(|s| Key::of(s)).collect();
        ids.intern_all(&mut users, &keys, |i, buf| buf.push_str(batch[i]), &mut out);
        assert_eq!(out, vec![1, FULL, 0]);
    }
}
