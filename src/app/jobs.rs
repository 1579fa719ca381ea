//! Background work for the window: loading tables, preparing features, clustering, dialogs
//! and exports. The UI thread only sends requests and polls events; every request carries a
//! generation so that only the newest one's result is used, and a newer clustering request
//! cancels the running one at its next iteration.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use eframe::egui;
use polars::prelude::DataFrame;

use crate::cluster::{
    AlgorithmParams, BackendChoice, CancelToken, ClusterError, Clustering, Engine, Progress,
    RunContext,
};
use crate::data::{self, FeatureMatrix, Scaling, TableInfo};
use crate::gpu::RowChunks;
use crate::matrix::Matrix;
use crate::projection::{Pca, finite_bounds};
use crate::render::RenderDevice;
use crate::segment::{self, PixelImage, SegmentParams};

/// A table read from disk. An opened image is a table too (one row per pixel: x, y, R,
/// G, B), with the pixels kept beside it for the image view and segmentation.
pub struct LoadedTable {
    pub path: PathBuf,
    pub frame: DataFrame,
    pub info: TableInfo,
    pub image: Option<Arc<PixelImage>>,
    /// For a workbook: the sheet read and every sheet's name.
    pub sheet: Option<String>,
    pub sheets: Vec<String>,
}

/// The segmentation a clustering request stands for, when the table is an image.
#[derive(Clone)]
pub struct ImageRequest {
    pub width: u32,
    pub height: u32,
    pub params: SegmentParams,
}

/// The feature matrix of the current column choice.
pub struct PreparedFeatures {
    pub features: FeatureMatrix,
    pub points: Arc<Matrix>,
    /// How the columns were scaled, and the table rows the matrix was limited to ("cluster
    /// the selection only"), for an export's record.
    pub scaling: Scaling,
    pub subset: Option<Arc<Vec<u32>>>,
}

/// What the scatter should show.
#[derive(Clone)]
pub enum ProjectionRequest {
    /// Two principal components (indices); the PCA is fitted first when not given.
    Pca {
        fitted: Option<Arc<Pca>>,
        x: usize,
        y: usize,
    },
    /// Two table columns at the matrix's table rows.
    Columns {
        table: Arc<LoadedTable>,
        rows: Arc<Vec<u32>>,
        x: String,
        y: String,
    },
    /// Two coordinates of a spectral embedding (one row per matrix row).
    Embedding {
        embedding: Arc<Matrix>,
        x: usize,
        y: usize,
    },
    /// Positions already computed (a UMAP or t-SNE map, or one of its frames).
    Coordinates {
        coordinates: Arc<Vec<[f32; 2]>>,
        labels: (String, String),
    },
}

/// Reads an image as a pixel table (x, y, R, G, B; 8-bit images as u8 colours).
fn load_image_table(path: PathBuf) -> Result<LoadedTable, String> {
    use polars::prelude::{Column, IntoColumn, NamedFrom, Series};
    let image = segment::load_image(&path).map_err(|e| e.to_string())?;
    let width = image.width as usize;
    let n = image.n_pixels();
    let x: Vec<u16> = (0..n).map(|p| (p % width) as u16).collect();
    let y: Vec<u16> = (0..n).map(|p| (p / width) as u16).collect();
    let mut columns: Vec<Column> = vec![
        Series::new("x".into(), x).into_column(),
        Series::new("y".into(), y).into_column(),
    ];
    for (c, name) in ["R", "G", "B"].into_iter().enumerate() {
        let column = if image.bits == 8 {
            let v: Vec<u8> = image.pixels.iter().map(|p| (p[c] >> 8) as u8).collect();
            Series::new(name.into(), v)
        } else {
            let v: Vec<u16> = image.pixels.iter().map(|p| p[c]).collect();
            Series::new(name.into(), v)
        };
        columns.push(column.into_column());
    }
    let frame = DataFrame::new(n, columns)
        .map_err(|e| format!("cannot build the pixel table of {}: {e}", path.display()))?;
    Ok(LoadedTable {
        info: data::table_info(&frame),
        frame,
        path,
        image: Some(Arc::new(image)),
        sheet: None,
        sheets: Vec::new(),
    })
}

/// 2-D coordinates of every matrix row, on the CPU (hover, selection) and, when the window
/// has a GPU renderer, in GPU buffers (drawing).
pub struct Projection {
    pub points: Arc<Matrix>,
    pub pca: Option<Arc<Pca>>,
    pub components: Option<(usize, usize)>,
    pub coordinates: Arc<Vec<[f32; 2]>>,
    pub gpu_positions: Option<RowChunks>,
    pub axis_labels: (String, String),
    /// Finite data range [x_min, y_min, x_max, y_max].
    pub bounds: [f64; 4],
    /// For hover look-ups.
    pub index: Arc<crate::spatial::GridIndex>,
}

/// The labels of a clustering as the point renderer reads them.
pub struct RenderLabels {
    pub chunks: RowChunks,
    /// True when they are the GPU k-means buffers themselves (no copy was made).
    pub shared_with_compute: bool,
    /// The cluster id of each value the buffers hold (GPU k-means keeps its own
    /// numbering; uploaded copies hold the ids themselves).
    pub to_id: Vec<u32>,
}

