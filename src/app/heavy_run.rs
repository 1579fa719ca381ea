//! Asking before a long or memory-hungry run: every clustering request is estimated first
//! ([`crate::cluster::cost`], the planner the command line prints from). A run on the CPU
//! estimated above the "ask above" setting (10 s unless changed), or needing more memory
//! than the machine has free, waits for "Run anyway"; once agreed for a table and an
//! algorithm, runs up to twice that estimate go ahead without asking again (a slider drag
//! does not ask at every step).

use eframe::egui;

use super::ClusterscopeApp;
use crate::cluster::cost::Estimate;
use crate::memory::human_bytes;

/// A request held back until the user agrees.
pub struct HeldRun {
    pub estimate: Estimate,
    pub algorithm: String,
    pub n: usize,
    pub d: usize,
    /// More memory than is free (seconds alone are a question, memory a warning).
    pub over_memory: Option<u64>,
}

/// What the user agreed to run without asking.
#[derive(Clone, Debug, PartialEq)]
pub struct Agreed {
    points: usize,
    algorithm: String,
    seconds: f64,
    bytes: u64,
}

impl ClusterscopeApp {
    /// The estimate of the current request when it needs a question; None to run at once.
    pub(super) fn needs_asking(&self) -> Option<HeldRun> {
        let prepared = self.prepared.as_ref()?;
        if self.image().is_some() {
            // Segmentations are sized against memory when the image is read.
            return None;
        }
        let (n, d) = (prepared.points.n_rows, prepared.points.n_cols);
        let params = self.settings.algorithm_params();
        let estimate = params.estimate(n, d).ok()?;
        let on_cpu = self.settings.backend == crate::cluster::BackendChoice::Cpu
            || self.gpu_name().is_none()
            || self.settings.algorithm_info().gpu_passes.is_empty();
        let free = crate::memory::available_bytes();
        let over_memory = free.filter(|&free| estimate.bytes > free);
        let slow = on_cpu && estimate.cpu_seconds > self.settings.ask_above_seconds;
        if !slow && over_memory.is_none() {
            return None;
        }
        let points = std::sync::Arc::as_ptr(&prepared.points) as usize;
        let agreed = self.agreed_run.as_ref().is_some_and(|a| {
            a.points == points
                && a.algorithm == params.algorithm
                && estimate.cpu_seconds <= 2.0 * a.seconds
                && estimate.bytes <= a.bytes.saturating_mul(2)
        });
        if agreed {
            return None;
        }
        Some(HeldRun {
            estimate,
            algorithm: self.settings.algorithm_info().name.to_string(),
            n,
            d,
            over_memory,
        })
    }

    /// The question, while a run is held back.
    pub(super) fn heavy_run_ui(&mut self, ctx: &egui::Context) {
        let Some(held) = self.held_run.take() else {
            return;
        };
        let mut decision = None;
        egui::Window::new("This run will take a while")
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
            .show(ctx, |ui| {
                ui.label(format!(
                    "{} on {} rows × {} columns is estimated to take {} on the CPU and \
                     {} of memory.",
                    held.algorithm,
                    held.n,
                    held.d,
                    held.estimate.duration_text(),
                    human_bytes(held.estimate.bytes)
                ));
                if let Some(free) = held.over_memory {
                    ui.colored_label(
                        ui.visuals().error_fg_color,
                        format!(
                            "That is more than the {} this machine has free: the run may \
                             fail or swap.",
                            human_bytes(free)
                        ),
                    );
                }
                ui.weak(
                    "A sample of the rows (select some, then \"Cluster the selection only\"), fewer \
                     columns or a faster method would be quicker. A run can be cancelled \
                     at any time.",
                );
                ui.horizontal(|ui| {
                    let label = ui.label("Ask only for runs estimated above");
                    ui.add(
                        egui::DragValue::new(&mut self.settings.ask_above_seconds)
                            .range(0.0..=86_400.0)
                            .suffix(" s"),
                    )
                    .labelled_by(label.id);
                });
                ui.horizontal(|ui| {
                    if ui.button("Run anyway").clicked() {
                        decision = Some(true);
                    }
                    if ui.button("Don't run").clicked() {
                        decision = Some(false);
                    }
                });
            });
        match decision {
            Some(true) => {
                if let Some(prepared) = &self.prepared {
                    self.agreed_run = Some(Agreed {
                        points: std::sync::Arc::as_ptr(&prepared.points) as usize,
                        algorithm: self.settings.algorithm.clone(),
                        seconds: held.estimate.cpu_seconds,
                        bytes: held.estimate.bytes,
                    });
                }
                self.command(super::Command::Cluster);
            }
            Some(false) => {
                self.clustering_pending = false;
                self.notices.info = Some("Run not started: change the parameters, the columns or the rows, or press Re-run".into());
            }
            None => self.held_run = Some(held),
        }
    }
}
