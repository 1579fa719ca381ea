//! Export ▸ a view as a picture: any shown pane as PNG (the window's own pixels, cropped to
//! the pane, so it is exactly what is on screen), and the scatter as SVG (vector points with
//! axes, for papers and slides). Files are written off the UI thread, atomically.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use eframe::egui::{self, Color32, ColorImage};

use super::{ClusterscopeApp, Command, Pane};
use crate::cluster::NOISE;

/// Most points an SVG holds; above it an even subsample is written (and the file says so).
pub const MAX_SVG_POINTS: usize = 200_000;

/// What a view export writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewExport {
    /// The pane's pixels as PNG.
    Png(Pane),
    /// The scatter as SVG.
    ScatterSvg,
}

impl ViewExport {
    pub fn extension(self) -> &'static str {
        match self {
            ViewExport::Png(_) => "png",
            ViewExport::ScatterSvg => "svg",
        }
    }

    /// "penguins_scatter.png" beside an input named penguins.csv.
    pub fn file_name(self, input: Option<&Path>) -> String {
        let stem = input
            .and_then(|p| p.file_stem())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "clusterscope".into());
        let view = match self {
            ViewExport::Png(pane) => pane.title().to_lowercase().replace([' ', '&'], ""),
            ViewExport::ScatterSvg => "scatter".into(),
        };
        format!("{stem}_{view}.{}", self.extension())
    }
}

/// The part of `image` (a screenshot of the whole window) under `rect` (points), clamped to
/// the image.
pub fn crop(image: &ColorImage, rect: egui::Rect, pixels_per_point: f32) -> ColorImage {
    let [width, height] = image.size;
    let to_px =
        |v: f32, limit: usize| ((v * pixels_per_point).round().max(0.0) as usize).min(limit);
    let (x0, x1) = (to_px(rect.min.x, width), to_px(rect.max.x, width));
    let (y0, y1) = (to_px(rect.min.y, height), to_px(rect.max.y, height));
    let mut pixels = Vec::with_capacity((x1 - x0) * (y1 - y0));
    for row in y0..y1 {
        pixels.extend_from_slice(&image.pixels[row * width + x0..row * width + x1]);
    }
    ColorImage::new([x1 - x0, y1 - y0], pixels)
}

/// Encodes `image` as an RGBA PNG at `path` (atomically; never over `input`).
pub fn write_png(image: &ColorImage, path: &Path, input: Option<&Path>) -> Result<(), String> {
    use image::ImageEncoder;
    let bytes: Vec<u8> = image.pixels.iter().flat_map(|c| c.to_array()).collect();
    crate::data::write_atomically(path, input, |file| {
        image::codecs::png::PngEncoder::new(std::io::BufWriter::new(file))
            .write_image(
                &bytes,
                image.size[0] as u32,
                image.size[1] as u32,
                image::ExtendedColorType::Rgba8,
            )
            .map_err(|e| e.to_string())
    })
    .map_err(|e| e.to_string())
}

/// A scatter to draw as SVG.
pub struct SvgScatter<'a> {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// [x min, y min, x max, y max] of the data.
    pub bounds: [f64; 4],
    pub coordinates: &'a [[f32; 2]],
    /// Each row's colour; None leaves the row out (a hidden cluster).
    pub colour: &'a dyn Fn(usize) -> Option<Color32>,
    /// Legend entries (name, colour), drawn right of the plot.
    pub legend: Vec<(String, Color32)>,
}

const WIDTH: f64 = 800.0;
const HEIGHT: f64 = 600.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
/// Width of the legend column, when there is a legend.
const LEGEND: f64 = 170.0;
/// Legend entries shown at most (the rest are summed up in one line).
const MAX_LEGEND: usize = 30;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 55.0;

