//! Hierarchical clustering: agglomerative (single, complete, average, Ward) and divisive
//! (bisecting k-means), both producing a [`Dendrogram`] that is then cut by a cluster count
//! or a height.

mod dendrogram;
pub mod divisive;
pub mod nn_chain;

use std::sync::Arc;
use std::time::Instant;

pub use crate::memory::human_bytes;
pub use dendrogram::{Dendrogram, Merge};

use serde::{Deserialize, Serialize};

use super::density::density_hierarchy;
use super::metric::{METRIC, Metric};
use super::params::{Choice, ParamSpec, ParamsError, RealRange, real};
use super::{
    Algorithm, AlgorithmInfo, Backend, BackendChoice, ClusterError, Clustering, Engine, Family,
    Input, RunContext, RunDiagnostics, Structure, StructureKind, cpu_name,
};
use crate::matrix::Matrix;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Linkage {
    /// Minimum distance between members; from a minimum spanning tree, O(n) memory.
    Single,
    /// Maximum distance between members; needs the n×n distance matrix.
    Complete,
    /// Mean distance between members (UPGMA); needs the n×n distance matrix.
    Average,
    /// Least increase of within-cluster variance; on vectors, O(n·d) memory.
    #[default]
    Ward,
}

impl Linkage {
    pub const ALL: [Linkage; 4] = [
        Linkage::Single,
        Linkage::Complete,
        Linkage::Average,
        Linkage::Ward,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Linkage::Single => "single",
            Linkage::Complete => "complete",
            Linkage::Average => "average",
            Linkage::Ward => "ward",
        }
    }

    fn needs_matrix(self) -> bool {
        matches!(self, Linkage::Complete | Linkage::Average)
    }
}

/// Where to cut the tree.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cut {
    /// Exactly this many clusters.
    Clusters(usize),
    /// Join every merge at or below this height.
    Height(f64),
}

/// Default memory allowed for a condensed distance matrix: 2 GiB.
pub const DEFAULT_MATRIX_BUDGET: u64 = 2 << 30;

const LINKAGES: &[Choice] = &[
    Choice {
        value: "single",
        help: "minimum distance between members; from a spanning tree, O(n) memory",
    },
    Choice {
        value: "complete",
        help: "maximum distance between members; needs the n×n distance matrix",
    },
    Choice {
        value: "average",
        help: "mean distance between members (UPGMA); needs the n×n distance matrix",
    },
    Choice {
        value: "ward",
        help: "least increase of within-cluster variance; on vectors, O(n·d) memory",
    },
];

/// The cut of any tree: a cluster count, or a height that replaces it.
pub(crate) const N_CLUSTERS: ParamSpec = ParamSpec::count(
    "n_clusters",
    5,
    "cut the tree into exactly this many clusters",
)
.required()
.slider(1, 64);
pub(crate) const fn distance(help: &'static str) -> ParamSpec {
    ParamSpec::real("distance", 1.0, RealRange::NON_NEGATIVE, help)
        .optional()
        .replaces("n_clusters")
}

/// The declarations of [`AgglomerativeParams`].
pub const PARAMETERS: &[ParamSpec] = &[
    ParamSpec::choice(
        "linkage",
        "ward",
        LINKAGES,
        "how the distance between clusters is measured",
    ),
    N_CLUSTERS,
    distance(
        "cut the tree at this height instead: join every merge at or below it (scipy's fcluster 'distance')",
    ),
    ParamSpec::count(
        "memory_budget_mb",
        2048,
        "complete/average linkage: memory the distance matrix may take, in MiB",
    ),
    METRIC,
];

/// What the user asks of agglomerative clustering.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "AgglomerativeValues", try_from = "AgglomerativeValues")]
pub struct AgglomerativeParams {
    pub linkage: Linkage,
    pub cut: Cut,
    /// Bytes a condensed distance matrix may take before the run is refused.
    pub matrix_budget: u64,
    /// The distance between rows (Ward needs Euclidean).
    pub metric: Metric,
}

/// The declared shape of [`AgglomerativeParams`] (the cut as two alternatives).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgglomerativeValues {
    linkage: Linkage,
    n_clusters: Option<usize>,
    #[serde(with = "real::option")]
    distance: Option<f64>,
    memory_budget_mb: u64,
    #[serde(default)]
    metric: Metric,
}

