//! The dendrogram: top merges drawn, small subtrees collapsed, a draggable cut, click a
//! branch to select its points.

use std::sync::Arc;

use eframe::egui;
use egui_plot::{HLine, Line, Plot, PlotPoint, PlotPoints};

use super::{GRAB_PIXELS, note};
use crate::app::{ClusterscopeApp, Command};
use crate::cluster::StructureKind;
use crate::cluster::hierarchy::Dendrogram;

/// Internal nodes drawn at most; smaller subtrees are drawn collapsed, so trees of a
/// million leaves stay fluid.
const MAX_VISIBLE_MERGES: usize = 800;

/// One drawn merge: a ⊓ from its two children up to its height.
struct Branch {
    node: usize,
    left: [f64; 2],
    right: [f64; 2],
    height: f64,
    representative: u32,
}

/// A subtree drawn as one stalk.
struct Stub {
    node: usize,
    x: f64,
    height: f64,
    size: u32,
    representative: u32,
}

pub(super) struct DendrogramLayout {
    branches: Vec<Branch>,
    stubs: Vec<Stub>,
}

fn layout(tree: &Dendrogram) -> DendrogramLayout {
    let n = tree.n_leaves;
    let total = n + tree.merges.len();
    let first_visible = total - tree.merges.len().min(MAX_VISIBLE_MERGES);
    // First point of each leaf, to colour subtrees by the label of one of their points.
    let leaf_point: Vec<u32> = match &tree.point_leaf {
        None => (0..n as u32).collect(),
        Some(point_leaf) => {
            let mut first = vec![0u32; n];
            for (point, &leaf) in point_leaf.iter().enumerate().rev() {
                first[leaf as usize] = point as u32;
            }
            first
        }
    };
    let leftmost_point = |mut node: usize| {
        while node >= n {
            node = tree.children(node).0;
        }
        leaf_point[node]
    };
    let mut branches = Vec::new();
    let mut stubs = Vec::new();
    let mut position: Vec<Option<[f64; 2]>> = vec![None; total];
    let mut next_x = 0.0;
    for root in tree.roots() {
        let mut stack = vec![(root, false)];
        while let Some((node, expanded)) = stack.pop() {
            if node < first_visible || node < n {
                let x = next_x;
                next_x += 1.0;
                let height = tree.height_of(node);
                position[node] = Some([x, height]);
                stubs.push(Stub {
                    node,
                    x,
                    height,
                    size: tree.size_of(node),
                    representative: leftmost_point(node),
                });
                continue;
            }
            let (a, b) = tree.children(node);
            if !expanded {
                stack.push((node, true));
                stack.push((b, false));
                stack.push((a, false));
                continue;
            }
            let (Some(left), Some(right)) = (position[a], position[b]) else {
                continue;
            };
            let height = tree.height_of(node);
            position[node] = Some([(left[0] + right[0]) / 2.0, height]);
            branches.push(Branch {
                node,
                left,
                right,
                height,
                representative: leftmost_point(node),
            });
        }
    }
    DendrogramLayout { branches, stubs }
}

impl ClusterscopeApp {
    pub(super) fn dendrogram_ui(&mut self, ui: &mut egui::Ui, tree: &Arc<Dendrogram>) {
        let key = Arc::as_ptr(tree) as usize;
        let layout = match &self.structure_view.layout {
            Some((cached, layout)) if *cached == key => Arc::clone(layout),
            _ => {
                let layout = Arc::new(layout(tree));
                self.structure_view.layout = Some((key, Arc::clone(&layout)));
                layout
            }
        };
        let n_clusters = self.clustering.as_ref().map_or(1, |c| c.result.n_clusters);
        let cut = self
            .structure_view
            .cut
            .unwrap_or_else(|| tree.height_for_k(n_clusters));
        ui.horizontal(|ui| {
            ui.strong("Dendrogram");
            note(
                ui,
                format!(
                "{} leaves{} · cut at {cut:.4} gives {n_clusters} clusters · drag the dashed line to re-cut, click a branch to select it",
                tree.n_leaves,
                if tree.merges.len() > MAX_VISIBLE_MERGES {
                    format!(", top {MAX_VISIBLE_MERGES} merges drawn")
                } else {
                    String::new()
                }
            ));
        });
        let grey = ui.visuals().weak_text_color();
        self.structure_view.grab(ui);
        let color_of = |height: f64, point: u32| {
            if height <= cut {
                self.styles.color(self.label_of_point(point))
            } else {
                grey
            }
        };
        let strong = ui.visuals().strong_text_color();
        let response = Plot::new("dendrogram")
            .allow_drag(!self.structure_view.dragging)
            .y_axis_label("height")
            .show_x(false)
            .show(ui, |plot_ui| {
                for stub in &layout.stubs {
                    let color = color_of(stub.height, stub.representative);
                    plot_ui.line(
                        Line::new(
                            format!("node {}", stub.node),
                            PlotPoints::new(vec![[stub.x, 0.0], [stub.x, stub.height]]),
                        )
                        .color(color)
                        .allow_band(false)
                        .width(if stub.size > 1 { 3.0 } else { 1.0 }),
                    );
                }
                for branch in &layout.branches {
                    let color = color_of(branch.height, branch.representative);
                    plot_ui.line(
                        Line::new(
                            format!("node {}", branch.node),
                            PlotPoints::new(vec![
                                branch.left,
                                [branch.left[0], branch.height],
                                [branch.right[0], branch.height],
                                branch.right,
                            ]),
                        )
                        .color(color)
                        .allow_band(false),
                    );
                }
                plot_ui.hline(
                    HLine::new("cut", cut)
                        .color(strong)
                        .style(egui_plot::LineStyle::dashed_loose())
                        .width(1.5),
                );
            });
        let transform = response.transform;
        if let Some(height) = self.structure_view.dragged_to(ui, &response, cut) {
            let height = height.max(0.0);
            if self.structure_view.cut != Some(height) {
                self.structure_view.cut = Some(height);
                let labels = tree.labels_at_height(height);
                let clusters = tree.clusters_at_height(height);
                self.steer(StructureKind::Tree, clusters as f64);
                self.command(Command::Recut(labels));
            }
        } else if response.response.clicked()
            && let Some(pointer) = response.response.interact_pointer_pos()
        {
            // The branch whose bar (or stalk) is nearest the click, in pixels.
            let mut best: Option<(usize, f32)> = None;
            let mut consider = |node: usize, a: [f64; 2], b: [f64; 2]| {
                let pa = transform.position_from_point(&PlotPoint::new(a[0], a[1]));
                let pb = transform.position_from_point(&PlotPoint::new(b[0], b[1]));
                let distance = egui::Rect::from_two_pos(pa, pb).distance_to_pos(pointer);
                if best.is_none_or(|(_, d)| distance < d) {
                    best = Some((node, distance));
                }
            };
            for branch in &layout.branches {
                consider(
                    branch.node,
                    [branch.left[0], branch.height],
                    [branch.right[0], branch.height],
                );
            }
            for stub in &layout.stubs {
                consider(stub.node, [stub.x, 0.0], [stub.x, stub.height]);
            }
            if let Some((node, distance)) = best
                && distance <= 2.0 * GRAB_PIXELS
            {
                let rows = tree.points_under(node);
                self.select(
                    rows,
                    format!("dendrogram branch at height {:.4}", tree.height_of(node)),
                );
            }
        }
    }
}
