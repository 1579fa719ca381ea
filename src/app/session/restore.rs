//! The window's side of sessions: saving the current analysis, and opening one in three
//! steps — the input loads, then the saved choices are applied and the features rebuilt,
//! then the first result gets the saved names, colours and pinned comparison.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use eframe::egui;

use super::{ClusterStyleRecord, FORMAT, PinnedRecord, Session, SessionView, VERSION};
use crate::app::{ClusterscopeApp, Command, LoadedTable, PinnedClustering};
use crate::cluster::NOISE;
use crate::data::InputRecord;

/// A session being opened.
pub struct Restoring {
    /// The session file and the input it names (found where it was, or beside the file).
    pub path: PathBuf,
    pub input: PathBuf,
    pub session: Session,
    /// The choices have been applied to the loaded table; the styles wait for a result.
    applied: bool,
    warnings: Vec<String>,
}

impl ClusterscopeApp {
    /// The current analysis as a session; the input's size and hash are filled in when it
    /// is written (off the UI thread). None without a table.
    pub fn session_snapshot(&self) -> Option<Session> {
        let table = self.table.as_ref()?;
        let path = std::path::absolute(&table.path).unwrap_or_else(|_| table.path.clone());
        let info = self.settings.algorithm_info();
        let clusters = self
            .clustering
            .as_ref()
            .map(|clustering| {
                (0..clustering.n_clusters() as u32)
                    .chain([NOISE])
                    .filter_map(|id| self.style_record(id))
                    .collect()
            })
            .unwrap_or_default();
        let pinned = self.pinned.as_ref().map(|pinned| PinnedRecord {
            description: pinned.description.clone(),
            labels: pinned.labels.clone(),
        });
        Some(Session {
            format: FORMAT.into(),
            version: VERSION,
            clusterscope: env!("CARGO_PKG_VERSION").into(),
            saved: crate::data::provenance::now_utc(),
            input: InputRecord {
                file: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                path,
                bytes: 0,
                sha256: String::new(),
            },
            sheet: table.sheet.clone(),
            features: self.selected_columns.clone(),
            scaling: self.settings.scaling,
            subset: self.subset.as_ref().map(|rows| rows.to_vec()),
            algorithm: info.id.into(),
            params: self.settings.values(info.id),
            backend: self.settings.backend,
            segment: table.image.as_ref().map(|_| self.settings.segment.clone()),
            view: SessionView {
                axes: self.axes.clone(),
                scatter: self.settings.view.clone(),
            },
            clusters,
            pinned,
        })
    }

    /// What the user changed about cluster `id`, if anything.
    fn style_record(&self, id: u32) -> Option<ClusterStyleRecord> {
        let slot = self.styles.slot(id);
        let record = ClusterStyleRecord {
            id,
            name: self.styles.names.get(&slot).cloned(),
            color: self
                .styles
                .colors
                .get(&slot)
                .map(|c| c.to_srgba_unmultiplied()),
            hidden: !self.styles.slot_visible(slot),
        };
        (record.name.is_some() || record.color.is_some() || record.hidden).then_some(record)
    }

    /// Asks where to save the session (beside the input, named after it).
    pub(in crate::app) fn pick_session_save(&mut self) {
        let Some(table) = &self.table else {
            self.notices.error = Some("Open a table before saving a session".into());
            return;
        };
        let suggested = super::suggested_path(&table.path);
        self.pick(crate::app::file_dialog::Purpose::SaveSession, suggested);
    }

    /// Saves the session to `path` (the input is hashed on a background thread).
    pub(in crate::app) fn save_session_to(&mut self, path: PathBuf) {
        let (Some(session), Some(table)) = (self.session_snapshot(), &self.table) else {
            self.notices.error = Some("Open a table before saving a session".into());
            return;
        };
        self.notices.info = Some(format!("Saving session {}…", path.display()));
        self.jobs.save_session(session, table.path.clone(), path);
    }

    pub(in crate::app) fn on_session_saved(&mut self, result: Result<PathBuf, String>) {
        match result {
            Ok(path) => {
                self.notices.info = Some(format!("Saved session {}", path.display()));
                self.settings.last_session = Some(path);
            }
            Err(error) => self.notices.error = Some(error),
        }
    }

    /// Opens a session file: reads it off the UI thread, then restores it.
    pub(in crate::app) fn open_session(&mut self, path: PathBuf) {
        self.offer_session = None;
        self.notices.info = Some(format!("Opening session {}…", path.display()));
        self.jobs.read_session(path);
    }

    pub(in crate::app) fn on_session_read(
        &mut self,
        path: PathBuf,
        result: Result<Box<Session>, String>,
    ) {
        let session = match result {
            Ok(session) => *session,
            Err(error) => {
                self.notices.error = Some(error);
                return;
            }
        };
        let input = session.input_path(&path);
        if !input.is_file() {
            self.notices.error = Some(format!(
                "The session {} names {}, which is missing",
                path.display(),
                session.input.path.display()
            ));
            return;
        }
        self.settings.last_session = Some(path.clone());
        self.checking_input = Some((input.clone(), session.input.clone()));
        self.jobs.fingerprint(input.clone());
        self.restoring = Some(Restoring {
            path,
            input: input.clone(),
            session,
            applied: false,
            warnings: Vec::new(),
        });
        self.open(input);
    }

