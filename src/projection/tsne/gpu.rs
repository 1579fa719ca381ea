//! t-SNE's iterations as the WGSL passes of `shaders/tsne/gradient.wgsl`, twins of
//! [`super::cpu`]. The affinities are uploaded once and positions, gains and steps stay
//! on the device; each iteration reads the positions back for the CPU to build the
//! quadtree (a few milliseconds), uploads the tree, and runs `forces`, `sum`, `update`.

use super::affinities::Affinities;
use super::cpu::GradientParams;
use super::quadtree::{LeafPoint, QuadTree, TreeNode};
use crate::gpu::{GpuContext, GpuError, ShaderEntry, dispatch_size, read_buffer, wgpu, whole};

const SOURCE: &str = include_str!("../../../shaders/tsne/gradient.wgsl");

pub const FORCES: ShaderEntry = ShaderEntry {
    label: "tsne::forces",
    sources: &[SOURCE],
    entry_point: "forces",
};
pub const SUM: ShaderEntry = ShaderEntry {
    label: "tsne::sum",
    sources: &[SOURCE],
    entry_point: "sum",
};
pub const UPDATE: ShaderEntry = ShaderEntry {
    label: "tsne::update",
    sources: &[SOURCE],
    entry_point: "update",
};

/// Every t-SNE pass, as the projection lists them.
pub const PASSES: &[&ShaderEntry] = &[&FORCES, &SUM, &UPDATE];

/// Threads per workgroup. Keep in sync with `WORKGROUP` in `gradient.wgsl`.
const WORKGROUP: u32 = 256;

/// Keep in sync with `Params` in `shaders/tsne/gradient.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct GradientUniforms {
    n_rows: u32,
    groups_x: u32,
    theta2: f32,
    exaggeration: f32,
    momentum: f32,
    learning_rate: f32,
    min_gain: f32,
    _pad: f32,
}

const _: () = assert!(std::mem::size_of::<GradientUniforms>() == 32);

/// Buffers sized for the tree; grown (and the bind groups rebuilt) when a tree needs more.
struct TreeBuffers {
    nodes: wgpu::Buffer,
    points: wgpu::Buffer,
    node_capacity: usize,
    groups: [wgpu::BindGroup; 3],
}

/// The affinities and the optimiser's state, resident on one device.
pub struct GpuGradient {
    gpu: GpuContext,
    n_rows: usize,
    uniforms: wgpu::Buffer,
    positions: wgpu::Buffer,
    row_starts: wgpu::Buffer,
    columns: wgpu::Buffer,
    values: wgpu::Buffer,
    forces_out: wgpu::Buffer,
    z_rows: wgpu::Buffer,
    z_total: wgpu::Buffer,
    gains: wgpu::Buffer,
    updates: wgpu::Buffer,
    pipelines: [wgpu::ComputePipeline; 3],
    tree: Option<TreeBuffers>,
}

impl GpuGradient {
    pub fn new(
        gpu: &GpuContext,
        affinities: &Affinities,
        start: &[[f32; 2]],
    ) -> Result<Self, GpuError> {
        gpu.allocating(|| {
            let n = start.len();
            let ones = vec![[1.0f32; 2]; n];
            let zeros = vec![[0.0f32; 2]; n];
            Ok(Self {
                gpu: gpu.clone(),
                n_rows: n,
                uniforms: gpu.uniform("tsne::params", &GradientUniforms::default()),
                positions: gpu.storage_init("tsne::positions", start),
                row_starts: gpu.storage_init("tsne::row_starts", &affinities.row_starts),
                columns: gpu.storage_init("tsne::columns", &affinities.columns),
                values: gpu.storage_init("tsne::affinities", &affinities.values),
                forces_out: gpu.storage("tsne::forces", (n.max(1) * 16) as u64),
                z_rows: gpu.storage("tsne::z_rows", (n.max(1) * 4) as u64),
                z_total: gpu.storage("tsne::z_total", 4),
                gains: gpu.storage_init("tsne::gains", &ones),
                updates: gpu.storage_init("tsne::updates", &zeros),
                pipelines: [
                    gpu.pipeline(&FORCES)?,
                    gpu.pipeline(&SUM)?,
                    gpu.pipeline(&UPDATE)?,
                ],
                tree: None,
            })
        })
    }

    pub fn adapter_name(&self) -> String {
        self.gpu.adapter_name()
    }

