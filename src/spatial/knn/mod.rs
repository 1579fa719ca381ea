//! Each row's k nearest other rows under a [`Metric`], for the embedding maps (UMAP,
//! t-SNE) and the neighbour list the window shows for a clicked point.
//!
//! - Exact: the k-d tree for up to [`KD_TREE_MAX_DIMS`] columns (Euclidean; cosine on unit
//!   rows, where the order is the same), else blocked products of query rows against
//!   candidate rows (faer's GEMM: ‖x‖² + ‖y‖² − 2x·y, or 1 − x·y on unit rows), with a
//!   direct scan for Manhattan.
//! - Approximate: NN-descent (Dong, Moses & Li 2011, as pynndescent runs it) from a
//!   random-projection forest, for tables where n² · d is too much to scan.
//!
//! Both order a row's neighbours by (distance, row) and give distances recomputed in f64
//! from the rows, so what follows them does not depend on how they were found.

mod brute;
mod descent;

use std::borrow::Cow;

use rayon::prelude::*;

pub use descent::DescentOptions;

use super::metric::{Metric, unit_rows};
use super::{KD_TREE_MAX_DIMS, KdTree};
use crate::matrix::Matrix;

/// Scans of at most this many distance terms (n² · d) are exact under `auto`.
pub const EXACT_MAX_WORK: f64 = 2e11;

/// Each row's k nearest other rows, nearest first.
#[derive(Clone, Debug)]
pub struct KnnGraph {
    pub k: usize,
    pub metric: Metric,
    /// n × k rows.
    pub indices: Vec<u32>,
    /// n × k distances under `metric`.
    pub distances: Vec<f32>,
    /// True when found exactly (not by NN-descent).
    pub exact: bool,
}

impl KnnGraph {
    pub fn n_rows(&self) -> usize {
        self.indices.len() / self.k.max(1)
    }

    /// Row `row`'s neighbours and their distances.
    pub fn of(&self, row: usize) -> (&[u32], &[f32]) {
        let span = row * self.k..(row + 1) * self.k;
        (&self.indices[span.clone()], &self.distances[span])
    }

    /// Share of the true neighbours this graph lists, against an exact one.
    pub fn recall(&self, exact: &KnnGraph) -> f64 {
        let n = self.n_rows();
        let found: usize = (0..n)
            .into_par_iter()
            .map(|row| {
                let (ours, _) = self.of(row);
                let (truth, _) = exact.of(row);
                ours.iter().filter(|i| truth.contains(i)).count()
            })
            .sum();
        found as f64 / (n * self.k).max(1) as f64
    }
}

/// How neighbours are found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KnnMethod {
    /// Exact while n² · d ≤ [`EXACT_MAX_WORK`] or the k-d tree serves, else NN-descent.
    #[default]
    Auto,
    Exact,
    Approximate,
}

/// Why no graph came back.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum KnnError {
    #[error(
        "{k} neighbours asked of {n} rows: n_neighbors must be at least 1 and below the row count"
    )]
    TooManyNeighbours { k: usize, n: usize },
    #[error(
        "row {0} is all zeros: its cosine distance to other rows is undefined (leave it out or use another metric)"
    )]
    ZeroRow(usize),
    #[error("cancelled")]
    Cancelled,
}

