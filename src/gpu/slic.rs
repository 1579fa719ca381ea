//! GPU twin of SLIC's two steps (`shaders/slic.wgsl`): per-pixel assignment to the 3 × 3
//! neighbouring centres and per-centre sums. Only the sums (k × (d + 1) numbers) come back
//! each iteration; the centres move on the CPU with the same code as the CPU backend.

use wgpu::util::DeviceExt;

use super::{GpuContext, GpuError, compute_pipeline, dispatch_size, read_buffer, wgpu};
use crate::cluster::ClusterError;
use crate::matrix::Matrix;
use crate::segment::slic::{MAX_FEATURES, SlicGrid, SlicSteps};

const ASSIGN_GROUP: u32 = 256;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    width: u32,
    height: u32,
    nx: u32,
    ny: u32,
    d: u32,
    groups_x: u32,
    n_clusters: u32,
    _pad: u32,
}

/// The SLIC pipelines on one device.
pub struct GpuSlic {
    context: GpuContext,
    assign: wgpu::ComputePipeline,
    sums: wgpu::ComputePipeline,
}

impl GpuSlic {
    pub fn new(context: GpuContext) -> Result<Self, GpuError> {
        let device = &context.device;
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let source = include_str!("../../shaders/slic.wgsl");
        let assign = compute_pipeline(device, "slic::assign", "", source, "assign");
        let sums = compute_pipeline(device, "slic::centre_sums", "", source, "centre_sums");
        if let Some(error) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Shader(error.to_string()));
        }
        Ok(Self {
            context,
            assign,
            sums,
        })
    }

    pub fn adapter_name(&self) -> String {
        self.context.adapter_name()
    }

    /// Uploads `features` (pixels row-major over a `grid.width × grid.height` image).
    pub fn prepare<'a>(
        &'a self,
        features: &Matrix,
        grid: SlicGrid,
    ) -> Result<GpuSlicSteps<'a>, GpuError> {
        let device = &self.context.device;
        let d = features.n_cols;
        if d > MAX_FEATURES {
            return Err(GpuError::TooLarge(format!(
                "SLIC on the GPU takes at most {MAX_FEATURES} features per pixel, got {d}"
            )));
        }
        let bytes = (features.values.len() * 4) as u64;
        let limit = device.limits().max_storage_buffer_binding_size;
        if bytes > limit {
            return Err(GpuError::TooLarge(format!(
                "{} pixels × {d} features take {bytes} bytes, over this GPU's largest storage \
                 binding ({limit} bytes); use the CPU backend",
                features.n_rows
            )));
        }
        let scope = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let storage = |label: &str, size: u64| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: size.max(4),
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        let k = grid.n_clusters();
        let features_buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("slic::features"),
            contents: bytemuck::cast_slice(&features.values),
            usage: wgpu::BufferUsages::STORAGE,
        });
        let centres = storage("slic::centres", (k * d * 4) as u64);
        let labels = storage("slic::labels", (features.n_rows * 4) as u64);
        let sums = storage("slic::sums", (k * d * 4) as u64);
        let counts = storage("slic::counts", (k * 4) as u64);
        if let Some(error) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Allocation(error.to_string()));
        }
        let (assign_x, assign_y) = dispatch_size((features.n_rows as u32).div_ceil(ASSIGN_GROUP));
        let (sums_x, sums_y) = dispatch_size(k as u32);
        let uniform = |groups_x: u32| {
            let params = Params {
                width: grid.width,
                height: grid.height,
                nx: grid.nx,
                ny: grid.ny,
                d: d as u32,
                groups_x,
                n_clusters: k as u32,
                _pad: 0,
            };
            device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("slic::params"),
                contents: bytemuck::bytes_of(&params),
                usage: wgpu::BufferUsages::UNIFORM,
            })
        };
        let assign_params = uniform(assign_x);
        let sums_params = uniform(sums_x);
        // Bind groups follow each entry point's own layout (only the bindings it uses).
        let assign_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("slic::assign_group"),
            layout: &self.assign.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: assign_params.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: features_buffer.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: centres.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: labels.as_entire_binding(),
                },
            ],
        });
        let sums_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("slic::sums_group"),
            layout: &self.sums.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: sums_params.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: features_buffer.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: labels.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 4,
                    resource: sums.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 5,
                    resource: counts.as_entire_binding(),
                },
            ],
        });
        Ok(GpuSlicSteps {
            gpu: self,
            n_pixels: features.n_rows,
            k,
            d,
            centres,
            labels,
            sums,
            counts,
            assign_group,
            sums_group,
            assign_dispatch: (assign_x, assign_y),
            sums_dispatch: (sums_x, sums_y),
        })
    }

    fn dispatch(
        &self,
        label: &str,
        pipeline: &wgpu::ComputePipeline,
        group: &wgpu::BindGroup,
        (x, y): (u32, u32),
    ) -> Result<(), GpuError> {
        let device = &self.context.device;
        let mut encoder =
            device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(label),
                timestamp_writes: None,
            });
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, group, &[]);
            pass.dispatch_workgroups(x, y, 1);
        }
        self.context.queue.submit([encoder.finish()]);
        device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Poll(e.to_string()))?;
        Ok(())
    }

    fn read<T: bytemuck::Pod>(
        &self,
        buffer: &wgpu::Buffer,
        count: usize,
    ) -> Result<Vec<T>, GpuError> {
        let bytes = (count * std::mem::size_of::<T>()) as u64;
        read_buffer(&self.context.device, &self.context.queue, buffer, 0, bytes)
    }
}

/// One image's buffers on the GPU, driven by `segment::slic::run_slic`.
pub struct GpuSlicSteps<'a> {
    gpu: &'a GpuSlic,
    n_pixels: usize,
    k: usize,
    d: usize,
    centres: wgpu::Buffer,
    labels: wgpu::Buffer,
    sums: wgpu::Buffer,
    counts: wgpu::Buffer,
    assign_group: wgpu::BindGroup,
    sums_group: wgpu::BindGroup,
    assign_dispatch: (u32, u32),
    sums_dispatch: (u32, u32),
}

impl SlicSteps for GpuSlicSteps<'_> {
    fn assign(&mut self, centres: &[f32]) -> Result<(), ClusterError> {
        self.gpu
            .context
            .queue
            .write_buffer(&self.centres, 0, bytemuck::cast_slice(centres));
        self.gpu.dispatch(
            "slic::assign",
            &self.gpu.assign,
            &self.assign_group,
            self.assign_dispatch,
        )?;
        Ok(())
    }

    fn sums(&mut self) -> Result<(Vec<f32>, Vec<u32>), ClusterError> {
        self.gpu.dispatch(
            "slic::centre_sums",
            &self.gpu.sums,
            &self.sums_group,
            self.sums_dispatch,
        )?;
        Ok((
            self.gpu.read(&self.sums, self.k * self.d)?,
            self.gpu.read(&self.counts, self.k)?,
        ))
    }

    fn labels(&mut self) -> Result<Vec<u32>, ClusterError> {
        Ok(self.gpu.read(&self.labels, self.n_pixels)?)
    }
}
