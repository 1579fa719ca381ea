//! The E-step on the GPU (`shaders/gmm/estep.wgsl`), twin of [`super::em::expectation`]:
//! the rows stay resident, each iteration uploads the k components (f32), and the
//! responsibilities come back in slices of bounded size; the M-step's sums run on the host
//! in f64 from them. Row log-likelihoods are summed on the host in f64, in row order.

use std::sync::Arc;

use super::components::Mixture;
use super::em::Expectation;
use crate::gpu::{GpuContext, GpuError, ShaderEntry, read_buffer, wgpu};
use crate::matrix::Matrix;

pub const ESTEP: ShaderEntry = ShaderEntry {
    label: "gmm::estep",
    sources: &[include_str!("../../../shaders/gmm/estep.wgsl")],
    entry_point: "estep",
};

/// Every GMM pass, as the registry lists them.
pub const PASSES: &[&ShaderEntry] = &[&ESTEP];

/// The widest rows and the most components the pass holds in registers. Keep in sync
/// with `MAX_DIMS` and `MAX_COMPONENTS` in `estep.wgsl`.
pub const MAX_GPU_DIMS: usize = 64;
pub const MAX_GPU_COMPONENTS: usize = 64;

/// Threads per workgroup. Keep in sync with `WORKGROUP` in `estep.wgsl`.
const WORKGROUP: u32 = 64;
/// Bytes of responsibilities per slice read back.
const SLICE_BYTES: usize = 32 << 20;

/// Keep in sync with `Params` in `estep.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct EStepUniforms {
    n_rows: u32,
    dims: u32,
    k: u32,
    triangular: u32,
    first_row: u32,
    count: u32,
    groups_x: u32,
    _pad: u32,
}

const _: () = assert!(std::mem::size_of::<EStepUniforms>() == 32);

/// Resident rows ready for E-steps.
pub struct GpuExpectation {
    gpu: GpuContext,
    points: Arc<crate::gpu::ResidentMatrix>,
    row_log_likelihood: wgpu::Buffer,
}

impl GpuExpectation {
    /// Makes `points` resident; an error when they need more than one binding or are
    /// wider than the pass holds (the caller then stays on the CPU).
    pub fn new(gpu: &GpuContext, points: &Arc<Matrix>, k: usize) -> Result<Self, GpuError> {
        if points.n_cols > MAX_GPU_DIMS || k > MAX_GPU_COMPONENTS {
            return Err(GpuError::TooLarge(format!(
                "the GPU E-step holds up to {MAX_GPU_DIMS} columns and {MAX_GPU_COMPONENTS} components; this mixture has {} and {k}",
                points.n_cols
            )));
        }
        gpu.pipeline(&ESTEP)?;
        let resident = gpu.resident(points)?;
        resident.single_chunk()?;
        let row_log_likelihood = gpu
            .allocating(|| Ok(gpu.storage("gmm::row_log_likelihood", points.n_rows as u64 * 4)))?;
        Ok(Self {
            gpu: gpu.clone(),
            points: resident,
            row_log_likelihood,
        })
    }

    pub fn adapter_name(&self) -> String {
        self.gpu.adapter_name()
    }

    /// One E-step of `mixture`.
    pub fn expectation(&self, mixture: &Mixture) -> Result<Expectation, GpuError> {
        let source = &self.points.source;
        let (n, d, k) = (source.n_rows, source.n_cols, mixture.n_components());
        let to_f32 = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
        let log_2pi = d as f64 * (2.0 * std::f64::consts::PI).ln();
        let constants: Vec<f32> = (0..k)
            .map(|c| (mixture.weights[c].ln() - 0.5 * log_2pi + mixture.log_det_factor[c]) as f32)
            .collect();
        let gpu = &self.gpu;
        let means = gpu.storage_init("gmm::means", &to_f32(&mixture.means));
        let factors = gpu.storage_init("gmm::factors", &to_f32(&mixture.precision_factors));
        let constants = gpu.storage_init("gmm::constants", &constants);
        let slice_rows = (SLICE_BYTES / (k.max(1) * 4)).max(WORKGROUP as usize);
        let resp_slice = gpu.allocating(|| {
            Ok(gpu.storage("gmm::resp", (slice_rows.min(n.max(1)) * k * 4) as u64))
        })?;
        let points = self.points.single_chunk()?;
        let triangular = u32::from(mixture.triangular_factors());
        let mut resp = Vec::with_capacity(n * k);
        let mut first = 0;
        while first < n {
            let count = slice_rows.min(n - first);
            gpu.run_in_parts(
                &ESTEP,
                count,
                count,
                WORKGROUP,
                |part_first, part, groups_x| {
                    gpu.uniform(
                        "gmm::estep",
                        &EStepUniforms {
                            n_rows: n as u32,
                            dims: d as u32,
                            k: k as u32,
                            triangular,
                            first_row: (first + part_first) as u32,
                            count: part as u32,
                            groups_x,
                            _pad: 0,
                        },
                    )
                },
                &[
                    points,
                    &means,
                    &factors,
                    &constants,
                    &resp_slice,
                    &self.row_log_likelihood,
                ],
            )?;
            let values: Vec<f32> = read_buffer(
                &gpu.device,
                &gpu.queue,
                &resp_slice,
                0,
                (count * k * 4) as u64,
            )?;
            resp.extend(values.iter().map(|&v| v as f64));
            first += count;
        }
        let rows: Vec<f32> = read_buffer(
            &gpu.device,
            &gpu.queue,
            &self.row_log_likelihood,
            0,
            (n * 4) as u64,
        )?;
        let total: f64 = rows.iter().map(|&v| v as f64).sum();
        Ok(Expectation {
            resp,
            mean_log_likelihood: total / n.max(1) as f64,
        })
    }
}
