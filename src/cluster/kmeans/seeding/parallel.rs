//! k-means‖ seeding (Bahmani et al. 2012, "Scalable K-Means++"), as Spark MLlib and cuML
//! offer it: a few rounds that each draw about ℓ = 2k rows at once with probability
//! proportional to their squared distance, then the weighted candidates (weight: rows
//! nearest to each) reclustered into k centres by k-means++ and Lloyd's iterations.
//! Each round is one pass of the blocked assignment kernel over the rows, instead of
//! k-means++'s k sequential steps. Above [`SAMPLE_FROM`] rows the rounds run on a
//! uniform sample of a quarter of the rows (at least [`SAMPLE_FROM`]): each round's
//! ~2k candidates cost half a Lloyd iteration on the sample instead of two on the whole,
//! so seeding costs about one Lloyd iteration in all.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use super::greedy::{kmeans_plus_plus, weighted_kmeans_plus_plus};
use crate::cluster::kmeans::cpu::{self, BLOCK_POINTS, CentroidPanel};
use crate::cluster::{ClusterError, RunContext};
use crate::matrix::Matrix;

/// Sampling rounds after the first centre (Spark's `initSteps` default).
pub const ROUNDS: usize = 2;
/// Rows expected per round, as a multiple of k (Spark samples 2k per step).
pub const OVERSAMPLING: f64 = 2.0;
/// Lloyd's iterations at most on the weighted candidates (Spark's local k-means).
const LOCAL_ITERATIONS: usize = 30;

/// Rows above which the rounds run on a sample.
pub const SAMPLE_FROM: usize = 1 << 18;

/// `n_clusters` initial centroids (row-major `n_clusters × d`) by k-means‖.
pub fn kmeans_parallel(
    points: &Matrix,
    n_clusters: usize,
    seed: u64,
    context: &RunContext,
) -> Result<Vec<f32>, ClusterError> {
    if points.n_rows <= SAMPLE_FROM || points.n_cols == 0 {
        return rounds(points, n_clusters, seed, context);
    }
    let sample = uniform_sample(points, (points.n_rows / 4).max(SAMPLE_FROM), seed);
    rounds(&sample, n_clusters, seed, context)
}

/// About `size` rows of `points` drawn uniformly (each row kept with probability
/// size / n, by a hash of its index: the same rows at every thread count), in row order.
fn uniform_sample(points: &Matrix, size: usize, seed: u64) -> Matrix {
    let (n, d) = (points.n_rows, points.n_cols);
    let share = size as f64 / n as f64;
    let sample_seed = seed ^ 0x5A3F_1E2D_C0B4_9A87;
    let kept: Vec<Vec<f32>> = points
        .values
        .par_chunks(BLOCK_POINTS * d)
        .enumerate()
        .map(|(block, rows)| {
            let mut kept = Vec::with_capacity((rows.len() as f64 * share * 1.2) as usize + d);
            for (i, row) in rows.chunks_exact(d).enumerate() {
                if unit_draw(sample_seed, block * BLOCK_POINTS + i) < share {
                    kept.extend_from_slice(row);
                }
            }
            kept
        })
        .collect();
    let values: Vec<f32> = kept.concat();
    Matrix::new(values.len() / d, d, values)
}