/// Results coming back to the UI thread.
pub enum Event {
    Loaded {
        generation: u64,
        result: Result<LoadedTable, String>,
    },
    Prepared {
        generation: u64,
        result: Result<PreparedFeatures, String>,
    },
    Progress {
        generation: u64,
        progress: Progress,
    },
    Clustered {
        generation: u64,
        points: Arc<Matrix>,
        /// What was asked for (an export records it).
        params: AlgorithmParams,
        backend: BackendChoice,
        result: Result<Clustering, String>,
        render_labels: Option<RenderLabels>,
    },
    Projected {
        generation: u64,
        result: Result<Projection, String>,
    },
    /// A new cut's labels, uploaded for the point renderer.
    LabelsUploaded {
        generation: u64,
        revision: u64,
        labels: RenderLabels,
    },
    /// The internal scores of the result (generation, revision) `key`.
    Scored {
        key: (u64, u64),
        result: Result<super::scores::ShownScores, String>,
    },
    /// Runs done of a sweep in flight.
    SweepProgress {
        key: u64,
        done: usize,
        total: usize,
    },
    /// A sweep finished (or why it stopped).
    Swept {
        key: u64,
        result: Result<super::sweep_panel::FinishedSweep, String>,
    },
    /// Outlier scores of request `key`.
    OutliersScored {
        key: u64,
        result: Result<Arc<super::outliers::ScoredRows>, String>,
    },
    /// The exact silhouette of the result (generation, revision) `key`.
    ExactSilhouette {
        key: (u64, u64),
        result: Result<f64, String>,
    },
    /// The result (generation, revision) against a column.
    ExternalScored {
        key: (u64, u64, String),
        result: Result<super::external_scores::ExternalScores, String>,
    },
    /// Positions part-way through the map `key` (see [`super::maps`]).
    MapFrame {
        key: u64,
        step: usize,
        n_steps: usize,
        positions: Arc<Vec<[f32; 2]>>,
    },
    /// The map `key`, finished (or why not).
    Mapped {
        key: u64,
        result: Result<Arc<crate::projection::map::Map>, String>,
    },
    /// The nearest rows of a clicked row in the original space.
    Neighbours {
        key: u64,
        result: Result<super::maps::RowNeighbours, String>,
    },
    /// The profile of the result (generation, revision) `key`.
    Profiled {
        key: (u64, u64),
        result: Result<crate::profile::Profile, String>,
    },
    /// A column colouring's codes, uploaded for the point renderer.
    ColourCodesUploaded {
        key: u64,
        chunks: RowChunks,
    },
    OpenPicked(PathBuf),
    /// A node-attribute table picked for the open graph.
    NodeTablePicked(PathBuf),
    /// A table picked to attach to the open one.
    AttachPicked(PathBuf),
    ExportPicked {
        path: PathBuf,
        label_column: String,
        selection_only: bool,
    },
    Exported(Result<PathBuf, String>),
    ImageExportPicked {
        path: PathBuf,
        kind: ImageExport,
    },
    ViewExportPicked {
        path: PathBuf,
        kind: super::view_export::ViewExport,
    },
    /// Where to save the session.
    SessionSavePicked(PathBuf),
    SessionSaved(Result<PathBuf, String>),
    SessionRead {
        path: PathBuf,
        result: Result<Box<super::session::Session>, String>,
    },
    /// An input's size and hash now (checked against an opened session's).
    Fingerprinted {
        path: PathBuf,
        result: Result<data::InputRecord, String>,
    },
}

/// What an image export writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageExport {
    /// Label mask PNG (segment id per pixel).
    Mask,
    /// The photo with segment colours over it.
    Overlay,
    /// One CSV row per segment.
    Segments,
}

#[derive(Clone)]
struct ClusterJob {
    generation: u64,
    /// The features: the result belongs to them (views, scores, exports).
    points: Arc<Matrix>,
    /// What the algorithm runs on instead, when not the features (a UMAP or t-SNE map).
    clustered_on: Option<Arc<Matrix>>,
    params: AlgorithmParams,
    /// Set for images: segment the pixels instead of running `params`.
    image: Option<ImageRequest>,
    backend: BackendChoice,
    cancel: CancelToken,
    /// Test seam: the worker first sleeps this long without looking at `cancel`, as a
    /// phase that cannot be interrupted would.
    stall: Option<Duration>,
}

#[derive(Clone)]
struct ProjectJob {
    generation: u64,
    points: Arc<Matrix>,
    request: ProjectionRequest,
    backend: BackendChoice,
}

/// Labels of a new cut to upload for the point renderer.
#[derive(Clone)]
struct UploadJob {
    generation: u64,
    revision: u64,
    labels: Vec<u32>,
}

/// Work for the thread that owns the engine (and so the GPU state).
enum WorkerJob {
    Cluster(ClusterJob),
    Project(ProjectJob),
    Upload(UploadJob),
}

/// How long a superseded clustering may take to notice its cancellation before the
/// worker running it is abandoned and the new request starts on a fresh one.
const ABANDON_AFTER: Duration = Duration::from_millis(100);

/// The thread that owns an engine, and what it is doing.
struct WorkerHandle {
    tx: Sender<WorkerJob>,
    /// Generation of the clustering it is running, 0 when none.
    running: Arc<AtomicU64>,
    /// Set when abandoned: it stops after the job in hand, running nothing queued.
    retired: Arc<AtomicBool>,
}

/// Handle the UI keeps on its background work.
pub struct Jobs {
    ctx: egui::Context,
    events_tx: Sender<Event>,
    events_rx: Receiver<Event>,
    worker: WorkerHandle,
    /// For a fresh worker: an engine on the same device, and the renderer's device.
    engine_template: Engine,
    render_device: Option<RenderDevice>,
    /// The newest request of each kind, resent to a fresh worker.
    last_cluster: Option<ClusterJob>,
    last_project: Option<ProjectJob>,
    last_upload: Option<UploadJob>,
    /// When the newest clustering was sent while an older one was still running.
    waiting_since: Option<Instant>,
    /// Workers abandoned so far (a count for tests and the log).
    pub abandoned_workers: usize,
    /// Test seam: the next clustering stalls this long before it starts (see
    /// [`ClusterJob::stall`]).
    pub stall_next_clustering: Option<Duration>,
    pub load_generation: u64,
    pub project_generation: u64,
    pub prepare_generation: u64,
    pub cluster_generation: u64,
    running_cancel: Option<CancelToken>,
    /// The adapter the window's engine would use for GPU work.
    pub gpu_name: Option<String>,
}

