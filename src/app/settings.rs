//! What the window remembers between sessions (eframe persistence).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cluster::params::{ParamValues, real};
use crate::cluster::{AlgorithmInfo, AlgorithmParams, BackendChoice, find};
use crate::data::Scaling;

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
    pub scaling: Scaling,
    pub backend: BackendChoice,
    /// The registry id of the chosen algorithm.
    pub algorithm: String,
    /// Each algorithm's parameter values, by registry id (kept when switching away).
    pub params: BTreeMap<String, ParamValues>,
    pub view: ViewSettings,
    /// Segmentation of opened images.
    pub segment: crate::segment::SegmentParams,
    pub image_view: ImageViewSettings,
    /// The session saved or opened last (offered on a start without a file).
    pub last_session: Option<PathBuf>,
    /// Pick files in the window's own dialog even where the desktop has one.
    pub builtin_file_dialog: bool,
    /// Runs on the CPU estimated above this many seconds wait for "Run anyway".
    pub ask_above_seconds: f64,
    /// UMAP's and t-SNE's parameters in the scatter's map views.
    pub maps: super::maps::MapSettings,
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
            scaling: Scaling::Standardize,
            backend: BackendChoice::Auto,
            algorithm: "kmeans".into(),
            params: BTreeMap::new(),
            view: ViewSettings::default(),
            segment: crate::segment::SegmentParams::default(),
            image_view: ImageViewSettings::default(),
            last_session: None,
            builtin_file_dialog: false,
            ask_above_seconds: 10.0,
            maps: Default::default(),
        }
    }
}

impl Settings {
    /// The chosen algorithm's declaration (k-means when the saved id is unknown).
    pub fn algorithm_info(&self) -> &'static AlgorithmInfo {
        find(&self.algorithm)
            .or_else(|| find("kmeans"))
            .map(|a| a.info())
            .unwrap_or_else(|| unreachable!("k-means is registered"))
    }

    /// The values of algorithm `id`: the saved ones, with any parameter they lack at the
    /// window's start value (saved settings may predate a parameter).
    pub fn values(&self, id: &str) -> ParamValues {
        let Some(info) = find(id).map(|a| a.info()) else {
            return ParamValues::new();
        };
        let mut values = info.window_values();
        if let Some(saved) = self.params.get(id) {
            for (name, value) in saved {
                if values.contains_key(name) {
                    values.insert(name.clone(), value.clone());
                }
            }
        }
        values
    }

    /// The values of algorithm `id` to edit in place.
    pub fn values_mut(&mut self, id: &str) -> &mut ParamValues {
        let values = self.values(id);
        let entry = self.params.entry(id.to_string()).or_default();
        *entry = values;
        entry
    }

    /// Sets parameter `name` of algorithm `id`.
    pub fn set_param(&mut self, id: &str, name: &str, value: impl Into<serde_json::Value>) {
        self.values_mut(id).insert(name.to_string(), value.into());
    }

    /// Sets a real parameter (infinite and NaN values stored as the declarations expect).
    pub fn set_real(&mut self, id: &str, name: &str, value: f64) {
        self.set_param(id, name, real::to_value(value));
    }

    /// Parameter `name` of algorithm `id` as a count, if it is set.
    pub fn count(&self, id: &str, name: &str) -> Option<u64> {
        self.values(id).get(name).and_then(|v| v.as_u64())
    }

    /// Parameter `name` of algorithm `id` as a real, if it is set.
    pub fn real(&self, id: &str, name: &str) -> Option<f64> {
        self.values(id).get(name).and_then(real::from_value)
    }

    /// The chosen algorithm with its parameters, as the engine takes them.
    pub fn algorithm_params(&self) -> AlgorithmParams {
        let info = self.algorithm_info();
        let given: ParamValues = self
            .values(info.id)
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .collect();
        AlgorithmParams::new(info.id, given)
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
    fn every_algorithm_runs_from_the_window_start_values() {
        for info in crate::cluster::infos() {
            let settings = Settings {
                algorithm: info.id.into(),
                ..Settings::default()
            };
            let params = settings.algorithm_params();
            let prepared = params
                .registered()
                .unwrap()
                .prepare(&params.values, Some(500));
            assert!(prepared.is_ok(), "{}: {:?}", info.id, prepared.err());
        }
    }

    /// eframe keeps settings as RON: every algorithm's values (nulls and infinities
    /// included) must come back as they went.
    #[test]
    fn settings_round_trip_through_the_window_storage() {
        #[derive(Default)]
        struct Memory(std::collections::HashMap<String, String>);
        impl eframe::Storage for Memory {
            fn get_string(&self, key: &str) -> Option<String> {
                self.0.get(key).cloned()
            }
            fn set_string(&mut self, key: &str, value: String) {
                self.0.insert(key.into(), value);
            }
            fn remove_string(&mut self, key: &str) {
                self.0.remove(key);
            }
            fn flush(&mut self) {}
        }
        let mut settings = Settings::default();
        for info in crate::cluster::infos() {
            settings.values_mut(info.id);
        }
        settings.set_real("optics", "max_eps", f64::INFINITY);
        settings.set_param("kmedoids", "metric", "cosine");
        settings.algorithm = "kmedoids".into();
        let mut storage = Memory::default();
        eframe::set_value(&mut storage, eframe::APP_KEY, &settings);
        let back: Settings = eframe::get_value(&storage, eframe::APP_KEY).unwrap();
        assert_eq!(back.algorithm, "kmedoids");
        assert_eq!(back.params, settings.params);
        assert_eq!(back.real("optics", "max_eps"), Some(f64::INFINITY));
        assert_eq!(
            back.values("hdbscan")["min_samples"],
            serde_json::Value::Null
        );
    }

    #[test]
    fn values_are_kept_per_algorithm_and_fill_new_parameters() {
        let mut settings = Settings::default();
        settings.set_param("kmeans", "n_clusters", 7);
        settings.set_param("dbscan", "eps", 0.25);
        assert_eq!(settings.count("kmeans", "n_clusters"), Some(7));
        assert_eq!(settings.real("dbscan", "eps"), Some(0.25));
        // A saved entry without a parameter gets its start value.
        settings.params.get_mut("kmeans").unwrap().remove("seed");
        assert_eq!(settings.count("kmeans", "seed"), Some(42));
    }

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
