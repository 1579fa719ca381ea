//! The Outliers pane: any detector of [`crate::outliers`] with its declared parameters,
//! scored off the UI thread (newest request wins, cancellable); the scores' histogram with
//! the threshold as a line that a drag moves (or a contamination share sets); the rows
//! above it listed in a table sortable by any column, selectable in every view, colourable
//! by score, and exported with their scores. Every export of labelled data carries
//! `outlier_score` and `is_outlier` once there are scores for the shown features.

use std::collections::BTreeMap;
use std::sync::Arc;

use eframe::egui;
use egui_extras::{Column, TableBuilder};
use egui_plot::{Bar, BarChart, Plot, VLine};

use super::{ClusterscopeApp, Selection};
use crate::cluster::{CancelToken, ParamValues};
use crate::matrix::Matrix;
use crate::outliers::{Cutoff, DETECTORS, OutlierScores, cutoff::percentile};

/// Bars in the histogram.
const BINS: usize = 60;
/// The source of a selection made here; such a selection follows the threshold.
const OUTLIER_SELECTION: &str = "outliers";
/// Rows listed in the table at most (the highest scores).
const MAX_LISTED: usize = 1_000;

/// What the pane holds between frames.
pub struct OutliersState {
    pub method: &'static str,
    /// Parameter values per detector, as the user left them.
    values: BTreeMap<&'static str, ParamValues>,
    pub cutoff: Cutoff,
    /// The request in flight: its key and cancel token.
    running: Option<(u64, CancelToken)>,
    next_key: u64,
    /// What the last request asked for, so an unchanged one is not sent again.
    asked: Option<RequestKey>,
    pub result: Option<Result<Arc<ScoredRows>, String>>,
    /// Sort the listed rows by this column (None: the score), descending when true.
    sort: (Option<usize>, bool),
}

impl Default for OutliersState {
    fn default() -> Self {
        Self {
            method: "lof",
            values: BTreeMap::new(),
            cutoff: Cutoff::default(),
            running: None,
            next_key: 0,
            asked: None,
            result: None,
            sort: (None, true),
        }
    }
}

/// What a request depends on.
#[derive(Clone, PartialEq)]
struct RequestKey {
    points: usize,
    method: &'static str,
    params: String,
    /// The clustering scored against (centroid), by (generation, revision).
    clustering: Option<(u64, u64)>,
}

/// Per table row, the score and the flag (None: the row was not scored), for exports.
pub struct OutlierColumns {
    pub scores: Vec<Option<f64>>,
    pub flags: Vec<Option<bool>>,
}

/// Scores of the rows of one feature matrix.
pub struct ScoredRows {
    pub scores: OutlierScores,
    pub points: Arc<Matrix>,
    /// The scores sorted, for percentiles and the histogram.
    sorted: Vec<f64>,
}

impl ScoredRows {
    pub fn new(scores: OutlierScores, points: Arc<Matrix>) -> Self {
        let mut sorted = scores.scores.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        Self {
            scores,
            points,
            sorted,
        }
    }

    pub fn threshold(&self, cutoff: &Cutoff) -> f64 {
        match *cutoff {
            Cutoff::Contamination(share) => percentile(&self.sorted, 100.0 * (1.0 - share)),
            Cutoff::Threshold(t) => t,
        }
    }

    /// Matrix rows scoring above `threshold`.
    pub fn above(&self, threshold: f64) -> Vec<u32> {
        (0..self.scores.scores.len() as u32)
            .filter(|&r| self.scores.scores[r as usize] > threshold)
            .collect()
    }

    /// The histogram's range: the lowest score to the 99.5th percentile (or the threshold,
    /// when higher), so a few extreme scores (LOF of repeated rows reaches 10¹⁰) do not
    /// squeeze the rest into one bar; higher scores go in the last bar.
    fn histogram_range(&self, threshold: f64) -> (f64, f64) {
        let low = self.sorted.first().copied().unwrap_or(0.0);
        let high = percentile(&self.sorted, 99.5)
            .max(threshold.min(self.sorted.last().copied().unwrap_or(threshold)));
        if high > low {
            (low, high)
        } else {
            (low, low + 1.0)
        }
    }
}

