//! One entry point for every algorithm, used by the command line and the window: an
//! algorithm id with parameter values in, a [`Clustering`] out.

use std::sync::Arc;
use std::time::Instant;

use super::algorithm::Input;
use super::{AlgorithmParams, BackendChoice, ClusterError, Clustering, Engine, RunContext};
use crate::matrix::Matrix;

/// Checks `params` against `points` and runs the algorithm on `backend`.
pub fn run(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &AlgorithmParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<Clustering, ClusterError> {
    let started = Instant::now();
    let prepared = params
        .registered()?
        .prepare(&params.values, Some(points.n_rows))?;
    let mut result = prepared
        .run(&Input { points, backend }, engine, context)?
        .numbered_by_size();
    result.diagnostics.elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(result)
}
