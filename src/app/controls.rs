//! The left panel: the table's columns (features), scaling and the algorithm's parameters.

use eframe::egui;

use super::ClusterscopeApp;
use super::settings::AlgorithmChoice;
use crate::cluster::BackendChoice;
use crate::cluster::density::hdbscan::ClusterSelection;
use crate::cluster::hierarchy::Linkage;
use crate::data::Scaling;

/// Range of the k slider.
pub const K_RANGE: std::ops::RangeInclusive<usize> = 2..=64;

impl ClusterscopeApp {
    pub(super) fn controls_ui(&mut self, ui: &mut egui::Ui) {
        let mut features_changed = false;
        let mut params_changed = false;

        ui.heading("Data");
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
                        ui.weak(&column.dtype);
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
        params_changed |= self.algorithm_choice_ui(ui, "algorithm", "Method");
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
                self.cancel_clustering();
            }
        });

        if features_changed && !self.selected_columns.is_empty() {
            self.prepared = None;
            self.request_prepare();
        } else if params_changed {
            self.request_clustering();
        }
    }
}

/// A labelled drag value in a two-column grid; true when it changed.
fn labelled<T: egui::emath::Numeric>(
    ui: &mut egui::Ui,
    text: &str,
    value: &mut T,
    range: std::ops::RangeInclusive<T>,
    speed: f64,
) -> bool {
    let label = ui.label(text);
    let changed = ui
        .add(egui::DragValue::new(value).range(range).speed(speed))
        .labelled_by(label.id)
        .changed();
    ui.end_row();
    changed
}

impl ClusterscopeApp {
    /// A labelled picker of the clustering algorithm (tables and superpixels share the
    /// setting); true when the choice changed.
    pub(super) fn algorithm_choice_ui(&mut self, ui: &mut egui::Ui, id: &str, label: &str) -> bool {
        let mut changed = false;
        let label = ui.label(label);
        let combo = egui::ComboBox::from_id_salt(id)
            .selected_text(self.settings.algorithm.label())
            .show_ui(ui, |ui| {
                for choice in AlgorithmChoice::ALL {
                    changed |= ui
                        .selectable_value(&mut self.settings.algorithm, choice, choice.label())
                        .changed();
                }
            });
        combo.response.labelled_by(label.id);
        changed
    }

