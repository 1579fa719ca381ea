//! Drawing the Graph pane: the controls, the edges as GPU lines (a mesh of thin quads, a
//! sample of them when there are many, where the window has no wgpu renderer; fainter the
//! more there are), the nodes through the GPU point renderer (circles where there is none),
//! the hover text and the lasso.

use std::sync::Arc;

use eframe::egui::{self, Color32, Mesh, Pos2, Stroke};
use egui_plot::{Plot, PlotPoint, Points};

use super::link::LassoOutcome;
use super::{GraphAlgorithm, GraphView};
use crate::app::{ClusterscopeApp, Command};
use crate::cluster::community::Objective;
use crate::palette;
use crate::render::{
    EdgeLinesCallback, EdgeRequest, PointCloud, PointCloudCallback, PointStyle, ViewRequest,
};

/// Edges drawn at most; past it an even sample of them.
const MAX_DRAWN_EDGES: usize = 150_000;
/// Hover reach in pixels.
const HOVER_PIXELS: f32 = 6.0;

/// The node buffers uploaded for the point renderer, kept while positions and labels are
/// the same.
#[derive(Default)]
pub struct NodeCache {
    key: Option<(usize, usize)>,
    cloud: Option<Arc<PointCloud>>,
    colours: Arc<Vec<[f32; 4]>>,
}

fn rgba(color: Color32) -> [f32; 4] {
    let [r, g, b, a] = color.to_array();
    [
        r as f32 / 255.0,
        g as f32 / 255.0,
        b as f32 / 255.0,
        a as f32 / 255.0,
    ]
}

impl ClusterscopeApp {
    /// The Graph pane.
    pub fn graph_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(pending) = &self.pending_graph {
            ui.label(format!("Reading {}…", pending.path.display()));
            ui.spinner();
            return;
        }
        let ctx = ui.ctx().clone();
        let render_device = self.render_device.clone();
        let Some(view) = self.graph_view.as_mut() else {
            ui.label("No graph open. Open an edge list (.edges, .el) or GraphML with File > Open; a table with source and target columns opens with File > Open as a graph.");
            return;
        };
        view.poll();
        let mut asked = Vec::new();
        controls_ui(ui, view, &ctx, &mut asked);
        for command in asked {
            self.command(command);
        }
        self.mirror_selection_into_graph();
        let hovered_elsewhere = self.hovered_node_elsewhere();
        let Some(view) = self.graph_view.as_mut() else {
            return;
        };
        if let Some(outcome) = plot_ui(ui, view, render_device.as_ref(), hovered_elsewhere) {
            self.publish_graph_lasso(outcome);
        }
    }
}

