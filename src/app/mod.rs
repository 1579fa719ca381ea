//! The desktop window: eframe + egui with the wgpu renderer, sharing its device with the
//! clustering engine. During the UI pass the window only records [`Command`]s; they run
//! after it, sending requests to [`jobs::Jobs`], whose results come back as events. The
//! window holds render handles, never wgpu objects (only `launch.rs` sees eframe's device).

mod cluster_styles;
pub mod colour_by;
mod commands;
mod compare;
mod controls;
mod data_defaults;
mod exact_silhouette;
mod export;
mod external_scores;
mod file_dialog;
pub mod graph_view;
mod heavy_run;
mod history;
mod image_view;
mod jobs;
mod launch;
mod layout;
mod legend;
pub mod maps;
mod menu;
mod params_ui;
mod scores;
pub use crate::palette;
pub mod outliers;
mod profiles;
mod scatter;
mod selection_table;
mod session;
mod settings;
mod silhouette_plot;
mod stable_labels;
mod status;
mod structure;
mod sweep_panel;
mod view_export;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use eframe::egui;

pub use cluster_styles::ClusterStyles;
pub use colour_by::{ColourBy, ColourKey, ColumnColours};
pub use commands::Command;
pub use compare::PinnedClustering;
pub use jobs::{
    Event, ImageExport, Jobs, LoadedTable, PreparedFeatures, Projection, ProjectionRequest,
    RenderLabels,
};
pub use launch::run_window;
pub use layout::Pane;
pub use scatter::{RendererChoice, ScatterTool};
pub use session::Session;
pub use settings::{Settings, ViewSettings};

use crate::cluster::{self, Engine};
use crate::matrix::Matrix;
pub use crate::projection::finite_bounds;
use crate::render::RenderDevice;

/// Where the window keeps its pane layout in eframe's storage.
pub const LAYOUT_KEY: &str = "layout";

/// The demo table opened when no file is given.
pub fn demo_table_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join("demo.csv")
}

/// Which two coordinates the scatter shows.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ScatterAxes {
    /// Two principal components (0-based) of the scaled features.
    Pca { x: usize, y: usize },
    /// Two table columns, unscaled.
    Columns { x: String, y: String },
    /// Two coordinates (0-based) of the shown spectral clustering's embedding.
    Embedding { x: usize, y: usize },
    /// A UMAP or t-SNE map of the features (see [`maps`]).
    Map { method: maps::MapMethod },
}

impl Default for ScatterAxes {
    fn default() -> Self {
        ScatterAxes::Pca { x: 0, y: 1 }
    }
}

/// The clustering currently shown, with the matrix it was computed on.
pub struct Clustering {
    /// The request generation that produced it (cache key for views).
    pub generation: u64,
    /// Bumped when the labels change without a new run (a cut moved in a view).
    pub revision: u64,
    pub points: Arc<Matrix>,
    pub result: cluster::Clustering,
    pub sizes: Vec<usize>,
    /// The labels in the point renderer's buffers, with the colour slot of each value they
    /// hold and the revision they belong to (a new cut's upload arrives a frame later;
    /// until then the renderer keeps drawing the previous one consistently).
    pub render_labels: Option<RenderLabels>,
    pub render_slots: Vec<u32>,
    pub render_revision: u64,
    /// Cluster id → colour slot (the stable colour matching). `result.labels` holds ids
    /// `0..k−1` numbered by size; colours, names and visibility belong to slots.
    pub slot_of: Vec<u32>,
    /// The parameters that give these labels (a cut updates the one it steers) and where
    /// the run was asked to go: an export's record.
    pub params: cluster::AlgorithmParams,
    pub backend_choice: cluster::BackendChoice,
}

impl Clustering {
    /// A new result; `previous` (same points) lends its colour slots.
    fn new(
        generation: u64,
        points: Arc<Matrix>,
        (params, backend_choice): (cluster::AlgorithmParams, cluster::BackendChoice),
        result: cluster::Clustering,
        render_labels: Option<RenderLabels>,
        previous: Option<&Clustering>,
    ) -> Self {
        let slot_of = match previous {
            Some(previous) => {
                stable_labels::slots(&previous.result.labels, &previous.slot_of, &result.labels)
            }
            None => (0..result.n_clusters as u32).collect(),
        };
        let render_slots = render_labels
            .as_ref()
            .map(|r| render_slots(&r.to_id, &slot_of))
            .unwrap_or_default();
        let mut shown = Self {
            generation,
            revision: 0,
            points,
            sizes: Vec::new(),
            render_labels,
            render_slots,
            render_revision: 0,
            slot_of,
            result,
            params,
            backend_choice,
        };
        shown.count_sizes();
        shown
    }

