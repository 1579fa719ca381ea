//! The Sweep pane: one parameter of the chosen algorithm over a range (`crate::sweep`),
//! run off the UI thread with progress and cancel, each internal score plotted against
//! the value, the suggested value marked (the highest mean silhouette). Every run's
//! clustering is kept, so clicking a value shows it at once, and the controls follow.

use std::sync::Arc;

use eframe::egui;
use egui_plot::{Line, Plot, PlotPoints, Points, VLine};

use super::{Clustering, ClusterscopeApp};
use crate::cluster::params::{ParamKind, ParamSpec};
use crate::cluster::{AlgorithmInfo, AlgorithmParams, BackendChoice, CancelToken, StructureKind};
use crate::matrix::Matrix;
use crate::metrics::summary::SilhouetteMode;
use crate::sweep::{self, ParamRange, SUGGESTION_RULE, SweepOptions, SweepOutcome, SweepPlan};

/// At most this many scored rows per silhouette in a sweep; more are estimated from a
/// sample, as the legend's score is.
const EXACT_SILHOUETTE_ROWS: usize = 5_000;

/// What the pane holds between frames.
#[derive(Default)]
pub struct SweepPanel {
    /// The parameter swept (a name the chosen algorithm declares).
    param: Option<&'static str>,
    range_text: String,
    seeds: usize,
    /// The sweep in flight: its key, cancel token and progress.
    running: Option<(u64, CancelToken, usize, usize)>,
    next_key: u64,
    outcome: Option<Result<FinishedSweep, String>>,
    /// The value whose clustering is shown.
    shown: Option<usize>,
}

/// A finished sweep and what it ran on.
pub struct FinishedSweep {
    pub outcome: Arc<SweepOutcome>,
    pub points: Arc<Matrix>,
    pub params: AlgorithmParams,
    pub backend: BackendChoice,
    pub labels: Vec<String>,
}

/// The parameters a sweep can move: numbers (counts and reals).
fn sweepable(spec: &ParamSpec) -> bool {
    matches!(spec.kind, ParamKind::Count { .. } | ParamKind::Real { .. })
}

/// A starting range: k from 2 to 12; the radius a k-distance plot steers (DBSCAN's eps)
/// read off the data's own curve (`kdist`); other numbers from half to twice the current
/// value.
fn default_range(
    info: &AlgorithmInfo,
    spec: &ParamSpec,
    current: Option<&serde_json::Value>,
) -> String {
    let steered_by_kdistance = info
        .structures
        .iter()
        .any(|s| *s == StructureKind::KDistance && s.steers() == Some(spec.name));
    if steered_by_kdistance {
        return "kdist".into();
    }
    match spec.kind {
        ParamKind::Count { .. } if spec.name == "n_clusters" => "2..12".into(),
        ParamKind::Count { min, .. } => {
            let now = current.and_then(|v| v.as_u64()).unwrap_or(min.max(2));
            format!("{}..{}", (now / 2).max(min).max(1), now * 2)
        }
        ParamKind::Real { range } => {
            let now = current
                .and_then(crate::cluster::params::real::from_value)
                .filter(|v| v.is_finite() && *v > 0.0)
                .unwrap_or(0.5);
            let step = now * 0.25;
            // Inside the declared bounds: a bound the range may not touch is kept a step off.
            let mut start = step * 2.0;
            if start < range.min || (start == range.min && !range.min_inclusive) {
                start = range.min + if range.min_inclusive { 0.0 } else { step };
            }
            let mut end = now * 2.0;
            if end > range.max || (end == range.max && !range.max_inclusive) {
                end = range.max - if range.max_inclusive { 0.0 } else { step };
            }
            let text = |v: f64| format!("{}", (v * 1e4).round() / 1e4);
            format!("{}..{}:{}", text(start), text(end.max(start)), text(step))
        }
        _ => String::new(),
    }
}

impl ClusterscopeApp {
    /// A sweep's progress (kept only for the sweep in flight).
    pub(super) fn sweep_progress(&mut self, key: u64, done: usize, total: usize) {
        if let Some(running) = &mut self.sweep.running
            && running.0 == key
        {
            running.2 = done;
            running.3 = total;
        }
    }

