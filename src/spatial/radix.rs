//! A least-significant-byte radix sort by a `u64` key: two passes over the items per key
//! byte that varies, against the ~log₂ n comparisons of a comparison sort. The planar
//! spanning tree sorts its ~3n candidate edges and the triangulation its points this way;
//! both are the bulk of their work after the triangulation itself.

/// Below this many items a comparison sort is as fast and allocates nothing.
const SMALL: usize = 2048;

/// Sorts `items` by `key` ascending; stable (equal keys keep their order).
pub fn sort_by_u64_key<T: Copy, K: Fn(&T) -> u64>(items: &mut Vec<T>, key: K) {
    if items.len() < SMALL {
        items.sort_by_key(|item| key(item));
        return;
    }
    // One read of the keys finds the bytes that vary; constant bytes need no pass.
    let first = key(&items[0]);
    let varying = items
        .iter()
        .fold(0u64, |acc, item| acc | (key(item) ^ first));
    let mut scratch: Vec<T> = Vec::with_capacity(items.len());
    for byte in 0..8 {
        let shift = byte * 8;
        if (varying >> shift) & 0xff == 0 {
            continue;
        }
        let mut offsets = [0usize; 256];
        for item in items.iter() {
            offsets[((key(item) >> shift) & 0xff) as usize] += 1;
        }
        let mut total = 0;
        for slot in offsets.iter_mut() {
            let count = *slot;
            *slot = total;
            total += count;
        }
        // Every slot below len is written exactly once before it is read.
        scratch.clear();
        let spare = scratch.spare_capacity_mut();
        for item in items.iter() {
            let slot = &mut offsets[((key(item) >> shift) & 0xff) as usize];
            spare[*slot].write(*item);
            *slot += 1;
        }
        // SAFETY: the offsets of the 256 buckets partition 0..len and each item was
        // written to its own slot, so all len slots are initialised.
        unsafe { scratch.set_len(items.len()) };
        std::mem::swap(items, &mut scratch);
    }
}

/// Sorts each run of items with equal `key` (as [`sort_by_u64_key`] left them, adjacent)
/// by `order`: the tie-break of a radix sort by a part of the key.
pub fn sort_runs_by<T, K: Eq, F: Fn(&T) -> K, O: FnMut(&T, &T) -> std::cmp::Ordering>(
    items: &mut [T],
    key: F,
    mut order: O,
) {
    let mut start = 0;
    while start < items.len() {
        let run_key = key(&items[start]);
        let mut end = start + 1;
        while end < items.len() && key(&items[end]) == run_key {
            end += 1;
        }
        if end - start > 1 {
            items[start..end].sort_unstable_by(&mut order);
        }
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn equals_a_stable_comparison_sort() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        for (len, spread) in [
            (10, u64::MAX),
            (5000, u64::MAX),
            (20_000, 1000),
            (70_000, 1 << 40),
        ] {
            let items: Vec<(u64, u32)> = (0..len)
                .map(|i| (rng.gen_range(0..spread), i as u32))
                .collect();
            let mut radix = items.clone();
            sort_by_u64_key(&mut radix, |&(key, _)| key);
            let mut expected = items;
            expected.sort_by_key(|&(key, _)| key);
            assert_eq!(radix, expected, "{len} items");
        }
    }

    #[test]
    fn constant_keys_keep_their_order() {
        let mut items: Vec<(u64, u32)> = (0..5000).map(|i| (7, i)).collect();
        sort_by_u64_key(&mut items, |&(key, _)| key);
        assert!(items.iter().enumerate().all(|(i, item)| item.1 == i as u32));
    }
}
