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
        // Cosine: spherical k-means on the unit rows.
        let points = &crate::cluster::metric::rows_for(engine, input.points, valid.metric)?;
        let (mut result, on_device) = fit_restarts(engine, points, valid, input.backend, context)?;
        if valid.spherical() {
            result.centroids = member_means(input.points, &result.labels, valid.n_clusters);
        }
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
        let mut clustering = result.into_clustering();
        clustering.gpu_labels = gpu_labels;
        Ok(clustering)
    }

    /// On a GPU, every restart of every run advances in one batch (see `gpu/batch.rs`).
    fn run_batch(
        valids: &[&KMeansValidParams],
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Option<Result<Vec<Clustering>, ClusterError>> {
        let metric = valids.first()?.metric;
        if valids.iter().any(|v| v.metric != metric) {
            return None;
        }
        match engine.resolve(input.backend) {
            Ok(Backend::Gpu) => Some(
                crate::cluster::metric::rows_for(engine, input.points, metric)
                    .and_then(|points| fit_many_on_gpu(engine, &points, valids, context))
                    .map(|results| {
                        results
                            .into_iter()
                            .zip(valids)
                            .map(|(mut r, valid)| {
                                if valid.spherical() {
                                    r.centroids =
                                        member_means(input.points, &r.labels, valid.n_clusters);
                                }
                                r.into_clustering()
                            })
                            .collect()
                    }),
            ),
            Ok(Backend::Cpu) => None,
            Err(error) => Some(Err(error)),
        }
    }
}

/// Each cluster's mean row: spherical k-means's centres shown where its rows are (its own
/// centroids are unit directions).
fn member_means(points: &Matrix, labels: &[u32], n_clusters: usize) -> Matrix {
    let d = points.n_cols;
    let mut sums = vec![0.0f64; n_clusters * d];
    let mut counts = vec![0usize; n_clusters];
    for (row, &label) in labels.iter().enumerate() {
        let Some(count) = counts.get_mut(label as usize) else {
            continue;
        };
        *count += 1;
        for (s, &v) in sums[label as usize * d..(label as usize + 1) * d]
            .iter_mut()
            .zip(points.row(row))
        {
            *s += v as f64;
        }
    }
    let values = sums
        .chunks(d.max(1))
        .zip(&counts)
        .flat_map(|(s, &c)| s.iter().map(move |&v| (v / c.max(1) as f64) as f32))
        .collect();
    Matrix::new(n_clusters, d, values)
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
    /// The registry's result: labels, the centres, inertia as the objective.
    fn into_clustering(self) -> Clustering {
        Clustering::new(self.labels, self.centroids.n_rows, self.diagnostics)
            .with(Structure::Centres(Arc::new(self.centroids)))
            .minimising("inertia", self.inertia)
    }

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
/// sums differ in the last bits pick the same one. On the CPU the restarts run one after
/// another; on the GPU they run as one batch (each restart a set of the batch), and the
/// winner's labels are left on the device, where the point renderer reads them. The bool
/// says whether the device holds the returned labels.
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
    let (mut result, on_device) = if backend == Backend::Gpu && restarts > 1 {
        let (mut results, winner) = fit_restarts_on_gpu(engine, points, &[valid], context)?;
        (results.remove(0), winner[0])
    } else {
        let mut best: Option<KMeansResult> = None;
        for i in 0..restarts {
            context.check_cancelled()?;
            let initial = restart_centroids(points, valid, i, context)?;
            let result = fit_from(engine, points, valid, &initial, backend, context)?;
            if best.as_ref().is_none_or(|b| beats(&result, b)) {
                best = Some(result);
            }
        }
        (best.expect("at least one restart"), backend == Backend::Gpu)
    };
    result.diagnostics.elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok((result, on_device))
}

/// The initial centroids of restart `i`.
fn restart_centroids(
    points: &Matrix,
    valid: &KMeansValidParams,
    i: usize,
    context: &RunContext,
) -> Result<Vec<f32>, ClusterError> {
    initial_centroids(
        points,
        valid.n_clusters,
        valid.init,
        restart_seed(valid.seed, i),
        context,
    )
}

/// Whether `result` replaces `best` among restarts: lower inertia by more than 1e-9
/// relative (ties keep the earlier restart).
fn beats(result: &KMeansResult, best: &KMeansResult) -> bool {
    result.inertia < best.inertia * (1.0 - 1e-9)
}

