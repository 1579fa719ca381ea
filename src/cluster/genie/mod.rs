//! Genie (Gagolewski, Bartoszuk & Cena 2016), as the `genieclust` package computes it:
//! single linkage over the Euclidean minimum spanning tree, except that while the Gini
//! index of the cluster sizes exceeds a threshold the smallest cluster is merged first.
//! With `mutual_reachability` M > 1 the tree is the mutual reachability tree of M
//! neighbours (Genie+HDBSCAN*). The tree is the density hierarchy's (GPU Borůvka where the
//! backend allows, shared with DBSCAN, HDBSCAN and single linkage, so changing k or the
//! threshold re-uses it); the merges are a sequential union-find walk over its n − 1 edges
//! on the CPU (O(n √n)).

mod merge_order;

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use merge_order::{GenieMerge, genie_merges, monotone_heights};

use super::density::{self, density_hierarchy};
use super::hierarchy::{Dendrogram, N_CLUSTERS};
use super::metric::{METRIC, Metric};
use super::params::{ParamSpec, ParamsError, RealRange, real};
use super::{
    Algorithm, AlgorithmInfo, BackendChoice, ClusterError, Clustering, Engine, Family, Input,
    RunContext, RunDiagnostics, Structure, StructureKind,
};
use crate::matrix::Matrix;

/// [0, 1], both ends allowed.
const UNIT_INTERVAL: RealRange = RealRange {
    min: 0.0,
    min_inclusive: true,
    max: 1.0,
    max_inclusive: true,
};

/// The declarations of [`GenieParams`].
pub const PARAMETERS: &[ParamSpec] = &[
    N_CLUSTERS,
    ParamSpec::real(
        "gini_threshold",
        0.3,
        UNIT_INTERVAL,
        "while the Gini index of cluster sizes is above this, the smallest cluster merges first; 1 = single linkage",
    ),
    ParamSpec::count(
        "mutual_reachability",
        1,
        "M: above 1, the tree of mutual reachability distances of M neighbours (Genie+HDBSCAN*); 0 or 1 = Euclidean",
    )
    .at_least(0),
    METRIC,
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenieParams {
    pub n_clusters: usize,
    #[serde(with = "real")]
    pub gini_threshold: f64,
    pub mutual_reachability: usize,
    #[serde(default)]
    pub metric: Metric,
}

impl GenieParams {
    pub fn new(n_clusters: usize) -> Self {
        Self {
            n_clusters,
            gini_threshold: 0.3,
            mutual_reachability: 1,
            metric: Metric::Euclidean,
        }
    }

    pub fn metric(mut self, metric: Metric) -> Self {
        self.metric = metric;
        self
    }

    pub fn gini_threshold(mut self, threshold: f64) -> Self {
        self.gini_threshold = threshold;
        self
    }

    pub fn mutual_reachability(mut self, m: usize) -> Self {
        self.mutual_reachability = m;
        self
    }

    /// Core-distance neighbours of the tree: 0 (Euclidean) for M ≤ 1, else M.
    fn neighbours(&self) -> usize {
        if self.mutual_reachability <= 1 {
            0
        } else {
            self.mutual_reachability
        }
    }

    /// The declared rules, then those that depend on the row count.
    pub fn check(&self, n_rows: Option<usize>) -> Result<(), ParamsError> {
        super::check_declared::<Genie>(self)?;
        if self.n_clusters == 0 {
            return Err(ParamsError::new("n_clusters", "{n_clusters} cannot be 0"));
        }
        if let Some(n) = n_rows {
            if n < 2 {
                return Err(ParamsError::new(
                    "n_clusters",
                    format!("Genie needs at least 2 rows, there are {n}"),
                ));
            }
            if self.n_clusters > n {
                return Err(ParamsError::new(
                    "n_clusters",
                    format!(
                        "{{n_clusters}} is {} but there are only {n} rows",
                        self.n_clusters
                    ),
                ));
            }
            if self.mutual_reachability >= n {
                return Err(ParamsError::new(
                    "mutual_reachability",
                    format!(
                        "{{mutual_reachability}} is {} but there are only {n} rows: it must be below the row count",
                        self.mutual_reachability
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The registry's Genie.
pub struct Genie;

impl Algorithm for Genie {
    type Params = GenieParams;
    type Valid = GenieParams;

    const INFO: AlgorithmInfo = AlgorithmInfo {
        id: "genie",
        name: "Genie",
        family: Family::Hierarchical,
        summary: "single linkage on the minimum spanning tree with a Gini cap on cluster-size inequality: robust to outliers, no chaining",
        parameters: PARAMETERS,
        gpu_passes: density::gpu::HIERARCHY_PASSES,
        structures: &[StructureKind::Tree],
    };

    fn check(params: &GenieParams, n_rows: Option<usize>) -> Result<GenieParams, ParamsError> {
        params.check(n_rows)?;
        Ok(params.clone())
    }

    fn estimate(valid: &GenieParams, n: usize, d: usize) -> super::cost::Estimate {
        super::cost::tree_queries(n, d, valid.neighbours().max(1))
    }

    fn run(
        valid: &GenieParams,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        let result = fit(engine, input.points, valid, input.backend, context)?;
        Ok(
            Clustering::new(result.labels, result.n_clusters, result.diagnostics)
                .with(Structure::Tree(result.tree)),
        )
    }
}

/// Genie's labels and its whole merge tree.
pub struct GenieResult {
    pub labels: Vec<u32>,
    pub n_clusters: usize,
    /// Every merge in Genie's order (heights made non-decreasing): cutting it at k gives
    /// Genie's k clusters for every k.
    pub tree: Arc<Dendrogram>,
    /// The merges as Genie made them, with their edge lengths.
    pub merges: Vec<GenieMerge>,
    pub diagnostics: RunDiagnostics,
}

/// Builds (or re-uses) the spanning tree on the chosen backend and runs Genie over it.
pub fn fit(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &GenieParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<GenieResult, ClusterError> {
    let started = Instant::now();
    params.check(Some(points.n_rows))?;
    let neighbours = params.neighbours();
    let backend = density::resolve(engine, backend, points.n_rows, neighbours)?;
    let hierarchy = density_hierarchy(engine, points, neighbours, params.metric, backend, context)?;
    context.check_cancelled()?;
    let mut merges = genie_merges(
        points.n_rows,
        &hierarchy.edges,
        params.gini_threshold,
        context,
    )?;
    for merge in &mut merges {
        merge.distance = hierarchy.distance(merge.distance);
    }
    let heights = monotone_heights(&merges);
    let tree = Dendrogram::over_points(
        points.n_rows,
        merges.iter().zip(&heights).map(|(m, &h)| (m.a, m.b, h)),
    );
    let labels = tree.labels_for_k(params.n_clusters);
    let n_clusters = super::hierarchy::n_clusters_of(&labels);
    Ok(GenieResult {
        labels,
        n_clusters,
        tree: Arc::new(tree),
        merges,
        diagnostics: RunDiagnostics {
            backend: hierarchy.backend,
            adapter: hierarchy.adapter.clone(),
            iterations: points.n_rows.saturating_sub(1),
            converged: true,
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        },
    })
}
