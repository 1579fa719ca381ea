//! Mean-shift steps on the GPU (`shaders/meanshift/shift.wgsl`), twin of the k-d tree's
//! `sum_within`: the rows stay resident; each round uploads the still-moving seeds (f32),
//! and their offset sums and counts come back to the host, which moves them in f64 and
//! retires those that have settled.

use std::sync::Arc;

use crate::gpu::{GpuContext, GpuError, ShaderEntry, read_buffer};
use crate::matrix::Matrix;

pub const SHIFT: ShaderEntry = ShaderEntry {
    label: "meanshift::shift",
    sources: &[include_str!("../../../shaders/meanshift/shift.wgsl")],
    entry_point: "shift",
};

pub const PASSES: &[&ShaderEntry] = &[&SHIFT];

/// The widest rows the pass holds. Keep in sync with `MAX_DIMS` in `shift.wgsl`.
pub const MAX_GPU_DIMS: usize = 16;
/// Threads per workgroup. Keep in sync with `WORKGROUP` in `shift.wgsl`.
const WORKGROUP: u32 = 64;
/// Seed × row visits per submission, so no submission runs for seconds.
const VISITS_PER_SUBMISSION: usize = 1 << 30;

/// Keep in sync with `Params` in `shift.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct ShiftUniforms {
    n_rows: u32,
    dims: u32,
    count: u32,
    groups_x: u32,
    radius_sq: f32,
    _pad: [u32; 3],
}

const _: () = assert!(std::mem::size_of::<ShiftUniforms>() == 32);

/// Resident rows ready for mean-shift steps.
pub struct GpuShift {
    gpu: GpuContext,
    points: Arc<crate::gpu::ResidentMatrix>,
}

impl GpuShift {
    pub fn new(gpu: &GpuContext, points: &Arc<Matrix>) -> Result<Self, GpuError> {
        if points.n_cols > MAX_GPU_DIMS {
            return Err(GpuError::TooLarge(format!(
                "the GPU mean-shift pass holds up to {MAX_GPU_DIMS} columns; these rows have {}",
                points.n_cols
            )));
        }
        gpu.pipeline(&SHIFT)?;
        let resident = gpu.resident(points)?;
        resident.single_chunk()?;
        Ok(Self {
            gpu: gpu.clone(),
            points: resident,
        })
    }

    pub fn adapter_name(&self) -> String {
        self.gpu.adapter_name()
    }

    /// For each seed (rows of `seeds`, d values each): the f64 coordinate sums of the rows
    /// within `radius` of it (inclusive), and their count.
    pub fn step(&self, seeds: &[f64], radius: f64) -> Result<Vec<(Vec<f64>, usize)>, GpuError> {
        let source = &self.points.source;
        let (n, d) = (source.n_rows, source.n_cols);
        let count = seeds.len() / d.max(1);
        let gpu = &self.gpu;
        let seeds32: Vec<f32> = seeds.iter().map(|&v| v as f32).collect();
        let seeds_buffer = gpu.storage_init("meanshift::seeds", &seeds32);
        let sums =
            gpu.allocating(|| Ok(gpu.storage("meanshift::sums", (count * (d + 1) * 4) as u64)))?;
        let points = self.points.single_chunk()?;
        // Seeds per submission; every invocation scans all rows.
        let per_submission = (VISITS_PER_SUBMISSION / n.max(1)).max(WORKGROUP as usize);
        let radius_sq = (radius * radius) as f32;
        let mut results = Vec::with_capacity(count);
        let mut first = 0;
        while first < count {
            let part = per_submission.min(count - first);
            let slice = &seeds32[first * d..(first + part) * d];
            gpu.queue
                .write_buffer(&seeds_buffer, 0, bytemuck::cast_slice(slice));
            gpu.run_in_parts(
                &SHIFT,
                part,
                part,
                WORKGROUP,
                |_, _, groups_x| {
                    gpu.uniform(
                        "meanshift::shift",
                        &ShiftUniforms {
                            n_rows: n as u32,
                            dims: d as u32,
                            count: part as u32,
                            groups_x,
                            radius_sq,
                            _pad: [0; 3],
                        },
                    )
                },
                &[points, &seeds_buffer, &sums],
            )?;
            let values: Vec<f32> = read_buffer(
                &gpu.device,
                &gpu.queue,
                &sums,
                0,
                (part * (d + 1) * 4) as u64,
            )?;
            for (i, seed_sums) in values.chunks_exact(d + 1).enumerate() {
                // Offsets were summed from the f32 seed the device saw.
                let seed = &seeds32[(first + i) * d..(first + i + 1) * d];
                let within = seed_sums[d] as usize;
                let totals = seed_sums[..d]
                    .iter()
                    .zip(seed)
                    .map(|(&s, &c)| s as f64 + within as f64 * c as f64)
                    .collect();
                results.push((totals, within));
            }
            first += part;
        }
        Ok(results)
    }
}
