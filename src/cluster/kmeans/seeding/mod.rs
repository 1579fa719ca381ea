//! Where Lloyd's iterations start: greedy k-means++ (the default, as scikit-learn) or
//! k-means‖ (fewer passes over the rows, for large tables).

mod greedy;
mod parallel;

pub use greedy::kmeans_plus_plus;
pub use parallel::kmeans_parallel;

use super::params::KMeansInit;
use crate::cluster::{ClusterError, RunContext};
use crate::matrix::Matrix;

/// `n_clusters` initial centroids (row-major) by the chosen seeding.
pub fn initial_centroids(
    points: &Matrix,
    n_clusters: usize,
    init: KMeansInit,
    seed: u64,
    context: &RunContext,
) -> Result<Vec<f32>, ClusterError> {
    match init {
        KMeansInit::PlusPlus => kmeans_plus_plus(points, n_clusters, seed, context),
        KMeansInit::Parallel => kmeans_parallel(points, n_clusters, seed, context),
    }
}
