//! One entry point for every algorithm, used by the command line and the window: params in,
//! a [`Clustering`] out, with the structure each algorithm's view draws.

use std::sync::Arc;

use super::density::hdbscan::{self, CondensedTree, HdbscanParams};
use super::density::optics::{self, OpticsOrdering, OpticsParams};
use super::density::{DensityHierarchy, dbscan};
use super::hierarchy::divisive::{self, DivisiveParams};
use super::hierarchy::{self, AgglomerativeParams, Dendrogram};
use super::kmeans::{self, KMeansParams};
use super::{BackendChoice, ClusterError, Engine, NOISE, RunContext, RunDiagnostics};
use crate::matrix::Matrix;

/// An algorithm with its parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum AlgorithmParams {
    KMeans(KMeansParams),
    Agglomerative(AgglomerativeParams),
    Divisive(DivisiveParams),
    Dbscan(dbscan::DbscanParams),
    Hdbscan(HdbscanParams),
    Optics(OpticsParams),
}

/// What an algorithm leaves beside its labels, for its view.
#[derive(Clone, Default)]
pub enum Structure {
    #[default]
    None,
    /// Agglomerative or divisive tree.
    Tree(Arc<Dendrogram>),
    /// DBSCAN: the hierarchy it was cut from and its k-distance curve (descending).
    Dbscan {
        hierarchy: Arc<DensityHierarchy>,
        k_distances: Arc<Vec<f64>>,
    },
    Hdbscan {
        condensed: Arc<CondensedTree>,
        selected: Vec<u32>,
    },
    Optics {
        ordering: Arc<OpticsOrdering>,
        xi_clusters: Vec<(usize, usize)>,
    },
}

/// The outcome of any algorithm.
#[derive(Clone)]
pub struct Clustering {
    /// Cluster per matrix row, `0..n_clusters`, or [`NOISE`].
    pub labels: Vec<u32>,
    pub n_clusters: usize,
    /// k-means only.
    pub inertia: Option<f64>,
    /// HDBSCAN only.
    pub probabilities: Option<Vec<f64>>,
    pub outlier_scores: Option<Vec<f64>>,
    pub structure: Structure,
    pub diagnostics: RunDiagnostics,
    /// GPU k-means only: the device buffers holding `labels`, which the point renderer
    /// draws from. The next GPU k-means run on the same engine overwrites them.
    pub gpu_labels: Option<crate::gpu::RowChunks>,
}

impl Clustering {
    pub fn n_noise(&self) -> usize {
        self.labels.iter().filter(|&&l| l == NOISE).count()
    }

    /// Points per cluster (noise not counted).
    pub fn cluster_sizes(&self) -> Vec<usize> {
        let mut sizes = vec![0; self.n_clusters];
        for &label in &self.labels {
            if label != NOISE {
                sizes[label as usize] += 1;
            }
        }
        sizes
    }
}

pub fn run(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &AlgorithmParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<Clustering, ClusterError> {
    let plain = |labels: Vec<u32>, n_clusters, structure, diagnostics| Clustering {
        labels,
        n_clusters,
        inertia: None,
        probabilities: None,
        outlier_scores: None,
        structure,
        diagnostics,
        gpu_labels: None,
    };
    Ok(match params {
        AlgorithmParams::KMeans(params) => {
            let result = kmeans::fit(engine, points, params, backend, context)?;
            let gpu_labels = match result.diagnostics.backend {
                super::Backend::Gpu => engine.gpu_label_chunks(),
                super::Backend::Cpu => None,
            };
            Clustering {
                n_clusters: result.centroids.n_rows,
                labels: result.labels,
                inertia: Some(result.inertia),
                probabilities: None,
                outlier_scores: None,
                structure: Structure::None,
                diagnostics: result.diagnostics,
                gpu_labels,
            }
        }
        AlgorithmParams::Agglomerative(params) => {
            let result = hierarchy::fit(engine, points, params, backend, context)?;
            plain(
                result.labels,
                result.n_clusters,
                Structure::Tree(result.tree),
                result.diagnostics,
            )
        }
        AlgorithmParams::Divisive(params) => {
            let result = divisive::fit(engine, points, params, backend, context)?;
            plain(
                result.labels,
                result.n_clusters,
                Structure::Tree(result.tree),
                result.diagnostics,
            )
        }
        AlgorithmParams::Dbscan(params) => {
            let result = dbscan::fit(engine, points, params, backend, context)?;
            let k_distances = Arc::new(dbscan::k_distances(&result.hierarchy));
            plain(
                result.labels,
                result.n_clusters,
                Structure::Dbscan {
                    hierarchy: result.hierarchy,
                    k_distances,
                },
                result.diagnostics,
            )
        }
        AlgorithmParams::Hdbscan(params) => {
            let result = hdbscan::fit(engine, points, params, backend, context)?;
            Clustering {
                labels: result.labels,
                n_clusters: result.n_clusters,
                inertia: None,
                probabilities: Some(result.probabilities),
                outlier_scores: Some(result.outlier_scores),
                structure: Structure::Hdbscan {
                    condensed: result.condensed,
                    selected: result.selected_clusters,
                },
                diagnostics: result.diagnostics,
                gpu_labels: None,
            }
        }
        AlgorithmParams::Optics(params) => {
            let result = optics::fit(engine, points, params, backend, context)?;
            plain(
                result.labels,
                result.n_clusters,
                Structure::Optics {
                    ordering: result.ordering,
                    xi_clusters: result.xi_clusters,
                },
                result.diagnostics,
            )
        }
    })
}
