//! The left panel: the table's columns (features), scaling and the algorithm's parameters.

use eframe::egui;

use super::{ClusterscopeApp, Command};
use crate::cluster::BackendChoice;
use crate::data::Scaling;

impl ClusterscopeApp {
    pub(super) fn controls_ui(&mut self, ui: &mut egui::Ui) {
        let mut features_changed = false;
        let mut params_changed = false;

        self.resume_offer_ui(ui);
        ui.heading("Data");
        let mut sheet_choice = None;
        match &self.table {
            None if self.loading => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Loading…");
                });
            }
            None => {
                ui.label("Open a table: File > Open, or drop a file on the window.");
            }
            Some(table) => {
                let name = table
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                ui.label(egui::RichText::new(name).strong())
                    .on_hover_text(table.path.display().to_string());
                ui.label(format!(
                    "{} rows × {} columns",
                    table.info.n_rows, table.info.n_columns
                ));
                if let Some(sheet) = &table.sheet {
                    let mut chosen = sheet.clone();
                    ui.horizontal(|ui| {
                        let label = ui.label("Sheet");
                        egui::ComboBox::from_id_salt("sheet")
                            .selected_text(sheet.as_str())
                            .show_ui(ui, |ui| {
                                for name in &table.sheets {
                                    ui.selectable_value(&mut chosen, name.clone(), name);
                                }
                            })
                            .response
                            .labelled_by(label.id);
                    });
                    if chosen != *sheet {
                        sheet_choice = Some(chosen);
                    }
                }
                if let Some(prepared) = &self.prepared {
                    let skipped = prepared.features.n_skipped();
                    if skipped > 0 {
                        ui.colored_label(
                            ui.visuals().warn_fg_color,
                            format!(
                                "{skipped} rows left out: a chosen feature is missing, NaN or infinite. \
                                 They get an empty cluster in the export."
                            ),
                        );
                    }
                }
            }
        }

        if let Some(sheet) = sheet_choice {
            self.command(Command::OpenSheet(sheet));
        }

        if self.image().is_some() {
            ui.separator();
            self.image_controls_ui(ui);
            return;
        }

        if let Some(table) = self.table.clone() {
            ui.separator();
            ui.heading("Features");
            egui::Grid::new("columns")
                .num_columns(2)
                .striped(true)
                .show(ui, |ui| {
                    for column in &table.info.columns {
                        let mut chosen = self.selected_columns.contains(&column.name);
                        let label = if column.null_count > 0 {
                            format!("{} ({} missing)", column.name, column.null_count)
                        } else {
                            column.name.clone()
                        };
                        let checkbox =
                            ui.add_enabled(column.numeric, egui::Checkbox::new(&mut chosen, label));
                        if checkbox.changed() {
                            if chosen {
                                // Keep table order so the matrix columns are stable.
                                self.selected_columns.push(column.name.clone());
                                let order: Vec<&String> =
                                    table.info.columns.iter().map(|c| &c.name).collect();
                                self.selected_columns
                                    .sort_by_key(|n| order.iter().position(|o| *o == n));
                            } else {
                                self.selected_columns.retain(|n| n != &column.name);
                            }
                            features_changed = true;
                        }
                        match crate::data::label_like(&table.frame, &column.name) {
                            Some(why) => ui
                                .weak(format!("{} · label?", column.dtype))
                                .on_hover_text(format!("Left out at first: {why}.")),
                            None => ui.weak(&column.dtype),
                        };
                        ui.end_row();
                    }
                });
            if self.selected_columns.is_empty() {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    "Choose at least one feature column.",
                );
            }
            ui.horizontal(|ui| {
                ui.label("Scaling:");
                for scaling in Scaling::ALL {
                    if ui
                        .radio_value(&mut self.settings.scaling, scaling, scaling.label())
                        .changed()
                    {
                        features_changed = true;
                    }
                }
            });
        }

        ui.separator();
        ui.heading("Algorithm");
        params_changed |= self.algorithm_choice_ui(ui, "algorithm", "Method", None);
        params_changed |= self.algorithm_params_ui(ui, true);
        egui::Grid::new("backend-grid")
            .num_columns(2)
            .show(ui, |ui| {
                let label = ui.label("Backend");
                let combo = egui::ComboBox::from_id_salt("backend")
                    .selected_text(self.settings.backend.label())
                    .show_ui(ui, |ui| {
                        for choice in BackendChoice::ALL {
                            params_changed |= ui
                                .selectable_value(
                                    &mut self.settings.backend,
                                    choice,
                                    choice.label(),
                                )
                                .changed();
                        }
                    });
                combo.response.labelled_by(label.id);
                ui.end_row();
            });
        match self.gpu_name() {
            Some(name) => ui.weak(format!("GPU adapter: {name}")),
            None => ui.weak("No GPU adapter: CPU only"),
        };
        ui.horizontal(|ui| {
            if ui
                .add_enabled(self.prepared.is_some(), egui::Button::new("Re-run"))
                .clicked()
            {
                params_changed = true;
            }
            if ui
                .add_enabled(self.clustering_pending, egui::Button::new("Cancel"))
                .clicked()
            {
                self.command(Command::CancelClustering);
            }
        });

        if features_changed && !self.selected_columns.is_empty() {
            self.prepared = None;
            self.command(Command::Prepare);
        } else if params_changed {
            self.command(Command::Cluster);
        }
    }
}
