//! Scores that come from a model of the data rather than from the neighbours alone:
//! GLOSH from the HDBSCAN hierarchy, distance to the assigned centre, and a Gaussian
//! mixture's negative log-likelihood.

use serde::{Deserialize, Serialize};

use super::{DetectInput, Detector, DetectorInfo, Scored};
use crate::cluster::density::hdbscan::{self, HdbscanParams};
use crate::cluster::gmm::{self, CovarianceType, GmmParams};
use crate::cluster::kmeans::{self, KMeansParams};
use crate::cluster::params::{Choice, ParamSpec};
use crate::cluster::{ClusterError, Engine, ParamsError, RunContext};
use crate::matrix::Matrix;
use crate::spatial::NO_LABEL;

// GLOSH ------------------------------------------------------------------------------

pub const GLOSH_PARAMETERS: &[ParamSpec] = &[ParamSpec::count(
    "k",
    10,
    "HDBSCAN's minimum cluster size, and the neighbours of its core distance",
)
.at_least(2)
.slider(2, 100)];

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GloshParams {
    pub k: usize,
}

/// GLOSH (Campello et al. 2015): how far below its cluster's densest point a row leaves
/// the HDBSCAN hierarchy, 0 at the heart of a cluster, towards 1 for outliers.
pub struct Glosh;

impl Detector for Glosh {
    type Params = GloshParams;

    const INFO: DetectorInfo = DetectorInfo {
        id: "glosh",
        name: "GLOSH (HDBSCAN)",
        summary: "how far below its cluster's densest point a row leaves the HDBSCAN hierarchy (0 = at the heart, 1 = outlier)",
        parameters: GLOSH_PARAMETERS,
        gpu_passes: crate::cluster::density::gpu::HIERARCHY_PASSES,
    };

    fn check(params: &GloshParams, n_rows: Option<usize>) -> Result<(), ParamsError> {
        super::check_neighbours(params.k, n_rows)
    }

    fn score(
        params: &GloshParams,
        input: &DetectInput<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Scored, ClusterError> {
        // The engine keeps the hierarchy: the same table and k reuse it.
        let result = hdbscan::fit(
            engine,
            input.points,
            &HdbscanParams::new(params.k),
            input.backend,
            context,
        )?;
        Ok(Scored {
            scores: result.outlier_scores,
            backend: result.diagnostics.backend,
            adapter: result.diagnostics.adapter,
            notes: Vec::new(),
        })
    }
}

// Distance to the centre --------------------------------------------------------------

pub const CENTROID_PARAMETERS: &[ParamSpec] = &[
    ParamSpec::count(
        "clusters",
        8,
        "k-means clusters to score against when there is no clustering yet",
    )
    .slider(1, 50),
    ParamSpec::seed(),
];

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CentroidParams {
    pub clusters: usize,
    pub seed: u64,
}

/// Distance to the centre of the row's cluster over the median distance in that
/// cluster: 1 is a typical member, 3 three times as far out as the typical member.
/// Clusters are the given clustering's (centres = the means of their rows) or k-means'.
pub struct CentroidDistance;

impl Detector for CentroidDistance {
    type Params = CentroidParams;

    const INFO: DetectorInfo = DetectorInfo {
        id: "centroid",
        name: "Distance to the centre",
        summary: "distance to the assigned cluster's centre over that cluster's median distance",
        parameters: CENTROID_PARAMETERS,
        gpu_passes: kmeans::gpu::PASSES,
    };

    fn check(params: &CentroidParams, n_rows: Option<usize>) -> Result<(), ParamsError> {
        if let Some(n) = n_rows
            && params.clusters > n
        {
            return Err(ParamsError::new(
                "clusters",
                format!(
                    "{{clusters}} is {} but there are only {n} rows",
                    params.clusters
                ),
            ));
        }
        Ok(())
    }

