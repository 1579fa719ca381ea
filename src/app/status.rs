//! The status bar: what ran where, how long it took, and progress with a cancel button.

use eframe::egui;

use super::{ClusterscopeApp, Command};

impl ClusterscopeApp {
    pub(super) fn status_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if self.clustering_pending {
                ui.spinner();
                // The elapsed time and estimate tick even between progress reports.
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_millis(500));
                let elapsed = self
                    .clustering_started
                    .map_or(0.0, |t| t.elapsed().as_secs_f64());
                match self.running {
                    Some(progress) => {
                        ui.label(format!("Clustering · {}", progress.phase));
                        let fraction =
                            progress.iteration as f64 / progress.max_iterations.max(1) as f64;
                        ui.add(
                            egui::ProgressBar::new(fraction.clamp(0.0, 1.0) as f32)
                                .desired_width(140.0)
                                .text(format!(
                                    "{}/{}",
                                    progress.iteration, progress.max_iterations
                                )),
                        );
                        // The phase's own pace, once it has shown one.
                        let in_phase = self
                            .phase_started
                            .map_or(0.0, |(_, t)| t.elapsed().as_secs_f64());
                        let left = (fraction > 0.05 && in_phase > 0.5)
                            .then(|| in_phase * (1.0 - fraction) / fraction);
                        ui.weak(match left {
                            Some(left) => {
                                format!("{} · about {} left", seconds(elapsed), seconds(left))
                            }
                            None => seconds(elapsed),
                        })
                    }
                    None => ui.label(format!("Clustering… {}", seconds(elapsed))),
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
            } else if let Some(warning) = &self.notices.warning {
                ui.separator();
                ui.colored_label(ui.visuals().warn_fg_color, format!("Warning: {warning}"));
            } else if let Some(info) = &self.notices.info {
                ui.separator();
                ui.weak(info);
            }
        });
    }
}

/// "4 s", "2 min 5 s".
fn seconds(value: f64) -> String {
    let whole = value.round() as u64;
    if whole < 60 {
        format!("{whole} s")
    } else {
        format!("{} min {} s", whole / 60, whole % 60)
    }
}
