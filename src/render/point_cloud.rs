//! What the renderer draws: per-row positions and labels, each in one or more GPU buffers
//! ("chunks", as the compute passes split them to fit one storage binding), combined into
//! batches that each bind one range of both.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::gpu::{RowChunks, wgpu};

/// One draw call: a row range of the cloud with its positions (vec2<f32> per row) and,
/// when labelled, its labels (u32 per row), as (buffer, byte offset).
#[derive(Clone, Debug)]
pub struct Batch {
    pub first_row: u32,
    pub n_rows: u32,
    pub positions: (wgpu::Buffer, u64),
    pub labels: Option<(wgpu::Buffer, u64)>,
}

/// Positions and (optionally) labels of every row, ready to draw. Immutable; a change of
/// labels or positions makes a new one from the same or other buffers.
#[derive(Debug)]
pub struct PointCloud {
    /// Unique per cloud, so views rebuild bind groups only when the cloud changes.
    pub id: u64,
    pub n_points: usize,
    pub batches: Vec<Batch>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl PointCloud {
    /// Combines positions and labels (same row count) into batches split wherever either
    /// side starts a new chunk. Chunk boundaries are multiples of [`BLOCK_POINTS`] rows,
    /// so every byte offset meets storage-binding alignment.
    pub fn new(positions: &RowChunks, labels: Option<&RowChunks>) -> Result<Arc<Self>, String> {
        let n_points = positions.n_rows();
        if let Some(labels) = labels
            && labels.n_rows() != n_points
        {
            return Err(format!(
                "{} labels for {n_points} positions",
                labels.n_rows()
            ));
        }
        let mut cuts: Vec<usize> = positions.chunks.iter().map(|c| c.first_row).collect();
        if let Some(labels) = labels {
            cuts.extend(labels.chunks.iter().map(|c| c.first_row));
        }
        cuts.push(n_points);
        cuts.sort_unstable();
        cuts.dedup();
        let locate = |chunks: &RowChunks, row: usize, bytes_per_row: u64| {
            let chunk = chunks
                .chunks
                .iter()
                .find(|c| c.first_row <= row && row < c.first_row + c.n_rows)
                .expect("chunks cover every row");
            (
                chunk.buffer.clone(),
                (row - chunk.first_row) as u64 * bytes_per_row,
            )
        };
        let batches = cuts
            .windows(2)
            .filter(|w| w[1] > w[0])
            .map(|w| Batch {
                first_row: w[0] as u32,
                n_rows: (w[1] - w[0]) as u32,
                positions: locate(positions, w[0], 8),
                labels: labels.map(|l| locate(l, w[0], 4)),
            })
            .collect();
        Ok(Arc::new(Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            n_points,
            batches,
        }))
    }
}
