//! The GPU layer: one wgpu device and what every kernel set shares on it: compiled
//! pipelines, datasets uploaded once, buffer builders and readback. It knows nothing of
//! the algorithms, egui or tables (it imports only `matrix`); each algorithm's host-side
//! GPU code lives beside its CPU twin and takes a [`GpuContext`].

mod buffers;
mod context;
mod pipelines;
mod readback;
mod resident;
mod row_chunks;

pub use buffers::{range, whole};
pub use context::GpuContext;
pub use pipelines::ShaderEntry;
pub use readback::{read_buffer, readback_count};
pub use resident::{CHUNK_ROW_MULTIPLE, MatrixChunk, ResidentMatrix, rows_per_chunk};
pub use row_chunks::{BufferChunk, RowChunks, upload_positions, upload_u32_rows};

pub use eframe::egui_wgpu::wgpu;

/// Errors from the GPU layer. Messages name the operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    #[error("no wgpu adapter found: {0}")]
    NoAdapter(String),
    #[error("the wgpu adapter refused to create a device: {0}")]
    RequestDevice(String),
    #[error("waiting for the GPU failed: {0}")]
    Poll(String),
    #[error("reading results back from the GPU failed: {0}")]
    Map(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("the GPU rejected a compute shader: {0}")]
    Shader(String),
    #[error("the GPU ran out of memory or rejected a buffer: {0}")]
    Allocation(String),
}

/// Largest number of workgroups along x in one dispatch; more go along y.
/// Keep in sync with the `groups_x` uniform every shader in `shaders/` takes.
pub const MAX_GROUPS_X: u32 = 65_535;

/// A 2-D dispatch size covering `groups` workgroups.
pub fn dispatch_size(groups: u32) -> (u32, u32) {
    let groups = groups.max(1);
    let x = groups.min(MAX_GROUPS_X);
    (x, groups.div_ceil(x))
}
