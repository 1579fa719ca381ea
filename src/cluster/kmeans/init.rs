//! Greedy k-means++ seeding (Arthur & Vassilvitskii, with scikit-learn's 2 + ln k local
//! trials), seeded so the same seed always gives the same initial centroids.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use crate::cluster::{ClusterError, RunContext};
use crate::matrix::Matrix;

/// Picks `n_clusters` rows of `points` as initial centroids (row-major `n_clusters × d`).
pub fn kmeans_plus_plus(
    points: &Matrix,
    n_clusters: usize,
    seed: u64,
    context: &RunContext,
) -> Result<Vec<f32>, ClusterError> {
    let n = points.n_rows;
    let d = points.n_cols;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let n_local_trials = 2 + (n_clusters as f64).ln().floor() as usize;

    let mut centroids = Vec::with_capacity(n_clusters * d);
    let first = rng.gen_range(0..n);
    centroids.extend_from_slice(points.row(first));
    let mut closest = distances_to(points, points.row(first));
    let mut potential: f64 = closest.iter().map(|&v| v as f64).sum();

    for _ in 1..n_clusters {
        context.check_cancelled()?;
        let cumulative: Vec<f64> = closest
            .iter()
            .scan(0f64, |sum, &v| {
                *sum += v as f64;
                Some(*sum)
            })
            .collect();
        let candidates: Vec<usize> = (0..n_local_trials)
            .map(|_| {
                if potential > 0.0 {
                    let target = rng.r#gen::<f64>() * potential;
                    cumulative.partition_point(|&c| c <= target).min(n - 1)
                } else {
                    // Every point coincides with a centroid: any choice is as good.
                    rng.gen_range(0..n)
                }
            })
            .collect();

        let mut best: Option<(f64, usize, Vec<f32>)> = None;
        for candidate in candidates {
            let to_candidate = distances_to(points, points.row(candidate));
            let merged: Vec<f32> = closest
                .iter()
                .zip(&to_candidate)
                .map(|(&a, &b)| a.min(b))
                .collect();
            let candidate_potential: f64 = merged.iter().map(|&v| v as f64).sum();
            if best
                .as_ref()
                .is_none_or(|(p, _, _)| candidate_potential < *p)
            {
                best = Some((candidate_potential, candidate, merged));
            }
        }
        let Some((best_potential, best_index, best_closest)) = best else {
            break;
        };
        centroids.extend_from_slice(points.row(best_index));
        closest = best_closest;
        potential = best_potential;
    }
    Ok(centroids)
}

/// Squared Euclidean distance from every row to `center`.
fn distances_to(points: &Matrix, center: &[f32]) -> Vec<f32> {
    points
        .values
        .par_chunks_exact(points.n_cols.max(1))
        .map(|row| row.iter().zip(center).map(|(a, b)| (a - b) * (a - b)).sum())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_centroids_and_they_are_data_rows() {
        let points = crate::synthetic::gaussian_blobs(500, 3, 4, 1.0, 5).points;
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
}
