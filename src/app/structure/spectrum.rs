//! Spectral clustering's eigenvalues: the smallest eigenvalues of the normalised Laplacian
//! against their index, the k in use and the k the largest gap suggests; click to set k.

use std::sync::Arc;

use eframe::egui;
use egui_plot::{MarkerShape, Plot, PlotPoints, Points, VLine};

use super::note;
use crate::app::{ClusterscopeApp, Command, palette};
use crate::cluster::StructureKind;
use crate::cluster::spectral::Spectrum;

/// Residual below which a point is drawn filled (its value is good to 10⁻⁴).
const SETTLED: f64 = 1e-4;

impl ClusterscopeApp {
    pub(super) fn spectrum_ui(&mut self, ui: &mut egui::Ui, spectrum: &Arc<Spectrum>) {
        let k = self
            .steered(StructureKind::Spectrum)
            .unwrap_or(spectrum.embedding.n_cols as f64);
        let suggested = spectrum.suggested_k();
        ui.horizontal(|ui| {
            ui.strong("Eigenvalues");
            let parts = match spectrum.components {
                1 => "the graph is connected".to_string(),
                c => format!("the graph has {c} separate parts"),
            };
            let gap = suggested.map_or(String::new(), |s| {
                format!(" · the largest gap suggests k = {s}")
            });
            note(
                ui,
                format!(
                    "smallest eigenvalues of the normalised Laplacian{gap} · {parts} · hollow: not converged · click to set k"
                ),
            );
        });
        let (settled, rough): (Vec<[f64; 2]>, Vec<[f64; 2]>) = {
            let mut settled = Vec::new();
            let mut rough = Vec::new();
            for (i, (&value, &residual)) in spectrum
                .eigenvalues
                .iter()
                .zip(&spectrum.residuals)
                .enumerate()
            {
                let point = [(i + 1) as f64, value];
                if residual <= SETTLED {
                    settled.push(point);
                } else {
                    rough.push(point);
                }
            }
            (settled, rough)
        };
        let strong = ui.visuals().strong_text_color();
        let response = Plot::new("spectrum")
            .x_axis_label("index (the gap after k separates k clusters)")
            .y_axis_label("eigenvalue")
            .allow_drag(false)
            .show(ui, |plot_ui| {
                plot_ui.points(
                    Points::new("eigenvalue", PlotPoints::new(settled))
                        .shape(MarkerShape::Circle)
                        .filled(true)
                        .radius(4.0)
                        .color(palette::cluster_color(0)),
                );
                plot_ui.points(
                    Points::new("not converged", PlotPoints::new(rough))
                        .shape(MarkerShape::Circle)
                        .filled(false)
                        .radius(4.0)
                        .color(palette::cluster_color(0)),
                );
                plot_ui.vline(VLine::new("k", k + 0.5).color(strong));
                if let Some(s) = suggested {
                    plot_ui.vline(
                        VLine::new("largest gap", s as f64 + 0.5)
                            .color(palette::cluster_color(1))
                            .style(egui_plot::LineStyle::dashed_loose()),
                    );
                }
            });
        if response.response.clicked()
            && let Some(pointer) = response.response.interact_pointer_pos()
        {
            let value = response.transform.value_from_position(pointer).x;
            if value.is_finite() && value >= 0.5 {
                self.steer(StructureKind::Spectrum, value.round().max(1.0));
                self.command(Command::Cluster);
            }
        }
    }
}