impl Jobs {
    /// Starts the worker, which owns `engine`. `render_device` is the window's wgpu device,
    /// when it draws with the GPU point renderer: positions and labels are then handed
    /// over in GPU buffers of that device.
    pub fn new(
        ctx: egui::Context,
        mut engine: Engine,
        render_device: Option<RenderDevice>,
    ) -> Self {
        let (events_tx, events_rx) = channel();
        let gpu_name = engine.gpu_context().map(|c| c.adapter_name());
        let engine_template = engine.fresh();
        let worker = start_worker(
            engine,
            render_device.clone(),
            events_tx.clone(),
            ctx.clone(),
        );
        Self {
            ctx,
            events_tx,
            events_rx,
            worker,
            engine_template,
            render_device,
            last_cluster: None,
            last_project: None,
            last_upload: None,
            waiting_since: None,
            abandoned_workers: 0,
            stall_next_clustering: None,
            load_generation: 0,
            prepare_generation: 0,
            project_generation: 0,
            cluster_generation: 0,
            running_cancel: None,
            gpu_name,
        }
    }

    fn send_to_worker(&self, job: WorkerJob) {
        if self.worker.tx.send(job).is_err() {
            tracing::error!("the clustering worker has stopped");
        }
    }

    /// A superseded run that has not stopped within [`ABANDON_AFTER`] keeps its thread;
    /// the newest requests go to a fresh worker with a fresh engine on the same device.
    fn abandon_a_stuck_worker(&mut self) {
        let Some(since) = self.waiting_since else {
            return;
        };
        let running = self.worker.running.load(Ordering::Acquire);
        if running == 0 || running >= self.cluster_generation {
            self.waiting_since = None;
            return;
        }
        if since.elapsed() < ABANDON_AFTER {
            self.ctx
                .request_repaint_after(ABANDON_AFTER - since.elapsed());
            return;
        }
        tracing::warn!(
            "clustering {running} did not stop within {} ms of its cancellation; \
             starting the newest request on a fresh worker",
            ABANDON_AFTER.as_millis()
        );
        self.worker.retired.store(true, Ordering::Release);
        self.worker = start_worker(
            self.engine_template.fresh(),
            self.render_device.clone(),
            self.events_tx.clone(),
            self.ctx.clone(),
        );
        self.abandoned_workers += 1;
        self.waiting_since = None;
        if let Some(job) = self.last_upload.clone() {
            self.send_to_worker(WorkerJob::Upload(job));
        }
        if let Some(job) = self.last_project.clone() {
            self.send_to_worker(WorkerJob::Project(job));
        }
        if let Some(job) = self.last_cluster.clone()
            && !job.cancel.is_cancelled()
        {
            self.send_to_worker(WorkerJob::Cluster(job));
        }
    }

    /// Events that arrived since the last call.
    /// The window's context (to ask it to close).
    pub fn ctx(&self) -> &egui::Context {
        &self.ctx
    }

    pub fn poll(&mut self) -> Vec<Event> {
        self.abandon_a_stuck_worker();
        self.events_rx.try_iter().collect()
    }

