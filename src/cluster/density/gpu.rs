//! GPU twins of the density searches (`shaders/density/*.wgsl`): k-th neighbour (core
//! distances), one Borůvka round and DBSCAN's border assignment. Each invocation scans all
//! points for one query point, so results equal the CPU's bit for bit whatever the split;
//! the CPU keeps the parts that are O(n) per round (union-find, choosing each component's
//! edge).

use std::sync::Arc;

use super::mst::{self, Candidate, Components, MstEdge};
use crate::cluster::{ClusterError, RunContext};
use crate::gpu::{GpuContext, GpuError, ShaderEntry, read_buffer, wgpu};
use crate::matrix::Matrix;
use crate::spatial::metric::Metric;

const COMMON: &str = include_str!("../../../shaders/density/common.wgsl");

/// Each point's squared distance to its k-th nearest other point.
const KNN: ShaderEntry = ShaderEntry {
    label: "density::knn",
    sources: &[COMMON, include_str!("../../../shaders/density/knn.wgsl")],
    entry_point: "knn",
};

/// Each point's k nearest other points, with their squared distances.
pub const NEIGHBOURS: ShaderEntry = ShaderEntry {
    label: "density::neighbours",
    sources: &[
        COMMON,
        include_str!("../../../shaders/density/neighbours.wgsl"),
    ],
    entry_point: "neighbours",
};

/// Each point's nearest point of another component under mutual reachability.
const BORUVKA: ShaderEntry = ShaderEntry {
    label: "density::boruvka",
    sources: &[
        COMMON,
        include_str!("../../../shaders/density/boruvka.wgsl"),
    ],
    entry_point: "boruvka",
};

/// DBSCAN border points take the smallest core label within eps.
const BORDER: ShaderEntry = ShaderEntry {
    label: "density::border",
    sources: &[COMMON, include_str!("../../../shaders/density/border.wgsl")],
    entry_point: "border",
};

/// Borůvka alone (single linkage).
pub const BORUVKA_PASS: ShaderEntry = BORUVKA;

/// The passes DBSCAN runs (hierarchy, then border points).
pub const DBSCAN_PASSES: &[&ShaderEntry] = &[&KNN, &BORUVKA, &BORDER];
/// The passes the density hierarchy runs (HDBSCAN, single linkage).
pub const HIERARCHY_PASSES: &[&ShaderEntry] = &[&KNN, &BORUVKA];
/// The passes OPTICS runs (core distances; the ordering is sequential, on the CPU).
pub const OPTICS_PASSES: &[&ShaderEntry] = &[&KNN];

/// Largest neighbour count the k-NN pass keeps in registers.
pub const MAX_GPU_NEIGHBOURS: usize = 64;

/// Threads per workgroup. Keep in sync with `WORKGROUP` in `shaders/density/common.wgsl`.
const WORKGROUP: u32 = 64;

/// Point pairs per submission: long scans are split so no single submission runs for
/// seconds (drivers reset devices that hang).
const PAIRS_PER_SUBMISSION: u64 = 1 << 32;

/// Keep in sync with `Params` in `shaders/density/common.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct DensityUniforms {
    n: u32,
    d: u32,
    k: u32,
    groups_x: u32,
    radius_sq: f32,
    first: u32,
    count: u32,
    /// 1: distances are squared Manhattan distances.
    manhattan: u32,
}

const _: () = assert!(std::mem::size_of::<DensityUniforms>() == 32);

/// The density passes over one resident dataset.
pub struct GpuDensity {
    gpu: GpuContext,
    points: Arc<Matrix>,
    buffer: wgpu::Buffer,
    /// Measure by squared Manhattan distance rather than squared Euclidean.
    manhattan: bool,
}

impl GpuDensity {
    /// `points` made resident on `gpu` (one storage binding: every invocation scans all),
    /// measured by `metric`: squared Manhattan distances for Manhattan, squared Euclidean
    /// otherwise (cosine rows come in unit length), as [`crate::spatial::searched_sq`].
    pub fn new(gpu: &GpuContext, points: &Arc<Matrix>, metric: Metric) -> Result<Self, GpuError> {
        let resident = gpu.resident(points)?;
        let buffer = resident.single_chunk()?.clone();
        Ok(Self {
            gpu: gpu.clone(),
            points: Arc::clone(points),
            buffer,
            manhattan: metric == Metric::Manhattan,
        })
    }

    pub fn adapter_name(&self) -> String {
        self.gpu.adapter_name()
    }

