//! Hierarchical clustering: agglomerative (single, complete, average, Ward) and divisive
//! (bisecting k-means), both producing a [`Dendrogram`] that is then cut by a cluster count
//! or a height.

mod dendrogram;
pub mod divisive;
pub mod nn_chain;

use std::sync::Arc;
use std::time::Instant;

pub use dendrogram::{Dendrogram, Merge};

use super::density::density_hierarchy;
use super::{Backend, BackendChoice, ClusterError, Engine, RunContext, RunDiagnostics};
use crate::matrix::Matrix;

#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
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

#[derive(Clone, Debug, PartialEq)]
pub struct AgglomerativeParams {
    pub linkage: Linkage,
    pub cut: Cut,
    /// Bytes a condensed distance matrix may take before the run is refused.
    pub matrix_budget: u64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HierarchyParamsError {
    #[error("--k must be at least 1, got 0")]
    ZeroClusters,
    #[error("--k is {k} but there are only {n} points (leaves) to cluster")]
    MoreClustersThanLeaves { k: usize, n: usize },
    #[error("--distance must be a finite number ≥ 0, got {0}")]
    Height(f64),
    #[error(
        "{linkage} linkage needs the full distance matrix of {n} points: {needed}, over the \
         budget of {budget}; use --linkage ward or --linkage single, which need no matrix, \
         or cluster a sample"
    )]
    OverBudget {
        linkage: &'static str,
        n: usize,
        needed: String,
        budget: String,
    },
    #[error("there are no points to cluster")]
    Empty,
}

/// "1.5 GiB" style.
pub fn human_bytes(bytes: u64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

impl Cut {
    pub fn check(&self, n: usize) -> Result<(), HierarchyParamsError> {
        match *self {
            Cut::Clusters(0) => Err(HierarchyParamsError::ZeroClusters),
            Cut::Clusters(k) if k > n => Err(HierarchyParamsError::MoreClustersThanLeaves { k, n }),
            Cut::Height(t) if !(t.is_finite() && t >= 0.0) => Err(HierarchyParamsError::Height(t)),
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
        }
    }

    pub fn check(&self, n: usize) -> Result<(), HierarchyParamsError> {
        if n == 0 {
            return Err(HierarchyParamsError::Empty);
        }
        self.cut.check(n)?;
        if self.linkage.needs_matrix() {
            let needed = nn_chain::condensed_matrix_bytes(n);
            if needed > self.matrix_budget {
                return Err(HierarchyParamsError::OverBudget {
                    linkage: self.linkage.name(),
                    n,
                    needed: human_bytes(needed),
                    budget: human_bytes(self.matrix_budget),
                });
            }
        }
        Ok(())
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
    let (tree, backend, adapter) = match params.linkage {
        Linkage::Single => {
            let backend = engine.resolve_pairwise(backend, points.n_rows)?;
            let hierarchy = density_hierarchy(engine, points, 0, backend, context)?;
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
            let merges = nn_chain::on_condensed_matrix(points, params.linkage, context)?;
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

pub(crate) fn cpu_name() -> String {
    format!("{} CPU threads", rayon::current_num_threads())
}

/// scipy's last step: a stable sort of the merges by height, then relabelling.
fn tree_from_slot_merges(n: usize, mut merges: Vec<nn_chain::SlotMerge>) -> Dendrogram {
    merges.sort_by(|a, b| a.2.total_cmp(&b.2));
    Dendrogram::over_points(n, merges)
}