    /// Runs `work` on a fresh thread and sends its event back.
    fn spawn(&self, name: &str, work: impl FnOnce() -> Option<Event> + Send + 'static) {
        let tx = self.events_tx.clone();
        let ctx = self.ctx.clone();
        let spawned = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                if let Some(event) = work() {
                    let _ = tx.send(event);
                }
                ctx.request_repaint();
            });
        if let Err(error) = spawned {
            tracing::error!("cannot start a background thread: {error}");
        }
    }

    /// Reads `path` (for a workbook, `sheet`, or its first sheet with cells).
    pub fn load(&mut self, path: PathBuf, sheet: Option<String>) {
        self.load_generation += 1;
        let generation = self.load_generation;
        self.spawn("load", move || {
            let result = if segment::image_io::is_image_path(&path) {
                load_image_table(path)
            } else {
                data::read_table_sheet(&path, sheet.as_deref())
                    .and_then(|(frame, sheet)| {
                        let sheets = match sheet {
                            Some(_) => data::spreadsheet::sheet_names(&path)?,
                            None => Vec::new(),
                        };
                        Ok(LoadedTable {
                            info: data::table_info(&frame),
                            frame,
                            path,
                            image: None,
                            sheet,
                            sheets,
                        })
                    })
                    .map_err(|e| e.to_string())
            };
            Some(Event::Loaded { generation, result })
        });
    }

    /// Builds the pixel features of `image` for `params` (colour space, spatial weight).
    pub fn prepare_image(&mut self, image: Arc<PixelImage>, params: SegmentParams) {
        self.prepare_generation += 1;
        let generation = self.prepare_generation;
        self.spawn("prepare", move || {
            let matrix = params.features(&image);
            let mut columns: Vec<String> = params
                .space
                .axis_names()
                .iter()
                .map(|s| s.to_string())
                .collect();
            if matrix.n_cols == 5 {
                columns.extend(["x (weighted)".to_string(), "y (weighted)".to_string()]);
            }
            let n = matrix.n_rows;
            let points = Arc::new(matrix);
            // The matrix lives in `points` only: images can be tens of millions of rows.
            let features = FeatureMatrix {
                matrix: Matrix::default(),
                table_rows: (0..n as u32).collect(),
                n_table_rows: n,
                columns,
            };
            Some(Event::Prepared {
                generation,
                result: Ok(PreparedFeatures {
                    features,
                    points,
                    scaling: Scaling::None,
                    subset: None,
                }),
            })
        });
    }

    /// Builds the feature matrix; `subset` limits it to those table rows ("cluster the
    /// selection only").
    pub fn prepare(
        &mut self,
        table: Arc<LoadedTable>,
        columns: Vec<String>,
        scaling: Scaling,
        subset: Option<Arc<Vec<u32>>>,
    ) {
        self.prepare_generation += 1;
        let generation = self.prepare_generation;
        self.spawn("prepare", move || {
            let features = match &subset {
                None => data::extract_features(&table.frame, &columns, scaling),
                Some(rows) => {
                    let indices = polars::prelude::IdxCa::from_vec(
                        "rows".into(),
                        rows.iter()
                            .map(|&r| r as polars::prelude::IdxSize)
                            .collect(),
                    );
                    match table.frame.take(&indices) {
                        Ok(frame) => {
                            data::extract_features(&frame, &columns, scaling).map(|mut features| {
                                // Back to the full table's row numbers.
                                for row in &mut features.table_rows {
                                    *row = rows[*row as usize];
                                }
                                features.n_table_rows = table.frame.height();
                                features
                            })
                        }
                        Err(error) => {
                            let message = format!("cannot take the selected rows: {error}");
                            return Some(Event::Prepared {
                                generation,
                                result: Err(message),
                            });
                        }
                    }
                }
            };
            let result = features
                .map(|features| {
                    let points = Arc::new(features.matrix.clone());
                    PreparedFeatures {
                        features,
                        points,
                        scaling,
                        subset: subset.clone(),
                    }
                })
                .map_err(|e| e.to_string());
            Some(Event::Prepared { generation, result })
        });
    }

    /// Sends a clustering request; the running one, if any, is cancelled.
    pub fn cluster(
        &mut self,
        points: Arc<Matrix>,
        clustered_on: Option<Arc<Matrix>>,
        params: AlgorithmParams,
        image: Option<ImageRequest>,
        backend: BackendChoice,
    ) {
        self.cancel_clustering();
        self.cluster_generation += 1;
        let cancel = CancelToken::new();
        self.running_cancel = Some(cancel.clone());
        let job = ClusterJob {
            generation: self.cluster_generation,
            points,
            clustered_on,
            params,
            image,
            backend,
            cancel,
            stall: self.stall_next_clustering.take(),
        };
        self.last_cluster = Some(job.clone());
        if self.worker.running.load(Ordering::Acquire) != 0 && self.waiting_since.is_none() {
            self.waiting_since = Some(Instant::now());
            self.ctx.request_repaint_after(ABANDON_AFTER);
        }
        self.send_to_worker(WorkerJob::Cluster(job));
    }

    /// Computes the scatter coordinates of `points` (the newest request wins).
    pub fn project(
        &mut self,
        points: Arc<Matrix>,
        request: ProjectionRequest,
        backend: BackendChoice,
    ) {
        self.project_generation += 1;
        let job = ProjectJob {
            generation: self.project_generation,
            points,
            request,
            backend,
        };
        self.last_project = Some(job.clone());
        self.send_to_worker(WorkerJob::Project(job));
    }

    /// Uploads a new cut's labels for the point renderer (on the worker, off the UI
    /// thread); an [`Event::LabelsUploaded`] follows.
    pub fn upload_labels(&mut self, generation: u64, revision: u64, labels: Vec<u32>) {
        let job = UploadJob {
            generation,
            revision,
            labels,
        };
        self.last_upload = Some(job.clone());
        self.send_to_worker(WorkerJob::Upload(job));
    }

    /// Scores a result on a thread of its own; an [`Event::Scored`] follows unless
    /// `cancel` is raised first.
    pub fn score(
        &self,
        key: (u64, u64),
        points: Arc<Matrix>,
        labels: Vec<u32>,
        n_clusters: usize,
        cancel: crate::cluster::CancelToken,
    ) {
        self.spawn("scores", move || {
            let result = super::scores::compute(&points, &labels, n_clusters, &cancel);
            (!cancel.is_cancelled()).then_some(Event::Scored { key, result })
        });
    }

    /// Computes a UMAP or t-SNE map on a thread of its own (an engine of its own):
    /// [`Event::MapFrame`] as it refines, then [`Event::Mapped`]; a raised `cancel` stops
    /// it at its next step.
    pub fn map(
        &self,
        key: u64,
        points: Arc<Matrix>,
        request: super::maps::MapRequest,
        backend: BackendChoice,
        cancel: crate::cluster::CancelToken,
    ) {
        let (events, ctx) = (self.events_tx.clone(), self.ctx.clone());
        let mut engine = self.engine_template.fresh();
        self.spawn("map", move || {
            let context = crate::cluster::RunContext::new(cancel.clone());
            let mut on_frame = |frame: crate::projection::map::MapFrame<'_>| {
                let _ = events.send(Event::MapFrame {
                    key,
                    step: frame.step,
                    n_steps: frame.n_steps,
                    positions: Arc::new(frame.positions.to_vec()),
                });
                ctx.request_repaint();
            };
            let result = request
                .run(&mut engine, &points, backend, &context, &mut on_frame)
                .map(Arc::new)
                .map_err(|e| e.to_string());
            (!cancel.is_cancelled()).then_some(Event::Mapped { key, result })
        });
    }

    /// The `k` nearest rows of `row` under `metric`, on a thread of its own.
    pub fn neighbours(
        &self,
        key: u64,
        points: Arc<Matrix>,
        row: u32,
        k: usize,
        metric: crate::spatial::metric::Metric,
    ) {
        self.spawn("neighbours", move || {
            let result = super::maps::nearest_rows(&points, row, k, metric);
            Some(Event::Neighbours { key, result })
        });
    }

    /// Runs a sweep on a thread of its own (an engine of its own, so the worker stays free
    /// for the shown result): [`Event::SweepProgress`] after each run, then
    /// [`Event::Swept`].
    pub fn sweep(
        &self,
        key: u64,
        points: Arc<Matrix>,
        plan: crate::sweep::SweepPlan,
        options: crate::sweep::SweepOptions,
        cancel: crate::cluster::CancelToken,
    ) {
        let (events, ctx) = (self.events_tx.clone(), self.ctx.clone());
        let mut engine = self.engine_template.fresh();
        self.spawn("sweep", move || {
            let context = crate::cluster::RunContext::new(cancel);
            let mut on_run = |done: usize, total: usize, _: &crate::sweep::SweepRun| {
                let _ = events.send(Event::SweepProgress { key, done, total });
                ctx.request_repaint();
            };
            let result =
                crate::sweep::run(&mut engine, &points, &plan, options, &context, &mut on_run)
                    .map(|outcome| super::sweep_panel::FinishedSweep {
                        // The values as run: `kdist` ones are known only now.
                        labels: outcome
                            .values
                            .iter()
                            .map(|v| crate::sweep::value_text(&v.value))
                            .collect(),
                        outcome: Arc::new(outcome),
                        points: Arc::clone(&points),
                        params: plan.params.clone(),
                        backend: options.backend,
                    })
                    .map_err(|error| {
                        if error.is_cancelled() {
                            "Sweep cancelled.".to_string()
                        } else {
                            error.to_string()
                        }
                    });
            Some(Event::Swept { key, result })
        });
    }

    /// Scores `points` with outlier detector `method` on a thread of its own with an engine
    /// of its own; an [`Event::OutliersScored`] follows (also when cancelled).
    #[allow(clippy::too_many_arguments)]
    pub fn outliers(
        &self,
        key: u64,
        points: Arc<Matrix>,
        method: &'static str,
        params: crate::cluster::ParamValues,
        labels: Option<Vec<u32>>,
        backend: crate::cluster::BackendChoice,
        cancel: crate::cluster::CancelToken,
    ) {
        let mut engine = self.engine_template.fresh();
        self.spawn("outliers", move || {
            let context = crate::cluster::RunContext::new(cancel);
            let result = crate::outliers::detect(
                &mut engine,
                method,
                &params,
                &crate::outliers::DetectInput {
                    points: &points,
                    backend,
                    labels: labels.as_deref(),
                },
                &context,
            )
            .map(|scores| {
                Arc::new(super::outliers::ScoredRows::new(
                    scores,
                    Arc::clone(&points),
                ))
            })
            .map_err(|error| match error {
                crate::cluster::ClusterError::Cancelled => "Scoring cancelled.".to_string(),
                crate::cluster::ClusterError::Params(e) => super::params_ui::render_error(&e),
                other => other.to_string(),
            });
            Some(Event::OutliersScored { key, result })
        });
    }

    /// Refines a result's silhouette to the exact one on a thread of its own; an
    /// [`Event::ExactSilhouette`] follows unless cancelled first.
    pub fn exact_silhouette(
        &self,
        key: (u64, u64),
        points: Arc<Matrix>,
        labels: Vec<u32>,
        n_clusters: usize,
        done: Arc<std::sync::atomic::AtomicUsize>,
        cancel: crate::cluster::CancelToken,
    ) {
        self.spawn("exact silhouette", move || {
            let result =
                super::exact_silhouette::compute(&points, &labels, n_clusters, &done, &cancel);
            Some(Event::ExactSilhouette { key, result })
        });
    }

    /// Scores a result against column `key.2` on a thread of its own; an
    /// [`Event::ExternalScored`] follows.
    pub fn external_scores(
        &self,
        key: (u64, u64, String),
        table: Arc<LoadedTable>,
        prepared: Arc<PreparedFeatures>,
        labels: Vec<u32>,
        n_clusters: usize,
    ) {
        self.spawn("external scores", move || {
            let result = super::external_scores::compute(
                &table.frame,
                &key.2,
                &prepared.features.table_rows,
                &labels,
                n_clusters,
            );
            Some(Event::ExternalScored { key, result })
        });
    }

    /// Profiles a result over its table on a thread of its own; an [`Event::Profiled`]
    /// follows.
    pub fn profile(
        &self,
        key: (u64, u64),
        table: Arc<LoadedTable>,
        prepared: Arc<PreparedFeatures>,
        labels: Vec<u32>,
        n_clusters: usize,
    ) {
        self.spawn("profile", move || {
            let result = super::profiles::compute(
                &table.frame,
                &prepared.features.table_rows,
                &labels,
                n_clusters,
            );
            Some(Event::Profiled { key, result })
        });
    }

    /// Uploads a column colouring's codes for the point renderer on a thread of its own
    /// (a running clustering holds the worker); an [`Event::ColourCodesUploaded`] follows.
    pub fn upload_colour_codes(&mut self, key: u64, codes: Vec<u32>) {
        let Some(render) = self.render_device.clone() else {
            return;
        };
        let (events, ctx) = (self.events_tx.clone(), self.ctx.clone());
        let spawned = std::thread::Builder::new()
            .name("colour upload".into())
            .spawn(move || {
                let chunks = render.upload_labels(&codes);
                let _ = events.send(Event::ColourCodesUploaded { key, chunks });
                ctx.request_repaint();
            });
        if let Err(error) = spawned {
            tracing::error!("cannot start the colour upload: {error}");
        }
    }

    /// Stops the running clustering at its next iteration.
    pub fn cancel_clustering(&mut self) {
        if let Some(cancel) = self.running_cancel.take() {
            cancel.cancel();
        }
    }

    /// The native open dialog, off the UI thread.
    pub fn pick_open(&self, folder: PathBuf) {
        self.spawn("open-dialog", move || {
            dialog_near(&folder)
                .add_filter(
                    "Tables",
                    &[data::SUPPORTED_EXTENSIONS, data::COMPRESSED_EXTENSIONS].concat(),
                )
                .add_filter("Clusterscope sessions", &[super::session::EXTENSION])
                .add_filter("Images", segment::image_io::IMAGE_EXTENSIONS)
                .add_filter("All files", &["*"])
                .pick_file()
                .map(Event::OpenPicked)
        });
    }

    /// The native open dialog for a node-attribute table, off the UI thread.
    pub fn pick_node_table(&self, folder: PathBuf) {
        self.spawn("node-table-dialog", move || {
            dialog_near(&folder)
                .set_title("Join a node table to the graph")
                .add_filter(
                    "Tables",
                    &[data::SUPPORTED_EXTENSIONS, data::COMPRESSED_EXTENSIONS].concat(),
                )
                .add_filter("All files", &["*"])
                .pick_file()
                .map(Event::NodeTablePicked)
        });
    }

    /// The native open dialog for a table to attach, off the UI thread.
    pub fn pick_attach(&self, folder: PathBuf) {
        self.spawn("attach-dialog", move || {
            dialog_near(&folder)
                .set_title("Attach the columns of a table with as many rows")
                .add_filter(
                    "Tables",
                    &[data::SUPPORTED_EXTENSIONS, data::COMPRESSED_EXTENSIONS].concat(),
                )
                .add_filter("All files", &["*"])
                .pick_file()
                .map(Event::AttachPicked)
        });
    }

    /// Reads `path` and puts its columns beside `table`'s; the joined table arrives as a
    /// newly loaded one ([`Event::Loaded`]).
    pub fn attach(&mut self, table: Arc<LoadedTable>, path: PathBuf) {
        self.load_generation += 1;
        let generation = self.load_generation;
        self.spawn("attach", move || {
            let result = data::read_table(&path)
                .and_then(|extra| data::attach_columns(&table.frame, &extra, &path))
                .map(|frame| LoadedTable {
                    info: data::table_info(&frame),
                    frame,
                    path: table.path.clone(),
                    image: None,
                    sheet: table.sheet.clone(),
                    sheets: table.sheets.clone(),
                })
                .map_err(|e| e.to_string());
            Some(Event::Loaded { generation, result })
        });
    }

    /// The native save dialog, off the UI thread.
    pub fn pick_export(&self, suggested: PathBuf, label_column: String, selection_only: bool) {
        self.spawn("export-dialog", move || {
            dialog_near(&suggested)
                .add_filter("CSV", &["csv"])
                .add_filter("Parquet", &["parquet"])
                .add_filter("TSV", &["tsv"])
                .save_file()
                .map(|path| Event::ExportPicked {
                    path,
                    label_column,
                    selection_only,
                })
        });
    }

    /// Writes `request` atomically on a background thread.
    /// Asks where to write an image export (mask, overlay or segment table).
    pub fn pick_image_export(&self, kind: ImageExport, suggested: PathBuf) {
        self.spawn("export-dialog", move || {
            let (name, extension) = match kind {
                ImageExport::Mask | ImageExport::Overlay => ("PNG", "png"),
                ImageExport::Segments => ("CSV", "csv"),
            };
            dialog_near(&suggested)
                .add_filter(name, &[extension])
                .save_file()
                .map(|path| Event::ImageExportPicked { path, kind })
        });
    }

    /// Writes an image export on a background thread (atomically, never over the image).
    pub fn export_image(
        &self,
        kind: ImageExport,
        path: PathBuf,
        image: Arc<PixelImage>,
        segmentation: Arc<segment::Segmentation>,
        style: segment::export::OverlayStyle,
        (params, backend): (SegmentParams, BackendChoice),
    ) {
        self.spawn("export", move || {
            let source = image.path.clone();
            let source = source.as_deref();
            // The record hashes the image here, off the UI thread.
            let record = match source {
                Some(source) => segment::provenance::SegmentRecord::new(
                    "window",
                    &params,
                    backend,
                    &segmentation,
                    source,
                )
                .map(Some),
                None => Ok(None),
            };
            let result = record.and_then(|record| {
                let record = record.as_ref();
                match kind {
                    ImageExport::Mask => {
                        segment::export::write_mask(&segmentation, &path, source, record)
                    }
                    ImageExport::Overlay => segment::export::write_overlay(
                        &image,
                        &segmentation,
                        &style,
                        &path,
                        source,
                        record,
                    ),
                    ImageExport::Segments => segment::stats::write_segments_csv(
                        &segment::stats::segment_stats(&image, &segmentation),
                        &path,
                        source,
                        record,
                    ),
                }
            });
            Some(Event::Exported(
                result.map(|()| path).map_err(|e| e.to_string()),
            ))
        });
    }

    /// Asks where to write a picture of a view.
    pub fn pick_view_export(&self, kind: super::view_export::ViewExport, suggested: PathBuf) {
        self.spawn("export-dialog", move || {
            let extension = kind.extension();
            dialog_near(&suggested)
                .add_filter(extension.to_uppercase(), &[extension])
                .save_file()
                .map(|path| Event::ViewExportPicked { path, kind })
        });
    }

    /// Asks the renderer for the next frame's pixels and writes the part under `rect`
    /// (points) as PNG on a background thread.
    pub fn screenshot_to_png(&self, rect: egui::Rect, path: PathBuf, input: Option<PathBuf>) {
        let (events, ctx) = (self.events_tx.clone(), self.ctx.clone());
        let pixels_per_point = self.ctx.pixels_per_point();
        let callback = egui::ScreenshotCallback::new(move |image| {
            let cropped = super::view_export::crop(&image, rect, pixels_per_point);
            let spawned = std::thread::Builder::new()
                .name("export".into())
                .spawn(move || {
                    let result = super::view_export::write_png(&cropped, &path, input.as_deref())
                        .map(|()| path);
                    let _ = events.send(Event::Exported(result));
                    ctx.request_repaint();
                });
            if let Err(error) = spawned {
                tracing::error!("cannot start the export: {error}");
            }
        });
        self.ctx
            .send_viewport_cmd(egui::ViewportCommand::Screenshot(callback));
        self.ctx.request_repaint();
    }

    /// Writes `text` to `path` atomically on a background thread.
    pub fn write_text(&self, path: PathBuf, input: Option<PathBuf>, text: String) {
        self.spawn("export", move || {
            let result = data::write_atomically(&path, input.as_deref(), |file| {
                use std::io::Write;
                file.write_all(text.as_bytes()).map_err(|e| e.to_string())
            })
            .map(|()| path)
            .map_err(|e| e.to_string());
            Some(Event::Exported(result))
        });
    }

    /// Asks where to save a session, suggesting `suggested` (beside the input).
    pub fn pick_session_save(&self, suggested: PathBuf) {
        self.spawn("session-dialog", move || {
            dialog_near(&suggested)
                .add_filter("Clusterscope session", &[super::session::EXTENSION])
                .save_file()
                .map(Event::SessionSavePicked)
        });
    }

    /// Hashes the input and writes `session` to `path`, off the UI thread.
    pub fn save_session(
        &self,
        mut session: super::session::Session,
        input: PathBuf,
        path: PathBuf,
    ) {
        self.spawn("session-save", move || {
            let result = data::InputRecord::of(&input)
                .map_err(|e| e.to_string())
                .and_then(|record| {
                    session.input = record;
                    session.write(&path)
                })
                .map(|()| path);
            Some(Event::SessionSaved(result))
        });
    }

    /// Reads a session file off the UI thread.
    pub fn read_session(&self, path: PathBuf) {
        self.spawn("session-read", move || {
            let result = super::session::Session::read(&path).map(Box::new);
            Some(Event::SessionRead { path, result })
        });
    }

    /// Hashes `path` off the UI thread.
    pub fn fingerprint(&self, path: PathBuf) {
        self.spawn("fingerprint", move || {
            let result = data::InputRecord::of(&path).map_err(|e| e.to_string());
            Some(Event::Fingerprinted { path, result })
        });
    }

    pub fn export(&self, table: Arc<LoadedTable>, request: super::export::ExportRequest) {
        self.spawn("export", move || {
            let result = request.write(&table).map_err(|e| e.to_string());
            Some(Event::Exported(result))
        });
    }
}

