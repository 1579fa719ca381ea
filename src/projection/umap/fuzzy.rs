//! UMAP's fuzzy neighbour graph, as umap-learn builds it (`smooth_knn_dist`,
//! `compute_membership_strengths`, the fuzzy union): each row's distances to its
//! neighbours are shifted by the nearest one (ρ) and scaled (σ) so that the memberships
//! sum to log₂ k, then the directed memberships a, aᵀ are joined as a + aᵀ − a∘aᵀ.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::spatial::knn::KnnGraph;

const SMOOTH_K_TOLERANCE: f64 = 1e-5;
const MIN_K_DIST_SCALE: f64 = 1e-3;
const SEARCH_STEPS: usize = 64;

/// A symmetric graph in compressed rows (no self-loops), each row's columns ascending.
#[derive(Clone, Debug, PartialEq)]
pub struct FuzzyGraph {
    pub row_starts: Vec<u32>,
    pub columns: Vec<u32>,
    pub weights: Vec<f32>,
}

impl FuzzyGraph {
    pub fn n_rows(&self) -> usize {
        self.row_starts.len() - 1
    }

    pub fn n_edges(&self) -> usize {
        self.columns.len()
    }

    /// Row `r`'s (column, weight) entries.
    pub fn row(&self, r: usize) -> impl Iterator<Item = (u32, f32)> + '_ {
        let span = self.row_starts[r] as usize..self.row_starts[r + 1] as usize;
        self.columns[span.clone()]
            .iter()
            .copied()
            .zip(self.weights[span].iter().copied())
    }

    /// The weight of edge (a, b), 0 when absent.
    pub fn weight(&self, a: usize, b: u32) -> f32 {
        self.row(a).find(|&(c, _)| c == b).map_or(0.0, |(_, w)| w)
    }
}

/// ρ and σ of each row (umap-learn's `smooth_knn_dist` with local connectivity 1 and
/// bandwidth 1). `knn` lists k − 1 other rows; the row itself counts as the k-th
/// neighbour at distance 0, as umap-learn's neighbour lists include it.
pub fn smooth_distances(knn: &KnnGraph) -> (Vec<f64>, Vec<f64>) {
    let n = knn.n_rows();
    let k = knn.k + 1;
    let target = (k as f64).log2();
    let mean_all: f64 = knn.distances.iter().map(|&d| d as f64).sum::<f64>() / (n * k) as f64;
    (0..n)
        .into_par_iter()
        .map(|row| {
            let (_, distances) = knn.of(row);
            let rho = distances
                .iter()
                .map(|&d| d as f64)
                .find(|&d| d > 0.0)
                .unwrap_or(0.0);
            let (mut lo, mut hi, mut mid) = (0.0f64, f64::INFINITY, 1.0f64);
            for _ in 0..SEARCH_STEPS {
                let sum: f64 = distances
                    .iter()
                    .map(|&d| {
                        let shifted = d as f64 - rho;
                        if shifted > 0.0 {
                            (-shifted / mid).exp()
                        } else {
                            1.0
                        }
                    })
                    .sum();
                if (sum - target).abs() < SMOOTH_K_TOLERANCE {
                    break;
                }
                if sum > target {
                    hi = mid;
                    mid = (lo + hi) / 2.0;
                } else {
                    lo = mid;
                    if hi.is_infinite() {
                        mid *= 2.0;
                    } else {
                        mid = (lo + hi) / 2.0;
                    }
                }
            }
            let mut sigma = mid;
            if rho > 0.0 {
                let mean_row = distances.iter().map(|&d| d as f64).sum::<f64>() / k as f64;
                sigma = sigma.max(MIN_K_DIST_SCALE * mean_row);
            } else {
                sigma = sigma.max(MIN_K_DIST_SCALE * mean_all);
            }
            (rho, sigma)
        })
        .unzip()
}

