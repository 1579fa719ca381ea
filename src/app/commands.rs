//! What the window can be asked to do. Views record commands while they draw; they run
//! after the UI pass (egui's `wrap_app` pattern), so no request, upload or dialog starts in
//! the middle of drawing.

use std::path::PathBuf;

use super::file_dialog::Purpose;
use super::{ClusterscopeApp, ImageExport};

/// One request from the UI.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Open a table or an image.
    Open(PathBuf),
    /// Show the open dialog.
    PickOpen,
    /// Read this file as an edge list for the Graph pane (a table's source and target
    /// columns are guessed).
    OpenGraph(PathBuf),
    /// Open the Graph pane's nodes as the window's table, linked with the graph.
    ShowNodesAsTable,
    /// Read the open graph again, joined with this node-attribute table by id.
    JoinNodeTable(PathBuf),
    /// Ask for a node-attribute table to join to the open graph.
    PickNodeTable,
    /// Ask for a table whose columns go beside the open table's.
    PickAttach,
    /// Read this sheet of the open workbook.
    OpenSheet(String),
    /// Rebuild the features (columns, scaling, subset or segmentation changed).
    Prepare,
    /// Re-cluster the features with the current parameters.
    Cluster,
    /// Stop the running clustering.
    CancelClustering,
    /// Recompute the scatter's coordinates (axes changed).
    Project,
    /// Find a clicked row's nearest rows in the original space (and select them).
    FindNeighbours(u32),
    /// New labels from the shown structure, without a re-run (a cut moved in a view).
    Recut(Vec<u32>),
    /// Export labeled data (all rows or the selection).
    Export {
        selection_only: bool,
    },
    /// Ask where to write labeled data, with its cluster column named `label_column`.
    PickExport {
        label_column: String,
        selection_only: bool,
    },
    /// Ask where to write an image export, suggesting `name`.
    PickImageExport {
        kind: ImageExport,
        name: String,
    },
    /// Ask where to write a picture of a view, suggesting `name` beside the input.
    PickViewExport {
        kind: super::view_export::ViewExport,
        name: String,
    },
    /// Ask where to save the session.
    PickSaveSession,
    /// Save the session to this file (File ▸ Open opens it again).
    SaveSession(PathBuf),
    Undo,
    Redo,
    /// Put every pane back where a new window has it.
    ResetLayout,
    /// Close the window (settings are saved on the way out).
    Quit,
}

impl ClusterscopeApp {
    /// Records `command`; it runs after this frame's UI pass.
    pub fn command(&mut self, command: Command) {
        self.commands.push(command);
    }

    /// Runs the recorded commands in order. Preparing supersedes clustering (a new matrix
    /// is clustered when it arrives), so a frame that asks for both prepares only.
    pub(super) fn run_commands(&mut self) {
        let commands = std::mem::take(&mut self.commands);
        let prepares = commands.contains(&Command::Prepare);
        for command in commands {
            match command {
                Command::Open(path) => self.open(path),
                Command::OpenSheet(sheet) => self.open_sheet(sheet),
                Command::PickOpen => self.pick(Purpose::Open, self.beside_input("")),
                Command::OpenGraph(path) => self.open_graph(path),
                Command::ShowNodesAsTable => self.show_nodes_as_table(),
                Command::JoinNodeTable(path) => self.join_node_table(path),
                Command::PickAttach => {
                    let near = self.beside_input("");
                    self.pick(Purpose::Attach, near)
                }
                Command::PickNodeTable => {
                    let near = match &self.graph_view {
                        Some(view) => view.path.clone(),
                        None => self.beside_input(""),
                    };
                    self.pick(Purpose::NodeTable, near)
                }
                Command::Prepare => self.request_prepare(),
                Command::Cluster if prepares => {}
                Command::Cluster => self.request_clustering(),
                Command::CancelClustering => self.cancel_clustering(),
                Command::Project => self.request_projection(),
                Command::FindNeighbours(row) => self.request_neighbours(row),
                Command::Recut(labels) => self.recut(labels),
                Command::Export { selection_only } => self.start_export(selection_only),
                Command::PickExport {
                    label_column,
                    selection_only,
                } => self.pick_export_path(label_column, selection_only),
                Command::PickImageExport { kind, name } => {
                    self.pick(Purpose::ImageExport(kind), self.beside_input(&name))
                }
                Command::PickViewExport { kind, name } => {
                    self.pick(Purpose::ViewExport(kind), self.beside_input(&name))
                }
                Command::PickSaveSession => self.pick_session_save(),
                Command::SaveSession(path) => self.save_session_to(path),
                Command::Undo => self.undo(),
                Command::Redo => self.redo(),
                Command::ResetLayout => self.reset_layout(),
                Command::Quit => self
                    .jobs
                    .ctx()
                    .send_viewport_cmd(eframe::egui::ViewportCommand::Close),
            }
        }
    }

    /// Applies a new cut of the shown structure and sends its labels to the worker for
    /// the point renderer.
    fn recut(&mut self, raw: Vec<u32>) {
        let Some(clustering) = &mut self.clustering else {
            return;
        };
        let labels = clustering.relabel(raw);
        self.styles.follow(&clustering.slot_of);
        // The view has set the parameter the cut steers; the record follows it.
        let current = self.settings.algorithm_params();
        if current.algorithm == clustering.params.algorithm {
            clustering.params = current;
        }
        if self.render_device.is_some() {
            self.jobs
                .upload_labels(clustering.generation, clustering.revision, labels);
        }
    }
}
