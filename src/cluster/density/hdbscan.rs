//! HDBSCAN (Campello, Moulavi & Sander; McInnes' `hdbscan` library): the mutual
//! reachability spanning tree as a single linkage tree, condensed by a minimum cluster
//! size, clusters picked by excess of mass or as leaves, membership probabilities and
//! GLOSH outlier scores. The steps follow the `hdbscan` library's `_hdbscan_tree.pyx`.

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::hierarchy::{DensityHierarchy, density_hierarchy};
use crate::cluster::hierarchy::Dendrogram;
use crate::cluster::metric::{METRIC, Metric};
use crate::cluster::params::{Choice, ParamSpec, ParamsError};
use crate::cluster::{
    Algorithm, AlgorithmInfo, BackendChoice, ClusterError, Clustering, Engine, Family, Input,
    NOISE, RunContext, RunDiagnostics, Structure, StructureKind,
};
use crate::matrix::Matrix;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClusterSelection {
    /// Excess of mass: the most persistent clusters.
    #[default]
    Eom,
    /// The leaves of the condensed tree: many small, homogeneous clusters.
    Leaf,
}

/// The declarations of [`HdbscanParams`].
pub const PARAMETERS: &[ParamSpec] = &[
    ParamSpec::count("min_cluster_size", 5, "smallest cluster; smaller groups are noise")
        .at_least(2)
        .window_start(crate::cluster::params::Literal::Count(15)),
    ParamSpec::count(
        "min_samples",
        5,
        "neighbours (the point itself not counted) defining the core distance (default: min cluster size)",
    )
    .optional(),
    ParamSpec::choice(
        "cluster_selection",
        "eom",
        &[
            Choice {
                value: "eom",
                help: "excess of mass: the most persistent clusters",
            },
            Choice {
                value: "leaf",
                help: "the leaves of the condensed tree: many small, homogeneous clusters",
            },
        ],
        "how clusters are picked from the condensed tree",
    ),
    METRIC,
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HdbscanParams {
    pub min_cluster_size: usize,
    /// Neighbours (the point itself not counted) defining the core distance; defaults to
    /// `min_cluster_size`, as in the `hdbscan` library.
    pub min_samples: Option<usize>,
    #[serde(rename = "cluster_selection")]
    pub selection: ClusterSelection,
    #[serde(default)]
    pub metric: Metric,
}

impl HdbscanParams {
    pub fn new(min_cluster_size: usize) -> Self {
        Self {
            min_cluster_size,
            min_samples: None,
            selection: ClusterSelection::Eom,
            metric: Metric::Euclidean,
        }
    }

    pub fn metric(mut self, metric: Metric) -> Self {
        self.metric = metric;
        self
    }

    pub fn min_samples(mut self, min_samples: Option<usize>) -> Self {
        self.min_samples = min_samples;
        self
    }

    pub fn selection(mut self, selection: ClusterSelection) -> Self {
        self.selection = selection;
        self
    }

    pub fn check(&self) -> Result<(), ParamsError> {
        crate::cluster::check_declared::<Hdbscan>(self)
    }

    /// Core-distance neighbours for `n` points, clamped as the `hdbscan` library does.
    pub fn neighbours(&self, n: usize) -> usize {
        let wanted = self.min_samples.unwrap_or(self.min_cluster_size);
        wanted.min(n.saturating_sub(1)).max(1)
    }
}

/// The registry's HDBSCAN.
pub struct Hdbscan;

impl Algorithm for Hdbscan {
    type Params = HdbscanParams;
    type Valid = HdbscanParams;

    const INFO: AlgorithmInfo = AlgorithmInfo {
        id: "hdbscan",
        name: "HDBSCAN",
        family: Family::Density,
        summary: "hierarchical DBSCAN: the most persistent clusters of the density tree; noise, probabilities and GLOSH outlier scores",
        parameters: PARAMETERS,
        gpu_passes: super::gpu::HIERARCHY_PASSES,
        structures: &[StructureKind::CondensedTree, StructureKind::RowScores],
    };

    fn estimate(valid: &HdbscanParams, n: usize, d: usize) -> crate::cluster::cost::Estimate {
        let neighbours = valid.min_samples.unwrap_or(valid.min_cluster_size);
        crate::cluster::cost::tree_queries(n, d, neighbours)
    }

    fn check(params: &HdbscanParams, _n_rows: Option<usize>) -> Result<HdbscanParams, ParamsError> {
        params.check()?;
        Ok(params.clone())
    }

    fn run(
        valid: &HdbscanParams,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        let result = fit(engine, input.points, valid, input.backend, context)?;
        Ok(
            Clustering::new(result.labels, result.n_clusters, result.diagnostics)
                .with(Structure::CondensedTree {
                    tree: result.condensed,
                    selected: result.selected_clusters,
                })
                .with(Structure::RowScores {
                    name: "probability",
                    values: Arc::new(result.probabilities),
                })
                .with(Structure::RowScores {
                    name: "outlier_score",
                    values: Arc::new(result.outlier_scores),
                }),
        )
    }
}

/// One row of the condensed tree: `child` (a point `< n_points` or a cluster `≥ n_points`)
/// leaves `parent` at `lambda = 1 / distance`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CondensedRow {
    pub parent: u32,
    pub child: u32,
    pub lambda: f64,
    pub child_size: u32,
}