    /// Replaces the labels (a new cut of the same structure), numbered by size, each
    /// cluster keeping the colour of the cluster it overlaps best. Returns the labels for
    /// the renderer's upload (on the worker).
    pub fn relabel(&mut self, mut labels: Vec<u32>) -> Vec<u32> {
        let n_clusters = cluster::renumber_by_size(&mut labels);
        self.slot_of = stable_labels::slots(&self.result.labels, &self.slot_of, &labels);
        self.result.labels = labels;
        self.result.n_clusters = n_clusters;
        self.count_sizes();
        self.revision += 1;
        self.result.labels.clone()
    }

    fn count_sizes(&mut self) {
        self.sizes = self.result.cluster_sizes();
    }

    /// The colour slot of each value the renderer's labels hold at `revision`, once their
    /// upload has arrived.
    pub fn rendered(&mut self, revision: u64, labels: RenderLabels) {
        self.render_slots = render_slots(&labels.to_id, &self.slot_of);
        self.render_labels = Some(labels);
        self.render_revision = revision;
    }

    /// Clusters that have points.
    pub fn n_clusters(&self) -> usize {
        self.result.n_clusters
    }
}

/// Slot per rendered label value: the label's id, then the id's slot.
fn render_slots(to_id: &[u32], slot_of: &[u32]) -> Vec<u32> {
    to_id
        .iter()
        .map(|&id| slot_of.get(id as usize).copied().unwrap_or(0))
        .collect()
}

/// Points picked in one view, highlighted in all of them (matrix row indices, sorted).
/// The one selection model every view reads and writes.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub rows: Vec<u32>,
    /// Where it was made, e.g. "dendrogram branch", "lasso".
    pub source: String,
    /// Unique per selection (GPU masks and summaries are cached by it).
    pub id: u64,
}