    /// The chosen algorithm's parameters; true when one changed. `structure_views`: the
    /// bottom panel shows the algorithm's tree or plot (not for superpixels of an image).
    pub(super) fn algorithm_params_ui(&mut self, ui: &mut egui::Ui, structure_views: bool) -> bool {
        let mut changed = false;
        let settings = &mut self.settings;
        match settings.algorithm {
            AlgorithmChoice::KMeans => {
                let params = &mut settings.kmeans;
                params.n_clusters = params.n_clusters.clamp(*K_RANGE.start(), *K_RANGE.end());
                changed |= ui
                    .add(egui::Slider::new(&mut params.n_clusters, K_RANGE).text("k"))
                    .changed();
                egui::Grid::new("kmeans-params")
                    .num_columns(2)
                    .show(ui, |ui| {
                        changed |= labelled(
                            ui,
                            "Max iterations",
                            &mut params.max_iterations,
                            1..=10_000,
                            1.0,
                        );
                        let label = ui.label("Tolerance");
                        changed |= ui
                            .add(
                                egui::DragValue::new(&mut params.tolerance)
                                    .range(0.0..=1.0)
                                    .speed(1e-5)
                                    .max_decimals(8),
                            )
                            .labelled_by(label.id)
                            .changed();
                        ui.end_row();
                        changed |= labelled(ui, "Seed", &mut params.seed, 0..=u64::MAX, 1.0);
                    });
            }
            AlgorithmChoice::Agglomerative | AlgorithmChoice::Divisive => {
                let tree = &mut settings.tree;
                if settings.algorithm == AlgorithmChoice::Agglomerative {
                    ui.horizontal(|ui| {
                        ui.label("Linkage:");
                        for linkage in Linkage::ALL {
                            changed |= ui
                                .radio_value(&mut tree.linkage, linkage, linkage.name())
                                .changed();
                        }
                    });
                    if matches!(tree.linkage, Linkage::Complete | Linkage::Average) {
                        ui.weak("Needs the full distance matrix: refused above 2 GiB.");
                    }
                }
                tree.n_clusters = tree.n_clusters.clamp(1, *K_RANGE.end());
                changed |= ui
                    .add(
                        egui::Slider::new(&mut tree.n_clusters, 1..=*K_RANGE.end())
                            .text("clusters"),
                    )
                    .changed();
                if structure_views {
                    ui.weak("Or drag the cut line in the dendrogram below.");
                }
            }
            AlgorithmChoice::Dbscan => {
                let density = &mut settings.density;
                egui::Grid::new("dbscan-params")
                    .num_columns(2)
                    .show(ui, |ui| {
                        let label = ui.label("eps");
                        changed |= ui
                            .add(
                                egui::DragValue::new(&mut density.eps)
                                    .range(1e-6..=1e6)
                                    .speed(0.005)
                                    .max_decimals(5),
                            )
                            .labelled_by(label.id)
                            .changed();
                        ui.end_row();
                        changed |=
                            labelled(ui, "Min points", &mut density.min_points, 1..=1000, 0.2);
                    });
                if structure_views {
                    ui.weak(
                        "Click the k-distance plot below to set eps. Moving eps re-cuts the same \
                         tree.",
                    );
                }
            }
            AlgorithmChoice::Hdbscan => {
                let density = &mut settings.density;
                egui::Grid::new("hdbscan-params")
                    .num_columns(2)
                    .show(ui, |ui| {
                        changed |= labelled(
                            ui,
                            "Min cluster size",
                            &mut density.min_cluster_size,
                            2..=100_000,
                            0.3,
                        );
                        changed |= labelled(
                            ui,
                            "Min samples (0: same)",
                            &mut density.min_samples,
                            0..=1000,
                            0.2,
                        );
                    });
                ui.horizontal(|ui| {
                    ui.label("Selection:");
                    changed |= ui
                        .radio_value(
                            &mut density.selection,
                            ClusterSelection::Eom,
                            "excess of mass",
                        )
                        .changed();
                    changed |= ui
                        .radio_value(&mut density.selection, ClusterSelection::Leaf, "leaf")
                        .changed();
                });
            }
            AlgorithmChoice::Optics => {
                let density = &mut settings.density;
                egui::Grid::new("optics-params")
                    .num_columns(2)
                    .show(ui, |ui| {
                        changed |=
                            labelled(ui, "Min points", &mut density.min_points, 2..=1000, 0.2);
                        let mut limited = density.max_eps.is_some();
                        let label = ui.label("Max eps");
                        ui.horizontal(|ui| {
                            if ui
                                .checkbox(&mut limited, "")
                                .labelled_by(label.id)
                                .changed()
                            {
                                density.max_eps = limited.then_some(1.0);
                                changed = true;
                            }
                            match &mut density.max_eps {
                                Some(max_eps) => {
                                    changed |= ui
                                        .add(
                                            egui::DragValue::new(max_eps)
                                                .range(1e-6..=1e6)
                                                .speed(0.01),
                                        )
                                        .labelled_by(label.id)
                                        .changed();
                                }
                                None => {
                                    ui.weak("unlimited");
                                }
                            }
                        });
                        ui.end_row();
                        let mut by_xi = density.reachability_threshold.is_none();
                        let label = ui.label("Extraction");
                        ui.horizontal(|ui| {
                            if ui
                                .radio_value(&mut by_xi, true, "ξ")
                                .labelled_by(label.id)
                                .changed()
                                | ui.radio_value(&mut by_xi, false, "threshold").changed()
                            {
                                density.reachability_threshold = (!by_xi).then_some(0.5);
                                changed = true;
                            }
                        });
                        ui.end_row();
                        if by_xi {
                            let label = ui.label("ξ");
                            changed |= ui
                                .add(
                                    egui::DragValue::new(&mut density.xi)
                                        .range(0.001..=0.999)
                                        .speed(0.002),
                                )
                                .labelled_by(label.id)
                                .changed();
                        } else if let Some(threshold) = &mut density.reachability_threshold {
                            let label = ui.label("Reachability");
                            changed |= ui
                                .add(
                                    egui::DragValue::new(threshold)
                                        .range(1e-6..=1e6)
                                        .speed(0.005),
                                )
                                .labelled_by(label.id)
                                .changed();
                        }
                        ui.end_row();
                    });
                if structure_views {
                    ui.weak("Drag the threshold line on the reachability plot below.");
                }
            }
        }
        changed
    }
}