#[derive(Clone, Debug, Default)]
pub struct CondensedTree {
    pub n_points: usize,
    pub rows: Vec<CondensedRow>,
    /// Clusters are `n_points..n_points + n_clusters`; the root is `n_points`.
    pub n_clusters: usize,
}

impl CondensedTree {
    /// Prunes the single linkage tree: a split where one side has fewer than
    /// `min_cluster_size` points is points falling out of the other side, not a new cluster.
    pub fn condense(tree: &Dendrogram, min_cluster_size: usize) -> Self {
        let n = tree.n_leaves;
        let mut rows = Vec::with_capacity(2 * n);
        if tree.merges.len() + 1 != n || n < 2 {
            // One point (or a disconnected tree): everything hangs off the root.
            for point in 0..n as u32 {
                rows.push(CondensedRow {
                    parent: n as u32,
                    child: point,
                    lambda: f64::INFINITY,
                    child_size: 1,
                });
            }
            return Self {
                n_points: n,
                rows,
                n_clusters: 1,
            };
        }
        let root = 2 * n - 2;
        let mut relabel = vec![0u32; root + 1];
        relabel[root] = n as u32;
        let mut next_label = n as u32 + 1;
        let mut ignore = vec![false; root + 1];
        let mut stack = Vec::new();
        // Parents have larger ids than their children, so this is top-down.
        for node in (n..=root).rev() {
            if ignore[node] {
                continue;
            }
            let (left, right) = tree.children(node);
            let height = tree.height_of(node);
            let lambda = if height > 0.0 {
                1.0 / height
            } else {
                f64::INFINITY
            };
            let left_count = tree.size_of(left) as usize;
            let right_count = tree.size_of(right) as usize;
            let parent = relabel[node];
            let mut fall_out = |subtree: usize, rows: &mut Vec<CondensedRow>| {
                stack.push(subtree);
                while let Some(current) = stack.pop() {
                    ignore[current] = true;
                    if current < n {
                        rows.push(CondensedRow {
                            parent,
                            child: current as u32,
                            lambda,
                            child_size: 1,
                        });
                    } else {
                        let (a, b) = tree.children(current);
                        stack.push(b);
                        stack.push(a);
                    }
                }
            };
            let big_left = left_count >= min_cluster_size;
            let big_right = right_count >= min_cluster_size;
            match (big_left, big_right) {
                (true, true) => {
                    for (child, count) in [(left, left_count), (right, right_count)] {
                        relabel[child] = next_label;
                        next_label += 1;
                        rows.push(CondensedRow {
                            parent,
                            child: relabel[child],
                            lambda,
                            child_size: count as u32,
                        });
                    }
                }
                (false, false) => {
                    fall_out(left, &mut rows);
                    fall_out(right, &mut rows);
                }
                (false, true) => {
                    relabel[right] = parent;
                    fall_out(left, &mut rows);
                }
                (true, false) => {
                    relabel[left] = parent;
                    fall_out(right, &mut rows);
                }
            }
        }
        Self {
            n_points: n,
            rows,
            n_clusters: (next_label - n as u32) as usize,
        }
    }

    fn index(&self, cluster: u32) -> usize {
        cluster as usize - self.n_points
    }

    /// Parent of each cluster (the root's is itself).
    pub fn cluster_parents(&self) -> Vec<u32> {
        let mut parents: Vec<u32> = (0..self.n_clusters)
            .map(|c| (c + self.n_points) as u32)
            .collect();
        for row in &self.rows {
            if row.child as usize >= self.n_points {
                parents[self.index(row.child)] = row.parent;
            }
        }
        parents
    }