impl Selection {
    pub fn new(mut rows: Vec<u32>, source: impl Into<String>) -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        rows.sort_unstable();
        rows.dedup();
        Self {
            rows,
            source: source.into(),
            id: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    pub fn contains(&self, row: u32) -> bool {
        self.rows.binary_search(&row).is_ok()
    }
}

/// Messages for the user, shown until replaced.
#[derive(Default)]
pub struct Notices {
    pub error: Option<String>,
    /// About the shown result (fewer clusters than asked for).
    pub warning: Option<String>,
    pub info: Option<String>,
}

/// The application state.
pub struct ClusterscopeApp {
    pub settings: Settings,
    jobs: Jobs,
    pub table: Option<Arc<LoadedTable>>,
    /// Feature columns chosen for the current table.
    pub selected_columns: Vec<String>,
    pub prepared: Option<Arc<PreparedFeatures>>,
    pub clustering: Option<Clustering>,
    /// Iteration progress of the running clustering, if one is running.
    pub running: Option<crate::cluster::Progress>,
    /// When the pending clustering was asked for, and when its current phase began.
    clustering_started: Option<std::time::Instant>,
    phase_started: Option<(&'static str, std::time::Instant)>,
    pub clustering_pending: bool,
    pub loading: bool,
    pub axes: ScatterAxes,
    /// Coordinates of the current features for the scatter (None while computing).
    pub projection: Option<Projection>,
    scatter: scatter::ScatterState,
    pub notices: Notices,
    export_prompt: Option<export::LabelColumnPrompt>,
    pub selection: Option<Selection>,
    /// The row under the pointer (matrix row), shared by every view.
    pub hovered: Option<u32>,
    /// A row pinned by a click; its values stay shown.
    pub pinned_row: Option<u32>,
    structure_view: structure::StructureView,
    pub styles: ClusterStyles,
    pub pinned: Option<PinnedClustering>,
    /// A clustering request waiting for "Run anyway" (see [`heavy_run`]).
    pub held_run: Option<heavy_run::HeldRun>,
    agreed_run: Option<heavy_run::Agreed>,
    /// The shown result's internal scores (see [`scores`]).
    scores: scores::ScoresState,
    silhouette_drag: silhouette_plot::SilhouetteDrag,
    /// Whether the structure pane showed last frame (it comes to the front when it
    /// appears: the view the algorithm is steered by).
    structure_was_shown: bool,
    result_was_shown: bool,
    profiles: profiles::ProfilesState,
    outliers: outliers::OutliersState,
    external: external_scores::ExternalState,
    exact_silhouette: Option<exact_silhouette::ExactSilhouette>,
    sweep: sweep_panel::SweepPanel,
    /// What the scatter's points are coloured by.
    pub colour_by: ColourBy,
    colour_by_state: colour_by::ColourByState,
    /// The dockable panes (see [`layout`]).
    layout: egui_tiles::Tree<Pane>,
    /// A pane to bring to the front of its tabs before the next frame's panes are drawn.
    front_pane: Option<Pane>,
    /// "Cluster the selection only": the table rows the features are limited to.
    pub subset: Option<Arc<Vec<u32>>>,
    selection_table: selection_table::SelectionTableState,
    renaming: legend::Renaming,
    /// The window's render device when it draws with the GPU point renderer.
    render_device: Option<RenderDevice>,
    /// The open graph (Graph pane), and one being read.
    pub graph_view: Option<graph_view::GraphView>,
    pub pending_graph: Option<graph_view::PendingGraph>,
    /// For the graph view's workers, which repaint when they finish.
    ctx: egui::Context,
    image_view: image_view::ImageViewState,
    /// What the user asked for during this frame, run after the UI pass.
    commands: Vec<Command>,
    /// A session being opened (its choices wait for the table, its styles for a result).
    restoring: Option<session::Restoring>,
    /// A session's input, hashed to check it is the file the session was saved on.
    checking_input: Option<(PathBuf, crate::data::InputRecord)>,
    /// The last session, offered on a start without a file.
    pub offer_session: Option<PathBuf>,
    /// The file dialog drawn in the window, when the desktop has none.
    file_dialog: Option<file_dialog::InAppDialog>,
    history: history::History,
    /// DBSCAN's eps waits to be set from this table's first k-distance curve.
    suggest_eps: bool,
    /// UMAP and t-SNE maps, the clicked row's neighbours, the search.
    pub maps: maps::MapsState,
    /// A table to attach once the opened file is read (`clusterscope FILE --attach T`).
    pub attach_after_load: Option<PathBuf>,
    /// The table whose columns are being attached (the next load is that join).
    attaching: Option<PathBuf>,
}

impl ClusterscopeApp {
    /// Workers abandoned because a superseded run did not stop in time.
    pub fn abandoned_workers(&self) -> usize {
        self.jobs.abandoned_workers
    }

    /// Test seam: the next clustering ignores cancellation for `stall` before it starts,
    /// as a phase that cannot be interrupted would.
    #[doc(hidden)]
    pub fn stall_next_clustering(&mut self, stall: std::time::Duration) {
        self.jobs.stall_next_clustering = Some(stall);
    }

    /// Builds the app around `engine`; `open` is loaded at once.
    pub fn new(
        ctx: egui::Context,
        engine: Engine,
        render_device: Option<RenderDevice>,
        settings: Settings,
        open: Option<PathBuf>,
    ) -> Self {
        // Panel edges grab from 7 points either side (egui's 3 is hard to hit).
        ctx.all_styles_mut(|style| style.interaction.resize_grab_radius_side = 7.0);
        let mut app = Self {
            settings,
            jobs: Jobs::new(ctx.clone(), engine, render_device.clone()),
            graph_view: None,
            pending_graph: None,
            ctx,
            table: None,
            selected_columns: Vec::new(),
            prepared: None,
            clustering: None,
            running: None,
            clustering_pending: false,
            clustering_started: None,
            phase_started: None,
            loading: false,
            axes: ScatterAxes::default(),
            projection: None,
            scatter: Default::default(),
            notices: Notices::default(),
            export_prompt: None,
            selection: None,
            hovered: None,
            pinned_row: None,
            structure_view: Default::default(),
            styles: ClusterStyles::default(),
            pinned: None,
            scores: Default::default(),
            silhouette_drag: Default::default(),
            structure_was_shown: false,
            result_was_shown: false,
            profiles: Default::default(),
            outliers: Default::default(),
            external: Default::default(),
            exact_silhouette: None,
            sweep: Default::default(),
            held_run: None,
            agreed_run: None,
            colour_by: ColourBy::Cluster,
            colour_by_state: Default::default(),
            layout: layout::default_tree(),
            front_pane: None,
            subset: None,
            selection_table: Default::default(),
            renaming: Default::default(),
            render_device,
            image_view: Default::default(),
            commands: Vec::new(),
            restoring: None,
            checking_input: None,
            offer_session: None,
            file_dialog: None,
            history: Default::default(),
            suggest_eps: false,
            maps: maps::MapsState::default(),
            attach_after_load: None,
            attaching: None,
        };
        if let Some(path) = open {
            app.open(path);
        }
        app
    }

