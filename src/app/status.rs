//! The status bar: what ran where, how long it took, and progress with a cancel button.

use eframe::egui;

use super::{ClusterscopeApp, Command};

impl ClusterscopeApp {
    pub(super) fn status_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if self.clustering_pending {
                ui.spinner();
                match self.running {
                    Some(progress) => {
                        ui.label("Clustering…");
                        let fraction =
                            progress.iteration as f32 / progress.max_iterations.max(1) as f32;
                        ui.add(
                            egui::ProgressBar::new(fraction.clamp(0.0, 1.0))
                                .desired_width(140.0)
                                .text(format!(
                                    "{}/{}",
                                    progress.iteration, progress.max_iterations
                                )),
                        )
                    }
                    None => ui.label("Clustering…"),
                };
                if ui.small_button("Cancel").clicked() {
                    self.command(Command::CancelClustering);
                }
                ui.separator();
            }
            if let Some(clustering) = &self.clustering {
                let d = &clustering.result.diagnostics;
                ui.label(format!(
                    "{} · {}",
                    d.backend.name().to_uppercase(),
                    d.adapter
                ));
                ui.separator();
                let result = &clustering.result;
                // Only k-means iterates to convergence; the others run once.
                if result.objective.is_some() {
                    ui.label(format!(
                        "{} iterations{}",
                        d.iterations,
                        if d.converged {
                            " (converged)"
                        } else {
                            " (not converged)"
                        }
                    ));
                    ui.separator();
                }
                ui.label(format!("{} clusters", result.n_clusters));
                let noise = result.n_noise();
                if noise > 0 {
                    ui.label(format!("{noise} noise"));
                }
                if let Some(objective) = result.objective {
                    ui.label(format!("{} {:.4e}", objective.name, objective.value));
                }
                ui.separator();
                ui.label(format!("{:.1} ms", d.elapsed_ms));
            }
            if let Some(error) = &self.notices.error {
                ui.separator();
                ui.colored_label(ui.visuals().error_fg_color, error);
            } else if let Some(info) = &self.notices.info {
                ui.separator();
                ui.weak(info);
            }
        });
    }
}
