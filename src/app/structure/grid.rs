//! The bottom panel for grid-based results: STING's and WaveCluster's levels (a slider
//! picks the one drawn under the scatter) and CLIQUE's subspaces (a click draws that
//! subspace's dense units under the scatter, in the Columns view of its axes).

use eframe::egui;

use super::note;
use crate::app::{ClusterscopeApp, ScatterAxes};
use crate::cluster::clique::SubspaceClusters;
use crate::cluster::grid::GridView;

impl ClusterscopeApp {
    fn feature_names(&self) -> Vec<String> {
        self.prepared
            .as_ref()
            .map(|p| p.features.columns.clone())
            .unwrap_or_default()
    }

    /// Switches the scatter to the Columns view of features `x` and `y`.
    fn show_feature_columns(&mut self, x: usize, y: usize) {
        let names = self.feature_names();
        if let (Some(x), Some(y)) = (names.get(x), names.get(y)) {
            self.axes = ScatterAxes::Columns {
                x: x.clone(),
                y: y.clone(),
            };
            self.request_projection();
        }
    }

    pub(super) fn grid_ui(&mut self, ui: &mut egui::Ui, view: &GridView) {
        let levels = view.levels.len();
        let level = self.structure_view.grid_level.min(levels - 1);
        let shown = &view.levels[level];
        let kept = shown.kept.iter().filter(|&&k| k).count();
        let occupied = shown.value.iter().filter(|&&v| v > 0.0).count();
        ui.horizontal_wrapped(|ui| {
            ui.label(format!(
                "Grid over {}: {} cells per axis at this level, {occupied} occupied, {kept} kept (outlined); threshold {:.3}",
                view.axes,
                shown
                    .cells
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(" x "),
                view.threshold
            ));
        });
        if levels > 1 {
            let mut chosen = level;
            let name = if levels == 2 {
                "Level (0 counts, 1 transformed)"
            } else {
                "Level (0 = bottom)"
            };
            ui.add(egui::Slider::new(&mut chosen, 0..=levels - 1).text(name));
            self.structure_view.grid_level = chosen;
        }
        let total: usize = view.levels.iter().map(|l| l.value.len()).sum();
        note(
            ui,
            format!(
                "{} of {total} cells examined (the search skips the cells under irrelevant parents)",
                view.examined
            ),
        );
        let names = self.feature_names();
        if view.axes_are_columns && names.len() >= 2 {
            let shows_them = matches!(&self.axes, ScatterAxes::Columns { x, y }
                if names.iter().position(|n| n == x).is_some_and(|i| i < view.lo.len())
                    && names.iter().position(|n| n == y).is_some_and(|i| i < view.lo.len()));
            if !shows_them
                && ui
                    .button(format!("Show the grid under {} x {}", names[0], names[1]))
                    .clicked()
            {
                self.show_feature_columns(0, 1);
            }
        } else if !view.axes_are_columns {
            note(
                ui,
                format!(
                    "The grid lies over {}: it is not drawn in the scatter's views",
                    view.axes
                ),
            );
        }
    }

    pub(super) fn subspaces_ui(&mut self, ui: &mut egui::Ui, found: &SubspaceClusters) {
        let names = self.feature_names();
        let name = |d: usize| {
            names
                .get(d)
                .cloned()
                .unwrap_or_else(|| format!("column {d}"))
        };
        ui.label(format!(
            "CLIQUE: {} subspaces with dense units ({} intervals per axis; dense above {:.1} rows). Click one to draw its units under the scatter.",
            found.subspaces.len(),
            found.intervals,
            found.threshold_rows
        ));
        for warning in &found.warnings {
            ui.colored_label(ui.visuals().warn_fg_color, warning);
        }
        let mut clicked = None;
        egui::ScrollArea::vertical()
            .id_salt("clique-subspaces")
            .auto_shrink([false, true])
            .show(ui, |ui| {
                // Highest dimension first: those label the rows.
                for subspace in found.subspaces.iter().rev() {
                    let chosen = self.structure_view.subspace.as_ref() == Some(&subspace.dims);
                    let text = format!(
                        "({}): {} dense units, {} clusters, {} rows",
                        subspace
                            .dims
                            .iter()
                            .map(|&d| name(d))
                            .collect::<Vec<_>>()
                            .join(", "),
                        subspace.units.len(),
                        subspace.n_clusters(),
                        subspace.coverage()
                    );
                    if ui.selectable_label(chosen, text).clicked() {
                        clicked = Some(subspace.dims.clone());
                    }
                }
            });
        if let Some(dims) = clicked {
            let (x, y) = match dims.as_slice() {
                [a] => (*a, if *a == 0 { 1 } else { 0 }),
                [a, b, ..] => (*a, *b),
                [] => return,
            };
            self.structure_view.subspace = Some(dims);
            if names.len() >= 2 {
                self.show_feature_columns(x, y);
            }
        }
    }
}
