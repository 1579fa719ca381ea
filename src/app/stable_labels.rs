//! Keeps cluster colours stable without renumbering: cluster ids are always `0..k−1` by
//! size, and each id is given a colour *slot* (which also carries the user's name and
//! visibility). When labels change (a cut moves, parameters change), each new cluster takes
//! the slot of a previous cluster, chosen by an optimal assignment on overlap counts
//! (Hungarian method, via `pathfinding`): the total number of points that keep their
//! colour is as large as it can be. Clusters that match nothing take the lowest free slot,
//! so the palette's first, most distinct colours are used first.

use pathfinding::prelude::{Matrix, kuhn_munkres};

use crate::cluster::NOISE;

/// Above this many clusters on either side the Hungarian method (O(k³)) gives way to a
/// greedy match on the largest overlaps.
const MAX_HUNGARIAN: usize = 512;
/// Above this many (new × old) cluster pairs nothing is matched.
const MAX_PAIRS: usize = 4_000_000;

/// The slot of each id of `labels` (index = id): the slot of the previous cluster it
/// overlaps best (`previous` labels with `previous_slots`), or the lowest slot free.
pub fn slots(previous: &[u32], previous_slots: &[u32], labels: &[u32]) -> Vec<u32> {
    let matched = matching(previous, labels);
    let mut slots: Vec<Option<u32>> = matched
        .iter()
        .map(|old| old.and_then(|old| previous_slots.get(old as usize).copied()))
        .collect();
    let mut taken: Vec<u32> = slots.iter().flatten().copied().collect();
    taken.sort_unstable();
    let mut next = 0u32;
    for slot in slots.iter_mut().filter(|s| s.is_none()) {
        while taken.binary_search(&next).is_ok() {
            next += 1;
        }
        *slot = Some(next);
        next += 1;
    }
    slots.into_iter().flatten().collect()
}

/// Each id of `labels` with the previous cluster (same points, same order) it is assigned
/// to, or None where it overlaps none that is left.
pub fn matching(previous: &[u32], labels: &[u32]) -> Vec<Option<u32>> {
    let (n_new, n_old) = (n_ids(labels), n_ids(previous));
    if previous.len() != labels.len() || n_new == 0 || n_old == 0 || n_new * n_old > MAX_PAIRS {
        return vec![None; n_new];
    }
    let mut overlap = vec![0u32; n_new * n_old];
    for (&new, &old) in labels.iter().zip(previous) {
        if new != NOISE && old != NOISE {
            overlap[new as usize * n_old + old as usize] += 1;
        }
    }
    let mut new_to_old = vec![None; n_new];
    if n_new.max(n_old) <= MAX_HUNGARIAN {
        let size = n_new.max(n_old);
        let weights = Matrix::from_fn(size, size, |(new, old)| {
            if new < n_new && old < n_old {
                overlap[new * n_old + old] as i64
            } else {
                0
            }
        });
        let (_, assignment) = kuhn_munkres(&weights);
        for (new, &old) in assignment.iter().enumerate().take(n_new) {
            if old < n_old && overlap[new * n_old + old] > 0 {
                new_to_old[new] = Some(old as u32);
            }
        }
    } else {
        let mut old_taken = vec![false; n_old];
        let mut pairs: Vec<(u32, usize, usize)> = overlap
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, &c)| (c, i / n_old, i % n_old))
            .collect();
        // Largest overlap first; ties by new id, then old id, so the result is deterministic.
        pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        for (_, new, old) in pairs {
            if new_to_old[new].is_none() && !old_taken[old] {
                new_to_old[new] = Some(old as u32);
                old_taken[old] = true;
            }
        }
    }
    new_to_old
}

/// One more than the largest cluster id (noise not counted).
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

    fn identity(n: u32) -> Vec<u32> {
        (0..n).collect()
    }

    #[test]
    fn a_renumbered_partition_keeps_its_slots() {
        assert_eq!(
            slots(&[0, 0, 1, 1, 2], &identity(3), &[2, 2, 0, 0, 1]),
            vec![1, 2, 0]
        );
    }

    #[test]
    fn a_split_keeps_the_colour_on_its_larger_part() {
        // Old cluster 1 (slot 1, 4 points) splits into 3 + 1; the 3 keep slot 1, the 1
        // takes the lowest free slot, 2.
        let previous = [0, 0, 1, 1, 1, 1];
        let labels = [1, 1, 0, 0, 0, 2];
        assert_eq!(slots(&previous, &identity(2), &labels), vec![1, 0, 2]);
    }

    #[test]
    fn the_assignment_maximises_total_overlap() {
        // New 0 overlaps old 0 by 5 and old 1 by 4; new 1 overlaps old 0 by 4. Greedy
        // (largest overlap first) keeps 5 points' colours; the optimal assignment
        // new 0 -> 1, new 1 -> 0 keeps 8.
        let previous = [0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0];
        let labels = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
        assert_eq!(matching(&previous, &labels), vec![Some(1), Some(0)]);
    }

    #[test]
    fn slots_follow_the_previous_slots_not_the_previous_ids() {
        // The previous result showed id 0 in slot 7 and id 1 in slot 3.
        let previous = [0, 0, 0, 1, 1];
        let labels = [0, 0, 0, 1, 1];
        assert_eq!(slots(&previous, &[7, 3], &labels), vec![7, 3]);
        // A merge keeps the larger cluster's slot; noise takes none.
        let merged = [0, 0, 0, 0, NOISE];
        assert_eq!(slots(&previous, &[7, 3], &merged), vec![7]);
    }

    #[test]
    fn unmatched_clusters_take_the_lowest_free_slots() {
        // k 20 → 3: the three clusters left take whatever slots matched; going back up,
        // new clusters fill slots 0, 1, 2… around them.
        let previous = [0, 0, 0, 1, 1, 1];
        let labels = [0, 0, 1, 2, 2, 3];
        assert_eq!(slots(&previous, &[17, 3], &labels), vec![17, 0, 3, 1]);
    }
}
