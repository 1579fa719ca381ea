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

/// Outcome of Lloyd's loop.
pub(crate) struct LloydOutcome {
    pub labels: Vec<u32>,
    pub centroids: Vec<f32>,
    pub inertia: f64,
    pub iterations: usize,
    pub converged: bool,
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
    let d = points.n_cols;
    let tolerance = params.tolerance * points.mean_feature_variance();
    steps.load_centroids(initial, &cpu::squared_norms(initial, d))?;
    let mut iterations = 0;
    let mut converged = false;
    let started = Instant::now();
    for iteration in 1..=params.max_iterations {
        context.check_cancelled()?;
        let (counts, shift) = steps.iterate()?;
        iterations = iteration;
        let empty: Vec<usize> = (0..counts.len()).filter(|&c| counts[c] == 0).collect();
        let total_shift: f64 = shift.iter().map(|&s| s as f64).sum();
        context.report(Progress {
            phase: "Lloyd iterations",
            iteration,
            max_iterations: params.max_iterations,
            shift: total_shift,
        });
        if !empty.is_empty() {
            let mut centroids = steps.centroids()?;
            if reseed_empty_clusters(&mut centroids, &empty, &steps.min_distances()?, points) {
                steps.load_centroids(&centroids, &cpu::squared_norms(&centroids, d))?;
                continue;
            }
        }
        if total_shift <= tolerance {
            converged = true;
            break;
        }
    }
    tracing::debug!(
        iterations,
        elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
        "lloyd"
    );
    steps.assign_only()?;
    let labels = steps.labels()?;
    let inertia = inertia(&steps.min_distances()?);
    Ok(LloydOutcome {
        labels,
        centroids: steps.centroids()?,
        inertia,
        iterations,
        converged,
    })
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
