//! The right panel: one entry per cluster with its colour and size.

use eframe::egui;

use super::{ClusterscopeApp, palette};

impl ClusterscopeApp {
    pub(super) fn legend_ui(&mut self, ui: &mut egui::Ui) {
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
        // Percentages of all clustered rows, noise included.
        let total: usize = clustering.result.labels.len();
        // Ids follow the previous result's colours, so some may be unused.
        for (index, &size) in clustering.sizes.iter().enumerate().filter(|(_, s)| **s > 0) {
            ui.horizontal(|ui| {
                swatch(ui, palette::cluster_color(index));
                ui.label(format!("Cluster {index}"));
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    ui.weak(format!(
                        "{size} ({:.1}%)",
                        100.0 * size as f64 / total.max(1) as f64
                    ));
                });
            });
        }
        let noise = clustering.result.n_noise();
        if noise > 0 {
            ui.horizontal(|ui| {
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
        if let Some(prepared) = &self.prepared {
            let skipped = prepared.features.n_skipped();
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