fn controls_ui(
    ui: &mut egui::Ui,
    view: &mut GraphView,
    ctx: &egui::Context,
    asked: &mut Vec<Command>,
) {
    let before = view.settings;
    ui.horizontal_wrapped(|ui| {
        egui::ComboBox::from_id_salt("graph_algorithm")
            .selected_text(view.settings.algorithm.name())
            .show_ui(ui, |ui| {
                for algorithm in GraphAlgorithm::ALL {
                    ui.selectable_value(&mut view.settings.algorithm, algorithm, algorithm.name());
                }
            });
        if view.settings.algorithm != GraphAlgorithm::LabelPropagation {
            egui::ComboBox::from_id_salt("graph_objective")
                .selected_text(match view.settings.objective {
                    Objective::Modularity => "modularity",
                    Objective::Cpm => "CPM",
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(
                        &mut view.settings.objective,
                        Objective::Modularity,
                        "modularity",
                    );
                    ui.selectable_value(&mut view.settings.objective, Objective::Cpm, "CPM");
                });
            ui.label("Resolution");
            ui.add(
                egui::DragValue::new(&mut view.settings.resolution)
                    .range(0.001..=100.0)
                    .speed(0.01)
                    .max_decimals(3),
            );
        }
        ui.label("Seed");
        ui.add(egui::DragValue::new(&mut view.settings.seed));
        if view.searching() {
            ui.spinner();
        }
    });
    if view.settings != before {
        view.search(ctx);
    }
    ui.horizontal_wrapped(|ui| {
        let graph = &view.graph;
        let mut line = format!("{} nodes · {} edges", graph.n_nodes(), graph.n_edges());
        if let Some(found) = &view.communities {
            line += &format!(
                " · {} communities · modularity {:.4} · {}",
                found.n_communities,
                found.modularity,
                milliseconds(found.elapsed_ms)
            );
        }
        ui.label(line);
        if let Some(error) = &view.search_error {
            ui.colored_label(Color32::from_rgb(200, 60, 60), error);
        }
    });
    ui.horizontal_wrapped(|ui| {
        let label = if view.layout_running {
            "⏸ Pause layout"
        } else {
            "▶ Run layout"
        };
        if ui.button(label).clicked() {
            let running = !view.layout_running;
            view.set_layout_running(running);
        }
        if ui
            .button("Reheat")
            .on_hover_text("shake the layout loose again")
            .clicked()
        {
            view.reheat();
        }
        if ui
            .button("Export")
            .on_hover_text("write <name>.communities.csv and <name>.layout.csv beside the graph")
            .clicked()
        {
            view.export();
        }
        ui.toggle_value(&mut view.lasso_tool, "Lasso select")
            .on_hover_text("drag to select nodes (Shift-drag does it with the tool off)");
        if ui
            .button("Nodes as a table")
            .on_hover_text(
                "open the nodes (degree, community, attributes) as the window's table: \
                 the scatter plots them and a lasso here selects there",
            )
            .clicked()
        {
            asked.push(Command::ShowNodesAsTable);
        }
        if ui
            .button("Join node table…")
            .on_hover_text(
                "read a table of node attributes (an id column named node or id, or the \
                 first column) and join it to the graph by id",
            )
            .clicked()
        {
            asked.push(Command::PickNodeTable);
        }
        if let Some(update) = &view.last_layout {
            ui.label(format!(
                "layout: {} steps{} · {:.1} ms/step · {}",
                update.steps,
                if update.settled { " (settled)" } else { "" },
                update.step_ms,
                update.backend
            ));
        }
        let selected = view.n_selected();
        if selected > 0 {
            ui.label(format!("{selected} selected"));
        }
        if let Some(notice) = &view.notice {
            ui.label(notice);
        }
    });
}

