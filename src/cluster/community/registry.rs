//! The community searches as registry algorithms on a table: its rows joined into a
//! k-nearest-neighbour graph ([`crate::graph::knn`]), then Leiden, Louvain or label
//! propagation on that graph, as single-cell tools cluster cells. Edge lists go through
//! `clusterscope graph` instead, with the same searches.

use serde::{Deserialize, Serialize};

use super::{Method, Objective, detect};
use crate::cluster::metric::{METRIC, Metric};
use crate::cluster::params::{Choice, ParamSpec, ParamsError, RealRange, real};
use crate::cluster::{
    Algorithm, AlgorithmInfo, ClusterError, Clustering, Engine, Family, Input, RunContext,
    cost::Estimate,
};
use crate::cluster::{Objective as Reported, RunDiagnostics};

const N_NEIGHBORS: ParamSpec = ParamSpec::count(
    "n_neighbors",
    15,
    "neighbours of each row in the graph the communities are found in (the row itself not counted)",
)
.at_least(1)
.slider(2, 50);

const RESOLUTION: ParamSpec = ParamSpec::real(
    "resolution",
    1.0,
    RealRange::POSITIVE,
    "higher: more, smaller communities (modularity's γ; CPM's density a community must exceed)",
);

const OBJECTIVE: ParamSpec = ParamSpec::choice(
    "objective",
    "modularity",
    &[
        Choice {
            value: "modularity",
            help: "edges inside communities against a random graph with the same degrees",
        },
        Choice {
            value: "cpm",
            help: "the constant Potts model: edges inside against resolution × pairs inside",
        },
    ],
    "what the search maximises",
);

pub const LEIDEN_PARAMETERS: &[ParamSpec] = &[
    N_NEIGHBORS,
    METRIC,
    RESOLUTION,
    OBJECTIVE,
    ParamSpec::count(
        "n_iterations",
        0,
        "Leiden passes, each from the last one's result; 0 = until the quality stops rising",
    )
    .at_least(0),
    ParamSpec::seed(),
];

pub const LOUVAIN_PARAMETERS: &[ParamSpec] = &[
    N_NEIGHBORS,
    METRIC,
    RESOLUTION,
    OBJECTIVE,
    ParamSpec::seed(),
];

