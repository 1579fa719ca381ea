//! The k-NN graph the neighbour-based detectors share: each row's k nearest other rows,
//! from the k-d tree on the CPU or the density module's all-pairs neighbour pass on the
//! GPU (k ≤ 64; more neighbours, or no device under `auto`, stay on the CPU). Both
//! backends order neighbours by (f32 squared distance, row) and give the same lists; the
//! distances are then recomputed in f64 from the rows, so what follows them is exact.

use std::sync::Arc;

use rayon::prelude::*;

use crate::cluster::density::gpu::{GpuDensity, MAX_GPU_NEIGHBOURS};
use crate::cluster::{Backend, BackendChoice, ClusterError, Engine, RunContext};
use crate::matrix::Matrix;
use crate::spatial::KdTree;
use crate::spatial::knn::exact_distances;
use crate::spatial::metric::Metric;

/// Each row's k nearest other rows, nearest first.
pub struct Neighbours {
    pub k: usize,
    /// n × k rows.
    pub indices: Vec<u32>,
    /// n × k distances under the metric asked for, in f64.
    pub distances: Vec<f64>,
    pub backend: Backend,
    pub adapter: String,
}

impl Neighbours {
    pub fn of(&self, row: usize) -> (&[u32], &[f64]) {
        let span = row * self.k..(row + 1) * self.k;
        (&self.indices[span.clone()], &self.distances[span])
    }
}

/// The Euclidean k-NN graph of `points` on the backend `choice` allows (see the module
/// docs).
pub fn nearest(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    k: usize,
    choice: BackendChoice,
    context: &RunContext,
) -> Result<Neighbours, ClusterError> {
    nearest_measured(engine, points, k, Metric::Euclidean, choice, context)
}

/// The k-NN graph by `metric` as the k-d tree and the GPU pass both measure it (Euclidean
/// or Manhattan; cosine comes as Euclidean on unit rows).
fn nearest_measured(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    k: usize,
    metric: Metric,
    choice: BackendChoice,
    context: &RunContext,
) -> Result<Neighbours, ClusterError> {
    let n = points.n_rows;
    if k == 0 || k >= n {
        return Err(ClusterError::Internal(format!(
            "{k} neighbours asked of {n} rows"
        )));
    }
    let backend = engine.resolve_pairwise(choice, n)?;
    if backend == Backend::Gpu {
        if k > MAX_GPU_NEIGHBOURS && choice == BackendChoice::Gpu {
            return Err(crate::gpu::GpuError::TooLarge(format!(
                "the GPU k-NN pass keeps at most {MAX_GPU_NEIGHBOURS} neighbours, {k} were asked for; use --backend cpu or auto"
            ))
            .into());
        }
        if k <= MAX_GPU_NEIGHBOURS {
            let attempt = GpuDensity::new(&engine.gpu()?, points, metric).and_then(|gpu| {
                let (_, indices) = gpu.nearest(k)?;
                Ok((indices, gpu.adapter_name()))
            });
            match attempt {
                Ok((mut indices, adapter)) => {
                    context.check_cancelled()?;
                    if indices.contains(&u32::MAX) {
                        return Err(ClusterError::Internal(
                            "the GPU k-NN pass left a row short of neighbours".into(),
                        ));
                    }
                    let distances = exact_distances(points, &mut indices, k, metric);
                    return Ok(Neighbours {
                        k,
                        indices,
                        distances,
                        backend: Backend::Gpu,
                        adapter,
                    });
                }
                Err(error) if choice == BackendChoice::Gpu => return Err(error.into()),
                // Auto never fails where the CPU can do the work.
                Err(error) => tracing::info!("k-NN graph on the CPU: {error}"),
            }
        }
    }
    let tree = KdTree::build_for(points, metric);
    context.check_cancelled()?;
    // Queried in tree order, so consecutive queries walk the same nodes (several times
    // faster than in row order on shuffled rows), then put back in row order.
    let mut by_position = vec![0u32; n * k];
    by_position
        .par_chunks_mut(k)
        .enumerate()
        .with_min_len(256)
        .for_each_init(Vec::new, |best, (pos, out)| {
            if context.cancel.is_cancelled() {
                return;
            }
            tree.k_nearest(tree.index[pos] as usize, k, best);
            for (slot, &(_, other)) in out.iter_mut().zip(best.iter()) {
                *slot = other;
            }
        });
    context.check_cancelled()?;
    let mut indices = vec![0u32; n * k];
    for (pos, found) in by_position.chunks_exact(k).enumerate() {
        let row = tree.index[pos] as usize;
        indices[row * k..(row + 1) * k].copy_from_slice(found);
    }
    let distances = exact_distances(points, &mut indices, k, metric);
    Ok(Neighbours {
        k,
        indices,
        distances,
        backend: Backend::Cpu,
        adapter: crate::cluster::cpu_name(),
    })
}

/// The k-NN graph under `metric`: Euclidean as [`nearest`]; cosine by the same searches on
/// unit rows (the same order), distances recomputed as 1 − cos in f64; Manhattan by the
/// same searches measuring Manhattan distance (k-d tree, or the GPU pass).
pub fn nearest_under(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    k: usize,
    metric: Metric,
    choice: BackendChoice,
    context: &RunContext,
) -> Result<Neighbours, ClusterError> {
    match metric {
        Metric::Euclidean => nearest(engine, points, k, choice, context),
        Metric::Cosine => {
            let unit = crate::cluster::metric::rows_for(engine, points, metric)?;
            let mut found = nearest(engine, &unit, k, choice, context)?;
            found.distances = exact_distances(points, &mut found.indices, k, metric);
            Ok(found)
        }
        Metric::Manhattan => nearest_measured(engine, points, k, metric, choice, context),
    }
}
