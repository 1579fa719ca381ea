//! GPU twins of the density searches: k-th neighbour (core distances), one Borůvka round
//! and DBSCAN's border assignment. Each invocation scans all points for one query point,
//! so results equal the CPU's bit for bit whatever the split; the CPU keeps the parts that
//! are O(n) per round (union-find, choosing each component's edge).

use std::sync::Arc;

use wgpu::util::DeviceExt;

use super::{GpuContext, GpuError, dispatch_size, read_buffer, wgpu};
use crate::cluster::density::mst::{self, Candidate, Components, MstEdge};
use crate::cluster::{ClusterError, RunContext};
use crate::matrix::Matrix;

const COMMON: &str = include_str!("../../shaders/density_common.wgsl");

/// Largest neighbour count the k-NN pass keeps in registers.
pub const MAX_GPU_NEIGHBOURS: usize = 64;

const WORKGROUP: u32 = 64;

/// Point pairs per submission: long scans are split so no single submission runs for
/// seconds (drivers reset devices that hang).
const PAIRS_PER_SUBMISSION: u64 = 1 << 32;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    d: u32,
    k: u32,
    groups_x: u32,
    radius_sq: f32,
    first: u32,
    count: u32,
    _pad: u32,
}

struct UploadedPoints {
    source: Arc<Matrix>,
    buffer: wgpu::Buffer,
}

/// The density pipelines on one device, with the last dataset uploaded.
pub struct GpuDensity {
    context: GpuContext,
    knn: wgpu::ComputePipeline,
    boruvka: wgpu::ComputePipeline,
    border: wgpu::ComputePipeline,
    uploaded: Option<UploadedPoints>,
    /// Datasets uploaded so far (tests check the cache).
    pub uploads: usize,
}

