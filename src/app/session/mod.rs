//! Sessions: what it takes to come back to an analysis — the input (path and hash), the
//! features, scaling and row subset, the algorithm with its parameters, the view, the
//! clusters' names and colours and the pinned comparison — as a `.clusterscope` JSON file.
//! Opening one reloads the input, applies the choices and re-runs; with the saved seed the
//! labels come back as they were. `restore.rs` is the window's side of it.

mod restore;

pub use restore::Restoring;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{ScatterAxes, ViewSettings};
use crate::cluster::{BackendChoice, ParamValues};
use crate::data::{InputRecord, Scaling};
use crate::segment::SegmentParams;

/// The file extension of sessions.
pub const EXTENSION: &str = "clusterscope";
/// The `format` field every session carries.
pub const FORMAT: &str = "clusterscope-session";
/// The newest session version this build reads and the one it writes.
pub const VERSION: u32 = 1;
/// Larger files are refused before parsing (a session holds at most one label per row of
/// the pinned comparison).
const MAX_BYTES: u64 = 1 << 30;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub format: String,
    pub version: u32,
    /// The Clusterscope version that saved it, and when (UTC, RFC 3339).
    pub clusterscope: String,
    pub saved: String,
    /// The input as it was when the session was saved.
    pub input: InputRecord,
    /// The workbook sheet read (workbooks only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// Feature columns, in table order.
    pub features: Vec<String>,
    pub scaling: Scaling,
    /// Only these table rows were clustered ("cluster the selection only").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subset: Option<Vec<u32>>,
    /// Registry id and every parameter's value.
    pub algorithm: String,
    pub params: ParamValues,
    pub backend: BackendChoice,
    /// How an image's pixels were turned into features (images only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<SegmentParams>,
    pub view: SessionView,
    /// Names, colours and visibility the user gave clusters, by cluster id.
    #[serde(default)]
    pub clusters: Vec<ClusterStyleRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<PinnedRecord>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub axes: ScatterAxes,
    pub scatter: ViewSettings,
}

/// What the user changed about one cluster (id as shown: 0..k−1 by size, or noise).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterStyleRecord {
    pub id: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// sRGB with alpha.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<[u8; 4]>,
    #[serde(default)]
    pub hidden: bool,
}

/// The clustering pinned for comparison: one label per clustered row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PinnedRecord {
    pub description: String,
    pub labels: Vec<u32>,
}

impl Session {
    /// Reads a session file, with errors that name it.
    pub fn read(path: &Path) -> Result<Self, String> {
        let fail = |why: String| format!("cannot open session {}: {why}", path.display());
        let metadata = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
        if !metadata.is_file() {
            return Err(fail("not a regular file".into()));
        }
        if metadata.len() > MAX_BYTES {
            return Err(fail(format!(
                "{} bytes is larger than any session ({MAX_BYTES} at most)",
                metadata.len()
            )));
        }
        let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
        let value: serde_json::Value = serde_json::from_reader(std::io::BufReader::new(file))
            .map_err(|e| fail(format!("not valid JSON ({e})")))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(fail(format!(
                "not a Clusterscope session (no \"format\": \"{FORMAT}\")"
            )));
        }
        let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if version == 0 || version > VERSION as u64 {
            return Err(fail(format!(
                "session version {version}; this Clusterscope reads versions 1 to {VERSION}"
            )));
        }
        serde_json::from_value(value).map_err(|e| fail(e.to_string()))
    }

    /// Writes the session whole or not at all.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        crate::data::write_atomically(path, None, |file| {
            serde_json::to_writer_pretty(std::io::BufWriter::new(file), self)
                .map_err(|e| e.to_string())
        })
        .map_err(|e| e.to_string())
    }

    /// Where the input is: the recorded path, or a file of the same name beside the
    /// session (a folder moved or shared whole).
    pub fn input_path(&self, session_path: &Path) -> PathBuf {
        if self.input.path.is_file() {
            return self.input.path.clone();
        }
        let beside = session_path
            .parent()
            .map(|folder| folder.join(&self.input.file));
        match beside {
            Some(beside) if beside.is_file() => beside,
            _ => self.input.path.clone(),
        }
    }
}

/// True for a path that names a session file.
pub fn is_session_path(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(EXTENSION))
}

/// `table.csv` → `table.clusterscope` beside it.
pub fn suggested_path(input: &Path) -> PathBuf {
    input.with_extension(EXTENSION)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session {
            format: FORMAT.into(),
            version: VERSION,
            clusterscope: env!("CARGO_PKG_VERSION").into(),
            saved: "2026-12-02T00:00:00Z".into(),
            input: InputRecord {
                file: "t.csv".into(),
                path: "/nonexistent/t.csv".into(),
                bytes: 10,
                sha256: "ab".into(),
            },
            sheet: None,
            features: vec!["a".into(), "b".into()],
            scaling: Scaling::MinMax,
            subset: Some(vec![1, 3]),
            algorithm: "dbscan".into(),
            params: [("eps".to_string(), serde_json::json!(0.5))]
                .into_iter()
                .collect(),
            backend: BackendChoice::Cpu,
            segment: None,
            view: SessionView {
                axes: ScatterAxes::Columns {
                    x: "a".into(),
                    y: "b".into(),
                },
                scatter: ViewSettings::default(),
            },
            clusters: vec![ClusterStyleRecord {
                id: 1,
                name: Some("loyal".into()),
                color: Some([1, 2, 3, 255]),
                hidden: true,
            }],
            pinned: Some(PinnedRecord {
                description: "k-means k=3".into(),
                labels: vec![0, 1, u32::MAX],
            }),
        }
    }

    #[test]
    fn a_session_file_round_trips() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("s.clusterscope");
        session().write(&path).unwrap();
        assert_eq!(Session::read(&path).unwrap(), session());
    }

    #[test]
    fn other_json_and_newer_versions_are_refused_by_name() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("s.clusterscope");
        std::fs::write(&path, "{\"a\": 1}").unwrap();
        let error = Session::read(&path).unwrap_err();
        assert!(error.contains("s.clusterscope") && error.contains("not a Clusterscope session"));
        let mut newer = serde_json::to_value(session()).unwrap();
        newer["version"] = 99.into();
        std::fs::write(&path, newer.to_string()).unwrap();
        assert!(Session::read(&path).unwrap_err().contains("version 99"));
        std::fs::write(&path, "{").unwrap();
        assert!(Session::read(&path).unwrap_err().contains("not valid JSON"));
    }

    #[test]
    fn a_moved_input_is_found_beside_the_session() {
        let folder = tempfile::tempdir().unwrap();
        std::fs::write(folder.path().join("t.csv"), "a\n1\n").unwrap();
        let path = folder.path().join("s.clusterscope");
        assert_eq!(session().input_path(&path), folder.path().join("t.csv"));
    }
}
