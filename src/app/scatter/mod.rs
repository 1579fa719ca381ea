//! The central view: a scatter of two columns or of two principal components, coloured by
//! cluster. Small data is drawn by egui_plot; above [`AUTO_GPU_POINTS`] the GPU point
//! renderer draws inside the same plot (egui_plot keeps the axes, grid, pan and zoom).
//! Hover, click-to-pin, box and lasso selection work the same on both.

mod ellipses;
mod gpu_points;
mod grid_overlay;
mod plot_points;
mod select;

use std::sync::Arc;

use eframe::egui;
use egui_plot::{Line, Plot, PlotPoint, PlotPoints, Points};
use serde::{Deserialize, Serialize};

use super::maps::MapMethod;
use super::{ClusterscopeApp, Command, ScatterAxes, Selection, palette};
use crate::cluster::NOISE;
use crate::render::{PointCloudCallback, ViewRequest};

/// Above this many points `Auto` draws with the GPU renderer.
pub const AUTO_GPU_POINTS: usize = 20_000;
/// Pixels within which hover finds a point.
const HOVER_PIXELS: f64 = 8.0;
/// Selected points ringed in egui_plot mode at most (the GPU mode fades the rest instead).
const MAX_RINGED: usize = 20_000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RendererChoice {
    /// egui_plot for small data, the GPU renderer above the threshold.
    #[default]
    Auto,
    /// Always egui_plot (subsampled above 200,000 points).
    Plot,
    /// Always the GPU renderer (when the window has one).
    Gpu,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ScatterTool {
    /// Drag pans, scroll zooms, click pins a row.
    #[default]
    Pan,
    Box,
    Lasso,
}

/// The addresses of the mixture model and of the view's coordinates an outline set was
/// made for.
type OutlineKey = (usize, usize);

#[derive(Default)]
pub struct ScatterState {
    pub tool: ScatterTool,
    plot: plot_points::PlotSeries,
    gpu: gpu_points::GpuPoints,
    /// The box/lasso being dragged, in data coordinates.
    drag_path: Vec<[f64; 2]>,
    /// Which renderer drew the last frame (tests read it).
    pub last_drawn_with_gpu: bool,
    /// A mixture's ellipses for the current view, kept while the model and the view's
    /// coordinates stay the same: (model, coordinates) addresses and the outlines.
    ellipses: Option<(OutlineKey, Arc<Vec<ellipses::Outline>>)>,
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
        // The plot takes the panel's width whatever the toolbars ask for.
        let panel_width = ui.available_width();
        ui.spacing_mut().slider_width = 80.0;
        let numeric: Vec<String> = table
            .info
            .columns
            .iter()
            .filter(|c| c.numeric)
            .map(|c| c.name.clone())
            .collect();
        self.axes_ui(ui, &numeric);
        self.view_controls_ui(ui);
        let Some(prepared) = self.prepared.clone() else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Preparing features…");
            });
            return;
        };
        let column_colours = self.column_colours();
        let Some(projection) = self
            .projection
            .as_ref()
            .filter(|p| Arc::ptr_eq(&p.points, &prepared.points))
        else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Projecting…");
            });
            return;
        };
        let coordinates = Arc::clone(&projection.coordinates);
        let index = Arc::clone(&projection.index);
        let axis_labels = projection.axis_labels.clone();
        let bounds = projection.bounds;
        let n_points = coordinates.len();
        let clustering = self
            .clustering
            .as_ref()
            .filter(|c| Arc::ptr_eq(&c.points, &prepared.points));
        let use_gpu = self.uses_gpu_renderer(n_points);
        // The GPU draws a column colouring once its codes are on the device.
        let gpu_codes = column_colours
            .as_ref()
            .and(self.colour_by_state.gpu_codes.as_ref())
            .map(|(key, chunks)| (*key, chunks));
        let gpu_column = gpu_codes.and(column_colours.as_ref());
        let cloud = if use_gpu {
            self.scatter.gpu.cloud(projection, clustering, gpu_codes)
        } else {
            None
        };
        let use_gpu = cloud.is_some();
        self.scatter.last_drawn_with_gpu = use_gpu;
        if !use_gpu {
            self.scatter.plot.refresh(
                &coordinates,
                clustering,
                &self.styles,
                column_colours.as_ref(),
            );
            if self.scatter.plot.drawn < n_points {
                let why = if self.render_device.is_none() {
                    "no GPU renderer on this machine"
                } else {
                    "egui_plot renderer chosen"
                };
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "Showing {} of {} points ({why}): an even subsample.",
                        self.scatter.plot.drawn, n_points
                    ),
                );
            }
        }
        if let Some(error) = &self.scatter.gpu.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        let tool = self.scatter.tool;
        let radius = if n_points > 20_000 { 1.0 } else { 2.0 };
        let highlight = ui.visuals().strong_text_color();
        let selection = self.selection.clone();
        let outlines = mixture_outlines(&mut self.scatter, projection, &prepared, clustering);
        let styles_for_plot = self.styles.clone();
        let plot_series = &self.scatter.plot;
        let drag_path = self.scatter.drag_path.clone();
        let response = Plot::new("scatter")
            .width(panel_width)
            .x_axis_label(axis_labels.0)
            .y_axis_label(axis_labels.1)
            .allow_drag(tool == ScatterTool::Pan)
            .allow_boxed_zoom(tool == ScatterTool::Pan)
            .show(ui, |plot_ui| {
                if use_gpu {
                    // Invisible corners: egui_plot's automatic bounds and double-click reset
                    // then frame the GPU-drawn data.
                    plot_ui.points(
                        Points::new(
                            "bounds",
                            vec![[bounds[0], bounds[1]], [bounds[2], bounds[3]]],
                        )
                        .color(egui::Color32::TRANSPARENT)
                        .radius(0.0),
                    );
                } else {
                    for series in &plot_series.series {
                        plot_ui.points(
                            Points::new(series.name.clone(), series.points.clone())
                                .color(series.color)
                                .radius(radius * series.radius_factor)
                                .filled(true),
                        );
                    }
                    if let Some(selection) = &selection {
                        let ringed: Vec<[f64; 2]> = selection
                            .rows
                            .iter()
                            .take(MAX_RINGED)
                            .filter_map(|&row| coordinates.get(row as usize))
                            .map(|p| [p[0] as f64, p[1] as f64])
                            .collect();
                        plot_ui.points(
                            Points::new(format!("Selected ({})", selection.rows.len()), ringed)
                                .color(highlight)
                                .radius(radius + 2.0)
                                .filled(false),
                        );
                    }
                }
                for outline in outlines.iter() {
                    if !styles_for_plot.visible(outline.cluster) {
                        continue;
                    }
                    // A halo in the text colour under the cluster's colour: the outline
                    // stays visible over its own points.
                    let width = if outline.sigma == 1.0 { 2.0 } else { 1.2 };
                    for (colour, w) in [
                        (highlight.gamma_multiply(0.6), width + 2.0),
                        (styles_for_plot.color(outline.cluster), width),
                    ] {
                        plot_ui.line(
                            Line::new(
                                format!("{}σ", outline.sigma),
                                PlotPoints::from(outline.points.clone()),
                            )
                            .color(colour)
                            .width(w),
                        );
                    }
                }
                if drag_path.len() > 1 {
                    let mut outline = match tool {
                        ScatterTool::Box => {
                            let (a, b) = (drag_path[0], drag_path[drag_path.len() - 1]);
                            vec![a, [b[0], a[1]], b, [a[0], b[1]]]
                        }
                        _ => drag_path.clone(),
                    };
                    outline.push(outline[0]);
                    plot_ui.line(
                        Line::new("selection", PlotPoints::from(outline))
                            .color(highlight)
                            .width(1.5),
                    );
                }
                keyboard_navigation(plot_ui);
            });
        let transform = response.transform;
        let frame = *transform.frame();
        let overlay = self.grid_overlay(bounds);
        if !overlay.is_empty() {
            grid_overlay::paint(&ui.painter_at(frame), &transform, &overlay, highlight);
        }
        if let Some(cloud) = cloud {
            let ppp = ui.ctx().pixels_per_point();
            let plot_bounds = transform.bounds();
            let style = self.scatter.gpu.style(
                clustering,
                &self.styles,
                gpu_column,
                selection.as_ref(),
                n_points,
                &self.settings.view,
                ppp,
            );
            let request = ViewRequest {
                view_id: 1,
                cloud,
                style,
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
            ui.painter_at(frame)
                .add(PointCloudCallback { request }.shape(frame));
        }
        // Hover: the nearest visible point within a few pixels (grid index, any size).
        let styles = &self.styles;
        let label_of =
            |row: u32| clustering.and_then(|c| c.result.labels.get(row as usize).copied());
        let visible = |row: u32| label_of(row).is_none_or(|l| styles.visible(l));
        self.hovered = None;
        if let Some(pointer) = response.response.hover_pos() {
            let at = transform.value_from_position(pointer);
            let [dx, dy] = transform.dpos_dvalue();
            let radius = [
                HOVER_PIXELS / dx.abs().max(1e-300),
                HOVER_PIXELS / dy.abs().max(1e-300),
            ];
            self.hovered = index.nearest([at.x, at.y], radius, visible);
        }
        let painter = ui.painter_at(frame);
        // Medoids: a diamond in the cluster's colour, outlined so it shows over its points.
        if let Some(clustering) = clustering
            && let Some(medoids) = clustering.result.medoids()
        {
            for &row in medoids.iter() {
                let (Some(p), Some(&label)) = (
                    coordinates.get(row as usize),
                    clustering.result.labels.get(row as usize),
                ) else {
                    continue;
                };
                let center = transform.position_from_point(&PlotPoint::new(p[0], p[1]));
                let r = 7.0;
                let diamond = vec![
                    center + egui::vec2(0.0, -r),
                    center + egui::vec2(r, 0.0),
                    center + egui::vec2(0.0, r),
                    center + egui::vec2(-r, 0.0),
                ];
                painter.add(egui::Shape::convex_polygon(
                    diamond,
                    self.styles.color(label),
                    egui::Stroke::new(1.5, highlight),
                ));
            }
        }
        for (row, width) in [(self.pinned_row, 2.5), (self.hovered, 1.5)] {
            if let Some(p) = row.and_then(|r| coordinates.get(r as usize)) {
                let center = transform.position_from_point(&PlotPoint::new(p[0], p[1]));
                painter.circle_stroke(center, 6.0, egui::Stroke::new(width, highlight));
            }
        }
        if let Some(row) = self.hovered {
            let label = label_of(row);
            let table_row = prepared.features.table_rows.get(row as usize).copied();
            if let Some(table_row) = table_row {
                let styles = self.styles.clone();
                response.response.clone().on_hover_ui_at_pointer(|ui| {
                    row_tooltip_ui(ui, &table, table_row, label, &styles);
                });
            }
        }
        // Click pins (pan tool); a click on empty space unpins.
        if tool == ScatterTool::Pan && response.response.clicked() {
            self.pinned_row = self.hovered;
            self.maps.neighbours = None;
            if let Some(row) = self.pinned_row {
                self.commands.push(Command::FindNeighbours(row));
            }
        }
        if let Some(row) = self.pinned_row
            && let Some(&table_row) = prepared.features.table_rows.get(row as usize)
        {
            let label = label_of(row);
            let styles = self.styles.clone();
            egui::Area::new(ui.scope_id().with("pinned-row"))
                .fixed_pos(frame.right_top() + egui::vec2(-260.0, 8.0))
                .show(ui.ctx(), |ui| {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.set_max_width(240.0);
                        row_tooltip_ui(ui, &table, table_row, label, &styles);
                        if let Some(found) = self.maps.neighbours.as_ref().filter(|f| f.row == row)
                        {
                            neighbours_ui(ui, &table, &prepared.features.table_rows, found);
                        }
                        if ui.small_button("Unpin").clicked() {
                            self.pinned_row = None;
                        }
                    });
                });
        }
        if tool != ScatterTool::Pan
            && let Some(selection) = selection_drag(
                &mut self.scatter,
                ui,
                frame,
                &transform,
                &coordinates,
                visible,
            )
        {
            self.set_selection(selection);
        }
    }

    fn axes_ui(&mut self, ui: &mut egui::Ui, numeric: &[String]) {
        let mut changed = false;
        ui.horizontal_wrapped(|ui| {
            ui.label("View:");
            let embedding = self.shown_embedding();
            if ui
                .radio(matches!(self.axes, ScatterAxes::Pca { .. }), "PCA")
                .clicked()
            {
                self.axes = ScatterAxes::default();
                changed = true;
            }
            if ui
                .radio(matches!(self.axes, ScatterAxes::Columns { .. }), "Columns")
                .clicked()
                && numeric.len() >= 2
            {
                self.axes = ScatterAxes::Columns {
                    x: numeric[0].clone(),
                    y: numeric[1].clone(),
                };
                changed = true;
            }
            if embedding.is_some()
                && ui
                    .radio(
                        matches!(self.axes, ScatterAxes::Embedding { .. }),
                        "Spectral embedding",
                    )
                    .on_hover_text("the eigenvectors the spectral clusters were read from")
                    .clicked()
            {
                self.axes = ScatterAxes::Embedding { x: 0, y: 1 };
                changed = true;
            }
            for method in [MapMethod::Umap, MapMethod::Tsne] {
                let shown = self.axes == ScatterAxes::Map { method };
                let hint = match method {
                    MapMethod::Umap => "UMAP map of the features: computed on a thread, drawn as it refines",
                    MapMethod::Tsne => "t-SNE map of the features (Barnes–Hut): computed on a thread, drawn as it refines",
                };
                if ui.radio(shown, method.name()).on_hover_text(hint).clicked() && !shown {
                    self.axes = ScatterAxes::Map { method };
                    changed = true;
                }
            }
            let pca_fit = self.projection.as_ref().and_then(|p| p.pca.clone());
            match &mut self.axes {
                ScatterAxes::Map { .. } => {}
                ScatterAxes::Columns { x, y } => {
                    for (axis, value) in [("X", x), ("Y", y)] {
                        let label = ui.label(format!("{axis}:"));
                        egui::ComboBox::from_id_salt(axis)
                            .selected_text(value.as_str())
                            .show_ui(ui, |ui| {
                                for name in numeric {
                                    changed |=
                                        ui.selectable_value(value, name.clone(), name).changed();
                                }
                            })
                            .response
                            .labelled_by(label.id);
                    }
                }
                ScatterAxes::Embedding { x, y } => {
                    let n = embedding.as_ref().map_or(2, |e| e.n_cols);
                    for (axis, value) in [("X", x), ("Y", y)] {
                        let label = ui.label(format!("{axis}:"));
                        egui::ComboBox::from_id_salt(format!("eigenvector-{axis}"))
                            .selected_text(format!("eigenvector {}", *value + 1))
                            .show_ui(ui, |ui| {
                                for c in 0..n {
                                    changed |= ui
                                        .selectable_value(
                                            value,
                                            c,
                                            format!("eigenvector {}", c + 1),
                                        )
                                        .changed();
                                }
                            })
                            .response
                            .labelled_by(label.id);
                    }
                }
                ScatterAxes::Pca { x, y } => {
                    let n = pca_fit.as_ref().map_or(2, |p| p.components.len().max(1));
                    for (axis, value) in [("X", x), ("Y", y)] {
                        let label = ui.label(format!("{axis}:"));
                        egui::ComboBox::from_id_salt(format!("pc-{axis}"))
                            .selected_text(format!("PC{}", *value + 1))
                            .show_ui(ui, |ui| {
                                for c in 0..n {
                                    changed |= ui
                                        .selectable_value(value, c, format!("PC{}", c + 1))
                                        .changed();
                                }
                            })
                            .response
                            .labelled_by(label.id);
                    }
                    if let Some(pca) = &pca_fit {
                        explained_variance_ui(ui, &pca.explained_ratio);
                        ui.weak(&pca.fitted_on);
                    }
                }
            }
        });
        if let ScatterAxes::Map { method } = self.axes {
            self.map_controls_ui(ui, method);
        }
        if changed {
            self.command(Command::Project);
        }
    }

    fn view_controls_ui(&mut self, ui: &mut egui::Ui) {
        let gpu_available = self.render_device.is_some();
        ui.horizontal_wrapped(|ui| {
            ui.label("Tool:");
            let tool = &mut self.scatter.tool;
            ui.selectable_value(tool, ScatterTool::Pan, "Pan / pin")
                .on_hover_text(
                    "Drag to pan, scroll to zoom, arrow keys and +/- too, click a point to pin it",
                );
            ui.selectable_value(tool, ScatterTool::Box, "Box select");
            ui.selectable_value(tool, ScatterTool::Lasso, "Lasso select");
            ui.separator();
            let search = ui
                .add(
                    egui::TextEdit::singleline(&mut self.maps.search)
                        .hint_text("Search text…")
                        .desired_width(140.0),
                )
                .on_hover_text(
                    "select the rows whose text (any column) contains this; Enter to search",
                );
            if search.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                self.run_search();
            }
            if let Some(matches) = self.maps.search_matches {
                ui.weak(format!("{matches} rows"));
            }
            ui.separator();
            self.colour_by_ui(ui);
            ui.separator();
            let view = &mut self.settings.view;
            let renderer_label = ui.label("Renderer:");
            egui::ComboBox::from_id_salt("renderer")
                .selected_text(match view.renderer {
                    RendererChoice::Auto => "Auto",
                    RendererChoice::Plot => "egui_plot",
                    RendererChoice::Gpu => "GPU",
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut view.renderer, RendererChoice::Auto, "Auto");
                    ui.selectable_value(&mut view.renderer, RendererChoice::Plot, "egui_plot");
                    ui.add_enabled_ui(gpu_available, |ui| {
                        ui.selectable_value(&mut view.renderer, RendererChoice::Gpu, "GPU");
                    });
                })
                .response
                .labelled_by(renderer_label.id);
            let gpu_drawing = self.scatter.last_drawn_with_gpu;
            // Drawing controls on a row of their own: a slider's width is only known once
            // drawn, so a wrapped row cannot break before one and the panel would clip it.
            ui.end_row();
            let why_disabled = "egui_plot draws this view (small data): choose the GPU \
                renderer above to change point size, opacity or density";
            // The slider's own text names both its track and its number box (for screen
            // readers and the UI tests' accessibility check).
            ui.add_enabled(
                gpu_drawing,
                egui::Slider::new(&mut view.point_size, 1.0..=12.0).text("Point size"),
            )
            .on_disabled_hover_text(why_disabled);
            ui.add_enabled(
                gpu_drawing,
                egui::Slider::new(&mut view.opacity, 0.05..=1.0).text("Opacity"),
            )
            .on_disabled_hover_text(why_disabled);
            ui.add_enabled(
                gpu_drawing,
                egui::Checkbox::new(&mut view.density, "Density"),
            )
            .on_hover_text("Add overlapping points up and tone-map the counts (GPU renderer)")
            .on_disabled_hover_text(why_disabled);
            if view.density && gpu_drawing {
                ui.add(
                    egui::Slider::new(&mut view.density_gain, 0.005..=2.0)
                        .logarithmic(true)
                        .text("Gain"),
                );
            }
        });
    }
}

