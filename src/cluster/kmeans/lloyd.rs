//! Lloyd's iterations, written once over the steps a backend provides.

use std::time::Instant;

use super::KMeansValidParams;
use super::cpu;
use crate::cluster::{ClusterError, Progress, RunContext};
use crate::matrix::Matrix;

/// What one backend (CPU or GPU) must do for Lloyd's loop.
pub(crate) trait LloydSteps {
    /// Replaces the centroids (and their squared norms).
    fn load_centroids(&mut self, centroids: &[f32], norms: &[f32]) -> Result<(), ClusterError>;
    /// Assigns every point, then moves non-empty centroids to their means. Returns the
    /// per-cluster counts of the assignment and each centroid's squared movement.
    fn iterate(&mut self) -> Result<(Vec<u32>, Vec<f32>), ClusterError>;
    /// Assigns every point to the current centroids, without moving them.
    fn assign_only(&mut self) -> Result<(), ClusterError>;
    fn centroids(&mut self) -> Result<Vec<f32>, ClusterError>;
    fn labels(&mut self) -> Result<Vec<u32>, ClusterError>;
    /// Squared distance of each point to its centroid in the last assignment.
    fn min_distances(&mut self) -> Result<Vec<f32>, ClusterError>;
}

/// One set's iteration: per-cluster counts and each centroid's squared movement.
pub(crate) type SetMoves = (Vec<u32>, Vec<f32>);

/// Several independent Lloyd runs (restarts, or the values of a sweep) advanced together:
/// each call of [`BatchSteps::iterate`] moves every listed set one iteration, so a GPU
/// backend submits them all at once and reads back one small buffer per iteration. The
/// sets share the rows; each has its own k, centroids and per-row labels.
pub(crate) trait BatchSteps {
    fn n_sets(&self) -> usize;
    fn load_centroids(
        &mut self,
        set: usize,
        centroids: &[f32],
        norms: &[f32],
    ) -> Result<(), ClusterError>;
    /// One iteration of each set in `sets` (ascending); per set, as [`LloydSteps::iterate`].
    fn iterate(&mut self, sets: &[usize]) -> Result<Vec<SetMoves>, ClusterError>;
    /// Assigns every point of each set in `sets` without moving the centroids.
    fn assign_only(&mut self, sets: &[usize]) -> Result<(), ClusterError>;
    fn centroids(&mut self, set: usize) -> Result<Vec<f32>, ClusterError>;
    fn labels(&mut self, set: usize) -> Result<Vec<u32>, ClusterError>;
    fn min_distances(&mut self, set: usize) -> Result<Vec<f32>, ClusterError>;
}

/// One backend's [`LloydSteps`] as a batch of one set.
struct OneSet<'a>(&'a mut dyn LloydSteps);

impl BatchSteps for OneSet<'_> {
    fn n_sets(&self) -> usize {
        1
    }

    fn load_centroids(
        &mut self,
        _: usize,
        centroids: &[f32],
        norms: &[f32],
    ) -> Result<(), ClusterError> {
        self.0.load_centroids(centroids, norms)
    }

    fn iterate(&mut self, sets: &[usize]) -> Result<Vec<SetMoves>, ClusterError> {
        sets.iter().map(|_| self.0.iterate()).collect()
    }

    fn assign_only(&mut self, _: &[usize]) -> Result<(), ClusterError> {
        self.0.assign_only()
    }

    fn centroids(&mut self, _: usize) -> Result<Vec<f32>, ClusterError> {
        self.0.centroids()
    }

    fn labels(&mut self, _: usize) -> Result<Vec<u32>, ClusterError> {
        self.0.labels()
    }

    fn min_distances(&mut self, _: usize) -> Result<Vec<f32>, ClusterError> {
        self.0.min_distances()
    }
}

/// Outcome of Lloyd's loop.
pub(crate) struct LloydOutcome {
    pub labels: Vec<u32>,
    pub centroids: Vec<f32>,
    pub inertia: f64,
    pub iterations: usize,
    pub converged: bool,
}

/// Where one set of a batch starts and when it stops.
pub(crate) struct LloydStart<'a> {
    pub initial: &'a [f32],
    /// Stop once the total squared shift is at most this (absolute).
    pub tolerance: f64,
    pub max_iterations: usize,
}

impl<'a> LloydStart<'a> {
    /// The run `params` asks for, from `initial`; the tolerance is relative to the mean
    /// feature variance, as scikit-learn's.
    pub fn new(points: &Matrix, params: &KMeansValidParams, initial: &'a [f32]) -> Self {
        Self {
            initial,
            tolerance: params.tolerance * points.mean_feature_variance(),
            max_iterations: params.max_iterations,
        }
    }
}

/// Runs Lloyd's iterations from `initial` centroids until the total squared shift falls to
/// `tolerance × mean feature variance`, `max_iterations` is reached, or the run is cancelled.
pub(crate) fn run_lloyd(
    steps: &mut dyn LloydSteps,
    points: &Matrix,
    params: &KMeansValidParams,
    initial: &[f32],
    context: &RunContext,
) -> Result<LloydOutcome, ClusterError> {
    let start = LloydStart::new(points, params, initial);
    let mut outcomes = run_lloyd_batch(&mut OneSet(steps), points, &[start], context)?;
    Ok(outcomes.remove(0))
}

