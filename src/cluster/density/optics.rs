//! OPTICS (Ankerst et al.) as scikit-learn computes it: core distance to the
//! `min_points`-th neighbour (the point itself counted), an ordering that always expands
//! the unprocessed point of least reachability (lowest index on ties), and clusters
//! extracted by ξ-steep areas or by a reachability threshold.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use serde::{Deserialize, Serialize};

use super::hierarchy::core_distances;
use crate::cluster::metric::{self, METRIC, Metric};
use crate::cluster::params::{ParamSpec, ParamsError, RealRange, real};
use crate::cluster::{
    Algorithm, AlgorithmInfo, BackendChoice, ClusterError, Clustering, Engine, Family, Input,
    NOISE, RunContext, RunDiagnostics, Structure, StructureKind,
};
use crate::matrix::Matrix;
use crate::spatial::KdTree;

/// How clusters are read off the reachability plot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OpticsExtraction {
    /// ξ-steep areas (scikit-learn's `cluster_optics_xi`).
    Xi(f64),
    /// Valleys below a reachability threshold (`cluster_optics_dbscan`).
    Threshold(f64),
}

/// The declarations of [`OpticsParams`].
pub const PARAMETERS: &[ParamSpec] = &[
    ParamSpec::count(
        "min_points",
        5,
        "points (itself included) that make a core point",
    )
    .at_least(2),
    ParamSpec::real(
        "max_eps",
        1.0,
        RealRange::POSITIVE_OR_INFINITE,
        "largest neighbourhood radius searched (default: no limit, every pair)",
    )
    .optional(),
    ParamSpec::real(
        "xi",
        0.05,
        RealRange::OPEN_UNIT,
        "ξ extraction: the steepness that starts or ends a cluster in the reachability plot",
    ),
    ParamSpec::real(
        "reachability",
        0.5,
        RealRange::POSITIVE,
        "extract by this reachability threshold instead of ξ (scikit-learn's cluster_optics_dbscan)",
    )
    .optional()
    .replaces("xi"),
    ParamSpec::count(
        "min_cluster_size",
        5,
        "ξ extraction: the smallest cluster (default: min points)",
    )
    .at_least(2)
    .optional(),
    METRIC,
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "OpticsValues", try_from = "OpticsValues")]
pub struct OpticsParams {
    pub min_points: usize,
    /// Infinite: no limit.
    pub max_eps: f64,
    pub extraction: OpticsExtraction,
    /// Smallest ξ cluster; defaults to `min_points`.
    pub min_cluster_size: Option<usize>,
    /// Reachability distances (and max_eps) are under this metric.
    pub metric: Metric,
}

/// The declared shape of [`OpticsParams`] (the extraction as two alternatives).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpticsValues {
    min_points: usize,
    #[serde(with = "real::option")]
    max_eps: Option<f64>,
    #[serde(with = "real::option")]
    xi: Option<f64>,
    #[serde(with = "real::option")]
    reachability: Option<f64>,
    min_cluster_size: Option<usize>,
    #[serde(default)]
    metric: Metric,
}

impl From<OpticsParams> for OpticsValues {
    fn from(p: OpticsParams) -> Self {
        let (xi, reachability) = match p.extraction {
            OpticsExtraction::Xi(xi) => (Some(xi), None),
            OpticsExtraction::Threshold(t) => (None, Some(t)),
        };
        Self {
            min_points: p.min_points,
            max_eps: (p.max_eps != f64::INFINITY).then_some(p.max_eps),
            xi,
            reachability,
            min_cluster_size: p.min_cluster_size,
            metric: p.metric,
        }
    }
}

