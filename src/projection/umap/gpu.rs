//! UMAP's epochs as the WGSL pass `shaders/umap/epoch.wgsl`, twin of [`super::cpu`]: the
//! schedule is uploaded once, each epoch is one dispatch reading one position buffer and
//! writing the other, and positions come back only when a frame is asked for.

use super::schedule::{EpochParams, Schedule};
use crate::gpu::{GpuContext, GpuError, ShaderEntry, dispatch_size, read_buffer, wgpu, whole};

pub const EPOCH: ShaderEntry = ShaderEntry {
    label: "umap::epoch",
    sources: &[include_str!("../../../shaders/umap/epoch.wgsl")],
    entry_point: "epoch",
};

/// Every UMAP pass, as the projection lists them.
pub const PASSES: &[&ShaderEntry] = &[&EPOCH];

/// Threads per workgroup. Keep in sync with `WORKGROUP` in `epoch.wgsl`.
const WORKGROUP: u32 = 256;

/// Keep in sync with `Params` in `shaders/umap/epoch.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct EpochUniforms {
    n_rows: u32,
    groups_x: u32,
    epoch: u32,
    seed: u32,
    alpha: f32,
    a: f32,
    b: f32,
    gamma: f32,
    negative_rate: f32,
    _pad: [f32; 3],
}

const _: () = assert!(std::mem::size_of::<EpochUniforms>() == 48);

/// The schedule and both position buffers, resident on one device.
pub struct GpuEpochs {
    gpu: GpuContext,
    n_rows: usize,
    positions: [wgpu::Buffer; 2],
    next_sample: wgpu::Buffer,
    next_negative: wgpu::Buffer,
    uniforms: wgpu::Buffer,
    pipeline: wgpu::ComputePipeline,
    /// Reading positions[0] (writing [1]) and reading positions[1].
    groups: [wgpu::BindGroup; 2],
    /// Which buffer holds the newest positions.
    read: usize,
}

impl GpuEpochs {
    pub fn new(
        gpu: &GpuContext,
        schedule: &Schedule,
        start: &[[f32; 2]],
        negative_rate: f32,
    ) -> Result<Self, GpuError> {
        gpu.allocating(|| {
            let n = schedule.n_rows();
            let bytes = (n.max(1) * 8) as u64;
            let positions = [
                gpu.storage_init("umap::positions_a", start),
                gpu.storage("umap::positions_b", bytes),
            ];
            let (samples, negatives) = schedule.first_samples(negative_rate);
            let next_sample = gpu.storage_init("umap::next_sample", &samples);
            let next_negative = gpu.storage_init("umap::next_negative", &negatives);
            let row_starts = gpu.storage_init("umap::row_starts", &schedule.row_starts);
            let columns = gpu.storage_init("umap::columns", &schedule.columns);
            let epochs_per_sample =
                gpu.storage_init("umap::epochs_per_sample", &schedule.epochs_per_sample);
            let uniforms = gpu.uniform("umap::epoch", &EpochUniforms::default());
            let pipeline = gpu.pipeline(&EPOCH)?;
            let group = |read: usize| {
                gpu.bind_group(
                    EPOCH.label,
                    &pipeline,
                    &[
                        (0, whole(&uniforms)),
                        (1, whole(&row_starts)),
                        (2, whole(&columns)),
                        (3, whole(&epochs_per_sample)),
                        (4, whole(&next_sample)),
                        (5, whole(&next_negative)),
                        (6, whole(&positions[read])),
                        (7, whole(&positions[1 - read])),
                    ],
                )
            };
            let groups = [group(0), group(1)];
            Ok(Self {
                gpu: gpu.clone(),
                n_rows: n,
                positions,
                next_sample,
                next_negative,
                uniforms,
                pipeline,
                groups,
                read: 0,
            })
        })
    }

    pub fn adapter_name(&self) -> String {
        self.gpu.adapter_name()
    }

    /// Runs one epoch (one submission).
    pub fn epoch(&mut self, params: &EpochParams) {
        let groups = dispatch_size((self.n_rows as u32).div_ceil(WORKGROUP));
        let uniforms = EpochUniforms {
            n_rows: params.n_rows,
            groups_x: groups.0,
            epoch: params.epoch,
            seed: params.seed,
            alpha: params.alpha,
            a: params.a,
            b: params.b,
            gamma: params.gamma,
            negative_rate: params.negative_rate,
            _pad: [0.0; 3],
        };
        let gpu = &self.gpu;
        gpu.queue
            .write_buffer(&self.uniforms, 0, bytemuck::bytes_of(&uniforms));
        let mut encoder = gpu.encoder(EPOCH.label);
        GpuContext::dispatch(
            &mut encoder,
            EPOCH.label,
            &self.pipeline,
            &self.groups[self.read],
            groups,
        );
        gpu.queue.submit([encoder.finish()]);
        self.read = 1 - self.read;
    }

    /// Replaces the newest positions (tests start both backends from the same state).
    pub fn set_positions(&mut self, positions: &[[f32; 2]]) {
        self.gpu.queue.write_buffer(
            &self.positions[self.read],
            0,
            bytemuck::cast_slice(positions),
        );
    }

    /// The newest positions (waits for the epochs submitted so far).
    pub fn positions(&self) -> Result<Vec<[f32; 2]>, GpuError> {
        read_buffer(
            &self.gpu.device,
            &self.gpu.queue,
            &self.positions[self.read],
            0,
            (self.n_rows * 8) as u64,
        )
    }

    /// The edges' schedules (tests compare them with the CPU twin's).
    pub fn schedules(&self) -> Result<(Vec<f32>, Vec<f32>), GpuError> {
        let bytes = self.next_sample.size();
        Ok((
            read_buffer(
                &self.gpu.device,
                &self.gpu.queue,
                &self.next_sample,
                0,
                bytes,
            )?,
            read_buffer(
                &self.gpu.device,
                &self.gpu.queue,
                &self.next_negative,
                0,
                bytes,
            )?,
        ))
    }
}
