//! Export ▸ labeled data: asks for another column name when `cluster` is taken, then a
//! save dialog, then an atomic write on a background thread.

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;

use super::ClusterscopeApp;

const DEFAULT_LABEL_COLUMN: &str = "cluster";

/// The open "name the cluster column" dialog.
pub struct LabelColumnPrompt {
    name: String,
}

impl ClusterscopeApp {
    /// Per-table-row labels of the shown clustering, if it matches the current features.
    pub fn labels_for_export(&self) -> Option<Vec<Option<u32>>> {
        let prepared = self.prepared.as_ref()?;
        let clustering = self.clustering.as_ref()?;
        Arc::ptr_eq(&clustering.points, &prepared.points).then(|| {
            prepared
                .features
                .labels_for_table(&clustering.result.labels)
        })
    }

    fn has_column(&self, name: &str) -> bool {
        self.table
            .as_ref()
            .is_some_and(|t| t.frame.column(name).is_ok())
    }

    pub(super) fn start_export(&mut self) {
        if self.has_column(DEFAULT_LABEL_COLUMN) {
            let name = (1..)
                .map(|i| format!("{DEFAULT_LABEL_COLUMN}_{i}"))
                .find(|n| !self.has_column(n))
                .unwrap_or_default();
            self.export_prompt = Some(LabelColumnPrompt { name });
        } else {
            self.pick_export_path(DEFAULT_LABEL_COLUMN.to_string());
        }
    }

    fn pick_export_path(&mut self, label_column: String) {
        let stem = self
            .table
            .as_ref()
            .and_then(|t| t.path.file_stem().map(|s| s.to_string_lossy().to_string()))
            .unwrap_or_else(|| "clusters".into());
        self.jobs
            .pick_export(format!("{stem}_clustered.csv"), label_column);
    }

    pub(super) fn export_to(&mut self, path: PathBuf, label_column: String) {
        let (Some(table), Some(labels)) = (self.table.clone(), self.labels_for_export()) else {
            self.notices.error = Some("Nothing to export: the clustering is not up to date".into());
            return;
        };
        self.notices.info = Some(format!("Exporting {}…", path.display()));
        self.jobs.export(table, labels, label_column, path);
    }

    pub(super) fn export_prompt_ui(&mut self, ctx: &egui::Context) {
        let Some(prompt) = &mut self.export_prompt else {
            return;
        };
        let mut decision = None;
        let taken = self
            .table
            .as_ref()
            .is_some_and(|t| t.frame.column(&prompt.name).is_ok());
        egui::Window::new("Name the cluster column")
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
            .show(ctx, |ui| {
                ui.label(format!(
                    "The table already has a column named '{DEFAULT_LABEL_COLUMN}'."
                ));
                ui.horizontal(|ui| {
                    let label = ui.label("New column name:");
                    ui.text_edit_singleline(&mut prompt.name)
                        .labelled_by(label.id);
                });
                let name = prompt.name.trim();
                if taken {
                    ui.colored_label(
                        ui.visuals().error_fg_color,
                        format!("'{name}' is taken too"),
                    );
                }
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(!name.is_empty() && !taken, egui::Button::new("Continue"))
                        .clicked()
                    {
                        decision = Some(Some(name.to_string()));
                    }
                    if ui.button("Cancel").clicked() {
                        decision = Some(None);
                    }
                });
            });
        if let Some(choice) = decision {
            self.export_prompt = None;
            if let Some(name) = choice {
                self.pick_export_path(name);
            }
        }
    }
}
