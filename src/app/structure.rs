//! The bottom panel: what lies behind the current clustering, linked with the scatter
//! through the shared labels, palette and selection. A dendrogram with a draggable cut
//! (agglomerative, divisive), the k-distance curve (DBSCAN), the condensed tree (HDBSCAN)
//! and the reachability plot (OPTICS).

use std::sync::Arc;

use eframe::egui;
use egui_plot::{Bar, BarChart, HLine, Line, Plot, PlotPoint, PlotPoints, Polygon};

use super::{ClusterscopeApp, Selection, palette};
use crate::cluster::density::hdbscan::CondensedTree;
use crate::cluster::density::optics::{self, OpticsOrdering};
use crate::cluster::hierarchy::Dendrogram;
use crate::cluster::{NOISE, Structure};

/// Internal nodes drawn at most; smaller subtrees are drawn collapsed, so trees of a
/// million leaves stay fluid.
const MAX_VISIBLE_MERGES: usize = 800;
/// Bars of the reachability plot at most; beyond, each bar is the maximum of its span.
const MAX_BARS: usize = 3000;
/// Pixels within which the pointer grabs a cut line.
const GRAB_PIXELS: f32 = 6.0;

#[derive(Default)]
pub struct StructureView {
    /// Cut height chosen in the dendrogram (None: the one that gives the cluster count).
    cut: Option<f64>,
    dragging: bool,
    /// Screen y of the draggable line and the plot's rectangle, from the last frame.
    last_line: Option<(f32, egui::Rect)>,
    layout: Option<(usize, Arc<DendrogramLayout>)>,
}

impl StructureView {
    pub fn on_new_result(&mut self) {
        self.cut = None;
        self.dragging = false;
    }

    /// Starts a drag when the primary button goes down on last frame's line. (Read from raw
    /// input: the plot reports no drag once its own panning is switched off.)
    fn grab(&mut self, ui: &egui::Ui) {
        let (pressed, down, pointer) = ui.input(|i| {
            (
                i.pointer.primary_pressed(),
                i.pointer.primary_down(),
                i.pointer.latest_pos(),
            )
        });
        if pressed
            && let (Some(pointer), Some((line_y, rect))) = (pointer, self.last_line)
            && rect.contains(pointer)
            && (pointer.y - line_y).abs() <= GRAB_PIXELS
        {
            self.dragging = true;
        }
        if !down {
            self.dragging = false;
        }
    }

    /// Where the pointer is while dragging, in plot coordinates.
    fn dragged_to(
        &mut self,
        ui: &egui::Ui,
        response: &egui_plot::PlotResponse<()>,
        line: f64,
    ) -> Option<f64> {
        let line_y = response
            .transform
            .position_from_point(&PlotPoint::new(0.0, line))
            .y;
        self.last_line = Some((line_y, response.response.rect));
        if !self.dragging {
            return None;
        }
        let pointer = ui.input(|i| i.pointer.latest_pos())?;
        Some(response.transform.value_from_position(pointer).y)
    }
}

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

struct DendrogramLayout {
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

/// A one-line weak note that is cut short rather than widening the panel.
fn note(ui: &mut egui::Ui, text: String) {
    ui.add(egui::Label::new(egui::RichText::new(text).weak()).truncate());
}

impl ClusterscopeApp {
    pub(super) fn has_structure(&self) -> bool {
        self.clustering
            .as_ref()
            .is_some_and(|c| !matches!(c.result.structure, Structure::None))
    }

    pub(super) fn structure_ui(&mut self, ui: &mut egui::Ui) {
        let Some(structure) = self.clustering.as_ref().map(|c| c.result.structure.clone()) else {
            return;
        };
        match structure {
            Structure::None => {}
            Structure::Tree(tree) => self.dendrogram_ui(ui, &tree),
            Structure::Dbscan { k_distances, .. } => self.k_distance_ui(ui, &k_distances),
            Structure::Hdbscan {
                condensed,
                selected,
            } => self.condensed_tree_ui(ui, &condensed, &selected),
            Structure::Optics { ordering, .. } => self.reachability_ui(ui, &ordering),
        }
    }

    fn label_of_point(&self, point: u32) -> u32 {
        self.clustering
            .as_ref()
            .and_then(|c| c.result.labels.get(point as usize).copied())
            .unwrap_or(NOISE)
    }

    fn select(&mut self, mut rows: Vec<u32>, source: String) {
        rows.sort_unstable();
        self.selection = Some(Selection { rows, source });
    }