pub const LABEL_PROPAGATION_PARAMETERS: &[ParamSpec] = &[
    N_NEIGHBORS,
    METRIC,
    ParamSpec::count(
        "max_iterations",
        100,
        "sweeps over the nodes at most before stopping where the labels stand",
    )
    .at_least(1),
    ParamSpec::seed(),
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeidenParams {
    pub n_neighbors: usize,
    /// The distance the neighbour graph is built by.
    #[serde(default)]
    pub metric: Metric,
    #[serde(with = "real")]
    pub resolution: f64,
    pub objective: Objective,
    pub n_iterations: usize,
    pub seed: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LouvainParams {
    pub n_neighbors: usize,
    /// The distance the neighbour graph is built by.
    #[serde(default)]
    pub metric: Metric,
    #[serde(with = "real")]
    pub resolution: f64,
    pub objective: Objective,
    pub seed: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelPropagationParams {
    pub n_neighbors: usize,
    /// The distance the neighbour graph is built by.
    #[serde(default)]
    pub metric: Metric,
    pub max_iterations: usize,
    pub seed: u64,
}

/// What each registry entry hands the shared run.
pub struct GraphRun {
    n_neighbors: usize,
    metric: Metric,
    method: Method,
    seed: u64,
}

fn check_neighbours(n_neighbors: usize, n_rows: Option<usize>) -> Result<(), ParamsError> {
    if let Some(n) = n_rows
        && n_neighbors >= n
    {
        return Err(ParamsError::new(
            "n_neighbors",
            format!(
                "{{n_neighbors}} is {n_neighbors} but there are only {n} rows: each row needs that many others"
            ),
        ));
    }
    Ok(())
}

fn estimate(run: &GraphRun, n: usize, d: usize) -> Estimate {
    let graph = crate::cluster::cost::tree_queries(n, d, run.n_neighbors).cpu_seconds;
    let edges = (n * run.n_neighbors) as f64;
    Estimate::new(graph + edges * 2e-7, edges * 2.0 * 16.0 + n as f64 * 64.0)
}

fn run_on_rows(
    run: &GraphRun,
    input: &Input<'_>,
    engine: &mut Engine,
    context: &RunContext,
) -> Result<Clustering, ClusterError> {
    let started = std::time::Instant::now();
    let (graph, backend, adapter) = crate::graph::knn::knn_graph(
        engine,
        input.points,
        run.n_neighbors,
        run.metric,
        input.backend,
        context,
    )?;
    let found = detect(&graph, &run.method, run.seed, context)?;
    let diagnostics = RunDiagnostics {
        backend,
        adapter,
        iterations: found.iterations,
        converged: found.converged,
        elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
    };
    let mut clustering = Clustering::new(found.labels, found.n_communities, diagnostics);
    clustering.objective = Some(Reported {
        name: "modularity",
        value: found.modularity,
    });
    clustering.warnings = found.warnings;
    let (_, parts) = graph.components();
    if parts > 1 {
        clustering.warnings.push(format!(
            "the {}-neighbour graph falls into {parts} separate parts; no community spans two of them",
            run.n_neighbors
        ));
    }
    Ok(clustering)
}

/// Leiden on the rows' neighbour graph.
pub struct Leiden;

impl Algorithm for Leiden {
    type Params = LeidenParams;
    type Valid = GraphRun;

    const INFO: AlgorithmInfo = AlgorithmInfo {
        id: "leiden",
        name: "Leiden",
        family: Family::Graph,
        summary: "communities of the rows' nearest-neighbour graph, each connected; finds the number of clusters itself",
        parameters: LEIDEN_PARAMETERS,
        gpu_passes: &[],
        structures: &[],
    };

    fn check(params: &LeidenParams, n_rows: Option<usize>) -> Result<GraphRun, ParamsError> {
        crate::cluster::check_declared::<Leiden>(params)?;
        check_neighbours(params.n_neighbors, n_rows)?;
        let method = Method::Leiden {
            objective: params.objective,
            resolution: params.resolution,
            n_iterations: params.n_iterations,
        };
        method.check()?;
        Ok(GraphRun {
            n_neighbors: params.n_neighbors,
            metric: params.metric,
            method,
            seed: params.seed,
        })
    }

    fn estimate(valid: &GraphRun, n: usize, d: usize) -> Estimate {
        estimate(valid, n, d)
    }

    fn run(
        valid: &GraphRun,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        run_on_rows(valid, input, engine, context)
    }
}

/// Louvain on the rows' neighbour graph.
pub struct Louvain;

impl Algorithm for Louvain {
    type Params = LouvainParams;
    type Valid = GraphRun;

    const INFO: AlgorithmInfo = AlgorithmInfo {
        id: "louvain",
        name: "Louvain",
        family: Family::Graph,
        summary: "communities of the rows' nearest-neighbour graph by greedy moves and aggregation",
        parameters: LOUVAIN_PARAMETERS,
        gpu_passes: &[],
        structures: &[],
    };

    fn check(params: &LouvainParams, n_rows: Option<usize>) -> Result<GraphRun, ParamsError> {
        crate::cluster::check_declared::<Louvain>(params)?;
        check_neighbours(params.n_neighbors, n_rows)?;
        let method = Method::Louvain {
            objective: params.objective,
            resolution: params.resolution,
        };
        method.check()?;
        Ok(GraphRun {
            n_neighbors: params.n_neighbors,
            metric: params.metric,
            method,
            seed: params.seed,
        })
    }

    fn estimate(valid: &GraphRun, n: usize, d: usize) -> Estimate {
        estimate(valid, n, d)
    }

    fn run(
        valid: &GraphRun,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        run_on_rows(valid, input, engine, context)
    }
}

/// Label propagation on the rows' neighbour graph.
pub struct LabelPropagation;

impl Algorithm for LabelPropagation {
    type Params = LabelPropagationParams;
    type Valid = GraphRun;

    const INFO: AlgorithmInfo = AlgorithmInfo {
        id: "label-propagation",
        name: "Label propagation",
        family: Family::Graph,
        summary: "each row takes the label most of its neighbours hold, until none changes",
        parameters: LABEL_PROPAGATION_PARAMETERS,
        gpu_passes: &[],
        structures: &[],
    };

    fn check(
        params: &LabelPropagationParams,
        n_rows: Option<usize>,
    ) -> Result<GraphRun, ParamsError> {
        crate::cluster::check_declared::<LabelPropagation>(params)?;
        check_neighbours(params.n_neighbors, n_rows)?;
        Ok(GraphRun {
            n_neighbors: params.n_neighbors,
            metric: params.metric,
            method: Method::LabelPropagation {
                max_iterations: params.max_iterations,
            },
            seed: params.seed,
        })
    }

    fn estimate(valid: &GraphRun, n: usize, d: usize) -> Estimate {
        estimate(valid, n, d)
    }

    fn run(
        valid: &GraphRun,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        run_on_rows(valid, input, engine, context)
    }
}