    /// Runs `shader` over all points with `extra` bindings (from binding 2 on), in
    /// submissions of bounded work, and waits for it.
    fn run(
        &self,
        shader: &ShaderEntry,
        k: u32,
        radius_sq: f32,
        extra: &[&wgpu::Buffer],
    ) -> Result<(), GpuError> {
        let (n, d) = (self.points.n_rows, self.points.n_cols);
        let per_submission = (PAIRS_PER_SUBMISSION / (n.max(1) as u64 * d.max(1) as u64))
            .min(u32::MAX as u64) as usize;
        let uniform = |first: usize, count: usize, groups_x: u32| {
            self.gpu.uniform(
                "density::params",
                &DensityUniforms {
                    n: n as u32,
                    d: d as u32,
                    k,
                    groups_x,
                    radius_sq,
                    first: first as u32,
                    count: count as u32,
                    manhattan: self.manhattan as u32,
                },
            )
        };
        let mut bindings = vec![&self.buffer];
        bindings.extend_from_slice(extra);
        self.gpu
            .run_in_parts(shader, n, per_submission, WORKGROUP, uniform, &bindings)
    }

    fn read<T: bytemuck::Pod>(
        &self,
        buffer: &wgpu::Buffer,
        count: usize,
    ) -> Result<Vec<T>, GpuError> {
        let bytes = (count * std::mem::size_of::<T>()) as u64;
        read_buffer(&self.gpu.device, &self.gpu.queue, buffer, 0, bytes)
    }

    /// Squared distance of each point to its `k`-th nearest other point (0 for k = 0).
    pub fn core_distances(&self, k: usize) -> Result<Vec<f32>, GpuError> {
        let n = self.points.n_rows;
        if k == 0 || n == 0 {
            return Ok(vec![0.0; n]);
        }
        if k > MAX_GPU_NEIGHBOURS {
            return Err(GpuError::TooLarge(format!(
                "the GPU k-NN pass keeps at most {MAX_GPU_NEIGHBOURS} neighbours, {k} were asked \
                 for; use the CPU backend"
            )));
        }
        let out = self.gpu.storage("density::core", n as u64 * 4);
        self.run(&KNN, k as u32, 0.0, &[&out])?;
        self.read(&out, n)
    }

    /// The `k` nearest other points of every point, n × k (squared distance, index), nearest
    /// first and equal distances by index, as [`crate::spatial::KdTree::k_nearest`].
    pub fn nearest(&self, k: usize) -> Result<(Vec<f32>, Vec<u32>), GpuError> {
        let n = self.points.n_rows;
        if k == 0 || n == 0 {
            return Ok((Vec::new(), Vec::new()));
        }
        if k > MAX_GPU_NEIGHBOURS {
            return Err(GpuError::TooLarge(format!(
                "the GPU k-NN pass keeps at most {MAX_GPU_NEIGHBOURS} neighbours, {k} were asked \
                 for; use the CPU backend"
            )));
        }
        let (distances, indices) = self.gpu.allocating(|| {
            let bytes = (n * k * 4) as u64;
            Ok((
                self.gpu.storage("density::neighbour_distances", bytes),
                self.gpu.storage("density::neighbour_indices", bytes),
            ))
        })?;
        self.run(&NEIGHBOURS, k as u32, 0.0, &[&distances, &indices])?;
        Ok((self.read(&distances, n * k)?, self.read(&indices, n * k)?))
    }

    /// The mutual reachability spanning tree: the GPU finds every point's best edge each
    /// round, the CPU joins components.
    pub fn spanning_tree(
        &self,
        core_sq: &[f32],
        context: &RunContext,
    ) -> Result<Vec<MstEdge>, ClusterError> {
        let n = self.points.n_rows;
        let core = self.gpu.storage_init("density::core_in", core_sq);
        let mut components = Components::new(n);
        let mut edges = Vec::with_capacity(n.saturating_sub(1));
        let out = self.gpu.storage("density::best", n.max(1) as u64 * 8);
        let rounds = mst::expected_rounds(n);
        let mut round = 0;
        while components.count > 1 {
            context.check_cancelled()?;
            mst::report_round(context, round, rounds);
            round += 1;
            let component = components.labels();
            let component_buffer = self.gpu.storage_init("density::component", &component);
            self.run(&BORUVKA, 0, 0.0, &[&core, &component_buffer, &out])?;
            let raw: Vec<[u32; 2]> = self.read(&out, n)?;
            let candidates: Vec<Candidate> = raw
                .iter()
                .map(|&[bits, other]| (f32::from_bits(bits), other))
                .collect();
            mst::join_components(&mut components, &component, &candidates, &mut edges)?;
        }
        Ok(edges)
    }

    /// DBSCAN border assignment: unlabelled points take the smallest label within radius.
    pub fn border_labels(&self, labels: &[u32], radius_sq: f32) -> Result<Vec<u32>, GpuError> {
        let n = self.points.n_rows;
        if n == 0 {
            return Ok(Vec::new());
        }
        let input = self.gpu.storage_init("density::labels", labels);
        let out = self.gpu.storage("density::labels_out", n as u64 * 4);
        self.run(&BORDER, 0, radius_sq, &[&input, &out])?;
        self.read(&out, n)
    }
}
