//! The Profiles pane: what each cluster is (`crate::profile`), computed off the UI thread
//! for the shown result over every column of the table. A box plot per cluster of the
//! picked numeric column in the cluster colours, each cluster's size and the columns that
//! set it apart, and the columns ordered by how much they separate the clusters. Names
//! come from the legend, so renamed clusters keep their names here.

use std::sync::Arc;

use eframe::egui;
use egui_plot::{BoxElem, BoxPlot, BoxSpread, Plot};
use polars::prelude::DataFrame;

use super::ClusterscopeApp;
use crate::cluster::NOISE;
use crate::profile::{self, ColumnProfile, ColumnStats, Groups, Profile};

/// Which result the profile belongs to, and the column shown as box plots.
#[derive(Default)]
pub struct ProfilesState {
    /// (generation, revision) of the result profiled or being profiled.
    key: Option<(u64, u64)>,
    pub result: Option<Result<Arc<Profile>, String>>,
    /// The numeric column drawn as box plots (None: the most separating one).
    column: Option<String>,
}

/// The profile of `labels` (per matrix row; `table_rows[i]` is row i's table row) over
/// `frame`. Group `id` is cluster `id`; noise, when there is any, is the last group.
pub fn compute(
    frame: &DataFrame,
    table_rows: &[u32],
    labels: &[u32],
    n_clusters: usize,
) -> Result<Profile, String> {
    let has_noise = labels.contains(&NOISE);
    let mut of_row = vec![None; frame.height()];
    for (&row, &label) in table_rows.iter().zip(labels) {
        let group = if label == NOISE {
            n_clusters as u32
        } else {
            label
        };
        if let Some(slot) = of_row.get_mut(row as usize) {
            *slot = Some(group);
        }
    }
    let mut names: Vec<String> = (0..n_clusters).map(|c| format!("Cluster {c}")).collect();
    if has_noise {
        names.push("Noise".into());
    }
    let groups = Groups {
        of_row,
        names,
        noise: has_noise.then_some(n_clusters as u32),
    };
    profile::profile(frame, &groups, &[]).map_err(|e| e.to_string())
}

impl ClusterscopeApp {
    /// Starts profiling the shown result unless it has been.
    fn request_profile(&mut self) {
        let (Some(clustering), Some(table), Some(prepared)) =
            (&self.clustering, &self.table, &self.prepared)
        else {
            return;
        };
        if !Arc::ptr_eq(&prepared.points, &clustering.points) {
            return;
        }
        let key = (clustering.generation, clustering.revision);
        if self.profiles.key == Some(key) {
            return;
        }
        self.profiles.key = Some(key);
        self.profiles.result = None;
        self.jobs.profile(
            key,
            Arc::clone(table),
            Arc::clone(prepared),
            clustering.result.labels.clone(),
            clustering.n_clusters(),
        );
    }

    /// True once the shown result's profile (or why there is none) is in.
    pub fn profile_ready(&self) -> bool {
        self.profiles.result.is_some()
    }

    /// A profile finished (kept only if it is of the shown result).
    pub(super) fn profiled(&mut self, key: (u64, u64), result: Result<Profile, String>) {
        if self.profiles.key == Some(key) {
            self.profiles.result = Some(result.map(Arc::new));
        }
    }

    /// The name the legend gives profile group `group`.
    fn group_name(&self, group: usize, profile: &Profile) -> String {
        match profile.clusters.get(group) {
            Some(cluster) if cluster.noise => "Noise".into(),
            _ => self.styles.name(group as u32),
        }
    }

    fn group_color(&self, group: usize, profile: &Profile) -> egui::Color32 {
        match profile.clusters.get(group) {
            Some(cluster) if cluster.noise => self.styles.color(NOISE),
            _ => self.styles.color(group as u32),
        }
    }