    /// Lambda at which each cluster was born (0 for the root).
    pub fn births(&self) -> Vec<f64> {
        let mut births = vec![0.0; self.n_clusters];
        for row in &self.rows {
            if row.child as usize >= self.n_points {
                births[self.index(row.child)] = row.lambda;
            }
        }
        births
    }

    /// Largest lambda among each cluster's own rows (hdbscan's `max_lambdas`).
    pub fn deaths(&self) -> Vec<f64> {
        let mut deaths = vec![0.0f64; self.n_clusters];
        for row in &self.rows {
            let slot = &mut deaths[self.index(row.parent)];
            *slot = slot.max(row.lambda);
        }
        deaths
    }

    /// Sizes at birth.
    pub fn sizes(&self) -> Vec<u32> {
        let mut sizes = vec![self.n_points as u32; self.n_clusters];
        for row in &self.rows {
            if row.child as usize >= self.n_points {
                sizes[self.index(row.child)] = row.child_size;
            }
        }
        sizes
    }

    /// Excess of mass of each cluster: Σ over its rows of (λ_row − λ_birth) · size.
    pub fn stabilities(&self) -> Vec<f64> {
        let births = self.births();
        let mut stability = vec![0.0; self.n_clusters];
        for row in &self.rows {
            let parent = self.index(row.parent);
            stability[parent] += (row.lambda - births[parent]) * row.child_size as f64;
        }
        stability
    }

    /// Cluster children of each cluster.
    pub fn cluster_children(&self) -> Vec<Vec<u32>> {
        let mut children = vec![Vec::new(); self.n_clusters];
        for row in &self.rows {
            if row.child as usize >= self.n_points {
                children[self.index(row.parent)].push(row.child);
            }
        }
        children
    }

    /// Which clusters are selected (indexed from the root).
    pub fn select(&self, selection: ClusterSelection) -> Vec<bool> {
        let children = self.cluster_children();
        let mut selected = vec![false; self.n_clusters];
        match selection {
            ClusterSelection::Eom => {
                let mut stability = self.stabilities();
                // Every cluster but the root, children before parents.
                for cluster in (1..self.n_clusters).rev() {
                    let subtree: f64 = children[cluster]
                        .iter()
                        .map(|&c| stability[self.index(c)])
                        .sum();
                    if subtree > stability[cluster] {
                        selected[cluster] = false;
                        stability[cluster] = subtree;
                    } else {
                        selected[cluster] = true;
                        let mut stack: Vec<u32> = children[cluster].clone();
                        while let Some(descendant) = stack.pop() {
                            selected[self.index(descendant)] = false;
                            stack.extend(&children[self.index(descendant)]);
                        }
                    }
                }
            }
            ClusterSelection::Leaf => {
                if self.n_clusters > 1 {
                    for cluster in 1..self.n_clusters {
                        selected[cluster] = children[cluster].is_empty();
                    }
                }
                // With no split at all hdbscan selects the root, which labels as noise.
            }
        }
        selected
    }
}

#[derive(Clone)]
pub struct HdbscanResult {
    pub labels: Vec<u32>,
    pub n_clusters: usize,
    /// Strength of each point's membership in its cluster, 0 for noise.
    pub probabilities: Vec<f64>,
    /// GLOSH: 0 for points at the heart of their cluster, towards 1 for outliers.
    pub outlier_scores: Vec<f64>,
    pub condensed: Arc<CondensedTree>,
    /// The condensed-tree cluster behind each label.
    pub selected_clusters: Vec<u32>,
    pub hierarchy: Arc<DensityHierarchy>,
    pub diagnostics: RunDiagnostics,
}

