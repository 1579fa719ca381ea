//! The image view: the photo with its segments blended over it (opacity, boundary lines,
//! the legend's hidden segments left uncoloured), hover read-out, and a lasso that selects
//! pixels into the shared selection, so the feature-space scatter highlights them (and a
//! scatter lasso dims every other pixel here). Large images are shown at a reduced
//! resolution; segmentation and exports always use every pixel.

use std::sync::Arc;

use eframe::egui;

use super::jobs::ImageExport;
use super::{ClusterscopeApp, Command, Selection};
use crate::segment::export::OverlayStyle;
use crate::segment::stats::{SegmentStats, label_stats};
use crate::segment::{PixelImage, SegmentAlgorithm, Segmentation};

/// Longest side of the displayed texture.
const MAX_DISPLAY_SIDE: usize = 2048;

/// How much unselected pixels are darkened while a selection exists.
const UNSELECTED_DIM: f32 = 0.3;

/// The photo at display resolution: every `stride`-th pixel of each `stride`-th row.
struct DisplayImage {
    source: Arc<PixelImage>,
    stride: usize,
    width: usize,
    height: usize,
    /// Source pixel index of each display pixel.
    source_index: Vec<u32>,
}

impl DisplayImage {
    fn new(source: &Arc<PixelImage>) -> Self {
        let (w, h) = (source.width as usize, source.height as usize);
        let stride = w.max(h).div_ceil(MAX_DISPLAY_SIDE).max(1);
        let (width, height) = (w.div_ceil(stride), h.div_ceil(stride));
        let mut source_index = Vec::with_capacity(width * height);
        for y in 0..height {
            for x in 0..width {
                source_index.push(((y * stride) * w + x * stride) as u32);
            }
        }
        Self {
            source: Arc::clone(source),
            stride,
            width,
            height,
            source_index,
        }
    }
}

/// What the composited texture was made from; a change redraws it.
#[derive(Clone, PartialEq)]
struct CompositeKey {
    clustering: Option<(u64, u64)>,
    styles: u64,
    opacity: u32,
    boundaries: bool,
    selection: Option<u64>,
}

#[derive(Default)]
pub struct ImageViewState {
    display: Option<DisplayImage>,
    texture: Option<(CompositeKey, egui::TextureHandle)>,
    /// Lasso vertices in image pixel coordinates while dragging.
    lasso: Vec<egui::Pos2>,
    lasso_tool: bool,
    /// Per-segment figures of the shown clustering, keyed by (generation, revision).
    stats: Option<((u64, u64), Vec<SegmentStats>)>,
    selection_mask: Option<(u64, Vec<bool>)>,
}