    /// True when the last frame's scatter was drawn by the GPU point renderer.
    pub fn scatter_drew_with_gpu(&self) -> bool {
        self.scatter.last_drawn_with_gpu
    }

    /// The name of the GPU adapter the engine would use, if any.
    pub fn gpu_name(&self) -> Option<&str> {
        self.jobs.gpu_name.as_deref()
    }

    /// True while loading, preparing or clustering is under way.
    pub fn is_busy(&self) -> bool {
        self.loading || self.clustering_pending || self.prepared.is_none() && self.table.is_some()
    }

    fn open(&mut self, path: PathBuf) {
        if graph_view::is_graph_path(&path) {
            self.open_graph(path);
            return;
        }
        if session::is_session_path(&path) {
            self.open_session(path);
            return;
        }
        // Opening another file by hand ends a restore in progress.
        if self.restoring.as_ref().is_some_and(|r| r.input != path) {
            self.restoring = None;
        }
        let sheet = self
            .restoring
            .as_ref()
            .and_then(|r| r.session.sheet.clone());
        self.load(path, sheet);
    }

    /// Reads `path` as a graph (in the background) for the Graph pane.
    pub fn open_graph(&mut self, path: PathBuf) {
        self.read_graph(path, None);
    }

    /// Reads the open graph again, joined by id with the node table at `nodes`.
    /// Puts the columns of the table at `path` beside the open table's (same row count):
    /// an embedding's `.npy` with its metadata.
    pub fn attach_table(&mut self, path: PathBuf) {
        let Some(table) = self.table.clone() else {
            self.notices.error = Some("Open a table before attaching columns to it".into());
            return;
        };
        self.notices.info = Some(format!("Attaching the columns of {}…", path.display()));
        self.loading = true;
        self.attaching = Some(path.clone());
        self.jobs.attach(table, path);
    }

    pub fn join_node_table(&mut self, nodes: PathBuf) {
        let Some(path) = self.graph_view.as_ref().map(|view| view.path.clone()) else {
            self.notices.error = Some("Open a graph before joining a node table to it".into());
            return;
        };
        self.read_graph(path, Some(nodes));
    }

    fn read_graph(&mut self, path: PathBuf, nodes: Option<PathBuf>) {
        self.notices.info = Some(match &nodes {
            Some(nodes) => format!(
                "Reading the graph {} with the nodes of {}…",
                path.display(),
                nodes.display()
            ),
            None => format!("Reading the graph {}…", path.display()),
        });
        let receiver =
            graph_view::workers::read_in_background(path.clone(), nodes, self.ctx.clone());
        self.pending_graph = Some(graph_view::PendingGraph { path, receiver });
        self.front_pane = Some(Pane::Graph);
    }

    /// Takes a graph that finished reading.
    fn poll_graph(&mut self) {
        let Some(pending) = &self.pending_graph else {
            return;
        };
        let Ok(result) = pending.receiver.try_recv() else {
            return;
        };
        let path = pending.path.clone();
        self.pending_graph = None;
        match result {
            Ok(input) => {
                self.notices.info = Some(format!("Opened the graph {}", path.display()));
                self.graph_view = Some(graph_view::GraphView::new(path, input, &self.ctx));
                self.front_pane = Some(Pane::Graph);
            }
            Err(error) => self.notices.error = Some(error),
        }
    }

    fn load(&mut self, path: PathBuf, sheet: Option<String>) {
        self.loading = true;
        self.notices.info = Some(format!("Loading {}…", path.display()));
        self.jobs.load(path, sheet);
    }

