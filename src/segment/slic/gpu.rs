//! GPU twin of SLIC's two steps (`shaders/slic/slic.wgsl`): per-pixel assignment to the
//! 3 × 3 neighbouring centres and per-centre sums. Only the sums (k × (d + 1) numbers)
//! come back each iteration; the centres move on the CPU with the same code as the CPU
//! backend.

use std::sync::Arc;

use super::{MAX_FEATURES, SlicGrid, SlicSteps};
use crate::cluster::ClusterError;
use crate::gpu::{GpuContext, GpuError, ShaderEntry, dispatch_size, read_buffer, wgpu, whole};
use crate::matrix::Matrix;

const SHADER: &str = include_str!("../../../shaders/slic/slic.wgsl");

const ASSIGN: ShaderEntry = ShaderEntry {
    label: "slic::assign",
    sources: &[SHADER],
    entry_point: "assign",
};
const CENTRE_SUMS: ShaderEntry = ShaderEntry {
    label: "slic::centre_sums",
    sources: &[SHADER],
    entry_point: "centre_sums",
};

/// Threads per workgroup of the assign pass. Keep in sync with `assign`'s
/// `@workgroup_size` in `shaders/slic/slic.wgsl`.
const ASSIGN_GROUP: u32 = 256;

/// Keep in sync with `Params` in `shaders/slic/slic.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct SlicUniforms {
    width: u32,
    height: u32,
    nx: u32,
    ny: u32,
    d: u32,
    groups_x: u32,
    n_clusters: u32,
    _pad: u32,
}

const _: () = assert!(std::mem::size_of::<SlicUniforms>() == 32);

/// One image's buffers on the GPU, driven by `run_slic`.
pub struct GpuSlicSteps {
    gpu: GpuContext,
    assign: wgpu::ComputePipeline,
    sums: wgpu::ComputePipeline,
    n_pixels: usize,
    k: usize,
    d: usize,
    centres: wgpu::Buffer,
    labels: wgpu::Buffer,
    sums_out: wgpu::Buffer,
    counts: wgpu::Buffer,
    assign_group: wgpu::BindGroup,
    sums_group: wgpu::BindGroup,
    assign_dispatch: (u32, u32),
    sums_dispatch: (u32, u32),
}

impl GpuSlicSteps {
    /// `features` (pixels row-major over a `grid.width × grid.height` image) made
    /// resident, with the buffers one SLIC run needs.
    pub fn new(gpu: &GpuContext, features: &Arc<Matrix>, grid: SlicGrid) -> Result<Self, GpuError> {
        let d = features.n_cols;
        if d > MAX_FEATURES {
            return Err(GpuError::TooLarge(format!(
                "SLIC on the GPU takes at most {MAX_FEATURES} features per pixel, got {d}"
            )));
        }
        let assign = gpu.pipeline(&ASSIGN)?;
        let sums = gpu.pipeline(&CENTRE_SUMS)?;
        let resident = gpu.resident(features)?;
        let features_buffer = resident.single_chunk()?;
        let k = grid.n_clusters();
        let (centres, labels, sums_out, counts) = gpu.allocating(|| {
            Ok((
                gpu.storage("slic::centres", (k * d * 4) as u64),
                gpu.storage("slic::labels", (features.n_rows * 4) as u64),
                gpu.storage("slic::sums", (k * d * 4) as u64),
                gpu.storage("slic::counts", (k * 4) as u64),
            ))
        })?;
        let (assign_x, assign_y) = dispatch_size((features.n_rows as u32).div_ceil(ASSIGN_GROUP));
        let (sums_x, sums_y) = dispatch_size(k as u32);
        let uniform = |groups_x: u32| {
            gpu.uniform(
                "slic::params",
                &SlicUniforms {
                    width: grid.width,
                    height: grid.height,
                    nx: grid.nx,
                    ny: grid.ny,
                    d: d as u32,
                    groups_x,
                    n_clusters: k as u32,
                    _pad: 0,
                },
            )
        };
        let assign_params = uniform(assign_x);
        let sums_params = uniform(sums_x);
        // Bind groups follow each entry point's own layout (only the bindings it uses).
        let assign_group = gpu.bind_group(
            ASSIGN.label,
            &assign,
            &[
                (0, whole(&assign_params)),
                (1, whole(features_buffer)),
                (2, whole(&centres)),
                (3, whole(&labels)),
            ],
        );
        let sums_group = gpu.bind_group(
            CENTRE_SUMS.label,
            &sums,
            &[
                (0, whole(&sums_params)),
                (1, whole(features_buffer)),
                (3, whole(&labels)),
                (4, whole(&sums_out)),
                (5, whole(&counts)),
            ],
        );
        Ok(Self {
            gpu: gpu.clone(),
            assign,
            sums,
            n_pixels: features.n_rows,
            k,
            d,
            centres,
            labels,
            sums_out,
            counts,
            assign_group,
            sums_group,
            assign_dispatch: (assign_x, assign_y),
            sums_dispatch: (sums_x, sums_y),
        })
    }

    pub fn adapter_name(&self) -> String {
        self.gpu.adapter_name()
    }

    fn read<T: bytemuck::Pod>(
        &self,
        buffer: &wgpu::Buffer,
        count: usize,
    ) -> Result<Vec<T>, GpuError> {
        let bytes = (count * std::mem::size_of::<T>()) as u64;
        read_buffer(&self.gpu.device, &self.gpu.queue, buffer, 0, bytes)
    }
}

impl SlicSteps for GpuSlicSteps {
    fn assign(&mut self, centres: &[f32]) -> Result<(), ClusterError> {
        self.gpu
            .queue
            .write_buffer(&self.centres, 0, bytemuck::cast_slice(centres));
        let mut encoder = self.gpu.encoder(ASSIGN.label);
        GpuContext::dispatch(
            &mut encoder,
            ASSIGN.label,
            &self.assign,
            &self.assign_group,
            self.assign_dispatch,
        );
        self.gpu.submit_and_wait(encoder)?;
        Ok(())
    }

    fn sums(&mut self) -> Result<(Vec<f32>, Vec<u32>), ClusterError> {
        let mut encoder = self.gpu.encoder(CENTRE_SUMS.label);
        GpuContext::dispatch(
            &mut encoder,
            CENTRE_SUMS.label,
            &self.sums,
            &self.sums_group,
            self.sums_dispatch,
        );
        self.gpu.submit_and_wait(encoder)?;
        Ok((
            self.read(&self.sums_out, self.k * self.d)?,
            self.read(&self.counts, self.k)?,
        ))
    }

    fn labels(&mut self) -> Result<Vec<u32>, ClusterError> {
        Ok(self.read(&self.labels, self.n_pixels)?)
    }
}