impl From<AgglomerativeParams> for AgglomerativeValues {
    fn from(p: AgglomerativeParams) -> Self {
        let (n_clusters, distance) = p.cut.to_values();
        Self {
            linkage: p.linkage,
            n_clusters,
            distance,
            memory_budget_mb: p.matrix_budget >> 20,
            metric: p.metric,
        }
    }
}

impl TryFrom<AgglomerativeValues> for AgglomerativeParams {
    type Error = String;
    fn try_from(v: AgglomerativeValues) -> Result<Self, String> {
        Ok(Self {
            linkage: v.linkage,
            cut: Cut::from_values(v.n_clusters, v.distance)?,
            matrix_budget: v.memory_budget_mb.saturating_mul(1 << 20),
            metric: v.metric,
        })
    }
}

impl Cut {
    /// The cut as the two declared alternatives (n_clusters, distance).
    pub(crate) fn to_values(self) -> (Option<usize>, Option<f64>) {
        match self {
            Cut::Clusters(k) => (Some(k), None),
            Cut::Height(t) => (None, Some(t)),
        }
    }

    pub(crate) fn from_values(
        n_clusters: Option<usize>,
        distance: Option<f64>,
    ) -> Result<Self, String> {
        match (n_clusters, distance) {
            (Some(k), None) => Ok(Cut::Clusters(k)),
            (None, Some(t)) => Ok(Cut::Height(t)),
            _ => Err("give exactly one of n_clusters and distance".into()),
        }
    }

    /// `n` leaves can be cut so.
    pub fn check(&self, n: usize) -> Result<(), ParamsError> {
        match *self {
            Cut::Clusters(0) => Err(ParamsError::new("n_clusters", "{n_clusters} cannot be 0")),
            Cut::Clusters(k) if k > n => Err(ParamsError::new(
                "n_clusters",
                format!("{{n_clusters}} is {k} but there are only {n} points (leaves) to cluster"),
            )),
            Cut::Height(t) if !(t.is_finite() && t >= 0.0) => Err(ParamsError::new(
                "distance",
                format!("{{distance}} must be a finite number >= 0, got {t}"),
            )),
            _ => Ok(()),
        }
    }

    pub fn apply(&self, tree: &Dendrogram) -> Vec<u32> {
        match *self {
            Cut::Clusters(k) => tree.labels_for_k(k),
            Cut::Height(t) => tree.labels_at_height(t),
        }
    }
}

impl AgglomerativeParams {
    pub fn new(linkage: Linkage, cut: Cut) -> Self {
        Self {
            linkage,
            cut,
            matrix_budget: DEFAULT_MATRIX_BUDGET,
            metric: Metric::Euclidean,
        }
    }

    pub fn metric(mut self, metric: Metric) -> Self {
        self.metric = metric;
        self
    }