/// A native dialog opening in `suggested`'s folder with its file name filled in (the
/// folder alone when `suggested` is one).
fn dialog_near(suggested: &std::path::Path) -> rfd::FileDialog {
    let dialog = rfd::FileDialog::new();
    if suggested.is_dir() {
        return dialog.set_directory(suggested);
    }
    let dialog = match suggested.parent().filter(|p| p.is_dir()) {
        Some(folder) => dialog.set_directory(std::path::absolute(folder).unwrap_or(folder.into())),
        None => dialog,
    };
    match suggested.file_name() {
        Some(name) => dialog.set_file_name(name.to_string_lossy()),
        None => dialog,
    }
}

/// Starts a thread that owns `engine` and runs the newest job of each kind sent to it.
fn start_worker(
    engine: Engine,
    render_device: Option<RenderDevice>,
    events: Sender<Event>,
    ctx: egui::Context,
) -> WorkerHandle {
    let (tx, rx) = channel::<WorkerJob>();
    let running = Arc::new(AtomicU64::new(0));
    let retired = Arc::new(AtomicBool::new(false));
    let handle = WorkerHandle {
        tx,
        running: Arc::clone(&running),
        retired: Arc::clone(&retired),
    };
    let spawned = std::thread::Builder::new()
        .name("clusterscope-worker".into())
        .spawn(move || {
            let mut worker = Worker {
                engine,
                superpixels: Default::default(),
                render_device,
                events,
                ctx,
            };
            while let Ok(first) = rx.recv() {
                if retired.load(Ordering::Acquire) {
                    break;
                }
                // Only the newest request of each kind matters; uploads and projections
                // go first (they are quick and the view waits for them).
                let (mut cluster, mut project, mut upload) = (None, None, None);
                for job in std::iter::once(first).chain(rx.try_iter()) {
                    match job {
                        WorkerJob::Cluster(job) => cluster = Some(job),
                        WorkerJob::Project(job) => project = Some(job),
                        WorkerJob::Upload(job) => upload = Some(job),
                    }
                }
                if let Some(job) = upload {
                    worker.upload(job);
                }
                if let Some(job) = project {
                    worker.project(job);
                }
                if let Some(job) = cluster
                    && !job.cancel.is_cancelled()
                {
                    running.store(job.generation, Ordering::Release);
                    worker.cluster(job);
                    running.store(0, Ordering::Release);
                }
            }
        });
    if let Err(error) = spawned {
        tracing::error!("cannot start the clustering worker: {error}");
    }
    handle
}