    /// A sweep finished, failed or was cancelled.
    pub(super) fn swept(&mut self, key: u64, result: Result<FinishedSweep, String>) {
        if self.sweep.running.as_ref().is_some_and(|r| r.0 == key) {
            self.sweep.running = None;
            self.sweep.shown = None;
            self.sweep.outcome = Some(result);
        }
    }

    fn start_sweep(&mut self, spec: &'static ParamSpec) {
        let Some(prepared) = &self.prepared else {
            return;
        };
        let info = self.settings.algorithm_info();
        let text = format!("{}={}", spec.name, self.sweep.range_text);
        let range = match ParamRange::parse(&text, info, &|name| super::params_ui::label_of(name)) {
            Ok(range) => range,
            Err(error) => {
                self.sweep.outcome = Some(Err(error));
                return;
            }
        };
        let params = self.settings.algorithm_params();
        let seed = self.settings.count(info.id, "seed").unwrap_or(42);
        let plan = SweepPlan::new(params.clone(), range.clone(), self.sweep.seeds, seed);
        if let Err(error) = sweep::check(&plan, prepared.points.n_rows) {
            self.sweep.outcome = Some(Err(error.to_string()));
            return;
        }
        if let Some((_, cancel, ..)) = self.sweep.running.take() {
            cancel.cancel();
        }
        self.sweep.next_key += 1;
        let key = self.sweep.next_key;
        let cancel = CancelToken::new();
        let total = plan.n_runs();
        self.sweep.running = Some((key, cancel.clone(), 0, total));
        let options = SweepOptions {
            backend: self.settings.backend,
            silhouette: SilhouetteMode::Estimate {
                exact_up_to: EXACT_SILHOUETTE_ROWS,
                sample: super::scores::SILHOUETTE_SAMPLE,
                seed: 0x5111,
            },
            keep_clusterings: true,
        };
        self.jobs
            .sweep(key, Arc::clone(&prepared.points), plan, options, cancel);
    }

    /// The values of the finished sweep, as numbers (tests read them).
    pub fn sweep_values(&self) -> Option<Vec<f64>> {
        let Some(Ok(finished)) = &self.sweep.outcome else {
            return None;
        };
        Some(
            finished
                .outcome
                .values
                .iter()
                .map(|v| v.value.as_f64().unwrap_or(f64::NAN))
                .collect(),
        )
    }

    /// Shows the clustering of value `index` of the finished sweep, and sets the controls
    /// to its value (what a click on the value in a plot does).
    pub fn show_sweep_value(&mut self, index: usize) {
        let Some(Ok(finished)) = &self.sweep.outcome else {
            return;
        };
        let same_points = self
            .prepared
            .as_ref()
            .is_some_and(|p| Arc::ptr_eq(&p.points, &finished.points));
        if !same_points {
            self.notices.info =
                Some("The features changed since this sweep ran: run it again.".into());
            return;
        }
        let Some(run) = finished
            .outcome
            .runs
            .iter()
            .find(|r| r.value_index == index && r.clustering.is_some())
        else {
            return;
        };
        let Some(result) = run.clustering.as_deref().cloned() else {
            return;
        };
        let id = finished.params.algorithm.clone();
        let param = finished.outcome.param;
        // The controls show the swept algorithm, even if another was picked since.
        self.settings.algorithm = id.clone();
        self.settings.set_param(&id, param, run.value.clone());
        if let Some(seed) = run.seed {
            self.settings.set_param(&id, "seed", seed);
        }
        let params = self.settings.algorithm_params();
        let points = Arc::clone(&finished.points);
        let backend = finished.backend;
        // A shown sweep value is the newest result: a run in flight is superseded.
        self.jobs.cancel_clustering();
        self.jobs.cluster_generation += 1;
        self.clustering_pending = false;
        self.running = None;
        let generation = self.jobs.cluster_generation;
        let previous = self
            .clustering
            .as_ref()
            .filter(|c| Arc::ptr_eq(&c.points, &points));
        let shown = Clustering::new(
            generation,
            points,
            (params, backend),
            result,
            None,
            previous,
        );
        self.styles.follow(&shown.slot_of);
        let (labels, revision) = (shown.result.labels.clone(), shown.revision);
        self.clustering = Some(shown);
        self.structure_view.on_new_result();
        if self.render_device.is_some() {
            self.jobs.upload_labels(generation, revision, labels);
        }
        self.sweep.shown = Some(index);
    }