/// Several k-means runs over the same rows on the GPU, every restart of every run a set of
/// one batch: the best restart of each run, in order.
fn fit_many_on_gpu(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    valids: &[&KMeansValidParams],
    context: &RunContext,
) -> Result<Vec<KMeansResult>, ClusterError> {
    fit_restarts_on_gpu(engine, points, valids, context).map(|(results, _)| results)
}

/// The batch behind [`fit_many_on_gpu`]; also says, per run, whether its winner's labels
/// are the ones the device holds (only the last run's can be).
fn fit_restarts_on_gpu(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    valids: &[&KMeansValidParams],
    context: &RunContext,
) -> Result<(Vec<KMeansResult>, Vec<bool>), ClusterError> {
    let started = Instant::now();
    let (n, d) = (points.n_rows, points.n_cols);
    // (run, restart) per set, in run order.
    let mut sets: Vec<(usize, Vec<f32>)> = Vec::new();
    for (run, valid) in valids.iter().enumerate() {
        for i in 0..valid.restarts(n, d).max(1) {
            context.check_cancelled()?;
            sets.push((run, restart_centroids(points, valid, i, context)?));
        }
    }
    let ks: Vec<usize> = sets
        .iter()
        .map(|(run, _)| valids[*run].n_clusters)
        .collect();
    let gpu = engine.gpu()?;
    let mut outcomes = Vec::with_capacity(sets.len());
    let ranges = gpu::batch_ranges(n, d, &ks);
    for range in &ranges {
        let starts: Vec<lloyd::LloydStart<'_>> = sets[range.clone()]
            .iter()
            .map(|(run, initial)| lloyd::LloydStart::new(points, valids[*run], initial))
            .collect();
        let state = engine.state::<gpu::GpuKMeansState>();
        let spherical = valids.iter().any(|v| v.spherical());
        let mut steps = state.prepare_batch(&gpu, points, &ks[range.clone()], spherical)?;
        outcomes.extend(lloyd::run_lloyd_batch(
            &mut steps, points, &starts, context,
        )?);
    }
    let last_batch = ranges.last().map_or(0, |r| r.start);
    let share_ms = started.elapsed().as_secs_f64() * 1e3 / valids.len().max(1) as f64;
    let adapter = gpu.adapter_name();
    let mut best: Vec<Option<(usize, KMeansResult)>> = (0..valids.len()).map(|_| None).collect();
    for (set, ((run, _), outcome)) in sets.iter().zip(outcomes).enumerate() {
        let result = KMeansResult {
            labels: outcome.labels,
            centroids: Matrix::new(valids[*run].n_clusters, d, outcome.centroids),
            inertia: outcome.inertia,
            diagnostics: RunDiagnostics {
                backend: Backend::Gpu,
                adapter: adapter.clone(),
                iterations: outcome.iterations,
                converged: outcome.converged,
                elapsed_ms: share_ms,
            },
        };
        if best[*run].as_ref().is_none_or(|(_, b)| beats(&result, b)) {
            best[*run] = Some((set, result));
        }
    }
    let last_run = valids.len().saturating_sub(1);
    let mut results = Vec::with_capacity(valids.len());
    let mut on_device = vec![false; valids.len()];
    for (run, winner) in best.into_iter().enumerate() {
        let (set, result) = winner.expect("every run has at least one restart");
        if run == last_run {
            // The device's run buffers get the last run's winner, as a single run leaves them.
            if set >= last_batch {
                let state = engine.state::<gpu::GpuKMeansState>();
                state.keep_batch_labels(&gpu, set - last_batch)?;
                on_device[run] = true;
            } else {
                // Its batch's buffers are gone: run the winner once more from its start.
                context.check_cancelled()?;
                let again = fit_from(
                    engine,
                    points,
                    valids[run],
                    &sets[set].1,
                    Backend::Gpu,
                    context,
                )?;
                on_device[run] = true;
                results.push(KMeansResult {
                    diagnostics: result.diagnostics,
                    ..again
                });
                continue;
            }
        }
        results.push(result);
    }
    Ok((results, on_device))
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
            let mut steps = cpu_steps::CpuSteps::new(points, params.n_clusters, params.spherical());
            let outcome = lloyd::run_lloyd(&mut steps, points, params, initial, context)?;
            (outcome, super::cpu_name())
        }
        Backend::Gpu => {
            let gpu = engine.gpu()?;
            let state = engine.state::<gpu::GpuKMeansState>();
            let mut steps = state.prepare(&gpu, points, params.n_clusters, params.spherical())?;
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