    /// Reads another sheet of the open workbook.
    fn open_sheet(&mut self, sheet: String) {
        if let Some(table) = &self.table {
            let path = table.path.clone();
            self.load(path, Some(sheet));
        }
    }

    /// True when the scatter draws with the GPU point renderer for `n_points` points.
    pub fn uses_gpu_renderer(&self, n_points: usize) -> bool {
        self.render_device.is_some()
            && match self.settings.view.renderer {
                RendererChoice::Auto => n_points > scatter::AUTO_GPU_POINTS,
                RendererChoice::Gpu => true,
                RendererChoice::Plot => false,
            }
    }

    /// The opened image, when the table is one.
    pub fn image(&self) -> Option<&Arc<crate::segment::PixelImage>> {
        self.table.as_ref().and_then(|t| t.image.as_ref())
    }

    /// Rebuilds the feature matrix after a change of columns, scaling or row subset (for
    /// an image: of colour space or spatial weight).
    fn request_prepare(&mut self) {
        let Some(table) = &self.table else { return };
        self.jobs.cancel_clustering();
        if let Some(image) = &table.image {
            self.jobs
                .prepare_image(Arc::clone(image), self.settings.segment.clone());
            return;
        }
        self.jobs.prepare(
            Arc::clone(table),
            self.selected_columns.clone(),
            self.settings.scaling,
            self.subset.clone(),
        );
    }

    /// Recomputes the scatter coordinates for the current axes.
    fn request_projection(&mut self) {
        let Some(prepared) = self.prepared.clone() else {
            return;
        };
        let request = match &self.axes {
            ScatterAxes::Pca { x, y } => ProjectionRequest::Pca {
                // Reuse the fitted components when only the pair shown changes.
                fitted: self
                    .projection
                    .as_ref()
                    .filter(|p| Arc::ptr_eq(&p.points, &prepared.points))
                    .and_then(|p| p.pca.clone()),
                x: *x,
                y: *y,
            },
            ScatterAxes::Columns { x, y } => match &self.table {
                Some(table) => ProjectionRequest::Columns {
                    table: Arc::clone(table),
                    rows: Arc::new(prepared.features.table_rows.clone()),
                    x: x.clone(),
                    y: y.clone(),
                },
                None => return,
            },
            ScatterAxes::Map { method } => match self.map_projection(*method) {
                Some(request) => request,
                None => return,
            },
            ScatterAxes::Embedding { x, y } => match self.shown_embedding() {
                Some(embedding) => ProjectionRequest::Embedding {
                    embedding,
                    x: *x,
                    y: *y,
                },
                // No spectral result for these rows (yet): the principal components.
                None => ProjectionRequest::Pca {
                    fitted: None,
                    x: 0,
                    y: 1,
                },
            },
        };
        self.jobs
            .project(Arc::clone(&prepared.points), request, self.settings.backend);
    }

    /// The spectral embedding of the shown result, when it is of the current rows.
    pub(crate) fn shown_embedding(&self) -> Option<Arc<crate::matrix::Matrix>> {
        let prepared = self.prepared.as_ref()?;
        let spectrum = self.clustering.as_ref()?.result.spectrum()?;
        (spectrum.embedding.n_rows == prepared.points.n_rows)
            .then(|| Arc::clone(&spectrum.embedding))
    }

    /// Makes `selection` the one every view shows.
    pub fn set_selection(&mut self, selection: Option<Selection>) {
        self.selection = selection;
        if self.selection.is_some() {
            self.front_pane = Some(Pane::Selection);
        }
    }

    /// Re-clusters the current features with the current parameters.
    fn request_clustering(&mut self) {
        if self.prepared.is_none() {
            return;
        }
        // Long or memory-hungry work waits for a yes; what runs now is stopped, as any
        // newer request stops it.
        self.held_run = self.needs_asking();
        if self.held_run.is_some() {
            self.jobs.cancel_clustering();
            self.clustering_pending = false;
            self.running = None;
            return;
        }
        let Some(prepared) = &self.prepared else {
            return;
        };
        self.clustering_pending = true;
        self.running = None;
        self.clustering_started = Some(std::time::Instant::now());
        self.phase_started = None;
        let image = self.image().map(|image| jobs::ImageRequest {
            width: image.width,
            height: image.height,
            params: crate::segment::SegmentParams {
                cluster: Some(self.settings.algorithm_params()),
                ..self.settings.segment.clone()
            },
        });
        // On the shown map's coordinates when asked to (the map controls say which).
        let on_map = self.map_to_cluster();
        self.jobs.cluster(
            Arc::clone(&prepared.points),
            on_map,
            self.settings.algorithm_params(),
            image,
            self.settings.backend,
        );
    }

