//! HDBSCAN's condensed tree as an icicle plot: width = points, λ upward, the selected
//! clusters in their palette colours; click a cluster to select its points.

use std::sync::Arc;

use eframe::egui;
use egui_plot::{Plot, PlotPoints, Polygon};

use super::note;
use crate::app::ClusterscopeApp;
use crate::cluster::density::hdbscan::CondensedTree;

impl ClusterscopeApp {
    pub(super) fn condensed_tree_ui(
        &mut self,
        ui: &mut egui::Ui,
        condensed: &Arc<CondensedTree>,
        selected: &[u32],
    ) {
        ui.horizontal(|ui| {
            ui.strong("Condensed tree");
            note(ui, format!(
                "{} clusters in the tree, {} selected (coloured) · λ = 1/distance grows upward · width = points · click a cluster to select it",
                condensed.n_clusters.saturating_sub(1),
                selected.len()
            ));
        });
        let n = condensed.n_points;
        let births = condensed.births();
        let deaths = condensed.deaths();
        let sizes = condensed.sizes();
        let children = condensed.cluster_children();
        let finite_max = deaths
            .iter()
            .chain(&births)
            .copied()
            .filter(|l| l.is_finite())
            .fold(0.0f64, f64::max);
        let cap = |l: f64| if l.is_finite() { l } else { finite_max * 1.1 };
        // Each cluster gets an x-range as wide as its size at birth, children side by side.
        let mut ranges = vec![(0.0f64, 0.0f64); condensed.n_clusters];
        ranges[0] = (0.0, n as f64);
        for cluster in 0..condensed.n_clusters {
            let (start, end) = ranges[cluster];
            let width = end - start;
            let kids = &children[cluster];
            let total: f64 = kids.iter().map(|&c| sizes[c as usize - n] as f64).sum();
            let mut x = start + (width - total).max(0.0) / 2.0;
            for &child in kids {
                let w = sizes[child as usize - n] as f64;
                ranges[child as usize - n] = (x, x + w);
                x += w;
            }
        }
        // Colour each selected cluster by the label its points carry in the scatter (labels
        // are renumbered to keep colours stable, so not by its position in `selected`).
        let parents = condensed.cluster_parents();
        let mut is_selected = vec![false; condensed.n_clusters];
        for &cluster in selected {
            is_selected[cluster as usize - n] = true;
        }
        let mut owner = vec![usize::MAX; condensed.n_clusters];
        for cluster in 0..condensed.n_clusters {
            owner[cluster] = if is_selected[cluster] {
                cluster
            } else if cluster == 0 {
                usize::MAX
            } else {
                owner[parents[cluster] as usize - n]
            };
        }
        let mut cluster_label: Vec<Option<u32>> = vec![None; condensed.n_clusters];
        for row in condensed.rows.iter().filter(|r| (r.child as usize) < n) {
            let cluster = owner[row.parent as usize - n];
            if cluster != usize::MAX && cluster_label[cluster].is_none() {
                cluster_label[cluster] = Some(self.label_of_point(row.child));
            }
        }
        let grey = ui.visuals().weak_text_color();
        let response = Plot::new("condensed-tree")
            .x_axis_label("points")
            .y_axis_label("λ")
            .show(ui, |plot_ui| {
                for cluster in 0..condensed.n_clusters {
                    let (start, end) = ranges[cluster];
                    let (low, high) = (
                        cap(births[cluster]),
                        cap(deaths[cluster]).max(cap(births[cluster])),
                    );
                    let id = (cluster + n) as u32;
                    let (fill, stroke) = match cluster_label[cluster] {
                        Some(label) if is_selected[cluster] => {
                            let c = self.styles.color(label);
                            (c.gamma_multiply(0.8), c)
                        }
                        _ => (grey.gamma_multiply(0.25), grey),
                    };
                    plot_ui.polygon(
                        Polygon::new(
                            format!("cluster {id}"),
                            PlotPoints::new(vec![
                                [start, low],
                                [end, low],
                                [end, high],
                                [start, high],
                            ]),
                        )
                        .fill_color(fill)
                        .stroke(egui::Stroke::new(1.0, stroke)),
                    );
                }
            });
        if response.response.clicked()
            && let Some(pointer) = response.response.interact_pointer_pos()
        {
            let value = response.transform.value_from_position(pointer);
            // The deepest cluster whose box holds the click.
            let hit = (0..condensed.n_clusters).rev().find(|&c| {
                let (start, end) = ranges[c];
                let (low, high) = (cap(births[c]), cap(deaths[c]).max(cap(births[c])));
                value.x >= start && value.x <= end && value.y >= low && value.y <= high
            });
            if let Some(cluster) = hit {
                let mut inside = vec![false; condensed.n_clusters];
                inside[cluster] = true;
                let parents = condensed.cluster_parents();
                for c in cluster + 1..condensed.n_clusters {
                    inside[c] = inside[parents[c] as usize - n];
                }
                let rows: Vec<u32> = condensed
                    .rows
                    .iter()
                    .filter(|r| (r.child as usize) < n && inside[r.parent as usize - n])
                    .map(|r| r.child)
                    .collect();
                self.select(rows, format!("condensed-tree cluster {}", cluster + n));
            }
        }
    }
}