/// k-means‖ proper on every row of `points`.
fn rounds(
    points: &Matrix,
    n_clusters: usize,
    seed: u64,
    context: &RunContext,
) -> Result<Vec<f32>, ClusterError> {
    let (n, d) = (points.n_rows, points.n_cols);
    if d == 0 {
        return Ok(Vec::new());
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let point_norms = cpu::squared_norms(&points.values, d);
    let mut nearest = NearestCandidate {
        distances: vec![f32::INFINITY; n],
        owners: vec![0; n],
        candidates: Vec::new(),
    };
    let first = rng.gen_range(0..n);
    nearest.add(points, &point_norms, points.row(first).to_vec());

    for _ in 0..ROUNDS {
        context.check_cancelled()?;
        let potential: f64 = nearest
            .distances
            .par_chunks(BLOCK_POINTS)
            .map(|block| block.iter().map(|&v| v as f64).sum::<f64>())
            .collect::<Vec<_>>()
            .iter()
            .sum();
        if potential <= 0.0 {
            break;
        }
        let scale = OVERSAMPLING * n_clusters as f64 / potential;
        let round_seed: u64 = rng.r#gen();
        let distances = &nearest.distances;
        let picked: Vec<usize> = (0..n)
            .into_par_iter()
            .filter(|&i| unit_draw(round_seed, i) < scale * distances[i] as f64)
            .collect();
        let mut drawn = Vec::with_capacity(picked.len() * d);
        for &i in &picked {
            drawn.extend_from_slice(points.row(i));
        }
        if !drawn.is_empty() {
            nearest.add(points, &point_norms, drawn);
        }
    }

    let m = nearest.candidates.len() / d;
    if m < n_clusters {
        // Too few distinct draws (tiny or heavily duplicated data): plain k-means++.
        return kmeans_plus_plus(points, n_clusters, seed, context);
    }
    let mut weights = vec![0f64; m];
    for &owner in &nearest.owners {
        weights[owner as usize] += 1.0;
    }
    let candidates = Matrix::new(m, d, nearest.candidates);
    let initial = weighted_kmeans_plus_plus(
        &candidates,
        Some(&weights),
        n_clusters,
        rng.r#gen(),
        context,
    )?;
    Ok(weighted_lloyd(&candidates, &weights, initial, n_clusters))
}

/// Every row's nearest candidate so far and its squared distance.
struct NearestCandidate {
    distances: Vec<f32>,
    owners: Vec<u32>,
    /// Row-major, in the order drawn.
    candidates: Vec<f32>,
}

impl NearestCandidate {
    /// Adds `drawn` (row-major) to the candidates: one blocked assignment pass.
    fn add(&mut self, points: &Matrix, point_norms: &[f32], drawn: Vec<f32>) {
        let d = points.n_cols;
        let offset = (self.candidates.len() / d) as u32;
        let norms = cpu::squared_norms(&drawn, d);
        let panel = CentroidPanel::new(&drawn, &norms, d);
        self.distances
            .par_chunks_mut(BLOCK_POINTS)
            .zip(self.owners.par_chunks_mut(BLOCK_POINTS))
            .enumerate()
            .for_each(|(block, (distances, owners))| {
                let start = block * BLOCK_POINTS;
                let m = distances.len();
                let mut labels = vec![0u32; m];
                let mut to_new = vec![0f32; m];
                cpu::assign_block(
                    &points.values[start * d..(start + m) * d],
                    &point_norms[start..start + m],
                    &panel,
                    &mut labels,
                    &mut to_new,
                );
                for i in 0..m {
                    if to_new[i] < distances[i] {
                        distances[i] = to_new[i];
                        owners[i] = offset + labels[i];
                    }
                }
            });
        self.candidates.extend_from_slice(&drawn);
    }
}

/// A uniform draw in [0, 1) for row `i` of a round: a hash, so every thread count draws
/// the same rows.
fn unit_draw(round_seed: u64, i: usize) -> f64 {
    let mut z = round_seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Lloyd's iterations on weighted rows until no row changes cluster; a cluster that
/// empties keeps its centre.
fn weighted_lloyd(rows: &Matrix, weights: &[f64], initial: Vec<f32>, k: usize) -> Vec<f32> {
    let d = rows.n_cols;
    let mut centres: Vec<f64> = initial.iter().map(|&v| v as f64).collect();
    let mut labels = vec![usize::MAX; rows.n_rows];
    for _ in 0..LOCAL_ITERATIONS {
        let mut changed = false;
        for (i, label) in labels.iter_mut().enumerate() {
            let row = rows.row(i);
            let mut best = (f64::INFINITY, 0);
            for c in 0..k {
                let distance: f64 = row
                    .iter()
                    .zip(&centres[c * d..(c + 1) * d])
                    .map(|(&x, &m)| (x as f64 - m).powi(2))
                    .sum();
                if distance < best.0 {
                    best = (distance, c);
                }
            }
            if *label != best.1 {
                *label = best.1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
        let mut sums = vec![0f64; k * d];
        let mut mass = vec![0f64; k];
        for (i, &label) in labels.iter().enumerate() {
            mass[label] += weights[i];
            for (s, &x) in sums[label * d..(label + 1) * d].iter_mut().zip(rows.row(i)) {
                *s += weights[i] * x as f64;
            }
        }
        for c in 0..k {
            if mass[c] > 0.0 {
                for j in 0..d {
                    centres[c * d + j] = sums[c * d + j] / mass[c];
                }
            }
        }
    }
    centres.iter().map(|&v| v as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// For each 2-D seed, the index of its nearest true centre, sorted.
    fn nearest_centres(seeds: &[f32], centres: &Matrix) -> Vec<usize> {
        let mut owners: Vec<usize> = seeds
            .chunks(2)
            .map(|seed| {
                (0..centres.n_rows)
                    .min_by(|&x, &y| {
                        let to = |c: usize| {
                            let centre = centres.row(c);
                            (seed[0] - centre[0]).powi(2) + (seed[1] - centre[1]).powi(2)
                        };
                        to(x).total_cmp(&to(y))
                    })
                    .unwrap()
            })
            .collect();
        owners.sort();
        owners
    }

    #[test]
    fn same_seed_same_centres_one_per_separated_group() {
        let blobs = crate::synthetic::gaussian_blobs(20_000, 2, 5, 0.05, 3);
        let context = RunContext::default();
        let a = kmeans_parallel(&blobs.points, 5, 11, &context).unwrap();
        assert_eq!(a, kmeans_parallel(&blobs.points, 5, 11, &context).unwrap());
        // Each true centre has exactly one seed near it.
        let owners = nearest_centres(&a, &blobs.centers);
        assert_eq!(owners, vec![0, 1, 2, 3, 4], "{a:?}");
    }

    #[test]
    fn large_tables_seed_from_a_uniform_sample_and_still_find_every_group() {
        let n = SAMPLE_FROM * 2 + 1000;
        let blobs = crate::synthetic::gaussian_blobs(n, 2, 6, 0.05, 8);
        let sample = uniform_sample(&blobs.points, n / 4, 3);
        // About a quarter, and the same rows at every call.
        let share = sample.n_rows as f64 / (n / 4) as f64;
        assert!((share - 1.0).abs() < 0.01, "{} rows", sample.n_rows);
        assert_eq!(
            sample.values,
            uniform_sample(&blobs.points, n / 4, 3).values
        );
        let seeds = kmeans_parallel(&blobs.points, 6, 5, &RunContext::default()).unwrap();
        let owners = nearest_centres(&seeds, &blobs.centers);
        assert_eq!(owners, vec![0, 1, 2, 3, 4, 5], "{seeds:?}");
    }

    #[test]
    fn small_tables_get_one_centre_per_distinct_value() {
        // Three distinct values, k = 3: every one must become a centre.
        let points = Matrix::from_rows(&[vec![0.0], vec![0.0], vec![5.0], vec![9.0]]);
        let seeds = kmeans_parallel(&points, 3, 1, &RunContext::default()).unwrap();
        let mut seeds = seeds.clone();
        seeds.sort_by(f32::total_cmp);
        assert_eq!(seeds, vec![0.0, 5.0, 9.0]);
    }

    #[test]
    fn weighted_lloyd_moves_centres_to_weighted_means() {
        let rows = Matrix::from_rows(&[vec![0.0], vec![1.0], vec![10.0], vec![12.0]]);
        let centres = weighted_lloyd(&rows, &[3.0, 1.0, 1.0, 1.0], vec![0.0, 10.0], 2);
        assert_eq!(centres, vec![0.25, 11.0]);
    }
}
