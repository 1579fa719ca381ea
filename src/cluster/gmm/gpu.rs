//! EM on the GPU: the E-step (`shaders/gmm/estep.wgsl`, twin of [`super::em::expectation`])
//! and the M-step's sums (`shaders/gmm/moments.wgsl`, twin of [`super::blocked::moments`]).
//! The rows stay resident; each iteration uploads the k components (f32), computes the
//! responsibilities a slice of bounded size at a time and sums them into per-block moments
//! on the device, so only those sums come back (summed on the host in f64, in block
//! order), with the row log-likelihoods (summed in f64, in row order). The final E-step
//! reads the responsibilities themselves back for the labels.

use std::sync::Arc;

use super::blocked::Moments;
use super::components::Mixture;
use super::em::Expectation;
use crate::gpu::{GpuContext, GpuError, ShaderEntry, read_buffer, wgpu};
use crate::matrix::Matrix;

pub const ESTEP: ShaderEntry = ShaderEntry {
    label: "gmm::estep",
    sources: &[include_str!("../../../shaders/gmm/estep.wgsl")],
    entry_point: "estep",
};

pub const MOMENTS: ShaderEntry = ShaderEntry {
    label: "gmm::moments",
    sources: &[include_str!("../../../shaders/gmm/moments.wgsl")],
    entry_point: "moments",
};

/// Every GMM pass, as the registry lists them.
pub const PASSES: &[&ShaderEntry] = &[&ESTEP, &MOMENTS];

/// Rows per block of the moments pass, and the most (component, feature) pairs one block
/// holds (64 per thread). Keep in sync with `ROWS_PER_GROUP` and `PAIRS_PER_THREAD` in
/// `moments.wgsl`; mixtures with more pairs sum their moments on the host.
pub const MOMENT_ROWS_PER_GROUP: usize = 512;
pub const MAX_MOMENT_PAIRS: usize = 64 * WORKGROUP as usize;
/// A feature factor that is the constant 1 (`ONE` in `moments.wgsl`).
const ONE: u32 = u32::MAX;

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

/// Keep in sync with `Params` in `moments.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct MomentUniforms {
    dims: u32,
    k: u32,
    features: u32,
    first_row: u32,
    count: u32,
    first_group: u32,
    groups_x: u32,
    _pad: u32,
}

const _: () = assert!(std::mem::size_of::<MomentUniforms>() == 32);

