//! The one result type of every algorithm: labels with an explicit noise value, the
//! structures the algorithm leaves (as a list of kinds, so views are chosen by kind, not
//! by algorithm), the value it minimised, and how the run went.

use std::sync::Arc;

use serde::Serialize;

use super::density::hdbscan::CondensedTree;
use super::density::optics::{OpticsExtraction, OpticsOrdering};
use super::hierarchy::Dendrogram;
use super::{NOISE, RunDiagnostics};
use crate::matrix::Matrix;

/// What an algorithm leaves beside its labels.
#[derive(Clone)]
pub enum Structure {
    /// A merge tree (agglomerative, divisive), cut to give the labels.
    Tree(Arc<Dendrogram>),
    /// Each point's distance to its `neighbours`-th neighbour (the point itself counted),
    /// sorted in decreasing order, and the threshold the labels were cut at.
    KDistance {
        distances: Arc<Vec<f64>>,
        neighbours: usize,
        threshold: f64,
    },
    /// HDBSCAN's condensed tree and the clusters selected from it.
    CondensedTree {
        tree: Arc<CondensedTree>,
        selected: Vec<u32>,
    },
    /// An OPTICS ordering with its reachability plot, the ξ clusters found in it (start,
    /// end positions in the ordering) and how the labels were extracted.
    Reachability {
        ordering: Arc<OpticsOrdering>,
        xi_clusters: Vec<(usize, usize)>,
        extraction: OpticsExtraction,
    },
    /// Cluster centres in the feature space (k-means): row c is cluster c's centre.
    Centres(Arc<Matrix>),
    /// Medoids: row c holds the matrix row that is cluster c's medoid.
    Medoids(Arc<Vec<u32>>),
    /// A Gaussian mixture's components (weights, means, covariances) and its fit; the
    /// components in cluster-id order, unassigned ones last.
    Mixture(Arc<super::gmm::FittedMixture>),
    /// Spectral clustering's eigenvalues and the embedding its labels were read from.
    Spectrum(Arc<super::spectral::Spectrum>),
    /// A grid-based run's cells (STING's levels, WaveCluster's transformed grid).
    Grid(Arc<super::grid::GridView>),
    /// CLIQUE's dense units and clusters in every subspace it kept.
    Subspaces(Arc<super::clique::SubspaceClusters>),
    /// A number per matrix row (membership probability, outlier score).
    RowScores {
        name: &'static str,
        values: Arc<Vec<f64>>,
    },
}

/// The kinds of [`Structure`], as algorithms declare what they leave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StructureKind {
    Tree,
    KDistance,
    CondensedTree,
    Reachability,
    Centres,
    Medoids,
    Mixture,
    Spectrum,
    Grid,
    Subspaces,
    RowScores,
}

impl StructureKind {
    /// The parameter a view of this kind sets when the user moves its line: the cut of a
    /// tree is the cluster count, the line on a k-distance plot is eps, the line on a
    /// reachability plot is the extraction threshold. An algorithm that leaves one of
    /// these kinds names its parameter so.
    pub fn steers(self) -> Option<&'static str> {
        match self {
            StructureKind::Tree | StructureKind::Spectrum => Some("n_clusters"),
            StructureKind::KDistance => Some("eps"),
            StructureKind::Reachability => Some("reachability"),
            _ => None,
        }
    }
}

impl Structure {
    pub fn kind(&self) -> StructureKind {
        match self {
            Structure::Tree(_) => StructureKind::Tree,
            Structure::KDistance { .. } => StructureKind::KDistance,
            Structure::CondensedTree { .. } => StructureKind::CondensedTree,
            Structure::Reachability { .. } => StructureKind::Reachability,
            Structure::Centres(_) => StructureKind::Centres,
            Structure::Medoids(_) => StructureKind::Medoids,
            Structure::Mixture(_) => StructureKind::Mixture,
            Structure::Spectrum(_) => StructureKind::Spectrum,
            Structure::Grid(_) => StructureKind::Grid,
            Structure::Subspaces(_) => StructureKind::Subspaces,
            Structure::RowScores { .. } => StructureKind::RowScores,
        }
    }
}

