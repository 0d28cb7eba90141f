//! Dense dictionaries: every distinct value (a user id, an event name) gets a `u32` index, in
//! first-seen order, so that per-user state lives in plain vectors indexed by it.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::sync::{Arc, Weak};

use hashbrown::HashTable;
use serde::de::{Deserialize, Deserializer, Error as _};
use serde::ser::{Serialize, Serializer};

use crate::{Error, Result};

/// The most values a [`Dictionary`] holds by default: `2^32 − 1`, every index a `u32`.
///
/// This is the one policy at 2³² users for every per-user summary: the next new user is an
/// [`Error::TooManyUsers`], never a wrapped index or a silent drop. Split the data by user
/// (each part under the limit) and fold the parts separately to go beyond it.
pub const MAX_ENTRIES: u32 = u32::MAX;

/// The hasher of every dictionary: foldhash, keyed at random per process (see Cargo.toml).
type Hasher = foldhash::fast::RandomState;

/// Values in first-seen order, each with a dense `u32` index: the user dictionary that a
/// query engine's grouped aggregation builds (group indices computed once, accumulators
/// updated by index).
///
/// Three roads, one result:
/// * the same value as the last one looked up (a run of one user's events) costs one
///   comparison;
/// * while values arrive in ascending order (a log grouped by user, in id order) no hash
///   table is built at all: a greater value is new by construction;
/// * anything else goes through a hash table of indices (foldhash, randomly keyed, so that
///   ids chosen to collide cannot slow it down to quadratic time).
///
/// ```
/// use userops::engine::Dictionary;
///
/// let mut users = Dictionary::new();
/// assert_eq!(users.intern(&"ana")?, 0);
/// assert_eq!(users.intern(&"bo")?, 1);
/// assert_eq!(users.intern(&"ana")?, 0);
/// assert_eq!(users.get(&"bo"), Some(1));
/// assert_eq!(users.value(1), Some(&"bo"));
/// assert_eq!(users.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A clone is cheap (a few reference counts): the values and the lookup table are shared
/// until either copy adds a value, so that a fold can take a table's users as its own
/// without copying a million ids (copy on write, [`Arc::make_mut`]).
#[derive(Clone)]
pub struct Dictionary<T> {
    values: Arc<Vec<T>>,
    /// Indices into `values`; empty while `ascending`.
    table: Arc<HashTable<u32>>,
    hasher: Hasher,
    /// Whether every value so far came in strictly ascending order (no table needed).
    ascending: bool,
    /// The index the last lookup returned (`u32::MAX` for none).
    last: u32,
    limit: u32,
    /// Set while every value was taken from one other dictionary (a table's users, by
    /// [`Dictionary::push_from`]): two parts of one table then merge by index, not by hash.
    origin: Option<Origin<T>>,
}

/// The dictionary a [`Dictionary`]'s values all came from, and each value's index there.
/// The source is held weakly: only its identity is needed (a `Weak` keeps its allocation,
/// so no other dictionary can ever have the same address), never its values.
#[derive(Clone)]
struct Origin<T> {
    source: Weak<Vec<T>>,
    index: Arc<Vec<u32>>,
}

