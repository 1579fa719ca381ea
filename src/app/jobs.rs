//! Background work for the window: loading tables, preparing features, clustering, dialogs
//! and exports. The UI thread only sends requests and polls events; every request carries a
//! generation so that only the newest one's result is used, and a newer clustering request
//! cancels the running one at its next iteration.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use eframe::egui;
use polars::prelude::DataFrame;

use crate::cluster::{
    AlgorithmParams, BackendChoice, CancelToken, ClusterError, Clustering, Engine, Progress,
    RunContext,
};
use crate::data::{self, FeatureMatrix, Scaling, TableInfo};
use crate::matrix::Matrix;
use crate::projection;

/// A table read from disk.
pub struct LoadedTable {
    pub path: PathBuf,
    pub frame: DataFrame,
    pub info: TableInfo,
}

/// The feature matrix of the current column choice, and its PCA projection.
pub struct PreparedFeatures {
    pub features: FeatureMatrix,
    pub points: Arc<Matrix>,
    /// PCA coordinates per matrix row and explained variance ratios, or why PCA failed.
    pub pca: Result<(Vec<[f64; 2]>, [f64; 2]), String>,
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
        result: Result<Clustering, String>,
    },
    OpenPicked(PathBuf),
    ExportPicked {
        path: PathBuf,
        label_column: String,
    },
    Exported(Result<PathBuf, String>),
}

struct ClusterJob {
    generation: u64,
    points: Arc<Matrix>,
    params: AlgorithmParams,
    backend: BackendChoice,
    cancel: CancelToken,
}

/// Handle the UI keeps on its background work.
pub struct Jobs {
    ctx: egui::Context,
    events_tx: Sender<Event>,
    events_rx: Receiver<Event>,
    cluster_tx: Sender<ClusterJob>,
    pub load_generation: u64,
    pub prepare_generation: u64,
    pub cluster_generation: u64,
    running_cancel: Option<CancelToken>,
    /// The adapter the window's engine would use for GPU work.
    pub gpu_name: Option<String>,
}

impl Jobs {
    /// Starts the clustering worker, which owns `engine`.
    pub fn new(ctx: egui::Context, mut engine: Engine) -> Self {
        let (events_tx, events_rx) = channel();
        let (cluster_tx, cluster_rx) = channel::<ClusterJob>();
        let gpu_name = engine.gpu_context().map(|c| c.adapter_name());
        let worker_events = events_tx.clone();
        let worker_ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("clusterscope-worker".into())
            .spawn(move || {
                while let Ok(mut job) = cluster_rx.recv() {
                    // Only the newest request matters.
                    while let Ok(newer) = cluster_rx.try_recv() {
                        job = newer;
                    }
                    if job.cancel.is_cancelled() {
                        continue;
                    }
                    let progress_events = worker_events.clone();
                    let progress_ctx = worker_ctx.clone();
                    let generation = job.generation;
                    let context =
                        RunContext::new(job.cancel.clone()).with_progress(move |progress| {
                            let _ = progress_events.send(Event::Progress {
                                generation,
                                progress,
                            });
                            progress_ctx.request_repaint();
                        });
                    let result = crate::cluster::run(
                        &mut engine,
                        &job.points,
                        &job.params,
                        job.backend,
                        &context,
                    );
                    let result = match result {
                        Err(ClusterError::Cancelled) => continue,
                        other => other.map_err(|e| e.to_string()),
                    };
                    let _ = worker_events.send(Event::Clustered {
                        generation,
                        points: job.points,
                        result,
                    });
                    worker_ctx.request_repaint();
                }
            });
        if let Err(error) = spawned {
            tracing::error!("cannot start the clustering worker: {error}");
        }
        Self {
            ctx,
            events_tx,
            events_rx,
            cluster_tx,
            load_generation: 0,
            prepare_generation: 0,
            cluster_generation: 0,
            running_cancel: None,
            gpu_name,
        }
    }

    /// Events that arrived since the last call.
    pub fn poll(&self) -> Vec<Event> {
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

    pub fn load(&mut self, path: PathBuf) {
        self.load_generation += 1;
        let generation = self.load_generation;
        self.spawn("load", move || {
            let result = data::read_table(&path)
                .map(|frame| LoadedTable {
                    info: data::table_info(&frame),
                    frame,
                    path,
                })
                .map_err(|e| e.to_string());
            Some(Event::Loaded { generation, result })
        });
    }

    pub fn prepare(&mut self, table: Arc<LoadedTable>, columns: Vec<String>, scaling: Scaling) {
        self.prepare_generation += 1;
        let generation = self.prepare_generation;
        self.spawn("prepare", move || {
            let result = data::extract_features(&table.frame, &columns, scaling)
                .map(|features| {
                    let points = Arc::new(features.matrix.clone());
                    let pca = projection::pca_2d(&points);
                    PreparedFeatures {
                        features,
                        points,
                        pca,
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
        params: AlgorithmParams,
        backend: BackendChoice,
    ) {
        self.cancel_clustering();
        self.cluster_generation += 1;
        let cancel = CancelToken::new();
        self.running_cancel = Some(cancel.clone());
        let job = ClusterJob {
            generation: self.cluster_generation,
            points,
            params,
            backend,
            cancel,
        };
        if self.cluster_tx.send(job).is_err() {
            tracing::error!("the clustering worker has stopped");
        }
    }

    /// Stops the running clustering at its next iteration.
    pub fn cancel_clustering(&mut self) {
        if let Some(cancel) = self.running_cancel.take() {
            cancel.cancel();
        }
    }

    /// The native open dialog, off the UI thread.
    pub fn pick_open(&self) {
        self.spawn("open-dialog", || {
            rfd::FileDialog::new()
                .add_filter("Tables", data::SUPPORTED_EXTENSIONS)
                .add_filter("All files", &["*"])
                .pick_file()
                .map(Event::OpenPicked)
        });
    }

    /// The native save dialog, off the UI thread.
    pub fn pick_export(&self, suggested_name: String, label_column: String) {
        self.spawn("export-dialog", move || {
            rfd::FileDialog::new()
                .add_filter("CSV", &["csv"])
                .add_filter("Parquet", &["parquet"])
                .add_filter("TSV", &["tsv"])
                .set_file_name(suggested_name)
                .save_file()
                .map(|path| Event::ExportPicked { path, label_column })
        });
    }

    pub fn export(
        &self,
        table: Arc<LoadedTable>,
        labels: Vec<Option<u32>>,
        label_column: String,
        output: PathBuf,
    ) {
        self.spawn("export", move || {
            let result = data::export_labeled(
                &table.frame,
                &labels,
                &label_column,
                &output,
                Some(&table.path),
            )
            .map(|()| output)
            .map_err(|e| e.to_string());
            Some(Event::Exported(result))
        });
    }
}
