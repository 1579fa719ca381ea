//! The selection tab: the chosen rows in a virtually scrolled table (egui_extras; only
//! the visible rows are formatted), a summary per column, and what to do with them:
//! export, cluster them alone, clear.

use std::sync::Arc;

use eframe::egui;
use egui_extras::{Column, TableBuilder};
use polars::prelude::{ChunkAgg, DataType, IdxCa, IdxSize};

use super::{ClusterscopeApp, Command, LoadedTable};

/// Columns shown in the table (the export keeps all of them).
const MAX_COLUMNS: usize = 40;

#[derive(Default)]
pub struct SelectionTableState {
    /// (selection id, table) the summaries were computed for.
    key: Option<(u64, usize)>,
    summaries: Vec<(String, String)>,
}

/// "mean m (min a, max b)" for numeric columns, distinct values otherwise.
fn summarize(table: &LoadedTable, table_rows: &[u32]) -> Vec<(String, String)> {
    let indices = IdxCa::from_vec(
        "rows".into(),
        table_rows.iter().map(|&r| r as IdxSize).collect(),
    );
    let Ok(frame) = table.frame.take(&indices) else {
        return Vec::new();
    };
    frame
        .columns()
        .iter()
        .take(MAX_COLUMNS)
        .map(|column| {
            let name = column.name().to_string();
            let summary = if column.dtype().is_primitive_numeric() {
                match column.cast(&DataType::Float64) {
                    Ok(values) => {
                        let values = values.f64().cloned().unwrap_or_default();
                        match (values.mean(), values.min(), values.max()) {
                            (Some(mean), Some(min), Some(max)) => {
                                format!("mean {mean:.4} (min {min:.4}, max {max:.4})")
                            }
                            _ => "no values".into(),
                        }
                    }
                    Err(_) => String::new(),
                }
            } else {
                match column.n_unique() {
                    Ok(n) => format!("{n} distinct"),
                    Err(_) => String::new(),
                }
            };
            (name, summary)
        })
        .collect()
}

impl ClusterscopeApp {
    pub(super) fn selection_table_ui(&mut self, ui: &mut egui::Ui) {
        let (Some(selection), Some(prepared), Some(table)) = (
            self.selection.clone(),
            self.prepared.clone(),
            self.table.clone(),
        ) else {
            ui.weak("Select points with the box or lasso tool above the scatter, or click a branch in the structure view.");
            self.subset_controls_ui(ui);
            return;
        };
        let table_rows: Vec<u32> = selection
            .rows
            .iter()
            .filter_map(|&r| prepared.features.table_rows.get(r as usize).copied())
            .collect();
        let key = (selection.id, Arc::as_ptr(&table) as usize);
        if self.selection_table.key != Some(key) {
            self.selection_table.summaries = summarize(&table, &table_rows);
            self.selection_table.key = Some(key);
        }
        ui.horizontal(|ui| {
            ui.strong(format!(
                "{} rows selected ({})",
                table_rows.len(),
                selection.source
            ));
            if ui.button("Export selection…").clicked() {
                self.command(Command::Export {
                    selection_only: true,
                });
            }
            if ui
                .button("Cluster the selection only")
                .on_hover_text("Re-cluster with only these rows; the rest are left out")
                .clicked()
            {
                self.subset = Some(Arc::new(table_rows.clone()));
                self.selection = None;
                self.command(Command::Prepare);
            }
            if ui.button("Clear selection").clicked() {
                self.selection = None;
            }
            self.subset_controls_ui(ui);
        });
        egui::CollapsingHeader::new("Column summaries")
            .default_open(false)
            .show(ui, |ui| {
                egui::Grid::new("selection-summaries")
                    .striped(true)
                    .show(ui, |ui| {
                        for (name, summary) in &self.selection_table.summaries {
                            ui.label(name);
                            ui.weak(summary);
                            ui.end_row();
                        }
                    });
            });
        // Columns that are not features first (an embedding's text and labels), then the
        // features.
        let (features, others): (Vec<_>, Vec<_>) = table
            .frame
            .columns()
            .iter()
            .partition(|c| self.selected_columns.iter().any(|s| s == c.name().as_str()));
        let columns: Vec<_> = others
            .into_iter()
            .chain(features)
            .take(MAX_COLUMNS)
            .cloned()
            .collect();
        let labels = self
            .clustering
            .as_ref()
            .filter(|c| Arc::ptr_eq(&c.points, &prepared.points));
        egui::ScrollArea::horizontal().show(ui, |ui| {
            TableBuilder::new(ui)
                .striped(true)
                .resizable(true)
                .column(Column::auto().at_least(50.0))
                .column(Column::auto().at_least(70.0))
                .columns(Column::auto().at_least(60.0).clip(true), columns.len())
                .header(20.0, |mut header| {
                    header.col(|ui| {
                        ui.strong("row");
                    });
                    header.col(|ui| {
                        ui.strong("cluster");
                    });
                    for column in &columns {
                        header.col(|ui| {
                            ui.strong(column.name().as_str());
                        });
                    }
                })
                .body(|body| {
                    body.rows(18.0, table_rows.len(), |mut row| {
                        let index = row.index();
                        let table_row = table_rows[index];
                        let matrix_row = selection.rows[index];
                        row.col(|ui| {
                            ui.label(table_row.to_string());
                        });
                        row.col(|ui| {
                            if let Some(&label) =
                                labels.and_then(|c| c.result.labels.get(matrix_row as usize))
                            {
                                ui.colored_label(self.styles.color(label), self.styles.name(label));
                            }
                        });
                        for column in &columns {
                            row.col(|ui| {
                                let value = column
                                    .get(table_row as usize)
                                    .map(|v| match v {
                                        polars::prelude::AnyValue::String(s) => s.to_string(),
                                        other => other.to_string(),
                                    })
                                    .unwrap_or_default();
                                ui.label(value);
                            });
                        }
                    });
                });
        });
    }

    /// "Back to all rows" while the features are limited to a selection.
    fn subset_controls_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(subset) = &self.subset {
            ui.label(format!("Clustering {} selected rows only", subset.len()));
            if ui.button("Back to all rows").clicked() {
                self.subset = None;
                self.selection = None;
                self.command(Command::Prepare);
            }
        }
    }
}
