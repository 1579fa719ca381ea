//! GPU buffers for k-means over a resident dataset: per-row labels and distances beside
//! each chunk of points, and the per-k working buffers with their bind groups.

use std::sync::Arc;

use super::gpu_data::KMeansUniforms;
use super::kernels::{KMeansKernels, WORKGROUP_SIZE};
use crate::cluster::kmeans::BLOCK_POINTS;
use crate::gpu::{
    CHUNK_ROW_MULTIPLE, GpuContext, GpuError, MAX_GROUPS_X, ResidentMatrix, dispatch_size, range,
    wgpu, whole,
};

const F32: u64 = 4;

// A reduction block must never straddle two chunks of the resident dataset.
const _: () = assert!(CHUNK_ROW_MULTIPLE.is_multiple_of(BLOCK_POINTS));

/// Labels and squared distances of one chunk's rows, written by every assign pass (the
/// point renderer draws from the labels).
pub struct RowChunk {
    pub n_rows: usize,
    pub labels: wgpu::Buffer,
    pub min_distances: wgpu::Buffer,
}

/// Per-row outputs for one resident dataset.
pub struct RowBuffers {
    pub points: Arc<ResidentMatrix>,
    pub chunks: Vec<RowChunk>,
}

impl RowBuffers {
    pub fn new(gpu: &GpuContext, points: Arc<ResidentMatrix>) -> Self {
        let chunks = points
            .chunks
            .iter()
            .enumerate()
            .map(|(index, chunk)| RowChunk {
                n_rows: chunk.n_rows,
                labels: gpu.storage(&format!("kmeans::labels[{index}]"), chunk.n_rows as u64 * 4),
                min_distances: gpu.storage(
                    &format!("kmeans::min_distances[{index}]"),
                    chunk.n_rows as u64 * F32,
                ),
            })
            .collect();
        Self { points, chunks }
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

/// Working buffers for one value of k over one resident dataset.
pub struct ClusterBuffers {
    pub n_clusters: usize,
    pub spherical: bool,
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
        gpu: &GpuContext,
        kernels: &KMeansKernels,
        rows: &RowBuffers,
        n_clusters: usize,
        spherical: bool,
    ) -> Result<Self, GpuError> {
        let d = rows.points.source.n_cols;
        let slots = (n_clusters * d) as u64;
        let max_blocks_per_slice = gpu.max_binding_bytes() / (slots.max(1) * F32);
        if max_blocks_per_slice == 0 {
            return Err(GpuError::TooLarge(format!(
                "k × dims = {slots} is too large for one GPU storage binding; use the CPU backend"
            )));
        }
        let largest_chunk_blocks = rows
            .chunks
            .iter()
            .map(|c| c.n_rows.div_ceil(BLOCK_POINTS))
            .max()
            .unwrap_or(1);
        let slice_blocks = (max_blocks_per_slice as usize)
            .min(largest_chunk_blocks)
            .max(1);

        let centroids = gpu.storage("kmeans::centroids", slots * F32);
        let centroid_norms = gpu.storage("kmeans::centroid_norms", n_clusters as u64 * F32);
        let sums = gpu.storage("kmeans::sums", slots * F32);
        let counts = gpu.storage("kmeans::counts", n_clusters as u64 * 4);
        let shift = gpu.storage("kmeans::shift", n_clusters as u64 * F32);
        let partial_sums = gpu.storage("kmeans::partial_sums", slice_blocks as u64 * slots * F32);
        let partial_counts = gpu.storage(
            "kmeans::partial_counts",
            (slice_blocks * n_clusters) as u64 * 4,
        );
        let uniforms = |n_rows: usize| KMeansUniforms {
            n_rows: n_rows as u32,
            dims: d as u32,
            n_clusters: n_clusters as u32,
            n_blocks: n_rows.div_ceil(BLOCK_POINTS) as u32,
            groups_x: MAX_GROUPS_X,
            spherical: spherical as u32,
            _pad: [0; 2],
        };

        let mut slices = Vec::new();
        for (points, chunk) in rows.points.chunks.iter().zip(&rows.chunks) {
            let mut first = 0;
            while first < chunk.n_rows {
                let n_rows = (slice_blocks * BLOCK_POINTS).min(chunk.n_rows - first);
                let uniform = gpu.uniform("kmeans::slice_params", &uniforms(n_rows));
                let row_range = |buffer, row_bytes: u64| {
                    range(buffer, first as u64 * row_bytes, n_rows as u64 * row_bytes)
                };
                let point_rows = row_range(&points.buffer, d as u64 * F32);
                let labels = row_range(&chunk.labels, 4);
                let assign = gpu.bind_group(
                    "kmeans::assign",
                    &kernels.assign,
                    &[
                        (0, whole(&uniform)),
                        (1, point_rows.clone()),
                        (2, whole(&centroids)),
                        (3, whole(&centroid_norms)),
                        (4, labels.clone()),
                        (5, row_range(&chunk.min_distances, F32)),
                    ],
                );
                let reduce = gpu.bind_group(
                    "kmeans::reduce",
                    &kernels.reduce,
                    &[
                        (0, whole(&uniform)),
                        (1, point_rows),
                        (2, labels),
                        (3, whole(&partial_sums)),
                        (4, whole(&partial_counts)),
                    ],
                );
                let accumulate = gpu.bind_group(
                    "kmeans::accumulate",
                    &kernels.accumulate,
                    &[
                        (0, whole(&uniform)),
                        (1, whole(&partial_sums)),
                        (2, whole(&partial_counts)),
                        (3, whole(&sums)),
                        (4, whole(&counts)),
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
        let finalize_uniform = gpu.uniform("kmeans::finalize_params", &uniforms(0));
        let finalize = gpu.bind_group(
            "kmeans::finalize",
            &kernels.finalize,
            &[
                (0, whole(&finalize_uniform)),
                (1, whole(&sums)),
                (2, whole(&counts)),
                (3, whole(&centroids)),
                (4, whole(&centroid_norms)),
                (5, whole(&shift)),
            ],
        );
        Ok(Self {
            n_clusters,
            spherical,
            centroids,
            centroid_norms,
            sums,
            counts,
            shift,
            slices,
            finalize,
            slot_groups: dispatch_size((slots as u32).div_ceil(WORKGROUP_SIZE)),
            cluster_groups: dispatch_size((n_clusters as u32).div_ceil(WORKGROUP_SIZE)),
        })
    }
}
