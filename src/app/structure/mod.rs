//! The bottom panel: what lies behind the current clustering, linked with the scatter
//! through the shared labels, cluster colours (the legend's, recolours included) and
//! selection. A dendrogram with a draggable cut (agglomerative, divisive), the k-distance
//! curve (DBSCAN), the condensed tree (HDBSCAN)
//! the reachability plot (OPTICS), the eigenvalues (spectral), the grid's levels (STING,
//! WaveCluster) and CLIQUE's subspaces.

mod condensed_tree;
mod dendrogram;
mod grid;
mod k_distance;
mod reachability;
mod spectrum;

use eframe::egui;
use egui_plot::PlotPoint;

use super::{ClusterscopeApp, Selection};
use crate::cluster::params::{ParamKind, real};
use crate::cluster::{NOISE, Structure, StructureKind};

/// Pixels within which the pointer grabs a cut line.
const GRAB_PIXELS: f32 = 6.0;

#[derive(Default)]
pub struct StructureView {
    /// Cut height chosen in the dendrogram (None: the one that gives the cluster count).
    cut: Option<f64>,
    dragging: bool,
    /// Screen y of the draggable line and the plot's rectangle, from the last frame.
    last_line: Option<(f32, egui::Rect)>,
    layout: Option<(usize, std::sync::Arc<dendrogram::DendrogramLayout>)>,
    /// The grid level drawn under the scatter (0 = the bottom level).
    pub grid_level: usize,
    /// The CLIQUE subspace whose dense units are drawn under the scatter.
    pub subspace: Option<Vec<usize>>,
}

impl StructureView {
    pub fn on_new_result(&mut self) {
        self.cut = None;
        self.dragging = false;
    }

    /// Starts a drag when the primary button goes down on last frame's line. (Read from raw
    /// input: the plot reports no drag once its own panning is switched off.)
    fn grab(&mut self, ui: &egui::Ui) {
        // Where the button went down, not where the pointer is now: on a slow frame the
        // press and the first moves arrive together.
        let (pressed, down, pointer) = ui.input(|i| {
            (
                i.pointer.primary_pressed(),
                i.pointer.primary_down(),
                i.pointer.press_origin(),
            )
        });
        if pressed
            && let (Some(pointer), Some((line_y, rect))) = (pointer, self.last_line)
            && rect.contains(pointer)
            && (pointer.y - line_y).abs() <= GRAB_PIXELS
        {
            self.dragging = true;
        }
        if !down {
            self.dragging = false;
        }
    }

    /// Where the pointer is while dragging, in plot coordinates.
    fn dragged_to(
        &mut self,
        ui: &egui::Ui,
        response: &egui_plot::PlotResponse<()>,
        line: f64,
    ) -> Option<f64> {
        let line_y = response
            .transform
            .position_from_point(&PlotPoint::new(0.0, line))
            .y;
        self.last_line = Some((line_y, response.response.rect));
        if !self.dragging {
            return None;
        }
        let pointer = ui.input(|i| i.pointer.latest_pos())?;
        Some(response.transform.value_from_position(pointer).y)
    }
}

/// A one-line weak note that is cut short rather than widening the panel.
pub(super) fn note(ui: &mut egui::Ui, text: String) {
    ui.add(egui::Label::new(egui::RichText::new(text).weak()).truncate());
}

impl ClusterscopeApp {
    /// Screen y of the draggable line (dendrogram cut, reachability threshold) and the plot's
    /// rectangle, as last drawn (UI tests drag it).
    pub fn draggable_line(&self) -> Option<(f32, egui::Rect)> {
        self.structure_view.last_line
    }

    /// The first structure of the shown result that has a view.
    fn viewed_structure(&self) -> Option<Structure> {
        self.clustering.as_ref().and_then(|c| {
            c.result
                .structures
                .iter()
                .find(|s| {
                    matches!(
                        s.kind(),
                        StructureKind::Tree
                            | StructureKind::KDistance
                            | StructureKind::CondensedTree
                            | StructureKind::Reachability
                            | StructureKind::Spectrum
                            | StructureKind::Grid
                            | StructureKind::Subspaces
                    )
                })
                .cloned()
        })
    }

    pub(super) fn has_structure(&self) -> bool {
        self.viewed_structure().is_some()
    }

    /// The view for the structure's kind: any algorithm that leaves a known kind is drawn
    /// without a view of its own.
    pub(super) fn structure_ui(&mut self, ui: &mut egui::Ui) {
        match self.viewed_structure() {
            Some(Structure::Tree(tree)) => self.dendrogram_ui(ui, &tree),
            Some(Structure::KDistance {
                distances,
                neighbours,
                threshold,
            }) => self.k_distance_ui(ui, &distances, neighbours, threshold),
            Some(Structure::CondensedTree { tree, selected }) => {
                self.condensed_tree_ui(ui, &tree, &selected)
            }
            Some(Structure::Reachability {
                ordering,
                extraction,
                ..
            }) => self.reachability_ui(ui, &ordering, extraction),
            Some(Structure::Spectrum(spectrum)) => self.spectrum_ui(ui, &spectrum),
            Some(Structure::Grid(view)) => self.grid_ui(ui, &view),
            Some(Structure::Subspaces(found)) => self.subspaces_ui(ui, &found),
            _ => {}
        }
    }

    /// The current value of the parameter the view of `kind` steers, if the chosen
    /// algorithm declares it and it is set.
    pub(super) fn steered(&self, kind: StructureKind) -> Option<f64> {
        let name = kind.steers()?;
        let id = &self.settings.algorithm;
        self.settings
            .real(id, name)
            .or_else(|| self.settings.count(id, name).map(|c| c as f64))
    }

    /// Sets the parameter the view of `kind` steers to `value` (a count rounded and kept in
    /// its slider's range), clearing its alternatives as the widgets do. No re-run: the
    /// caller re-cuts or asks for one.
    pub(super) fn steer(&mut self, kind: StructureKind, value: f64) {
        let Some(name) = kind.steers() else {
            return;
        };
        let info = self.settings.algorithm_info();
        let Some(spec) = info.parameter(name) else {
            return;
        };
        let value = match spec.kind {
            ParamKind::Count { min, max, slider } => {
                let (low, high) = slider.unwrap_or((min, max));
                serde_json::Value::from((value.round().max(0.0) as u64).clamp(low, high))
            }
            _ => real::to_value(value),
        };
        let values = self.settings.values_mut(info.id);
        super::params_ui::set(info, values, spec, value);
    }

    pub(super) fn label_of_point(&self, point: u32) -> u32 {
        self.clustering
            .as_ref()
            .and_then(|c| c.result.labels.get(point as usize).copied())
            .unwrap_or(NOISE)
    }

    pub(super) fn select(&mut self, rows: Vec<u32>, source: String) {
        self.set_selection(Some(Selection::new(rows, source)));
    }
}
