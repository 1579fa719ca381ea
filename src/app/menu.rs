//! The menu bar and the keyboard shortcuts that mirror it. Both only record commands.

use eframe::egui::{self, Key, KeyboardShortcut, Modifiers};

use super::{ClusterscopeApp, Command, demo_table_path};

const OPEN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
const SAVE_SESSION: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::S);
const EXPORT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::E);
const QUIT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Q);
const UNDO: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Z);
const REDO: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::Z);
const REDO_Y: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Y);

/// A menu button that names its shortcut.
fn menu_item<'a>(
    text: &'a str,
    shortcut: &KeyboardShortcut,
    ctx: &egui::Context,
) -> egui::Button<'a> {
    egui::Button::new(text).shortcut_text(ctx.format_shortcut(shortcut))
}

impl ClusterscopeApp {
    /// Turns this frame's shortcuts into commands. Undo and redo are left to a text field
    /// being edited (it has its own).
    pub(super) fn shortcuts(&mut self, ctx: &egui::Context) {
        let typing = ctx.egui_wants_keyboard_input();
        let pressed = |shortcut: &KeyboardShortcut| ctx.input_mut(|i| i.consume_shortcut(shortcut));
        // Redo first: Ctrl+Z also matches Ctrl+Shift+Z.
        let redo = !typing && (pressed(&REDO) || pressed(&REDO_Y));
        let undo = !typing && pressed(&UNDO);
        let open = pressed(&OPEN);
        let save = pressed(&SAVE_SESSION);
        let export = pressed(&EXPORT);
        let quit = pressed(&QUIT);
        if redo {
            self.command(Command::Redo);
        } else if undo {
            self.command(Command::Undo);
        }
        if open {
            self.command(Command::PickOpen);
        }
        if save && self.table.is_some() {
            self.command(Command::PickSaveSession);
        }
        if export && self.labels_for_export().is_some() {
            self.command(Command::Export {
                selection_only: false,
            });
        }
        if quit {
            self.command(Command::Quit);
        }
    }

    pub(super) fn menu_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui.add(menu_item("Open…", &OPEN, &ctx)).clicked() {
                    self.command(Command::PickOpen);
                    ui.close();
                }
                ui.menu_button("Open recent", |ui| {
                    if self.settings.recent_files.is_empty() {
                        ui.label("No recent files");
                    }
                    let mut chosen = None;
                    for path in &self.settings.recent_files {
                        if ui.button(path.display().to_string()).clicked() {
                            chosen = Some(path.clone());
                        }
                    }
                    if let Some(path) = chosen {
                        self.command(Command::Open(path));
                        ui.close();
                    }
                });
                if ui.button("Open demo data").clicked() {
                    self.command(Command::Open(demo_table_path()));
                    ui.close();
                }
                let table_path = self.table.as_ref().map(|t| t.path.clone());
                let has_table = table_path.is_some();
                if ui
                    .add_enabled(has_table, egui::Button::new("Open as a graph"))
                    .on_hover_text(
                        "Read the open table as an edge list (source and target columns, \
                         an optional weight) in the Graph pane.",
                    )
                    .clicked()
                    && let Some(path) = table_path
                {
                    self.command(Command::OpenGraph(path));
                    ui.close();
                }
                if ui
                    .add_enabled(has_table, egui::Button::new("Attach columns…"))
                    .on_hover_text(
                        "Put the columns of another table with as many rows beside this one's: \
                         the text, ids and labels of an embedding opened from a .npy.",
                    )
                    .clicked()
                {
                    self.command(Command::PickAttach);
                    ui.close();
                }
                ui.separator();
                let has_table = self.table.is_some();
                if ui
                    .add_enabled(has_table, menu_item("Save session…", &SAVE_SESSION, &ctx))
                    .clicked()
                {
                    self.command(Command::PickSaveSession);
                    ui.close();
                }
                if let Some(last) = self.settings.last_session.clone()
                    && ui
                        .button("Resume last session")
                        .on_hover_text(last.display().to_string())
                        .clicked()
                {
                    self.command(Command::Open(last));
                    ui.close();
                }
                ui.separator();
                ui.checkbox(
                    &mut self.settings.builtin_file_dialog,
                    "Built-in file dialog",
                )
                .on_hover_text(
                    "Pick files in a dialog drawn in the window instead of the desktop's.",
                );
                ui.separator();
                if ui.add(menu_item("Quit", &QUIT, &ctx)).clicked() {
                    self.command(Command::Quit);
                    ui.close();
                }
            });
            ui.menu_button("Edit", |ui| {
                if ui
                    .add_enabled(self.history.can_undo(), menu_item("Undo", &UNDO, &ctx))
                    .clicked()
                {
                    self.command(Command::Undo);
                    ui.close();
                }
                if ui
                    .add_enabled(self.history.can_redo(), menu_item("Redo", &REDO, &ctx))
                    .clicked()
                {
                    self.command(Command::Redo);
                    ui.close();
                }
            });
            ui.menu_button("View", |ui| {
                if ui
                    .button("Reset layout")
                    .on_hover_text("Put every pane back where a new window has it.")
                    .clicked()
                {
                    self.command(Command::ResetLayout);
                    ui.close();
                }
            });
            ui.menu_button("Export", |ui| {
                if self.image().is_some() {
                    self.image_export_menu_ui(ui);
                    ui.separator();
                }
                self.view_export_menu_ui(ui);
                ui.separator();
                let ready = self.labels_for_export().is_some();
                if ui
                    .add_enabled(
                        ready,
                        menu_item("Labeled data (CSV / Parquet)…", &EXPORT, &ctx),
                    )
                    .clicked()
                {
                    self.command(Command::Export {
                        selection_only: false,
                    });
                    ui.close();
                }
                if ui
                    .add_enabled(
                        ready && self.selection.is_some(),
                        egui::Button::new("Selected rows (CSV / Parquet)…"),
                    )
                    .clicked()
                {
                    self.command(Command::Export {
                        selection_only: true,
                    });
                    ui.close();
                }
            });
        });
    }
}