    fn cancel_clustering(&mut self) {
        self.jobs.cancel_clustering();
        self.clustering_pending = false;
        self.running = None;
        self.notices.info = Some("Clustering cancelled".into());
    }

    /// Makes `table` the open one: its columns chosen, every view of the old one cleared;
    /// `remember` puts it in the recent files (not a table made in the window).
    fn adopt_table(&mut self, table: LoadedTable, remember: bool) {
        if remember {
            self.settings.remember(&table.path);
        }
        // Label- and id-like columns start unticked: they would leak
        // the answer into the clustering (unless nothing else is left).
        self.selected_columns = crate::data::feature_columns(&table.frame);
        if self.selected_columns.is_empty() {
            self.selected_columns = crate::data::numeric_columns(&table.frame);
        }
        self.notices = Notices {
            info: Some(format!("Opened {}", table.path.display())),
            ..Notices::default()
        };
        self.axes = ScatterAxes::default();
        // A column of the same name goes on colouring the new table.
        if let ColourBy::Column(name) = &self.colour_by
            && table.frame.column(name).is_err()
        {
            self.colour_by = ColourBy::Cluster;
        }
        self.table = Some(Arc::new(table));
        self.prepared = None;
        self.projection = None;
        self.clustering = None;
        self.selection = None;
        self.pinned = None;
        self.subset = None;
        self.hovered = None;
        self.pinned_row = None;
        self.styles = ClusterStyles::default();
        self.image_view = Default::default();
        self.history.clear();
        // A session brings its own eps.
        self.suggest_eps = self.restoring.is_none();
        if let Some(table) = self.table.clone() {
            self.apply_session_choices(&table);
        }
        if self.image().is_some() {
            self.selected_columns.clear();
            self.request_prepare();
        } else if self.selected_columns.is_empty() {
            self.notices.error = Some("This table has no numeric column to cluster on".into());
        } else {
            self.request_prepare();
        }
    }

