//! The layout's steps as WGSL passes (`shaders/layout/forces.wgsl`), twin of [`super::cpu`]:
//! the graph is uploaded once; each step clears the finest cells, bins the nodes, builds
//! the pyramid and moves every node into the other position buffer (the two swap). A
//! batch of steps is one submission per step with one read-back at its end.

use super::{FINEST, LayoutGraph, StepParams, level_offset};
use crate::gpu::{GpuContext, GpuError, ShaderEntry, read_buffer, wgpu, whole};

const SOURCE: &str = include_str!("../../../shaders/layout/forces.wgsl");

pub const BIN: ShaderEntry = ShaderEntry {
    label: "layout::bin",
    sources: &[SOURCE],
    entry_point: "bin",
};
pub const PYRAMID: ShaderEntry = ShaderEntry {
    label: "layout::build_pyramid",
    sources: &[SOURCE],
    entry_point: "build_pyramid",
};
pub const FORCES: ShaderEntry = ShaderEntry {
    label: "layout::forces",
    sources: &[SOURCE],
    entry_point: "forces",
};
pub const PASSES: &[&ShaderEntry] = &[&BIN, &PYRAMID, &FORCES];

/// Threads per workgroup. Keep in sync with `WORKGROUP` in `forces.wgsl`.
const WORKGROUP: u32 = 256;

/// Keep in sync with `Params` in `forces.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct StepUniforms {
    n_nodes: u32,
    groups_x: u32,
    n_cells: u32,
    _pad0: u32,
    lo: [f32; 2],
    side: f32,
    temperature: f32,
    k: f32,
    gravity: f32,
    _pad1: [f32; 2],
}

const _: () = assert!(std::mem::size_of::<StepUniforms>() == 48);

/// The graph and the step buffers, resident on one device.
pub struct GpuLayout {
    gpu: GpuContext,
    n_nodes: usize,
    /// The two position buffers; steps read one and write the other.
    positions: [wgpu::Buffer; 2],
    fine_counts: wgpu::Buffer,
    fine_sums: wgpu::Buffer,
    uniforms: wgpu::Buffer,
    pyramid_uniforms: wgpu::Buffer,
    pipelines: [wgpu::ComputePipeline; 3],
    /// Per pipeline, bind groups reading positions[0] and positions[1].
    groups: [[wgpu::BindGroup; 2]; 3],
}

impl GpuLayout {
    pub fn new(gpu: &GpuContext, graph: &LayoutGraph) -> Result<Self, GpuError> {
        let n = graph.n_nodes();
        let bytes = (n.max(1) * 8) as u64;
        let positions = [
            gpu.allocating(|| Ok(gpu.storage("layout::positions_a", bytes)))?,
            gpu.allocating(|| Ok(gpu.storage("layout::positions_b", bytes)))?,
        ];
        let n_fine = 1usize << (2 * FINEST);
        let fine_counts = gpu.storage("layout::fine_counts", (n_fine * 4) as u64);
        let fine_sums = gpu.storage("layout::fine_sums", (n_fine * 16) as u64);
        let n_cells = level_offset(FINEST + 1) as usize;
        let pyramid = gpu.storage("layout::pyramid", (n_cells * 16) as u64);
        let offsets = gpu.storage_init("layout::offsets", &graph.offsets);
        let neighbours = gpu.storage_init("layout::neighbours", &graph.neighbours);
        let weights = gpu.storage_init("layout::weights", &graph.weights);
        let uniforms = gpu.uniform("layout::step", &StepUniforms::default());
        // The pyramid pass covers cells, not nodes: its groups_x is its own dispatch's.
        let pyramid_uniforms = gpu.uniform("layout::pyramid_step", &StepUniforms::default());
        let pipelines = [
            gpu.pipeline(&BIN)?,
            gpu.pipeline(&PYRAMID)?,
            gpu.pipeline(&FORCES)?,
        ];
        let group = |which: usize, read: usize| {
            let write = &positions[1 - read];
            let bindings: Vec<(u32, wgpu::BufferBinding<'_>)> = match which {
                0 => vec![
                    (0, whole(&uniforms)),
                    (1, whole(&positions[read])),
                    (2, whole(&fine_counts)),
                    (3, whole(&fine_sums)),
                ],
                1 => vec![
                    (0, whole(&pyramid_uniforms)),
                    (2, whole(&fine_counts)),
                    (3, whole(&fine_sums)),
                    (4, whole(&pyramid)),
                ],
                _ => vec![
                    (0, whole(&uniforms)),
                    (1, whole(&positions[read])),
                    (4, whole(&pyramid)),
                    (5, whole(&offsets)),
                    (6, whole(&neighbours)),
                    (7, whole(&weights)),
                    (8, whole(write)),
                ],
            };
            gpu.bind_group(PASSES[which].label, &pipelines[which], &bindings)
        };
        let groups = [
            [group(0, 0), group(0, 1)],
            [group(1, 0), group(1, 1)],
            [group(2, 0), group(2, 1)],
        ];
        Ok(Self {
            gpu: gpu.clone(),
            n_nodes: n,
            positions,
            fine_counts,
            fine_sums,
            uniforms,
            pyramid_uniforms,
            pipelines,
            groups,
        })
    }

    pub fn adapter_name(&self) -> String {
        self.gpu.adapter_name()
    }

    /// Steps at each of `temperatures` from `start` on the grid of `params`; the positions
    /// after the last.
    pub fn run(
        &mut self,
        params: &StepParams,
        temperatures: &[f32],
        start: &[[f32; 2]],
    ) -> Result<Vec<[f32; 2]>, GpuError> {
        let gpu = &self.gpu;
        gpu.queue
            .write_buffer(&self.positions[0], 0, bytemuck::cast_slice(start));
        let node_groups = crate::gpu::dispatch_size((self.n_nodes as u32).div_ceil(WORKGROUP));
        let n_cells = level_offset(FINEST + 1);
        let cell_groups = crate::gpu::dispatch_size(n_cells.div_ceil(WORKGROUP));
        let mut read = 0;
        for &temperature in temperatures {
            let uniforms = StepUniforms {
                n_nodes: self.n_nodes as u32,
                groups_x: node_groups.0,
                n_cells,
                lo: params.lo,
                side: params.side,
                temperature,
                k: params.k,
                gravity: params.gravity,
                ..Default::default()
            };
            gpu.queue
                .write_buffer(&self.uniforms, 0, bytemuck::bytes_of(&uniforms));
            let cells = StepUniforms {
                groups_x: cell_groups.0,
                ..uniforms
            };
            gpu.queue
                .write_buffer(&self.pyramid_uniforms, 0, bytemuck::bytes_of(&cells));
            let mut encoder = gpu.encoder("layout::step");
            encoder.clear_buffer(&self.fine_counts, 0, None);
            encoder.clear_buffer(&self.fine_sums, 0, None);
            GpuContext::dispatch(
                &mut encoder,
                BIN.label,
                &self.pipelines[0],
                &self.groups[0][read],
                node_groups,
            );
            GpuContext::dispatch(
                &mut encoder,
                PYRAMID.label,
                &self.pipelines[1],
                &self.groups[1][read],
                cell_groups,
            );
            GpuContext::dispatch(
                &mut encoder,
                FORCES.label,
                &self.pipelines[2],
                &self.groups[2][read],
                node_groups,
            );
            gpu.queue.submit([encoder.finish()]);
            read = 1 - read;
        }
        read_buffer(
            &gpu.device,
            &gpu.queue,
            &self.positions[read],
            0,
            (self.n_nodes * 8) as u64,
        )
    }
}