    fn score(
        params: &CentroidParams,
        input: &DetectInput<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Scored, ClusterError> {
        let points = input.points;
        let (labels, mut scored) = match input.labels {
            Some(labels) => (labels.to_vec(), Scored::cpu(Vec::new())),
            None => {
                let fit = kmeans::fit(
                    engine,
                    points,
                    &KMeansParams {
                        n_clusters: params.clusters,
                        seed: params.seed,
                        ..KMeansParams::default()
                    },
                    input.backend,
                    context,
                )?;
                let mut scored = Scored::cpu(Vec::new());
                scored.backend = fit.diagnostics.backend;
                scored.adapter = fit.diagnostics.adapter.clone();
                scored.notes.push(format!(
                    "scored against k-means with {} clusters (seed {})",
                    params.clusters, params.seed
                ));
                (fit.labels, scored)
            }
        };
        scored.scores = centre_distances(points, &labels)?;
        Ok(scored)
    }
}

/// Each row's distance to its cluster's mean over the cluster's median distance; noise
/// rows (and rows of clusters too small to have a centre) take the nearest centre.
pub fn centre_distances(points: &Matrix, labels: &[u32]) -> Result<Vec<f64>, ClusterError> {
    let (n, d) = (points.n_rows, points.n_cols);
    if labels.len() != n {
        return Err(ClusterError::Internal(format!(
            "{} labels for {n} rows",
            labels.len()
        )));
    }
    let clusters = labels
        .iter()
        .filter(|&&l| l != NO_LABEL)
        .map(|&l| l as usize + 1)
        .max()
        .unwrap_or(0);
    if clusters == 0 {
        return Err(ParamsError::new(
            "labels",
            "every row is noise: there is no cluster centre to measure from",
        )
        .into());
    }
    let mut sums = vec![0.0f64; clusters * d];
    let mut counts = vec![0usize; clusters];
    for (row, &label) in labels.iter().enumerate() {
        if label == NO_LABEL {
            continue;
        }
        let c = label as usize;
        counts[c] += 1;
        for (s, &v) in sums[c * d..(c + 1) * d].iter_mut().zip(points.row(row)) {
            *s += v as f64;
        }
    }
    let present: Vec<usize> = (0..clusters).filter(|&c| counts[c] > 0).collect();
    for &c in &present {
        sums[c * d..(c + 1) * d]
            .iter_mut()
            .for_each(|s| *s /= counts[c] as f64);
    }
    let distance = |row: usize, c: usize| {
        points
            .row(row)
            .iter()
            .zip(&sums[c * d..(c + 1) * d])
            .map(|(&x, &m)| (x as f64 - m).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    // (cluster measured from, distance)
    let measured: Vec<(usize, f64)> = (0..n)
        .map(|row| match labels[row] {
            NO_LABEL => present
                .iter()
                .map(|&c| (c, distance(row, c)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .expect("at least one cluster"),
            label => (label as usize, distance(row, label as usize)),
        })
        .collect();
    let mut scale = vec![1.0f64; clusters];
    for &c in &present {
        let mut members: Vec<f64> = (0..n)
            .filter(|&row| labels[row] == c as u32)
            .map(|row| measured[row].1)
            .collect();
        members.sort_unstable_by(f64::total_cmp);
        let median = super::cutoff::percentile(&members, 50.0);
        let largest = members.last().copied().unwrap_or(0.0);
        // A cluster of equal rows has no spread: its members score 0, others their distance.
        scale[c] = if median > 0.0 {
            median
        } else if largest > 0.0 {
            largest
        } else {
            1.0
        };
    }
    Ok(measured
        .into_iter()
        .map(|(c, dist)| dist / scale[c])
        .collect())
}

// Gaussian mixture ---------------------------------------------------------------------

pub const MIXTURE_PARAMETERS: &[ParamSpec] = &[
    ParamSpec::count("components", 4, "mixture components").slider(1, 30),
    ParamSpec::choice(
        "covariance",
        "full",
        &[
            Choice {
                value: "full",
                help: "each component its own covariance",
            },
            Choice {
                value: "diag",
                help: "diagonal covariances",
            },
            Choice {
                value: "spherical",
                help: "one variance per component",
            },
            Choice {
                value: "tied",
                help: "one covariance shared by all",
            },
        ],
        "the shape of each component",
    ),
    ParamSpec::seed(),
];

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixtureParams {
    pub components: usize,
    pub covariance: CovarianceType,
    pub seed: u64,
}

/// −log p(x) under a Gaussian mixture fitted to the rows (scikit-learn's
/// `-score_samples`): low inside the components, high in the tails and between them.
pub struct MixtureLikelihood;

impl Detector for MixtureLikelihood {
    type Params = MixtureParams;

    const INFO: DetectorInfo = DetectorInfo {
        id: "gmm",
        name: "Gaussian mixture likelihood",
        summary: "negative log-likelihood under a Gaussian mixture fitted to the rows",
        parameters: MIXTURE_PARAMETERS,
        gpu_passes: gmm::gpu::PASSES,
    };

    fn check(params: &MixtureParams, n_rows: Option<usize>) -> Result<(), ParamsError> {
        GmmParams::new(params.components)
            .covariance(params.covariance)
            .check(n_rows)
            .map_err(|e| {
                if e.field == "n_clusters" {
                    ParamsError::new(
                        "components",
                        e.message.replace("{n_clusters}", "{components}"),
                    )
                } else {
                    e
                }
            })
    }

    fn score(
        params: &MixtureParams,
        input: &DetectInput<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Scored, ClusterError> {
        let fit = gmm::fit(
            engine,
            input.points,
            &GmmParams::new(params.components)
                .covariance(params.covariance)
                .seed(params.seed),
            input.backend,
            context,
        )?;
        let mixture = &fit.model.mixture;
        let d = input.points.n_cols;
        let mut scratch = vec![0.0; d];
        let mut values = vec![0.0; mixture.n_components()];
        let scores = (0..input.points.n_rows)
            .map(|row| {
                mixture.weighted_log_densities(input.points.row(row), &mut scratch, &mut values);
                -gmm::log_sum_exp(&values)
            })
            .collect();
        Ok(Scored {
            scores,
            backend: fit.diagnostics.backend,
            adapter: fit.diagnostics.adapter,
            notes: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centre_distances_are_scaled_by_the_cluster_median() {
        // Cluster 0 around 0 with distances 1, 1, 3 from its mean (1/3, 0)... use a
        // symmetric one: rows -1, 1, -2, 2 (mean 0, median distance 1.5) and one noise row
        // at 10 (nearest centre: cluster 1's, at 20).
        let values = vec![
            -1.0, 0.0, 1.0, 0.0, -2.0, 0.0, 2.0, 0.0, 19.0, 0.0, 21.0, 0.0, 10.0, 0.0,
        ];
        let points = Matrix::new(7, 2, values);
        let labels = [0, 0, 0, 0, 1, 1, NO_LABEL];
        let scores = centre_distances(&points, &labels).unwrap();
        let expected = [1.0 / 1.5, 1.0 / 1.5, 2.0 / 1.5, 2.0 / 1.5, 1.0, 1.0];
        for (s, e) in scores.iter().zip(expected) {
            assert!((s - e).abs() < 1e-12, "{scores:?}");
        }
        // The noise row is 10 from both means (0 and 20); the first, cluster 0, wins.
        assert!((scores[6] - 10.0 / 1.5).abs() < 1e-12, "{scores:?}");
    }
}