struct Worker {
    engine: Engine,
    /// The newest superpixels, reused while only the algorithm clustering them changes.
    superpixels: segment::superpixels::SuperpixelCache,
    render_device: Option<RenderDevice>,
    events: Sender<Event>,
    ctx: egui::Context,
}

impl Worker {
    fn send(&self, event: Event) {
        let _ = self.events.send(event);
        self.ctx.request_repaint();
    }

    /// True when the engine computes on the window's own device (buffers can be shared).
    fn shares_render_device(&mut self) -> bool {
        let Some(render) = self.render_device.clone() else {
            return false;
        };
        self.engine
            .gpu_context()
            .is_some_and(|context| render.is_device_of(context))
    }

    fn upload(&mut self, job: UploadJob) {
        let Some(render) = &self.render_device else {
            return;
        };
        let labels = RenderLabels {
            chunks: render.upload_labels(&job.labels),
            shared_with_compute: false,
            to_id: identity(&job.labels),
        };
        self.send(Event::LabelsUploaded {
            generation: job.generation,
            revision: job.revision,
            labels,
        });
    }

    fn cluster(&mut self, job: ClusterJob) {
        if let Some(stall) = job.stall {
            std::thread::sleep(stall);
        }
        let progress_events = self.events.clone();
        let progress_ctx = self.ctx.clone();
        let generation = job.generation;
        let context = RunContext::new(job.cancel.clone()).with_progress(move |progress| {
            let _ = progress_events.send(Event::Progress {
                generation,
                progress,
            });
            progress_ctx.request_repaint();
        });
        let result = match &job.image {
            Some(image) => self
                .segment(&job.points, image, job.backend, &context)
                .map(|s| {
                    let clustering = Clustering::new(s.labels, s.n_segments, s.diagnostics);
                    match s.inertia {
                        Some(inertia) => clustering.minimising("inertia", inertia),
                        None => clustering,
                    }
                }),
            None => crate::cluster::run(
                &mut self.engine,
                job.clustered_on.as_ref().unwrap_or(&job.points),
                &job.params,
                job.backend,
                &context,
            ),
        };
        let result = match result {
            Err(ClusterError::Cancelled) => return,
            other => other.map_err(|e| e.to_string()),
        };
        let render_labels = match &result {
            Ok(clustering) => self.render_labels(clustering),
            Err(_) => None,
        };
        self.send(Event::Clustered {
            generation,
            points: job.points,
            params: job.params,
            backend: job.backend,
            result,
            render_labels,
        });
    }