/// The value an algorithm minimised, under its own name ("inertia", "loss").
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Objective {
    pub name: &'static str,
    pub value: f64,
}

/// The outcome of any algorithm.
#[derive(Clone)]
pub struct Clustering {
    /// Cluster per matrix row, `0..n_clusters`, or [`NOISE`]; numbered by size (0 the
    /// largest) once the result leaves [`super::run`].
    pub labels: Vec<u32>,
    pub n_clusters: usize,
    pub structures: Vec<Structure>,
    pub objective: Option<Objective>,
    pub diagnostics: RunDiagnostics,
    /// GPU k-means only: the device buffers holding the labels, which the point renderer
    /// draws from. The next GPU k-means run on the same engine overwrites them.
    pub gpu_labels: Option<GpuLabels>,
    /// What the user should know about this result (fewer clusters than asked for).
    pub warnings: Vec<String>,
}

/// Labels left on the device by the algorithm, in its own numbering: `to_id` maps each to
/// the id in [`Clustering::labels`].
#[derive(Clone)]
pub struct GpuLabels {
    pub chunks: crate::gpu::RowChunks,
    pub to_id: Vec<u32>,
}

impl Clustering {
    /// A result with labels and diagnostics only; add structures with [`Self::with`].
    pub fn new(labels: Vec<u32>, n_clusters: usize, diagnostics: RunDiagnostics) -> Self {
        Self {
            labels,
            n_clusters,
            structures: Vec::new(),
            objective: None,
            diagnostics,
            gpu_labels: None,
            warnings: Vec::new(),
        }
    }

    pub fn with(mut self, structure: Structure) -> Self {
        self.structures.push(structure);
        self
    }

    pub fn minimising(mut self, name: &'static str, value: f64) -> Self {
        self.objective = Some(Objective { name, value });
        self
    }

    pub fn n_noise(&self) -> usize {
        self.labels.iter().filter(|&&l| l == NOISE).count()
    }

    /// Points per cluster (noise not counted).
    pub fn cluster_sizes(&self) -> Vec<usize> {
        let mut sizes = vec![0; self.n_clusters];
        for &label in &self.labels {
            if label != NOISE
                && let Some(size) = sizes.get_mut(label as usize)
            {
                *size += 1;
            }
        }
        sizes
    }

    /// The first structure of `kind`.
    pub fn structure(&self, kind: StructureKind) -> Option<&Structure> {
        self.structures.iter().find(|s| s.kind() == kind)
    }

    /// The objective if it has this name.
    pub fn objective_named(&self, name: &str) -> Option<f64> {
        self.objective.filter(|o| o.name == name).map(|o| o.value)
    }

    /// k-means' sum of squared distances to the centres.
    pub fn inertia(&self) -> Option<f64> {
        self.objective_named("inertia")
    }

    /// The per-row scores called `name`.
    pub fn row_scores(&self, name: &str) -> Option<&Arc<Vec<f64>>> {
        self.structures.iter().find_map(|s| match s {
            Structure::RowScores { name: n, values } if *n == name => Some(values),
            _ => None,
        })
    }

    /// The fitted mixture, when the algorithm is one.
    pub fn mixture(&self) -> Option<&Arc<super::gmm::FittedMixture>> {
        self.structures.iter().find_map(|s| match s {
            Structure::Mixture(m) => Some(m),
            _ => None,
        })
    }

    /// The spectrum, when the algorithm is spectral clustering.
    pub fn spectrum(&self) -> Option<&Arc<super::spectral::Spectrum>> {
        self.structures.iter().find_map(|s| match s {
            Structure::Spectrum(s) => Some(s),
            _ => None,
        })
    }

    /// Medoid rows, one per cluster, when the algorithm has them.
    pub fn medoids(&self) -> Option<&Arc<Vec<u32>>> {
        self.structures.iter().find_map(|s| match s {
            Structure::Medoids(rows) => Some(rows),
            _ => None,
        })
    }
}