impl TryFrom<OpticsValues> for OpticsParams {
    type Error = String;
    fn try_from(v: OpticsValues) -> Result<Self, String> {
        let extraction = match (v.xi, v.reachability) {
            (_, Some(threshold)) => OpticsExtraction::Threshold(threshold),
            (Some(xi), None) => OpticsExtraction::Xi(xi),
            (None, None) => return Err("give xi or reachability".into()),
        };
        Ok(Self {
            min_points: v.min_points,
            max_eps: v.max_eps.unwrap_or(f64::INFINITY),
            extraction,
            min_cluster_size: v.min_cluster_size,
            metric: v.metric,
        })
    }
}

impl OpticsParams {
    pub fn new(min_points: usize) -> Self {
        Self {
            min_points,
            max_eps: f64::INFINITY,
            extraction: OpticsExtraction::Xi(0.05),
            min_cluster_size: None,
            metric: Metric::Euclidean,
        }
    }

    pub fn metric(mut self, metric: Metric) -> Self {
        self.metric = metric;
        self
    }

    pub fn check(&self) -> Result<(), ParamsError> {
        crate::cluster::check_declared::<Optics>(self)
    }
}

/// The registry's OPTICS.
pub struct Optics;

impl Algorithm for Optics {
    type Params = OpticsParams;
    type Valid = OpticsParams;

    const INFO: AlgorithmInfo = AlgorithmInfo {
        id: "optics",
        name: "OPTICS",
        family: Family::Density,
        summary: "reachability ordering; clusters are its valleys, by ξ-steep areas or a threshold",
        parameters: PARAMETERS,
        gpu_passes: super::gpu::OPTICS_PASSES,
        structures: &[StructureKind::Reachability],
    };

    fn estimate(valid: &OpticsParams, n: usize, d: usize) -> crate::cluster::cost::Estimate {
        crate::cluster::cost::tree_queries(n, d, valid.min_points)
    }

    fn check(params: &OpticsParams, n_rows: Option<usize>) -> Result<OpticsParams, ParamsError> {
        params.check()?;
        if let Some(n) = n_rows
            && params.min_points > n
        {
            // As scikit-learn: a core point cannot need more points than there are.
            return Err(ParamsError::new(
                "min_points",
                format!(
                    "{{min_points}} = {} exceeds the {n} usable rows",
                    params.min_points
                ),
            ));
        }
        Ok(params.clone())
    }

    fn run(
        valid: &OpticsParams,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        let result = fit(engine, input.points, valid, input.backend, context)?;
        Ok(
            Clustering::new(result.labels, result.n_clusters, result.diagnostics).with(
                Structure::Reachability {
                    ordering: result.ordering,
                    xi_clusters: result.xi_clusters,
                    extraction: valid.extraction,
                },
            ),
        )
    }
}

/// The OPTICS ordering with its reachability plot.
#[derive(Clone, Debug)]
pub struct OpticsOrdering {
    pub ordering: Vec<u32>,
    /// Reachability per point (not in ordering order); infinite where none.
    pub reachability: Vec<f64>,
    pub core_distances: Vec<f64>,
    /// The point each one was reached from, `u32::MAX` for none.
    pub predecessor: Vec<u32>,
    pub min_points: usize,
}

#[derive(Clone)]
pub struct OpticsResult {
    pub labels: Vec<u32>,
    pub n_clusters: usize,
    pub ordering: Arc<OpticsOrdering>,
    /// ξ clusters as (start, end) positions in the ordering, inclusive, nested ones included.
    pub xi_clusters: Vec<(usize, usize)>,
    pub diagnostics: RunDiagnostics,
}

