//! Export of labeled data (all rows or the selected ones): asks for another column name
//! when `cluster` is taken, then a save dialog, then an atomic write on a background
//! thread. Renamed clusters add a `<column>_name` column; scores from the Outliers pane add
//! `outlier_score` and `is_outlier`.

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;

use super::{ClusterscopeApp, LoadedTable};
use polars::prelude::Column;

use crate::data::{self, DataError, InputRecord, Provenance};

const DEFAULT_LABEL_COLUMN: &str = "cluster";
/// The Outliers pane's columns, as `clusterscope outliers` writes them.
const OUTLIER_SCORE: &str = "outlier_score";
const IS_OUTLIER: &str = "is_outlier";

/// The open "name the cluster column" dialog.
pub struct LabelColumnPrompt {
    name: String,
    selection_only: bool,
}

/// Everything an export writes, gathered on the UI thread.
pub struct ExportRequest {
    pub labels: Vec<Option<u32>>,
    pub label_column: String,
    /// Per table row, when clusters were renamed.
    pub names: Option<Vec<Option<String>>>,
    /// Per table row, the Outliers pane's score and flag, when it has scored these rows.
    pub outliers: Option<super::outliers::OutlierColumns>,
    /// Table rows to write (a selection), or all.
    pub rows: Option<Vec<u32>>,
    pub output: PathBuf,
    /// How the labels were made; the input's size and hash are filled in on the worker.
    pub provenance: Provenance,
}

impl ExportRequest {
    pub fn write(&self, table: &LoadedTable) -> Result<PathBuf, DataError> {
        let provenance = Provenance {
            input: InputRecord::of(&table.path)?,
            ..self.provenance.clone()
        };
        data::ensure_output_is_not_input(&table.path, &self.output)?;
        if self.labels.len() != table.frame.height() {
            return Err(DataError::Write {
                message: format!(
                    "{} labels for {} rows",
                    self.labels.len(),
                    table.frame.height()
                ),
                path: self.output.clone(),
            });
        }
        let labels: Vec<Option<i32>> = self.labels.iter().map(|l| l.map(|v| v as i32)).collect();
        let mut columns = vec![Column::new(self.label_column.as_str().into(), labels)];
        if let Some(names) = &self.names {
            columns.push(Column::new(
                format!("{}_name", self.label_column).into(),
                names.clone(),
            ));
        }
        if let Some(outliers) = &self.outliers {
            columns.push(Column::new(OUTLIER_SCORE.into(), outliers.scores.clone()));
            columns.push(Column::new(IS_OUTLIER.into(), outliers.flags.clone()));
        }
        data::write_with_columns(
            &table.frame,
            columns,
            self.rows.as_deref(),
            Some(&provenance),
            &self.output,
        )?;
        Ok(self.output.clone())
    }
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

    pub(super) fn start_export(&mut self, selection_only: bool) {
        if self.has_column(DEFAULT_LABEL_COLUMN) {
            let name = (1..)
                .map(|i| format!("{DEFAULT_LABEL_COLUMN}_{i}"))
                .find(|n| !self.has_column(n) && !self.has_column(&format!("{n}_name")))
                .unwrap_or_default();
            self.export_prompt = Some(LabelColumnPrompt {
                name,
                selection_only,
            });
        } else {
            self.pick_export_path(DEFAULT_LABEL_COLUMN.to_string(), selection_only);
        }
    }

    pub(super) fn pick_export_path(&mut self, label_column: String, selection_only: bool) {
        let stem = self
            .table
            .as_ref()
            .and_then(|t| t.path.file_stem().map(|s| s.to_string_lossy().to_string()))
            .unwrap_or_else(|| "clusters".into());
        let suffix = if selection_only {
            "selection"
        } else {
            "clustered"
        };
        let suggested = self.beside_input(&format!("{stem}_{suffix}.csv"));
        self.pick(
            super::file_dialog::Purpose::Export {
                label_column,
                selection_only,
            },
            suggested,
        );
    }

    /// What an export to `output` would write now (None: nothing up to date to export).
    pub fn export_request(
        &self,
        output: PathBuf,
        label_column: String,
        selection_only: bool,
    ) -> Option<ExportRequest> {
        let labels = self.labels_for_export()?;
        let rows = if selection_only {
            let prepared = self.prepared.as_ref()?;
            let selection = self.selection.as_ref()?;
            Some(
                selection
                    .rows
                    .iter()
                    .filter_map(|&r| prepared.features.table_rows.get(r as usize).copied())
                    .collect(),
            )
        } else {
            None
        };
        Some(ExportRequest {
            names: self.styles.names_for_export(&labels),
            outliers: self
                .outlier_columns()
                .filter(|_| !self.has_column(OUTLIER_SCORE) && !self.has_column(IS_OUTLIER)),
            provenance: self.provenance(&label_column, rows.as_ref().map(Vec::len))?,
            labels,
            label_column,
            rows,
            output,
        })
    }

    /// The record of the shown clustering (input size and hash left for the worker).
    fn provenance(&self, label_column: &str, rows_exported: Option<usize>) -> Option<Provenance> {
        let table = self.table.as_ref()?;
        let prepared = self.prepared.as_ref()?;
        let clustering = self.clustering.as_ref()?;
        let params = crate::cluster::find(&clustering.params.algorithm)?
            .info()
            .complete(&clustering.params.values)
            .ok()?;
        let diagnostics = &clustering.result.diagnostics;
        Some(Provenance {
            clusterscope: env!("CARGO_PKG_VERSION").into(),
            made_by: "window".into(),
            algorithm: clustering.params.algorithm.clone(),
            seed: params.get("seed").and_then(|v| v.as_u64()),
            params,
            backend_choice: clustering.backend_choice,
            backend: diagnostics.backend.name().into(),
            adapter: diagnostics.adapter.clone(),
            input: InputRecord {
                file: String::new(),
                path: table.path.clone(),
                bytes: 0,
                sha256: String::new(),
            },
            columns: prepared.features.columns.clone(),
            sheet: table.sheet.clone(),
            scaling: prepared.scaling,
            rows: prepared.features.n_table_rows,
            rows_used: prepared.points.n_rows,
            label_column: label_column.to_string(),
            scores: false,
            rows_exported,
            clustered_rows: prepared.subset.as_ref().map(|rows| rows.to_vec()),
            cutoff: None,
            labels_from: None,
            created: data::provenance::now_utc(),
        })
    }

    /// Exports to `path` (what the save dialog ends in).
    pub fn export_to(&mut self, path: PathBuf, label_column: String, selection_only: bool) {
        let request = self.export_request(path.clone(), label_column, selection_only);
        let (Some(table), Some(request)) = (self.table.clone(), request) else {
            self.notices.error = Some("Nothing to export: the clustering is not up to date".into());
            return;
        };
        self.notices.info = Some(format!("Exporting {}…", path.display()));
        self.jobs.export(table, request);
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
            let selection_only = prompt.selection_only;
            self.export_prompt = None;
            if let Some(name) = choice {
                self.command(super::Command::PickExport {
                    label_column: name,
                    selection_only,
                });
            }
        }
    }
}