    fn handle_events(&mut self) {
        for event in self.jobs.poll() {
            match event {
                Event::Loaded { generation, result } if generation == self.jobs.load_generation => {
                    self.loading = false;
                    match result {
                        Ok(table) => {
                            let width = table.frame.width();
                            self.adopt_table(table, true);
                            if let Some(attached) = self.attaching.take() {
                                self.notices.info = Some(format!(
                                    "Attached the columns of {} ({width} columns now)",
                                    attached.display()
                                ));
                            }
                            if let Some(attach) = self.attach_after_load.take() {
                                self.attach_table(attach);
                            }
                        }
                        Err(error) => {
                            self.restoring = None;
                            self.attaching = None;
                            self.notices.error = Some(error);
                        }
                    }
                }
                Event::Prepared { generation, result }
                    if generation == self.jobs.prepare_generation =>
                {
                    match result {
                        Ok(prepared) => {
                            self.prepared = Some(Arc::new(prepared));
                            self.selection = None;
                            self.hovered = None;
                            self.pinned_row = None;
                            self.request_projection();
                            self.request_clustering();
                        }
                        Err(error) => {
                            self.prepared = None;
                            self.clustering = None;
                            self.notices.error = Some(error);
                        }
                    }
                }
                Event::Progress {
                    generation,
                    progress,
                } if generation == self.jobs.cluster_generation => {
                    if self
                        .phase_started
                        .is_none_or(|(phase, _)| phase != progress.phase)
                    {
                        self.phase_started = Some((progress.phase, std::time::Instant::now()));
                    }
                    self.running = Some(progress);
                }
                Event::Projected { generation, result }
                    if generation == self.jobs.project_generation =>
                {
                    match result {
                        Ok(projection) => self.projection = Some(projection),
                        Err(error) => self.notices.error = Some(error),
                    }
                }
                Event::Clustered {
                    generation,
                    points,
                    params,
                    backend,
                    result,
                    render_labels,
                } if generation == self.jobs.cluster_generation => {
                    self.clustering_pending = false;
                    self.running = None;
                    match result {
                        Ok(result) => {
                            self.notices.error = None;
                            // Same points as before: keep each cluster's colour where it
                            // overlaps the previous result.
                            let previous = self
                                .clustering
                                .as_ref()
                                .filter(|c| Arc::ptr_eq(&c.points, &points));
                            if previous.is_none() {
                                self.selection = None;
                            }
                            self.notices.warning =
                                (!result.warnings.is_empty()).then(|| result.warnings.join("; "));
                            let shown = Clustering::new(
                                generation,
                                points,
                                (params, backend),
                                result,
                                render_labels,
                                previous,
                            );
                            self.styles.follow(&shown.slot_of);
                            self.clustering = Some(shown);
                            // The embedding view follows each new spectrum, or gives way
                            // to the principal components when there is none.
                            let embedding = self.shown_embedding();
                            if let ScatterAxes::Embedding { x, y } = &mut self.axes {
                                match embedding {
                                    Some(embedding) => {
                                        *x = (*x).min(embedding.n_cols - 1);
                                        *y = (*y).min(embedding.n_cols - 1);
                                    }
                                    None => self.axes = ScatterAxes::default(),
                                }
                                self.request_projection();
                            }
                            self.structure_view.on_new_result();
                            self.apply_session_styles();
                            self.suggest_data_defaults();
                        }
                        Err(error) => {
                            self.restoring = None;
                            self.notices.error = Some(error);
                        }
                    }
                }
                Event::LabelsUploaded {
                    generation,
                    revision,
                    labels,
                } => {
                    if let Some(clustering) = &mut self.clustering
                        && clustering.generation == generation
                        && clustering.revision == revision
                    {
                        clustering.rendered(revision, labels);
                    }
                }
                Event::Scored { key, result } => self.scored(key, result),
                Event::Profiled { key, result } => self.profiled(key, result),
                Event::ExternalScored { key, result } => self.external_scored(key, result),
                Event::MapFrame {
                    key,
                    step,
                    n_steps,
                    positions,
                } => self.map_frame(key, step, n_steps, positions),
                Event::Mapped { key, result } => self.mapped(key, result),
                Event::Neighbours { key, result } => self.neighbours_found(key, result),
                Event::ExactSilhouette { key, result } => self.exact_silhouette_done(key, result),
                Event::SweepProgress { key, done, total } => self.sweep_progress(key, done, total),
                Event::Swept { key, result } => self.swept(key, result),
                Event::OutliersScored { key, result } => self.outliers_scored(key, result),
                Event::ColourCodesUploaded { key, chunks } => {
                    self.colour_codes_uploaded(key, chunks)
                }
                Event::OpenPicked(path) => self.open(path),
                Event::NodeTablePicked(path) => self.join_node_table(path),
                Event::AttachPicked(path) => self.attach_table(path),
                Event::ExportPicked {
                    path,
                    label_column,
                    selection_only,
                } => self.export_to(path, label_column, selection_only),
                Event::ImageExportPicked { path, kind } => self.export_image_to(path, kind),
                Event::ViewExportPicked { path, kind } => self.export_view_to(path, kind),
                Event::SessionSavePicked(path) => self.save_session_to(path),
                Event::SessionSaved(result) => self.on_session_saved(result),
                Event::SessionRead { path, result } => self.on_session_read(path, result),
                Event::Fingerprinted { path, result } => self.on_fingerprint(path, result),
                Event::Exported(result) => match result {
                    Ok(path) => self.notices.info = Some(format!("Exported {}", path.display())),
                    Err(error) => self.notices.error = Some(error),
                },
                // A stale generation: a newer request superseded it.
                _ => {}
            }
        }
    }

    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if let Some(path) = dropped.into_iter().next() {
            self.command(Command::Open(path));
        }
    }

    /// Draws the whole window into `ui` (also used by UI tests), then runs the commands
    /// the frame recorded.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.handle_events();
        self.handle_dropped_files(&ctx);
        self.shortcuts(&ctx);
        self.run_commands();
        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui));
        let fill = ui.visuals().panel_fill;
        egui::CentralPanel::default()
            .frame(egui::Frame::new().fill(fill))
            .show(ui, |ui| self.panes_ui(ui));
        self.export_prompt_ui(&ctx);
        self.heavy_run_ui(&ctx);
        self.file_dialog_ui(&ctx);
        self.run_commands();
        self.request_scores();
        let pointer_held = ctx.input(|i| i.pointer.any_down());
        self.record_history(pointer_held);
        if self.is_busy() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
    }
}

