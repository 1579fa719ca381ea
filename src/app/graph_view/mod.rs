//! The Graph pane: a graph opened from an edge list or GraphML, its communities (Leiden,
//! Louvain or label propagation, re-found when a setting changes) and its force-directed
//! layout, which runs live on its own thread and can be paused, reheated and exported.
//! Nodes are coloured by community in the legend's palette; hovering shows a node and its
//! attributes; the lasso tool (or Shift-drag) selects nodes.

mod draw;
pub mod link;
pub mod workers;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use eframe::egui;
use polars::prelude::DataFrame;

use crate::cluster::BackendChoice;
use crate::cluster::community::{Communities, Method, Objective};
use crate::graph::Graph;
use crate::graph::layout::LayoutGraph;
use crate::graph::read::{GraphInput, PLAIN_EDGE_LIST_EXTENSIONS};
use workers::{CommunityJobs, LayoutCommand, LayoutUpdate, LayoutWorker};

/// The community search the pane runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphAlgorithm {
    Leiden,
    Louvain,
    LabelPropagation,
}

impl GraphAlgorithm {
    pub const ALL: [GraphAlgorithm; 3] = [
        GraphAlgorithm::Leiden,
        GraphAlgorithm::Louvain,
        GraphAlgorithm::LabelPropagation,
    ];

    pub fn name(self) -> &'static str {
        match self {
            GraphAlgorithm::Leiden => "Leiden",
            GraphAlgorithm::Louvain => "Louvain",
            GraphAlgorithm::LabelPropagation => "Label propagation",
        }
    }
}

/// The pane's settings for the search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SearchSettings {
    pub algorithm: GraphAlgorithm,
    pub objective: Objective,
    pub resolution: f64,
    pub seed: u64,
}

impl Default for SearchSettings {
    fn default() -> Self {
        Self {
            algorithm: GraphAlgorithm::Leiden,
            objective: Objective::Modularity,
            resolution: 1.0,
            seed: 42,
        }
    }
}

impl SearchSettings {
    pub fn method(&self) -> Method {
        match self.algorithm {
            GraphAlgorithm::Leiden => Method::Leiden {
                objective: self.objective,
                resolution: self.resolution,
                n_iterations: 0,
            },
            GraphAlgorithm::Louvain => Method::Louvain {
                objective: self.objective,
                resolution: self.resolution,
            },
            GraphAlgorithm::LabelPropagation => Method::LabelPropagation {
                max_iterations: 100,
            },
        }
    }
}

/// An open graph and everything the pane shows of it.
pub struct GraphView {
    pub path: PathBuf,
    pub graph: Arc<Graph>,
    /// Each edge once (u < v), as node ids two by two: the GPU edge renderer's list.
    pub edge_ends: Arc<Vec<u32>>,
    pub attributes: Option<DataFrame>,
    pub columns_used: String,
    pub settings: SearchSettings,
    pub communities: Option<Arc<Communities>>,
    pub search_error: Option<String>,
    jobs: CommunityJobs,
    layout: LayoutWorker,
    pub last_layout: Option<LayoutUpdate>,
    pub layout_running: bool,
    /// Selected nodes (lasso).
    pub selected: Vec<bool>,
    pub hovered: Option<u32>,
    lasso: Vec<[f64; 2]>,
    /// The lasso tool is on (dragging selects instead of panning; Shift does it too).
    pub lasso_tool: bool,
    nodes_drawn: draw::NodeCache,
    /// The window's table when it is this graph's nodes (see [`link`]).
    pub link: link::TableLink,
    pub notice: Option<String>,
}

/// A graph being read.
pub struct PendingGraph {
    pub path: PathBuf,
    pub receiver: Receiver<Result<GraphInput, String>>,
}

/// True for files the window opens as graphs: GraphML and whitespace edge lists (.edges,
/// .el); tables open as graphs through File > Open as a graph.
pub fn is_graph_path(path: &Path) -> bool {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    extension == "graphml"
        || (PLAIN_EDGE_LIST_EXTENSIONS.contains(&extension.as_str()) && extension != "txt")
}

