//! CLIQUE (Agrawal, Gehrke, Gunopulos & Raghavan, SIGMOD 1998): every axis is cut into
//! `intervals` equal intervals over its [min, max] (the maximum falls in the last; a
//! value on a boundary in the lower interval, as pyclustering's first-match rule gives);
//! a unit (one interval in each axis of a subspace) is dense when it holds more than
//! `density_threshold` × n rows. Dense units are found bottom up: the k-dimensional
//! candidates join two dense (k−1)-dimensional units that agree on their first k−2 axes,
//! and a candidate with any non-dense (k−1)-dimensional face is dropped before counting
//! (the Apriori rule: density only falls as axes are added). Dense units sharing a face
//! in the same subspace form a cluster. Each row takes the cluster of the
//! highest-dimensional subspace that holds it (ties: the larger cluster), or, with
//! `subspace_labels` = full, only the full-space clusters (pyclustering's result). The
//! counting runs on the CPU (rayon over rows): after the first pass the work is per
//! candidate unit, not per row.

mod subspaces;

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use subspaces::{Subspace, SubspaceClusters, find_subspaces};

use super::params::{Choice, ParamSpec, ParamsError, RealRange, real};
use super::{
    Algorithm, AlgorithmInfo, ClusterError, Clustering, Engine, Family, Input, NOISE, RunContext,
    RunDiagnostics, Structure, StructureKind,
};

/// [0, 1).
const SHARE: RealRange = RealRange {
    min: 0.0,
    min_inclusive: true,
    max: 1.0,
    max_inclusive: false,
};

/// The declarations of [`CliqueParams`].
pub const PARAMETERS: &[ParamSpec] = &[
    ParamSpec::count("intervals", 10, "equal intervals each axis is cut into").slider(2, 50),
    ParamSpec::real(
        "density_threshold",
        0.01,
        SHARE,
        "a unit is dense when it holds more than this share of the rows",
    ),
    ParamSpec::choice(
        "subspace_labels",
        "highest",
        &[
            Choice {
                value: "highest",
                help: "each row takes the cluster of its highest-dimensional subspace",
            },
            Choice {
                value: "full",
                help: "only the full-space clusters; other rows are noise (as pyclustering)",
            },
        ],
        "highest: each row takes its highest-dimensional subspace cluster; full: only full-space clusters, the rest noise (pyclustering)",
    ),
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CliqueParams {
    pub intervals: usize,
    #[serde(with = "real")]
    pub density_threshold: f64,
    pub subspace_labels: SubspaceLabels,
}

/// Which clusters label the rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubspaceLabels {
    /// Each row: the cluster of the highest-dimensional subspace holding it.
    #[default]
    Highest,
    /// Only the full-space clusters; other rows are noise.
    Full,
}

impl Default for CliqueParams {
    fn default() -> Self {
        Self {
            intervals: 10,
            density_threshold: 0.01,
            subspace_labels: SubspaceLabels::Highest,
        }
    }
}

/// The most intervals per axis (unit keys hold them in 16 bits).
pub const MAX_INTERVALS: usize = 1 << 15;

/// The registry's CLIQUE.
pub struct Clique;

impl Algorithm for Clique {
    type Params = CliqueParams;
    type Valid = CliqueParams;

    const INFO: AlgorithmInfo = AlgorithmInfo {
        id: "clique",
        name: "CLIQUE",
        family: Family::Grid,
        summary: "dense grid units found bottom up over subspaces; connected dense units are clusters, per subspace",
        parameters: PARAMETERS,
        gpu_passes: &[],
        structures: &[StructureKind::Subspaces],
    };

    fn check(params: &CliqueParams, _n_rows: Option<usize>) -> Result<CliqueParams, ParamsError> {
        super::check_declared::<Clique>(params)?;
        if params.intervals > MAX_INTERVALS {
            return Err(ParamsError::new(
                "intervals",
                format!(
                    "{{intervals}} is {}: at most {MAX_INTERVALS}",
                    params.intervals
                ),
            ));
        }
        Ok(params.clone())
    }

    fn estimate(_valid: &CliqueParams, n: usize, d: usize) -> super::cost::Estimate {
        super::cost::Estimate::new(n as f64 * (d * d) as f64 * 5e-9, (n * d * 2) as f64)
    }

    fn run(
        valid: &CliqueParams,
        input: &Input<'_>,
        _engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        let started = Instant::now();
        let points = input.points;
        let found = find_subspaces(points, valid.intervals, valid.density_threshold, context)?;
        let (labels, n_clusters) = if valid.subspace_labels == SubspaceLabels::Full {
            found.full_space_labels(points.n_rows)
        } else {
            found.highest_labels(points.n_rows)
        };
        let diagnostics = RunDiagnostics {
            backend: super::Backend::Cpu,
            adapter: super::cpu_name(),
            iterations: found.levels,
            converged: true,
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        };
        let mut clustering = Clustering::new(labels, n_clusters, diagnostics);
        clustering.warnings.extend(found.warnings.iter().cloned());
        if n_clusters == 0 {
            clustering.warnings.push(format!(
                "no unit holds more than {} rows: lower --density-threshold or --intervals",
                (valid.density_threshold * points.n_rows as f64).floor()
            ));
        }
        debug_assert!(
            clustering
                .labels
                .iter()
                .all(|&l| l == NOISE || (l as usize) < n_clusters)
        );
        Ok(clustering.with(Structure::Subspaces(Arc::new(found))))
    }
}