/// Box / lasso: collects the path from the pointer events while the primary button is
/// held inside the plot, and selects when it is released. Events, not the latest position:
/// a slow frame (millions of points on a software GPU) may carry a whole drag. Returns the
/// new selection (None inside: an empty pick clears it) when a drag ends.
fn selection_drag(
    state: &mut ScatterState,
    ui: &egui::Ui,
    frame: egui::Rect,
    transform: &egui_plot::PlotTransform,
    coordinates: &Arc<Vec<[f32; 2]>>,
    visible: impl Fn(u32) -> bool + Sync,
) -> Option<Option<Selection>> {
    let events = ui.input(|i| i.events.clone());
    let to_data = |pos: egui::Pos2| {
        let at = transform.value_from_position(pos.clamp(frame.min, frame.max));
        [at.x, at.y]
    };
    let mut finished = None;
    for event in events {
        match event {
            egui::Event::PointerButton {
                pos,
                button: egui::PointerButton::Primary,
                pressed: true,
                ..
            } if frame.contains(pos) => state.drag_path = vec![to_data(pos)],
            egui::Event::PointerMoved(pos) if !state.drag_path.is_empty() => {
                let at = to_data(pos);
                if state.drag_path.last() != Some(&at) {
                    state.drag_path.push(at);
                }
            }
            egui::Event::PointerButton {
                pos,
                button: egui::PointerButton::Primary,
                pressed: false,
                ..
            } if !state.drag_path.is_empty() => {
                let mut path = std::mem::take(&mut state.drag_path);
                path.push(to_data(pos));
                finished = Some(path);
            }
            _ => {}
        }
    }
    let path = finished?;
    let (rows, source) = match state.tool {
        ScatterTool::Box => (
            select::rows_in_box(coordinates, path[0], path[path.len() - 1], visible),
            "box",
        ),
        ScatterTool::Lasso => (
            select::rows_in_polygon(coordinates, &path, visible),
            "lasso",
        ),
        ScatterTool::Pan => return None,
    };
    Some((!rows.is_empty()).then(|| Selection::new(rows, source)))
}

