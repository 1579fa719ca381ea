//! DBSCAN's k-distance curve: click it to set eps.

use std::sync::Arc;

use eframe::egui;
use egui_plot::{HLine, Line, Plot, PlotPoints};

use super::note;
use crate::app::{ClusterscopeApp, Command, palette};
use crate::cluster::StructureKind;

impl ClusterscopeApp {
    pub(super) fn k_distance_ui(
        &mut self,
        ui: &mut egui::Ui,
        k_distances: &Arc<Vec<f64>>,
        min_points: usize,
        threshold: f64,
    ) {
        let eps = self.steered(StructureKind::KDistance).unwrap_or(threshold);
        ui.horizontal(|ui| {
            ui.strong("k-distance");
            note(ui, format!(
                "distance to the {min_points}-th neighbour (the point itself counted), sorted · eps = {eps:.4} · click to set eps"
            ));
        });
        // An even subsample keeps the curve cheap for millions of points.
        let step = k_distances.len().div_ceil(4000).max(1);
        let points: Vec<[f64; 2]> = k_distances
            .iter()
            .enumerate()
            .step_by(step)
            .map(|(i, &d)| [i as f64, d])
            .collect();
        let strong = ui.visuals().strong_text_color();
        let response = Plot::new("k-distance")
            .x_axis_label("points, by decreasing distance")
            .y_axis_label(format!("{min_points}-NN distance"))
            .show(ui, |plot_ui| {
                plot_ui.line(
                    Line::new("k-distance", PlotPoints::new(points))
                        .color(palette::cluster_color(0))
                        .width(1.5),
                );
                plot_ui.hline(
                    HLine::new("eps", eps)
                        .color(strong)
                        .style(egui_plot::LineStyle::dashed_loose()),
                );
            });
        if response.response.clicked()
            && let Some(pointer) = response.response.interact_pointer_pos()
        {
            let value = response.transform.value_from_position(pointer).y;
            if value > 0.0 && value.is_finite() {
                self.steer(StructureKind::KDistance, value);
                self.command(Command::Cluster);
            }
        }
    }
}