pub fn fit(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &OpticsParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<OpticsResult, ClusterError> {
    let started = Instant::now();
    params.check()?;
    if params.min_points > points.n_rows {
        return Err(ParamsError::new(
            "min_points",
            format!(
                "{{min_points}} = {} exceeds the {} usable rows",
                params.min_points, points.n_rows
            ),
        )
        .into());
    }
    let backend = super::resolve(engine, backend, points.n_rows, params.min_points - 1)?;
    // Cosine runs on unit rows (the same neighbour order); distances are mapped back.
    let points = &metric::rows_for(engine, points, params.metric)?;
    let tree = KdTree::build_for(points, params.metric);
    let core_sq = core_distances(
        engine,
        points,
        &tree,
        params.min_points - 1,
        backend,
        context,
    )?;
    context.check_cancelled()?;
    let ordering = Arc::new(order(points, &tree, &core_sq, params, context)?);
    let (labels, xi_clusters) = extract(&ordering, params);
    let n_clusters = count_clusters(&labels);
    Ok(OpticsResult {
        labels,
        n_clusters,
        ordering,
        xi_clusters,
        diagnostics: RunDiagnostics {
            backend,
            adapter: match backend {
                crate::cluster::Backend::Cpu => crate::cluster::cpu_name(),
                crate::cluster::Backend::Gpu => engine
                    .gpu_context()
                    .map(|c| c.adapter_name())
                    .unwrap_or_default(),
            },
            iterations: 1,
            converged: true,
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        },
    })
}

pub fn count_clusters(labels: &[u32]) -> usize {
    labels
        .iter()
        .filter(|&&l| l != NOISE)
        .max()
        .map_or(0, |&m| m as usize + 1)
}

/// Labels (and ξ clusters) from an ordering, without recomputing it.
pub fn extract(
    ordering: &OpticsOrdering,
    params: &OpticsParams,
) -> (Vec<u32>, Vec<(usize, usize)>) {
    match params.extraction {
        OpticsExtraction::Threshold(eps) => (threshold_labels(ordering, eps), Vec::new()),
        OpticsExtraction::Xi(xi) => {
            let min_cluster_size = params.min_cluster_size.unwrap_or(params.min_points).max(2);
            let clusters = xi_clusters(ordering, xi, params.min_points, min_cluster_size);
            (xi_labels(ordering, &clusters), clusters)
        }
    }
}

/// Max-heap entry turned min-heap on (reachability, point).
type HeapEntry = Reverse<(OrderedF64, u32)>;

#[derive(Clone, Copy, PartialEq)]
struct OrderedF64(f64);
impl Eq for OrderedF64 {}
impl PartialOrd for OrderedF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrderedF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

fn order(
    points: &Matrix,
    tree: &KdTree,
    core_sq: &[f32],
    params: &OpticsParams,
    context: &RunContext,
) -> Result<OpticsOrdering, ClusterError> {
    let n = points.n_rows;
    let max_eps = params.max_eps;
    let distance =
        |searched_sq: f32| metric::from_searched(params.metric, (searched_sq as f64).sqrt());
    let core_distances: Vec<f64> = core_sq
        .iter()
        .map(|&c| {
            let c = distance(c);
            if c > max_eps { f64::INFINITY } else { c }
        })
        .collect();
    let mut reachability = vec![f64::INFINITY; n];
    let mut predecessor = vec![u32::MAX; n];
    let mut processed = vec![false; n];
    let mut ordering = Vec::with_capacity(n);
    let mut heap: BinaryHeap<HeapEntry> = BinaryHeap::new();
    let mut next_unreached = 0usize;
    // Unprocessed points, for the dense (max_eps = ∞) case.
    let mut unprocessed: Vec<u32> = (0..n as u32).collect();
    let dense = !max_eps.is_finite();
    let radius_sq = if dense {
        f32::INFINITY
    } else {
        let radius = metric::searched_radius(params.metric, max_eps);
        (radius * radius) as f32
    };
    let mut neighbours: Vec<(u32, f64)> = Vec::new();
    while ordering.len() < n {
        if ordering.len() % 1024 == 0 {
            context.check_cancelled()?;
            context.report(crate::cluster::Progress {
                phase: "ordering",
                iteration: ordering.len(),
                max_iterations: n,
                shift: 0.0,
            });
        }
        // The unprocessed point of least reachability, lowest index on ties; all-infinite
        // means the lowest unprocessed index, as numpy's argmin gives.
        let point = loop {
            match heap.pop() {
                Some(Reverse((reach, p))) => {
                    if !processed[p as usize] && reachability[p as usize] == reach.0 {
                        break p as usize;
                    }
                }
                None => {
                    while processed[next_unreached] {
                        next_unreached += 1;
                    }
                    break next_unreached;
                }
            }
        };
        processed[point] = true;
        ordering.push(point as u32);
        let core = core_distances[point];
        if !core.is_finite() {
            continue;
        }
        neighbours.clear();
        if dense {
            unprocessed.retain(|&p| !processed[p as usize]);
            let query = points.row(point);
            neighbours.par_extend(unprocessed.par_iter().with_min_len(2048).map(|&other| {
                let d = tree.measure(query, points.row(other as usize));
                (other, distance(d))
            }));
        } else {
            tree.for_each_within(point, radius_sq, |other, d| {
                if !processed[other] {
                    neighbours.push((other as u32, distance(d)));
                }
            });
        }
        for &(other, distance) in &neighbours {
            let reach = distance.max(core);
            if reach < reachability[other as usize] {
                reachability[other as usize] = reach;
                predecessor[other as usize] = point as u32;
                heap.push(Reverse((OrderedF64(reach), other)));
            }
        }
    }
    Ok(OpticsOrdering {
        ordering,
        reachability,
        core_distances,
        predecessor,
        min_points: params.min_points,
    })
}

/// scikit-learn's `cluster_optics_dbscan`: a new cluster starts at each point whose
/// reachability exceeds `eps` but whose core distance does not.
pub fn threshold_labels(ordering: &OpticsOrdering, eps: f64) -> Vec<u32> {
    let n = ordering.ordering.len();
    let mut labels = vec![NOISE; n];
    let mut current: i64 = -1;
    for &point in &ordering.ordering {
        let p = point as usize;
        let far = ordering.reachability[p] > eps;
        let near_core = ordering.core_distances[p] <= eps;
        if far && near_core {
            current += 1;
        }
        labels[p] = if far && !near_core || current < 0 {
            NOISE
        } else {
            current as u32
        };
    }
    labels
}

struct SteepDownArea {
    start: usize,
    end: usize,
    mib: f64,
}

/// scikit-learn's `_xi_cluster`, line for line: steep down areas are kept on a stack and
/// each steep up area closes clusters with the compatible ones.
pub fn xi_clusters(
    ordering: &OpticsOrdering,
    xi: f64,
    min_samples: usize,
    min_cluster_size: usize,
) -> Vec<(usize, usize)> {
    let n = ordering.ordering.len();
    let mut plot: Vec<f64> = ordering
        .ordering
        .iter()
        .map(|&p| ordering.reachability[p as usize])
        .collect();
    plot.push(f64::INFINITY);
    let predecessor: Vec<u32> = ordering
        .ordering
        .iter()
        .map(|&p| ordering.predecessor[p as usize])
        .collect();
    let xi_complement = 1.0 - xi;
    let ratio: Vec<f64> = (0..n).map(|i| plot[i] / plot[i + 1]).collect();
    // NaN ratios (∞/∞) compare false everywhere, as numpy's do.
    let steep_upward: Vec<bool> = ratio.iter().map(|&r| r <= xi_complement).collect();
    let steep_downward: Vec<bool> = ratio.iter().map(|&r| r >= 1.0 / xi_complement).collect();
    let downward: Vec<bool> = ratio.iter().map(|&r| r > 1.0).collect();
    let upward: Vec<bool> = ratio.iter().map(|&r| r < 1.0).collect();

    let mut sdas: Vec<SteepDownArea> = Vec::new();
    let mut clusters = Vec::new();
    let mut index = 0usize;
    let mut mib = 0.0f64;
    for steep_index in 0..n {
        if !(steep_upward[steep_index] || steep_downward[steep_index]) || steep_index < index {
            continue;
        }
        mib = mib.max(
            plot[index..=steep_index]
                .iter()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max),
        );
        if steep_downward[steep_index] {
            update_filter_sdas(&mut sdas, mib, xi_complement, &plot);
            let d_start = steep_index;
            let d_end = extend_region(&steep_downward, &upward, d_start, min_samples);
            sdas.push(SteepDownArea {
                start: d_start,
                end: d_end,
                mib: 0.0,
            });
            index = d_end + 1;
            mib = plot[index];
        } else {
            update_filter_sdas(&mut sdas, mib, xi_complement, &plot);
            let u_start = steep_index;
            let u_end = extend_region(&steep_upward, &downward, u_start, min_samples);
            index = u_end + 1;
            mib = plot[index];
            let mut u_clusters = Vec::new();
            for d in &sdas {
                let mut c_start = d.start;
                let mut c_end = u_end;
                if plot[c_end + 1] * xi_complement < d.mib {
                    continue;
                }
                let d_max = plot[d.start];
                if d_max * xi_complement >= plot[c_end + 1] {
                    while plot[c_start + 1] > plot[c_end + 1] && c_start < d.end {
                        c_start += 1;
                    }
                } else if plot[c_end + 1] * xi_complement >= d_max {
                    while c_end > u_start && plot[c_end - 1] > d_max {
                        c_end -= 1;
                    }
                }
                let Some((s, e)) =
                    correct_predecessor(&plot, &predecessor, &ordering.ordering, c_start, c_end)
                else {
                    continue;
                };
                if e - s + 1 < min_cluster_size || s > d.end || e < u_start {
                    continue;
                }
                u_clusters.push((s, e));
            }
            u_clusters.reverse();
            clusters.extend(u_clusters);
        }
    }
    clusters
}

