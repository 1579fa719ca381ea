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

/// Runs several parameter sets of one algorithm over `points` together, where the
/// algorithm batches them on `backend` (see [`super::Algorithm::run_batch`]): the results
/// in order, each numbered as [`run`]'s, each given an equal share of the batch's time.
/// `None` when it would run them one by one: call [`run`] for each.
pub fn run_batch(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    runs: &[AlgorithmParams],
    backend: BackendChoice,
    context: &RunContext,
) -> Option<Result<Vec<Clustering>, ClusterError>> {
    let started = Instant::now();
    let first = runs.first()?;
    if runs.iter().any(|run| run.algorithm != first.algorithm) {
        return None;
    }
    let prepare = || -> Result<_, ClusterError> {
        let algorithm = first.registered()?;
        let prepared = runs
            .iter()
            .map(|run| algorithm.prepare(&run.values, Some(points.n_rows)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((algorithm, prepared))
    };
    let (algorithm, prepared) = match prepare() {
        Ok(ready) => ready,
        Err(error) => return Some(Err(error)),
    };
    let results = algorithm.run_batch(&prepared, &Input { points, backend }, engine, context)?;
    let share_ms = started.elapsed().as_secs_f64() * 1e3 / runs.len() as f64;
    Some(results.map(|results| {
        results
            .into_iter()
            .map(|result| {
                let mut result = result.numbered_by_size();
                result.diagnostics.elapsed_ms = share_ms;
                result
            })
            .collect()
    }))
}
