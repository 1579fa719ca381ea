//! The GPU layer: one wgpu device and the compute kernels that run on it. Knows nothing of
//! egui or of tables; the app hands it eframe's device, the command line makes its own.

mod context;
pub mod density;
pub mod kmeans;
pub mod pca;
mod readback;
mod row_chunks;
pub mod slic;

pub use context::GpuContext;
pub use row_chunks::{BufferChunk, RowChunks, upload_positions, upload_u32_rows};

pub(crate) use eframe::egui_wgpu::wgpu;
pub(crate) use readback::read_buffer;
pub use readback::readback_count;

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

/// A compute pipeline from `common` (shared declarations) followed by `source`, with the
/// layout derived from the shader. Call inside a validation error scope: a rejected shader
/// is reported there, not by a panic.
pub(crate) fn compute_pipeline(
    device: &wgpu::Device,
    label: &str,
    common: &str,
    source: &str,
    entry_point: &str,
) -> wgpu::ComputePipeline {
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(format!("{common}\n{source}").into()),
    });
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(label),
        layout: None,
        module: &module,
        entry_point: Some(entry_point),
        compilation_options: Default::default(),
        cache: None,
    })
}

/// Largest number of workgroups along x in one dispatch; more go along y.
/// Keep in sync with `MAX_GROUPS_X` uses in `shaders/` (the `groups_x` uniform).
pub const MAX_GROUPS_X: u32 = 65_535;

/// A 2-D dispatch size covering `groups` workgroups.
pub fn dispatch_size(groups: u32) -> (u32, u32) {
    let groups = groups.max(1);
    let x = groups.min(MAX_GROUPS_X);
    (x, groups.div_ceil(x))
}
