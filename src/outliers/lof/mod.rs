//! Local outlier factor (Breunig et al. 2000) as scikit-learn's `LocalOutlierFactor`
//! defines it: with N_k(p) the k nearest other rows and k-distance(o) the distance to o's
//! k-th, reach(p, o) = max(k-distance(o), d(p, o)), lrd(p) = 1 / (mean reach(p, ·) +
//! 10⁻¹⁰), and LOF(p) = mean lrd(N_k(p)) / lrd(p), i.e. `-negative_outlier_factor_`.
//! About 1 inside a cluster, well above 1 for a row sparser than its neighbours.

pub mod gpu;

use serde::{Deserialize, Serialize};

use super::neighbours::{Neighbours, nearest_under};
use super::{DetectInput, Detector, DetectorInfo, Scored, check_neighbours};
use crate::cluster::params::ParamSpec;
use crate::cluster::{Backend, ClusterError, Engine, ParamsError, RunContext};

pub const PARAMETERS: &[ParamSpec] = &[
    ParamSpec::count(
        "k",
        20,
        "neighbours per row (scikit-learn's n_neighbors); below the row count",
    )
    .slider(2, 100),
    crate::cluster::metric::METRIC,
];

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LofParams {
    pub k: usize,
    #[serde(default)]
    pub metric: crate::spatial::metric::Metric,
}

/// The registry's LOF.
pub struct Lof;

impl Detector for Lof {
    type Params = LofParams;

    const INFO: DetectorInfo = DetectorInfo {
        id: "lof",
        name: "Local outlier factor",
        summary: "how much sparser a row's neighbourhood is than its neighbours' (1 = as dense)",
        parameters: PARAMETERS,
        gpu_passes: gpu::PASSES,
    };

    fn check(params: &LofParams, n_rows: Option<usize>) -> Result<(), ParamsError> {
        check_neighbours(params.k, n_rows)
    }

    fn score(
        params: &LofParams,
        input: &DetectInput<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Scored, ClusterError> {
        let graph = nearest_under(
            engine,
            input.points,
            params.k,
            params.metric,
            input.backend,
            context,
        )?;
        context.check_cancelled()?;
        if graph.backend == Backend::Gpu {
            let gpu = engine.gpu()?;
            let scores = gpu::outlier_factors(&gpu, &graph)?;
            return Ok(Scored {
                scores,
                backend: Backend::Gpu,
                adapter: graph.adapter.clone(),
                notes: Vec::new(),
            });
        }
        Ok(Scored::cpu(lof_scores(&graph)))
    }
}

/// LOF of every row from its k-NN graph, in f64.
pub fn lof_scores(graph: &Neighbours) -> Vec<f64> {
    outlier_factors(graph, &reachability_densities(graph))
}

/// lrd of every row.
pub fn reachability_densities(graph: &Neighbours) -> Vec<f64> {
    let k = graph.k;
    let n = graph.indices.len() / k.max(1);
    let k_distance = |o: u32| graph.distances[o as usize * k + k - 1];
    (0..n)
        .map(|p| {
            let (neighbours, distances) = graph.of(p);
            let sum: f64 = neighbours
                .iter()
                .zip(distances)
                .map(|(&o, &d)| k_distance(o).max(d))
                .sum();
            1.0 / (sum / k as f64 + 1e-10)
        })
        .collect()
}

/// mean lrd of each row's neighbours over its own.
pub fn outlier_factors(graph: &Neighbours, lrd: &[f64]) -> Vec<f64> {
    let k = graph.k;
    (0..lrd.len())
        .map(|p| {
            let (neighbours, _) = graph.of(p);
            let sum: f64 = neighbours.iter().map(|&o| lrd[o as usize]).sum();
            sum / k as f64 / lrd[p]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(indices: Vec<u32>, distances: Vec<f64>, k: usize) -> Neighbours {
        Neighbours {
            k,
            indices,
            distances,
            backend: Backend::Cpu,
            adapter: String::new(),
        }
    }

    #[test]
    fn hand_computed_lof_on_a_line() {
        // Points 0, 1, 2 and 10 on a line, k = 1: nearest of 0 is 1 (d 1), of 1 is 0
        // (tie with 2 broken by index), of 2 is 1, of 10 is 2 (d 8).
        let g = graph(vec![1, 0, 1, 2], vec![1.0, 1.0, 1.0, 8.0], 1);
        let lrd = reachability_densities(&g);
        let close = 1.0 / (1.0 + 1e-10);
        assert!((lrd[0] - close).abs() < 1e-12);
        // reach(10, 2) = max(k-distance(2) = 1, 8) = 8.
        assert!((lrd[3] - 1.0 / (8.0 + 1e-10)).abs() < 1e-12);
        let lof = outlier_factors(&g, &lrd);
        assert!((lof[0] - 1.0).abs() < 1e-9);
        assert!((lof[3] - 8.0).abs() < 1e-6, "{}", lof[3]);
    }
}
