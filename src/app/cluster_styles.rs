//! What the user changed about clusters: names, colours, visibility. Keyed by shown id,
//! which the stable matching keeps across re-runs, so a renamed cluster keeps its name
//! when parameters change. Names go into exports.

use std::collections::{BTreeMap, BTreeSet};

use eframe::egui::Color32;

use super::palette;
use crate::cluster::NOISE;

#[derive(Clone, Debug, Default)]
pub struct ClusterStyles {
    pub names: BTreeMap<u32, String>,
    pub colors: BTreeMap<u32, Color32>,
    pub hidden: BTreeSet<u32>,
    /// Bumped on every change (GPU palettes are rebuilt from it).
    pub version: u64,
}

impl ClusterStyles {
    /// Colour of a shown id (noise included).
    pub fn color(&self, id: u32) -> Color32 {
        if id == NOISE {
            return palette::NOISE;
        }
        self.colors
            .get(&id)
            .copied()
            .unwrap_or_else(|| palette::cluster_color(id as usize))
    }

    /// The user's name for a cluster, or "Cluster N".
    pub fn name(&self, id: u32) -> String {
        if id == NOISE {
            return "Noise".into();
        }
        self.names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("Cluster {id}"))
    }

    pub fn visible(&self, id: u32) -> bool {
        !self.hidden.contains(&id)
    }

    pub fn rename(&mut self, id: u32, name: String) {
        let name = name.trim().to_string();
        if name.is_empty() || name == format!("Cluster {id}") {
            self.names.remove(&id);
        } else {
            self.names.insert(id, name);
        }
        self.version += 1;
    }

    pub fn recolor(&mut self, id: u32, color: Color32) {
        self.colors.insert(id, color);
        self.version += 1;
    }

    pub fn set_visible(&mut self, id: u32, visible: bool) {
        if visible {
            self.hidden.remove(&id);
        } else {
            self.hidden.insert(id);
        }
        self.version += 1;
    }

    /// Per-row names for an export, when any cluster was renamed: the user's name or
    /// "Cluster N" ("Noise" for noise), None for rows left out.
    pub fn names_for_export(&self, labels: &[Option<u32>]) -> Option<Vec<Option<String>>> {
        if self.names.is_empty() {
            return None;
        }
        Some(labels.iter().map(|l| l.map(|id| self.name(id))).collect())
    }
}