impl ClusterscopeApp {
    pub(super) fn image_view_ui(&mut self, ui: &mut egui::Ui) {
        let Some(image) = self.image().cloned() else {
            return;
        };
        if self
            .image_view
            .display
            .as_ref()
            .is_none_or(|d| !Arc::ptr_eq(&d.source, &image))
        {
            self.image_view = ImageViewState {
                display: Some(DisplayImage::new(&image)),
                ..Default::default()
            };
        }
        self.image_toolbar_ui(ui, &image);
        self.refresh_image_caches(&image);
        let texture = self.composite_texture(ui.ctx());
        let hover_line_height = ui.text_style_height(&egui::TextStyle::Body) + 8.0;
        let available = ui.available_size() - egui::vec2(0.0, hover_line_height);
        let aspect = image.width as f32 / image.height as f32;
        let size = if available.x / available.y.max(1.0) > aspect {
            egui::vec2(available.y * aspect, available.y)
        } else {
            egui::vec2(available.x, available.x / aspect)
        };
        let (rect, response) = ui.allocate_exact_size(
            size.max(egui::vec2(1.0, 1.0)),
            egui::Sense::click_and_drag(),
        );
        ui.painter().image(
            texture.id(),
            rect,
            egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
            egui::Color32::WHITE,
        );
        let to_image = |pos: egui::Pos2| {
            egui::pos2(
                (pos.x - rect.min.x) / rect.width() * image.width as f32,
                (pos.y - rect.min.y) / rect.height() * image.height as f32,
            )
        };
        let to_screen = |p: egui::Pos2| {
            egui::pos2(
                rect.min.x + p.x / image.width as f32 * rect.width(),
                rect.min.y + p.y / image.height as f32 * rect.height(),
            )
        };
        let hovered_pixel = response.hover_pos().and_then(|pos| {
            let p = to_image(pos);
            (p.x >= 0.0 && p.y >= 0.0 && p.x < image.width as f32 && p.y < image.height as f32)
                .then(|| (p.y as usize * image.width as usize + p.x as usize) as u32)
        });
        if let Some(pixel) = hovered_pixel {
            self.hovered = Some(pixel);
        }
        if self.image_view.lasso_tool {
            if response.drag_started() {
                self.image_view.lasso.clear();
            }
            if response.dragged()
                && let Some(pos) = response.interact_pointer_pos()
            {
                self.image_view.lasso.push(to_image(pos));
            }
            if response.drag_stopped() {
                let path: Vec<[f64; 2]> = self
                    .image_view
                    .lasso
                    .drain(..)
                    .map(|p| [p.x as f64, p.y as f64])
                    .collect();
                let rows = pixels_in_polygon(image.width, image.height, &path);
                if rows.is_empty() {
                    self.set_selection(None);
                } else {
                    self.set_selection(Some(Selection::new(rows, "image lasso")));
                }
            }
            if !self.image_view.lasso.is_empty() {
                let points: Vec<egui::Pos2> = self
                    .image_view
                    .lasso
                    .iter()
                    .map(|&p| to_screen(p))
                    .collect();
                ui.painter().add(egui::Shape::closed_line(
                    points,
                    egui::Stroke::new(1.5, egui::Color32::YELLOW),
                ));
            }
        }
        self.hover_readout_ui(ui, &image, hovered_pixel);
    }