impl<T> Default for Dictionary<T> {
    fn default() -> Self {
        Dictionary {
            values: Arc::new(Vec::new()),
            table: Arc::new(HashTable::new()),
            hasher: Hasher::default(),
            ascending: true,
            last: u32::MAX,
            limit: MAX_ENTRIES,
            origin: None,
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Dictionary<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dictionary")
            .field("len", &self.values.len())
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl<T> Dictionary<T> {
    /// An empty dictionary holding at most [`MAX_ENTRIES`] values.
    ///
    /// ```
    /// assert!(userops::engine::Dictionary::<u64>::new().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty dictionary that refuses more than `limit` values with
    /// [`Error::TooManyUsers`]: a cap on the memory a host's input can claim.
    ///
    /// ```
    /// let mut users = userops::engine::Dictionary::with_limit(1);
    /// users.intern(&7_u64)?;
    /// assert!(users.intern(&8_u64).is_err());
    /// assert_eq!(users.intern(&7_u64)?, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_limit(limit: u32) -> Self {
        Dictionary {
            limit,
            ..Self::default()
        }
    }

    /// Number of distinct values.
    ///
    /// ```
    /// assert_eq!(userops::engine::Dictionary::<u8>::new().len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no value has been interned.
    ///
    /// ```
    /// assert!(userops::engine::Dictionary::<u8>::new().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The value at `index`, if there is one.
    ///
    /// ```
    /// let mut d = userops::engine::Dictionary::new();
    /// d.intern(&"x")?;
    /// assert_eq!(d.value(0), Some(&"x"));
    /// assert_eq!(d.value(1), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn value(&self, index: u32) -> Option<&T> {
        self.values.get(index as usize)
    }

    /// Every value, in index (first-seen) order.
    ///
    /// ```
    /// let mut d = userops::engine::Dictionary::new();
    /// d.intern(&3)?;
    /// d.intern(&1)?;
    /// assert_eq!(d.values(), &[3, 1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn values(&self) -> &[T] {
        &self.values
    }

    /// The values, in index order, without the lookup structure.
    ///
    /// ```
    /// let mut d = userops::engine::Dictionary::new();
    /// d.intern(&"a")?;
    /// assert_eq!(d.into_values(), vec!["a"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn into_values(self) -> Vec<T>
    where
        T: Clone,
    {
        Arc::try_unwrap(self.values).unwrap_or_else(|shared| (*shared).clone())
    }

    /// The cap this dictionary enforces.
    ///
    /// ```
    /// assert_eq!(userops::engine::Dictionary::<u8>::new().limit(), userops::engine::MAX_ENTRIES);
    /// ```
    #[must_use]
    pub fn limit(&self) -> u32 {
        self.limit
    }
}

impl<T: Clone + Eq + Hash + Ord> Dictionary<T> {
    /// Room for `additional` more values without reallocating the value column.
    pub(crate) fn reserve(&mut self, additional: usize) {
        super::pages::reserve(Arc::make_mut(&mut self.values), additional);
    }