pub fn fit(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &HdbscanParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<HdbscanResult, ClusterError> {
    let started = Instant::now();
    params.check()?;
    let neighbours = params.neighbours(points.n_rows);
    let backend = super::resolve(engine, backend, points.n_rows, neighbours)?;
    let hierarchy = density_hierarchy(engine, points, neighbours, params.metric, backend, context)?;
    context.check_cancelled()?;
    let mut result = extract(&hierarchy, params);
    result.diagnostics.elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(result)
}

/// Labels, probabilities and outlier scores from a hierarchy.
pub fn extract(hierarchy: &Arc<DensityHierarchy>, params: &HdbscanParams) -> HdbscanResult {
    let tree = hierarchy.dendrogram();
    let condensed = CondensedTree::condense(&tree, params.min_cluster_size);
    let n = condensed.n_points;
    let selected = condensed.select(params.selection);
    let parents = condensed.cluster_parents();
    // The selected cluster each cluster lies in, if any (parents come before children).
    let mut owner = vec![u32::MAX; condensed.n_clusters];
    for cluster in 0..condensed.n_clusters {
        owner[cluster] = if selected[cluster] {
            (cluster + n) as u32
        } else if cluster == 0 {
            u32::MAX
        } else {
            owner[parents[cluster] as usize - n]
        };
    }
    let selected_clusters: Vec<u32> = (0..condensed.n_clusters)
        .filter(|&c| selected[c] && c != 0)
        .map(|c| (c + n) as u32)
        .collect();
    let mut label_of = vec![NOISE; condensed.n_clusters];
    for (label, &cluster) in selected_clusters.iter().enumerate() {
        label_of[cluster as usize - n] = label as u32;
    }
    let deaths = condensed.deaths();
    // GLOSH divides by the densest λ under each cluster; repeated rows leave at λ = ∞
    // (distance 0), which would make every score in their branch ∞/∞. The densest finite
    // λ stands in (the hdbscan library gives NaN there), and rows at ∞ score 0.
    let mut propagated = vec![0.0f64; condensed.n_clusters];
    for row in condensed.rows.iter().filter(|r| r.lambda.is_finite()) {
        let slot = &mut propagated[row.parent as usize - n];
        *slot = slot.max(row.lambda);
    }
    for cluster in (1..condensed.n_clusters).rev() {
        let parent = parents[cluster] as usize - n;
        propagated[parent] = propagated[parent].max(propagated[cluster]);
    }
    let mut labels = vec![NOISE; n];
    let mut probabilities = vec![0.0; n];
    let mut outlier_scores = vec![0.0; n];
    for row in &condensed.rows {
        if row.child as usize >= n {
            continue;
        }
        let point = row.child as usize;
        let parent = row.parent as usize - n;
        let max_lambda = propagated[parent];
        outlier_scores[point] = if max_lambda == 0.0 || !row.lambda.is_finite() {
            0.0
        } else {
            (max_lambda - row.lambda) / max_lambda
        };
        let cluster = owner[parent];
        if cluster == u32::MAX || cluster as usize == n {
            continue;
        }
        labels[point] = label_of[cluster as usize - n];
        let death = deaths[cluster as usize - n];
        probabilities[point] = if death == 0.0 || !row.lambda.is_finite() {
            1.0
        } else {
            row.lambda.min(death) / death
        };
    }
    HdbscanResult {
        labels,
        n_clusters: selected_clusters.len(),
        probabilities,
        outlier_scores,
        condensed: Arc::new(condensed),
        selected_clusters,
        hierarchy: Arc::clone(hierarchy),
        diagnostics: RunDiagnostics {
            backend: hierarchy.backend,
            adapter: hierarchy.adapter.clone(),
            iterations: 1,
            converged: true,
            elapsed_ms: hierarchy.elapsed_ms,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condensing_two_groups_of_three() {
        // Points 0-2 and 3-5 tight groups, joined at height 10.
        let tree = Dendrogram::over_points(
            6,
            [
                (0, 1, 1.0),
                (1, 2, 1.0),
                (3, 4, 2.0),
                (4, 5, 2.0),
                (2, 3, 10.0),
            ],
        );
        let condensed = CondensedTree::condense(&tree, 3);
        assert_eq!(condensed.n_clusters, 3);
        let clusters: Vec<_> = condensed
            .rows
            .iter()
            .filter(|r| r.child >= 6)
            .map(|r| (r.parent, r.child_size, r.lambda))
            .collect();
        assert_eq!(clusters, vec![(6, 3, 0.1), (6, 3, 0.1)]);
        let selected = condensed.select(ClusterSelection::Eom);
        assert_eq!(selected, vec![false, true, true]);
        // Stability of a child: 3 points leaving at λ=1 (or 0.5) after birth at 0.1.
        let stability = condensed.stabilities();
        let mut children = stability[1..].to_vec();
        children.sort_by(f64::total_cmp);
        assert!((children[0] - 3.0 * (0.5 - 0.1)).abs() < 1e-12);
        assert!((children[1] - 3.0 * (1.0 - 0.1)).abs() < 1e-12);
    }
}
