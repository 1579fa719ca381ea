//! Divisive clustering by bisecting k-means (top-down): repeatedly split the cluster with
//! the largest within-cluster sum of squares (SSE) in two with 2-means, as scikit-learn's
//! `BisectingKMeans(bisecting_strategy="biggest_inertia")` does. The splits form a
//! [`Dendrogram`] whose leaves are the final clusters and whose heights are the SSE of the
//! cluster each merge stands for (a parent's SSE is never below its children's, so the tree
//! draws like any other).

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{Cut, Dendrogram, HierarchyResult, N_CLUSTERS, n_clusters_of};
use crate::cluster::kmeans::{self, KMeansParams};
use crate::cluster::params::{ParamSpec, ParamsError, real};
use crate::cluster::{
    Algorithm, AlgorithmInfo, BackendChoice, ClusterError, Clustering, Engine, Family, Input,
    RunContext, RunDiagnostics, StructureKind,
};
use crate::matrix::Matrix;

/// The declarations of [`DivisiveParams`].
pub const PARAMETERS: &[ParamSpec] = &[
    N_CLUSTERS,
    super::distance(
        "cut the tree at this within-cluster sum of squares instead: stop splitting clusters whose SSE is at or below it",
    ),
    ParamSpec::count("max_iterations", 300, "2-means iterations per split at most"),
    ParamSpec::seed(),
    ParamSpec::count(
        "max_leaves",
        0,
        "grow the tree to at least this many leaves, so its cut can move below the cluster count (0: as many as the cut needs)",
    )
    .at_least(0)
    .window_start(crate::cluster::params::Literal::Count(48)),
];

/// What the user asks of divisive clustering.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "DivisiveValues", try_from = "DivisiveValues")]
pub struct DivisiveParams {
    pub cut: Cut,
    pub seed: u64,
    pub max_iterations: usize,
    /// Leaves to grow at least (the dendrogram view asks for more than the cut); 0: as
    /// many as the cut needs.
    pub max_leaves: usize,
}

/// The declared shape of [`DivisiveParams`] (the cut as two alternatives).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DivisiveValues {
    n_clusters: Option<usize>,
    #[serde(with = "real::option")]
    distance: Option<f64>,
    max_iterations: usize,
    seed: u64,
    max_leaves: usize,
}

impl From<DivisiveParams> for DivisiveValues {
    fn from(p: DivisiveParams) -> Self {
        let (n_clusters, distance) = p.cut.to_values();
        Self {
            n_clusters,
            distance,
            max_iterations: p.max_iterations,
            seed: p.seed,
            max_leaves: p.max_leaves,
        }
    }
}

impl TryFrom<DivisiveValues> for DivisiveParams {
    type Error = String;
    fn try_from(v: DivisiveValues) -> Result<Self, String> {
        Ok(Self {
            cut: Cut::from_values(v.n_clusters, v.distance)?,
            seed: v.seed,
            max_iterations: v.max_iterations,
            max_leaves: v.max_leaves,
        })
    }
}

impl DivisiveParams {
    pub fn new(cut: Cut) -> Self {
        Self {
            cut,
            seed: 42,
            max_iterations: 300,
            max_leaves: 0,
        }
    }

    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    pub fn max_iterations(mut self, max_iterations: usize) -> Self {
        self.max_iterations = max_iterations;
        self
    }

    pub fn max_leaves(mut self, max_leaves: usize) -> Self {
        self.max_leaves = max_leaves;
        self
    }

    pub fn check(&self, n: usize) -> Result<(), ParamsError> {
        crate::cluster::check_declared::<Divisive>(self)?;
        if n == 0 {
            return Err(ParamsError::new(
                "n_clusters",
                "there are no points to cluster",
            ));
        }
        self.cut.check(n)
    }

    /// Leaves the tree grows to: every split down to the height for a height cut.
    fn leaves_to_grow(&self) -> usize {
        match self.cut {
            Cut::Clusters(k) => k.max(self.max_leaves).max(1),
            Cut::Height(_) => usize::MAX,
        }
    }
}

/// The registry's divisive clustering.
pub struct Divisive;

impl Algorithm for Divisive {
    type Params = DivisiveParams;
    type Valid = DivisiveParams;

    const INFO: AlgorithmInfo = AlgorithmInfo {
        id: "divisive",
        name: "Divisive (bisecting k-means)",
        family: Family::Hierarchical,
        summary: "top-down tree: the cluster of largest SSE split in two by 2-means, cut by a count or an SSE",
        parameters: PARAMETERS,
        gpu_passes: kmeans::gpu::PASSES,
        structures: &[StructureKind::Tree],
    };

    fn estimate(valid: &DivisiveParams, n: usize, d: usize) -> crate::cluster::cost::Estimate {
        // Bisecting k-means: every level of splits passes over all the rows once.
        let levels = (valid.max_leaves.max(2) as f64).log2().ceil() as usize;
        crate::cluster::cost::centroid_iterations(n, d, 2, valid.max_iterations, levels)
    }

    fn check(
        params: &DivisiveParams,
        n_rows: Option<usize>,
    ) -> Result<DivisiveParams, ParamsError> {
        params.check(n_rows.unwrap_or(usize::MAX))?;
        Ok(params.clone())
    }

    fn run(
        valid: &DivisiveParams,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        Ok(fit(engine, input.points, valid, input.backend, context)?.into_clustering())
    }
}

struct Node {
    members: Vec<u32>,
    sse: f64,
    children: Option<(usize, usize)>,
}