    /// The index of `value`, adding it (a clone) at the end when it is new.
    ///
    /// # Errors
    /// [`Error::TooManyUsers`] when `value` is new and the dictionary already holds
    /// [`Dictionary::limit`] values.
    ///
    /// ```
    /// let mut d = userops::engine::Dictionary::new();
    /// assert_eq!((d.intern(&10)?, d.intern(&5)?, d.intern(&10)?), (0, 1, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn intern(&mut self, value: &T) -> Result<u32> {
        self.intern_ref(value)
    }

    /// [`Dictionary::intern`] by a borrowed form (`&str` for `String` values): the owned
    /// value is made only when it is new, so a reader interns each row's id without an
    /// allocation per row.
    ///
    /// # Errors
    /// [`Error::TooManyUsers`] when `value` is new and the dictionary is full.
    ///
    /// ```
    /// let mut d = userops::engine::Dictionary::<String>::new();
    /// assert_eq!((d.intern_ref("ana")?, d.intern_ref("bo")?, d.intern_ref("ana")?), (0, 1, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn intern_ref<Q>(&mut self, value: &Q) -> Result<u32>
    where
        T: Borrow<Q>,
        Q: Hash + Eq + Ord + ToOwned<Owned = T> + ?Sized,
    {
        if let Some(last) = self.values.get(self.last as usize) {
            let last: &Q = last.borrow();
            if last == value {
                return Ok(self.last);
            }
            if self.ascending && last < value && self.last as usize + 1 == self.values.len() {
                return self.push_new(value.to_owned(), None);
            }
        } else if self.values.is_empty() {
            return self.push_new(value.to_owned(), None);
        }
        self.intern_hashed(value)
    }

    /// The index of `value`, if it was interned; by a borrowed form too (`&str` for a
    /// dictionary of `String`s), making no owned value.
    ///
    /// ```
    /// let mut d = userops::engine::Dictionary::new();
    /// d.intern(&"a")?;
    /// assert_eq!((d.get(&"a"), d.get(&"b")), (Some(0), None));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get<Q>(&self, value: &Q) -> Option<u32>
    where
        T: Borrow<Q>,
        Q: Hash + Eq + Ord + ?Sized,
    {
        if self.ascending {
            return self
                .values
                .binary_search_by(|v| v.borrow().cmp(value))
                .ok()
                .and_then(|i| u32::try_from(i).ok());
        }
        let hash = self.hasher.hash_one(value);
        let values = &self.values;
        if let Some(&found) = self
            .table
            .find(hash, |&i| values[i as usize].borrow() == value)
        {
            return Some(found);
        }
        // Values a reader appended without hashing (see `push_distinct`) and not yet indexed.
        let indexed = self.table.len();
        values[indexed..]
            .iter()
            .position(|v| v.borrow() == value)
            .and_then(|i| u32::try_from(indexed + i).ok())
    }

    /// Interns every value of `other` and returns, for each of `other`'s indices, the index
    /// of the same value here: what a merge of two partial states needs to add `other`'s
    /// per-user state to this one's. When every value of `other` is greater than every value
    /// here (parts of a log grouped by user, in order), they are appended without hashing.
    ///
    /// # Errors
    /// [`Error::TooManyUsers`] when the union holds more than [`Dictionary::limit`] values.
    ///
    /// ```
    /// let mut a = userops::engine::Dictionary::new();
    /// a.intern(&"ana")?;
    /// let mut b = userops::engine::Dictionary::new();
    /// b.intern(&"bo")?;
    /// b.intern(&"ana")?;
    /// assert_eq!(a.absorb(&b)?, vec![1, 0]);
    /// assert_eq!(a.values(), &["ana", "bo"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn absorb(&mut self, other: &Dictionary<T>) -> Result<Vec<u32>> {
        if self.is_empty() {
            // All of `other`, shared as it is (values, lookup table and origin).
            if other.len() > self.limit as usize {
                return Err(self.too_many());
            }
            *self = Dictionary {
                limit: self.limit,
                ..other.clone()
            };
            // In range: at most `limit` (a u32) values, checked above.
            return Ok((0..other.len()).map(|i| i as u32).collect());
        }
        if Arc::ptr_eq(&self.values, &other.values) {
            // The same values, shared (two parts of one table's users): the same indices.
            return Ok((0..other.len()).map(|i| i as u32).collect());
        }
        let mut map = Vec::with_capacity(other.len());
        if self.ascending
            && other.ascending
            && match (self.values.last(), other.values.first()) {
                (Some(a), Some(b)) => a < b,
                _ => true,
            }
        {
            let start = self.values.len();
            if start + other.len() > self.limit as usize {
                return Err(self.too_many());
            }
            self.origin = match (self.origin.take(), &other.origin) {
                (Some(mut o), Some(t)) if Weak::ptr_eq(&o.source, &t.source) => {
                    Arc::make_mut(&mut o.index).extend_from_slice(&t.index);
                    Some(o)
                }
                (None, Some(t)) if self.values.is_empty() => Some(t.clone()),
                _ => None,
            };
            Arc::make_mut(&mut self.values).extend_from_slice(&other.values);
            // In range: checked against the limit (a u32) just above.
            map.extend((start..self.values.len()).map(|i| i as u32));
            if let Some(&last) = map.last() {
                self.last = last;
            }
            return Ok(map);
        }
        if let Some(map) = self.absorb_by_origin(other)? {
            return Ok(map);
        }
        Arc::make_mut(&mut self.values).reserve(other.len());
        for value in other.values.iter() {
            map.push(self.intern_hashed(value)?);
        }
        Ok(map)
    }

    /// [`Dictionary::absorb`] of a dictionary whose values came from the same source as
    /// these (two parts of one table): values found by their index in the source, through
    /// an array, with no hashing. `None` when the origins differ.
    fn absorb_by_origin(&mut self, other: &Dictionary<T>) -> Result<Option<Vec<u32>>> {
        let (Some(mine), Some(theirs)) = (&self.origin, &other.origin) else {
            return Ok(None);
        };
        if !Weak::ptr_eq(&mine.source, &theirs.source) {
            return Ok(None);
        }
        let theirs = Arc::clone(&theirs.index);
        let Some(&largest) = mine.index.iter().chain(theirs.iter()).max() else {
            return Ok(Some(Vec::new()));
        };
        // Source index -> index here (`u32::MAX`: not here yet).
        let mut here = vec![u32::MAX; largest as usize + 1];
        for (i, &t) in mine.index.iter().enumerate() {
            // In range: a dictionary holds at most u32::MAX values.
            here[t as usize] = i as u32;
        }
        let mut origin = self.origin.take();
        Arc::make_mut(&mut self.values).reserve(other.len());
        let mut map = Vec::with_capacity(other.len());
        for (value, &t) in other.values.iter().zip(theirs.iter()) {
            let slot = &mut here[t as usize];
            if *slot == u32::MAX {
                *slot = self.push_distinct(value.clone())?;
                if let Some(o) = &mut origin {
                    Arc::make_mut(&mut o.index).push(t);
                }
            }
            map.push(*slot);
        }
        self.origin = origin;
        Ok(Some(map))
    }

    #[inline(never)]
    fn intern_hashed<Q>(&mut self, value: &Q) -> Result<u32>
    where
        T: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = T> + ?Sized,
    {
        if self.ascending || self.table.len() < self.values.len() {
            self.build_table();
        }
        let hash = self.hasher.hash_one(value);
        let Dictionary { values, table, .. } = self;
        if let Some(&found) = table.find(hash, |&i| values[i as usize].borrow() == value) {
            self.last = found;
            return Ok(found);
        }
        self.push_new(value.to_owned(), Some(hash))
    }

    /// Leaves the ascending road, or catches up after [`Dictionary::push_distinct`]: every
    /// value not in the hash table yet goes into it (the table holds indices `0..len` of it).
    #[cold]
    fn build_table(&mut self) {
        self.ascending = false;
        let Dictionary {
            values,
            table,
            hasher,
            ..
        } = self;
        let done = table.len();
        if done == values.len() {
            return;
        }
        let table = Arc::make_mut(table);
        table.reserve(values.len() - done, |&i| {
            hasher.hash_one(&values[i as usize])
        });
        for (i, value) in values.iter().enumerate().skip(done) {
            // In range: `values` never holds more than `limit` (a u32) entries.
            table.insert_unique(hasher.hash_one(value), i as u32, |&j| {
                hasher.hash_one(&values[j as usize])
            });
        }
    }

    /// Appends `value`, which the caller knows is not here yet, without hashing it: a reader
    /// that finds its ids another way ([`super::TextIds`]) builds the dictionary's own table
    /// once at the end ([`Dictionary::index_pending`]) instead of growing it row by row. Until
    /// then the dictionary stays correct: any lookup indexes the values first, and
    /// [`Dictionary::get`] also searches the values not indexed yet.
    pub(crate) fn push_distinct(&mut self, value: T) -> Result<u32> {
        if self.ascending && self.values.last().is_some_and(|last| *last >= value) {
            // Off the ascending road, nothing indexed yet: every value is pending.
            self.ascending = false;
        }
        self.push_new(value, None)
    }

    /// Appends value `t` of `source`, known to be new here (as [`Dictionary::push_distinct`]),
    /// and remembers where it came from while every value here came from `source`: parts
    /// built from one table then [`Dictionary::absorb`] each other by index.
    pub(crate) fn push_from(&mut self, source: &Dictionary<T>, t: u32) -> Result<u32> {
        let Some(value) = source.values.get(t as usize) else {
            return Err(Error::invalid(
                "user",
                format!(
                    "no value with index {t} in a dictionary of {}",
                    source.len()
                ),
            ));
        };
        let origin = match self.origin.take() {
            Some(mut o) if std::ptr::eq(o.source.as_ptr(), Arc::as_ptr(&source.values)) => {
                Arc::make_mut(&mut o.index).push(t);
                Some(o)
            }
            None if self.values.is_empty() => Some(Origin {
                source: Arc::downgrade(&source.values),
                index: Arc::new(vec![t]),
            }),
            _ => None,
        };
        let index = self.push_distinct(value.clone())?;
        self.origin = origin;
        Ok(index)
    }

    /// Indexes the values [`Dictionary::push_distinct`] appended.
    pub(crate) fn index_pending(&mut self) {
        if !self.ascending && self.table.len() < self.values.len() {
            self.build_table();
        }
    }

    fn push_new(&mut self, value: T, hash: Option<u64>) -> Result<u32> {
        self.origin = None;
        let Ok(index) = u32::try_from(self.values.len()) else {
            return Err(self.too_many());
        };
        if index >= self.limit {
            return Err(self.too_many());
        }
        if let Some(hash) = hash {
            let Dictionary {
                values,
                table,
                hasher,
                ..
            } = self;
            Arc::make_mut(table)
                .insert_unique(hash, index, |&j| hasher.hash_one(&values[j as usize]));
        }
        super::pages::push(Arc::make_mut(&mut self.values), value);
        self.last = index;
        Ok(index)
    }

    fn too_many(&self) -> Error {
        Error::TooManyUsers {
            limit: u64::from(self.limit),
        }
    }

    /// A dictionary of `values` in this order.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when a value repeats; [`Error::TooManyUsers`] over the
    /// limit.
    ///
    /// ```
    /// let d = userops::engine::Dictionary::from_values(vec!["b", "a"])?;
    /// assert_eq!(d.get(&"a"), Some(1));
    /// assert!(userops::engine::Dictionary::from_values(vec![1, 1]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_values(values: Vec<T>) -> Result<Self> {
        let mut d = Dictionary::new();
        if values.len() > d.limit as usize {
            return Err(d.too_many());
        }
        let twice = || {
            Error::invalid(
                "dictionary",
                "a value appears twice; every value of a dictionary must be distinct",
            )
        };
        if values.windows(2).all(|w| w[0] < w[1]) {
            // Ascending (a log grouped by user, in id order): distinct, and no table needed.
            d.values = Arc::new(values);
            return Ok(d);
        }
        // The table at its final size at once, each value checked against those before it.
        d.ascending = false;
        {
            let Dictionary { table, hasher, .. } = &mut d;
            let table = Arc::make_mut(table);
            table.reserve(values.len(), |&i| hasher.hash_one(&values[i as usize]));
            for (i, value) in values.iter().enumerate() {
                let hash = hasher.hash_one(value);
                if table
                    .find(hash, |&j| values[j as usize] == *value)
                    .is_some()
                {
                    return Err(twice());
                }
                // In range: at most `limit` (a u32) values, checked above.
                table.insert_unique(hash, i as u32, |&j| hasher.hash_one(&values[j as usize]));
            }
        }
        d.values = Arc::new(values);
        Ok(d)
    }
}