/// Arrow keys pan by a tenth of the view; + and - zoom around the centre.
fn keyboard_navigation(plot_ui: &mut egui_plot::PlotUi<'_>) {
    if !plot_ui.response().hovered() {
        return;
    }
    let (left, right, up, down, zoom_in, zoom_out) = plot_ui.ctx().input(|i| {
        (
            i.key_pressed(egui::Key::ArrowLeft),
            i.key_pressed(egui::Key::ArrowRight),
            i.key_pressed(egui::Key::ArrowUp),
            i.key_pressed(egui::Key::ArrowDown),
            i.key_pressed(egui::Key::Plus) || i.key_pressed(egui::Key::Equals),
            i.key_pressed(egui::Key::Minus),
        )
    });
    let bounds = plot_ui.plot_bounds();
    let (w, h) = (bounds.width(), bounds.height());
    let dx = (right as i32 - left as i32) as f64 * 0.1 * w;
    let dy = (up as i32 - down as i32) as f64 * 0.1 * h;
    if dx != 0.0 || dy != 0.0 {
        let min = bounds.min();
        let max = bounds.max();
        plot_ui.set_plot_bounds(egui_plot::PlotBounds::from_min_max(
            [min[0] + dx, min[1] + dy],
            [max[0] + dx, max[1] + dy],
        ));
    }
    if zoom_in || zoom_out {
        let factor = if zoom_in { 1.25 } else { 0.8 };
        let center = bounds.center();
        plot_ui.zoom_bounds(egui::vec2(factor, factor), center);
    }
}

