//! How a segmentation output was made, carried with the output: an iTXt chunk with the
//! keyword `clusterscope` inside the mask and overlay PNGs, a `.clusterscope.json` beside
//! the segment table (as for CSV table exports). Same field names as a table export's
//! record where they mean the same thing.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{SegmentParams, Segmentation};
use crate::cluster::{AlgorithmParams, BackendChoice};
use crate::data::{DataError, InputRecord, now_utc};

/// The PNG text keyword the record is stored under.
pub const PNG_KEYWORD: &str = "clusterscope";

/// The record of one segmentation output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentRecord {
    pub clusterscope: String,
    /// "segment" (the command line) or "window".
    pub made_by: String,
    /// "mask", "overlay" or "segments".
    pub output: String,
    pub params: SegmentParams,
    /// The algorithm run on superpixels, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<AlgorithmParams>,
    pub backend_choice: BackendChoice,
    pub backend: String,
    pub adapter: String,
    pub input: InputRecord,
    pub width: u32,
    pub height: u32,
    pub n_segments: usize,
    pub created: String,
}

impl SegmentRecord {
    /// The record of `segmentation`, made from `image` with `params`; hashes the image.
    pub fn new(
        made_by: &str,
        params: &SegmentParams,
        backend_choice: BackendChoice,
        segmentation: &Segmentation,
        image: &Path,
    ) -> Result<Self, DataError> {
        Ok(Self {
            clusterscope: env!("CARGO_PKG_VERSION").into(),
            made_by: made_by.into(),
            output: String::new(),
            params: params.clone(),
            cluster: params.cluster.clone(),
            backend_choice,
            backend: segmentation.diagnostics.backend.name().into(),
            adapter: segmentation.diagnostics.adapter.clone(),
            input: InputRecord::of(image)?,
            width: segmentation.width,
            height: segmentation.height,
            n_segments: segmentation.n_segments,
            created: now_utc(),
        })
    }

    /// The same record for the output named `output`.
    pub fn for_output(&self, output: &str) -> Self {
        Self {
            output: output.into(),
            ..self.clone()
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a record serialises")
    }

    /// The record inside a PNG this program wrote (None when it has none).
    pub fn of_png(path: &Path) -> Result<Option<Self>, String> {
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let reader = png::Decoder::new(std::io::BufReader::new(file))
            .read_info()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        for chunk in &reader.info().utf8_text {
            if chunk.keyword == PNG_KEYWORD {
                let text = chunk.get_text().map_err(|e| e.to_string())?;
                return serde_json::from_str(&text)
                    .map(Some)
                    .map_err(|e| format!("{}: the clusterscope record: {e}", path.display()));
            }
        }
        Ok(None)
    }
}