    /// The Sweep pane.
    pub(super) fn sweep_ui(&mut self, ui: &mut egui::Ui) {
        let info = self.settings.algorithm_info();
        let specs: Vec<&'static ParamSpec> =
            info.parameters.iter().filter(|s| sweepable(s)).collect();
        if specs.is_empty() {
            ui.weak(format!("{} has no numeric parameter to sweep.", info.name));
            return;
        }
        let spec = match self.sweep.param {
            Some(name) if specs.iter().any(|s| s.name == name) => {
                specs.iter().copied().find(|s| s.name == name)
            }
            _ => None,
        }
        .unwrap_or(specs[0]);
        if self.sweep.param != Some(spec.name) || self.sweep.range_text.is_empty() {
            self.sweep.param = Some(spec.name);
            let current = self.settings.values(info.id).get(spec.name).cloned();
            self.sweep.range_text = default_range(info, spec, current.as_ref());
        }
        self.sweep.seeds = self.sweep.seeds.max(1);
        let seeded = info.parameters.iter().any(|p| p.name == "seed");
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Parameter");
            let mut picked = spec.name;
            egui::ComboBox::from_id_salt("sweep-param")
                .selected_text(super::params_ui::label_of(picked))
                .show_ui(ui, |ui| {
                    for s in &specs {
                        ui.selectable_value(
                            &mut picked,
                            s.name,
                            super::params_ui::label_of(s.name),
                        )
                        .on_hover_text(s.help);
                    }
                })
                .response
                .labelled_by(label.id);
            if picked != spec.name {
                self.sweep.param = Some(picked);
                self.sweep.range_text.clear();
            }
            let over = ui.label("over");
            ui.add(egui::TextEdit::singleline(&mut self.sweep.range_text).desired_width(110.0))
                .labelled_by(over.id)
                .on_hover_text(
                    "start..end (step 1), start..end:step, or a list: 2,4,8; for eps, \
                     kdist or kdist:N reads N values off the k-distance curve \
                     (where 50 % to 98 % of the rows are core points)",
                );
            if seeded {
                let seeds = ui.label("seeds");
                ui.add(egui::DragValue::new(&mut self.sweep.seeds).range(1..=10))
                    .labelled_by(seeds.id);
            }
            match &self.sweep.running {
                Some((_, cancel, done, total)) => {
                    ui.add(
                        egui::ProgressBar::new(*done as f32 / (*total).max(1) as f32)
                            .desired_width(120.0)
                            .text(format!("run {done} of {total}")),
                    );
                    if ui.button("Cancel").clicked() {
                        cancel.cancel();
                    }
                }
                None => {
                    let ready = self.prepared.is_some();
                    if ui
                        .add_enabled(ready, egui::Button::new("Run sweep"))
                        .clicked()
                    {
                        self.start_sweep(spec);
                    }
                }
            }
        });
        let finished = match &self.sweep.outcome {
            None => {
                ui.weak(
                    "Each value is clustered and scored; click a value in the plots to show \
                     its clustering.",
                );
                return;
            }
            Some(Err(error)) => {
                ui.colored_label(ui.visuals().error_fg_color, error.clone());
                return;
            }
            Some(Ok(finished)) => finished,
        };
        let outcome = Arc::clone(&finished.outcome);
        let labels = finished.labels.clone();
        let suggested = outcome.suggested;
        if let Some(s) = suggested {
            ui.label(format!(
                "Suggested: {} = {} ({SUGGESTION_RULE}, dashed red). Click a value to show \
                 its clustering (yellow).",
                super::params_ui::label_of(outcome.param),
                labels[s]
            ));
        }
        let xs: Vec<f64> = outcome
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| v.value.as_f64().unwrap_or(i as f64))
            .collect();
        type Pick = fn(&sweep::ValueSummary) -> Option<f64>;
        let mut charts: Vec<(&str, Pick)> = vec![
            ("Silhouette (higher is better)", |v| v.silhouette),
            ("Davies–Bouldin (lower is better)", |v| v.davies_bouldin),
            ("Calinski–Harabasz (higher is better)", |v| {
                v.calinski_harabasz
            }),
            ("Clusters", |v| Some(v.n_clusters)),
        ];
        if outcome.values.iter().any(|v| v.ari_seeds.is_some()) {
            charts.push(("Stability: ARI between seeds", |v| v.ari_seeds));
        }
        let mut clicked = None;
        // Three charts a row; two rows fill the pane.
        let per_row = 3;
        let rows = charts.len().div_ceil(per_row);
        let height = (ui.available_height() / rows as f32 - 24.0).max(90.0);
        let width = (ui.available_width() / per_row as f32 - 8.0).max(160.0);
        let series = egui::Color32::from_rgb(90, 160, 220);
        for (row, chunk) in charts.chunks(per_row).enumerate() {
            ui.horizontal(|ui| {
                for (column, (title, pick)) in chunk.iter().enumerate() {
                    let index = row * per_row + column;
                    ui.vertical(|ui| {
                        ui.set_width(width);
                        ui.small(*title);
                        let points: Vec<[f64; 2]> = outcome
                            .values
                            .iter()
                            .zip(&xs)
                            .filter_map(|(v, &x)| Some([x, pick(v)?]))
                            .collect();
                        let response = Plot::new(("sweep-plot", index))
                            .height(height)
                            .width(width)
                            .allow_scroll(false)
                            .allow_drag(false)
                            .allow_zoom(false)
                            .show(ui, |plot_ui| {
                                plot_ui.line(
                                    Line::new(*title, PlotPoints::new(points.clone()))
                                        .color(series),
                                );
                                plot_ui.points(
                                    Points::new(*title, points.clone())
                                        .radius(3.0)
                                        .color(series),
                                );
                                if let Some(s) = suggested {
                                    plot_ui.vline(
                                        VLine::new("suggested", xs[s])
                                            .color(egui::Color32::from_rgb(220, 60, 60))
                                            .style(egui_plot::LineStyle::dashed_loose()),
                                    );
                                }
                                if let Some(shown) = self.sweep.shown {
                                    plot_ui.vline(
                                        VLine::new("shown", xs[shown])
                                            .color(egui::Color32::from_rgb(240, 200, 60))
                                            .width(2.0),
                                    );
                                }
                                plot_ui.pointer_coordinate()
                            });
                        if response.response.clicked()
                            && let Some(pointer) = response.inner
                        {
                            clicked = xs
                                .iter()
                                .enumerate()
                                .min_by(|a, b| {
                                    (a.1 - pointer.x).abs().total_cmp(&(b.1 - pointer.x).abs())
                                })
                                .map(|(i, _)| i);
                        }
                    });
                }
            });
        }
        if let Some(index) = clicked {
            self.show_sweep_value(index);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::infos;

    fn spec(algorithm: &str, name: &str) -> &'static ParamSpec {
        infos()
            .find(|i| i.id == algorithm)
            .and_then(|i| i.parameters.iter().find(|p| p.name == name))
            .unwrap()
    }

    #[test]
    fn default_ranges_parse_for_every_numeric_parameter() {
        for info in infos() {
            for spec in info.parameters.iter().filter(|s| sweepable(s)) {
                let text = format!("{}={}", spec.name, default_range(info, spec, None));
                let range = ParamRange::parse(&text, info, &|n| n.to_string());
                assert!(range.is_ok(), "{}: {text}: {range:?}", info.id);
            }
        }
    }

    #[test]
    fn k_sweeps_from_two_to_twelve_and_reals_around_the_current_value() {
        let info = |id: &str| infos().find(|i| i.id == id).unwrap();
        assert_eq!(
            default_range(info("kmeans"), spec("kmeans", "n_clusters"), None),
            "2..12"
        );
        let threshold = spec("optics", "reachability");
        assert_eq!(
            default_range(info("optics"), threshold, Some(&serde_json::json!(0.4))),
            "0.2..0.8:0.1"
        );
        // DBSCAN's eps comes off the data's k-distance curve.
        let eps = spec("dbscan", "eps");
        assert_eq!(
            default_range(info("dbscan"), eps, Some(&serde_json::json!(0.4))),
            "kdist"
        );
    }
}
