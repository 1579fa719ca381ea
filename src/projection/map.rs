//! What the embedding maps (UMAP, t-SNE) share: a result type, the loop that drives a
//! map's steps on either backend while handing intermediate positions to whoever shows
//! them, and the k-NN graph they start from.

use std::time::{Duration, Instant};

use crate::cluster::{Backend, ClusterError, Progress, RunContext};
use crate::matrix::Matrix;
use crate::spatial::knn::{KnnError, KnnGraph, KnnMethod, knn_graph};
use crate::spatial::metric::Metric;

/// How often a map hands its intermediate positions out (the window redraws them).
pub const FRAME_EVERY: Duration = Duration::from_millis(150);

/// A finished 2-D map of the rows.
#[derive(Clone, Debug)]
pub struct Map {
    /// One position per row of the input.
    pub coordinates: Vec<[f32; 2]>,
    /// "umap", "tsne" or "pca".
    pub method: &'static str,
    pub metric: Metric,
    pub backend: Backend,
    pub adapter: String,
    pub elapsed_ms: f64,
    /// Steps run (epochs or iterations).
    pub steps: usize,
    /// Whether the neighbour graph was exact (not NN-descent).
    pub neighbours_exact: bool,
    /// What the user should know (a start that fell back, say).
    pub notes: Vec<String>,
}

/// Positions part-way through a map.
pub struct MapFrame<'a> {
    pub step: usize,
    pub n_steps: usize,
    pub positions: &'a [[f32; 2]],
}

/// A map computed in steps on one backend.
pub(crate) trait MapSteps {
    /// Runs step `step` (0-based) of `n_steps`.
    fn step(&mut self, step: usize, n_steps: usize) -> Result<(), ClusterError>;
    fn positions(&mut self) -> Result<Vec<[f32; 2]>, ClusterError>;
}

/// Runs `n_steps` steps, reporting progress under `phase` and handing positions to
/// `on_frame` at most every [`FRAME_EVERY`]; the final positions.
pub(crate) fn run_steps(
    steps: &mut dyn MapSteps,
    n_steps: usize,
    phase: &'static str,
    context: &RunContext,
    on_frame: &mut dyn FnMut(MapFrame<'_>),
) -> Result<Vec<[f32; 2]>, ClusterError> {
    let mut last_frame = Instant::now();
    for step in 0..n_steps {
        context.check_cancelled()?;
        steps.step(step, n_steps)?;
        context.report(Progress {
            phase,
            iteration: step + 1,
            max_iterations: n_steps,
            shift: 0.0,
        });
        if last_frame.elapsed() >= FRAME_EVERY && step + 1 < n_steps {
            let positions = steps.positions()?;
            on_frame(MapFrame {
                step: step + 1,
                n_steps,
                positions: &positions,
            });
            last_frame = Instant::now();
        }
    }
    steps.positions()
}

/// Each row's `k` nearest others under `metric` (exact, or NN-descent on large tables).
pub(crate) fn neighbours(
    points: &Matrix,
    k: usize,
    metric: Metric,
    seed: u64,
    context: &RunContext,
) -> Result<KnnGraph, ClusterError> {
    context.report(Progress {
        phase: "nearest neighbours",
        iteration: 0,
        max_iterations: 1,
        shift: 0.0,
    });
    let cancelled = || context.cancel.is_cancelled();
    knn_graph(points, k, metric, KnnMethod::Auto, seed, &cancelled).map_err(|error| match error {
        KnnError::Cancelled => ClusterError::Cancelled,
        KnnError::TooManyNeighbours { .. } => ClusterError::Params(
            crate::cluster::ParamsError::new("n_neighbors", error.to_string()),
        ),
        KnnError::ZeroRow(_) => ClusterError::Params(crate::cluster::ParamsError::new(
            "metric",
            error.to_string(),
        )),
    })
}
