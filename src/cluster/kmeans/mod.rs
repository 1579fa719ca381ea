//! k-means: k-means++ seeding, then Lloyd's iterations on the GPU or the CPU.

pub mod cpu;
mod cpu_steps;
mod init;
mod lloyd;
mod params;

use std::sync::Arc;
use std::time::Instant;

pub use cpu::BLOCK_POINTS;
pub use init::kmeans_plus_plus;
pub(crate) use lloyd::LloydSteps;
pub use params::{KMeansParams, KMeansParamsError, KMeansValidParams};

use super::{Backend, BackendChoice, ClusterError, Engine, RunContext, RunDiagnostics};
use crate::matrix::Matrix;

/// A k-means clustering of the rows of a matrix.
#[derive(Clone, Debug)]
pub struct KMeansResult {
    /// Cluster of each row, `0..n_clusters`.
    pub labels: Vec<u32>,
    /// `n_clusters × d`, in the scaled feature space.
    pub centroids: Matrix,
    /// Sum of squared distances of rows to their centroid.
    pub inertia: f64,
    pub diagnostics: RunDiagnostics,
}

impl KMeansResult {
    /// Rows in each cluster.
    pub fn cluster_sizes(&self) -> Vec<usize> {
        let mut sizes = vec![0; self.centroids.n_rows];
        for &label in &self.labels {
            sizes[label as usize] += 1;
        }
        sizes
    }
}

/// Checks `params`, seeds with k-means++ and runs Lloyd's iterations on the chosen backend.
pub fn fit(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &KMeansParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<KMeansResult, ClusterError> {
    let started = Instant::now();
    let valid = params.check(points.n_rows)?;
    let backend = engine.resolve(backend)?;
    let initial = kmeans_plus_plus(points, valid.n_clusters, valid.seed, context)?;
    let mut result = fit_from(engine, points, &valid, &initial, backend, context)?;
    result.diagnostics.elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(result)
}

/// Lloyd's iterations from given initial centroids (row-major `n_clusters × d`).
pub fn fit_from(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &KMeansValidParams,
    initial: &[f32],
    backend: Backend,
    context: &RunContext,
) -> Result<KMeansResult, ClusterError> {
    let started = Instant::now();
    let (outcome, adapter) = match backend {
        Backend::Cpu => {
            let mut steps = cpu_steps::CpuSteps::new(points, params.n_clusters);
            let outcome = lloyd::run_lloyd(&mut steps, points, params, initial, context)?;
            (
                outcome,
                format!("{} CPU threads", rayon::current_num_threads()),
            )
        }
        Backend::Gpu => {
            let gpu = engine.gpu_kmeans()?;
            let adapter = gpu.context().adapter_name();
            let mut steps = gpu.prepare(points, params.n_clusters)?;
            (
                lloyd::run_lloyd(&mut steps, points, params, initial, context)?,
                adapter,
            )
        }
    };
    Ok(KMeansResult {
        labels: outcome.labels,
        centroids: Matrix::new(params.n_clusters, points.n_cols, outcome.centroids),
        inertia: outcome.inertia,
        diagnostics: RunDiagnostics {
            backend,
            adapter,
            iterations: outcome.iterations,
            converged: outcome.converged,
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        },
    })
}