impl ClusterscopeApp {
    /// The dockable panes; which ones show follows the data.
    fn panes_ui(&mut self, ui: &mut egui::Ui) {
        self.poll_graph();
        let has_structure = self.has_structure();
        // A pane that appears comes to the front of the bottom tabs: the structure (the
        // view the algorithm is steered by) before the silhouette.
        let has_result = self.clustering.is_some();
        if self.front_pane.is_none() {
            if has_structure && !self.structure_was_shown {
                self.front_pane = Some(Pane::Structure);
            } else if has_result && !self.result_was_shown && !has_structure {
                self.front_pane = Some(Pane::Silhouette);
            }
        }
        self.structure_was_shown = has_structure;
        self.result_was_shown = has_result;
        let has_bottom = has_structure || self.selection.is_some() || self.pinned.is_some();
        let has_image = self.image().is_some();
        let tree = &mut self.layout;
        layout::set_visible(tree, Pane::Image, has_image);
        layout::set_visible(tree, Pane::Structure, has_structure);
        layout::set_visible(tree, Pane::Selection, has_bottom);
        layout::set_visible(tree, Pane::Compare, has_bottom);
        layout::set_visible(tree, Pane::Silhouette, has_result);
        layout::set_visible(tree, Pane::Profiles, has_result && !has_image);
        layout::set_visible(tree, Pane::Sweep, self.prepared.is_some() && !has_image);
        layout::set_visible(tree, Pane::Outliers, self.prepared.is_some() && !has_image);
        layout::set_visible(
            tree,
            Pane::Graph,
            self.graph_view.is_some() || self.pending_graph.is_some(),
        );
        if let Some(pane) = self.front_pane.take() {
            layout::bring_to_front(tree, pane);
        }
        // The tree is drawn from a local so the panes can borrow the app.
        let mut tree = std::mem::replace(
            &mut self.layout,
            egui_tiles::Tree::empty(egui::Id::unique("swap")),
        );
        let mut draw = |ui: &mut egui::Ui, pane: Pane| match pane {
            Pane::Controls => {
                egui::ScrollArea::vertical()
                    .id_salt("controls")
                    .show(ui, |ui| self.controls_ui(ui));
            }
            Pane::Legend => {
                egui::ScrollArea::vertical()
                    .id_salt("legend")
                    .show(ui, |ui| self.legend_ui(ui));
            }
            Pane::Scatter => self.scatter_ui(ui),
            Pane::Image => self.image_view_ui(ui),
            Pane::Structure => self.structure_ui(ui),
            Pane::Selection => self.selection_table_ui(ui),
            Pane::Compare => self.compare_ui(ui),
            Pane::Silhouette => self.silhouette_ui(ui),
            Pane::Profiles => self.profiles_ui(ui),
            Pane::Outliers => self.outliers_ui(ui),
            Pane::Sweep => self.sweep_ui(ui),
            Pane::Graph => self.graph_ui(ui),
        };
        tree.ui(&mut layout::PaneBehavior { draw: &mut draw }, ui);
        self.layout = tree;
    }

    /// True once a column colouring's codes are on the render device (tests wait for it).
    pub fn colour_codes_on_gpu(&self) -> bool {
        self.colour_by_state.gpu_codes.is_some()
    }

    /// Where `pane` was drawn last frame (None when hidden): for layout checks.
    pub fn pane_rect(&self, pane: Pane) -> Option<egui::Rect> {
        layout::pane_rect(&self.layout, pane)
    }

    /// Uses a saved layout when it holds every pane.
    pub fn set_layout(&mut self, tree: egui_tiles::Tree<Pane>) {
        if layout::is_complete(&tree) {
            self.layout = tree;
        }
    }

    /// Puts every pane back where a new window has it.
    fn reset_layout(&mut self) {
        self.layout = layout::default_tree();
    }
}

impl eframe::App for ClusterscopeApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.settings);
        eframe::set_value(storage, LAYOUT_KEY, &self.layout);
    }
}