impl GraphView {
    /// The view of a graph just read; the search and the layout start at once.
    pub fn new(path: PathBuf, input: GraphInput, ctx: &egui::Context) -> Self {
        let graph = Arc::new(input.graph);
        let layout = LayoutWorker::start(
            LayoutGraph::new(&graph),
            42,
            BackendChoice::Auto,
            ctx.clone(),
        );
        let mut edge_ends = Vec::with_capacity(graph.neighbours.len());
        for u in 0..graph.n_nodes() {
            for (v, _) in graph.row(u) {
                if u < v {
                    edge_ends.extend([u as u32, v as u32]);
                }
            }
        }
        let mut view = Self {
            path,
            selected: vec![false; graph.n_nodes()],
            edge_ends: Arc::new(edge_ends),
            graph,
            attributes: input.attributes,
            columns_used: input.columns_used,
            settings: SearchSettings::default(),
            communities: None,
            search_error: None,
            jobs: CommunityJobs::default(),
            layout,
            last_layout: None,
            layout_running: true,
            hovered: None,
            lasso: Vec::new(),
            lasso_tool: false,
            nodes_drawn: Default::default(),
            link: Default::default(),
            notice: None,
        };
        view.search(ctx);
        view
    }

    /// Finds the communities again with the current settings.
    pub fn search(&mut self, ctx: &egui::Context) {
        if let Err(error) = self.graph.check_clusterable() {
            self.search_error = Some(error.to_string());
            return;
        }
        self.jobs.request(
            Arc::clone(&self.graph),
            self.settings.method(),
            self.settings.seed,
            ctx.clone(),
        );
    }

    /// True while a search runs.
    pub fn searching(&self) -> bool {
        self.jobs.running
    }

    /// Takes what the workers sent since the last frame.
    pub fn poll(&mut self) {
        if let Some(result) = self.jobs.poll() {
            match result {
                Ok(found) => {
                    self.communities = Some(Arc::new(found));
                    self.search_error = None;
                }
                Err(error) if error == "cancelled" => {}
                Err(error) => self.search_error = Some(error),
            }
        }
        if let Some(update) = self.layout.poll() {
            self.last_layout = Some(update);
        }
    }

    pub fn set_layout_running(&mut self, running: bool) {
        self.layout_running = running;
        self.layout.send(LayoutCommand::Run(running));
    }

    pub fn reheat(&mut self) {
        self.layout_running = true;
        self.layout.send(LayoutCommand::Reheat);
    }

    /// The community of each node, if found.
    pub fn labels(&self) -> Option<&[u32]> {
        self.communities.as_ref().map(|c| c.labels.as_slice())
    }

    /// Selected node count.
    pub fn n_selected(&self) -> usize {
        self.selected.iter().filter(|&&s| s).count()
    }

    /// Writes `<name>.communities.csv` (node, community, then the node attributes) and,
    /// when laid out, `<name>.layout.csv` (node, x, y) beside the graph's file.
    pub fn export(&mut self) {
        let stem = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "graph".into());
        let folder = self
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut written = Vec::new();
        if let Some(found) = &self.communities {
            let path = folder.join(format!("{stem}.communities.csv"));
            let mut text = String::from("node,community\n");
            for (node, label) in self.graph.nodes.iter().zip(&found.labels) {
                text.push_str(&format!("{},{label}\n", csv_field(node)));
            }
            match crate::data::write_atomically(&path, Some(&self.path), |file| {
                use std::io::Write;
                file.write_all(text.as_bytes()).map_err(|e| e.to_string())
            }) {
                Ok(()) => written.push(path.display().to_string()),
                Err(error) => {
                    self.notice = Some(error.to_string());
                    return;
                }
            }
        }
        if let Some(update) = &self.last_layout {
            let path = folder.join(format!("{stem}.layout.csv"));
            let mut text = String::from("node,x,y\n");
            for (node, p) in self.graph.nodes.iter().zip(update.positions.iter()) {
                text.push_str(&format!("{},{},{}\n", csv_field(node), p[0], p[1]));
            }
            match crate::data::write_atomically(&path, Some(&self.path), |file| {
                use std::io::Write;
                file.write_all(text.as_bytes()).map_err(|e| e.to_string())
            }) {
                Ok(()) => written.push(path.display().to_string()),
                Err(error) => {
                    self.notice = Some(error.to_string());
                    return;
                }
            }
        }
        self.notice = Some(format!("Wrote {}", written.join(" and ")));
    }

    /// One line per attribute of `node` for the hover text.
    pub fn describe(&self, node: u32) -> String {
        let u = node as usize;
        let mut text = format!(
            "node {}\ndegree {}",
            self.graph.nodes[u],
            self.graph.degree(u)
        );
        if let Some(labels) = self.labels() {
            text += &format!("\ncommunity {}", labels[u]);
        }
        if let Some(frame) = &self.attributes {
            for column in frame.columns().iter().skip(1).take(12) {
                if let Ok(value) = column.get(u) {
                    text += &format!(
                        "\n{}: {}",
                        column.name(),
                        value.to_string().trim_matches('"')
                    );
                }
            }
        }
        text
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