    fn image_toolbar_ui(&mut self, ui: &mut egui::Ui, image: &PixelImage) {
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new(image.name()).strong());
            let stride = self.image_view.display.as_ref().map_or(1, |d| d.stride);
            let depth = format!("{}-bit", image.bits);
            if stride > 1 {
                ui.label(format!(
                    "{} × {} {depth}, shown at 1/{stride}; segmented at full resolution",
                    image.width, image.height
                ));
            } else {
                ui.label(format!("{} × {} {depth}", image.width, image.height));
            }
        });
        ui.horizontal_wrapped(|ui| {
            let view = &mut self.settings.image_view;
            ui.label("Overlay");
            ui.add(egui::Slider::new(&mut view.opacity, 0.0..=1.0).fixed_decimals(2))
                .on_hover_text("Opacity of the segment colours over the photo");
            ui.checkbox(&mut view.boundaries, "Boundaries");
            ui.toggle_value(&mut self.image_view.lasso_tool, "Lasso")
                .on_hover_text(
                    "Drag around pixels to select them; the scatter highlights them in feature space",
                );
            if self.selection.is_some() && ui.button("Clear selection").clicked() {
                self.set_selection(None);
            }
        });
    }

    /// Segment figures and the selection mask, rebuilt when what they come from changes.
    fn refresh_image_caches(&mut self, image: &PixelImage) {
        if let Some(clustering) = &self.clustering {
            let key = (clustering.generation, clustering.revision);
            if self
                .image_view
                .stats
                .as_ref()
                .is_none_or(|(k, _)| *k != key)
                && clustering.result.labels.len() == image.n_pixels()
            {
                let stats = label_stats(image, &clustering.result.labels, clustering.sizes.len());
                self.image_view.stats = Some((key, stats));
            }
        }
        match &self.selection {
            Some(selection) if selection.rows.len() <= image.n_pixels() => {
                if self
                    .image_view
                    .selection_mask
                    .as_ref()
                    .is_none_or(|(id, _)| *id != selection.id)
                {
                    let mut mask = vec![false; image.n_pixels()];
                    for &row in &selection.rows {
                        if let Some(m) = mask.get_mut(row as usize) {
                            *m = true;
                        }
                    }
                    self.image_view.selection_mask = Some((selection.id, mask));
                }
            }
            _ => self.image_view.selection_mask = None,
        }
    }

    /// The photo with the current segmentation over it, as a texture (recomposited only
    /// when the labels, styles, opacity, boundaries or selection change).
    fn composite_texture(&mut self, ctx: &egui::Context) -> egui::TextureHandle {
        let view = &self.settings.image_view;
        let labels = self.clustering.as_ref().filter(|c| {
            self.image()
                .is_some_and(|i| c.result.labels.len() == i.n_pixels())
        });
        let key = CompositeKey {
            clustering: labels.map(|c| (c.generation, c.revision)),
            styles: self.styles.version,
            opacity: view.opacity.to_bits(),
            boundaries: view.boundaries,
            selection: self.image_view.selection_mask.as_ref().map(|(id, _)| *id),
        };
        if let Some((current, texture)) = &self.image_view.texture
            && *current == key
        {
            return texture.clone();
        }
        let Some(display) = &self.image_view.display else {
            unreachable!("the display image is built before compositing")
        };
        let (w, h) = (display.width, display.height);
        let source = &display.source;
        let alpha = view.opacity.clamp(0.0, 1.0);
        let colours = labels.map_or_else(Vec::new, |c| self.segment_colours(c.sizes.len()));
        let mask = self.image_view.selection_mask.as_ref().map(|(_, m)| m);
        let mut rgb = Vec::with_capacity(w * h * 3);
        for (i, &src) in display.source_index.iter().enumerate() {
            let src = src as usize;
            let base = source.rgb8(src);
            let mut pixel = base;
            if let Some(c) = labels {
                let label = c.result.labels[src];
                let (x, y) = (i % w, i / w);
                let edge = view.boundaries
                    && ((x + 1 < w
                        && c.result.labels[display.source_index[i + 1] as usize] != label)
                        || (y + 1 < h
                            && c.result.labels[display.source_index[i + w] as usize] != label));
                if edge {
                    pixel = crate::segment::export::BOUNDARY;
                } else if let Some(Some(colour)) = colours.get(label as usize) {
                    pixel = std::array::from_fn(|k| {
                        (base[k] as f32 * (1.0 - alpha) + colour[k] as f32 * alpha) as u8
                    });
                }
            }
            if let Some(mask) = mask
                && !mask[src]
            {
                pixel = pixel.map(|v| (v as f32 * UNSELECTED_DIM) as u8);
            }
            rgb.extend_from_slice(&pixel);
        }
        let image = egui::ColorImage::from_rgb([w, h], &rgb);
        let texture = match self.image_view.texture.take() {
            Some((_, mut texture)) => {
                texture.set(image, egui::TextureOptions::LINEAR);
                texture
            }
            None => ctx.load_texture("image-view", image, egui::TextureOptions::LINEAR),
        };
        self.image_view.texture = Some((key, texture.clone()));
        texture
    }

    fn hover_readout_ui(&self, ui: &mut egui::Ui, image: &PixelImage, pixel: Option<u32>) {
        ui.horizontal(|ui| {
            let Some(pixel) = pixel else {
                ui.weak("Hover the image for a segment's size and mean colour");
                return;
            };
            let width = image.width as usize;
            let (x, y) = (pixel as usize % width, pixel as usize / width);
            let [r, g, b] = image.rgb8(pixel as usize);
            ui.label(format!("({x}, {y}) RGB {r} {g} {b}"));
            let Some(clustering) = &self.clustering else {
                return;
            };
            let Some(&label) = clustering.result.labels.get(pixel as usize) else {
                return;
            };
            if label == crate::cluster::NOISE {
                ui.label("noise: its superpixel joined no cluster");
                return;
            }
            let Some(stats) = self
                .image_view
                .stats
                .as_ref()
                .and_then(|(_, s)| s.get(label as usize))
            else {
                return;
            };
            let (swatch, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
            ui.painter()
                .rect_filled(swatch, 2.0, self.styles.color(label));
            let [mr, mg, mb] = stats.mean_rgb;
            ui.label(format!(
                "{} · {} px ({:.1}%) · mean RGB {:.0} {:.0} {:.0}",
                self.styles.name(label),
                stats.pixel_count,
                100.0 * stats.pixel_count as f64 / image.n_pixels() as f64,
                mr,
                mg,
                mb
            ));
            let (mean_swatch, _) =
                ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
            ui.painter().rect_filled(
                mean_swatch,
                2.0,
                egui::Color32::from_rgb(mr as u8, mg as u8, mb as u8),
            );
        });
    }

    /// Image exports in the Export menu.
    pub(super) fn image_export_menu_ui(&mut self, ui: &mut egui::Ui) {
        let ready = self.current_segmentation().is_some();
        let stem = self
            .image()
            .and_then(|i| i.path.as_ref())
            .and_then(|p| p.file_stem())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "image".into());
        for (kind, label, suffix) in [
            (ImageExport::Mask, "Label mask (PNG)…", "_mask.png"),
            (ImageExport::Overlay, "Overlay (PNG)…", "_overlay.png"),
            (
                ImageExport::Segments,
                "Segment table (CSV)…",
                "_segments.csv",
            ),
        ] {
            if ui.add_enabled(ready, egui::Button::new(label)).clicked() {
                self.command(Command::PickImageExport {
                    kind,
                    name: format!("{stem}{suffix}"),
                });
                ui.close();
            }
        }
    }

    /// The legend's colour of each segment id, None for hidden ones.
    fn segment_colours(&self, n: usize) -> Vec<Option<[u8; 3]>> {
        (0..n as u32)
            .map(|id| {
                self.styles.visible(id).then(|| {
                    let [r, g, b, _] = self.styles.color(id).to_array();
                    [r, g, b]
                })
            })
            .collect()
    }

    /// The shown segmentation (ids as in the legend), for exports.
    fn current_segmentation(&self) -> Option<Segmentation> {
        let image = self.image()?;
        let clustering = self.clustering.as_ref()?;
        (clustering.result.labels.len() == image.n_pixels()).then(|| Segmentation {
            width: image.width,
            height: image.height,
            labels: clustering.result.labels.clone(),
            n_segments: clustering.sizes.len(),
            inertia: clustering.result.inertia(),
            diagnostics: clustering.result.diagnostics.clone(),
        })
    }

    /// Writes the shown segmentation as `kind` to `path` on a background thread.
    pub fn export_image_to(&mut self, path: std::path::PathBuf, kind: ImageExport) {
        let (Some(image), Some(segmentation)) =
            (self.image().cloned(), self.current_segmentation())
        else {
            self.notices.error = Some("Nothing to export yet: the image is not segmented".into());
            return;
        };
        let view = &self.settings.image_view;
        let style = OverlayStyle {
            opacity: view.opacity,
            boundaries: view.boundaries,
            colours: self.segment_colours(segmentation.n_segments),
        };
        self.notices.info = Some(format!("Exporting {}…", path.display()));
        let params = crate::segment::SegmentParams {
            cluster: Some(self.settings.algorithm_params())
                .filter(|_| self.settings.segment.algorithm == SegmentAlgorithm::Superpixels),
            ..self.settings.segment.clone()
        };
        self.jobs.export_image(
            kind,
            path,
            image,
            Arc::new(segmentation),
            style,
            (params, self.settings.backend),
        );
    }

    /// The left panel's segmentation controls for an image.
    pub(super) fn image_controls_ui(&mut self, ui: &mut egui::Ui) {
        let mut features_changed = false;
        let mut params_changed = false;
        ui.heading("Segmentation");
        for (algorithm, label, tip) in [
            (
                SegmentAlgorithm::Kmeans,
                "k-means",
                "k colour clusters over every pixel",
            ),
            (
                SegmentAlgorithm::Slic,
                "SLIC superpixels",
                "about k compact, connected regions",
            ),
            (
                SegmentAlgorithm::Superpixels,
                "Another algorithm on superpixels",
                "any registered algorithm (trees, density, medoids) on the mean colours of \
                 SLIC superpixels",
            ),
        ] {
            let params = &mut self.settings.segment;
            if ui
                .radio_value(&mut params.algorithm, algorithm, label)
                .on_hover_text(tip)
                .changed()
            {
                // SLIC's spatial term depends on its region count, k-means' does not.
                params.spatial_weight = None;
                features_changed = true;
                if algorithm == SegmentAlgorithm::Superpixels {
                    // Per-pixel k-means is the first choice above, not one on superpixels.
                    if self.settings.algorithm == "kmeans" {
                        self.settings.algorithm = "agglomerative".into();
                    }
                    // Superpixels are clustered in colour units (0–100 per axis), where a
                    // radius meant for standardised tables would leave every one noise.
                    let id = self.settings.algorithm.clone();
                    if self.settings.real(&id, "eps").is_some_and(|eps| eps < 1.0) {
                        self.settings.set_real(&id, "eps", SUPERPIXEL_EPS);
                    }
                }
            }
        }
        let params = &mut self.settings.segment;
        match params.algorithm {
            SegmentAlgorithm::Kmeans | SegmentAlgorithm::Slic => {
                let k_range = match params.algorithm {
                    SegmentAlgorithm::Kmeans => 2..=64,
                    _ => 2..=5000,
                };
                params.k = params.k.clamp(*k_range.start(), *k_range.end());
                let slic = params.algorithm == SegmentAlgorithm::Slic;
                let k = ui.add(
                    egui::Slider::new(&mut params.k, k_range)
                        .logarithmic(slic)
                        .text(if slic {
                            "k (about, superpixels)"
                        } else {
                            "k (segments)"
                        }),
                );
                if k.changed() {
                    // SLIC's grid step, and so its features, depend on k.
                    if slic {
                        features_changed = true;
                    } else {
                        params_changed = true;
                    }
                }
            }
            SegmentAlgorithm::Superpixels => {
                params.superpixels = params.superpixels.clamp(50, 5000);
                features_changed |= ui
                    .add(
                        egui::Slider::new(&mut params.superpixels, 50..=5000)
                            .logarithmic(true)
                            .text("superpixels (about)"),
                    )
                    .changed();
            }
        }
        ui.horizontal(|ui| {
            ui.label("Colour space");
            for space in crate::segment::ColorSpace::ALL {
                if ui
                    .selectable_value(&mut params.space, space, space.label())
                    .changed()
                {
                    features_changed = true;
                }
            }
        });
        let mut weight = params.spatial_weight();
        let (range, text, tip) = match params.algorithm {
            SegmentAlgorithm::Kmeans => (
                0.0..=2.0,
                "spatial weight",
                "0: colour only. 1: the image's longer side spans as much as one colour axis",
            ),
            SegmentAlgorithm::Slic | SegmentAlgorithm::Superpixels => (
                0.0..=60.0,
                "compactness",
                "SLIC's m: higher gives rounder, more regular superpixels",
            ),
        };
        if ui
            .add(egui::Slider::new(&mut weight, range).text(text))
            .on_hover_text(tip)
            .changed()
        {
            params.spatial_weight = Some(weight);
            features_changed = true;
        }
        if params.algorithm == SegmentAlgorithm::Superpixels {
            let superpixels = params.superpixels;
            ui.separator();
            params_changed |= self.algorithm_choice_ui(
                ui,
                "superpixel-algorithm",
                "Algorithm on the superpixels",
                Some("kmeans"),
            );
            params_changed |= self.algorithm_params_ui(ui, false);
            ui.weak(format!(
                "Per pixel these algorithms would cost far more than an image's pixel count \
                 allows, so SLIC first groups the pixels into about {superpixels} superpixels; \
                 the algorithm clusters their mean colours (distances in colour units, 0–100 \
                 per axis) and every pixel takes its superpixel's cluster. Noise stays \
                 uncoloured."
            ));
        } else {
            ui.weak(
                "Every pixel is clustered. For DBSCAN, HDBSCAN, OPTICS or a tree, choose \
                 \"Another algorithm on superpixels\": per pixel their cost grows faster than \
                 the pixel count.",
            );
        }
        ui.separator();
        ui.horizontal(|ui| {
            ui.label("Backend");
            for choice in crate::cluster::BackendChoice::ALL {
                if ui
                    .selectable_value(&mut self.settings.backend, choice, choice.label())
                    .changed()
                {
                    params_changed = true;
                }
            }
        });
        if features_changed {
            self.command(Command::Prepare);
        } else if params_changed {
            self.command(Command::Cluster);
        }
    }
}