impl<T: Serialize> Serialize for Dictionary<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.values.serialize(serializer)
    }
}

impl<'de, T> Deserialize<'de> for Dictionary<T>
where
    T: Deserialize<'de> + Clone + Eq + Hash + Ord,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let values = Vec::<T>::deserialize(deserializer)?;
        Dictionary::from_values(values).map_err(D::Error::custom)
    }
}

impl<T: PartialEq> PartialEq for Dictionary<T> {
    fn eq(&self, other: &Self) -> bool {
        self.values == other.values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_road_gives_first_seen_indices() {
        // Ascending, then a run, then out of order: the table is built once, mid-way.
        let mut d = Dictionary::new();
        let seen: Vec<u32> = [1, 2, 2, 5, 3, 1, 5, 9, 3]
            .iter()
            .map(|v| d.intern(v).unwrap())
            .collect();
        assert_eq!(seen, [0, 1, 1, 2, 3, 0, 2, 4, 3]);
        assert_eq!(d.values(), &[1, 2, 5, 3, 9]);
        for (i, v) in d.values().iter().enumerate() {
            assert_eq!(d.get(v), Some(i as u32));
        }
        assert_eq!(d.get(&4), None);
    }

    #[test]
    fn distinct_pushes_are_found_before_and_after_indexing() {
        let mut d = Dictionary::new();
        d.intern(&"m").unwrap();
        // "z" keeps the ascending road; "c" leaves it with nothing indexed.
        assert_eq!(d.push_distinct("z").unwrap(), 1);
        assert_eq!(d.push_distinct("c").unwrap(), 2);
        assert_eq!(d.push_distinct("a").unwrap(), 3);
        assert_eq!(
            (d.get(&"c"), d.get(&"a"), d.get(&"m"), d.get(&"q")),
            (Some(2), Some(3), Some(0), None)
        );
        // A lookup by intern indexes the pending values first: no duplicate.
        assert_eq!(d.intern(&"c").unwrap(), 2);
        assert_eq!(d.intern(&"b").unwrap(), 4);
        d.push_distinct("y").unwrap();
        d.index_pending();
        for (i, v) in ["m", "z", "c", "a", "b", "y"].iter().enumerate() {
            assert_eq!(d.get(v), Some(i as u32));
            assert_eq!(d.intern(v).unwrap(), i as u32);
        }
        assert_eq!(d.len(), 6);
        let mut e = Dictionary::new();
        e.push_distinct("c").unwrap();
        e.push_distinct("a").unwrap();
        assert_eq!(d.absorb(&e).unwrap(), [2, 3]);
        assert_eq!(e.absorb(&d).unwrap(), [2, 3, 0, 1, 4, 5]);
    }

    #[test]
    fn from_values_keeps_the_order_and_refuses_repeats_on_both_roads() {
        for values in [vec![1, 4, 9], vec![9, 1, 4, 2]] {
            let mut d = Dictionary::from_values(values.clone()).unwrap();
            assert_eq!(d.values(), values.as_slice());
            for (i, v) in values.iter().enumerate() {
                assert_eq!(d.get(v), Some(i as u32));
                assert_eq!(d.intern(v).unwrap(), i as u32);
            }
            assert_eq!(d.get(&5), None);
            assert_eq!(d.intern(&5).unwrap(), values.len() as u32);
        }
        assert!(Dictionary::from_values(vec![1, 2, 2]).is_err());
        assert!(Dictionary::from_values(vec![3, 1, 3]).is_err());
        assert!(
            Dictionary::from_values(Vec::<u8>::new())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn limit_is_an_error_not_a_wrap() {
        let mut d = Dictionary::with_limit(2);
        d.intern(&"a").unwrap();
        d.intern(&"b").unwrap();
        assert_eq!(d.intern(&"c"), Err(Error::TooManyUsers { limit: 2 }));
        assert_eq!(d.intern(&"a"), Ok(0));
        let mut other = Dictionary::new();
        other.intern(&"z").unwrap();
        assert!(d.absorb(&other).is_err());
    }

    #[test]
    fn absorb_appends_ordered_parts_and_maps_the_rest() {
        let mut a = Dictionary::new();
        for v in [1, 2, 3] {
            a.intern(&v).unwrap();
        }
        let mut b = Dictionary::new();
        for v in [4, 5] {
            b.intern(&v).unwrap();
        }
        assert_eq!(a.absorb(&b).unwrap(), [3, 4]);
        let mut c = Dictionary::new();
        for v in [9, 2] {
            c.intern(&v).unwrap();
        }
        assert_eq!(a.absorb(&c).unwrap(), [5, 1]);
        assert_eq!(a.values(), &[1, 2, 3, 4, 5, 9]);
    }

    fn part(source: &Dictionary<String>, take: &[u32]) -> Dictionary<String> {
        let mut d = Dictionary::new();
        for &t in take {
            d.push_from(source, t).unwrap();
        }
        d
    }

    // Two parts of one source merge by their indices there, to what hashing gives: worked by
    // hand, a = [a, e, d] and b = [d, c, a, b] make [a, e, d, c, b], b's values at 2, 3, 0, 4.
    #[test]
    fn parts_of_one_source_absorb_by_index_as_by_hash() {
        let names = ["e", "b", "d", "a", "c"].map(String::from).to_vec();
        let source = Dictionary::from_values(names).unwrap();
        let mut a = part(&source, &[3, 0, 2]);
        let b = part(&source, &[2, 4, 3, 1]);
        assert!(a.origin.is_some() && b.origin.is_some());
        let mut by_hash = Dictionary::new();
        for v in ["a", "e", "d"] {
            by_hash.intern(&v.to_string()).unwrap();
        }
        let mut b_by_hash = Dictionary::new();
        for v in ["d", "c", "a", "b"] {
            b_by_hash.intern(&v.to_string()).unwrap();
        }
        assert_eq!(a.absorb(&b).unwrap(), [2, 3, 0, 4]);
        assert_eq!(by_hash.absorb(&b_by_hash).unwrap(), [2, 3, 0, 4]);
        assert_eq!(a.values(), by_hash.values());
        assert_eq!(a, by_hash);
        // Still by index with a third part, and every value found by lookup afterwards.
        assert_eq!(a.absorb(&part(&source, &[1, 0])).unwrap(), [4, 1]);
        assert!(a.origin.as_ref().is_some_and(|o| o.index.len() == 5));
        assert_eq!(a.get("c"), Some(3));
        assert_eq!(a.intern(&"b".to_string()).unwrap(), 4);
        assert_eq!(a.intern(&"z".to_string()).unwrap(), 5);
        // A value from anywhere else ends the origin.
        assert!(a.origin.is_none());
        // An empty dictionary takes all of another, origin included.
        let mut empty = Dictionary::new();
        assert_eq!(empty.absorb(&b).unwrap(), [0, 1, 2, 3]);
        assert!(empty.origin.is_some());
    }

    // Parts of two sources (even with equal values) merge by value, never by index.
    #[test]
    fn parts_of_other_sources_absorb_by_hash() {
        let one = Dictionary::from_values(["x", "y"].map(String::from).to_vec()).unwrap();
        let other = Dictionary::from_values(["y", "x"].map(String::from).to_vec()).unwrap();
        let mut a = part(&one, &[0]);
        let b = part(&other, &[1, 0]);
        assert_eq!(a.absorb(&b).unwrap(), [0, 1]);
        assert_eq!(a.values(), ["x", "y"]);
        assert!(a.origin.is_none());
        // Mixed sources in one dictionary: no origin from then on.
        let mut mixed = part(&one, &[1]);
        mixed.push_from(&other, 1).unwrap();
        assert!(mixed.origin.is_none());
        assert_eq!(mixed.values(), ["y", "x"]);
    }

    #[test]
    fn serde_round_trip_and_duplicates_refused() {
        let mut d = Dictionary::new();
        for v in ["x", "a", "m"] {
            d.intern(&v.to_string()).unwrap();
        }
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, r#"["x","a","m"]"#);
        let back: Dictionary<String> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, d);
        assert_eq!(back.get(&"a".to_string()), Some(1));
        assert!(serde_json::from_str::<Dictionary<String>>(r#"["x","x"]"#).is_err());
    }
}
