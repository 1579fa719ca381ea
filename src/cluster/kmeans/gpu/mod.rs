//! k-means on the GPU: four compute passes (`shaders/kmeans/*.wgsl`) driven from here, the
//! twins of `cpu.rs`. Pipelines come from the device's cache, points are the device's
//! resident dataset, and the per-k buffers are kept while k and the dataset stay the same,
//! so a parameter change only rewrites centroids and re-dispatches.

mod batch;
mod buffers;
mod gpu_data;
mod kernels;
mod steps;

pub use batch::{BATCH_BYTES, batch_ranges};
pub use kernels::PASSES;
pub use steps::GpuKMeansState;
