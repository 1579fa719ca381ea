//! The central view: an egui_plot scatter of two columns or of the first two principal
//! components, coloured by cluster, with the hovered row shown in a tooltip.

use std::sync::Arc;

use eframe::egui;
use egui_plot::{Plot, PlotPoint, Points};
use polars::prelude::DataType;

use super::{ClusterscopeApp, ScatterAxes, palette};

/// egui_plot tessellates every point on the CPU; beyond this many we draw an even subsample.
/// (Millions of points need a GPU point renderer.)
const MAX_DRAWN_POINTS: usize = 200_000;

/// Point series built once per (features, clustering, axes) and reused every frame.
#[derive(Default)]
pub struct ScatterCache {
    key: Option<(usize, u64, u64, ScatterAxes)>,
    /// One series per cluster (then noise): name, colour, points, radius factor.
    series: Vec<(String, egui::Color32, Vec<[f64; 2]>, f32)>,
    /// Coordinates of every matrix row (for the selection overlay).
    coordinates: Vec<[f64; 2]>,
    /// Drawn points with their table row, for hover look-up.
    drawn: Vec<(u32, [f64; 2])>,
    axis_labels: (String, String),
    error: Option<String>,
}

impl ClusterscopeApp {
    pub(super) fn scatter_ui(&mut self, ui: &mut egui::Ui) {
        let Some(table) = self.table.clone() else {
            ui.centered_and_justified(|ui| {
                if self.loading {
                    ui.spinner();
                } else {
                    ui.label("Open a table to see its clusters");
                }
            });
            return;
        };
        self.axes_ui(
            ui,
            &table
                .info
                .columns
                .iter()
                .filter(|c| c.numeric)
                .map(|c| c.name.clone())
                .collect::<Vec<_>>(),
        );
        self.refresh_scatter_cache();
        let cache = &self.scatter_cache;
        if let Some(error) = &cache.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        if self.prepared.is_none() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Preparing features…");
            });
            return;
        }
        let radius = if cache.drawn.len() > 20_000 { 1.0 } else { 2.0 };
        let highlight = ui.visuals().strong_text_color();
        let response = Plot::new("scatter")
            .x_axis_label(cache.axis_labels.0.clone())
            .y_axis_label(cache.axis_labels.1.clone())
            .show(ui, |plot_ui| {
                for (name, color, points, factor) in &cache.series {
                    plot_ui.points(
                        Points::new(name.clone(), points.clone())
                            .color(*color)
                            .radius(radius * factor)
                            .filled(true),
                    );
                }
                if let Some(selection) = &self.selection {
                    let selected: Vec<[f64; 2]> = selection
                        .rows
                        .iter()
                        .filter_map(|&row| cache.coordinates.get(row as usize).copied())
                        .collect();
                    plot_ui.points(
                        Points::new(format!("Selected ({})", selected.len()), selected)
                            .color(highlight)
                            .radius(radius + 2.0)
                            .filled(false),
                    );
                }
            });
        if let Some(pointer) = response.response.hover_pos() {
            let nearest = cache
                .drawn
                .iter()
                .map(|(row, p)| {
                    let screen = response
                        .transform
                        .position_from_point(&PlotPoint::new(p[0], p[1]));
                    (*row, screen.distance(pointer))
                })
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((row, distance)) = nearest
                && distance < 8.0
            {
                let label = self.label_of_table_row(row);
                response
                    .response
                    .on_hover_ui_at_pointer(|ui| row_tooltip_ui(ui, &table, row, label));
            }
        }
    }

    fn axes_ui(&mut self, ui: &mut egui::Ui, numeric: &[String]) {
        ui.horizontal(|ui| {
            ui.label("View:");
            let mut pca = matches!(self.axes, ScatterAxes::Pca);
            if ui.radio_value(&mut pca, true, "PCA").changed() {
                self.axes = ScatterAxes::Pca;
            }
            if ui.radio_value(&mut pca, false, "Columns").changed() && numeric.len() >= 2 {
                self.axes = ScatterAxes::Columns {
                    x: numeric[0].clone(),
                    y: numeric[1].clone(),
                };
            }
            if let ScatterAxes::Columns { x, y } = &mut self.axes {
                for (axis, value) in [("X", x), ("Y", y)] {
                    egui::ComboBox::from_label(axis)
                        .selected_text(value.as_str())
                        .show_ui(ui, |ui| {
                            for name in numeric {
                                ui.selectable_value(value, name.clone(), name);
                            }
                        });
                }
            }
        });
    }

    /// Cluster of a table row in the shown clustering (None: left out or not yet clustered).
    fn label_of_table_row(&self, row: u32) -> Option<u32> {
        let prepared = self.prepared.as_ref()?;
        let clustering = self.clustering.as_ref()?;
        if !Arc::ptr_eq(&clustering.points, &prepared.points) {
            return None;
        }
        let index = prepared.features.table_rows.binary_search(&row).ok()?;
        clustering.result.labels.get(index).copied()
    }

    fn refresh_scatter_cache(&mut self) {
        let Some(prepared) = self.prepared.clone() else {
            self.scatter_cache = ScatterCache::default();
            return;
        };
        let clustering = self
            .clustering
            .as_ref()
            .filter(|c| Arc::ptr_eq(&c.points, &prepared.points));
        let key = (
            Arc::as_ptr(&prepared) as usize,
            clustering.map_or(0, |c| c.generation),
            clustering.map_or(0, |c| c.revision),
            self.axes.clone(),
        );
        if self.scatter_cache.key.as_ref() == Some(&key) {
            return;
        }
        let mut cache = ScatterCache {
            key: Some(key),
            ..Default::default()
        };
        let coordinates: Result<Vec<[f64; 2]>, String> = match &self.axes {
            ScatterAxes::Pca => {
                cache.axis_labels = match &prepared.pca {
                    Ok((_, ratio)) => (
                        format!("PC1 ({:.1}% of variance)", ratio[0] * 100.0),
                        format!("PC2 ({:.1}% of variance)", ratio[1] * 100.0),
                    ),
                    Err(_) => ("PC1".into(), "PC2".into()),
                };
                prepared
                    .pca
                    .as_ref()
                    .map(|(c, _)| c.clone())
                    .map_err(Clone::clone)
            }
            ScatterAxes::Columns { x, y } => {
                cache.axis_labels = (x.clone(), y.clone());
                match &self.table {
                    Some(table) => column_pairs(&table.frame, x, y, &prepared.features.table_rows),
                    None => Ok(Vec::new()),
                }
            }
        };
        let coordinates = match coordinates {
            Ok(c) => c,
            Err(error) => {
                cache.error = Some(error);
                self.scatter_cache = cache;
                return;
            }
        };
        let step = coordinates.len().div_ceil(MAX_DRAWN_POINTS).max(1);
        let n_clusters = clustering.map_or(0, |c| c.sizes.len());
        // One slot per cluster, then one for noise.
        let mut per_cluster: Vec<Vec<[f64; 2]>> = vec![Vec::new(); n_clusters + 1];
        for (index, point) in coordinates.iter().enumerate().step_by(step) {
            if !(point[0].is_finite() && point[1].is_finite()) {
                continue;
            }
            let cluster = match clustering.map(|c| c.result.labels[index]) {
                Some(crate::cluster::NOISE) => n_clusters,
                Some(label) => label as usize,
                None => 0,
            };
            per_cluster[cluster].push(*point);
            cache
                .drawn
                .push((prepared.features.table_rows[index], *point));
        }
        cache.series = per_cluster
            .into_iter()
            .enumerate()
            .filter(|(_, points)| !points.is_empty())
            .map(|(index, points)| match clustering {
                Some(_) if index == n_clusters => (
                    format!("Noise ({})", points.len()),
                    palette::NOISE,
                    points,
                    0.6,
                ),
                Some(c) => (
                    format!("Cluster {index} ({})", c.sizes[index]),
                    palette::cluster_color(index),
                    points,
                    1.0,
                ),
                None => (
                    "Not clustered yet".to_string(),
                    palette::LEFT_OUT,
                    points,
                    1.0,
                ),
            })
            .collect();
        // Noise first, so clusters draw over it.
        cache.series.sort_by_key(|s| s.3 == 1.0);
        cache.coordinates = coordinates;
        self.scatter_cache = cache;
    }
}

