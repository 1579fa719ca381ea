//! The silhouette plot (Rousseeuw 1987, as Orange and scikit-learn's gallery draw it): one
//! horizontal bar per scored row, grouped by cluster and sorted within each, the mean per
//! cluster beside its group and the overall mean as a dashed line. Dragging over bars
//! (the low ones sit at the bottom of each group) selects those rows in every view.

use eframe::egui::{self, Color32, Pos2, Rect, Sense, Stroke, vec2};

use super::{ClusterscopeApp, Selection};
use crate::cluster::NOISE;
use crate::metrics::summary::RowSilhouette;

/// Points between two clusters' groups of bars.
const GROUP_GAP: f32 = 6.0;
/// Width kept left of the bars for the clusters' names and means.
const LABEL_WIDTH: f32 = 130.0;
/// Height kept under the bars for the axis.
const AXIS_HEIGHT: f32 = 18.0;

/// One cluster's bars, highest first.
pub struct BarGroup {
    pub cluster: u32,
    pub bars: Vec<RowSilhouette>,
    pub mean: f64,
}

/// What the plot draws, built once per scored result (off the UI thread).
pub struct SilhouettePlot {
    pub groups: Vec<BarGroup>,
    pub mean: f64,
    /// The lowest value shown on the axis (at most −0.1).
    pub axis_min: f32,
}

impl SilhouettePlot {
    /// Groups `rows` by their cluster in `labels` (by id), each sorted high to low.
    pub fn new(rows: Vec<RowSilhouette>, labels: &[u32], mean: f64) -> Self {
        let mut groups: Vec<BarGroup> = Vec::new();
        let mut sorted = rows;
        sorted.sort_by(|a, b| {
            let (la, lb) = (labels[a.row as usize], labels[b.row as usize]);
            la.cmp(&lb)
                .then(b.value.total_cmp(&a.value))
                .then(a.row.cmp(&b.row))
        });
        for bar in sorted {
            let cluster = labels[bar.row as usize];
            if cluster == NOISE {
                continue;
            }
            match groups.last_mut() {
                Some(group) if group.cluster == cluster => group.bars.push(bar),
                _ => groups.push(BarGroup {
                    cluster,
                    bars: vec![bar],
                    mean: 0.0,
                }),
            }
        }
        let mut lowest = 0f32;
        for group in &mut groups {
            group.mean = group.bars.iter().map(|b| b.value as f64).sum::<f64>()
                / group.bars.len().max(1) as f64;
            if let Some(last) = group.bars.last() {
                lowest = lowest.min(last.value);
            }
        }
        Self {
            groups,
            mean,
            // The small offset keeps −0.3 from flooring to −0.4 through rounding.
            axis_min: ((lowest * 10.0 + 1e-3).floor() / 10.0).min(-0.1),
        }
    }

    fn n_bars(&self) -> usize {
        self.groups.iter().map(|g| g.bars.len()).sum()
    }

    /// The top of each group and the height of one bar in `rect`.
    fn layout(&self, rect: Rect) -> (Vec<f32>, f32) {
        let gaps = GROUP_GAP * self.groups.len().saturating_sub(1) as f32;
        let bar = ((rect.height() - gaps) / self.n_bars().max(1) as f32).max(0.0);
        let mut tops = Vec::with_capacity(self.groups.len());
        let mut y = rect.top();
        for group in &self.groups {
            tops.push(y);
            y += bar * group.bars.len() as f32 + GROUP_GAP;
        }
        (tops, bar)
    }

    /// The rows whose bars overlap the vertical span `y0..y1` of `rect`.
    pub fn rows_between(&self, rect: Rect, y0: f32, y1: f32) -> Vec<u32> {
        let (low, high) = (y0.min(y1), y0.max(y1));
        let (tops, bar) = self.layout(rect);
        let mut rows = Vec::new();
        for (group, &top) in self.groups.iter().zip(&tops) {
            for (i, b) in group.bars.iter().enumerate() {
                let y = top + bar * i as f32;
                if y + bar > low && y <= high {
                    rows.push(b.row);
                }
            }
        }
        rows
    }

    /// The bar under `y`, with its cluster.
    fn bar_at(&self, rect: Rect, y: f32) -> Option<(u32, RowSilhouette)> {
        let (tops, bar) = self.layout(rect);
        if bar <= 0.0 {
            return None;
        }
        self.groups.iter().zip(&tops).find_map(|(group, &top)| {
            let i = ((y - top) / bar).floor();
            (i >= 0.0 && (i as usize) < group.bars.len())
                .then(|| (group.cluster, group.bars[i as usize]))
        })
    }
}

