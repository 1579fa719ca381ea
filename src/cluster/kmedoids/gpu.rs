//! The k-medoids passes on the GPU (`shaders/kmedoids/*.wgsl`), twins of `cpu.rs`:
//! nearest/second-nearest assignment, FasterPAM's swap scan, BUILD's gains and CLARANS'
//! neighbour test. Distances are computed on the fly from the device's resident rows, so
//! no n × n matrix is needed; the searches (`search.rs`) drive these passes exactly as they
//! drive the CPU's.

use std::sync::Arc;

use super::distance::Metric;
use super::steps::{MedoidSteps, Nearest, SwapGain, SwapState};
use crate::cluster::ClusterError;
use crate::gpu::{GpuContext, GpuError, ShaderEntry, read_buffer, wgpu};
use crate::matrix::Matrix;

const COMMON: &str = include_str!("../../../shaders/kmedoids/common.wgsl");

const ASSIGN: ShaderEntry = ShaderEntry {
    label: "kmedoids::assign",
    sources: &[
        COMMON,
        include_str!("../../../shaders/kmedoids/assign.wgsl"),
    ],
    entry_point: "assign",
};
const SWAP_GAIN: ShaderEntry = ShaderEntry {
    label: "kmedoids::swap_gain",
    sources: &[
        COMMON,
        include_str!("../../../shaders/kmedoids/swap_gain.wgsl"),
    ],
    entry_point: "swap_gain",
};
const BUILD_GAIN: ShaderEntry = ShaderEntry {
    label: "kmedoids::build_gain",
    sources: &[
        COMMON,
        include_str!("../../../shaders/kmedoids/build_gain.wgsl"),
    ],
    entry_point: "build_gain",
};
const NEIGHBOR_GAIN: ShaderEntry = ShaderEntry {
    label: "kmedoids::neighbor_gain",
    sources: &[
        COMMON,
        include_str!("../../../shaders/kmedoids/neighbor_gain.wgsl"),
    ],
    entry_point: "neighbor_gain",
};

/// k-medoids and PAM: assignment, swap scan, BUILD.
pub const SWAP_PASSES: &[&ShaderEntry] = &[&ASSIGN, &SWAP_GAIN, &BUILD_GAIN];
/// CLARA: BUILD and swaps run on each small sample on the CPU; the assignment of every row
/// runs here.
pub const ASSIGN_PASSES: &[&ShaderEntry] = &[&ASSIGN];
/// CLARANS: assignment and the neighbour test.
pub const NEIGHBOR_PASSES: &[&ShaderEntry] = &[&ASSIGN, &NEIGHBOR_GAIN];

/// Threads per workgroup. Keep in sync with `WORKGROUP` in `shaders/kmedoids/common.wgsl`.
const WORKGROUP: u32 = 64;

/// Point-row visits per submission: long scans are split so no single submission runs for
/// seconds (drivers reset devices that hang).
const VISITS_PER_SUBMISSION: u64 = 1 << 31;

/// Keep in sync with `Params` in `shaders/kmedoids/common.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct KMedoidsUniforms {
    n: u32,
    d: u32,
    k: u32,
    metric: u32,
    first: u32,
    count: u32,
    groups_x: u32,
    first_medoid: u32,
    out_offset: u32,
    _pad: [u32; 3],
}

const _: () = assert!(std::mem::size_of::<KMedoidsUniforms>() == 48);

/// The swap scan's inputs for one assignment.
struct SwapBuffers {
    k: usize,
    removal: wgpu::Buffer,
    group_start: wgpu::Buffer,
    order: wgpu::Buffer,
    near_sorted: wgpu::Buffer,
    second_sorted: wgpu::Buffer,
}

/// The GPU backend over one set of prepared rows.
pub struct GpuSteps {
    gpu: GpuContext,
    points: Arc<Matrix>,
    buffer: wgpu::Buffer,
    metric: Metric,
    swap: Option<SwapBuffers>,
    nearest: Option<wgpu::Buffer>,
}

impl GpuSteps {
    /// `points` (prepared for `metric`) made resident on `gpu`, in one storage binding:
    /// every invocation visits every row.
    pub fn new(gpu: &GpuContext, points: &Arc<Matrix>, metric: Metric) -> Result<Self, GpuError> {
        for shader in [&ASSIGN, &SWAP_GAIN, &BUILD_GAIN, &NEIGHBOR_GAIN] {
            gpu.pipeline(shader)?;
        }
        let resident = gpu.resident(points)?;
        let buffer = resident.single_chunk()?.clone();
        Ok(Self {
            gpu: gpu.clone(),
            points: Arc::clone(points),
            buffer,
            metric,
            swap: None,
            nearest: None,
        })
    }

    pub fn adapter_name(&self) -> String {
        self.gpu.adapter_name()
    }

