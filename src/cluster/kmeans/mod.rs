//! k-means: k-means++ seeding, then Lloyd's iterations on the GPU (`gpu/`,
//! `shaders/kmeans/`) or the CPU (`cpu.rs`, the passes' twins).

pub mod cpu;
mod cpu_steps;
pub mod gpu;
mod lloyd;
pub mod minibatch;
mod narrow;
mod params;
mod seeding;

use std::sync::Arc;
use std::time::Instant;

pub use cpu::BLOCK_POINTS;
pub(crate) use lloyd::LloydSteps;
pub use params::{KMeansInit, KMeansParams, KMeansValidParams, PARAMETERS};
pub use seeding::{initial_centroids, kmeans_parallel, kmeans_plus_plus};

use super::{
    Algorithm, AlgorithmInfo, Backend, BackendChoice, ClusterError, Clustering, Engine, Family,
    GpuLabels, Input, ParamsError, RunContext, RunDiagnostics, Structure, StructureKind,
};
use crate::matrix::Matrix;

/// The registry's k-means.
pub struct KMeans;

impl Algorithm for KMeans {
    type Params = KMeansParams;
    type Valid = KMeansValidParams;

    const INFO: AlgorithmInfo = AlgorithmInfo {
        id: "kmeans",
        name: "k-means",
        family: Family::Centroid,
        summary: "k centres, each row with its nearest; k-means++ seeding, Lloyd's iterations",
        parameters: PARAMETERS,
        gpu_passes: gpu::PASSES,
        structures: &[StructureKind::Centres],
    };

    fn estimate(valid: &KMeansValidParams, n: usize, d: usize) -> crate::cluster::cost::Estimate {
        crate::cluster::cost::centroid_iterations(
            n,
            d,
            valid.n_clusters,
            valid.max_iterations,
            valid.restarts(n, d),
        )
    }

    fn check(
        params: &KMeansParams,
        n_rows: Option<usize>,
    ) -> Result<KMeansValidParams, ParamsError> {
        params.check(n_rows.unwrap_or(usize::MAX))
    }

    fn run(
        valid: &KMeansValidParams,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        let (result, on_device) =
            fit_restarts(engine, input.points, valid, input.backend, context)?;
        let gpu_labels = match result.diagnostics.backend {
            Backend::Gpu if on_device => engine
                .state_if_any::<gpu::GpuKMeansState>()
                .and_then(|state| state.label_chunks())
                .map(|chunks| GpuLabels {
                    chunks,
                    to_id: (0..result.centroids.n_rows as u32).collect(),
                }),
            _ => None,
        };
        let mut clustering =
            Clustering::new(result.labels, result.centroids.n_rows, result.diagnostics)
                .with(Structure::Centres(Arc::new(result.centroids)))
                .minimising("inertia", result.inertia);
        clustering.gpu_labels = gpu_labels;
        Ok(clustering)
    }
}

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
    let valid = params.check(points.n_rows)?;
    fit_valid(engine, points, &valid, backend, context)
}

fn fit_valid(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    valid: &KMeansValidParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<KMeansResult, ClusterError> {
    fit_restarts(engine, points, valid, backend, context).map(|(result, _)| result)
}

/// The seed of restart `i`: the run's own seed first, so one restart is the plain run.
pub fn restart_seed(seed: u64, i: usize) -> u64 {
    if i == 0 {
        return seed;
    }
    // SplitMix64 of (seed, i): restarts of neighbouring seeds do not share seeds.
    let mut z = seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Every restart (seeded from its own seed, then Lloyd's iterations), keeping the lowest
/// inertia; the earlier restart wins a tie within 1e-9 relative, so that backends whose
/// sums differ in the last bits pick the same one. On the GPU the winner's labels are
/// left on the device (the point renderer reads them there): when an earlier restart won,
/// it runs once more from its start, which gives the same result. The bool says whether
/// the device holds the returned labels.
fn fit_restarts(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    valid: &KMeansValidParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<(KMeansResult, bool), ClusterError> {
    let started = Instant::now();
    let backend = engine.resolve(backend)?;
    let restarts = valid.restarts(points.n_rows, points.n_cols).max(1);
    let mut best: Option<(KMeansResult, usize, Vec<f32>)> = None;
    for i in 0..restarts {
        context.check_cancelled()?;
        let initial = initial_centroids(
            points,
            valid.n_clusters,
            valid.init,
            restart_seed(valid.seed, i),
            context,
        )?;
        let result = fit_from(engine, points, valid, &initial, backend, context)?;
        let better = best
            .as_ref()
            .is_none_or(|(b, _, _)| result.inertia < b.inertia * (1.0 - 1e-9));
        if better {
            best = Some((result, i, initial));
        }
    }
    let (mut result, winner, initial) = best.expect("at least one restart");
    let mut on_device = winner + 1 == restarts;
    if backend == Backend::Gpu && !on_device {
        context.check_cancelled()?;
        result = fit_from(engine, points, valid, &initial, backend, context)?;
        on_device = true;
    }
    result.diagnostics.elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok((result, on_device))
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
            (outcome, super::cpu_name())
        }
        Backend::Gpu => {
            let gpu = engine.gpu()?;
            let state = engine.state::<gpu::GpuKMeansState>();
            let mut steps = state.prepare(&gpu, points, params.n_clusters)?;
            (
                lloyd::run_lloyd(&mut steps, points, params, initial, context)?,
                gpu.adapter_name(),
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
