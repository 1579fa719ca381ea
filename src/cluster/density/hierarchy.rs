//! One density hierarchy shared by DBSCAN, HDBSCAN and single linkage: core distances and
//! the mutual reachability spanning tree. DBSCAN at any eps is a cut of this tree (plus
//! border points), so moving eps never recomputes it; the engine keeps the last one.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use super::gpu::GpuDensity;
use super::mst::{self, MstEdge};
use super::planar_mst::planar_mst;
use crate::cluster::hierarchy::Dendrogram;
use crate::cluster::metric::{self, Metric};
use crate::cluster::{Backend, ClusterError, Engine, RunContext};
use crate::matrix::Matrix;
use crate::spatial::{KdTree, NO_LABEL};

/// Core distances and the spanning tree for one (dataset, neighbour count).
pub struct DensityHierarchy {
    /// The core distance of a point is the distance to its `neighbours`-th nearest other
    /// point (0 for single linkage).
    pub neighbours: usize,
    /// Squared core distances per point (for Manhattan, squared Manhattan distances).
    pub core_sq: Vec<f32>,
    /// Spanning tree edges, sorted by (weight, a, b).
    pub edges: Vec<MstEdge>,
    pub backend: Backend,
    pub adapter: String,
    pub elapsed_ms: f64,
    /// The distance asked for. The tree is searched on [`Self::points`] by Euclidean
    /// distance (for cosine, unit rows: the same order; distances it reports are mapped) or
    /// by Manhattan distance, squared like the Euclidean ones.
    pub metric: Metric,
    points: Arc<Matrix>,
    tree: OnceLock<Arc<KdTree>>,
}

impl DensityHierarchy {
    /// The rows searched: the input, or its unit rows for cosine.
    pub fn points(&self) -> &Arc<Matrix> {
        &self.points
    }

    /// The metric's distance of a Euclidean distance between searched rows.
    pub fn distance(&self, searched: f64) -> f64 {
        metric::from_searched(self.metric, searched)
    }

    /// The squared Euclidean radius between searched rows that holds the rows within the
    /// metric's `distance`.
    pub fn searched_sq(&self, distance: f64) -> f32 {
        let radius = metric::searched_radius(self.metric, distance);
        (radius * radius) as f32
    }

    /// The k-d tree over the points (built on first use when the GPU built the hierarchy).
    pub fn tree(&self) -> &Arc<KdTree> {
        self.tree
            .get_or_init(|| Arc::new(KdTree::build_for(&self.points, self.metric)))
    }

    /// Core distances under the metric (not squared).
    pub fn core_distances(&self) -> Vec<f64> {
        self.core_sq
            .iter()
            .map(|&c| self.distance((c as f64).sqrt()))
            .collect()
    }

    /// The single linkage tree of mutual reachability distances under the metric.
    pub fn dendrogram(&self) -> Dendrogram {
        Dendrogram::over_points(
            self.core_sq.len(),
            self.edges
                .iter()
                .map(|e| (e.a, e.b, self.distance(e.weight()))),
        )
    }

    /// DBSCAN's core clusters at `eps`: a core point has its core distance ≤ eps, and two
    /// core points share a cluster when a chain of core points ≤ eps apart joins them,
    /// which is when the spanning tree joins them by edges ≤ eps. Clusters are numbered
    /// in order of their lowest core point; other points get [`NO_LABEL`].
    pub fn core_labels(&self, eps_sq: f32) -> Vec<u32> {
        let n = self.core_sq.len();
        let mut components = mst::Components::new(n);
        for edge in self.edges.iter().take_while(|e| e.weight_sq <= eps_sq) {
            components.union(edge.a, edge.b);
        }
        let mut numbering = vec![NO_LABEL; n];
        let mut next = 0;
        (0..n)
            .map(|point| {
                if self.core_sq[point] > eps_sq {
                    return NO_LABEL;
                }
                let root = components.find(point as u32) as usize;
                if numbering[root] == NO_LABEL {
                    numbering[root] = next;
                    next += 1;
                }
                numbering[root]
            })
            .collect()
    }
}

/// Key of the hierarchy the engine keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
struct HierarchyKey {
    points: usize,
    neighbours: usize,
    metric: Metric,
    backend: Backend,
}