impl ClusterscopeApp {
    /// Scores the shown features with the chosen detector unless that has been asked for.
    fn request_outliers(&mut self) {
        let Some(prepared) = self.prepared.clone() else {
            return;
        };
        let method = self.outliers.method;
        let params: ParamValues = self
            .outliers
            .values
            .get(method)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .collect();
        let clustering = self
            .clustering
            .as_ref()
            .filter(|c| Arc::ptr_eq(&c.points, &prepared.points));
        let key = RequestKey {
            points: Arc::as_ptr(&prepared.points) as usize,
            method,
            params: serde_json::to_string(&params).unwrap_or_default(),
            clustering: (method == "centroid")
                .then(|| clustering.map(|c| (c.generation, c.revision)))
                .flatten(),
        };
        if self.outliers.asked.as_ref() == Some(&key) {
            return;
        }
        // A parameter the detector refuses is shown under the controls; nothing runs.
        if let Ok(detector) = crate::outliers::find(method)
            && detector
                .check(&params, Some(prepared.points.n_rows))
                .is_err()
        {
            return;
        }
        self.outliers.asked = Some(key);
        if let Some((_, cancel)) = self.outliers.running.take() {
            cancel.cancel();
        }
        self.outliers.next_key += 1;
        let request = self.outliers.next_key;
        let cancel = CancelToken::default();
        self.outliers.running = Some((request, cancel.clone()));
        let labels = (method == "centroid")
            .then(|| clustering.map(|c| c.result.labels.clone()))
            .flatten();
        self.jobs.outliers(
            request,
            Arc::clone(&prepared.points),
            method,
            params,
            labels,
            self.settings.backend,
            cancel,
        );
    }

    /// Scores arrived (or failed, or were cancelled).
    pub(super) fn outliers_scored(&mut self, key: u64, result: Result<Arc<ScoredRows>, String>) {
        if self.outliers.running.as_ref().is_some_and(|r| r.0 == key) {
            self.outliers.running = None;
            self.outliers.result = Some(result);
            self.colour_by_state.invalidate();
        }
    }

    /// The scores of the shown features, when they are up to date.
    pub(super) fn current_outliers(&self) -> Option<Arc<ScoredRows>> {
        let prepared = self.prepared.as_ref()?;
        match &self.outliers.result {
            Some(Ok(scored)) if Arc::ptr_eq(&scored.points, &prepared.points) => {
                Some(Arc::clone(scored))
            }
            _ => None,
        }
    }

    /// Test seam: how many rows the Outliers pane flags now (None before scores).
    #[doc(hidden)]
    pub fn outliers_flagged(&self) -> Option<usize> {
        let scored = self.current_outliers()?;
        Some(scored.above(scored.threshold(&self.outliers.cutoff)).len())
    }

    /// Test seam: flag this share of the rows.
    #[doc(hidden)]
    pub fn set_outlier_share(&mut self, share: f64) {
        self.outliers.cutoff = Cutoff::Contamination(share);
    }

    /// Per table row: the score and the flag, for exports (None without current scores).
    pub(super) fn outlier_columns(&self) -> Option<OutlierColumns> {
        let prepared = self.prepared.as_ref()?;
        let scored = self.current_outliers()?;
        let threshold = scored.threshold(&self.outliers.cutoff);
        let n = prepared.features.n_table_rows;
        let (mut scores, mut flags) = (vec![None; n], vec![None; n]);
        for (&row, &score) in prepared
            .features
            .table_rows
            .iter()
            .zip(&scored.scores.scores)
        {
            scores[row as usize] = Some(score);
            flags[row as usize] = Some(score > threshold);
        }
        Some(OutlierColumns { scores, flags })
    }