fn sse_of(points: &Matrix, members: &[u32]) -> f64 {
    let d = points.n_cols;
    let mut mean = vec![0f64; d];
    for &m in members {
        for (acc, &v) in mean.iter_mut().zip(points.row(m as usize)) {
            *acc += v as f64;
        }
    }
    let count = members.len().max(1) as f64;
    mean.iter_mut().for_each(|v| *v /= count);
    members
        .iter()
        .map(|&m| {
            points
                .row(m as usize)
                .iter()
                .zip(&mean)
                .map(|(&v, &c)| (v as f64 - c).powi(2))
                .sum::<f64>()
        })
        .sum()
}

pub fn fit(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &DivisiveParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<HierarchyResult, ClusterError> {
    let started = Instant::now();
    params.check(points.n_rows)?;
    let resolved = engine.resolve(backend)?;
    let n = points.n_rows;
    let all: Vec<u32> = (0..n as u32).collect();
    let mut nodes = vec![Node {
        sse: sse_of(points, &all),
        members: all,
        children: None,
    }];
    let mut leaves = vec![0usize];
    let mut adapter = crate::cluster::cpu_name();
    loop {
        context.check_cancelled()?;
        if leaves.len() >= params.leaves_to_grow() {
            break;
        }
        // The splittable leaf of largest SSE (lowest id on ties).
        let Some((position, &leaf)) = leaves
            .iter()
            .enumerate()
            .filter(|(_, l)| nodes[**l].members.len() > 1 && nodes[**l].sse > 0.0)
            .max_by(|a, b| {
                nodes[*a.1]
                    .sse
                    .total_cmp(&nodes[*b.1].sse)
                    .then(b.1.cmp(a.1))
            })
        else {
            break;
        };
        if let Cut::Height(t) = params.cut
            && nodes[leaf].sse <= t
        {
            break;
        }
        let members = &nodes[leaf].members;
        let d = points.n_cols;
        let mut values = Vec::with_capacity(members.len() * d);
        for &m in members {
            values.extend_from_slice(points.row(m as usize));
        }
        let subset = Arc::new(Matrix::new(members.len(), d, values));
        let split = kmeans::fit(
            engine,
            &subset,
            &KMeansParams::new(2)
                .seed(params.seed.wrapping_add(nodes.len() as u64))
                .max_iterations(params.max_iterations)
                .n_init(1),
            backend,
            context,
        )?;
        adapter = split.diagnostics.adapter.clone();
        let (mut left, mut right) = (Vec::new(), Vec::new());
        for (&m, &label) in members.iter().zip(&split.labels) {
            if label == 0 {
                left.push(m)
            } else {
                right.push(m)
            }
        }
        if left.is_empty() || right.is_empty() {
            // 2-means could not separate them (duplicates): this leaf stays whole.
            nodes[leaf].sse = 0.0;
            continue;
        }
        let left_id = nodes.len();
        let right_id = left_id + 1;
        nodes.push(Node {
            sse: sse_of(points, &left),
            members: left,
            children: None,
        });
        nodes.push(Node {
            sse: sse_of(points, &right),
            members: right,
            children: None,
        });
        nodes[leaf].children = Some((left_id, right_id));
        leaves.swap_remove(position);
        leaves.push(left_id);
        leaves.push(right_id);
    }
    let tree = to_dendrogram(n, &nodes);
    let labels = params.cut.apply(&tree);
    Ok(HierarchyResult {
        n_clusters: n_clusters_of(&labels),
        labels,
        tree: Arc::new(tree),
        diagnostics: RunDiagnostics {
            backend: resolved,
            adapter,
            iterations: nodes.len() / 2,
            converged: true,
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        },
    })
}

/// Leaves numbered left to right; merges (one per split) bottom-up by height, children
/// before parents on ties.
fn to_dendrogram(n_points: usize, nodes: &[Node]) -> Dendrogram {
    let mut leaf_of_node = vec![u32::MAX; nodes.len()];
    let mut leaf_sizes = Vec::new();
    let mut point_leaf = vec![0u32; n_points];
    let mut splits: Vec<(f64, usize, usize)> = Vec::new(); // (height, depth, node)
    let mut stack = vec![(0usize, 0usize)];
    while let Some((id, depth)) = stack.pop() {
        match nodes[id].children {
            None => {
                let leaf = leaf_sizes.len() as u32;
                leaf_of_node[id] = leaf;
                leaf_sizes.push(nodes[id].members.len() as u32);
                for &m in &nodes[id].members {
                    point_leaf[m as usize] = leaf;
                }
            }
            Some((a, b)) => {
                splits.push((nodes[id].sse, depth, id));
                stack.push((b, depth + 1));
                stack.push((a, depth + 1));
            }
        }
    }
    splits.sort_by(|x, y| x.0.total_cmp(&y.0).then(y.1.cmp(&x.1)));
    // Each split joins the leftmost leaves of its two children.
    let leftmost = |mut id: usize| {
        while let Some((a, _)) = nodes[id].children {
            id = a;
        }
        leaf_of_node[id]
    };
    let pairs: Vec<(u32, u32, f64)> = splits
        .iter()
        .map(|&(height, _, id)| {
            let (a, b) = nodes[id].children.expect("split nodes have children");
            (leftmost(a), leftmost(b), height)
        })
        .collect();
    let mut tree = Dendrogram::from_sorted_pairs(leaf_sizes.len(), leaf_sizes, pairs);
    tree.point_leaf = Some(point_leaf);
    tree
}