/// DBSCAN's radius when superpixels are first chosen: about the colour difference
/// (CIELAB ΔE) people start to notice at a glance.
const SUPERPIXEL_EPS: f64 = 4.0;

/// Pixels (row-major indices) whose centres lie inside the closed polygon `path` (image
/// coordinates, even-odd rule), by scanline filling: one pass over the polygon's rows.
pub fn pixels_in_polygon(width: u32, height: u32, path: &[[f64; 2]]) -> Vec<u32> {
    if path.len() < 3 {
        return Vec::new();
    }
    let (mut y_min, mut y_max) = (f64::MAX, f64::MIN);
    for p in path {
        y_min = y_min.min(p[1]);
        y_max = y_max.max(p[1]);
    }
    let first_row = (y_min - 0.5).ceil().max(0.0) as u32;
    let last_row = ((y_max - 0.5).floor()).min(height as f64 - 1.0);
    if last_row < 0.0 {
        return Vec::new();
    }
    let mut rows = Vec::new();
    let mut crossings = Vec::new();
    for y in first_row..=last_row as u32 {
        let cy = y as f64 + 0.5;
        crossings.clear();
        for (i, a) in path.iter().enumerate() {
            let b = path[(i + 1) % path.len()];
            if (a[1] <= cy) != (b[1] <= cy) {
                crossings.push(a[0] + (cy - a[1]) / (b[1] - a[1]) * (b[0] - a[0]));
            }
        }
        crossings.sort_by(f64::total_cmp);
        for pair in crossings.chunks_exact(2) {
            // Pixel centres x + 0.5 in [pair[0], pair[1]).
            let start = (pair[0] - 0.5).ceil().max(0.0);
            let end = (pair[1] - 0.5).ceil().min(width as f64);
            let mut x = start;
            while x < end {
                rows.push(y * width + x as u32);
                x += 1.0;
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polygon_fill_takes_pixel_centres_inside() {
        // A 4 × 3 box from (1, 0) to (3, 2) covers the centres of x 1..=2, y 0..=1.
        let square = [[1.0, 0.0], [3.0, 0.0], [3.0, 2.0], [1.0, 2.0]];
        assert_eq!(pixels_in_polygon(4, 3, &square), [1, 2, 5, 6]);
        // A triangle with its right angle at the top left: (0,0), (4,0), (0,4) in a 4 × 4.
        let triangle = [[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]];
        let inside = pixels_in_polygon(4, 4, &triangle);
        // Centre (x+0.5, y+0.5) is inside when x + y + 1 < 4.
        let expected: Vec<u32> = (0..4u32)
            .flat_map(|y| (0..4u32).map(move |x| (x, y)))
            .filter(|&(x, y)| x + y + 1 < 4)
            .map(|(x, y)| y * 4 + x)
            .collect();
        assert_eq!(inside, expected);
        // Off the image: nothing.
        assert!(pixels_in_polygon(4, 4, &[[10.0, 10.0], [12.0, 10.0], [12.0, 12.0]]).is_empty());
    }
}