/// The fuzzy union of the directed memberships exp(−(d − ρ)/σ).
pub fn fuzzy_graph(knn: &KnnGraph) -> FuzzyGraph {
    let n = knn.n_rows();
    let (rhos, sigmas) = smooth_distances(knn);
    let directed: Vec<Vec<(u32, f32)>> = (0..n)
        .into_par_iter()
        .map(|row| {
            let (others, distances) = knn.of(row);
            others
                .iter()
                .zip(distances)
                .map(|(&other, &d)| {
                    let shifted = d as f64 - rhos[row];
                    let strength = if shifted <= 0.0 || sigmas[row] == 0.0 {
                        1.0
                    } else {
                        (-shifted / sigmas[row]).exp()
                    };
                    (other, strength as f32)
                })
                .collect()
        })
        .collect();
    // a + aᵀ − a∘aᵀ: gather each row's entries from both directions.
    let mut reverse: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
    for (row, entries) in directed.iter().enumerate() {
        for &(other, w) in entries {
            reverse[other as usize].push((row as u32, w));
        }
    }
    let rows: Vec<Vec<(u32, f32)>> = directed
        .into_par_iter()
        .zip(reverse.into_par_iter())
        .map(|(forward, backward)| {
            let mut joined: HashMap<u32, (f32, f32)> = HashMap::with_capacity(forward.len() * 2);
            for (c, w) in forward {
                joined.entry(c).or_insert((0.0, 0.0)).0 = w;
            }
            for (c, w) in backward {
                joined.entry(c).or_insert((0.0, 0.0)).1 = w;
            }
            let mut entries: Vec<(u32, f32)> = joined
                .into_iter()
                .map(|(c, (a, b))| (c, a + b - a * b))
                .filter(|&(_, w)| w > 0.0)
                .collect();
            entries.sort_unstable_by_key(|&(c, _)| c);
            entries
        })
        .collect();
    let mut row_starts = Vec::with_capacity(n + 1);
    row_starts.push(0u32);
    let mut columns = Vec::new();
    let mut weights = Vec::new();
    for entries in rows {
        for (c, w) in entries {
            columns.push(c);
            weights.push(w);
        }
        row_starts.push(columns.len() as u32);
    }
    FuzzyGraph {
        row_starts,
        columns,
        weights,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spatial::metric::Metric;

    fn graph(indices: Vec<u32>, distances: Vec<f32>, k: usize) -> KnnGraph {
        KnnGraph {
            k,
            metric: Metric::Euclidean,
            indices,
            distances,
            exact: true,
        }
    }

    #[test]
    fn memberships_sum_to_log2_k_after_the_nearest_is_taken_out() {
        // Row 0: neighbours at 1, 2, 4 (k = 4 counting itself).
        let knn = graph(
            vec![1, 2, 3, 0, 2, 3, 0, 1, 3, 0, 1, 2],
            vec![1.0, 2.0, 4.0, 1.0, 1.5, 3.0, 2.0, 1.5, 2.5, 4.0, 3.0, 2.5],
            3,
        );
        let (rhos, sigmas) = smooth_distances(&knn);
        assert_eq!(rhos[0], 1.0);
        let sum: f64 = [1.0f64, 2.0, 4.0]
            .iter()
            .map(|d| (-(d - rhos[0]).max(0.0) / sigmas[0]).exp())
            .sum();
        assert!((sum - 2.0).abs() < 1e-4, "sum {sum}");
    }

    #[test]
    fn the_union_is_symmetric_with_a_plus_b_minus_ab() {
        let knn = graph(
            vec![1, 2, 0, 2, 1, 0],
            vec![1.0, 3.0, 1.0, 2.0, 2.0, 3.0],
            2,
        );
        let g = fuzzy_graph(&knn);
        for a in 0..3 {
            for (b, w) in g.row(a) {
                assert_eq!(w, g.weight(b as usize, a as u32));
                assert!(w > 0.0 && w <= 1.0);
            }
        }
        // Each row's nearest neighbour has membership 1, so every union with it is 1.
        assert_eq!(g.weight(0, 1), 1.0);
    }
}