    fn tree_buffers(&mut self, tree: &QuadTree) -> Result<&TreeBuffers, GpuError> {
        let needed = tree.nodes.len().max(1);
        if self.tree.as_ref().is_none_or(|t| t.node_capacity < needed) {
            let gpu = &self.gpu;
            let capacity = needed.next_power_of_two();
            let nodes = gpu.allocating(|| {
                Ok(gpu.storage(
                    "tsne::nodes",
                    (capacity * std::mem::size_of::<TreeNode>()) as u64,
                ))
            })?;
            let points = gpu.storage(
                "tsne::leaf_points",
                (self.n_rows.max(1) * std::mem::size_of::<LeafPoint>()) as u64,
            );
            let group = |which: usize| {
                let bindings: Vec<(u32, wgpu::BufferBinding<'_>)> = match which {
                    0 => vec![
                        (0, whole(&self.uniforms)),
                        (1, whole(&nodes)),
                        (2, whole(&points)),
                        (3, whole(&self.positions)),
                        (4, whole(&self.row_starts)),
                        (5, whole(&self.columns)),
                        (6, whole(&self.values)),
                        (7, whole(&self.forces_out)),
                        (8, whole(&self.z_rows)),
                    ],
                    1 => vec![
                        (0, whole(&self.uniforms)),
                        (8, whole(&self.z_rows)),
                        (9, whole(&self.z_total)),
                    ],
                    _ => vec![
                        (0, whole(&self.uniforms)),
                        (3, whole(&self.positions)),
                        (7, whole(&self.forces_out)),
                        (9, whole(&self.z_total)),
                        (10, whole(&self.gains)),
                        (11, whole(&self.updates)),
                    ],
                };
                gpu.bind_group(PASSES[which].label, &self.pipelines[which], &bindings)
            };
            let groups = [group(0), group(1), group(2)];
            self.tree = Some(TreeBuffers {
                nodes,
                points,
                node_capacity: capacity,
                groups,
            });
        }
        let Some(buffers) = self.tree.as_ref() else {
            return Err(GpuError::TooLarge(
                "no t-SNE tree buffers on the GPU".into(),
            ));
        };
        Ok(buffers)
    }

    /// One iteration over `tree` (built from [`Self::positions`]).
    pub fn iterate(&mut self, tree: &QuadTree, params: &GradientParams) -> Result<(), GpuError> {
        let n = self.n_rows;
        let groups = dispatch_size((n as u32).div_ceil(WORKGROUP));
        let uniforms = GradientUniforms {
            n_rows: n as u32,
            groups_x: groups.0,
            theta2: params.theta2,
            exaggeration: params.exaggeration,
            momentum: params.momentum,
            learning_rate: params.learning_rate,
            min_gain: params.min_gain,
            _pad: 0.0,
        };
        self.tree_buffers(tree)?;
        let gpu = self.gpu.clone();
        let Some(buffers) = self.tree.as_ref() else {
            return Err(GpuError::TooLarge(
                "no t-SNE tree buffers on the GPU".into(),
            ));
        };
        gpu.queue
            .write_buffer(&self.uniforms, 0, bytemuck::bytes_of(&uniforms));
        gpu.queue
            .write_buffer(&buffers.nodes, 0, bytemuck::cast_slice(&tree.nodes));
        gpu.queue
            .write_buffer(&buffers.points, 0, bytemuck::cast_slice(&tree.points));
        let mut encoder = gpu.encoder("tsne::iterate");
        GpuContext::dispatch(
            &mut encoder,
            FORCES.label,
            &self.pipelines[0],
            &buffers.groups[0],
            groups,
        );
        GpuContext::dispatch(
            &mut encoder,
            SUM.label,
            &self.pipelines[1],
            &buffers.groups[1],
            (1, 1),
        );
        GpuContext::dispatch(
            &mut encoder,
            UPDATE.label,
            &self.pipelines[2],
            &buffers.groups[2],
            groups,
        );
        gpu.queue.submit([encoder.finish()]);
        Ok(())
    }

    /// Replaces the positions (tests start both backends from the same state).
    pub fn set_positions(&mut self, positions: &[[f32; 2]]) {
        self.gpu
            .queue
            .write_buffer(&self.positions, 0, bytemuck::cast_slice(positions));
    }

    /// The current positions (waits for the submitted iterations).
    pub fn positions(&self) -> Result<Vec<[f32; 2]>, GpuError> {
        read_buffer(
            &self.gpu.device,
            &self.gpu.queue,
            &self.positions,
            0,
            (self.n_rows * 8) as u64,
        )
    }
}