/// Small bars: the share of variance of each component.
fn explained_variance_ui(ui: &mut egui::Ui, ratios: &[f64]) {
    let bar = 8.0;
    let height = 20.0;
    let (rect, response) = ui.allocate_exact_size(
        egui::vec2(ratios.len() as f32 * (bar + 2.0), height),
        egui::Sense::hover(),
    );
    let color = ui.visuals().selection.bg_fill;
    for (i, ratio) in ratios.iter().enumerate() {
        let h = (*ratio as f32).clamp(0.0, 1.0) * height;
        let x = rect.min.x + i as f32 * (bar + 2.0);
        ui.painter().rect_filled(
            egui::Rect::from_min_max(
                egui::pos2(x, rect.max.y - h.max(1.0)),
                egui::pos2(x + bar, rect.max.y),
            ),
            1.0,
            color,
        );
    }
    response.on_hover_ui(|ui| {
        ui.strong("Explained variance");
        for (i, ratio) in ratios.iter().enumerate() {
            ui.label(format!("PC{}: {:.1}%", i + 1, ratio * 100.0));
        }
    });
}

fn row_tooltip_ui(
    ui: &mut egui::Ui,
    table: &super::LoadedTable,
    row: u32,
    label: Option<u32>,
    styles: &super::ClusterStyles,
) {
    ui.strong(format!("Row {row}"));
    match label {
        Some(NOISE) => ui.colored_label(palette::NOISE, "Noise"),
        Some(cluster) => ui.colored_label(styles.color(cluster), styles.name(cluster)),
        None => ui.weak("Not clustered"),
    };
    ui.set_max_width(360.0);
    // Text columns first: an embedding's metadata says what the row is, its hundreds of
    // vector columns do not.
    let columns = table.frame.columns();
    let text = |c: &&polars::prelude::Column| c.dtype().is_string();
    let ordered = columns
        .iter()
        .filter(text)
        .chain(columns.iter().filter(|c| !text(c)));
    // A few numbers at most after the text: the rest are a vector's dimensions.
    let n_text = columns.iter().filter(text).count();
    let shown = n_text.max(12).min(n_text + 6);
    egui::Grid::new("row-tooltip")
        .num_columns(2)
        .show(ui, |ui| {
            for column in ordered.take(shown) {
                ui.weak(column.name().as_str());
                let value = column
                    .get(row as usize)
                    .map(|v| match v {
                        polars::prelude::AnyValue::String(s) => s.to_string(),
                        other => other.to_string(),
                    })
                    .unwrap_or_default();
                ui.add(egui::Label::new(clipped(&value, 240)).wrap());
                ui.end_row();
            }
        });
    if columns.len() > shown {
        ui.weak(format!("… and {} more columns", columns.len() - shown));
    }
}

