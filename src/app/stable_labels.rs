//! Keeps cluster colours stable: when labels change (a cut moves, parameters change), each
//! new cluster takes the id — hence the colour and name — of a previous cluster, chosen by
//! an optimal assignment on overlap counts (Hungarian method, via `pathfinding`): the
//! total number of points that keep their colour is as large as it can be.

use pathfinding::prelude::{Matrix, kuhn_munkres};

use crate::cluster::NOISE;

/// Above this many clusters on either side the Hungarian method (O(k³)) gives way to a
/// greedy match on the largest overlaps.
const MAX_HUNGARIAN: usize = 512;
/// Above this many (new × old) cluster pairs the labels are left as they are.
const MAX_PAIRS: usize = 4_000_000;

/// `labels` renumbered to agree with `previous` (same points, same order) where they overlap.
/// Noise stays noise; unmatched clusters take the smallest ids not in use, in order.
#[cfg(test)]
pub fn match_to_previous(previous: &[u32], labels: &[u32]) -> Vec<u32> {
    apply(labels, &matching(previous, labels))
}

/// `labels` with each id `l` replaced by `map[l]` (noise kept).
pub fn apply(labels: &[u32], map: &[u32]) -> Vec<u32> {
    labels
        .iter()
        .map(|&l| if l == NOISE { NOISE } else { map[l as usize] })
        .collect()
}

/// The id each label of `labels` takes (index = label): the previous cluster it is
/// assigned to, or a fresh id.
pub fn matching(previous: &[u32], labels: &[u32]) -> Vec<u32> {
    let (n_new, n_old) = (n_ids(labels), n_ids(previous));
    let identity = || (0..n_new as u32).collect::<Vec<u32>>();
    if previous.len() != labels.len() || n_new == 0 || n_old == 0 || n_new * n_old > MAX_PAIRS {
        return identity();
    }
    let mut overlap = vec![0u32; n_new * n_old];
    for (&new, &old) in labels.iter().zip(previous) {
        if new != NOISE && old != NOISE {
            overlap[new as usize * n_old + old as usize] += 1;
        }
    }
    let mut new_to_id = vec![u32::MAX; n_new];
    let mut old_taken = vec![false; n_old];
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
                new_to_id[new] = old as u32;
                old_taken[old] = true;
            }
        }
    } else {
        let mut pairs: Vec<(u32, usize, usize)> = overlap
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, &c)| (c, i / n_old, i % n_old))
            .collect();
        // Largest overlap first; ties by new id, then old id, so the result is deterministic.
        pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        for (_, new, old) in pairs {
            if new_to_id[new] == u32::MAX && !old_taken[old] {
                new_to_id[new] = old as u32;
                old_taken[old] = true;
            }
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
    new_to_id
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
    fn the_assignment_maximises_total_overlap() {
        // New 0 overlaps old 0 by 5 and old 1 by 4; new 1 overlaps old 0 by 4. Greedy
        // (largest overlap first) keeps 5 points' colours; the optimal assignment
        // new 0 -> 1, new 1 -> 0 keeps 8.
        let previous = [0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0];
        let labels = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
        assert_eq!(matching(&previous, &labels), vec![1, 0]);
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