    fn dendrogram_ui(&mut self, ui: &mut egui::Ui, tree: &Arc<Dendrogram>) {
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
                palette::label_color(self.label_of_point(point))
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
                self.settings.tree.n_clusters = clusters.clamp(1, 64);
                if let Some(clustering) = &mut self.clustering {
                    clustering.relabel(labels);
                }
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

    fn k_distance_ui(&mut self, ui: &mut egui::Ui, k_distances: &Arc<Vec<f64>>) {
        let eps = self.settings.density.eps;
        let min_points = self.settings.density.min_points;
        ui.horizontal(|ui| {
            ui.strong("k-distance");
            note(ui, format!(
                "distance to the {min_points}-th neighbour (the point itself counted), sorted · eps = {eps:.4} · click to set eps"
            ));
        });
        // An even subsample keeps the curve cheap for millions of points.
        let step = k_distances.len().div_ceil(4000).max(1);
        let points: Vec<[f64; 2]> = k_distances
            .iter()
            .enumerate()
            .step_by(step)
            .map(|(i, &d)| [i as f64, d])
            .collect();
        let strong = ui.visuals().strong_text_color();
        let response = Plot::new("k-distance")
            .x_axis_label("points, by decreasing distance")
            .y_axis_label(format!("{min_points}-NN distance"))
            .show(ui, |plot_ui| {
                plot_ui.line(
                    Line::new("k-distance", PlotPoints::new(points))
                        .color(palette::cluster_color(0))
                        .width(1.5),
                );
                plot_ui.hline(
                    HLine::new("eps", eps)
                        .color(strong)
                        .style(egui_plot::LineStyle::dashed_loose()),
                );
            });
        if response.response.clicked()
            && let Some(pointer) = response.response.interact_pointer_pos()
        {
            let value = response.transform.value_from_position(pointer).y;
            if value > 0.0 && value.is_finite() {
                self.settings.density.eps = value;
                self.request_clustering();
            }
        }
    }

    fn reachability_ui(&mut self, ui: &mut egui::Ui, ordering: &Arc<OpticsOrdering>) {
        let n = ordering.ordering.len();
        let finite_max = ordering
            .reachability
            .iter()
            .copied()
            .filter(|r| r.is_finite())
            .fold(0.0f64, f64::max);
        let ceiling = if finite_max > 0.0 {
            finite_max * 1.05
        } else {
            1.0
        };
        let threshold = self.settings.density.reachability_threshold;
        ui.horizontal(|ui| {
            ui.strong("Reachability");
            note(ui, match threshold {
                Some(t) => format!("threshold {t:.4} · drag the line to re-extract, click a valley to select it"),
                None => format!("ξ = {} · drag the line to extract by threshold instead, click a valley to select it", self.settings.density.xi),
            });
        });
        let step = n.div_ceil(MAX_BARS).max(1);
        let bars: Vec<Bar> = (0..n)
            .step_by(step)
            .map(|start| {
                let span = &ordering.ordering[start..(start + step).min(n)];
                let (&tallest, reach) = span
                    .iter()
                    .map(|&p| (p, ordering.reachability[p as usize]))
                    .max_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|(p, r)| (span.iter().find(|&&q| q == p).expect("in span"), r))
                    .expect("spans are not empty");
                let height = if reach.is_finite() { reach } else { ceiling };
                let color = if reach.is_finite() {
                    palette::label_color(self.label_of_point(tallest))
                } else {
                    palette::LEFT_OUT
                };
                Bar::new(start as f64, height)
                    .width(step as f64)
                    .fill(color)
            })
            .collect();
        let line = threshold.unwrap_or(finite_max * 0.5);
        let strong = ui.visuals().strong_text_color();
        self.structure_view.grab(ui);
        let response = Plot::new("reachability")
            .allow_drag(!self.structure_view.dragging)
            .x_axis_label("OPTICS order")
            .y_axis_label("reachability")
            .show(ui, |plot_ui| {
                plot_ui.bar_chart(BarChart::new("reachability", bars));
                plot_ui.hline(
                    HLine::new("threshold", line)
                        .color(strong)
                        .style(egui_plot::LineStyle::dashed_loose()),
                );
            });
        let transform = response.transform;
        if let Some(value) = self.structure_view.dragged_to(ui, &response, line) {
            let value = value.max(1e-9);
            if threshold != Some(value) {
                self.settings.density.reachability_threshold = Some(value);
                let labels = optics::threshold_labels(ordering, value);
                if let Some(clustering) = &mut self.clustering {
                    clustering.relabel(labels);
                }
            }
        } else if response.response.clicked()
            && let Some(pointer) = response.response.interact_pointer_pos()
        {
            let position = transform.value_from_position(pointer).x.round();
            if position >= 0.0 && (position as usize) < n {
                let position = position as usize;
                let label = self.label_of_point(ordering.ordering[position]);
                if label != NOISE {
                    // The valley: the run of the ordering around the click with this label.
                    let same = |i: usize| self.label_of_point(ordering.ordering[i]) == label;
                    let mut start = position;
                    while start > 0 && same(start - 1) {
                        start -= 1;
                    }
                    let mut end = position;
                    while end + 1 < n && same(end + 1) {
                        end += 1;
                    }
                    let rows = ordering.ordering[start..=end].to_vec();
                    self.select(rows, format!("reachability valley {start}..{end}"));
                }
            }
        }
    }

    fn condensed_tree_ui(
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
        let label_of: std::collections::HashMap<u32, usize> =
            selected.iter().enumerate().map(|(i, &c)| (c, i)).collect();
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
                    let (fill, stroke) = match label_of.get(&id) {
                        Some(&label) => {
                            let c = palette::cluster_color(label);
                            (c.gamma_multiply(0.8), c)
                        }
                        None => (grey.gamma_multiply(0.25), grey),
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
