//! CLARA (Kaufman & Rousseeuw): k-medoids on samples. Each sample (the best medoids so
//! far plus random rows) is clustered by BUILD + FasterPAM on its own small distance
//! matrix; every row is then assigned to the sample's medoids (on the GPU when there is
//! one) and the medoids of least total loss are kept. No n × n matrix, so it scales to
//! any n.

use std::sync::Arc;
use std::time::Instant;

use rand::SeedableRng;
use rand::seq::index::sample;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::cpu::CpuSteps;
use super::distance::DistanceMatrix;
use super::params::{CLARA_PARAMETERS, ClaraParams};
use super::search::{self, Searched};
use super::steps::loss;
use super::{Backing, CpuDistances, KMedoidsResult, gpu, steps_for};
use crate::cluster::{
    Algorithm, AlgorithmInfo, BackendChoice, ClusterError, Clustering, Engine, Family, Input,
    ParamsError, Progress, RunContext, RunDiagnostics, StructureKind,
};
use crate::matrix::Matrix;

/// The registry's CLARA.
pub struct Clara;

impl Algorithm for Clara {
    type Params = ClaraParams;
    type Valid = ClaraParams;

    const INFO: AlgorithmInfo = AlgorithmInfo {
        id: "clara",
        name: "CLARA (k-medoids on samples)",
        family: Family::Medoid,
        summary: "k-medoids for large tables: BUILD + FasterPAM on samples, the best medoids over all rows kept",
        parameters: CLARA_PARAMETERS,
        gpu_passes: gpu::ASSIGN_PASSES,
        structures: &[StructureKind::Medoids],
    };

    fn estimate(valid: &ClaraParams, n: usize, d: usize) -> crate::cluster::cost::Estimate {
        use crate::cluster::cost;
        let (k, s) = (valid.n_clusters, valid.rows_per_sample(n));
        let sample = cost::then(
            cost::all_pairs(s, d, 0.0, Some(super::distance::matrix_bytes(s))),
            cost::medoid_swaps(s, 0, k, s as f64, 2),
        );
        // Each sample's medoids are then scored on every row.
        let assign = cost::centroid_iterations(n, d, k, 1, 1);
        let one = cost::then(sample, assign);
        cost::Estimate::new(
            one.cpu_seconds * valid.samples.max(1) as f64,
            one.bytes as f64,
        )
    }

    fn check(params: &ClaraParams, n_rows: Option<usize>) -> Result<ClaraParams, ParamsError> {
        params.check(n_rows)?;
        Ok(params.clone())
    }

    fn run(
        valid: &ClaraParams,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        Ok(fit(engine, input.points, valid, input.backend, context)?.into_clustering())
    }
}

/// Rows `rows` of `points`, in that order.
fn take_rows(points: &Matrix, rows: &[u32]) -> Matrix {
    let mut values = Vec::with_capacity(rows.len() * points.n_cols);
    for &r in rows {
        values.extend_from_slice(points.row(r as usize));
    }
    Matrix::new(rows.len(), points.n_cols, values)
}

pub fn fit(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &ClaraParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<KMedoidsResult, ClusterError> {
    let started = Instant::now();
    params.check(Some(points.n_rows))?;
    let (n, k) = (points.n_rows, params.n_clusters);
    let Backing {
        steps: mut all_rows,
        backend,
        adapter,
        prepared,
    } = steps_for(
        engine,
        points,
        params.metric,
        backend,
        CpuDistances::OnTheFly,
        context,
    )?;
    let size = params.rows_per_sample(n);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(params.seed);
    let mut best: Option<Searched> = None;
    for s in 0..params.samples {
        context.check_cancelled()?;
        // The best medoids so far stay in the sample, as in Kaufman & Rousseeuw.
        let mut rows: Vec<u32> = best.as_ref().map_or_else(Vec::new, |b| b.medoids.clone());
        let mut drawn = sample(&mut rng, n, size).into_iter().map(|r| r as u32);
        while rows.len() < size {
            let Some(row) = drawn.next() else { break };
            if !rows.contains(&row) {
                rows.push(row);
            }
        }
        rows.sort_unstable();
        let subset = Arc::new(take_rows(&prepared, &rows));
        let matrix = DistanceMatrix::build(&subset, params.metric, || false)
            .ok_or(ClusterError::Cancelled)?;
        let mut local = CpuSteps::new(Arc::clone(&subset), params.metric, Some(matrix));
        let start = search::build(&mut local, subset.n_rows, k, context)?;
        let found = search::fasterpam(&mut local, start, params.max_iterations, context)?;
        let medoids: Vec<u32> = found.medoids.iter().map(|&m| rows[m as usize]).collect();
        let nearest = all_rows.assign(&medoids)?;
        let total = loss(&nearest);
        context.report(Progress {
            phase: "samples",
            iteration: s + 1,
            max_iterations: params.samples,
            shift: total,
        });
        if best.as_ref().is_none_or(|b| total < b.loss) {
            best = Some(Searched {
                medoids,
                nearest,
                loss: total,
                iterations: s + 1,
                swaps: found.swaps,
                converged: true,
            });
        }
    }
    let best = best.ok_or_else(|| ClusterError::Internal("CLARA drew no sample".into()))?;
    let diagnostics = RunDiagnostics {
        backend,
        adapter,
        iterations: params.samples,
        converged: true,
        elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
    };
    Ok(KMedoidsResult::new(best, diagnostics))
}