    /// The input's size and hash now, against the session's.
    pub(in crate::app) fn on_fingerprint(
        &mut self,
        path: PathBuf,
        result: Result<InputRecord, String>,
    ) {
        let Some((_, saved)) = self.checking_input.take_if(|(input, _)| *input == path) else {
            return;
        };
        let warning = match result {
            Ok(now) if now.sha256 == saved.sha256 => return,
            Ok(now) => format!(
                "{} changed since the session was saved ({} bytes then, {} now): the clusters may differ",
                path.display(),
                saved.bytes,
                now.bytes
            ),
            Err(error) => format!("cannot check the input against the session: {error}"),
        };
        // Kept with the restore too: the first result replaces the warnings shown.
        if let Some(restoring) = &mut self.restoring {
            restoring.warnings.push(warning.clone());
        }
        self.add_warning(warning);
    }

    /// Shows `warning` beside the ones already shown.
    fn add_warning(&mut self, warning: String) {
        match &mut self.notices.warning {
            Some(shown) if shown.contains(&warning) => {}
            Some(shown) => *shown = format!("{shown}; {warning}"),
            None => self.notices.warning = Some(warning),
        }
    }

    /// Applies the session's choices to the table that has just loaded (called before the
    /// features are rebuilt). Columns the table no longer has are left out, with a warning.
    pub(in crate::app) fn apply_session_choices(&mut self, table: &LoadedTable) {
        let Some(restoring) = &mut self.restoring else {
            return;
        };
        if restoring.applied || restoring.input != table.path {
            self.restoring = None;
            return;
        }
        restoring.applied = true;
        let session = &restoring.session;
        let numeric = crate::data::numeric_columns(&table.frame);
        let (present, missing): (Vec<String>, Vec<String>) = session
            .features
            .iter()
            .cloned()
            .partition(|c| numeric.contains(c));
        if !missing.is_empty() {
            restoring.warnings.push(format!(
                "the table has no numeric column {}",
                missing.join(", ")
            ));
        }
        if table.image.is_none() {
            self.selected_columns = present;
        }
        self.settings.scaling = session.scaling;
        self.subset = match &session.subset {
            Some(rows) if rows.iter().all(|&r| (r as usize) < table.info.n_rows) => {
                Some(Arc::new(rows.clone()))
            }
            Some(_) => {
                restoring
                    .warnings
                    .push("the clustered rows are past the table's end: all rows are used".into());
                None
            }
            None => None,
        };
        if crate::cluster::find(&session.algorithm).is_some() {
            self.settings.algorithm = session.algorithm.clone();
            self.settings
                .params
                .insert(session.algorithm.clone(), session.params.clone());
        } else {
            restoring.warnings.push(format!(
                "this Clusterscope has no algorithm {:?}",
                session.algorithm
            ));
        }
        self.settings.backend = session.backend;
        if let Some(segment) = &session.segment {
            self.settings.segment = segment.clone();
        }
        self.axes = session.view.axes.clone();
        self.settings.view = session.view.scatter.clone();
        for warning in restoring.warnings.clone() {
            self.add_warning(warning);
        }
    }

    /// Gives the first result after a restore the session's names, colours, hidden
    /// clusters and pinned comparison.
    pub(in crate::app) fn apply_session_styles(&mut self) {
        let Some(restoring) = self.restoring.take_if(|r| r.applied) else {
            return;
        };
        let Some(clustering) = &self.clustering else {
            return;
        };
        for record in &restoring.session.clusters {
            if record.id != NOISE && record.id as usize >= clustering.n_clusters() {
                continue;
            }
            if let Some(name) = &record.name {
                self.styles.rename(record.id, name.clone());
            }
            if let Some([r, g, b, a]) = record.color {
                self.styles
                    .recolor(record.id, egui::Color32::from_rgba_unmultiplied(r, g, b, a));
            }
            if record.hidden {
                self.styles.set_visible(record.id, false);
            }
        }
        if let Some(pinned) = &restoring.session.pinned
            && pinned.labels.len() == clustering.points.n_rows
        {
            self.pinned = Some(PinnedClustering {
                points: Arc::clone(&clustering.points),
                labels: pinned.labels.clone(),
                description: pinned.description.clone(),
            });
        }
        let name = file_name(&restoring.path);
        self.notices.info = Some(format!("Restored session {name}"));
        for warning in restoring.warnings {
            self.add_warning(warning);
        }
    }

    /// "Resume your last session" on a start without a file, until taken or dismissed.
    pub(in crate::app) fn resume_offer_ui(&mut self, ui: &mut egui::Ui) {
        let Some(path) = self.offer_session.clone() else {
            return;
        };
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(format!("Last session: {}", file_name(&path)))
                .on_hover_text(path.display().to_string());
            ui.horizontal(|ui| {
                if ui.button("Resume").clicked() {
                    self.command(Command::Open(path.clone()));
                }
                if ui.button("Dismiss").clicked() {
                    self.offer_session = None;
                }
            });
        });
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