/// (x, y) values of two table columns at `rows`.
fn column_pairs(
    frame: &polars::prelude::DataFrame,
    x: &str,
    y: &str,
    rows: &[u32],
) -> Result<Vec<[f64; 2]>, String> {
    let values = |name: &str| -> Result<Vec<f64>, String> {
        let column = frame.column(name).map_err(|e| e.to_string())?;
        let column = column.cast(&DataType::Float64).map_err(|e| e.to_string())?;
        let values = column.f64().map_err(|e| e.to_string())?;
        Ok(rows
            .iter()
            .map(|&r| values.get(r as usize).unwrap_or(f64::NAN))
            .collect())
    };
    let xs = values(x)?;
    let ys = values(y)?;
    Ok(xs.into_iter().zip(ys).map(|(a, b)| [a, b]).collect())
}

fn row_tooltip_ui(ui: &mut egui::Ui, table: &super::LoadedTable, row: u32, label: Option<u32>) {
    ui.strong(format!("Row {row}"));
    match label {
        Some(cluster) => ui.colored_label(
            palette::cluster_color(cluster as usize),
            format!("Cluster {cluster}"),
        ),
        None => ui.weak("Not clustered"),
    };
    egui::Grid::new("row-tooltip")
        .num_columns(2)
        .show(ui, |ui| {
            for column in table.frame.columns().iter().take(24) {
                ui.weak(column.name().as_str());
                ui.label(
                    column
                        .get(row as usize)
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                );
                ui.end_row();
            }
        });
}
