//! GPU buffers for k-means: the points (uploaded once per dataset, in chunks no larger
//! than one storage binding allows) and the per-k working buffers with their bind groups.

use std::num::NonZeroU64;
use std::sync::Arc;

use wgpu::util::DeviceExt;

use super::gpu_data::KMeansUniforms;
use super::kernels::KMeansKernels;
use crate::cluster::kmeans::BLOCK_POINTS;
use crate::gpu::{GpuError, MAX_GROUPS_X, dispatch_size, wgpu};
use crate::matrix::Matrix;

const F32: u64 = 4;

/// One chunk of rows, each in its own buffers.
pub struct PointChunk {
    pub n_rows: usize,
    pub points: wgpu::Buffer,
    pub labels: wgpu::Buffer,
    pub min_distances: wgpu::Buffer,
}

/// A dataset resident on the GPU.
pub struct UploadedPoints {
    pub source: Arc<Matrix>,
    pub chunks: Vec<PointChunk>,
}

impl UploadedPoints {
    /// Uploads `source` in chunks of at most `max_chunk_bytes` (a multiple of BLOCK_POINTS rows).
    pub fn upload(
        device: &wgpu::Device,
        source: Arc<Matrix>,
        max_chunk_bytes: u64,
    ) -> Result<Self, GpuError> {
        let d = source.n_cols;
        let row_bytes = d as u64 * F32;
        let blocks_per_chunk = max_chunk_bytes / (row_bytes * BLOCK_POINTS as u64);
        if blocks_per_chunk == 0 {
            return Err(GpuError::TooLarge(format!(
                "{d} feature columns do not fit one GPU storage binding of {max_chunk_bytes} bytes"
            )));
        }
        let rows_per_chunk = blocks_per_chunk as usize * BLOCK_POINTS;
        let mut chunks = Vec::new();
        let mut first_row = 0;
        while first_row < source.n_rows {
            let n_rows = rows_per_chunk.min(source.n_rows - first_row);
            let values = &source.values[first_row * d..(first_row + n_rows) * d];
            let index = chunks.len();
            chunks.push(PointChunk {
                n_rows,
                points: device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some(&format!("kmeans::points[{index}]")),
                    contents: bytemuck::cast_slice(values),
                    usage: wgpu::BufferUsages::STORAGE,
                }),
                labels: storage(
                    device,
                    &format!("kmeans::labels[{index}]"),
                    n_rows as u64 * 4,
                ),
                min_distances: storage(
                    device,
                    &format!("kmeans::min_distances[{index}]"),
                    n_rows as u64 * F32,
                ),
            });
            first_row += n_rows;
        }
        Ok(Self { source, chunks })
    }
}

/// Rows of one chunk handled by one group of dispatches (its partials fit one binding).
pub struct Slice {
    pub n_rows: u32,
    pub n_blocks: u32,
    pub assign: wgpu::BindGroup,
    pub reduce: wgpu::BindGroup,
    pub accumulate: wgpu::BindGroup,
}

/// Working buffers for one value of k over one uploaded dataset.
pub struct ClusterBuffers {
    pub n_clusters: usize,
    pub centroids: wgpu::Buffer,
    pub centroid_norms: wgpu::Buffer,
    pub sums: wgpu::Buffer,
    pub counts: wgpu::Buffer,
    pub shift: wgpu::Buffer,
    pub slices: Vec<Slice>,
    pub finalize: wgpu::BindGroup,
    pub slot_groups: (u32, u32),
    pub cluster_groups: (u32, u32),
}