fn plot_ui(
    ui: &mut egui::Ui,
    view: &mut GraphView,
    render_device: Option<&crate::render::RenderDevice>,
    hovered_elsewhere: Option<u32>,
) -> Option<LassoOutcome> {
    let Some(update) = view.last_layout.clone() else {
        ui.spinner();
        return None;
    };
    let positions = &update.positions;
    let mut bounds = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for p in positions.iter() {
        bounds[0] = bounds[0].min(p[0] as f64);
        bounds[1] = bounds[1].min(p[1] as f64);
        bounds[2] = bounds[2].max(p[0] as f64);
        bounds[3] = bounds[3].max(p[1] as f64);
    }
    let lasso_held = view.lasso_tool || ui.input(|i| i.modifiers.shift);
    let response = Plot::new("graph_view")
        .data_aspect(1.0)
        .show_axes([false, false])
        .show_grid(false)
        .allow_drag(!lasso_held)
        .allow_boxed_zoom(false)
        .show_x(false)
        .show_y(false)
        .show(ui, |plot_ui| {
            plot_ui.points(
                Points::new(
                    "bounds",
                    vec![[bounds[0], bounds[1]], [bounds[2], bounds[3]]],
                )
                .color(Color32::TRANSPARENT)
                .radius(0.0),
            );
            plot_ui.pointer_coordinate()
        });
    let transform = response.transform;
    let frame = *transform.frame();
    let painter = ui.painter_at(frame);
    let to_screen =
        |p: [f32; 2]| transform.position_from_point(&PlotPoint::new(p[0] as f64, p[1] as f64));

    // Edges: lines on the GPU where the window draws with wgpu, else one mesh of thin
    // quads (a sample of them past MAX_DRAWN_EDGES). Fainter the more there are.
    let graph = &view.graph;
    let total_edges = view.edge_ends.len() / 2;
    match render_device {
        Some(_) => {
            let alpha = edge_alpha(total_edges);
            let plot_bounds = transform.bounds();
            let request = EdgeRequest {
                view_id: 3,
                positions: Arc::clone(positions),
                ends: Arc::clone(&view.edge_ends),
                colour: [0.47, 0.47, 0.51, alpha],
                bounds: [
                    plot_bounds.min()[0],
                    plot_bounds.min()[1],
                    plot_bounds.max()[0],
                    plot_bounds.max()[1],
                ],
            };
            painter.add(EdgeLinesCallback { request }.shape(frame));
        }
        None => {
            let stride = total_edges.div_ceil(MAX_DRAWN_EDGES).max(1);
            let alpha = edge_alpha(total_edges / stride);
            let edge_colour = Color32::from_rgba_unmultiplied(120, 120, 130, (alpha * 255.0) as u8);
            let mut mesh = Mesh::default();
            for (i, pair) in view.edge_ends.chunks_exact(2).enumerate() {
                if i % stride != 0 {
                    continue;
                }
                let a = to_screen(positions[pair[0] as usize]);
                let b = to_screen(positions[pair[1] as usize]);
                let along = b - a;
                let length = along.length();
                if length < 0.5 || !length.is_finite() {
                    continue;
                }
                let side = egui::vec2(-along.y, along.x) / length * 0.5;
                let base = mesh.vertices.len() as u32;
                for corner in [a + side, a - side, b - side, b + side] {
                    mesh.colored_vertex(corner, edge_colour);
                }
                mesh.add_triangle(base, base + 1, base + 2);
                mesh.add_triangle(base, base + 2, base + 3);
            }
            painter.add(egui::Shape::mesh(mesh));
        }
    }

    // Nodes, coloured by community.
    let labels = view.labels().map(|l| l.to_vec());
    let colour_of = |u: usize| match &labels {
        Some(labels) => palette::cluster_color(labels[u] as usize),
        None => palette::LEFT_OUT,
    };
    let ppp = ui.ctx().pixels_per_point();
    let n = graph.n_nodes();
    let radius = if n > 20_000 {
        1.5
    } else if n > 2_000 {
        2.5
    } else {
        4.0
    };
    match render_device {
        Some(device) if n > 2_000 => {
            let labels_key = view
                .communities
                .as_ref()
                .map_or(0, |c| Arc::as_ptr(c) as usize);
            let key = (Arc::as_ptr(positions) as usize, labels_key);
            let cache = &mut view.nodes_drawn;
            if cache.key != Some(key) {
                cache.key = Some(key);
                let uploaded = device.upload_positions(positions);
                let label_rows = labels.as_ref().map(|l| device.upload_labels(l));
                cache.cloud = PointCloud::new(&uploaded, label_rows.as_ref()).ok();
                let k = view.communities.as_ref().map_or(0, |c| c.n_communities);
                cache.colours = Arc::new((0..k).map(|c| rgba(palette::cluster_color(c))).collect());
            }
            if let Some(cloud) = cache.cloud.clone() {
                let plot_bounds = transform.bounds();
                let request = ViewRequest {
                    view_id: 2,
                    cloud,
                    style: PointStyle {
                        point_size_px: radius * 2.0 * ppp,
                        opacity: 1.0,
                        density: false,
                        gain: 1.0,
                        colors: Arc::clone(&cache.colours),
                        noise_color: rgba(palette::NOISE),
                        unlabeled_color: rgba(palette::LEFT_OUT),
                        selection: None,
                        rasterization: Default::default(),
                    },
                    bounds: [
                        plot_bounds.min()[0],
                        plot_bounds.min()[1],
                        plot_bounds.max()[0],
                        plot_bounds.max()[1],
                    ],
                    viewport_px: [
                        (frame.width() * ppp).round().max(1.0) as u32,
                        (frame.height() * ppp).round().max(1.0) as u32,
                    ],
                    viewport_origin_px: [(frame.min.x * ppp).round(), (frame.min.y * ppp).round()],
                };
                painter.add(PointCloudCallback { request }.shape(frame));
            }
        }
        _ => {
            for (u, &p) in positions.iter().enumerate() {
                painter.circle_filled(to_screen(p), radius, colour_of(u));
            }
        }
    }
    // The selection, ringed.
    for (u, &p) in positions.iter().enumerate() {
        if view.selected[u] {
            painter.circle_stroke(to_screen(p), radius + 2.0, Stroke::new(1.5, Color32::WHITE));
        }
    }

    // Hover: the nearest node within a few pixels.
    view.hovered = None;
    if let Some(pointer) = response.response.hover_pos() {
        let mut best = (HOVER_PIXELS * HOVER_PIXELS, None);
        for (u, &p) in positions.iter().enumerate() {
            let d = (to_screen(p) - pointer).length_sq();
            if d < best.0 {
                best = (d, Some(u as u32));
            }
        }
        view.hovered = best.1;
    }
    if view.hovered.is_none()
        && let Some(&p) = hovered_elsewhere.and_then(|node| positions.get(node as usize))
    {
        painter.circle_stroke(
            to_screen(p),
            radius + 3.0,
            Stroke::new(2.0, Color32::YELLOW),
        );
    }
    if let Some(node) = view.hovered {
        let at = to_screen(positions[node as usize]);
        painter.circle_stroke(at, radius + 3.0, Stroke::new(2.0, Color32::YELLOW));
        let text = view.describe(node);
        response.response.clone().on_hover_text_at_pointer(text);
    }

    // Lasso: a drag with the tool on (or Shift held) draws it; release selects the nodes
    // inside; a click clears.
    let pointer = response.inner;
    let plot_response = &response.response;
    if lasso_held
        && plot_response.dragged()
        && let Some(at) = pointer
    {
        view.lasso.push([at.x, at.y]);
    }
    if view.lasso.len() > 1 {
        let outline: Vec<Pos2> = view
            .lasso
            .iter()
            .map(|p| transform.position_from_point(&PlotPoint::new(p[0], p[1])))
            .collect();
        painter.add(egui::Shape::closed_line(
            outline,
            Stroke::new(1.5, Color32::WHITE),
        ));
    }
    if plot_response.drag_stopped() && !view.lasso.is_empty() {
        let polygon = std::mem::take(&mut view.lasso);
        if polygon.len() > 2 {
            let mut nodes = Vec::new();
            for (u, p) in positions.iter().enumerate() {
                view.selected[u] = inside(&polygon, [p[0] as f64, p[1] as f64]);
                if view.selected[u] {
                    nodes.push(u as u32);
                }
            }
            return Some(LassoOutcome::Selected(nodes));
        }
    } else if plot_response.clicked() {
        view.selected.iter_mut().for_each(|s| *s = false);
        return Some(LassoOutcome::Cleared);
    }
    None
}

/// A duration for the status line: a decimal below 10 ms, so a fast search is not "0 ms".
fn milliseconds(ms: f64) -> String {
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// Edge opacity: 0.43 up to about 10,800 edges, then fading as 1/sqrt(edges) down to
/// 0.055 from 660,000 (a dense graph reads as a haze and its nodes stay on top).
fn edge_alpha(edges: usize) -> f32 {
    (2_000.0 / edges.max(1) as f32).sqrt().clamp(0.055, 0.43)
}

/// Even-odd rule.
fn inside(polygon: &[[f64; 2]], p: [f64; 2]) -> bool {
    let mut inside = false;
    let mut j = polygon.len() - 1;
    for i in 0..polygon.len() {
        let (a, b) = (polygon[i], polygon[j]);
        if (a[1] > p[1]) != (b[1] > p[1])
            && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0]
        {
            inside = !inside;
        }
        j = i;
    }
    inside
}

impl GraphView {
    /// Selects the nodes of `community` (tests; the legend).
    pub fn select_community(&mut self, community: u32) {
        if let Some(labels) = self.communities.as_ref().map(|c| c.labels.clone()) {
            for (u, &l) in labels.iter().enumerate() {
                self.selected[u] = l == community;
            }
        }
    }
}
