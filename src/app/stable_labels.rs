//! Keeps cluster colours stable: when labels change (a cut moves, parameters change), each
//! new cluster takes the id — hence the colour — of the previous cluster it overlaps most.
//! Greedy on overlap counts: when a cut refines the tree, the larger part of a split
//! cluster keeps its colour and the smaller part gets a fresh one.

use crate::cluster::NOISE;

/// Above this many (new × old) cluster pairs the labels are left as they are.
const MAX_PAIRS: usize = 4_000_000;

/// `labels` renumbered to agree with `previous` (same points, same order) where they overlap.
/// Noise stays noise; unmatched clusters take the smallest ids not in use, in order.
pub fn match_to_previous(previous: &[u32], labels: &[u32]) -> Vec<u32> {
    let count = |l: &[u32]| {
        l.iter()
            .filter(|&&x| x != NOISE)
            .max()
            .map_or(0, |&m| m as usize + 1)
    };
    let (n_new, n_old) = (count(labels), count(previous));
    if previous.len() != labels.len() || n_new == 0 || n_old == 0 || n_new * n_old > MAX_PAIRS {
        return labels.to_vec();
    }
    let mut overlap = vec![0u32; n_new * n_old];
    for (&new, &old) in labels.iter().zip(previous) {
        if new != NOISE && old != NOISE {
            overlap[new as usize * n_old + old as usize] += 1;
        }
    }
    let mut pairs: Vec<(u32, usize, usize)> = overlap
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(i, &c)| (c, i / n_old, i % n_old))
        .collect();
    // Largest overlap first; ties by new id, then old id, so the result is deterministic.
    pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut new_to_id = vec![u32::MAX; n_new];
    let mut old_taken = vec![false; n_old.max(n_new)];
    for (_, new, old) in pairs {
        if new_to_id[new] == u32::MAX && !old_taken[old] {
            new_to_id[new] = old as u32;
            old_taken[old] = true;
        }
    }
    let mut taken = old_taken;
    taken.resize(n_old + n_new, false);
    let mut next_free = 0;
    for id in new_to_id.iter_mut().filter(|id| **id == u32::MAX) {
        while taken[next_free] {
            next_free += 1;
        }
        *id = next_free as u32;
        taken[next_free] = true;
    }
    labels
        .iter()
        .map(|&l| {
            if l == NOISE {
                NOISE
            } else {
                new_to_id[l as usize]
            }
        })
        .collect()
}

/// Clusters after renumbering may leave gaps (an old id no longer used); sizes must cover
/// the largest id.
pub fn n_ids(labels: &[u32]) -> usize {
    labels
        .iter()
        .filter(|&&l| l != NOISE)
        .max()
        .map_or(0, |&m| m as usize + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renumbered_partition_maps_back() {
        assert_eq!(
            match_to_previous(&[0, 0, 1, 1, 2], &[2, 2, 0, 0, 1]),
            vec![0, 0, 1, 1, 2]
        );
    }

    #[test]
    fn a_split_keeps_the_colour_on_its_larger_part() {
        // Old cluster 1 (4 points) splits into 3 + 1; the 3 keep id 1, the 1 gets id 2.
        let previous = [0, 0, 1, 1, 1, 1];
        let labels = [0, 0, 1, 1, 1, 2];
        assert_eq!(
            match_to_previous(&previous, &labels),
            vec![0, 0, 1, 1, 1, 2]
        );
        let shuffled = [2, 2, 0, 0, 0, 1];
        assert_eq!(
            match_to_previous(&previous, &shuffled),
            vec![0, 0, 1, 1, 1, 2]
        );
    }

    #[test]
    fn a_merge_keeps_the_larger_colour_and_noise_stays_noise() {
        let previous = [0, 0, 0, 1, 2, 2, NOISE];
        let labels = [1, 1, 1, 1, 0, 0, NOISE];
        assert_eq!(
            match_to_previous(&previous, &labels),
            vec![0, 0, 0, 0, 2, 2, NOISE]
        );
        assert_eq!(n_ids(&[0, 0, 0, 0, 2, 2, NOISE]), 3);
    }
}