    /// The Profiles pane.
    pub(super) fn profiles_ui(&mut self, ui: &mut egui::Ui) {
        self.request_profile();
        let profile = match &self.profiles.result {
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.weak(if self.clustering.is_some() {
                        "Profiling…"
                    } else {
                        "No clustering yet"
                    });
                });
                return;
            }
            Some(Err(error)) => {
                ui.weak(format!("No profile: {error}"));
                return;
            }
            Some(Ok(profile)) => Arc::clone(profile),
        };
        let numeric: Vec<&ColumnProfile> = profile
            .columns
            .iter()
            .filter(|c| matches!(c.stats, ColumnStats::Numeric { .. }))
            .collect();
        let shown = self
            .profiles
            .column
            .clone()
            .filter(|name| numeric.iter().any(|c| &c.name == name))
            .or_else(|| numeric.first().map(|c| c.name.clone()));
        ui.horizontal(|ui| {
            ui.label(format!(
                "{} rows in {} groups, {} columns, most separating first.",
                profile.labelled,
                profile.clusters.len(),
                profile.columns.len()
            ));
            if let Some(current) = &shown {
                let label = ui.label("Box plots of");
                let mut picked = current.clone();
                egui::ComboBox::from_id_salt("profile-column")
                    .selected_text(&picked)
                    .show_ui(ui, |ui| {
                        for column in &numeric {
                            ui.selectable_value(&mut picked, column.name.clone(), &column.name);
                        }
                    })
                    .response
                    .labelled_by(label.id);
                if &picked != current {
                    self.profiles.column = Some(picked);
                }
            }
        });
        ui.columns(2, |columns| {
            if let Some(column) = shown
                .as_ref()
                .and_then(|name| numeric.iter().find(|c| &c.name == name))
            {
                self.box_plot_ui(&mut columns[0], &profile, column);
            } else {
                columns[0].weak("No numeric column to draw.");
            }
            egui::ScrollArea::both()
                .id_salt("profile-table")
                .show(&mut columns[1], |ui| self.profile_tables_ui(ui, &profile));
        });
    }

    /// One box per group (whiskers at the minimum and maximum, box at the quartiles).
    fn box_plot_ui(&self, ui: &mut egui::Ui, profile: &Profile, column: &ColumnProfile) {
        let ColumnStats::Numeric { groups, f, .. } = &column.stats else {
            return;
        };
        let boxes: Vec<BoxElem> = groups
            .iter()
            .enumerate()
            .filter_map(|(g, s)| {
                let spread = BoxSpread::new(s.min?, s.q1?, s.median?, s.q3?, s.max?);
                let color = self.group_color(g, profile);
                Some(
                    BoxElem::new(g as f64, spread)
                        .name(self.group_name(g, profile))
                        .fill(color.gamma_multiply(0.4))
                        .stroke(egui::Stroke::new(1.5, color))
                        .box_width(0.6)
                        .whisker_width(0.3),
                )
            })
            .collect();
        let title = match f {
            Some(f) => format!("{} (ANOVA F {f:.1})", column.name),
            None => column.name.clone(),
        };
        ui.label(title);
        let names: Vec<String> = (0..groups.len())
            .map(|g| self.group_name(g, profile))
            .collect();
        Plot::new("profile-boxes")
            .x_axis_formatter(move |mark, _| {
                let g = mark.value.round();
                if (mark.value - g).abs() < 1e-6 && g >= 0.0 {
                    names.get(g as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_axis_label(column.name.clone())
            .allow_scroll(false)
            .show(ui, |plot_ui| {
                plot_ui.box_plot(BoxPlot::new(column.name.clone(), boxes))
            });
    }

    /// Each cluster's size and distinguishing columns; then every column by separation.
    fn profile_tables_ui(&self, ui: &mut egui::Ui, profile: &Profile) {
        egui::Grid::new("profile-clusters")
            .striped(true)
            .show(ui, |ui| {
                ui.strong("Cluster");
                ui.strong("Rows");
                ui.strong("Share");
                ui.strong("Sets it apart (sd from the rest)");
                ui.end_row();
                for (g, cluster) in profile.clusters.iter().enumerate() {
                    ui.colored_label(self.group_color(g, profile), self.group_name(g, profile));
                    ui.label(cluster.size.to_string());
                    ui.label(format!("{:.1} %", 100.0 * cluster.share));
                    let apart: Vec<String> = cluster
                        .distinguishing
                        .iter()
                        .map(|d| format!("{} {:+.2}", d.column, d.standardised_difference))
                        .collect();
                    ui.label(apart.join(", "));
                    ui.end_row();
                }
            });
        ui.add_space(8.0);
        egui::Grid::new("profile-columns")
            .striped(true)
            .show(ui, |ui| {
                ui.strong("Column");
                ui.strong("Separation");
                for g in 0..profile.clusters.len() {
                    ui.colored_label(self.group_color(g, profile), self.group_name(g, profile));
                }
                ui.end_row();
                for column in &profile.columns {
                    ui.label(&column.name);
                    match column.separation() {
                        Some(s) => ui.label(format!("{s:.3}")),
                        None => ui.weak("n/a"),
                    }
                    .on_hover_text("η² for numbers, Cramér's V for categories (0 to 1)");
                    match &column.stats {
                        ColumnStats::Numeric { groups, .. } => {
                            for s in groups {
                                match (s.mean, s.std) {
                                    (Some(mean), Some(std)) => {
                                        ui.label(format!("{mean:.3} ± {std:.3}"))
                                    }
                                    (Some(mean), None) => ui.label(format!("{mean:.3}")),
                                    _ => ui.weak("–"),
                                };
                            }
                        }
                        ColumnStats::Categorical { groups, .. } => {
                            for top in groups {
                                match top.first() {
                                    Some(c) => {
                                        ui.label(format!("{} ({:.0} %)", c.value, 100.0 * c.share))
                                    }
                                    None => ui.weak("–"),
                                };
                            }
                        }
                    }
                    ui.end_row();
                }
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn groups_follow_the_table_rows_and_noise_comes_last() {
        let frame =
            df!("x" => [1.0, 2.0, 3.0, 10.0, 11.0, 50.0], "kind" => ["a", "a", "b", "b", "b", "a"])
                .unwrap();
        // Matrix rows 0..5 are table rows 0, 1, 2, 3, 5 (row 4 left out).
        let profile = compute(&frame, &[0, 1, 2, 3, 5], &[0, 0, 0, 1, NOISE], 2).unwrap();
        assert_eq!(profile.labelled, 5);
        let sizes: Vec<(usize, bool)> =
            profile.clusters.iter().map(|c| (c.size, c.noise)).collect();
        assert_eq!(sizes, vec![(3, false), (1, false), (1, true)]);
        let x = profile.columns.iter().find(|c| c.name == "x").unwrap();
        let ColumnStats::Numeric { groups, .. } = &x.stats else {
            panic!("x is numeric");
        };
        assert_eq!(groups[0].mean, Some(2.0));
        assert_eq!(groups[1].median, Some(10.0));
    }
}
