//! The silhouette's all-pairs pass on the GPU (`shaders/silhouette/cluster_sums.wgsl`),
//! twin of `cpu.rs`: rows sorted by cluster stay resident, and the per-cluster distance
//! sums come back in slices of rows, so memory stays bounded and cancel and progress are
//! checked between slices.

use crate::gpu::{GpuContext, GpuError, ShaderEntry, read_buffer, wgpu};

pub const CLUSTER_SUMS: ShaderEntry = ShaderEntry {
    label: "silhouette::cluster_sums",
    sources: &[include_str!(
        "../../../shaders/silhouette/cluster_sums.wgsl"
    )],
    entry_point: "cluster_sums",
};

/// Threads per workgroup. Keep in sync with `WORKGROUP` in `cluster_sums.wgsl`.
const WORKGROUP: u32 = 64;
/// Row-pair visits (× columns) per submission, so no submission runs for seconds.
const VISITS_PER_SUBMISSION: u64 = 1 << 31;
/// Bytes of sums read back per slice.
const SLICE_BYTES: u64 = 32 << 20;

/// Keep in sync with `Params` in `cluster_sums.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct SilhouetteUniforms {
    n: u32,
    d: u32,
    k: u32,
    first: u32,
    count: u32,
    out_offset: u32,
    groups_x: u32,
    _pad: u32,
}

const _: () = assert!(std::mem::size_of::<SilhouetteUniforms>() == 32);

/// Rows sorted by cluster, resident on one device.
pub struct GpuClusterSums {
    gpu: GpuContext,
    points: wgpu::Buffer,
    labels: wgpu::Buffer,
    n: usize,
    d: usize,
    k: usize,
}

impl GpuClusterSums {
    /// Uploads `points` (n × `d`, sorted by cluster) and their `labels`.
    pub fn new(
        gpu: &GpuContext,
        points: &[f32],
        labels: &[u32],
        d: usize,
        k: usize,
    ) -> Result<Self, GpuError> {
        let n = labels.len();
        if n > u32::MAX as usize / d.max(1) || (points.len() as u64) * 4 > gpu.max_binding_bytes() {
            return Err(GpuError::TooLarge(format!(
                "{n} × {d} values are over this GPU's largest storage binding"
            )));
        }
        gpu.pipeline(&CLUSTER_SUMS)?;
        Ok(Self {
            gpu: gpu.clone(),
            points: gpu.storage_init("silhouette::points", points),
            labels: gpu.storage_init("silhouette::labels", labels),
            n,
            d,
            k,
        })
    }

    /// Rows per slice of [`Self::sums`].
    pub fn slice_rows(&self) -> usize {
        let per_row = (self.k.max(1) * 4) as u64;
        ((SLICE_BYTES / per_row) as usize).clamp(WORKGROUP as usize, self.n.max(1))
    }

    /// The sums of rows `first..first + count`, as [`super::cpu::cluster_sums`].
    pub fn sums(&self, first: usize, count: usize) -> Result<Vec<f32>, GpuError> {
        let (n, d, k) = (self.n, self.d, self.k);
        let bytes = (count * k) as u64 * 4;
        let out = self.gpu.storage("silhouette::sums", bytes);
        let per_submission = (VISITS_PER_SUBMISSION / (n.max(1) as u64 * d.max(1) as u64))
            .clamp(WORKGROUP as u64, u32::MAX as u64) as usize;
        let uniform = |done: usize, part: usize, groups_x: u32| {
            self.gpu.uniform(
                "silhouette::params",
                &SilhouetteUniforms {
                    n: n as u32,
                    d: d as u32,
                    k: k as u32,
                    first: (first + done) as u32,
                    count: part as u32,
                    out_offset: done as u32,
                    groups_x,
                    _pad: 0,
                },
            )
        };
        self.gpu.run_in_parts(
            &CLUSTER_SUMS,
            count,
            per_submission,
            WORKGROUP,
            uniform,
            &[&self.points, &self.labels, &out],
        )?;
        read_buffer(&self.gpu.device, &self.gpu.queue, &out, 0, bytes)
    }
}