    /// Runs `shader` over items `first..first + count` in submissions of bounded work,
    /// with `extra` bindings from binding 2 on and the output last; results land at
    /// `item - first` in `output`.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        shader: &ShaderEntry,
        first: usize,
        count: usize,
        k: usize,
        first_medoid: bool,
        extra: &[&wgpu::Buffer],
        output: &wgpu::Buffer,
    ) -> Result<(), GpuError> {
        let (n, d) = (self.points.n_rows, self.points.n_cols);
        let per_submission = (VISITS_PER_SUBMISSION / (n.max(1) as u64 * d.max(1) as u64))
            .min(u32::MAX as u64) as usize;
        let uniform = |done: usize, part: usize, groups_x: u32| {
            self.gpu.uniform(
                "kmedoids::params",
                &KMedoidsUniforms {
                    n: n as u32,
                    d: d as u32,
                    k: k as u32,
                    metric: self.metric.shader_code(),
                    first: (first + done) as u32,
                    count: part as u32,
                    groups_x,
                    first_medoid: first_medoid as u32,
                    out_offset: done as u32,
                    _pad: [0; 3],
                },
            )
        };
        let mut bindings = vec![&self.buffer];
        bindings.extend_from_slice(extra);
        bindings.push(output);
        self.gpu
            .run_in_parts(shader, count, per_submission, WORKGROUP, uniform, &bindings)
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

impl MedoidSteps for GpuSteps {
    fn batch(&self) -> usize {
        // Enough candidates to fill a GPU; more only waste work after an early swap.
        4096
    }

    fn n_rows(&self) -> usize {
        self.points.n_rows
    }

    fn assign(&mut self, medoids: &[u32]) -> Result<Vec<Nearest>, ClusterError> {
        let d = self.points.n_cols;
        let mut rows = Vec::with_capacity(medoids.len() * d);
        for &m in medoids {
            rows.extend_from_slice(self.points.row(m as usize));
        }
        let n = self.points.n_rows;
        let medoid_rows = self.gpu.storage_init("kmedoids::medoid_rows", &rows);
        let medoid_index = self.gpu.storage_init("kmedoids::medoid_index", medoids);
        let out = self.gpu.storage("kmedoids::nearest", n as u64 * 16);
        self.run(
            &ASSIGN,
            0,
            n,
            medoids.len(),
            false,
            &[&medoid_rows, &medoid_index],
            &out,
        )?;
        Ok(self.read(&out, n)?)
    }

    fn load_swap_state(&mut self, state: &SwapState) -> Result<(), ClusterError> {
        let gpu = &self.gpu;
        self.swap = Some(SwapBuffers {
            k: state.k,
            removal: gpu.storage_init("kmedoids::removal", &state.removal),
            group_start: gpu.storage_init("kmedoids::group_start", &state.group_start),
            order: gpu.storage_init("kmedoids::order", &state.order),
            near_sorted: gpu.storage_init("kmedoids::near_sorted", &state.near_sorted),
            second_sorted: gpu.storage_init("kmedoids::second_sorted", &state.second_sorted),
        });
        Ok(())
    }

    fn swap_gains(&mut self, first: usize, count: usize) -> Result<Vec<SwapGain>, ClusterError> {
        let Some(swap) = &self.swap else {
            return Err(ClusterError::Internal(
                "swap scan before an assignment".into(),
            ));
        };
        let out = self.gpu.storage("kmedoids::swap_gains", count as u64 * 8);
        self.run(
            &SWAP_GAIN,
            first,
            count,
            swap.k,
            false,
            &[
                &swap.removal,
                &swap.group_start,
                &swap.order,
                &swap.near_sorted,
                &swap.second_sorted,
            ],
            &out,
        )?;
        let raw: Vec<[u32; 2]> = self.read(&out, count)?;
        Ok(raw
            .into_iter()
            .map(|[bits, slot]| SwapGain {
                change: f32::from_bits(bits),
                slot,
            })
            .collect())
    }

    fn build_gains(
        &mut self,
        near: Option<&[f32]>,
        first: usize,
        count: usize,
    ) -> Result<Vec<f32>, ClusterError> {
        let near_buffer = self.gpu.storage_init("kmedoids::near", near.unwrap_or(&[]));
        let out = self.gpu.storage("kmedoids::build_gains", count as u64 * 4);
        self.run(
            &BUILD_GAIN,
            first,
            count,
            0,
            near.is_none(),
            &[&near_buffer],
            &out,
        )?;
        Ok(self.read(&out, count)?)
    }

    fn load_nearest(&mut self, _medoids: &[u32], nearest: &[Nearest]) -> Result<(), ClusterError> {
        self.nearest = Some(self.gpu.storage_init("kmedoids::nearest_in", nearest));
        Ok(())
    }

    fn neighbor_gains(&mut self, pairs: &[[u32; 2]]) -> Result<Vec<f32>, ClusterError> {
        let Some(nearest) = &self.nearest else {
            return Err(ClusterError::Internal(
                "neighbour test before an assignment".into(),
            ));
        };
        let pair_buffer = self.gpu.storage_init("kmedoids::pairs", pairs);
        let out = self
            .gpu
            .storage("kmedoids::neighbor_gains", pairs.len() as u64 * 4);
        self.run(
            &NEIGHBOR_GAIN,
            0,
            pairs.len(),
            0,
            false,
            &[&pair_buffer, nearest],
            &out,
        )?;
        Ok(self.read(&out, pairs.len())?)
    }
}