/// The columns each feature multiplies, in [`Moments`]' order: 1, x_j, then x_a x_b
/// (a ≤ b, row by row) or x_j².
fn feature_columns(d: usize, full: bool) -> Vec<[u32; 2]> {
    let mut features = vec![[ONE, ONE]];
    features.extend((0..d as u32).map(|j| [j, ONE]));
    for a in 0..d as u32 {
        if full {
            features.extend((a..d as u32).map(|b| [a, b]));
        } else {
            features.push([a, a]);
        }
    }
    features
}

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

    /// One E-step of `mixture`, with the responsibilities read back.
    pub fn expectation(&self, mixture: &Mixture) -> Result<Expectation, GpuError> {
        let k = mixture.n_components();
        let mut resp = Vec::with_capacity(self.points.source.n_rows * k);
        let mean_log_likelihood = self.sweep(mixture, |_, count, resp_slice| {
            let gpu = &self.gpu;
            let values: Vec<f32> = read_buffer(
                &gpu.device,
                &gpu.queue,
                resp_slice,
                0,
                (count * k * 4) as u64,
            )?;
            resp.extend(values.iter().map(|&v| v as f64));
            Ok(())
        })?;
        Ok(Expectation {
            resp,
            mean_log_likelihood,
        })
    }

    /// One EM iteration's sums: the E-step of `mixture` and the moments of its
    /// responsibilities about `shift` (full: products of column pairs, else squares), with
    /// the mean log-likelihood. Summed on the host when the mixture has more (component,
    /// feature) pairs than a block holds.
    pub fn moments(
        &self,
        mixture: &Mixture,
        shift: &[f64],
        full: bool,
    ) -> Result<(Moments, f64), GpuError> {
        let source = &self.points.source;
        let (d, k) = (source.n_cols, mixture.n_components());
        let features = feature_columns(d, full);
        let q = features.len();
        let pairs = k * q;
        if pairs > MAX_MOMENT_PAIRS {
            let step = self.expectation(mixture)?;
            let moments = super::blocked::moments(source, &step.resp, k, shift, full);
            return Ok((moments, step.mean_log_likelihood));
        }
        let gpu = &self.gpu;
        gpu.pipeline(&MOMENTS)?;
        let shift_f32: Vec<f32> = shift.iter().map(|&v| v as f32).collect();
        let shift_buffer = gpu.storage_init("gmm::shift", &shift_f32);
        let flat: Vec<u32> = features.iter().flatten().copied().collect();
        let features_buffer = gpu.storage_init("gmm::feature_columns", &flat);
        let points = self.points.single_chunk()?;
        let mut totals = vec![0.0f64; pairs];
        let mean_log_likelihood = self.sweep(mixture, |first, count, resp_slice| {
            let blocks = count.div_ceil(MOMENT_ROWS_PER_GROUP);
            let partials =
                gpu.allocating(|| Ok(gpu.storage("gmm::partials", (blocks * pairs * 4) as u64)))?;
            let items = blocks * WORKGROUP as usize;
            gpu.run_in_parts(
                &MOMENTS,
                items,
                items,
                WORKGROUP,
                |part_first, _, groups_x| {
                    gpu.uniform(
                        "gmm::moments",
                        &MomentUniforms {
                            dims: d as u32,
                            k: k as u32,
                            features: q as u32,
                            first_row: first as u32,
                            count: count as u32,
                            first_group: (part_first / WORKGROUP as usize) as u32,
                            groups_x,
                            _pad: 0,
                        },
                    )
                },
                &[
                    points,
                    &shift_buffer,
                    resp_slice,
                    &features_buffer,
                    &partials,
                ],
            )?;
            let values: Vec<f32> = read_buffer(
                &gpu.device,
                &gpu.queue,
                &partials,
                0,
                (blocks * pairs * 4) as u64,
            )?;
            for block in values.chunks_exact(pairs) {
                totals
                    .iter_mut()
                    .zip(block)
                    .for_each(|(t, &v)| *t += v as f64);
            }
            Ok(())
        })?;
        let second_width = q - 1 - d;
        let mut moments = Moments {
            weight: vec![0.0; k],
            first: vec![0.0; k * d],
            second: vec![0.0; k * second_width],
        };
        for c in 0..k {
            let sums = &totals[c * q..(c + 1) * q];
            moments.weight[c] = sums[0];
            moments.first[c * d..(c + 1) * d].copy_from_slice(&sums[1..1 + d]);
            moments.second[c * second_width..(c + 1) * second_width]
                .copy_from_slice(&sums[1 + d..]);
        }
        Ok((moments, mean_log_likelihood))
    }

    /// Runs the E-step of `mixture` over the rows a slice at a time, handing each slice's
    /// responsibilities (first row, rows, buffer) to `each_slice`; returns the mean
    /// log-likelihood per row.
    fn sweep(
        &self,
        mixture: &Mixture,
        mut each_slice: impl FnMut(usize, usize, &wgpu::Buffer) -> Result<(), GpuError>,
    ) -> Result<f64, GpuError> {
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
        // Whole blocks of the moments pass per slice.
        let slice_rows =
            (SLICE_BYTES / (k.max(1) * 4)) / MOMENT_ROWS_PER_GROUP * MOMENT_ROWS_PER_GROUP;
        let slice_rows = slice_rows.max(MOMENT_ROWS_PER_GROUP);
        let resp_slice = gpu.allocating(|| {
            Ok(gpu.storage("gmm::resp", (slice_rows.min(n.max(1)) * k * 4) as u64))
        })?;
        let points = self.points.single_chunk()?;
        let triangular = u32::from(mixture.triangular_factors());
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
            each_slice(first, count, &resp_slice)?;
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
        Ok(total / n.max(1) as f64)
    }
}