/// The k-NN graph of `points` under `metric`.
pub fn knn_graph(
    points: &Matrix,
    k: usize,
    metric: Metric,
    method: KnnMethod,
    seed: u64,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<KnnGraph, KnnError> {
    let n = points.n_rows;
    if k == 0 || k >= n {
        return Err(KnnError::TooManyNeighbours { k, n });
    }
    // Cosine searches its own unit-length copy, which NN-descent may then reorder in place.
    let searched = if metric == Metric::Cosine {
        Cow::Owned(unit_rows(points).map_err(KnnError::ZeroRow)?)
    } else {
        Cow::Borrowed(points)
    };
    let d = points.n_cols;
    let tree_serves = d <= KD_TREE_MAX_DIMS;
    let exact = match method {
        KnnMethod::Exact => true,
        KnnMethod::Approximate => false,
        KnnMethod::Auto => tree_serves || (n as f64).powi(2) * d as f64 <= EXACT_MAX_WORK,
    };
    let mut indices = if exact && tree_serves {
        tree_neighbours(&searched, k, metric, cancelled)?
    } else if exact {
        brute::nearest(&searched, k, metric, cancelled)?
    } else {
        descent::nearest(searched, k, metric, &DescentOptions::new(seed), cancelled)?
    };
    let distances = exact_distances(points, &mut indices, k, metric)
        .into_iter()
        .map(|d| d as f32)
        .collect();
    Ok(KnnGraph {
        k,
        metric,
        indices,
        distances,
        exact,
    })
}

/// The k-d tree's neighbours (measured by `metric`; cosine rows come unit length), queried
/// in tree order.
fn tree_neighbours(
    points: &Matrix,
    k: usize,
    metric: Metric,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<Vec<u32>, KnnError> {
    let n = points.n_rows;
    let tree = KdTree::build_for(points, metric);
    let mut by_position = vec![0u32; n * k];
    by_position
        .par_chunks_mut(k)
        .enumerate()
        .with_min_len(256)
        .for_each_init(Vec::new, |best, (pos, out)| {
            if cancelled() {
                return;
            }
            tree.k_nearest(tree.index[pos] as usize, k, best);
            for (slot, &(_, other)) in out.iter_mut().zip(best.iter()) {
                *slot = other;
            }
        });
    if cancelled() {
        return Err(KnnError::Cancelled);
    }
    let mut indices = vec![0u32; n * k];
    for (pos, found) in by_position.chunks_exact(k).enumerate() {
        let row = tree.index[pos] as usize;
        indices[row * k..(row + 1) * k].copy_from_slice(found);
    }
    Ok(indices)
}

/// Every listed neighbour's distance under `metric` in f64 from the original rows, each
/// row's list (`k` entries of `indices`) re-sorted by (distance, row): the neighbours a
/// search found in f32, made exact for whatever follows (maps, LOF, k-NN distance).
pub fn exact_distances(points: &Matrix, indices: &mut [u32], k: usize, metric: Metric) -> Vec<f64> {
    let mut distances = vec![0.0f64; indices.len()];
    distances
        .par_chunks_mut(k)
        .zip(indices.par_chunks_mut(k))
        .enumerate()
        .for_each(|(row, (out, neighbours))| {
            let x = points.row(row);
            let mut pairs: Vec<(f64, u32)> = neighbours
                .iter()
                .map(|&other| (metric.distance(x, points.row(other as usize)), other))
                .collect();
            pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for ((slot, index), (distance, other)) in
                out.iter_mut().zip(neighbours.iter_mut()).zip(pairs)
            {
                *slot = distance;
                *index = other;
            }
        });
    distances
}

/// Keeps the k smallest (distance, row) pairs, ascending; equal distances by row.
#[derive(Clone, Debug)]
pub(crate) struct TopK {
    pub items: Vec<(f32, u32)>,
    k: usize,
}

impl TopK {
    pub fn new(k: usize) -> Self {
        Self {
            items: Vec::with_capacity(k + 1),
            k,
        }
    }

    /// The largest kept distance, infinite until k are kept.
    #[inline(always)]
    pub fn bound(&self) -> f32 {
        if self.items.len() < self.k {
            f32::INFINITY
        } else {
            self.items[self.k - 1].0
        }
    }

    /// Offers a pair; true when it was kept. A row already kept is not kept twice.
    #[inline(always)]
    pub fn offer(&mut self, distance: f32, row: u32) -> bool {
        let candidate = (distance, row);
        if self.items.len() == self.k && candidate >= self.items[self.k - 1] {
            return false;
        }
        if self.items.iter().any(|&(_, r)| r == row) {
            return false;
        }
        let at = self.items.partition_point(|item| *item < candidate);
        self.items.insert(at, candidate);
        self.items.truncate(self.k);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::gaussian_blobs;

    fn never() -> bool {
        false
    }

    /// Every pair scanned in f64: the reference the faster searches must equal.
    fn scan(points: &Matrix, k: usize, metric: Metric) -> Vec<u32> {
        let n = points.n_rows;
        let mut out = Vec::with_capacity(n * k);
        for i in 0..n {
            let mut all: Vec<(f64, u32)> = (0..n)
                .filter(|&j| j != i)
                .map(|j| (metric.distance(points.row(i), points.row(j)), j as u32))
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            out.extend(all[..k].iter().map(|p| p.1));
        }
        out
    }

    fn agreement(a: &[u32], b: &[u32], k: usize) -> f64 {
        let same: usize = a
            .chunks(k)
            .zip(b.chunks(k))
            .map(|(x, y)| x.iter().filter(|i| y.contains(i)).count())
            .sum();
        same as f64 / a.len() as f64
    }

    #[test]
    fn exact_searches_equal_a_scan_of_every_pair() {
        for (d, metric) in [
            (3, Metric::Euclidean),
            (3, Metric::Cosine),
            (40, Metric::Euclidean),
            (40, Metric::Cosine),
            (5, Metric::Manhattan),
        ] {
            let points = gaussian_blobs(500, d, 4, 2.0, 9).points;
            let graph = knn_graph(&points, 7, metric, KnnMethod::Exact, 0, &never).unwrap();
            let truth = scan(&points, 7, metric);
            // Distances computed in f32 may order two near-equal neighbours differently
            // before the f64 recount; the sets must agree.
            assert!(
                agreement(&graph.indices, &truth, 7) > 0.999,
                "{metric} d={d}"
            );
            for row in 0..points.n_rows {
                let (found, distances) = graph.of(row);
                for (&j, &dist) in found.iter().zip(distances) {
                    let expected = metric.distance(points.row(row), points.row(j as usize));
                    assert!((dist as f64 - expected).abs() <= 1e-6 * expected.max(1.0));
                }
                assert!(distances.windows(2).all(|w| w[0] <= w[1]));
            }
        }
    }

    #[test]
    fn nn_descent_finds_nearly_every_true_neighbour() {
        let points = gaussian_blobs(3000, 24, 10, 3.0, 4).points;
        for metric in [Metric::Euclidean, Metric::Cosine, Metric::Manhattan] {
            let exact = knn_graph(&points, 10, metric, KnnMethod::Exact, 0, &never).unwrap();
            let approx = knn_graph(&points, 10, metric, KnnMethod::Approximate, 7, &never).unwrap();
            assert!(!approx.exact);
            let recall = approx.recall(&exact);
            assert!(recall > 0.95, "{metric}: recall {recall}");
            // Seeded: the same graph twice.
            let again = knn_graph(&points, 10, metric, KnnMethod::Approximate, 7, &never).unwrap();
            assert_eq!(approx.indices, again.indices);
        }
    }

    #[test]
    fn bad_requests_are_refused() {
        let points = gaussian_blobs(10, 2, 2, 1.0, 1).points;
        assert_eq!(
            knn_graph(&points, 10, Metric::Euclidean, KnnMethod::Auto, 0, &never).unwrap_err(),
            KnnError::TooManyNeighbours { k: 10, n: 10 }
        );
        let zero = Matrix::from_rows(&[vec![1.0, 0.0], vec![0.0, 0.0], vec![0.5, 0.5]]);
        assert_eq!(
            knn_graph(&zero, 1, Metric::Cosine, KnnMethod::Auto, 0, &never).unwrap_err(),
            KnnError::ZeroRow(1)
        );
    }

    #[test]
    fn top_k_keeps_the_smallest_once_each() {
        let mut top = TopK::new(3);
        for (d, r) in [(5.0, 1), (1.0, 2), (3.0, 3), (1.0, 2), (0.5, 4), (3.0, 0)] {
            top.offer(d, r);
        }
        assert_eq!(top.items, vec![(0.5, 4), (1.0, 2), (3.0, 0)]);
        assert_eq!(top.bound(), 3.0);
    }
}