/// Where a drag over the bars began (screen y).
#[derive(Default)]
pub struct SilhouetteDrag {
    from: Option<f32>,
    /// Where it is now (the pointer may be gone by the frame the drag ends).
    to: Option<f32>,
    /// Where the bars were drawn last frame.
    bars: Option<Rect>,
}

impl ClusterscopeApp {
    /// The silhouette plot's bar and group counts, once the scores are in.
    pub fn silhouette_bars(&self) -> Option<(usize, usize)> {
        let Some(Ok(shown)) = &self.scores.result else {
            return None;
        };
        Some((shown.plot.n_bars(), shown.plot.groups.len()))
    }

    /// Where the silhouette plot's bars were drawn last frame (tests drag over them).
    pub fn silhouette_bars_rect(&self) -> Option<Rect> {
        self.silhouette_drag.bars
    }

    /// The Silhouette pane.
    pub(super) fn silhouette_ui(&mut self, ui: &mut egui::Ui) {
        let Some(result) = &self.scores.result else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.weak(if self.clustering.is_some() {
                    "Scoring…"
                } else {
                    "No clustering yet"
                });
            });
            return;
        };
        let shown = match result {
            Ok(shown) => shown,
            Err(error) => {
                ui.weak(format!("No silhouette: {error}"));
                return;
            }
        };
        let plot = &shown.plot;
        let scores = &shown.scores;
        let of = match scores.sampled {
            Some(rows) => format!("the {rows} sampled rows of {}", scores.scored),
            None => format!("all {} rows", scores.scored),
        };
        ui.label(format!(
            "Silhouette of {of}, by cluster, highest first; dashed: the mean {:.3}. Drag over \
             bars to select their rows.",
            scores.silhouette
        ));
        let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
        let bars = Rect::from_min_max(
            rect.min + vec2(LABEL_WIDTH, 0.0),
            rect.max - vec2(8.0, AXIS_HEIGHT),
        );
        if bars.width() <= 10.0 || bars.height() <= 10.0 {
            return;
        }
        self.silhouette_drag.bars = Some(bars);
        let x_of =
            |v: f32| bars.left() + (v - plot.axis_min) / (1.0 - plot.axis_min) * bars.width();
        let painter = ui.painter_at(rect);
        let visuals = ui.visuals().clone();
        let (tops, bar) = plot.layout(bars);

        let mut mesh = egui::Mesh::default();
        let zero = x_of(0.0);
        for (group, &top) in plot.groups.iter().zip(&tops) {
            let mut color = self.styles.color(group.cluster);
            if !self.styles.visible(group.cluster) {
                color = color.gamma_multiply(0.3);
            }
            for (i, b) in group.bars.iter().enumerate() {
                let y = top + bar * i as f32;
                let x = x_of(b.value);
                let selected = self.selection.as_ref().is_some_and(|s| s.contains(b.row));
                let fill = if selected {
                    visuals.selection.bg_fill
                } else {
                    color
                };
                mesh.add_colored_rect(
                    Rect::from_min_max(
                        Pos2::new(zero.min(x), y),
                        Pos2::new(zero.max(x).max(zero.min(x) + 0.5), y + bar.max(0.5)),
                    ),
                    fill,
                );
            }
            let height = bar * group.bars.len() as f32;
            if height >= 11.0 {
                painter.text(
                    Pos2::new(rect.left() + 2.0, top + height / 2.0),
                    egui::Align2::LEFT_CENTER,
                    format!("{}  {:.2}", self.styles.name(group.cluster), group.mean),
                    egui::FontId::proportional(12.0),
                    visuals.text_color(),
                );
            }
        }
        painter.add(egui::Shape::mesh(mesh));

        // The axis: 0, the mean, ticks every 0.2.
        let axis_y = bars.bottom() + 2.0;
        let weak = visuals.weak_text_color();
        painter.line_segment(
            [Pos2::new(zero, bars.top()), Pos2::new(zero, bars.bottom())],
            Stroke::new(1.0, weak),
        );
        let mut tick = (plot.axis_min * 5.0).ceil() / 5.0;
        while tick <= 1.0 + 1e-6 {
            let x = x_of(tick);
            painter.line_segment(
                [Pos2::new(x, axis_y), Pos2::new(x, axis_y + 3.0)],
                Stroke::new(1.0, weak),
            );
            painter.text(
                Pos2::new(x, axis_y + 3.0),
                egui::Align2::CENTER_TOP,
                // Never "-0.0".
                format!("{:.1}", if tick.abs() < 1e-6 { 0.0 } else { tick }),
                egui::FontId::proportional(10.0),
                weak,
            );
            tick += 0.2;
        }
        let mean_x = x_of(plot.mean as f32);
        painter.add(egui::Shape::dashed_line(
            &[
                Pos2::new(mean_x, bars.top()),
                Pos2::new(mean_x, bars.bottom()),
            ],
            Stroke::new(1.5, Color32::from_rgb(220, 60, 60)),
            5.0,
            4.0,
        ));

        // Dragging selects the rows under the swept band.
        let pointer_y = response
            .interact_pointer_pos()
            .or(ui.input(|i| i.pointer.latest_pos()))
            .map(|p| p.y);
        if response.drag_started() {
            // Where the button went down: egui reports the start once the pointer moved.
            self.silhouette_drag.from = ui
                .input(|i| i.pointer.press_origin())
                .map(|p| p.y)
                .or(pointer_y);
        }
        if response.dragged() {
            self.silhouette_drag.to = pointer_y.or(self.silhouette_drag.to);
            if let (Some(from), Some(to)) = (self.silhouette_drag.from, self.silhouette_drag.to) {
                let band = Rect::from_x_y_ranges(bars.x_range(), from.min(to)..=from.max(to));
                painter.rect_filled(band, 0.0, visuals.selection.bg_fill.gamma_multiply(0.25));
            }
        }
        if response.drag_stopped() {
            let from = self.silhouette_drag.from.take();
            let to = pointer_y.or(self.silhouette_drag.to.take());
            if let (Some(from), Some(to)) = (from, to) {
                let rows = plot.rows_between(bars, from, to);
                let selection = (!rows.is_empty()).then(|| Selection::new(rows, "silhouette plot"));
                self.set_selection(selection);
                // The plot stays in front: the scatter shows the rows.
                self.front_pane = Some(super::Pane::Silhouette);
            }
        } else if let Some(pointer) = response.hover_pos()
            && let Some((cluster, bar)) = plot.bar_at(bars, pointer.y)
        {
            response.on_hover_text(format!(
                "Row {} · {} · silhouette {:.3}",
                bar.row,
                self.styles.name(cluster),
                bar.value
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(row: u32, value: f32) -> RowSilhouette {
        RowSilhouette { row, value }
    }

    #[test]
    fn bars_group_by_cluster_and_sort_high_to_low() {
        let labels = [1, 0, 1, NOISE, 0, 1];
        let plot = SilhouettePlot::new(
            vec![
                bar(0, 0.2),
                bar(1, 0.9),
                bar(2, 0.7),
                bar(4, -0.3),
                bar(5, 0.4),
            ],
            &labels,
            0.38,
        );
        let groups: Vec<(u32, Vec<u32>)> = plot
            .groups
            .iter()
            .map(|g| (g.cluster, g.bars.iter().map(|b| b.row).collect()))
            .collect();
        assert_eq!(groups, vec![(0, vec![1, 4]), (1, vec![2, 5, 0])]);
        assert!((plot.groups[0].mean - 0.3).abs() < 1e-6);
        assert_eq!(plot.axis_min, -0.3);
    }

    #[test]
    fn a_drag_over_the_bottom_of_a_group_selects_its_lowest_rows() {
        let labels = [0, 0, 0, 0, 1, 1, 1, 1];
        let rows = (0..8).map(|r| bar(r, 0.9 - 0.1 * r as f32)).collect();
        let plot = SilhouettePlot::new(rows, &labels, 0.5);
        // 8 bars of 10 points and one gap of 6: cluster 0 spans 0..40, cluster 1 46..86.
        let rect = Rect::from_min_size(Pos2::ZERO, vec2(100.0, 86.0));
        assert_eq!(plot.rows_between(rect, 31.0, 39.0), vec![3]);
        assert_eq!(plot.rows_between(rect, 66.0, 86.0), vec![6, 7]);
        assert_eq!(
            plot.bar_at(rect, 50.0).map(|(c, b)| (c, b.row)),
            Some((1, 4))
        );
    }
}
