//! The right panel: one entry per cluster with its colour and size. Each can be hidden,
//! recoloured (click the swatch) and renamed (click the name); names go into exports.

use eframe::egui;

use super::{ClusterscopeApp, palette};
use crate::cluster::NOISE;

/// The legend entry being renamed: (shown id, text so far).
#[derive(Default)]
pub struct Renaming(pub Option<(u32, String)>);

impl ClusterscopeApp {
    pub(super) fn legend_ui(&mut self, ui: &mut egui::Ui) {
        self.colour_key_ui(ui);
        let Some(clustering) = &self.clustering else {
            ui.heading("Clusters");
            ui.weak(if self.clustering_pending {
                "Clustering…"
            } else {
                "No clustering yet"
            });
            return;
        };
        ui.heading(format!("Clusters: {}", clustering.n_clusters()));
        self.scores_ui(ui);
        let Some(clustering) = &self.clustering else {
            return;
        };
        // Percentages of all clustered rows, noise included.
        let total: usize = clustering.result.labels.len();
        // Ids are 0..k−1 by size; colours follow the previous result's (by slot).
        let sizes = clustering.sizes.clone();
        let noise = clustering.result.n_noise();
        let mut medoid_of = vec![None; sizes.len()];
        if let Some(medoids) = clustering.result.medoids() {
            for (id, &row) in medoids.iter().enumerate() {
                if let Some(slot) = medoid_of.get_mut(id) {
                    *slot = Some(row);
                }
            }
        }
        let table_rows = self
            .prepared
            .as_ref()
            .map(|p| p.features.table_rows.clone());
        ui.horizontal(|ui| {
            if ui.small_button("Pin for comparison").clicked() {
                self.pin_clustering();
                self.front_pane = Some(super::Pane::Compare);
            }
        });
        for (index, &size) in sizes.iter().enumerate().filter(|(_, s)| **s > 0) {
            let id = index as u32;
            ui.horizontal(|ui| {
                let mut visible = self.styles.visible(id);
                if ui
                    .checkbox(&mut visible, "")
                    .on_hover_text("Show or hide this cluster")
                    .changed()
                {
                    self.styles.set_visible(id, visible);
                }
                let mut color = self.styles.color(id);
                ui.spacing_mut().interact_size = egui::vec2(16.0, 14.0);
                if egui::color_picker::color_edit_button_srgba(
                    ui,
                    &mut color,
                    egui::color_picker::Alpha::Opaque,
                )
                .changed()
                {
                    self.styles.recolor(id, color);
                }
                match &mut self.renaming.0 {
                    Some((renamed, text)) if *renamed == id => {
                        let edit = ui.add(egui::TextEdit::singleline(text).desired_width(100.0));
                        edit.request_focus();
                        if edit.lost_focus() {
                            let name = std::mem::take(text);
                            self.renaming.0 = None;
                            if !ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                                self.styles.rename(id, name);
                            }
                        }
                    }
                    _ => {
                        if ui
                            .add(egui::Label::new(self.styles.name(id)).sense(egui::Sense::click()))
                            .on_hover_text("Click to rename")
                            .clicked()
                        {
                            self.renaming.0 = Some((id, self.styles.name(id)));
                        }
                    }
                }
                ui.weak(format!(
                    "{size} ({:.1}%)",
                    100.0 * size as f64 / total.max(1) as f64
                ));
                if let Some(row) = medoid_of[index] {
                    let table_row = table_rows
                        .as_ref()
                        .and_then(|rows| rows.get(row as usize).copied())
                        .unwrap_or(row);
                    if ui
                        .small_button(format!("medoid: row {table_row}"))
                        .on_hover_text(
                            "This cluster's medoid (a row of the table); click to pin it",
                        )
                        .clicked()
                    {
                        self.pinned_row = Some(row);
                    }
                }
            });
        }
        if noise > 0 {
            ui.horizontal(|ui| {
                let mut visible = self.styles.visible(NOISE);
                if ui.checkbox(&mut visible, "").changed() {
                    self.styles.set_visible(NOISE, visible);
                }
                swatch(ui, palette::NOISE);
                ui.label("Noise");
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    ui.weak(format!(
                        "{noise} ({:.1}%)",
                        100.0 * noise as f64 / total.max(1) as f64
                    ));
                });
            });
        }
        if let Some(selection) = &self.selection {
            ui.separator();
            ui.label(format!(
                "Selected: {} points ({})",
                selection.rows.len(),
                selection.source
            ));
            if ui.button("Clear selection").clicked() {
                self.selection = None;
            }
        }
        if let Some(subset) = &self.subset {
            ui.separator();
            ui.label(format!("Limited to {} selected rows", subset.len()));
        }
        if let Some(prepared) = &self.prepared {
            // Rows outside a "selection only" subset are not counted as left out.
            let considered = self
                .subset
                .as_ref()
                .map_or(prepared.features.n_table_rows, |s| s.len());
            let skipped = considered.saturating_sub(prepared.features.table_rows.len());
            if skipped > 0 {
                ui.horizontal(|ui| {
                    swatch(ui, palette::LEFT_OUT);
                    ui.label(format!("Left out: {skipped}"));
                });
            }
        }
    }
}

fn swatch(ui: &mut egui::Ui, color: egui::Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
    ui.painter().rect_filled(rect, 2.0, color);
}
