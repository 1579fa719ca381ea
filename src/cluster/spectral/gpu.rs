//! The eigensolver's sparse products on the GPU (`shaders/spectral/recurrence.wgsl`), twin
//! of [`super::eigen::CpuGraph`]: the normalised graph stays resident in f32, a whole
//! Chebyshev filter runs as one chain of dispatches over three rotating block buffers,
//! and only the filtered block comes back (the host orthonormalises it in f64).

use super::affinity::NormalisedGraph;
use super::eigen::{GraphOperator, Step};
use crate::cluster::ClusterError;
use crate::gpu::{GpuContext, GpuError, ShaderEntry, read_buffer, wgpu, whole};

pub const RECURRENCE: ShaderEntry = ShaderEntry {
    label: "spectral::recurrence",
    sources: &[include_str!("../../../shaders/spectral/recurrence.wgsl")],
    entry_point: "step",
};

/// Every spectral pass, as the registry lists them.
pub const PASSES: &[&ShaderEntry] = &[&RECURRENCE];

/// Threads per workgroup. Keep in sync with `WORKGROUP` in `recurrence.wgsl`.
const WORKGROUP: u32 = 256;
/// Edge × vector visits per submission, so no submission runs for seconds.
const VISITS_PER_SUBMISSION: usize = 1 << 28;

/// Keep in sync with `Params` in `recurrence.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct StepUniforms {
    n_rows: u32,
    block: u32,
    groups_x: u32,
    _pad0: u32,
    p: f32,
    q: f32,
    r: f32,
    _pad1: f32,
}

const _: () = assert!(std::mem::size_of::<StepUniforms>() == 32);

/// A normalised graph resident on the device, with room for blocks of `block` vectors.
pub struct GpuGraph {
    gpu: GpuContext,
    n_rows: usize,
    n_edges: usize,
    block: usize,
    row_starts: wgpu::Buffer,
    columns: wgpu::Buffer,
    weights: wgpu::Buffer,
    blocks: [wgpu::Buffer; 3],
}

impl GpuGraph {
    /// Uploads `graph`; an error when a buffer would pass the device's binding limit (the
    /// caller then stays on the CPU).
    pub fn new(gpu: &GpuContext, graph: &NormalisedGraph, block: usize) -> Result<Self, GpuError> {
        let n = graph.n_rows();
        let largest = (graph.n_edges().max(n + 1) as u64 * 4).max((n * block) as u64 * 4);
        if largest > gpu.max_binding_bytes() || (n * block) as u64 >= u32::MAX as u64 {
            return Err(GpuError::TooLarge(format!(
                "the spectral graph needs {largest} bytes in one binding; the device allows {}",
                gpu.max_binding_bytes()
            )));
        }
        gpu.pipeline(&RECURRENCE)?;
        let weights: Vec<f32> = graph.weights.iter().map(|&w| w as f32).collect();
        let bytes = (n * block * 4) as u64;
        gpu.allocating(|| {
            Ok(Self {
                gpu: gpu.clone(),
                n_rows: n,
                n_edges: graph.n_edges(),
                block,
                row_starts: gpu.storage_init("spectral::row_starts", &graph.row_starts),
                columns: gpu.storage_init("spectral::columns", &graph.columns),
                weights: gpu.storage_init("spectral::weights", &weights),
                blocks: [
                    gpu.storage("spectral::block0", bytes),
                    gpu.storage("spectral::block1", bytes),
                    gpu.storage("spectral::block2", bytes),
                ],
            })
        })
    }

    pub fn adapter_name(&self) -> String {
        self.gpu.adapter_name()
    }

    fn run(&self, x: &[f64], b: usize, steps: &[Step]) -> Result<Vec<f64>, GpuError> {
        if b != self.block || x.len() != self.n_rows * b {
            return Err(GpuError::TooLarge(format!(
                "the device holds blocks of {} vectors, not {b}",
                self.block
            )));
        }
        let gpu = &self.gpu;
        let start: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        gpu.queue
            .write_buffer(&self.blocks[0], 0, bytemuck::cast_slice(&start));
        let pipeline = gpu.pipeline(&RECURRENCE)?;
        let entries = self.n_rows * b;
        let (groups_x, groups_y) = crate::gpu::dispatch_size((entries as u32).div_ceil(WORKGROUP));
        let per_submission = (VISITS_PER_SUBMISSION / (self.n_edges.max(1) * b)).max(1);
        let (mut previous, mut current) = (0usize, 0usize);
        let mut encoder = gpu.encoder(RECURRENCE.label);
        for (i, step) in steps.iter().enumerate() {
            let next = if i == 0 { 1 } else { 3 - previous - current };
            let uniform = gpu.uniform(
                RECURRENCE.label,
                &StepUniforms {
                    n_rows: self.n_rows as u32,
                    block: b as u32,
                    groups_x,
                    _pad0: 0,
                    p: step.p as f32,
                    q: step.q as f32,
                    r: if i == 0 { 0.0 } else { step.r as f32 },
                    _pad1: 0.0,
                },
            );
            let group = gpu.bind_group(
                RECURRENCE.label,
                &pipeline,
                &[
                    (0, whole(&uniform)),
                    (1, whole(&self.row_starts)),
                    (2, whole(&self.columns)),
                    (3, whole(&self.weights)),
                    (4, whole(&self.blocks[current])),
                    (5, whole(&self.blocks[previous])),
                    (6, whole(&self.blocks[next])),
                ],
            );
            GpuContext::dispatch(
                &mut encoder,
                RECURRENCE.label,
                &pipeline,
                &group,
                (groups_x, groups_y),
            );
            (previous, current) = (current, next);
            if (i + 1) % per_submission == 0 && i + 1 < steps.len() {
                gpu.submit_and_wait(encoder)?;
                encoder = gpu.encoder(RECURRENCE.label);
            }
        }
        gpu.submit_and_wait(encoder)?;
        let values: Vec<f32> = read_buffer(
            &gpu.device,
            &gpu.queue,
            &self.blocks[current],
            0,
            (entries * 4) as u64,
        )?;
        Ok(values.into_iter().map(f64::from).collect())
    }
}

impl GraphOperator for GpuGraph {
    fn n_rows(&self) -> usize {
        self.n_rows
    }

    fn recurrence(&self, x: &[f64], b: usize, steps: &[Step]) -> Result<Vec<f64>, ClusterError> {
        Ok(self.run(x, b, steps)?)
    }
}