/// Lloyd's loop over every set of a batch at once: set `i` starts from `starts[i]` and
/// stops on its own rule, exactly as it would alone (the same steps in the same order), so
/// a batched run equals the runs one by one.
pub(crate) fn run_lloyd_batch(
    steps: &mut dyn BatchSteps,
    points: &Matrix,
    starts: &[LloydStart<'_>],
    context: &RunContext,
) -> Result<Vec<LloydOutcome>, ClusterError> {
    debug_assert_eq!(steps.n_sets(), starts.len());
    let d = points.n_cols;
    for (set, start) in starts.iter().enumerate() {
        steps.load_centroids(set, start.initial, &cpu::squared_norms(start.initial, d))?;
    }
    let n_sets = starts.len();
    let mut iterations = vec![0; n_sets];
    let mut converged = vec![false; n_sets];
    let max_iterations = starts.iter().map(|s| s.max_iterations).max().unwrap_or(0);
    let started = Instant::now();
    for iteration in 1..=max_iterations {
        let active: Vec<usize> = (0..n_sets)
            .filter(|&set| !converged[set] && iteration <= starts[set].max_iterations)
            .collect();
        if active.is_empty() {
            break;
        }
        context.check_cancelled()?;
        let moved = steps.iterate(&active)?;
        let mut largest_shift = 0.0f64;
        for (&set, (counts, shift)) in active.iter().zip(moved) {
            iterations[set] = iteration;
            let empty: Vec<usize> = (0..counts.len()).filter(|&c| counts[c] == 0).collect();
            let total_shift: f64 = shift.iter().map(|&s| s as f64).sum();
            largest_shift = largest_shift.max(total_shift);
            if !empty.is_empty() {
                let mut centroids = steps.centroids(set)?;
                let distances = steps.min_distances(set)?;
                if reseed_empty_clusters(&mut centroids, &empty, &distances, points) {
                    steps.load_centroids(set, &centroids, &cpu::squared_norms(&centroids, d))?;
                    continue;
                }
            }
            if total_shift <= starts[set].tolerance {
                converged[set] = true;
            }
        }
        context.report(Progress {
            phase: "Lloyd iterations",
            iteration,
            max_iterations,
            shift: largest_shift,
        });
    }
    tracing::debug!(
        n_sets,
        elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
        "lloyd"
    );
    let every: Vec<usize> = (0..n_sets).collect();
    steps.assign_only(&every)?;
    every
        .into_iter()
        .map(|set| {
            Ok(LloydOutcome {
                labels: steps.labels(set)?,
                inertia: inertia(&steps.min_distances(set)?),
                centroids: steps.centroids(set)?,
                iterations: iterations[set],
                converged: converged[set],
            })
        })
        .collect()
}

/// Sum of squared distances, in f64 so millions of f32 terms add up exactly enough.
pub(crate) fn inertia(min_distances: &[f32]) -> f64 {
    min_distances.iter().map(|&v| v as f64).sum()
}

/// Moves each empty cluster onto the point farthest from its centroid (ties: lowest row),
/// distinct points for distinct clusters, so the result does not depend on the backend.
/// Points already on their centroid are never used: when every point is, there are fewer
/// distinct points than clusters, nothing is moved and `false` is returned.
pub(crate) fn reseed_empty_clusters(
    centroids: &mut [f32],
    empty: &[usize],
    min_distances: &[f32],
    points: &Matrix,
) -> bool {
    let d = points.n_cols;
    let mut order: Vec<u32> = (0..min_distances.len() as u32)
        .filter(|&i| min_distances[i as usize] > 0.0)
        .collect();
    if order.is_empty() {
        return false;
    }
    let take = empty.len().min(order.len());
    let by_distance = |a: &u32, b: &u32| {
        min_distances[*b as usize]
            .total_cmp(&min_distances[*a as usize])
            .then(a.cmp(b))
    };
    if take < order.len() {
        order.select_nth_unstable_by(take, by_distance);
    }
    let mut farthest = order[..take].to_vec();
    farthest.sort_by(by_distance);
    for (&cluster, &row) in empty.iter().zip(&farthest) {
        centroids[cluster * d..(cluster + 1) * d].copy_from_slice(points.row(row as usize));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_clusters_take_the_farthest_points_in_order() {
        let points = Matrix::from_rows(&[vec![0.0], vec![1.0], vec![2.0], vec![3.0]]);
        let mut centroids = vec![0.0, 0.0, 0.0];
        assert!(reseed_empty_clusters(
            &mut centroids,
            &[1, 2],
            &[0.0, 4.0, 1.0, 4.0],
            &points
        ));
        assert_eq!(centroids, [0.0, 1.0, 3.0]);
    }

    #[test]
    fn nothing_to_reseed_when_every_point_is_on_its_centroid() {
        let points = Matrix::from_rows(&[vec![0.0], vec![1.0]]);
        let mut centroids = vec![0.0, 1.0, 1.0];
        assert!(!reseed_empty_clusters(
            &mut centroids,
            &[2],
            &[0.0, 0.0],
            &points
        ));
        assert_eq!(centroids, [0.0, 1.0, 1.0]);
    }
}