/// At most `limit` characters of `text`, with an ellipsis when cut.
fn clipped(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// A pinned row's nearest rows in the original space, with the first text column.
fn neighbours_ui(
    ui: &mut egui::Ui,
    table: &super::LoadedTable,
    table_rows: &[u32],
    found: &super::maps::RowNeighbours,
) {
    ui.separator();
    ui.strong(format!("{} nearest ({})", found.rows.len(), found.metric));
    let text_column = table.frame.columns().iter().find(|c| c.dtype().is_string());
    egui::Grid::new("row-neighbours")
        .num_columns(3)
        .show(ui, |ui| {
            for &(row, distance) in &found.rows {
                let table_row = table_rows.get(row as usize).copied().unwrap_or(row);
                ui.label(format!("row {table_row}"));
                ui.weak(format!("{distance:.4}"));
                let text = text_column
                    .and_then(|c| c.get(table_row as usize).ok())
                    .map(|v| match v {
                        polars::prelude::AnyValue::String(s) => s.to_string(),
                        other => other.to_string(),
                    })
                    .unwrap_or_default();
                ui.label(clipped(&text, 60));
                ui.end_row();
            }
        });
}

/// The 1σ and 2σ ellipses of a Gaussian mixture's components in the current view
/// (none for other algorithms, or when the view is not a linear image of the features).
fn mixture_outlines(
    state: &mut ScatterState,
    projection: &super::jobs::Projection,
    prepared: &super::jobs::PreparedFeatures,
    clustering: Option<&super::Clustering>,
) -> Arc<Vec<ellipses::Outline>> {
    let Some(model) = clustering.and_then(|c| c.result.mixture()) else {
        return Arc::default();
    };
    let key = (
        Arc::as_ptr(model) as usize,
        Arc::as_ptr(&projection.coordinates) as usize,
    );
    if let Some((cached, outlines)) = &state.ellipses
        && *cached == key
    {
        return Arc::clone(outlines);
    }
    let map = match (&projection.pca, projection.components) {
        (Some(pca), Some((a, b))) => ellipses::ViewMap::pca(pca, a, b),
        _ => ellipses::ViewMap::columns(
            &prepared.points,
            &prepared.features.columns,
            (&projection.axis_labels.0, &projection.axis_labels.1),
            &projection.coordinates,
        ),
    };
    let n_clusters = clustering.map_or(0, |c| c.result.n_clusters);
    let outlines = Arc::new(
        map.map(|map| ellipses::outlines(model, &map, n_clusters))
            .unwrap_or_default(),
    );
    state.ellipses = Some((key, Arc::clone(&outlines)));
    outlines
}