    /// Segments an image's pixel `features`; superpixels come from the cache when only the
    /// algorithm that clusters them changed.
    fn segment(
        &mut self,
        features: &Arc<Matrix>,
        image: &ImageRequest,
        backend: BackendChoice,
        context: &RunContext,
    ) -> Result<segment::Segmentation, ClusterError> {
        let params = &image.params;
        let Some(algorithm) = params
            .cluster
            .as_ref()
            .filter(|_| params.algorithm == segment::SegmentAlgorithm::Superpixels)
        else {
            return segment::segment_features(
                &mut self.engine,
                features,
                image.width,
                image.height,
                params,
                backend,
                context,
            );
        };
        params.check(features.n_rows)?;
        let key =
            segment::superpixels::SuperpixelKey::new(params, image.width, image.height, backend);
        let engine = &mut self.engine;
        let superpixels = self.superpixels.get_or_compute(features, key, || {
            segment::superpixels::superpixels(
                engine,
                features,
                image.width,
                image.height,
                params,
                backend,
                context,
            )
        })?;
        segment::superpixels::cluster_superpixels(engine, &superpixels, algorithm, backend, context)
    }

    /// The labels for the point renderer: GPU k-means' own buffers when it ran on the
    /// window's device, otherwise a copy uploaded once per result.
    fn render_labels(&mut self, clustering: &Clustering) -> Option<RenderLabels> {
        let device = self.render_device.clone()?;
        if let Some(gpu) = &clustering.gpu_labels
            && self.shares_render_device()
        {
            return Some(RenderLabels {
                chunks: gpu.chunks.clone(),
                shared_with_compute: true,
                to_id: gpu.to_id.clone(),
            });
        }
        Some(RenderLabels {
            chunks: device.upload_labels(&clustering.labels),
            shared_with_compute: false,
            to_id: identity(&clustering.labels),
        })
    }

