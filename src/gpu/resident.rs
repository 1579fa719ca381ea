//! Datasets uploaded once and shared by every kernel set on the device: k-means, PCA, the
//! density passes, SLIC and k-medoids all read the same buffers, so moving a slider or
//! switching algorithms on the same features never uploads them again.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use wgpu::util::DeviceExt;

use super::{GpuContext, GpuError, wgpu};
use crate::matrix::Matrix;

/// Chunks hold a multiple of this many rows, so that per-block passes (k-means reduces
/// blocks of 1,024 rows) never straddle two chunks.
pub const CHUNK_ROW_MULTIPLE: usize = 1024;

/// Datasets kept resident at once (e.g. an image's pixels and its superpixel means).
const KEPT: usize = 2;

/// Rows `first_row..first_row + n_rows` of a matrix, row-major f32 from the start of
/// `buffer`.
pub struct MatrixChunk {
    pub buffer: wgpu::Buffer,
    pub first_row: usize,
    pub n_rows: usize,
}

/// A matrix resident on the GPU, split into chunks that each fit one storage binding.
pub struct ResidentMatrix {
    pub source: Arc<Matrix>,
    pub chunks: Vec<MatrixChunk>,
}

impl ResidentMatrix {
    /// The whole matrix as one binding, for passes that scan all rows from every
    /// invocation; an error naming the size when it needed more than one chunk.
    pub fn single_chunk(&self) -> Result<&wgpu::Buffer, GpuError> {
        match self.chunks.as_slice() {
            [chunk] => Ok(&chunk.buffer),
            _ => Err(GpuError::TooLarge(format!(
                "{} × {} values take {} bytes, over this GPU's largest storage binding; use \
                 the CPU backend",
                self.source.n_rows,
                self.source.n_cols,
                self.source.values.len() * 4
            ))),
        }
    }
}

/// The newest resident datasets, and how many uploads were made.
#[derive(Default)]
pub(crate) struct ResidentCache {
    kept: Mutex<Vec<Arc<ResidentMatrix>>>,
    uploads: AtomicUsize,
}

impl GpuContext {
    /// `points` on the GPU: uploaded the first time this `Arc` is seen, then shared.
    pub fn resident(&self, points: &Arc<Matrix>) -> Result<Arc<ResidentMatrix>, GpuError> {
        let mut kept = self
            .resident
            .kept
            .lock()
            .map_err(|_| GpuError::Allocation("the dataset cache was poisoned".into()))?;
        if let Some(position) = kept.iter().position(|r| Arc::ptr_eq(&r.source, points)) {
            let resident = kept.remove(position);
            kept.push(Arc::clone(&resident));
            return Ok(resident);
        }
        let resident = Arc::new(self.allocating(|| self.upload(points))?);
        self.resident.uploads.fetch_add(1, Ordering::Relaxed);
        if kept.len() >= KEPT {
            kept.remove(0);
        }
        kept.push(Arc::clone(&resident));
        Ok(resident)
    }

    /// Datasets uploaded so far through [`Self::resident`] (tests check the cache).
    pub fn uploads(&self) -> usize {
        self.resident.uploads.load(Ordering::Relaxed)
    }

    fn upload(&self, source: &Arc<Matrix>) -> Result<ResidentMatrix, GpuError> {
        let d = source.n_cols.max(1);
        let rows_per_chunk =
            rows_per_chunk(self.max_binding_bytes(), d as u64 * 4).ok_or_else(|| {
                GpuError::TooLarge(format!(
                    "{d} feature columns do not fit one GPU storage binding of {} bytes",
                    self.max_binding_bytes()
                ))
            })?;
        let mut chunks = Vec::new();
        let mut first_row = 0;
        while first_row < source.n_rows || chunks.is_empty() {
            let n_rows = rows_per_chunk.min(source.n_rows - first_row);
            let values =
                &source.values[first_row * source.n_cols..(first_row + n_rows) * source.n_cols];
            // Bindings must not be empty.
            let contents: &[f32] = if values.is_empty() { &[0.0] } else { values };
            chunks.push(MatrixChunk {
                buffer: self
                    .device
                    .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                        label: Some(&format!("resident::points[{}]", chunks.len())),
                        contents: bytemuck::cast_slice(contents),
                        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
                    }),
                first_row,
                n_rows,
            });
            first_row += n_rows;
            if n_rows == 0 {
                break;
            }
        }
        Ok(ResidentMatrix {
            source: Arc::clone(source),
            chunks,
        })
    }
}

/// Rows per chunk: as many as fit `max_binding_bytes`, a multiple of
/// [`CHUNK_ROW_MULTIPLE`]; None when not even one multiple fits.
pub fn rows_per_chunk(max_binding_bytes: u64, bytes_per_row: u64) -> Option<usize> {
    let blocks = max_binding_bytes / (bytes_per_row.max(1) * CHUNK_ROW_MULTIPLE as u64);
    (blocks > 0).then_some(blocks as usize * CHUNK_ROW_MULTIPLE)
}