fn extend_region(steep: &[bool], xward: &[bool], start: usize, min_samples: usize) -> usize {
    let n = steep.len();
    let mut non_xward = 0;
    let mut end = start;
    let mut index = start;
    while index < n {
        if steep[index] {
            non_xward = 0;
            end = index;
        } else if !xward[index] {
            non_xward += 1;
            if non_xward > min_samples {
                break;
            }
        } else {
            return end;
        }
        index += 1;
    }
    end
}

fn update_filter_sdas(sdas: &mut Vec<SteepDownArea>, mib: f64, xi_complement: f64, plot: &[f64]) {
    if mib.is_infinite() {
        sdas.clear();
        return;
    }
    sdas.retain(|sda| mib <= plot[sda.start] * xi_complement);
    for sda in sdas.iter_mut() {
        sda.mib = sda.mib.max(mib);
    }
}

fn correct_predecessor(
    plot: &[f64],
    predecessor: &[u32],
    ordering: &[u32],
    s: usize,
    mut e: usize,
) -> Option<(usize, usize)> {
    while s < e {
        if plot[s] > plot[e] {
            return Some((s, e));
        }
        let p_e = predecessor[e];
        if ordering[s..e].contains(&p_e) {
            return Some((s, e));
        }
        e -= 1;
    }
    None
}

/// scikit-learn's `_extract_xi_labels`: clusters in order, each labelling its span unless
/// part of it is already labelled (so the innermost clusters win).
pub fn xi_labels(ordering: &OpticsOrdering, clusters: &[(usize, usize)]) -> Vec<u32> {
    let n = ordering.ordering.len();
    let mut by_position = vec![NOISE; n];
    let mut label = 0;
    for &(start, end) in clusters {
        if by_position[start..=end].iter().all(|&l| l == NOISE) {
            by_position[start..=end].fill(label);
            label += 1;
        }
    }
    let mut labels = vec![NOISE; n];
    for (position, &point) in ordering.ordering.iter().enumerate() {
        labels[point as usize] = by_position[position];
    }
    labels
}