    fn project(&mut self, job: ProjectJob) {
        let generation = job.generation;
        let result = self.projection(job);
        self.send(Event::Projected { generation, result });
    }

    fn projection(&mut self, job: ProjectJob) -> Result<Projection, String> {
        let points = job.points;
        let (pca, components, coordinates, axis_labels) = match job.request {
            ProjectionRequest::Pca { fitted, x, y } => {
                let pca = match fitted {
                    Some(pca) => pca,
                    None => Arc::new(
                        self.engine
                            .fit_pca(&points, job.backend)
                            .or_else(|gpu_error| {
                                // A GPU failure (memory, driver) should not leave the view empty.
                                tracing::warn!("GPU PCA failed, fitting on the CPU: {gpu_error}");
                                Pca::fit_cpu(&points).map_err(ClusterError::Internal)
                            })
                            .map_err(|e| e.to_string())?,
                    ),
                };
                let coordinates = pca.project(&points, x, y);
                let label = |c: usize| match pca.explained_ratio.get(c) {
                    Some(ratio) => format!("PC{} ({:.1}% of variance)", c + 1, ratio * 100.0),
                    None => format!("PC{}", c + 1),
                };
                let labels = (label(x), label(y));
                (Some(pca), Some((x, y)), coordinates, labels)
            }
            ProjectionRequest::Columns { table, rows, x, y } => {
                let coordinates = column_pairs(&table.frame, &x, &y, &rows)?;
                (None, None, coordinates, (x, y))
            }
            ProjectionRequest::Embedding { embedding, x, y } => {
                let d = embedding.n_cols;
                let coordinates = embedding
                    .values
                    .chunks_exact(d.max(1))
                    .map(|row| [row[x.min(d - 1)], row[y.min(d - 1)]])
                    .collect();
                let label = |c: usize| format!("spectral embedding, eigenvector {}", c + 1);
                (None, None, coordinates, (label(x), label(y)))
            }
            ProjectionRequest::Coordinates {
                coordinates,
                labels,
            } => (None, None, coordinates.as_ref().clone(), labels),
        };
        let gpu_positions = match (&pca, components, self.shares_render_device()) {
            (Some(pca), Some((x, y)), true) => self
                .engine
                .pca_positions(&points, pca, x, y)
                .map_err(|e| e.to_string())?,
            _ => None,
        };
        let gpu_positions = gpu_positions.or_else(|| {
            self.render_device
                .as_ref()
                .map(|device| device.upload_positions(&coordinates))
        });
        let bounds = finite_bounds(&coordinates);
        let coordinates = Arc::new(coordinates);
        let index = Arc::new(crate::spatial::GridIndex::new(Arc::clone(&coordinates)));
        Ok(Projection {
            points,
            pca,
            components,
            index,
            coordinates,
            gpu_positions,
            axis_labels,
            bounds,
        })
    }
}

/// (x, y) values of two table columns at `rows`.
fn column_pairs(
    frame: &DataFrame,
    x: &str,
    y: &str,
    rows: &[u32],
) -> Result<Vec<[f32; 2]>, String> {
    let values = |name: &str| -> Result<Vec<f32>, String> {
        let column = frame.column(name).map_err(|e| e.to_string())?;
        let column = column
            .cast(&polars::prelude::DataType::Float64)
            .map_err(|e| format!("column {name}: {e}"))?;
        let values = column.f64().map_err(|e| e.to_string())?;
        Ok(rows
            .iter()
            .map(|&r| values.get(r as usize).map_or(f32::NAN, |v| v as f32))
            .collect())
    };
    let xs = values(x)?;
    let ys = values(y)?;
    Ok(xs.into_iter().zip(ys).map(|(a, b)| [a, b]).collect())
}

/// `0..=max id`: the map of labels that are already ids.
fn identity(labels: &[u32]) -> Vec<u32> {
    (0..super::stable_labels::n_ids(labels) as u32).collect()
}