impl ClusterBuffers {
    pub fn new(
        device: &wgpu::Device,
        kernels: &KMeansKernels,
        points: &UploadedPoints,
        n_clusters: usize,
        max_binding_bytes: u64,
    ) -> Result<Self, GpuError> {
        let d = points.source.n_cols;
        let slots = (n_clusters * d) as u64;
        let max_blocks_per_slice = max_binding_bytes / (slots * F32);
        if max_blocks_per_slice == 0 {
            return Err(GpuError::TooLarge(format!(
                "k × dims = {slots} is too large for one GPU storage binding; use the CPU backend"
            )));
        }
        let largest_chunk_blocks = points
            .chunks
            .iter()
            .map(|c| c.n_rows.div_ceil(BLOCK_POINTS))
            .max()
            .unwrap_or(1);
        let slice_blocks = (max_blocks_per_slice as usize)
            .min(largest_chunk_blocks)
            .max(1);

        let centroids = storage(device, "kmeans::centroids", slots * F32);
        let centroid_norms = storage(device, "kmeans::centroid_norms", n_clusters as u64 * F32);
        let sums = storage(device, "kmeans::sums", slots * F32);
        let counts = storage(device, "kmeans::counts", n_clusters as u64 * 4);
        let shift = storage(device, "kmeans::shift", n_clusters as u64 * F32);
        let partial_sums = storage(
            device,
            "kmeans::partial_sums",
            slice_blocks as u64 * slots * F32,
        );
        let partial_counts = storage(
            device,
            "kmeans::partial_counts",
            (slice_blocks * n_clusters) as u64 * 4,
        );

        let uniforms = |n_rows: usize| KMeansUniforms {
            n_rows: n_rows as u32,
            dims: d as u32,
            n_clusters: n_clusters as u32,
            n_blocks: n_rows.div_ceil(BLOCK_POINTS) as u32,
            groups_x: MAX_GROUPS_X,
            _pad: [0; 3],
        };
        let uniform_buffer = |label: &str, value: KMeansUniforms| {
            device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: bytemuck::bytes_of(&value),
                usage: wgpu::BufferUsages::UNIFORM,
            })
        };

        let mut slices = Vec::new();
        for chunk in &points.chunks {
            let mut first = 0;
            while first < chunk.n_rows {
                let n_rows = (slice_blocks * BLOCK_POINTS).min(chunk.n_rows - first);
                let uniform = uniform_buffer("kmeans::slice_params", uniforms(n_rows));
                fn rows(
                    buffer: &wgpu::Buffer,
                    first: usize,
                    n_rows: usize,
                    row_bytes: u64,
                ) -> wgpu::BufferBinding<'_> {
                    range(buffer, first as u64 * row_bytes, n_rows as u64 * row_bytes)
                }
                let assign = bind_group(
                    device,
                    "kmeans::assign",
                    &kernels.assign,
                    &[
                        whole(&uniform),
                        rows(&chunk.points, first, n_rows, d as u64 * F32),
                        whole(&centroids),
                        whole(&centroid_norms),
                        rows(&chunk.labels, first, n_rows, 4),
                        rows(&chunk.min_distances, first, n_rows, F32),
                    ],
                );
                let reduce = bind_group(
                    device,
                    "kmeans::reduce",
                    &kernels.reduce,
                    &[
                        whole(&uniform),
                        rows(&chunk.points, first, n_rows, d as u64 * F32),
                        rows(&chunk.labels, first, n_rows, 4),
                        whole(&partial_sums),
                        whole(&partial_counts),
                    ],
                );
                let accumulate = bind_group(
                    device,
                    "kmeans::accumulate",
                    &kernels.accumulate,
                    &[
                        whole(&uniform),
                        whole(&partial_sums),
                        whole(&partial_counts),
                        whole(&sums),
                        whole(&counts),
                    ],
                );
                slices.push(Slice {
                    n_rows: n_rows as u32,
                    n_blocks: n_rows.div_ceil(BLOCK_POINTS) as u32,
                    assign,
                    reduce,
                    accumulate,
                });
                first += n_rows;
            }
        }
        let finalize_uniform = uniform_buffer("kmeans::finalize_params", uniforms(0));
        let finalize = bind_group(
            device,
            "kmeans::finalize",
            &kernels.finalize,
            &[
                whole(&finalize_uniform),
                whole(&sums),
                whole(&counts),
                whole(&centroids),
                whole(&centroid_norms),
                whole(&shift),
            ],
        );
        Ok(Self {
            n_clusters,
            centroids,
            centroid_norms,
            sums,
            counts,
            shift,
            slices,
            finalize,
            slot_groups: dispatch_size((slots as u32).div_ceil(256)),
            cluster_groups: dispatch_size((n_clusters as u32).div_ceil(256)),
        })
    }
}

fn storage(device: &wgpu::Device, label: &str, size: u64) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        // Bindings must not be empty; 4 bytes is the smallest useful size.
        size: size.max(4),
        usage: wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_DST
            | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    })
}

fn whole(buffer: &wgpu::Buffer) -> wgpu::BufferBinding<'_> {
    wgpu::BufferBinding {
        buffer,
        offset: 0,
        size: None,
    }
}

fn range(buffer: &wgpu::Buffer, offset: u64, size: u64) -> wgpu::BufferBinding<'_> {
    wgpu::BufferBinding {
        buffer,
        offset,
        size: NonZeroU64::new(size.max(4)),
    }
}

fn bind_group(
    device: &wgpu::Device,
    label: &str,
    pipeline: &wgpu::ComputePipeline,
    bindings: &[wgpu::BufferBinding<'_>],
) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry<'_>> = bindings
        .iter()
        .enumerate()
        .map(|(i, binding)| wgpu::BindGroupEntry {
            binding: i as u32,
            resource: wgpu::BindingResource::Buffer(binding.clone()),
        })
        .collect();
    device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some(label),
        layout: &pipeline.get_bind_group_layout(0),
        entries: &entries,
    })
}
