//! Picking files. The desktop's own dialog (an XDG portal, or zenity/kdialog) runs off the
//! UI thread; where the desktop has none — no session bus and no zenity, as on a bare X
//! server or over ssh — a dialog drawn in the window (egui_file) takes its place, so
//! File ▸ Open never silently does nothing. Every dialog starts in the input's folder.

use std::path::{Path, PathBuf};

use eframe::egui;

use super::{ClusterscopeApp, ImageExport};

/// What a picked path is for.
#[derive(Clone, Debug, PartialEq)]
pub enum Purpose {
    Open,
    /// A node-attribute table for the open graph.
    NodeTable,
    /// A table whose columns go beside the open table's (an embedding's metadata).
    Attach,
    Export {
        label_column: String,
        selection_only: bool,
    },
    ImageExport(ImageExport),
    ViewExport(super::view_export::ViewExport),
    SaveSession,
}

/// A dialog drawn in the window.
pub struct InAppDialog {
    dialog: egui_file::FileDialog,
    purpose: Purpose,
}

/// True when the desktop can show its own file dialog: rfd asks the XDG portal over the
/// session bus, then falls back to zenity.
pub fn native_dialog_available() -> bool {
    if std::env::var_os("CLUSTERSCOPE_BUILTIN_FILE_DIALOG").is_some() {
        return false;
    }
    std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() || on_path("zenity")
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|folder| folder.join(program).is_file())
    })
}

impl InAppDialog {
    /// A dialog for `purpose` opening in `suggested`'s folder (with its file name filled
    /// in for saving).
    pub fn new(purpose: Purpose, suggested: &Path) -> Self {
        let folder = if suggested.is_dir() {
            suggested.to_path_buf()
        } else {
            suggested
                .parent()
                .filter(|p| p.is_dir())
                .map(Path::to_path_buf)
                .or_else(|| std::env::current_dir().ok())
                .unwrap_or_default()
        };
        let folder = std::path::absolute(&folder).unwrap_or(folder);
        let mut dialog = match purpose {
            Purpose::Open | Purpose::NodeTable | Purpose::Attach => {
                egui_file::FileDialog::open_file()
            }
            _ => egui_file::FileDialog::save_file(),
        }
        .initial_path(folder)
        .default_size([640.0, 480.0])
        .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
        .keep_on_top(true)
        .title(match purpose {
            Purpose::Open => "Open a table, image or session",
            Purpose::NodeTable => "Join a node table to the graph",
            Purpose::Attach => "Attach the columns of a table with as many rows",
            Purpose::Export { .. } => "Export labeled data",
            Purpose::ImageExport(_) => "Export the segmentation",
            Purpose::ViewExport(_) => "Export the view as a picture",
            Purpose::SaveSession => "Save the session",
        });
        if !matches!(
            purpose,
            Purpose::Open | Purpose::NodeTable | Purpose::Attach
        ) && let Some(name) = suggested.file_name().filter(|_| !suggested.is_dir())
        {
            dialog = dialog.default_filename(name.to_string_lossy());
        }
        dialog.open();
        Self { dialog, purpose }
    }
}

impl ClusterscopeApp {
    /// Asks for a path for `purpose`: the native dialog when the desktop has one, else the
    /// in-app one.
    pub(super) fn pick(&mut self, purpose: Purpose, suggested: PathBuf) {
        if self.settings.builtin_file_dialog || !native_dialog_available() {
            self.file_dialog = Some(InAppDialog::new(purpose, &suggested));
            return;
        }
        match purpose {
            Purpose::Open => self.jobs.pick_open(suggested),
            Purpose::NodeTable => self.jobs.pick_node_table(suggested),
            Purpose::Attach => self.jobs.pick_attach(suggested),
            Purpose::Export {
                label_column,
                selection_only,
            } => self
                .jobs
                .pick_export(suggested, label_column, selection_only),
            Purpose::ImageExport(kind) => self.jobs.pick_image_export(kind, suggested),
            Purpose::ViewExport(kind) => self.jobs.pick_view_export(kind, suggested),
            Purpose::SaveSession => self.jobs.pick_session_save(suggested),
        }
    }

    /// `name` in the input's folder (the working folder before a file is open).
    pub(super) fn beside_input(&self, name: &str) -> PathBuf {
        let folder = self
            .table
            .as_ref()
            .and_then(|t| t.path.parent().map(Path::to_path_buf))
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        folder.join(name)
    }

    /// Draws the in-app dialog, if one is open, and acts on its answer.
    pub(super) fn file_dialog_ui(&mut self, ctx: &egui::Context) {
        let Some(open) = &mut self.file_dialog else {
            return;
        };
        open.dialog.show(ctx);
        match open.dialog.state() {
            egui_file::State::Open => return,
            egui_file::State::Selected => {}
            egui_file::State::Closed | egui_file::State::Cancelled => {
                self.file_dialog = None;
                return;
            }
        }
        let path = open.dialog.path().map(Path::to_path_buf);
        let purpose = open.purpose.clone();
        self.file_dialog = None;
        let Some(path) = path else { return };
        match purpose {
            Purpose::Open => self.open(path),
            Purpose::NodeTable => self.join_node_table(path),
            Purpose::Attach => self.attach_table(path),
            Purpose::Export {
                label_column,
                selection_only,
            } => self.export_to(path, label_column, selection_only),
            Purpose::ImageExport(kind) => self.export_image_to(path, kind),
            Purpose::ViewExport(kind) => self.export_view_to(path, kind),
            Purpose::SaveSession => self.save_session_to(path),
        }
    }
}
