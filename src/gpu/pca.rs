//! PCA passes (`shaders/pca.wgsl`) over the points k-means already made resident: column
//! sums and centred covariance by tiled reduction, then the projection onto two components
//! into a positions buffer that the point renderer draws from.

use wgpu::util::DeviceExt;

use super::kmeans::UploadedPoints;
use super::{
    BufferChunk, GpuContext, GpuError, RowChunks, compute_pipeline, dispatch_size, read_buffer,
    wgpu,
};

const SHADER: &str = include_str!("../../shaders/pca.wgsl");
const WORKGROUP: u32 = 64;
/// Partial sums kept per pass: tiles × entries stays under this many floats (16 MiB).
const MAX_PARTIAL_FLOATS: usize = 4 << 20;
/// Fewest rows per tile; fewer would only add partials.
const MIN_TILE_ROWS: usize = 256;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n_rows: u32,
    dims: u32,
    rows_per_group: u32,
    groups_x: u32,
}

/// The compiled PCA kernels of one device.
pub struct GpuPca {
    context: GpuContext,
    column_sums: wgpu::ComputePipeline,
    covariance: wgpu::ComputePipeline,
    project: wgpu::ComputePipeline,
}

impl GpuPca {
    pub fn new(context: GpuContext) -> Result<Self, GpuError> {
        let device = &context.device;
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let build = |entry| compute_pipeline(device, &format!("pca::{entry}"), "", SHADER, entry);
        let column_sums = build("column_sums");
        let covariance = build("covariance");
        let project = build("project");
        if let Some(error) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Shader(error.to_string()));
        }
        Ok(Self {
            context,
            column_sums,
            covariance,
            project,
        })
    }

    /// Column means and the covariance matrix (d × d, row-major, divided by n) in f64.
    pub fn mean_and_covariance(
        &self,
        points: &UploadedPoints,
    ) -> Result<(Vec<f64>, Vec<f64>), GpuError> {
        let d = points.source.n_cols;
        let n = points.source.n_rows;
        if n == 0 || d == 0 {
            return Ok((vec![0.0; d], vec![0.0; d * d]));
        }
        let sums = self.reduce(points, &self.column_sums, d, &[], false)?;
        let mean: Vec<f64> = sums.iter().map(|s| s / n as f64).collect();
        let mean_f32: Vec<f32> = mean.iter().map(|&m| m as f32).collect();
        let mut covariance = self.reduce(points, &self.covariance, d * d, &mean_f32, true)?;
        // The kernel fills the upper triangle; the f32 mean differs from the f64 one by a
        // rounding, which shifts every product by (m32 - m64)² only: negligible here.
        for i in 0..d {
            for j in 0..i {
                covariance[i * d + j] = covariance[j * d + i];
            }
        }
        for value in &mut covariance {
            *value /= n as f64;
        }
        Ok((mean, covariance))
    }

    /// Runs a tiled reduction with `entries` outputs per tile over every chunk and adds the
    /// partials in f64.
    fn reduce(
        &self,
        points: &UploadedPoints,
        pipeline: &wgpu::ComputePipeline,
        entries: usize,
        vectors: &[f32],
        uses_vectors: bool,
    ) -> Result<Vec<f64>, GpuError> {
        let device = &self.context.device;
        let d = points.source.n_cols;
        let mut total = vec![0.0f64; entries];
        let vectors = storage_init(device, "pca::vectors", vectors);
        for chunk in &points.chunks {
            if chunk.n_rows == 0 {
                continue;
            }
            let groups = (MAX_PARTIAL_FLOATS / entries)
                .min(chunk.n_rows.div_ceil(MIN_TILE_ROWS))
                .clamp(1, 1 << 20);
            let rows_per_group = chunk.n_rows.div_ceil(groups);
            let groups = chunk.n_rows.div_ceil(rows_per_group);
            let (x, y) = dispatch_size(groups as u32);
            let params = Params {
                n_rows: chunk.n_rows as u32,
                dims: d as u32,
                rows_per_group: rows_per_group as u32,
                groups_x: x,
            };
            let partial_bytes = (groups * entries * 4) as u64;
            let partials = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("pca::partials"),
                size: partial_bytes,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            });
            let uniform = uniform_init(device, &params);
            let layout = pipeline.get_bind_group_layout(0);
            let mut bindings = vec![
                whole(0, &uniform),
                whole(1, &chunk.points),
                whole(3, &partials),
            ];
            if uses_vectors {
                bindings.push(whole(2, &vectors));
            }
            let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("pca::reduce"),
                layout: &layout,
                entries: &bindings,
            });
            let mut encoder = device.create_command_encoder(&Default::default());
            {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, &group, &[]);
                pass.dispatch_workgroups(x, y, 1);
            }
            self.context.queue.submit([encoder.finish()]);
            let values: Vec<f32> =
                read_buffer(device, &self.context.queue, &partials, 0, partial_bytes)?;
            for tile in values.chunks_exact(entries) {
                for (sum, value) in total.iter_mut().zip(tile) {
                    *sum += *value as f64;
                }
            }
        }
        Ok(total)
    }

    /// Every row projected onto components `a` and `b` (after centring on `mean`), in
    /// positions buffers aligned with the point chunks. Nothing is read back.
    pub fn project(
        &self,
        points: &UploadedPoints,
        mean: &[f64],
        a: &[f64],
        b: &[f64],
    ) -> Result<RowChunks, GpuError> {
        let device = &self.context.device;
        let d = points.source.n_cols;
        let vectors: Vec<f32> = mean.iter().chain(a).chain(b).map(|&v| v as f32).collect();
        let vectors = storage_init(device, "pca::components", &vectors);
        let layout = self.project.get_bind_group_layout(0);
        let mut chunks = Vec::new();
        let mut first_row = 0;
        let mut encoder = device.create_command_encoder(&Default::default());
        for chunk in &points.chunks {
            let positions = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("pca::positions"),
                size: (chunk.n_rows.max(1) * 8) as u64,
                usage: wgpu::BufferUsages::STORAGE,
                mapped_at_creation: false,
            });
            if chunk.n_rows > 0 {
                let (x, y) = dispatch_size((chunk.n_rows as u32).div_ceil(WORKGROUP));
                let uniform = uniform_init(
                    device,
                    &Params {
                        n_rows: chunk.n_rows as u32,
                        dims: d as u32,
                        rows_per_group: 0,
                        groups_x: x,
                    },
                );
                let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("pca::project"),
                    layout: &layout,
                    entries: &[
                        whole(0, &uniform),
                        whole(1, &chunk.points),
                        whole(2, &vectors),
                        whole(4, &positions),
                    ],
                });
                let mut pass = encoder.begin_compute_pass(&Default::default());
                pass.set_pipeline(&self.project);
                pass.set_bind_group(0, &group, &[]);
                pass.dispatch_workgroups(x, y, 1);
            }
            chunks.push(BufferChunk {
                buffer: positions,
                first_row,
                n_rows: chunk.n_rows,
            });
            first_row += chunk.n_rows;
        }
        self.context.queue.submit([encoder.finish()]);
        Ok(RowChunks { chunks })
    }
}

fn storage_init(device: &wgpu::Device, label: &str, values: &[f32]) -> wgpu::Buffer {
    let values: &[f32] = if values.is_empty() { &[0.0] } else { values };
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents: bytemuck::cast_slice(values),
        usage: wgpu::BufferUsages::STORAGE,
    })
}

fn uniform_init(device: &wgpu::Device, params: &Params) -> wgpu::Buffer {
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("pca::params"),
        contents: bytemuck::bytes_of(params),
        usage: wgpu::BufferUsages::UNIFORM,
    })
}

fn whole(binding: u32, buffer: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding,
        resource: buffer.as_entire_binding(),
    }
}