    pub(super) fn outliers_ui(&mut self, ui: &mut egui::Ui) {
        if self.prepared.is_none() {
            ui.weak("Open a table to score its rows.");
            return;
        }
        egui::ScrollArea::vertical()
            .id_salt("outliers_pane")
            .auto_shrink([false, false])
            .show(ui, |ui| self.outliers_contents_ui(ui));
    }

    fn outliers_contents_ui(&mut self, ui: &mut egui::Ui) {
        self.outlier_controls_ui(ui);
        self.request_outliers();
        ui.separator();
        match self.outliers.result.clone() {
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Scoring…");
                });
            }
            Some(Err(error)) => {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            Some(Ok(scored)) => {
                if self.outliers.running.is_some() {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Scoring again with the new settings…");
                        if ui.button("Cancel").clicked()
                            && let Some((_, cancel)) = self.outliers.running.take()
                        {
                            cancel.cancel();
                        }
                    });
                }
                self.outlier_results_ui(ui, &scored);
            }
        }
    }

    fn outlier_controls_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.label("Method:");
            let current = crate::outliers::find(self.outliers.method)
                .map(|d| d.info().name)
                .unwrap_or("?");
            egui::ComboBox::from_id_salt("outlier_method")
                .selected_text(current)
                .show_ui(ui, |ui| {
                    for detector in DETECTORS {
                        let info = detector.info();
                        ui.selectable_value(&mut self.outliers.method, info.id, info.name)
                            .on_hover_text(info.summary);
                    }
                });
        });
        let detector = match crate::outliers::find(self.outliers.method) {
            Ok(detector) => detector,
            Err(_) => return,
        };
        let info = detector.info();
        ui.weak(info.summary);
        let values = self.outliers.values.entry(info.id).or_insert_with(|| {
            info.parameters
                .iter()
                .map(|p| (p.name.to_string(), p.window_value()))
                .collect()
        });
        super::params_ui::params_ui(ui, info.id, info.parameters, values);
        let given: ParamValues = values
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let n_rows = self.prepared.as_ref().map(|p| p.points.n_rows);
        if let Err(error) = detector.check(&given, n_rows) {
            ui.colored_label(
                ui.visuals().error_fg_color,
                super::params_ui::render_error(&error),
            );
        }
        ui.horizontal(|ui| {
            let mut by_share = matches!(self.outliers.cutoff, Cutoff::Contamination(_));
            if ui
                .radio_value(&mut by_share, true, "Share")
                .on_hover_text("Flag this share of the rows: those scoring highest")
                .clicked()
            {
                self.outliers.cutoff = Cutoff::default();
            }
            let current_threshold = self
                .current_outliers()
                .map(|s| s.threshold(&self.outliers.cutoff));
            if ui
                .radio_value(&mut by_share, false, "Threshold")
                .on_hover_text(
                    "Flag the rows scoring above a value (drag the line in the histogram)",
                )
                .clicked()
                && let Some(t) = current_threshold
            {
                self.outliers.cutoff = Cutoff::Threshold(t);
            }
            match &mut self.outliers.cutoff {
                Cutoff::Contamination(share) => {
                    ui.add(
                        egui::Slider::new(share, 0.001..=0.5)
                            .logarithmic(true)
                            .custom_formatter(|v, _| format!("{:.1} %", v * 100.0))
                            .custom_parser(|t| {
                                t.trim_end_matches('%')
                                    .trim()
                                    .parse::<f64>()
                                    .ok()
                                    .map(|v| v / 100.0)
                            }),
                    );
                }
                Cutoff::Threshold(t) => {
                    ui.add(egui::DragValue::new(t).speed(0.01));
                }
            }
        });
    }

    fn outlier_results_ui(&mut self, ui: &mut egui::Ui, scored: &Arc<ScoredRows>) {
        let threshold = scored.threshold(&self.outliers.cutoff);
        let above = scored.above(threshold);
        let n = scored.scores.scores.len();
        // Once the outliers are selected, the selection follows the threshold as it moves.
        if let Some(selection) = &self.selection
            && selection.source == OUTLIER_SELECTION
            && selection.rows != above
        {
            self.selection = Some(Selection::new(above.clone(), OUTLIER_SELECTION));
        }
        ui.horizontal_wrapped(|ui| {
            ui.strong(format!(
                "{} of {} rows above {:.4}",
                above.len(),
                n,
                threshold
            ));
            ui.weak(format!(
                "({}, {}, {:.0} ms)",
                scored.scores.method, scored.scores.adapter, scored.scores.elapsed_ms
            ));
            for note in &scored.scores.notes {
                ui.weak(note);
            }
        });
        ui.horizontal(|ui| {
            if ui
                .button(format!("Select the {} outliers", above.len()))
                .on_hover_text("Select these rows in every view; the selection then follows the threshold")
                .clicked()
            {
                self.selection = Some(Selection::new(above.clone(), OUTLIER_SELECTION));
            }
            let mut by_score = self.colour_by == super::colour_by::ColourBy::OutlierScore;
            if ui
                .checkbox(&mut by_score, "Colour points by score")
                .changed()
            {
                self.colour_by = if by_score {
                    super::colour_by::ColourBy::OutlierScore
                } else {
                    super::colour_by::ColourBy::Cluster
                };
            }
            if ui
                .add_enabled(!above.is_empty(), egui::Button::new("Export outliers…"))
                .on_hover_text(
                    "Write the outlier rows with every column, the cluster, outlier_score and is_outlier",
                )
                .clicked()
            {
                self.selection = Some(Selection::new(above.clone(), OUTLIER_SELECTION));
                self.start_export(true);
            }
        });
        if let Some(t) = self.histogram_ui(ui, scored, threshold) {
            self.outliers.cutoff = Cutoff::Threshold(t);
        }
        self.outlier_table_ui(ui, scored, &above);
    }

    /// The histogram with the threshold line; a drag or click on it returns the new
    /// threshold.
    fn histogram_ui(&self, ui: &mut egui::Ui, scored: &ScoredRows, threshold: f64) -> Option<f64> {
        let (low, high) = scored.histogram_range(threshold);
        let width = (high - low) / BINS as f64;
        let mut counts = vec![0usize; BINS];
        for &s in &scored.sorted {
            let bin = (((s - low) / width) as usize).min(BINS - 1);
            counts[bin] += 1;
        }
        let bars: Vec<Bar> = counts
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let centre = low + width * (i as f64 + 0.5);
                let colour = if centre > threshold {
                    egui::Color32::from_rgb(220, 90, 60)
                } else {
                    egui::Color32::from_rgb(110, 140, 190)
                };
                Bar::new(centre, c as f64).width(width * 0.95).fill(colour)
            })
            .collect();
        let mut moved = None;
        Plot::new("outlier_histogram")
            .height(130.0)
            .allow_drag(false)
            .allow_zoom(false)
            .allow_scroll(false)
            .allow_boxed_zoom(false)
            .x_axis_label(format!("{} score", scored.scores.method))
            .y_axis_label("rows")
            .show(ui, |plot| {
                plot.bar_chart(BarChart::new("scores", bars));
                plot.vline(
                    VLine::new("threshold", threshold)
                        .color(egui::Color32::from_rgb(200, 40, 40))
                        .width(2.0),
                );
                let response = plot.response();
                if (response.dragged() || response.clicked())
                    && let Some(pointer) = plot.pointer_coordinate()
                {
                    moved = Some(pointer.x.clamp(low, high));
                }
            })
            .response
            .on_hover_text("Drag to move the threshold");
        moved
    }

    /// The rows above the threshold, highest score first, sortable by any column.
    fn outlier_table_ui(&mut self, ui: &mut egui::Ui, scored: &ScoredRows, above: &[u32]) {
        let (Some(prepared), Some(table)) = (self.prepared.clone(), self.table.clone()) else {
            return;
        };
        let columns: Vec<_> = prepared
            .features
            .columns
            .iter()
            .filter_map(|name| table.frame.column(name).ok().cloned())
            .collect();
        let numeric: Vec<Option<Vec<Option<f64>>>> = columns
            .iter()
            .map(|c| {
                c.cast(&polars::prelude::DataType::Float64)
                    .ok()
                    .and_then(|c| c.f64().ok().map(|v| v.iter().collect()))
            })
            .collect();
        let table_row = |m: u32| prepared.features.table_rows[m as usize];
        let mut rows = above.to_vec();
        let (sort, descending) = self.outliers.sort;
        let value = |m: u32| -> f64 {
            match sort {
                None => scored.scores.scores[m as usize],
                Some(c) => numeric[c]
                    .as_ref()
                    .and_then(|v| v[table_row(m) as usize])
                    .unwrap_or(f64::NAN),
            }
        };
        rows.sort_by(|&a, &b| {
            let order = value(a).total_cmp(&value(b));
            if descending { order.reverse() } else { order }
        });
        rows.truncate(MAX_LISTED);
        if above.len() > MAX_LISTED {
            ui.weak(format!("The first {MAX_LISTED} of {} rows", above.len()));
        }
        let mut clicked_sort = None;
        let mut clicked_row = None;
        egui::ScrollArea::horizontal()
            .id_salt("outlier_table")
            .show(ui, |ui| {
                TableBuilder::new(ui)
                    .id_salt("outlier_rows")
                    .vscroll(false)
                    .striped(true)
                    .resizable(true)
                    .sense(egui::Sense::click())
                    .column(Column::auto().at_least(50.0))
                    .column(Column::auto().at_least(80.0))
                    .columns(Column::auto().at_least(60.0).clip(true), columns.len())
                    .header(20.0, |mut header| {
                        header.col(|ui| {
                            ui.strong("row");
                        });
                        let arrow = |on: bool| match (on, descending) {
                            (false, _) => "",
                            (true, true) => " v",
                            (true, false) => " ^",
                        };
                        header.col(|ui| {
                            if ui
                                .button(format!("score{}", arrow(sort.is_none())))
                                .clicked()
                            {
                                clicked_sort = Some(None);
                            }
                        });
                        for (c, column) in columns.iter().enumerate() {
                            header.col(|ui| {
                                if ui
                                    .button(format!("{}{}", column.name(), arrow(sort == Some(c))))
                                    .clicked()
                                {
                                    clicked_sort = Some(Some(c));
                                }
                            });
                        }
                    })
                    .body(|body| {
                        body.rows(18.0, rows.len(), |mut row| {
                            let m = rows[row.index()];
                            let t = table_row(m);
                            row.set_selected(self.pinned_row == Some(m));
                            row.col(|ui| {
                                ui.label(t.to_string());
                            });
                            row.col(|ui| {
                                ui.label(format!("{:.4}", scored.scores.scores[m as usize]));
                            });
                            for column in &columns {
                                row.col(|ui| {
                                    let text = column
                                        .get(t as usize)
                                        .map(|v| v.to_string())
                                        .unwrap_or_default();
                                    ui.label(text);
                                });
                            }
                            if row.response().clicked() {
                                clicked_row = Some(m);
                            }
                        });
                    });
            });
        if let Some(column) = clicked_sort {
            self.outliers.sort = if self.outliers.sort.0 == column {
                (column, !self.outliers.sort.1)
            } else {
                (column, true)
            };
        }
        if let Some(m) = clicked_row {
            // The row is pinned: every view shows it, the hover card keeps its values.
            self.pinned_row = Some(m);
        }
    }
}
