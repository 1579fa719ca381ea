//! What the user changed about clusters: names, colours, visibility. Keyed by colour slot,
//! which the stable matching carries across re-runs (ids are renumbered by size each time,
//! slots follow the points), so a renamed cluster keeps its name when parameters change.
//! Every method takes the cluster id shown now and looks its slot up. Names go into
//! exports.

use std::collections::{BTreeMap, BTreeSet};

use eframe::egui::Color32;

use super::palette;
use crate::cluster::NOISE;

#[derive(Clone, Debug, Default)]
pub struct ClusterStyles {
    pub names: BTreeMap<u32, String>,
    pub colors: BTreeMap<u32, Color32>,
    pub hidden: BTreeSet<u32>,
    /// Slot of each cluster id of the shown result.
    slot_of: Vec<u32>,
    /// Bumped on every change (GPU palettes are rebuilt from it).
    pub version: u64,
}

impl ClusterStyles {
    /// Takes the id → slot map of a new result or cut.
    pub fn follow(&mut self, slot_of: &[u32]) {
        if self.slot_of != slot_of {
            self.slot_of = slot_of.to_vec();
            self.version += 1;
        }
    }

    /// The slot of a shown id (noise is its own slot).
    pub fn slot(&self, id: u32) -> u32 {
        if id == NOISE {
            return NOISE;
        }
        self.slot_of.get(id as usize).copied().unwrap_or(id)
    }

    /// Colour of a shown id (noise included).
    pub fn color(&self, id: u32) -> Color32 {
        self.slot_color(self.slot(id))
    }

    /// Colour of a slot (noise included).
    pub fn slot_color(&self, slot: u32) -> Color32 {
        if slot == NOISE {
            return palette::NOISE;
        }
        self.colors
            .get(&slot)
            .copied()
            .unwrap_or_else(|| palette::cluster_color(slot as usize))
    }

    /// The user's name for a cluster, or "Cluster N".
    pub fn name(&self, id: u32) -> String {
        if id == NOISE {
            return "Noise".into();
        }
        self.names
            .get(&self.slot(id))
            .cloned()
            .unwrap_or_else(|| format!("Cluster {id}"))
    }

    pub fn visible(&self, id: u32) -> bool {
        self.slot_visible(self.slot(id))
    }

    pub fn slot_visible(&self, slot: u32) -> bool {
        !self.hidden.contains(&slot)
    }

    pub fn rename(&mut self, id: u32, name: String) {
        let name = name.trim().to_string();
        let slot = self.slot(id);
        if name.is_empty() || name == format!("Cluster {id}") {
            self.names.remove(&slot);
        } else {
            self.names.insert(slot, name);
        }
        self.version += 1;
    }

    pub fn recolor(&mut self, id: u32, color: Color32) {
        self.colors.insert(self.slot(id), color);
        self.version += 1;
    }

    pub fn set_visible(&mut self, id: u32, visible: bool) {
        let slot = self.slot(id);
        if visible {
            self.hidden.remove(&slot);
        } else {
            self.hidden.insert(slot);
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