/// The scatter as an SVG document: points grouped by colour, a frame, ticks and labels.
pub fn scatter_svg(scatter: &SvgScatter<'_>) -> String {
    use std::fmt::Write;
    let [x0, y0, x1, y1] = widen(scatter.bounds);
    let legend_w = if scatter.legend.is_empty() {
        0.0
    } else {
        LEGEND
    };
    let plot_w = WIDTH - LEFT - RIGHT - legend_w;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let sx = |x: f64| LEFT + (x - x0) / (x1 - x0) * plot_w;
    let sy = |y: f64| TOP + (1.0 - (y - y0) / (y1 - y0)) * plot_h;
    let n = scatter.coordinates.len();
    let step = n.div_ceil(MAX_SVG_POINTS).max(1);

    let mut groups: std::collections::BTreeMap<[u8; 4], String> = Default::default();
    let mut drawn = 0usize;
    for (row, p) in scatter.coordinates.iter().enumerate().step_by(step) {
        let (x, y) = (p[0] as f64, p[1] as f64);
        if !(x.is_finite() && y.is_finite()) {
            continue;
        }
        let Some(colour) = (scatter.colour)(row) else {
            continue;
        };
        let group = groups.entry(colour.to_array()).or_default();
        let _ = write!(
            group,
            r#"<circle cx="{:.2}" cy="{:.2}" r="2"/>"#,
            sx(x),
            sy(y)
        );
        drawn += 1;
    }

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    if drawn < n {
        let _ = writeln!(
            svg,
            "<!-- {drawn} of {n} points: an even subsample (at most {MAX_SVG_POINTS}) -->"
        );
    }
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="15">{}</text>"#,
        WIDTH / 2.0,
        escape(&scatter.title)
    );
    let _ = writeln!(
        svg,
        r##"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#444"/>"##
    );
    for tick in ticks(x0, x1) {
        let x = sx(tick);
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.2}" y1="{}" x2="{x:.2}" y2="{}" stroke="#444"/><text x="{x:.2}" y="{}" text-anchor="middle">{}</text>"##,
            TOP + plot_h,
            TOP + plot_h + 5.0,
            TOP + plot_h + 18.0,
            format_tick(tick)
        );
    }
    for tick in ticks(y0, y1) {
        let y = sy(tick);
        let _ = writeln!(
            svg,
            r##"<line x1="{}" y1="{y:.2}" x2="{LEFT}" y2="{y:.2}" stroke="#444"/><text x="{}" y="{:.2}" text-anchor="end">{}</text>"##,
            LEFT - 5.0,
            LEFT - 8.0,
            y + 4.0,
            format_tick(tick)
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 12.0,
        escape(&scatter.x_label)
    );
    let _ = writeln!(
        svg,
        r#"<text transform="translate(18 {}) rotate(-90)" text-anchor="middle">{}</text>"#,
        TOP + plot_h / 2.0,
        escape(&scatter.y_label)
    );
    for ([r, g, b, a], circles) in groups {
        let opacity = a as f64 / 255.0;
        let _ = writeln!(
            svg,
            r##"<g fill="#{r:02x}{g:02x}{b:02x}" fill-opacity="{opacity:.3}" stroke="none">{circles}</g>"##
        );
    }
    let legend_x = LEFT + plot_w + 15.0;
    for (i, (name, colour)) in scatter.legend.iter().take(MAX_LEGEND).enumerate() {
        let y = TOP + 8.0 + i as f64 * 16.0;
        let [r, g, b, _] = colour.to_array();
        let _ = writeln!(
            svg,
            r##"<rect x="{legend_x}" y="{}" width="10" height="10" fill="#{r:02x}{g:02x}{b:02x}"/><text x="{}" y="{y}">{}</text>"##,
            y - 9.0,
            legend_x + 15.0,
            escape(name)
        );
    }
    if scatter.legend.len() > MAX_LEGEND {
        let _ = writeln!(
            svg,
            r#"<text x="{legend_x}" y="{}">… and {} more</text>"#,
            TOP + 8.0 + MAX_LEGEND as f64 * 16.0,
            scatter.legend.len() - MAX_LEGEND
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Bounds with a 4 % margin, and a unit span where the data has none.
fn widen([x0, y0, x1, y1]: [f64; 4]) -> [f64; 4] {
    let pad = |lo: f64, hi: f64| {
        let span = hi - lo;
        if span.is_finite() && span > 0.0 {
            (lo - span * 0.04, hi + span * 0.04)
        } else if lo.is_finite() {
            (lo - 0.5, lo + 0.5)
        } else {
            (0.0, 1.0)
        }
    };
    let (x0, x1) = pad(x0, x1);
    let (y0, y1) = pad(y0, y1);
    [x0, y0, x1, y1]
}

/// About seven round tick values inside [lo, hi].
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let raw = (hi - lo) / 7.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

fn format_tick(value: f64) -> String {
    let text = format!("{:.6}", value);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl ClusterscopeApp {
    /// Export ▸ the views.
    pub(super) fn view_export_menu_ui(&mut self, ui: &mut egui::Ui) {
        let input = self.table.as_ref().map(|t| t.path.clone());
        for pane in [Pane::Scatter, Pane::Image, Pane::Structure] {
            let shown = self.pane_rect(pane).is_some();
            if pane != Pane::Scatter && !shown {
                continue;
            }
            let text = format!("{} view as PNG…", pane.title());
            if ui.add_enabled(shown, egui::Button::new(text)).clicked() {
                let kind = ViewExport::Png(pane);
                self.command(Command::PickViewExport {
                    kind,
                    name: kind.file_name(input.as_deref()),
                });
                ui.close();
            }
        }
        let can_svg = self.projection.is_some();
        if ui
            .add_enabled(can_svg, egui::Button::new("Scatter view as SVG…"))
            .clicked()
        {
            let kind = ViewExport::ScatterSvg;
            self.command(Command::PickViewExport {
                kind,
                name: kind.file_name(input.as_deref()),
            });
            ui.close();
        }
    }

    /// Writes the view export `kind` to `path`.
    pub(super) fn export_view_to(&mut self, path: PathBuf, kind: ViewExport) {
        let input = self.table.as_ref().map(|t| t.path.clone());
        match kind {
            ViewExport::Png(pane) => {
                let Some(rect) = self.pane_rect(pane) else {
                    self.notices.error = Some(format!("The {} view is not shown", pane.title()));
                    return;
                };
                self.notices.info = Some(format!("Exporting {}…", path.display()));
                self.jobs.screenshot_to_png(rect, path, input);
            }
            ViewExport::ScatterSvg => match self.scatter_svg() {
                Ok(svg) => {
                    self.notices.info = Some(format!("Exporting {}…", path.display()));
                    self.jobs.write_text(path, input, svg);
                }
                Err(error) => self.notices.error = Some(error),
            },
        }
    }

    /// The scatter as shown (same coordinates, colours and hidden clusters) as SVG.
    fn scatter_svg(&mut self) -> Result<String, String> {
        let column = self.column_colours();
        let projection = self
            .projection
            .as_ref()
            .ok_or("Nothing to export yet: the scatter is still being computed")?;
        let clustering = self
            .clustering
            .as_ref()
            .filter(|c| Arc::ptr_eq(&c.points, &projection.points));
        let styles = &self.styles;
        let colour = |row: usize| -> Option<Color32> {
            let label = clustering.and_then(|c| c.result.labels.get(row).copied());
            if label.is_some_and(|l| !styles.visible(l)) {
                return None;
            }
            Some(match (&column, label) {
                (Some(column), _) => {
                    column.colour(column.codes.get(row).copied().unwrap_or(u32::MAX))
                }
                (None, Some(NOISE)) => super::palette::NOISE,
                (None, Some(label)) => styles.color(label),
                (None, None) => super::palette::LEFT_OUT,
            })
        };
        let name = self
            .table
            .as_ref()
            .and_then(|t| t.path.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let coloured_by = match &column {
            Some(column) => format!("coloured by {}", column.column),
            None => match clustering {
                Some(c) => format!("{} clusters ({})", c.n_clusters(), c.params.algorithm),
                None => "not clustered".into(),
            },
        };
        let legend = match (&column, clustering) {
            (Some(column), _) => match &column.key {
                super::ColourKey::Continuous { min, max } => vec![
                    (format!("{} {min:.4}", column.column), column.colours[0]),
                    (
                        format!("{} {max:.4}", column.column),
                        column.colours[column.colours.len() - 1],
                    ),
                ],
                super::ColourKey::Categorical { names, .. } => names
                    .iter()
                    .cloned()
                    .zip(column.colours.iter().copied())
                    .collect(),
            },
            (None, Some(c)) => {
                let mut entries: Vec<(String, Color32)> = (0..c.sizes.len() as u32)
                    .filter(|&id| c.sizes[id as usize] > 0 && styles.visible(id))
                    .map(|id| {
                        (
                            format!("{} ({})", styles.name(id), c.sizes[id as usize]),
                            styles.color(id),
                        )
                    })
                    .collect();
                let noise = c.result.n_noise();
                if noise > 0 && styles.visible(NOISE) {
                    entries.push((format!("Noise ({noise})"), super::palette::NOISE));
                }
                entries
            }
            (None, None) => Vec::new(),
        };
        Ok(scatter_svg(&SvgScatter {
            legend,
            title: format!("{name}: {coloured_by}"),
            x_label: projection.axis_labels.0.clone(),
            y_label: projection.axis_labels.1.clone(),
            bounds: projection.bounds,
            coordinates: &projection.coordinates,
            colour: &colour,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_svg_holds_one_circle_per_visible_point_grouped_by_colour() {
        let coordinates = [[0.0, 0.0], [1.0, 1.0], [2.0, 0.5], [f32::NAN, 1.0]];
        let colour = |row: usize| match row {
            0 | 1 => Some(Color32::from_rgb(255, 0, 0)),
            2 => None,
            _ => Some(Color32::from_rgb(0, 0, 255)),
        };
        let svg = scatter_svg(&SvgScatter {
            title: "a<b & \"c\"".into(),
            x_label: "PC 1".into(),
            y_label: "PC 2".into(),
            bounds: [0.0, 0.0, 2.0, 1.0],
            coordinates: &coordinates,
            colour: &colour,
            legend: vec![("red <1>".into(), Color32::from_rgb(255, 0, 0))],
        });
        assert_eq!(svg.matches("<circle").count(), 2, "{svg}");
        assert!(svg.contains("red &lt;1&gt;"), "the legend names the colour");
        assert_eq!(svg.matches(r##"<g fill="#ff0000""##).count(), 1);
        assert!(!svg.contains("#0000ff"), "the NaN row is left out");
        assert!(svg.contains("a&lt;b &amp; &quot;c&quot;"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        // The first point sits at the left of the plot (4 % margin), the second higher up.
        assert!(svg.contains(r#"<circle cx="90.00""#), "{svg}");
    }

    #[test]
    fn large_scatters_are_subsampled_and_say_so() {
        let coordinates = vec![[0.5f32, 0.5]; MAX_SVG_POINTS * 2 + 1];
        let colour = |_| Some(Color32::BLACK);
        let svg = scatter_svg(&SvgScatter {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            bounds: [0.0, 0.0, 1.0, 1.0],
            coordinates: &coordinates,
            colour: &colour,
            legend: Vec::new(),
        });
        let circles = svg.matches("<circle").count();
        assert!(circles <= MAX_SVG_POINTS, "{circles}");
        assert!(svg.contains(&format!("{circles} of {} points", coordinates.len())));
    }

    #[test]
    fn ticks_are_round_and_inside_the_range() {
        let shown = |lo, hi| {
            ticks(lo, hi)
                .into_iter()
                .map(format_tick)
                .collect::<Vec<_>>()
        };
        assert_eq!(shown(0.0, 10.0), ["0", "2", "4", "6", "8", "10"]);
        assert_eq!(
            shown(-0.13, 0.41),
            ["-0.1", "0", "0.1", "0.2", "0.3", "0.4"]
        );
        assert_eq!(format_tick(0.30000000000000004), "0.3");
    }

    #[test]
    fn a_crop_takes_the_pane_pixels_and_stays_inside_the_image() {
        let mut pixels = vec![Color32::BLACK; 8 * 4];
        pixels[8 + 2] = Color32::RED; // (2, 1)
        let image = ColorImage::new([8, 4], pixels);
        // Points at 2 pixels per point: (1, 0.5)–(2, 2) → pixels (2, 1)–(4, 4).
        let rect = egui::Rect::from_min_max(egui::pos2(1.0, 0.5), egui::pos2(2.0, 2.0));
        let cropped = crop(&image, rect, 2.0);
        assert_eq!(cropped.size, [2, 3]);
        assert_eq!(cropped.pixels[0], Color32::RED);
        let outside = egui::Rect::from_min_max(egui::pos2(3.0, 1.0), egui::pos2(40.0, 40.0));
        assert_eq!(crop(&image, outside, 2.0).size, [2, 2]);
    }

    #[test]
    fn a_png_export_writes_the_pixels() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("view.png");
        let image = ColorImage::new([3, 2], vec![Color32::from_rgb(10, 20, 30); 6]);
        write_png(&image, &path, None).unwrap();
        let back = image::open(&path).unwrap().to_rgba8();
        assert_eq!(back.dimensions(), (3, 2));
        assert_eq!(back.get_pixel(2, 1).0, [10, 20, 30, 255]);
    }

    #[test]
    fn file_names_follow_the_input() {
        let input = Path::new("/data/penguins.csv");
        assert_eq!(
            ViewExport::Png(Pane::Scatter).file_name(Some(input)),
            "penguins_scatter.png"
        );
        assert_eq!(
            ViewExport::ScatterSvg.file_name(None),
            "clusterscope_scatter.svg"
        );
    }
}
