//! Embedding maps in the window: UMAP and t-SNE as views of the scatter, computed on a
//! thread of their own and drawn as they refine (cancelled by a newer request), kept for
//! the session per (rows, method, parameters); clustering can run on the map instead of
//! the features; a clicked row's nearest rows in the original space; a search over the
//! table's text.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::jobs::ProjectionRequest;
use super::{ClusterscopeApp, ScatterAxes, Selection};
use crate::cluster::{BackendChoice, CancelToken, ClusterError, Engine, RunContext};
use crate::matrix::Matrix;
use crate::projection::map::{Map, MapFrame};
use crate::projection::tsne::{self, TsneParams};
use crate::projection::umap::{self, UmapParams};
use crate::spatial::metric::Metric;

/// Neighbours listed for a clicked row.
pub const SHOWN_NEIGHBOURS: usize = 10;
/// Maps kept for the session (the oldest goes first).
const KEPT_MAPS: usize = 6;

/// The two maps the scatter offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MapMethod {
    Umap,
    Tsne,
}

impl MapMethod {
    pub fn name(self) -> &'static str {
        match self {
            MapMethod::Umap => "UMAP",
            MapMethod::Tsne => "t-SNE",
        }
    }
}

/// The maps' parameters, saved with the window's settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MapSettings {
    pub umap: UmapParams,
    pub tsne: TsneParams,
}

impl MapSettings {
    pub fn request(&self, method: MapMethod) -> MapRequest {
        match method {
            MapMethod::Umap => MapRequest::Umap(self.umap.clone()),
            MapMethod::Tsne => MapRequest::Tsne(self.tsne.clone()),
        }
    }

    /// The distance the shown map measures by.
    pub fn metric(&self, method: MapMethod) -> Metric {
        match method {
            MapMethod::Umap => self.umap.metric,
            MapMethod::Tsne => self.tsne.metric,
        }
    }
}

/// One map to compute.
#[derive(Clone, Debug, PartialEq)]
pub enum MapRequest {
    Umap(UmapParams),
    Tsne(TsneParams),
}

impl MapRequest {
    pub fn method(&self) -> MapMethod {
        match self {
            MapRequest::Umap(_) => MapMethod::Umap,
            MapRequest::Tsne(_) => MapMethod::Tsne,
        }
    }

    pub fn run(
        &self,
        engine: &mut Engine,
        points: &Arc<Matrix>,
        backend: BackendChoice,
        context: &RunContext,
        on_frame: &mut dyn FnMut(MapFrame<'_>),
    ) -> Result<Map, ClusterError> {
        match self {
            MapRequest::Umap(params) => {
                umap::umap(engine, points, params, backend, context, on_frame)
            }
            MapRequest::Tsne(params) => {
                tsne::tsne(engine, points, params, backend, context, on_frame)
            }
        }
    }
}

/// A map kept for the session.
struct FinishedMap {
    points: std::sync::Weak<Matrix>,
    request: MapRequest,
    map: Arc<Map>,
    /// The map as a 2-column matrix, made once, for clustering on it.
    as_matrix: Arc<Matrix>,
}

/// A map being computed.
struct RunningMap {
    key: u64,
    points: std::sync::Weak<Matrix>,
    request: MapRequest,
    cancel: CancelToken,
    step: usize,
    n_steps: usize,
    frame: Option<Arc<Vec<[f32; 2]>>>,
}

/// A clicked row's nearest rows: (row, distance), nearest first.
#[derive(Clone, Debug)]
pub struct RowNeighbours {
    pub row: u32,
    pub metric: Metric,
    pub rows: Vec<(u32, f64)>,
}

/// What the window keeps of the maps.
#[derive(Default)]
pub struct MapsState {
    next_key: u64,
    running: Option<RunningMap>,
    finished: Vec<FinishedMap>,
    pub error: Option<String>,
    /// Cluster the shown map's coordinates instead of the features.
    pub cluster_on_map: bool,
    /// The last clicked row's neighbours, and the request in flight.
    pub neighbours: Option<RowNeighbours>,
    neighbours_key: u64,
    /// The search box's text and how many rows matched it.
    pub search: String,
    pub search_matches: Option<usize>,
}

impl MapsState {
    fn finished_for(&self, points: &Arc<Matrix>, request: &MapRequest) -> Option<&FinishedMap> {
        self.finished.iter().rev().find(|f| {
            &f.request == request && f.points.upgrade().is_some_and(|p| Arc::ptr_eq(&p, points))
        })
    }

