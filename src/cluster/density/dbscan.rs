//! DBSCAN as a cut of the density hierarchy.
//!
//! Core points are exactly scikit-learn's: at least `min_points` points (itself included)
//! within `eps`, inclusive. Border points follow scikit-learn's rule too, stated without its
//! traversal: a non-core point within `eps` of core points of several clusters joins the
//! cluster whose lowest-numbered core point comes first. So labels equal scikit-learn's up
//! to renumbering; noise is [`NOISE`](crate::cluster::NOISE).

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::hierarchy::{DensityHierarchy, density_hierarchy, spread_to_border};
use crate::cluster::metric::{self, METRIC, Metric};
use crate::cluster::params::{ParamSpec, ParamsError, RealRange, real};
use crate::cluster::{
    Algorithm, AlgorithmInfo, BackendChoice, ClusterError, Clustering, Engine, Family, Input,
    NOISE, RunContext, RunDiagnostics, Structure, StructureKind,
};
use crate::matrix::Matrix;

/// The declarations of [`DbscanParams`].
pub const PARAMETERS: &[ParamSpec] = &[
    ParamSpec::real(
        "eps",
        0.3,
        RealRange::POSITIVE,
        "the neighbourhood radius, in the scaled feature space",
    )
    .required(),
    ParamSpec::count(
        "min_points",
        5,
        "points (itself included) within eps that make a core point",
    ),
    METRIC,
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DbscanParams {
    #[serde(with = "real")]
    pub eps: f64,
    pub min_points: usize,
    /// eps is a distance under this metric.
    #[serde(default)]
    pub metric: Metric,
}

impl DbscanParams {
    pub fn new(eps: f64, min_points: usize) -> Self {
        Self {
            eps,
            min_points,
            metric: Metric::Euclidean,
        }
    }

    pub fn metric(mut self, metric: Metric) -> Self {
        self.metric = metric;
        self
    }

    pub fn check(&self) -> Result<(), ParamsError> {
        crate::cluster::check_declared::<Dbscan>(self)
    }
}

/// The registry's DBSCAN.
pub struct Dbscan;

impl Algorithm for Dbscan {
    type Params = DbscanParams;
    type Valid = DbscanParams;

    const INFO: AlgorithmInfo = AlgorithmInfo {
        id: "dbscan",
        name: "DBSCAN",
        family: Family::Density,
        summary: "density-connected clusters of core points within eps; the rest is noise",
        parameters: PARAMETERS,
        gpu_passes: super::gpu::DBSCAN_PASSES,
        structures: &[StructureKind::KDistance],
    };

    fn estimate(valid: &DbscanParams, n: usize, d: usize) -> crate::cluster::cost::Estimate {
        crate::cluster::cost::tree_queries(n, d, valid.min_points)
    }

    fn check(params: &DbscanParams, _n_rows: Option<usize>) -> Result<DbscanParams, ParamsError> {
        params.check()?;
        Ok(params.clone())
    }

    fn run(
        valid: &DbscanParams,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        // The grid's cells hold rows within eps by Euclidean geometry (cosine: unit rows).
        if engine.single_runs()
            && input.backend != BackendChoice::Gpu
            && valid.metric != Metric::Manhattan
            && input.points.n_cols <= 3
            && valid.min_points <= input.points.n_rows
        {
            let started = Instant::now();
            let searched = metric::rows_for(engine, input.points, valid.metric)?;
            let radius = metric::searched_radius(valid.metric, valid.eps);
            if let Some((labels, n_clusters, _)) =
                super::grid_dbscan::grid_dbscan(&searched, radius, valid.min_points, context)?
            {
                let mut diagnostics = RunDiagnostics::cpu(1, true);
                diagnostics.elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
                return Ok(Clustering::new(labels, n_clusters, diagnostics));
            }
        }
        let result = fit(engine, input.points, valid, input.backend, context)?;
        let distances = Arc::new(k_distances(&result.hierarchy));
        Ok(
            Clustering::new(result.labels, result.n_clusters, result.diagnostics).with(
                Structure::KDistance {
                    distances,
                    neighbours: valid.min_points,
                    threshold: valid.eps,
                },
            ),
        )
    }
}

#[derive(Clone)]
pub struct DbscanResult {
    /// Cluster per point, or NOISE.
    pub labels: Vec<u32>,
    pub n_clusters: usize,
    pub is_core: Vec<bool>,
    /// The hierarchy this was cut from; cut it again with [`cut`] for another eps.
    pub hierarchy: Arc<DensityHierarchy>,
    pub diagnostics: RunDiagnostics,
}

impl DbscanResult {
    pub fn n_noise(&self) -> usize {
        self.labels.iter().filter(|&&l| l == NOISE).count()
    }
}

pub fn fit(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &DbscanParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<DbscanResult, ClusterError> {
    let started = Instant::now();
    params.check()?;
    let n = points.n_rows;
    // More points asked of a core than there are: no core point, every point noise (as
    // scikit-learn); the k-distance curve still shows the farthest neighbour.
    let hierarchy = hierarchy_for(
        engine,
        points,
        params.min_points,
        params.metric,
        backend,
        context,
    )?;
    let mut result = cut(engine, &hierarchy, params.eps)?;
    if params.min_points > n {
        result.labels = vec![NOISE; n];
        result.is_core = vec![false; n];
        result.n_clusters = 0;
    }
    result.diagnostics.elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(result)
}

/// The density hierarchy DBSCAN with `min_points` cuts (cached in the engine, so the
/// runs that follow reuse it).
fn hierarchy_for(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    min_points: usize,
    metric: Metric,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<Arc<DensityHierarchy>, ClusterError> {
    let n = points.n_rows;
    let neighbours = (min_points.max(1) - 1).min(n.saturating_sub(1));
    let backend = super::resolve(engine, backend, n, neighbours)?;
    density_hierarchy(engine, points, neighbours, metric, backend, context)
}

/// The k-distance curve of DBSCAN with `min_points` on `points`, before any run: what a
/// sweep over eps reads its values from (`eps=kdist`).
pub fn k_distance_curve(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    min_points: usize,
    metric: Metric,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<Vec<f64>, ClusterError> {
    let hierarchy = hierarchy_for(engine, points, min_points, metric, backend, context)?;
    Ok(k_distances(&hierarchy))
}

/// DBSCAN at `eps` from an existing hierarchy: a union-find pass over the tree's edges and
/// one radius query per non-core point.
pub fn cut(
    engine: &mut Engine,
    hierarchy: &Arc<DensityHierarchy>,
    eps: f64,
) -> Result<DbscanResult, ClusterError> {
    let started = Instant::now();
    DbscanParams::new(eps, hierarchy.neighbours + 1).check()?;
    let eps_sq = hierarchy.searched_sq(eps);
    let core_labels = hierarchy.core_labels(eps_sq);
    let is_core = core_labels.iter().map(|&l| l != NOISE).collect();
    let n_clusters = core_labels
        .iter()
        .filter(|&&l| l != NOISE)
        .max()
        .map_or(0, |&m| m as usize + 1);
    let labels = spread_to_border(engine, hierarchy, &core_labels, eps_sq)?;
    Ok(DbscanResult {
        labels,
        n_clusters,
        is_core,
        hierarchy: Arc::clone(hierarchy),
        diagnostics: RunDiagnostics {
            backend: hierarchy.backend,
            adapter: hierarchy.adapter.clone(),
            iterations: 1,
            converged: true,
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        },
    })
}

/// The k-distance curve (distance to the `min_points`-th neighbour, the point itself
/// counted), sorted descending as Orange draws it.
pub fn k_distances(hierarchy: &DensityHierarchy) -> Vec<f64> {
    let mut distances = hierarchy.core_distances();
    distances.sort_by(|a, b| b.total_cmp(a));
    distances
}
