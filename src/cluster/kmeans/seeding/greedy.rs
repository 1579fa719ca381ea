//! Greedy k-means++ seeding (Arthur & Vassilvitskii, with scikit-learn's 2 + ln k local
//! trials), seeded so the same seed always gives the same initial centroids.
//!
//! Each step is two passes over the rows: one scores every local trial at once (their
//! distances come from one [`lanes`] tile), one folds the winner into the distances to
//! the nearest chosen centre. Sums run per block of [`BLOCK`] rows and then over the
//! blocks in order, so the result does not depend on the number of threads.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use crate::cluster::{ClusterError, RunContext};
use crate::matrix::Matrix;
use crate::spatial::lanes::{self, CandidateTile, LANES};

/// Rows per block of the sums.
pub(super) const BLOCK: usize = 1024;

/// Picks `n_clusters` rows of `points` as initial centroids (row-major `n_clusters × d`).
pub fn kmeans_plus_plus(
    points: &Matrix,
    n_clusters: usize,
    seed: u64,
    context: &RunContext,
) -> Result<Vec<f32>, ClusterError> {
    weighted_kmeans_plus_plus(points, None, n_clusters, seed, context)
}

/// k-means++ where row `i` counts `weights[i]` times (k-means‖ reclusters its candidates
/// this way); `None` weighs every row 1.
pub(super) fn weighted_kmeans_plus_plus(
    points: &Matrix,
    weights: Option<&[f64]>,
    n_clusters: usize,
    seed: u64,
    context: &RunContext,
) -> Result<Vec<f32>, ClusterError> {
    let n = points.n_rows;
    let d = points.n_cols;
    if d == 0 {
        return Ok(Vec::new());
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let n_local_trials = (2 + (n_clusters as f64).ln().floor() as usize).min(LANES);

    let mut centroids = Vec::with_capacity(n_clusters * d);
    let first = rng.gen_range(0..n);
    centroids.extend_from_slice(points.row(first));
    let mut nearest = Nearest::new(points, weights, points.row(first));

    for _ in 1..n_clusters {
        context.check_cancelled()?;
        let potential = nearest.potential();
        let candidates: Vec<usize> = (0..n_local_trials)
            .map(|_| {
                if potential > 0.0 {
                    nearest.sample(rng.r#gen::<f64>() * potential)
                } else {
                    // Every point coincides with a centroid: any choice is as good.
                    rng.gen_range(0..n)
                }
            })
            .collect();
        let rows: Vec<&[f32]> = candidates.iter().map(|&c| points.row(c)).collect();
        let potentials = nearest.potentials_with(&CandidateTile::new(&rows, d));
        // The first candidate wins ties, as a sequential scan with `<` would have it.
        let mut best = 0;
        for (c, &p) in potentials.iter().enumerate() {
            if p < potentials[best] {
                best = c;
            }
        }
        centroids.extend_from_slice(rows[best]);
        nearest.add_centre(rows[best]);
    }
    Ok(centroids)
}

/// Squared distances from every row to its nearest chosen centre, with weighted sums
/// per block.
struct Nearest<'a> {
    points: &'a Matrix,
    weights: Option<&'a [f64]>,
    distances: Vec<f32>,
    block_sums: Vec<f64>,
}

impl<'a> Nearest<'a> {
    fn new(points: &'a Matrix, weights: Option<&'a [f64]>, centre: &[f32]) -> Self {
        let n = points.n_rows;
        let mut nearest = Self {
            points,
            weights,
            distances: vec![f32::INFINITY; n],
            block_sums: vec![0.0; n.div_ceil(BLOCK)],
        };
        nearest.add_centre(centre);
        nearest
    }

    fn weight(&self, i: usize) -> f64 {
        self.weights.map_or(1.0, |w| w[i])
    }

    fn potential(&self) -> f64 {
        self.block_sums.iter().sum()
    }

    /// The row where the running weighted sum of distances first exceeds `target`.
    fn sample(&self, target: f64) -> usize {
        let mut before = 0f64;
        for (b, &sum) in self.block_sums.iter().enumerate() {
            if before + sum > target {
                let start = b * BLOCK;
                let end = (start + BLOCK).min(self.distances.len());
                let mut running = before;
                let mut last_positive = start;
                for i in start..end {
                    let mass = self.weight(i) * self.distances[i] as f64;
                    if mass > 0.0 {
                        last_positive = i;
                    }
                    running += mass;
                    if running > target {
                        return i;
                    }
                }
                // Rounding between the block sum and the running sum.
                return last_positive;
            }
            before += sum;
        }
        // `target` at the very top: the last row with any mass.
        (0..self.distances.len())
            .rev()
            .find(|&i| self.distances[i] > 0.0)
            .unwrap_or(0)
    }

    /// The potential (weighted sum of distances to the nearest centre) if each of the
    /// tile's candidates were added.
    fn potentials_with(&self, tile: &CandidateTile) -> Vec<f64> {
        let d = self.points.n_cols;
        let per_block: Vec<[f64; LANES]> = self
            .points
            .values
            .par_chunks(BLOCK * d)
            .zip(self.distances.par_chunks(BLOCK))
            .enumerate()
            .map(|(b, (rows, distances))| {
                let mut sums = [0f64; LANES];
                let used = tile.count;
                lanes::for_each_row(rows, d, tile, |i, to| {
                    let weight = self.weight(b * BLOCK + i);
                    for (sum, &t) in sums[..used].iter_mut().zip(to) {
                        *sum += weight * t.min(distances[i]) as f64;
                    }
                });
                sums
            })
            .collect();
        (0..tile.count)
            .map(|c| per_block.iter().map(|sums| sums[c]).sum())
            .collect()
    }

    /// Folds `centre` into the nearest distances and the block sums.
    fn add_centre(&mut self, centre: &[f32]) {
        let d = self.points.n_cols;
        let tile = CandidateTile::new(&[centre], d);
        let weights = self.weights;
        self.distances
            .par_chunks_mut(BLOCK)
            .zip(self.block_sums.par_iter_mut())
            .zip(self.points.values.par_chunks(BLOCK * d))
            .enumerate()
            .for_each(|(b, ((distances, block_sum), rows))| {
                lanes::for_each_row(rows, d, &tile, |i, to| {
                    distances[i] = distances[i].min(to[0]);
                });
                *block_sum = distances
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| weights.map_or(1.0, |w| w[b * BLOCK + i]) * v as f64)
                    .sum();
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_centroids_and_they_are_data_rows() {
        let points = crate::synthetic::gaussian_blobs(5000, 3, 4, 1.0, 5).points;
        let context = RunContext::default();
        let a = kmeans_plus_plus(&points, 4, 9, &context).unwrap();
        let b = kmeans_plus_plus(&points, 4, 9, &context).unwrap();
        assert_eq!(a, b);
        for centroid in a.chunks(3) {
            assert!((0..points.n_rows).any(|i| points.row(i) == centroid));
        }
    }

    #[test]
    fn seeding_spreads_over_separated_groups() {
        // Two tight, far-apart pairs: k-means++ must take one seed from each.
        let points = Matrix::from_rows(&[vec![0.0], vec![0.1], vec![100.0], vec![100.1]]);
        let seeds = kmeans_plus_plus(&points, 2, 1, &RunContext::default()).unwrap();
        assert!((seeds[0] < 50.0) != (seeds[1] < 50.0), "{seeds:?}");
    }

    #[test]
    fn sampling_follows_the_weighted_distances() {
        // Distances 0, 1, 0, 3 to the first centre (row 0), weights 1, 2, 5, 1: masses
        // 0, 2, 0, 3 → row 1 takes targets in [0, 2), row 3 those in [2, 5).
        let points = Matrix::from_rows(&[vec![0.0], vec![1.0], vec![0.0], vec![3f32.sqrt()]]);
        let weights = [1.0, 2.0, 5.0, 1.0];
        let nearest = Nearest::new(&points, Some(&weights), &[0.0]);
        assert!((nearest.potential() - 5.0).abs() < 1e-6);
        assert_eq!(nearest.sample(0.0), 1);
        assert_eq!(nearest.sample(1.99), 1);
        assert_eq!(nearest.sample(2.01), 3);
        assert_eq!(nearest.sample(4.99), 3);
    }

    #[test]
    fn candidate_potentials_equal_a_direct_sum() {
        let points = crate::synthetic::gaussian_blobs(3000, 5, 3, 1.0, 2).points;
        let nearest = Nearest::new(&points, None, points.row(0));
        let candidates = [points.row(10), points.row(2000), points.row(2999)];
        let potentials = nearest.potentials_with(&CandidateTile::new(&candidates, 5));
        for (c, candidate) in candidates.iter().enumerate() {
            let direct: f64 = (0..points.n_rows)
                .map(|i| {
                    let to = |centre: &[f32]| -> f64 {
                        points
                            .row(i)
                            .iter()
                            .zip(centre)
                            .map(|(a, b)| ((a - b) as f64).powi(2))
                            .sum()
                    };
                    to(points.row(0)).min(to(candidate))
                })
                .sum();
            assert!(
                (potentials[c] - direct).abs() <= 1e-4 * direct,
                "{c}: {} vs {direct}",
                potentials[c]
            );
        }
    }
}