    fn running_for(&self, points: &Arc<Matrix>, request: &MapRequest) -> Option<&RunningMap> {
        self.running.as_ref().filter(|r| {
            &r.request == request && r.points.upgrade().is_some_and(|p| Arc::ptr_eq(&p, points))
        })
    }

    /// "UMAP: epoch 40 of 200" while one runs.
    pub fn progress_text(&self) -> Option<String> {
        let running = self.running.as_ref()?;
        let unit = match running.request.method() {
            MapMethod::Umap => "epoch",
            MapMethod::Tsne => "iteration",
        };
        Some(if running.n_steps == 0 {
            format!("{}: nearest neighbours…", running.request.method().name())
        } else {
            format!(
                "{}: {unit} {} of {}",
                running.request.method().name(),
                running.step,
                running.n_steps
            )
        })
    }

    pub fn cancel(&mut self) {
        if let Some(running) = self.running.take() {
            running.cancel.cancel();
        }
    }
}

/// The `k` nearest other rows of `row` in `points` under `metric`, by one scan.
pub fn nearest_rows(
    points: &Matrix,
    row: u32,
    k: usize,
    metric: Metric,
) -> Result<RowNeighbours, String> {
    use rayon::prelude::*;
    let n = points.n_rows;
    if row as usize >= n {
        return Err(format!("row {row} is not among the {n} rows"));
    }
    let query = points.row(row as usize);
    let mut all: Vec<(f64, u32)> = (0..n as u32)
        .into_par_iter()
        .filter(|&other| other != row)
        .map(|other| (metric.distance(query, points.row(other as usize)), other))
        .collect();
    let k = k.min(all.len());
    if k == 0 {
        return Ok(RowNeighbours {
            row,
            metric,
            rows: Vec::new(),
        });
    }
    let by = |a: &(f64, u32), b: &(f64, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
    all.select_nth_unstable_by(k - 1, by);
    all.truncate(k);
    all.sort_by(by);
    Ok(RowNeighbours {
        row,
        metric,
        rows: all.into_iter().map(|(d, r)| (r, d)).collect(),
    })
}

/// Table rows (as matrix rows) whose text, in any column, contains `query` (ignoring case).
pub fn search_rows(table: &super::LoadedTable, table_rows: &[u32], query: &str) -> Vec<u32> {
    use polars::prelude::DataType;
    let query = query.to_lowercase();
    let frame = &table.frame;
    let mut hit = vec![false; frame.height()];
    for column in frame.columns() {
        let text = match column.dtype() {
            DataType::String => column.clone(),
            _ => match column.cast(&DataType::String) {
                Ok(cast) => cast,
                Err(_) => continue,
            },
        };
        let Ok(values) = text.str() else { continue };
        for (row, seen) in hit.iter_mut().enumerate() {
            if !*seen
                && values
                    .get(row)
                    .is_some_and(|v| v.to_lowercase().contains(&query))
            {
                *seen = true;
            }
        }
    }
    table_rows
        .iter()
        .enumerate()
        .filter(|&(_, &t)| hit.get(t as usize).copied().unwrap_or(false))
        .map(|(m, _)| m as u32)
        .collect()
}

impl ClusterscopeApp {
    /// The scatter's request while a map view is shown: the finished map, the newest
    /// frame of the running one, or (starting it) the principal components meanwhile.
    pub(crate) fn map_projection(&mut self, method: MapMethod) -> Option<ProjectionRequest> {
        let points = Arc::clone(&self.prepared.as_ref()?.points);
        let request = self.settings.maps.request(method);
        let labels = (
            format!("{} 1", method.name()),
            format!("{} 2", method.name()),
        );
        if let Some(finished) = self.maps.finished_for(&points, &request) {
            return Some(ProjectionRequest::Coordinates {
                coordinates: Arc::new(finished.map.coordinates.clone()),
                labels,
            });
        }
        if self.maps.running_for(&points, &request).is_none() {
            self.maps.cancel();
            self.maps.error = None;
            self.maps.next_key += 1;
            let cancel = CancelToken::default();
            self.jobs.map(
                self.maps.next_key,
                Arc::clone(&points),
                request.clone(),
                self.settings.backend,
                cancel.clone(),
            );
            self.maps.running = Some(RunningMap {
                key: self.maps.next_key,
                points: Arc::downgrade(&points),
                request,
                cancel,
                step: 0,
                n_steps: 0,
                frame: None,
            });
        }
        let frame = self.maps.running.as_ref().and_then(|r| r.frame.clone());
        match frame {
            Some(coordinates) => Some(ProjectionRequest::Coordinates {
                coordinates,
                labels,
            }),
            None => Some(ProjectionRequest::Pca {
                fitted: None,
                x: 0,
                y: 1,
            }),
        }
    }

    pub(crate) fn map_frame(
        &mut self,
        key: u64,
        step: usize,
        n_steps: usize,
        positions: Arc<Vec<[f32; 2]>>,
    ) {
        let Some(running) = self.maps.running.as_mut().filter(|r| r.key == key) else {
            return;
        };
        running.step = step;
        running.n_steps = n_steps;
        running.frame = Some(positions);
        if matches!(self.axes, ScatterAxes::Map { .. }) {
            self.request_projection();
        }
    }

    pub(crate) fn mapped(&mut self, key: u64, result: Result<Arc<Map>, String>) {
        let Some(running) = self.maps.running.take_if(|r| r.key == key) else {
            return;
        };
        match result {
            Ok(map) => {
                let n = map.coordinates.len();
                let as_matrix = Arc::new(Matrix::new(
                    n,
                    2,
                    map.coordinates.iter().flat_map(|p| [p[0], p[1]]).collect(),
                ));
                for note in &map.notes {
                    self.notices.warning = Some(note.clone());
                }
                self.notices.info = Some(format!(
                    "{} of {n} rows in {:.1} s ({}, {})",
                    running.request.method().name(),
                    map.elapsed_ms / 1e3,
                    map.backend.name(),
                    map.metric
                ));
                self.maps.finished.push(FinishedMap {
                    points: running.points,
                    request: running.request,
                    map,
                    as_matrix,
                });
                if self.maps.finished.len() > KEPT_MAPS {
                    self.maps.finished.remove(0);
                }
                if self.maps.cluster_on_map {
                    self.command(super::commands::Command::Cluster);
                }
            }
            Err(error) => self.maps.error = Some(error),
        }
        if matches!(self.axes, ScatterAxes::Map { .. }) {
            self.request_projection();
        }
    }

    /// The shown map as a matrix, when clustering is to run on it and it is finished.
    pub(crate) fn map_to_cluster(&self) -> Option<Arc<Matrix>> {
        if !self.maps.cluster_on_map {
            return None;
        }
        let ScatterAxes::Map { method } = self.axes else {
            return None;
        };
        let points = &self.prepared.as_ref()?.points;
        let request = self.settings.maps.request(method);
        self.maps
            .finished_for(points, &request)
            .map(|f| Arc::clone(&f.as_matrix))
    }

    /// Asks for the nearest rows of `row` in the original space, under the shown map's
    /// metric (Euclidean in the other views).
    pub fn request_neighbours(&mut self, row: u32) {
        let Some(prepared) = &self.prepared else {
            return;
        };
        let metric = match self.axes {
            ScatterAxes::Map { method } => self.settings.maps.metric(method),
            _ => Metric::Euclidean,
        };
        self.maps.neighbours_key += 1;
        self.jobs.neighbours(
            self.maps.neighbours_key,
            Arc::clone(&prepared.points),
            row,
            SHOWN_NEIGHBOURS,
            metric,
        );
    }

    pub(crate) fn neighbours_found(&mut self, key: u64, result: Result<RowNeighbours, String>) {
        if key != self.maps.neighbours_key {
            return;
        }
        match result {
            Ok(found) => {
                let mut rows: Vec<u32> = found.rows.iter().map(|&(r, _)| r).collect();
                rows.push(found.row);
                self.set_selection(Some(Selection::new(
                    rows,
                    format!(
                        "row {} and its {} nearest ({})",
                        found.row,
                        found.rows.len(),
                        found.metric
                    ),
                )));
                self.maps.neighbours = Some(found);
            }
            Err(error) => self.notices.error = Some(error),
        }
    }

    /// Selects the rows whose text contains the search box's.
    pub fn run_search(&mut self) {
        let query = self.maps.search.trim().to_string();
        let (Some(table), Some(prepared)) = (&self.table, &self.prepared) else {
            return;
        };
        if query.is_empty() {
            self.maps.search_matches = None;
            return;
        }
        let rows = search_rows(table, &prepared.features.table_rows, &query);
        self.maps.search_matches = Some(rows.len());
        let selection =
            (!rows.is_empty()).then(|| Selection::new(rows, format!("search '{query}'")));
        self.set_selection(selection);
    }

    /// The map controls under the scatter's view choice: parameters, progress, Cancel,
    /// clustering on the map.
    pub(crate) fn map_controls_ui(&mut self, ui: &mut egui::Ui, method: MapMethod) {
        let mut changed = false;
        ui.horizontal_wrapped(|ui| {
            let maps = &mut self.settings.maps;
            match method {
                MapMethod::Umap => {
                    changed |= ui
                        .add(
                            egui::Slider::new(&mut maps.umap.n_neighbors, 2..=100)
                                .text("neighbours"),
                        )
                        .on_hover_text(
                            "neighbours per row, the row itself counted (umap-learn's n_neighbors)",
                        )
                        .drag_stopped();
                    changed |= ui
                        .add(egui::Slider::new(&mut maps.umap.min_dist, 0.0..=1.0).text("min dist"))
                        .on_hover_text("how tightly the map packs neighbours")
                        .drag_stopped();
                    changed |= metric_ui(ui, &mut maps.umap.metric);
                    changed |= seed_ui(ui, &mut maps.umap.seed);
                }
                MapMethod::Tsne => {
                    changed |= ui
                        .add(
                            egui::Slider::new(&mut maps.tsne.perplexity, 2.0..=100.0)
                                .text("perplexity"),
                        )
                        .on_hover_text("the effective number of neighbours")
                        .drag_stopped();
                    changed |= metric_ui(ui, &mut maps.tsne.metric);
                    changed |= seed_ui(ui, &mut maps.tsne.seed);
                }
            }
        });
        ui.horizontal_wrapped(|ui| {
            if let Some(progress) = self.maps.progress_text() {
                ui.spinner();
                ui.label(progress);
                if ui.button("Cancel").clicked() {
                    self.maps.cancel();
                }
            } else if let Some(error) = &self.maps.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            let before = self.maps.cluster_on_map;
            ui.checkbox(
                &mut self.maps.cluster_on_map,
                format!("Cluster the {} map", method.name()),
            )
            .on_hover_text(
                "run the algorithm on the map's two coordinates instead of the feature columns",
            );
            if before != self.maps.cluster_on_map {
                self.command(super::commands::Command::Cluster);
            }
        });
        if changed {
            self.command(super::commands::Command::Project);
        }
    }
}

fn metric_ui(ui: &mut egui::Ui, metric: &mut Metric) -> bool {
    let mut changed = false;
    let label = ui.label("metric");
    egui::ComboBox::from_id_salt("map-metric")
        .selected_text(metric.name())
        .show_ui(ui, |ui| {
            for choice in Metric::ALL {
                changed |= ui.selectable_value(metric, choice, choice.name()).changed();
            }
        })
        .response
        .labelled_by(label.id);
    changed
}

fn seed_ui(ui: &mut egui::Ui, seed: &mut u64) -> bool {
    let label = ui.label("seed");
    ui.add(egui::DragValue::new(seed))
        .labelled_by(label.id)
        .lost_focus()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rows_come_nearest_first_without_the_row_itself() {
        let points = Matrix::from_rows(&[vec![0.0], vec![5.0], vec![1.0], vec![2.5], vec![-0.5]]);
        let found = nearest_rows(&points, 0, 3, Metric::Euclidean).unwrap();
        assert_eq!(
            found.rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            [4, 2, 3]
        );
        assert_eq!(found.rows[0].1, 0.5);
        assert!(nearest_rows(&points, 9, 3, Metric::Euclidean).is_err());
    }
}
