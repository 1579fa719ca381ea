//! Distance to the neighbours (Ramaswamy et al. 2000; Angiulli & Pizzuti 2002): the
//! distance to the k-th nearest other row, or the mean distance to the k nearest. The
//! simplest density score, and the one to read in the data's own units.

use serde::{Deserialize, Serialize};

use super::{DetectInput, Detector, DetectorInfo, Scored, check_neighbours};
use crate::cluster::density::gpu::NEIGHBOURS;
use crate::cluster::params::{Choice, ParamSpec};
use crate::cluster::{ClusterError, Engine, ParamsError, RunContext};

pub const PARAMETERS: &[ParamSpec] = &[
    ParamSpec::count("k", 10, "neighbours per row; below the row count").slider(1, 100),
    ParamSpec::choice(
        "aggregate",
        "kth",
        &[
            Choice {
                value: "kth",
                help: "the distance to the k-th nearest other row",
            },
            Choice {
                value: "mean",
                help: "the mean distance to the k nearest other rows",
            },
        ],
        "how the k distances make one score",
    ),
    crate::cluster::metric::METRIC,
];

/// How the k neighbour distances make one score.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    #[default]
    Kth,
    Mean,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnnParams {
    pub k: usize,
    pub aggregate: Aggregate,
    #[serde(default)]
    pub metric: crate::spatial::metric::Metric,
}

/// The registry's k-NN distance.
pub struct KnnDistance;

impl Detector for KnnDistance {
    type Params = KnnParams;

    const INFO: DetectorInfo = DetectorInfo {
        id: "knn",
        name: "k-NN distance",
        summary: "distance to the k-th nearest other row (or the mean of the k), in the data's units",
        parameters: PARAMETERS,
        gpu_passes: &[&NEIGHBOURS],
    };

    fn check(params: &KnnParams, n_rows: Option<usize>) -> Result<(), ParamsError> {
        check_neighbours(params.k, n_rows)
    }

    fn score(
        params: &KnnParams,
        input: &DetectInput<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Scored, ClusterError> {
        let graph = super::neighbours::nearest_under(
            engine,
            input.points,
            params.k,
            params.metric,
            input.backend,
            context,
        )?;
        let scores = graph
            .distances
            .chunks_exact(params.k)
            .map(|row| match params.aggregate {
                Aggregate::Kth => row[params.k - 1],
                Aggregate::Mean => row.iter().sum::<f64>() / params.k as f64,
            })
            .collect();
        Ok(Scored {
            scores,
            backend: graph.backend,
            adapter: graph.adapter,
            notes: Vec::new(),
        })
    }
}
