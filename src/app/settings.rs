//! What the window remembers between sessions (eframe persistence).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cluster::density::dbscan::DbscanParams;
use crate::cluster::density::hdbscan::{ClusterSelection, HdbscanParams};
use crate::cluster::density::optics::{OpticsExtraction, OpticsParams};
use crate::cluster::hierarchy::divisive::DivisiveParams;
use crate::cluster::hierarchy::{AgglomerativeParams, Cut, Linkage};
use crate::cluster::kmeans::KMeansParams;
use crate::cluster::{AlgorithmParams, BackendChoice};
use crate::data::Scaling;

/// The algorithm chosen in the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlgorithmChoice {
    #[default]
    KMeans,
    Agglomerative,
    Divisive,
    Dbscan,
    Hdbscan,
    Optics,
}

impl AlgorithmChoice {
    pub const ALL: [AlgorithmChoice; 6] = [
        AlgorithmChoice::KMeans,
        AlgorithmChoice::Agglomerative,
        AlgorithmChoice::Divisive,
        AlgorithmChoice::Dbscan,
        AlgorithmChoice::Hdbscan,
        AlgorithmChoice::Optics,
    ];

    pub fn label(self) -> &'static str {
        match self {
            AlgorithmChoice::KMeans => "k-means",
            AlgorithmChoice::Agglomerative => "Agglomerative",
            AlgorithmChoice::Divisive => "Divisive (bisecting k-means)",
            AlgorithmChoice::Dbscan => "DBSCAN",
            AlgorithmChoice::Hdbscan => "HDBSCAN",
            AlgorithmChoice::Optics => "OPTICS",
        }
    }
}

/// Parameters of the tree algorithms in the window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TreeSettings {
    pub linkage: Linkage,
    pub n_clusters: usize,
}

impl Default for TreeSettings {
    fn default() -> Self {
        Self {
            linkage: Linkage::Ward,
            n_clusters: 5,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DensitySettings {
    pub eps: f64,
    pub min_points: usize,
    pub min_cluster_size: usize,
    /// 0: the same as the minimum cluster size.
    pub min_samples: usize,
    pub selection: ClusterSelection,
    pub xi: f64,
    /// OPTICS: extract by this reachability threshold instead of ξ.
    pub reachability_threshold: Option<f64>,
    /// OPTICS: neighbourhood radius limit (None: unlimited, O(n²)).
    pub max_eps: Option<f64>,
}

impl Default for DensitySettings {
    fn default() -> Self {
        Self {
            eps: 0.3,
            min_points: 5,
            min_cluster_size: 15,
            min_samples: 0,
            selection: ClusterSelection::Eom,
            xi: 0.05,
            reachability_threshold: None,
            max_eps: None,
        }
    }
}

/// How the scatter draws its points.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewSettings {
    pub renderer: super::RendererChoice,
    /// Point diameter in screen points.
    pub point_size: f32,
    pub opacity: f32,
    /// Additive accumulation and tone map instead of drawing points over each other.
    pub density: bool,
    /// Density tone map: how fast intensity saturates with the count per pixel.
    pub density_gain: f32,
}

impl Default for ViewSettings {
    fn default() -> Self {
        Self {
            renderer: super::RendererChoice::Auto,
            point_size: 3.0,
            opacity: 0.85,
            density: false,
            density_gain: 0.15,
        }
    }
}

const MAX_RECENT: usize = 10;

/// Persisted user choices.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub recent_files: Vec<PathBuf>,
    pub kmeans: KMeansParams,
    pub scaling: Scaling,
    pub backend: BackendChoice,
    pub algorithm: AlgorithmChoice,
    pub tree: TreeSettings,
    pub density: DensitySettings,
    pub view: ViewSettings,
    /// Segmentation of opened images.
    pub segment: crate::segment::SegmentParams,
    pub image_view: ImageViewSettings,
}

/// How the image view draws a segmentation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageViewSettings {
    /// Segment colours over the photo: 0 = photo only, 1 = colours only.
    pub opacity: f32,
    pub boundaries: bool,
}

impl Default for ImageViewSettings {
    fn default() -> Self {
        Self {
            opacity: 0.5,
            boundaries: true,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            recent_files: Vec::new(),
            kmeans: KMeansParams::new(5),
            scaling: Scaling::Standardize,
            backend: BackendChoice::Auto,
            algorithm: AlgorithmChoice::KMeans,
            tree: TreeSettings::default(),
            density: DensitySettings::default(),
            view: ViewSettings::default(),
            segment: crate::segment::SegmentParams::default(),
            image_view: ImageViewSettings::default(),
        }
    }
}

/// Leaves a divisive tree gets in the window beyond the cut, so the cut line can move.
const DIVISIVE_VIEW_LEAVES: usize = 48;

impl Settings {
    /// The chosen algorithm with its parameters, as the engine takes them.
    pub fn algorithm_params(&self) -> AlgorithmParams {
        let density = &self.density;
        match self.algorithm {
            AlgorithmChoice::KMeans => AlgorithmParams::KMeans(self.kmeans.clone()),
            AlgorithmChoice::Agglomerative => AlgorithmParams::Agglomerative(
                AgglomerativeParams::new(self.tree.linkage, Cut::Clusters(self.tree.n_clusters)),
            ),
            AlgorithmChoice::Divisive => AlgorithmParams::Divisive(
                DivisiveParams::new(Cut::Clusters(self.tree.n_clusters))
                    .seed(self.kmeans.seed)
                    .max_leaves(self.tree.n_clusters.max(DIVISIVE_VIEW_LEAVES)),
            ),
            AlgorithmChoice::Dbscan => {
                AlgorithmParams::Dbscan(DbscanParams::new(density.eps, density.min_points))
            }
            AlgorithmChoice::Hdbscan => AlgorithmParams::Hdbscan(
                HdbscanParams::new(density.min_cluster_size)
                    .min_samples((density.min_samples > 0).then_some(density.min_samples))
                    .selection(density.selection),
            ),
            AlgorithmChoice::Optics => {
                let mut params = OpticsParams::new(density.min_points.max(2));
                params.max_eps = density.max_eps.unwrap_or(f64::INFINITY);
                params.extraction = match density.reachability_threshold {
                    Some(threshold) => OpticsExtraction::Threshold(threshold),
                    None => OpticsExtraction::Xi(density.xi),
                };
                AlgorithmParams::Optics(params)
            }
        }
    }

    /// Puts `path` first in the recent files, once.
    pub fn remember(&mut self, path: &Path) {
        let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        self.recent_files.retain(|p| p != &path);
        self.recent_files.insert(0, path);
        self.recent_files.truncate(MAX_RECENT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_files_are_unique_newest_first_and_bounded() {
        let mut settings = Settings::default();
        for i in 0..12 {
            settings.remember(Path::new(&format!("/nonexistent/{i}.csv")));
        }
        settings.remember(Path::new("/nonexistent/5.csv"));
        assert_eq!(settings.recent_files.len(), MAX_RECENT);
        assert_eq!(
            settings.recent_files[0],
            PathBuf::from("/nonexistent/5.csv")
        );
        assert_eq!(
            settings
                .recent_files
                .iter()
                .filter(|p| p.ends_with("5.csv"))
                .count(),
            1
        );
    }
}