    /// Checks the params for `n` points: the cut, and the distance matrix against the
    /// budget (complete and average linkage).
    pub fn check(&self, n: usize) -> Result<(), ParamsError> {
        crate::cluster::check_declared::<Agglomerative>(self)?;
        if n == 0 {
            return Err(ParamsError::new(
                "n_clusters",
                "there are no points to cluster",
            ));
        }
        self.cut.check(n)?;
        if self.linkage.needs_matrix() {
            let needed = nn_chain::condensed_matrix_bytes(n);
            if needed > self.matrix_budget {
                return Err(ParamsError::new(
                    "linkage",
                    format!(
                        "{linkage} linkage needs the full distance matrix of {n} points: {needed}, \
                         over the budget of {budget}; use {{linkage=ward}} or {{linkage=single}}, \
                         which need no matrix, cluster a sample, or raise {{memory_budget_mb}}",
                        linkage = self.linkage.name(),
                        needed = human_bytes(needed),
                        budget = human_bytes(self.matrix_budget),
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The registry's agglomerative clustering.
pub struct Agglomerative;

impl Algorithm for Agglomerative {
    type Params = AgglomerativeParams;
    type Valid = AgglomerativeParams;

    const INFO: AlgorithmInfo = AlgorithmInfo {
        id: "agglomerative",
        name: "Agglomerative",
        family: Family::Hierarchical,
        summary: "bottom-up merge tree (single, complete, average or Ward linkage), cut by a count or a height",
        parameters: PARAMETERS,
        // Single linkage is the density hierarchy with no core distances.
        gpu_passes: crate::cluster::density::GPU_PASSES,
        structures: &[StructureKind::Tree],
    };

    fn estimate(valid: &AgglomerativeParams, n: usize, d: usize) -> crate::cluster::cost::Estimate {
        use crate::cluster::cost;
        match valid.linkage {
            // The density hierarchy's spanning tree at one neighbour.
            Linkage::Single => cost::tree_queries(n, d, 1),
            // The chain on centroids: no matrix.
            Linkage::Ward if n > nn_chain::WARD_MATRIX_MAX_POINTS => {
                cost::all_pairs(n, d, 2.0, None)
            }
            _ => cost::all_pairs(n, d, 4.0, Some(nn_chain::condensed_matrix_bytes(n))),
        }
    }

    fn check(params: &Self::Params, n_rows: Option<usize>) -> Result<Self::Valid, ParamsError> {
        match n_rows {
            Some(n) => params.check(n)?,
            // Before the data is read the size is unknown: no memory estimate yet.
            None => {
                crate::cluster::check_declared::<Agglomerative>(params)?;
                params.cut.check(usize::MAX)?;
            }
        }
        Ok(params.clone())
    }

    fn run(
        valid: &Self::Valid,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        let result = fit(engine, input.points, valid, input.backend, context)?;
        Ok(result.into_clustering())
    }
}

/// A tree and its cut.
#[derive(Clone)]
pub struct HierarchyResult {
    pub labels: Vec<u32>,
    pub n_clusters: usize,
    pub tree: Arc<Dendrogram>,
    pub diagnostics: RunDiagnostics,
}

impl HierarchyResult {
    pub fn into_clustering(self) -> Clustering {
        Clustering::new(self.labels, self.n_clusters, self.diagnostics)
            .with(Structure::Tree(self.tree))
    }
}

pub fn n_clusters_of(labels: &[u32]) -> usize {
    labels.iter().max().map_or(0, |&m| m as usize + 1)
}

/// Builds the agglomerative tree and cuts it. Single linkage runs on the chosen backend (its
/// spanning tree is the density hierarchy with no core distances); the others on the CPU.
pub fn fit(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &AgglomerativeParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<HierarchyResult, ClusterError> {
    let started = Instant::now();
    params.check(points.n_rows)?;
    if params.linkage == Linkage::Ward && params.metric != Metric::Euclidean {
        return Err(ParamsError::new(
            "metric",
            "Ward linkage minimises the within-cluster variance, which needs {metric=euclidean}; use single, complete or average linkage for other distances",
        )
        .into());
    }
    let (tree, backend, adapter) = match params.linkage {
        Linkage::Single => {
            let backend = engine.resolve_pairwise(backend, points.n_rows)?;
            let hierarchy = density_hierarchy(engine, points, 0, params.metric, backend, context)?;
            (hierarchy.dendrogram(), backend, hierarchy.adapter.clone())
        }
        Linkage::Ward if points.n_rows > nn_chain::WARD_MATRIX_MAX_POINTS => {
            let merges = nn_chain::ward_on_vectors(points, context)?;
            (
                tree_from_slot_merges(points.n_rows, merges),
                Backend::Cpu,
                cpu_name(),
            )
        }
        Linkage::Ward | Linkage::Complete | Linkage::Average => {
            crate::memory::ensure_available(
                nn_chain::condensed_matrix_bytes(points.n_rows),
                &format!("the distance matrix of {} points", points.n_rows),
            )
            .map_err(|message| ParamsError::new("memory_budget_mb", message))?;
            let merges =
                nn_chain::on_condensed_matrix(points, params.linkage, params.metric, context)?;
            (
                tree_from_slot_merges(points.n_rows, merges),
                Backend::Cpu,
                cpu_name(),
            )
        }
    };
    let labels = params.cut.apply(&tree);
    Ok(HierarchyResult {
        n_clusters: n_clusters_of(&labels),
        labels,
        tree: Arc::new(tree),
        diagnostics: RunDiagnostics {
            backend,
            adapter,
            iterations: points.n_rows.saturating_sub(1),
            converged: true,
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        },
    })
}

/// scipy's last step: a stable sort of the merges by height, then relabelling.
fn tree_from_slot_merges(n: usize, mut merges: Vec<nn_chain::SlotMerge>) -> Dendrogram {
    merges.sort_by(|a, b| a.2.total_cmp(&b.2));
    Dendrogram::over_points(n, merges)
}
