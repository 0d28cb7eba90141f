//! Fast grouping of customer rows by exact value: the distinct values of a float column with
//! each row's rank among them (an open-addressing hash table, then a sort of the distinct values
//! only), and an LSD radix sort of packed integer keys. Together they build the unique-row
//! tables of the fits without a comparison sort of a million wide tuples.

/// An empty slot (the bit pattern of a NaN, which checked rows never hold).
const EMPTY: u64 = u64::MAX;

/// The distinct values of a column of `f64` bit patterns, ascending by bit pattern (for
/// non-negative floats the numeric order), and each row's rank among them.
pub(crate) struct Ranked {
    /// Distinct bit patterns, ascending.
    pub distinct: Vec<u64>,
    /// Rank of each row's value in `distinct`.
    pub rank: Vec<u32>,
}

impl Ranked {
    /// Ranks the column `bits` (which must not hold `u64::MAX`, a NaN pattern; rows that do
    /// make it return `None`, as does a column of more than `u32::MAX` values).
    pub(crate) fn new(bits: impl ExactSizeIterator<Item = u64>) -> Option<Ranked> {
        let n = bits.len();
        if n >= u32::MAX as usize {
            return None;
        }
        // Table of (value, id in order of first appearance), load factor at most 1/2.
        let mut cap: usize = 1024;
        let mut table: Vec<(u64, u32)> = vec![(EMPTY, 0); cap];
        let mut first: Vec<u64> = Vec::new();
        let mut ids: Vec<u32> = Vec::with_capacity(n);
        for b in bits {
            if b == EMPTY {
                return None;
            }
            if 2 * (first.len() + 1) > cap {
                cap *= 2;
                table = vec![(EMPTY, 0); cap];
                for (id, &v) in first.iter().enumerate() {
                    let mut s = slot(v, cap);
                    while table[s].0 != EMPTY {
                        s = (s + 1) & (cap - 1);
                    }
                    table[s] = (v, id as u32);
                }
            }
            let mut s = slot(b, cap);
            let id = loop {
                let (v, id) = table[s];
                if v == b {
                    break id;
                }
                if v == EMPTY {
                    let id = first.len() as u32;
                    table[s] = (b, id);
                    first.push(b);
                    break id;
                }
                s = (s + 1) & (cap - 1);
            };
            ids.push(id);
        }
        // Sort the distinct values; rank of each first-appearance id.
        let mut order: Vec<u32> = (0..first.len() as u32).collect();
        order.sort_unstable_by_key(|&id| first[id as usize]);
        let mut rank_of = vec![0_u32; first.len()];
        for (r, &id) in order.iter().enumerate() {
            rank_of[id as usize] = r as u32;
        }
        let distinct = order.iter().map(|&id| first[id as usize]).collect();
        for id in &mut ids {
            *id = rank_of[*id as usize];
        }
        Some(Ranked {
            distinct,
            rank: ids,
        })
    }
}

/// Slot of a value in a table of `cap` (a power of two) slots: Fibonacci hashing.
fn slot(v: u64, cap: usize) -> usize {
    (v.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - cap.trailing_zeros())) as usize
}

/// Bits needed to hold every value `0..=max`.
pub(crate) fn bits_for(max: u64) -> u32 {
    64 - max.leading_zeros()
}

/// Sorts `keys`, whose values all fit in the low `bits` bits, by least-significant-digit
/// radix sort (11-bit digits: three passes for up to 33 bits).
pub(crate) fn radix_sort(keys: &mut Vec<u64>, bits: u32) {
    const DIGIT: u32 = 11;
    if keys.len() < 256 {
        keys.sort_unstable();
        return;
    }
    let mut buf = vec![0_u64; keys.len()];
    let mut shift = 0;
    while shift < bits {
        let mut count = vec![0_usize; 1 << DIGIT];
        let mask = (1_u64 << DIGIT) - 1;
        for &k in keys.iter() {
            count[((k >> shift) & mask) as usize] += 1;
        }
        let mut sum = 0;
        for c in &mut count {
            let here = *c;
            *c = sum;
            sum += here;
        }
        for &k in keys.iter() {
            let d = ((k >> shift) & mask) as usize;
            buf[count[d]] = k;
            count[d] += 1;
        }
        std::mem::swap(keys, &mut buf);
        shift += DIGIT;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_match_a_sort() {
        // 5000 values with many repeats, against sort + dedup + binary search.
        let values: Vec<f64> = (0..5000_u64)
            .map(|i| ((i * 7919) % 613) as f64 / 7.0)
            .collect();
        let r = Ranked::new(values.iter().map(|v| v.to_bits())).unwrap();
        let mut d: Vec<u64> = values.iter().map(|v| v.to_bits()).collect();
        d.sort_unstable();
        d.dedup();
        assert_eq!(r.distinct, d);
        for (v, rank) in values.iter().zip(&r.rank) {
            assert_eq!(d.binary_search(&v.to_bits()).unwrap(), *rank as usize);
        }
        assert!(Ranked::new([1.0_f64.to_bits(), u64::MAX].into_iter()).is_none());
    }

    #[test]
    fn radix_sort_sorts() {
        let mut keys: Vec<u64> = (0..10_000_u64)
            .map(|i| (i * 2_654_435_761) % (1 << 30))
            .collect();
        let mut want = keys.clone();
        want.sort_unstable();
        radix_sort(&mut keys, 30);
        assert_eq!(keys, want);
        assert_eq!(bits_for(0), 0);
        assert_eq!(bits_for(1), 1);
        assert_eq!(bits_for(1023), 10);
        assert_eq!(bits_for(1024), 11);
    }
}
