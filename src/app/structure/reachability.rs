//! The OPTICS reachability plot: bars in cluster order, a draggable threshold, click a
//! valley to select it.

use std::sync::Arc;

use eframe::egui;
use egui_plot::{Bar, BarChart, HLine, Plot};

use super::note;
use crate::app::{ClusterscopeApp, Command, palette};
use crate::cluster::density::optics::{self, OpticsExtraction, OpticsOrdering};
use crate::cluster::{NOISE, StructureKind};

/// Bars at most; beyond, each bar is the maximum of its span.
const MAX_BARS: usize = 3000;

impl ClusterscopeApp {
    pub(super) fn reachability_ui(
        &mut self,
        ui: &mut egui::Ui,
        ordering: &Arc<OpticsOrdering>,
        extraction: OpticsExtraction,
    ) {
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
        let threshold = self.steered(StructureKind::Reachability);
        ui.horizontal(|ui| {
            ui.strong("Reachability");
            note(ui, match (threshold, extraction) {
                (Some(t), _) => format!("threshold {t:.4} · drag the line to re-extract, click a valley to select it"),
                (None, OpticsExtraction::Xi(xi)) => format!("ξ = {xi} · drag the line to extract by threshold instead, click a valley to select it"),
                (None, OpticsExtraction::Threshold(t)) => format!("threshold {t:.4} · drag the line to re-extract, click a valley to select it"),
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
                    self.styles.color(self.label_of_point(tallest))
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
                self.steer(StructureKind::Reachability, value);
                self.command(Command::Recut(optics::threshold_labels(ordering, value)));
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
}
