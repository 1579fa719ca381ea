//! How good a clustering is: against known classes (`external`: ARI, AMI, NMI,
//! Fowlkes–Mallows, the contingency table) and against its own data (`internal`:
//! silhouette, Davies–Bouldin, Calinski–Harabasz; `summary`: all of them at once, noise left
//! out), with scikit-learn's definitions.

pub mod external;
pub mod internal;
pub mod silhouette;
pub mod summary;
pub mod trustworthiness;

use std::collections::HashMap;

/// Adjusted Rand index (Hubert & Arabie): 1 for identical partitions up to renumbering,
/// about 0 for chance agreement.
pub fn adjusted_rand_index(truth: &[u32], predicted: &[u32]) -> f64 {
    assert_eq!(
        truth.len(),
        predicted.len(),
        "labelings must have the same length"
    );
    external::adjusted_rand(&external::Contingency::from_labels(truth, predicted))
}

/// True when the two labelings are the same partition (labels renumbered one-to-one).
pub fn same_partition(a: &[u32], b: &[u32]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut forward: HashMap<u32, u32> = HashMap::new();
    let mut backward: HashMap<u32, u32> = HashMap::new();
    a.iter()
        .zip(b)
        .all(|(&x, &y)| *forward.entry(x).or_insert(y) == y && *backward.entry(y).or_insert(x) == x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ari_matches_hand_computed_values() {
        assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[5, 5, 3, 3]), 1.0);
        // scikit-learn: adjusted_rand_score([0,0,1,1],[0,0,1,2]) = 0.5714285714285715
        assert!(
            (adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 2]) - 0.571_428_571_428_571_5).abs()
                < 1e-12
        );
        // scikit-learn: adjusted_rand_score([0,0,0,1,1,1],[0,1,0,1,0,1]) = -1/9 (worse than chance)
        assert!(
            (adjusted_rand_index(&[0, 0, 0, 1, 1, 1], &[0, 1, 0, 1, 0, 1]) + 1.0 / 9.0).abs()
                < 1e-12
        );
    }

    #[test]
    fn same_partition_ignores_numbering_only() {
        assert!(same_partition(&[0, 0, 1, 2], &[2, 2, 0, 1]));
        assert!(!same_partition(&[0, 0, 1, 2], &[2, 2, 0, 0]));
        assert!(!same_partition(&[0, 1, 1], &[0, 1, 2]));
    }
}