/// The hierarchy the engine keeps: DBSCAN with another eps is a cut of it.
#[derive(Default)]
struct LastHierarchy(Option<(HierarchyKey, Arc<DensityHierarchy>)>);

/// Returns the engine's hierarchy for these points, neighbour count and metric, building
/// it when the last one was for something else.
pub fn density_hierarchy(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    neighbours: usize,
    metric: Metric,
    backend: Backend,
    context: &RunContext,
) -> Result<Arc<DensityHierarchy>, ClusterError> {
    let points = &metric::rows_for(engine, points, metric)?;
    let key = HierarchyKey {
        points: Arc::as_ptr(points) as usize,
        neighbours,
        metric,
        backend,
    };
    if let Some((cached_key, hierarchy)) = &engine.state::<LastHierarchy>().0
        && *cached_key == key
        && Arc::ptr_eq(hierarchy.points(), points)
    {
        return Ok(Arc::clone(hierarchy));
    }
    let started = Instant::now();
    // In the plane without core distances, the Delaunay triangulation holds the tree.
    let planar = match backend {
        Backend::Cpu if points.n_cols == 2 && neighbours == 0 && metric != Metric::Manhattan => {
            planar_mst(points, context)?
        }
        _ => None,
    };
    let (core_sq, mut edges, adapter, tree) = match (backend, planar) {
        (_, Some(edges)) => (
            vec![0.0; points.n_rows],
            edges,
            "CPU (Delaunay triangulation)".to_string(),
            None,
        ),
        (Backend::Cpu, None) => {
            let tree = KdTree::build_for(points, metric);
            context.check_cancelled()?;
            let core_sq = mst::core_distances_cpu(&tree, neighbours, context)?;
            context.check_cancelled()?;
            let edges = mst::boruvka_cpu(&tree, &core_sq, context)?;
            (
                core_sq,
                edges,
                format!("{} CPU threads", rayon::current_num_threads()),
                Some(Arc::new(tree)),
            )
        }
        (Backend::Gpu, None) => {
            let gpu = GpuDensity::new(&engine.gpu()?, points, metric)?;
            let core_sq = gpu.core_distances(neighbours)?;
            context.check_cancelled()?;
            let edges = gpu.spanning_tree(&core_sq, context)?;
            (core_sq, edges, gpu.adapter_name(), None)
        }
    };
    mst::sort_edges(&mut edges);
    let hierarchy = Arc::new(DensityHierarchy {
        neighbours,
        core_sq,
        edges,
        backend,
        adapter,
        elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        metric,
        points: Arc::clone(points),
        tree: OnceLock::new(),
    });
    if let Some(tree) = tree {
        let _ = hierarchy.tree.set(tree);
    }
    engine.state::<LastHierarchy>().0 = Some((key, Arc::clone(&hierarchy)));
    Ok(hierarchy)
}

/// Core distances alone (OPTICS needs no spanning tree).
pub fn core_distances(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    tree: &KdTree,
    neighbours: usize,
    backend: Backend,
    context: &RunContext,
) -> Result<Vec<f32>, ClusterError> {
    match backend {
        Backend::Cpu => mst::core_distances_cpu(tree, neighbours, context),
        Backend::Gpu => {
            Ok(GpuDensity::new(&engine.gpu()?, points, tree.metric())?
                .core_distances(neighbours)?)
        }
    }
}

/// For each non-core point, the smallest core label within `eps_sq`; core points keep
/// theirs. [`NO_LABEL`] stays for noise.
pub fn spread_to_border(
    engine: &mut Engine,
    hierarchy: &DensityHierarchy,
    core_labels: &[u32],
    eps_sq: f32,
) -> Result<Vec<u32>, ClusterError> {
    match hierarchy.backend {
        Backend::Gpu => Ok(
            GpuDensity::new(&engine.gpu()?, hierarchy.points(), hierarchy.metric)?
                .border_labels(core_labels, eps_sq)?,
        ),
        Backend::Cpu => {
            use rayon::prelude::*;
            let tree = hierarchy.tree();
            Ok(core_labels
                .par_iter()
                .enumerate()
                .with_min_len(256)
                .map(|(point, &label)| {
                    if label != NO_LABEL {
                        label
                    } else {
                        tree.min_label_within(point, eps_sq, core_labels)
                    }
                })
                .collect())
        }
    }
}
