//! The four k-means pipelines, compiled once per device.

use crate::gpu::{GpuError, wgpu};

const COMMON: &str = include_str!("../../../shaders/kmeans_common.wgsl");

/// Compiled k-means passes.
pub struct KMeansKernels {
    pub assign: wgpu::ComputePipeline,
    pub reduce: wgpu::ComputePipeline,
    pub accumulate: wgpu::ComputePipeline,
    pub finalize: wgpu::ComputePipeline,
}

impl KMeansKernels {
    /// Compiles the passes; a shader the device rejects is an error, not a panic.
    pub fn new(device: &wgpu::Device) -> Result<Self, GpuError> {
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let kernels = Self {
            assign: pipeline(
                device,
                "kmeans::assign",
                include_str!("../../../shaders/kmeans_assign.wgsl"),
                "assign",
            ),
            reduce: pipeline(
                device,
                "kmeans::reduce",
                include_str!("../../../shaders/kmeans_reduce.wgsl"),
                "reduce",
            ),
            accumulate: pipeline(
                device,
                "kmeans::accumulate",
                include_str!("../../../shaders/kmeans_accumulate.wgsl"),
                "accumulate",
            ),
            finalize: pipeline(
                device,
                "kmeans::finalize",
                include_str!("../../../shaders/kmeans_finalize.wgsl"),
                "finalize",
            ),
        };
        match pollster::block_on(scope.pop()) {
            Some(error) => Err(GpuError::Shader(error.to_string())),
            None => Ok(kernels),
        }
    }
}

fn pipeline(
    device: &wgpu::Device,
    label: &str,
    source: &str,
    entry_point: &str,
) -> wgpu::ComputePipeline {
    crate::gpu::compute_pipeline(device, label, COMMON, source, entry_point)
}
