//! The four k-means passes, compiled once per device by the GPU layer's pipeline cache.

use crate::gpu::ShaderEntry;

const COMMON: &str = include_str!("../../../../shaders/kmeans/common.wgsl");

/// Threads per workgroup of every k-means pass. Keep in sync with `WORKGROUP_SIZE` in
/// `shaders/kmeans/common.wgsl`.
pub const WORKGROUP_SIZE: u32 = 256;

/// argmin over centroids of ‖c‖² − 2x·c, per point.
pub const ASSIGN: ShaderEntry = ShaderEntry {
    label: "kmeans::assign",
    sources: &[
        COMMON,
        include_str!("../../../../shaders/kmeans/assign.wgsl"),
    ],
    entry_point: "assign",
};

/// Per-block sums of each (cluster, dimension) slot.
pub const REDUCE: ShaderEntry = ShaderEntry {
    label: "kmeans::reduce",
    sources: &[
        COMMON,
        include_str!("../../../../shaders/kmeans/reduce.wgsl"),
    ],
    entry_point: "reduce",
};

/// Block partials added in block order.
pub const ACCUMULATE: ShaderEntry = ShaderEntry {
    label: "kmeans::accumulate",
    sources: &[
        COMMON,
        include_str!("../../../../shaders/kmeans/accumulate.wgsl"),
    ],
    entry_point: "accumulate",
};

/// Means, squared shift and ‖c‖² per cluster.
pub const FINALIZE: ShaderEntry = ShaderEntry {
    label: "kmeans::finalize",
    sources: &[
        COMMON,
        include_str!("../../../../shaders/kmeans/finalize.wgsl"),
    ],
    entry_point: "finalize",
};

/// Every k-means pass, as the registry lists them.
pub const PASSES: &[&ShaderEntry] = &[&ASSIGN, &REDUCE, &ACCUMULATE, &FINALIZE];

/// The passes with their pipelines for one run.
pub struct KMeansKernels {
    pub assign: crate::gpu::wgpu::ComputePipeline,
    pub reduce: crate::gpu::wgpu::ComputePipeline,
    pub accumulate: crate::gpu::wgpu::ComputePipeline,
    pub finalize: crate::gpu::wgpu::ComputePipeline,
}

impl KMeansKernels {
    pub fn new(gpu: &crate::gpu::GpuContext) -> Result<Self, crate::gpu::GpuError> {
        Ok(Self {
            assign: gpu.pipeline(&ASSIGN)?,
            reduce: gpu.pipeline(&REDUCE)?,
            accumulate: gpu.pipeline(&ACCUMULATE)?,
            finalize: gpu.pipeline(&FINALIZE)?,
        })
    }
}
