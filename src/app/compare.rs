//! Pin a clustering, change parameters, and compare: a contingency table (which pinned
//! cluster went where) and the adjusted Rand index between the two.

use std::sync::Arc;

use eframe::egui;
use egui_extras::{Column, TableBuilder};

use super::ClusterscopeApp;
use crate::cluster::NOISE;
use crate::matrix::Matrix;
use crate::metrics::external;

/// A clustering kept for comparison.
pub struct PinnedClustering {
    pub points: Arc<Matrix>,
    pub labels: Vec<u32>,
    pub description: String,
}

/// Counts of points per (pinned, current) cluster pair; noise is its own row/column.
pub struct Contingency {
    pub pinned_ids: Vec<u32>,
    pub current_ids: Vec<u32>,
    /// counts[pinned index][current index]
    pub counts: Vec<Vec<usize>>,
    pub ari: f64,
}

impl Contingency {
    pub fn new(pinned: &[u32], current: &[u32]) -> Self {
        let ids = |labels: &[u32]| {
            let mut ids: Vec<u32> = labels.to_vec();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let (pinned_ids, current_ids) = (ids(pinned), ids(current));
        // Positions in the sorted id lists, so the table reads in id order.
        let position = |ids: &[u32], labels: &[u32]| -> Vec<u32> {
            labels
                .iter()
                .map(|l| ids.binary_search(l).unwrap_or_default() as u32)
                .collect()
        };
        let table = external::Contingency::new(
            &position(&pinned_ids, pinned),
            &position(&current_ids, current),
            pinned_ids.len(),
            current_ids.len(),
        );
        let ari = external::adjusted_rand(&table);
        let counts = table
            .counts
            .into_iter()
            .map(|row| row.into_iter().map(|c| c as usize).collect())
            .collect();
        Self {
            pinned_ids,
            current_ids,
            counts,
            ari,
        }
    }
}

/// Widest table shown (more clusters than this are summarised).
const MAX_TABLE_CLUSTERS: usize = 64;

impl ClusterscopeApp {
    /// Pins the shown clustering.
    pub fn pin_clustering(&mut self) {
        if let Some(clustering) = &self.clustering {
            self.pinned = Some(PinnedClustering {
                points: Arc::clone(&clustering.points),
                labels: clustering.result.labels.clone(),
                description: format!(
                    "{}, {} clusters",
                    self.settings.algorithm_info().name,
                    clustering.n_clusters()
                ),
            });
        }
    }

    pub(super) fn compare_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    self.clustering.is_some(),
                    egui::Button::new("Pin this clustering"),
                )
                .on_hover_text("Keep the current labels to compare with after changing parameters")
                .clicked()
            {
                self.pin_clustering();
            }
            if self.pinned.is_some() && ui.button("Unpin").clicked() {
                self.pinned = None;
            }
        });
        let (Some(pinned), Some(current)) = (&self.pinned, &self.clustering) else {
            ui.weak("Pin a clustering, change parameters, and see where its clusters went.");
            return;
        };
        if !Arc::ptr_eq(&pinned.points, &current.points) {
            ui.weak("The pinned clustering was made on other features or rows; pin again.");
            return;
        }
        let table = Contingency::new(&pinned.labels, &current.result.labels);
        ui.horizontal(|ui| {
            ui.label(format!("Pinned: {}", pinned.description));
            ui.separator();
            ui.strong(format!("Adjusted Rand index: {:.4}", table.ari));
        });
        if table.pinned_ids.len() > MAX_TABLE_CLUSTERS
            || table.current_ids.len() > MAX_TABLE_CLUSTERS
        {
            ui.weak(format!(
                "{} × {} clusters: too many to tabulate.",
                table.pinned_ids.len(),
                table.current_ids.len()
            ));
            return;
        }
        let name = |id: u32| {
            if id == NOISE {
                "Noise".to_string()
            } else {
                self.styles.name(id)
            }
        };
        ui.weak("Rows: pinned clusters; columns: current clusters; cells: points in both.");
        egui::ScrollArea::horizontal().show(ui, |ui| {
            TableBuilder::new(ui)
                .striped(true)
                .column(Column::auto().at_least(90.0))
                .columns(Column::auto().at_least(60.0), table.current_ids.len())
                .header(20.0, |mut header| {
                    header.col(|ui| {
                        ui.strong("pinned \\ now");
                    });
                    for &id in &table.current_ids {
                        header.col(|ui| {
                            ui.colored_label(self.styles.color(id), name(id));
                        });
                    }
                })
                .body(|body| {
                    body.rows(18.0, table.pinned_ids.len(), |mut row| {
                        let i = row.index();
                        let id = table.pinned_ids[i];
                        row.col(|ui| {
                            ui.label(name(id));
                        });
                        let total: usize = table.counts[i].iter().sum();
                        for &count in &table.counts[i] {
                            row.col(|ui| {
                                if count == 0 {
                                    ui.weak("·");
                                } else if count * 2 > total {
                                    ui.strong(count.to_string());
                                } else {
                                    ui.label(count.to_string());
                                }
                            });
                        }
                    });
                });
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contingency_counts_pairs_and_scores_agreement() {
        let pinned = [0, 0, 0, 1, 1, NOISE];
        let current = [2, 2, 1, 1, 1, 1];
        let table = Contingency::new(&pinned, &current);
        assert_eq!(table.pinned_ids, vec![0, 1, NOISE]);
        assert_eq!(table.current_ids, vec![1, 2]);
        assert_eq!(table.counts, vec![vec![1, 2], vec![2, 0], vec![1, 0]]);
        let same = Contingency::new(&pinned, &pinned);
        assert!((same.ari - 1.0).abs() < 1e-12);
        assert!(table.ari < 1.0);
    }
}
