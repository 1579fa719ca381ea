//! How an export was made, written into it: Parquet files carry the record as key-value
//! metadata under `clusterscope`; CSV and TSV files get it beside them, in
//! `<file>.clusterscope.json`. `clusterscope rerun EXPORTED --out NEW` repeats the run
//! from the record alone.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{DataError, Scaling};
use crate::cluster::{BackendChoice, ParamValues};

/// The Parquet key-value metadata key (and the record's format name).
pub const METADATA_KEY: &str = "clusterscope";

/// Everything needed to repeat a clustering and check it ran on the same data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The Clusterscope version that wrote it.
    pub clusterscope: String,
    /// What wrote it: "cluster" (the command line), "window" or "outliers".
    pub made_by: String,
    /// Registry id of the algorithm.
    pub algorithm: String,
    /// Every parameter, defaults filled in.
    pub params: ParamValues,
    /// The seed, when the algorithm takes one (also in `params`).
    pub seed: Option<u64>,
    /// Where the run was asked to go, where it went, and on what.
    pub backend_choice: BackendChoice,
    pub backend: String,
    pub adapter: String,
    pub input: InputRecord,
    /// Feature columns, in order.
    pub columns: Vec<String>,
    /// The workbook sheet read, for workbooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    pub scaling: Scaling,
    /// Rows in the input table and rows clustered (complete in the chosen columns).
    pub rows: usize,
    pub rows_used: usize,
    /// The added column and whether per-row scores were written too.
    pub label_column: String,
    pub scores: bool,
    /// Only this many rows were exported (a selection), or all of them.
    pub rows_exported: Option<usize>,
    /// Only these table rows were clustered (the window's "cluster the selection only").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clustered_rows: Option<Vec<u32>>,
    /// Outlier exports (`made_by` "outliers"): how the flags were cut from the scores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cutoff: Option<crate::outliers::Cutoff>,
    /// Outlier exports scored against a clustering: the label column read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels_from: Option<String>,
    /// UTC, RFC 3339.
    pub created: String,
}

/// The input file as it was when the run read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputRecord {
    pub file: String,
    /// Absolute path when it could be resolved.
    pub path: PathBuf,
    pub bytes: u64,
    pub sha256: String,
}

impl InputRecord {
    /// Reads `path` once to hash it.
    pub fn of(path: &Path) -> Result<Self, DataError> {
        let error = |source: std::io::Error| DataError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(error)?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 1 << 20];
        let mut bytes = 0u64;
        loop {
            let read = file.read(&mut buffer).map_err(error)?;
            if read == 0 {
                break;
            }
            bytes += read as u64;
            hasher.update(&buffer[..read]);
        }
        Ok(Self {
            file: path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
            path: std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
            bytes,
            sha256: hex(&hasher.finalize()),
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Now, as the record writes dates.
pub fn now_utc() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The sidecar file of a CSV or TSV export.
pub fn sidecar_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(".clusterscope.json");
    output.with_file_name(name)
}

impl Provenance {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a record serialises")
    }

    /// The record of an export: Parquet metadata, else the sidecar file.
    pub fn of_export(exported: &Path) -> Result<Self, DataError> {
        let missing = |why: String| DataError::NoProvenance {
            why,
            path: exported.to_path_buf(),
        };
        let is_parquet = exported
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq"));
        let text = if is_parquet {
            super::read::parquet_metadata(exported, METADATA_KEY)?
                .ok_or_else(|| missing(format!("no '{METADATA_KEY}' key-value metadata")))?
        } else {
            let sidecar = sidecar_path(exported);
            std::fs::read_to_string(&sidecar)
                .map_err(|e| missing(format!("{}: {e}", sidecar.display())))?
        };
        serde_json::from_str(&text).map_err(|e| missing(format!("the record is not readable: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_sha256_of_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc.csv");
        std::fs::write(&path, b"abc").unwrap();
        let record = InputRecord::of(&path).unwrap();
        assert_eq!(record.bytes, 3);
        assert_eq!(
            record.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(record.file, "abc.csv");
    }

    #[test]
    fn sidecars_sit_beside_the_export() {
        assert_eq!(
            sidecar_path(Path::new("/tmp/out.csv")),
            Path::new("/tmp/out.csv.clusterscope.json")
        );
    }
}
