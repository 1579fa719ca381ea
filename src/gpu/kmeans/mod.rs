//! k-means on the GPU: four compute passes (`shaders/kmeans_*.wgsl`) driven from here.
//! Pipelines are built once per device, points are uploaded once per dataset, and the
//! per-k buffers are kept while k stays the same, so a parameter change only rewrites
//! centroids and re-dispatches.

mod buffers;
mod gpu_data;
mod kernels;
mod steps;

pub(crate) use buffers::UploadedPoints;
pub use steps::GpuKMeans;