impl GpuDensity {
    pub fn new(context: GpuContext) -> Result<Self, GpuError> {
        let device = &context.device;
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let knn = pipeline(
            device,
            "density::knn",
            include_str!("../../shaders/density_knn.wgsl"),
            "knn",
        );
        let boruvka = pipeline(
            device,
            "density::boruvka",
            include_str!("../../shaders/density_boruvka.wgsl"),
            "boruvka",
        );
        let border = pipeline(
            device,
            "density::border",
            include_str!("../../shaders/density_border.wgsl"),
            "border",
        );
        if let Some(error) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Shader(error.to_string()));
        }
        Ok(Self {
            context,
            knn,
            boruvka,
            border,
            uploaded: None,
            uploads: 0,
        })
    }

    pub fn adapter_name(&self) -> String {
        self.context.adapter_name()
    }

    fn points(&mut self, points: &Arc<Matrix>) -> Result<(), GpuError> {
        if self
            .uploaded
            .as_ref()
            .is_some_and(|u| Arc::ptr_eq(&u.source, points))
        {
            return Ok(());
        }
        let bytes = (points.values.len() * 4) as u64;
        let limit = self.context.device.limits().max_storage_buffer_binding_size;
        if bytes > limit {
            return Err(GpuError::TooLarge(format!(
                "{} × {} points take {} bytes, over this GPU's largest storage binding ({limit} \
                 bytes); use the CPU backend",
                points.n_rows, points.n_cols, bytes
            )));
        }
        let buffer = self
            .context
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("density::points"),
                contents: bytemuck::cast_slice(&padded(&points.values)),
                usage: wgpu::BufferUsages::STORAGE,
            });
        self.uploaded = Some(UploadedPoints {
            source: Arc::clone(points),
            buffer,
        });
        self.uploads += 1;
        Ok(())
    }

    fn storage(&self, label: &str, contents: &[u8]) -> wgpu::Buffer {
        self.context
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            })
    }

    /// Runs `pipeline` over all points with `extra` bindings (from binding 2 on), in
    /// submissions of bounded work, and waits for it.
    fn run(
        &self,
        pipeline: &wgpu::ComputePipeline,
        n: usize,
        d: usize,
        k: u32,
        radius_sq: f32,
        extra: &[&wgpu::Buffer],
    ) -> Result<(), GpuError> {
        let device = &self.context.device;
        let points = &self.uploaded.as_ref().expect("points uploaded").buffer;
        let per_submission = (PAIRS_PER_SUBMISSION / (n.max(1) as u64 * d.max(1) as u64))
            .clamp(WORKGROUP as u64, u32::MAX as u64) as usize;
        let mut first = 0usize;
        while first < n {
            let count = per_submission.min(n - first);
            let (groups_x, groups_y) = dispatch_size((count as u32).div_ceil(WORKGROUP));
            let params = Params {
                n: n as u32,
                d: d as u32,
                k,
                groups_x,
                radius_sq,
                first: first as u32,
                count: count as u32,
                _pad: 0,
            };
            let uniform = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("density::params"),
                contents: bytemuck::bytes_of(&params),
                usage: wgpu::BufferUsages::UNIFORM,
            });
            let mut entries = vec![
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: uniform.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: points.as_entire_binding(),
                },
            ];
            for (offset, buffer) in extra.iter().enumerate() {
                entries.push(wgpu::BindGroupEntry {
                    binding: 2 + offset as u32,
                    resource: buffer.as_entire_binding(),
                });
            }
            let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("density::bind_group"),
                layout: &pipeline.get_bind_group_layout(0),
                entries: &entries,
            });
            let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("density::encoder"),
            });
            {
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("density::pass"),
                    timestamp_writes: None,
                });
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, &bind_group, &[]);
                pass.dispatch_workgroups(groups_x, groups_y, 1);
            }
            self.context.queue.submit([encoder.finish()]);
            device
                .poll(wgpu::PollType::wait_indefinitely())
                .map_err(|e| GpuError::Poll(e.to_string()))?;
            first += count;
        }
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

    /// Squared distance of each point to its `k`-th nearest other point (0 for k = 0).
    pub fn core_distances(&mut self, points: &Arc<Matrix>, k: usize) -> Result<Vec<f32>, GpuError> {
        let n = points.n_rows;
        if k == 0 || n == 0 {
            return Ok(vec![0.0; n]);
        }
        if k > MAX_GPU_NEIGHBOURS {
            return Err(GpuError::TooLarge(format!(
                "the GPU k-NN pass keeps at most {MAX_GPU_NEIGHBOURS} neighbours, {k} were asked \
                 for; use the CPU backend"
            )));
        }
        self.points(points)?;
        let out = self.storage("density::core", &vec![0u8; n * 4]);
        self.run(&self.knn, n, points.n_cols, k as u32, 0.0, &[&out])?;
        self.read(&out, n)
    }

    /// The mutual reachability spanning tree: the GPU finds every point's best edge each
    /// round, the CPU joins components.
    pub fn spanning_tree(
        &mut self,
        points: &Arc<Matrix>,
        core_sq: &[f32],
        context: &RunContext,
    ) -> Result<Vec<MstEdge>, ClusterError> {
        let n = points.n_rows;
        self.points(points)?;
        let core = self.storage("density::core_in", bytemuck::cast_slice(&padded(core_sq)));
        let mut components = Components::new(n);
        let mut edges = Vec::with_capacity(n.saturating_sub(1));
        let out = self.storage("density::best", &vec![0u8; n.max(1) * 8]);
        let rounds = mst::expected_rounds(n);
        let mut round = 0;
        while components.count > 1 {
            context.check_cancelled()?;
            mst::report_round(context, round, rounds);
            round += 1;
            let component = components.labels();
            let component_buffer =
                self.storage("density::component", bytemuck::cast_slice(&component));
            self.run(
                &self.boruvka,
                n,
                points.n_cols,
                0,
                0.0,
                &[&core, &component_buffer, &out],
            )?;
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
    pub fn border_labels(
        &mut self,
        points: &Arc<Matrix>,
        labels: &[u32],
        radius_sq: f32,
    ) -> Result<Vec<u32>, GpuError> {
        let n = points.n_rows;
        if n == 0 {
            return Ok(Vec::new());
        }
        self.points(points)?;
        let input = self.storage("density::labels", bytemuck::cast_slice(labels));
        let out = self.storage("density::labels_out", &vec![0u8; n * 4]);
        self.run(
            &self.border,
            n,
            points.n_cols,
            0,
            radius_sq,
            &[&input, &out],
        )?;
        self.read(&out, n)
    }
}

/// Storage bindings may not be empty.
fn padded<T: Copy + Default>(values: &[T]) -> Vec<T> {
    if values.is_empty() {
        vec![T::default()]
    } else {
        values.to_vec()
    }
}

fn pipeline(
    device: &wgpu::Device,
    label: &str,
    source: &str,
    entry_point: &str,
) -> wgpu::ComputePipeline {
    crate::gpu::compute_pipeline(device, label, COMMON, source, entry_point)
}
