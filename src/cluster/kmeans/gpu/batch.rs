//! Several k-means runs over one resident dataset as one batch: restarts, or the k values
//! of a sweep. Each set has its own per-row labels and distances and its own per-k
//! buffers; an iteration encodes the four passes of every active set into one submission
//! and reads back one buffer holding every set's counts and shifts, so R restarts cost one
//! round trip per iteration instead of R. The passes are the single run's, unchanged, so
//! a set's arithmetic (and so its result) is the same as when it runs alone.

use std::sync::Arc;

use super::buffers::{ClusterBuffers, RowBuffers};
use super::kernels::{KMeansKernels, WORKGROUP_SIZE};
use crate::cluster::ClusterError;
use crate::cluster::kmeans::BLOCK_POINTS;
use crate::cluster::kmeans::lloyd::{BatchSteps, SetMoves};
use crate::gpu::{GpuContext, GpuError, ResidentMatrix, dispatch_size, read_buffer, wgpu};

/// Device memory one batch may take for its sets' buffers; more sets run as further
/// batches.
pub const BATCH_BYTES: u64 = 512 << 20;

/// One set's buffers.
pub(super) struct SetBuffers {
    pub rows: RowBuffers,
    pub clusters: ClusterBuffers,
}

/// The buffers of one batch, kept on the engine so that a batch of the same k values over
/// the same rows (the next restart set, the next sweep) allocates nothing.
pub(super) struct BatchBuffers {
    pub points: Arc<ResidentMatrix>,
    pub ks: Vec<usize>,
    pub spherical: bool,
    pub sets: Vec<SetBuffers>,
    /// Per active set, `k_max` counts then `k_max` shifts: read back once per iteration.
    pub moved: wgpu::Buffer,
    pub k_max: usize,
}

impl BatchBuffers {
    pub fn new(
        gpu: &GpuContext,
        kernels: &KMeansKernels,
        points: Arc<ResidentMatrix>,
        ks: &[usize],
        spherical: bool,
    ) -> Result<Self, GpuError> {
        let mut sets = Vec::with_capacity(ks.len());
        for &k in ks {
            let rows = RowBuffers::new(gpu, points.clone());
            let clusters = ClusterBuffers::new(gpu, kernels, &rows, k, spherical)?;
            sets.push(SetBuffers { rows, clusters });
        }
        let k_max = ks.iter().copied().max().unwrap_or(1);
        let moved = gpu.storage("kmeans::batch_moved", (ks.len() * 2 * k_max) as u64 * 4);
        Ok(Self {
            points,
            ks: ks.to_vec(),
            spherical,
            sets,
            moved,
            k_max,
        })
    }
}

/// Bytes the buffers of one set of `n_clusters` take over n × d rows (per-row labels and
/// distances, block partials, centroids and sums).
pub fn set_bytes(n: usize, d: usize, n_clusters: usize) -> u64 {
    let blocks = n.div_ceil(BLOCK_POINTS) as u64;
    let slots = (n_clusters * d) as u64;
    n as u64 * 8
        + blocks * (slots + n_clusters as u64) * 4
        + (3 * slots + 3 * n_clusters as u64) * 4
}

/// Splits sets of the given k values into consecutive batches of at most [`BATCH_BYTES`]
/// each (a set larger than that alone is a batch of one).
pub fn batch_ranges(n: usize, d: usize, ks: &[usize]) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut first = 0;
    let mut bytes = 0;
    for (i, &k) in ks.iter().enumerate() {
        let size = set_bytes(n, d, k);
        if i > first && bytes + size > BATCH_BYTES {
            ranges.push(first..i);
            first = i;
            bytes = 0;
        }
        bytes += size;
    }
    if first < ks.len() {
        ranges.push(first..ks.len());
    }
    ranges
}

/// One batch's view of its buffers, driven by [`crate::cluster::kmeans::lloyd::run_lloyd_batch`].
pub(crate) struct GpuBatchSteps<'a> {
    pub(super) gpu: &'a GpuContext,
    pub(super) kernels: KMeansKernels,
    pub(super) buffers: &'a BatchBuffers,
}

impl GpuBatchSteps<'_> {
    fn read<T: bytemuck::Pod>(&self, buffer: &wgpu::Buffer, size: u64) -> Result<Vec<T>, GpuError> {
        read_buffer(&self.gpu.device, &self.gpu.queue, buffer, 0, size)
    }

    fn encode_assign(&self, pass: &mut wgpu::ComputePass<'_>, set: usize) {
        for slice in &self.buffers.sets[set].clusters.slices {
            let (x, y) = dispatch_size(slice.n_rows.div_ceil(WORKGROUP_SIZE));
            pass.set_pipeline(&self.kernels.assign);
            pass.set_bind_group(0, &slice.assign, &[]);
            pass.dispatch_workgroups(x, y, 1);
        }
    }

    fn read_rows<T: bytemuck::Pod>(
        &self,
        set: usize,
        buffer_of: impl Fn(&super::buffers::RowChunk) -> &wgpu::Buffer,
    ) -> Result<Vec<T>, GpuError> {
        let rows = &self.buffers.sets[set].rows;
        let mut values = Vec::with_capacity(rows.points.source.n_rows);
        for chunk in &rows.chunks {
            values.extend(self.read::<T>(buffer_of(chunk), chunk.n_rows as u64 * 4)?);
        }
        Ok(values)
    }
}

impl BatchSteps for GpuBatchSteps<'_> {
    fn n_sets(&self) -> usize {
        self.buffers.sets.len()
    }

    fn load_centroids(
        &mut self,
        set: usize,
        centroids: &[f32],
        norms: &[f32],
    ) -> Result<(), ClusterError> {
        let buffers = &self.buffers.sets[set].clusters;
        let queue = &self.gpu.queue;
        queue.write_buffer(&buffers.centroids, 0, bytemuck::cast_slice(centroids));
        queue.write_buffer(&buffers.centroid_norms, 0, bytemuck::cast_slice(norms));
        Ok(())
    }

    fn iterate(&mut self, sets: &[usize]) -> Result<Vec<SetMoves>, ClusterError> {
        let mut encoder = self.gpu.encoder("kmeans::batch_iterate");
        for &set in sets {
            let b = &self.buffers.sets[set].clusters;
            encoder.clear_buffer(&b.sums, 0, None);
            encoder.clear_buffer(&b.counts, 0, None);
        }
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("kmeans::batch_iterate"),
                timestamp_writes: None,
            });
            for &set in sets {
                let b = &self.buffers.sets[set].clusters;
                for slice in &b.slices {
                    let (x, y) = dispatch_size(slice.n_rows.div_ceil(WORKGROUP_SIZE));
                    pass.set_pipeline(&self.kernels.assign);
                    pass.set_bind_group(0, &slice.assign, &[]);
                    pass.dispatch_workgroups(x, y, 1);
                    let (x, y) = dispatch_size(slice.n_blocks);
                    pass.set_pipeline(&self.kernels.reduce);
                    pass.set_bind_group(0, &slice.reduce, &[]);
                    pass.dispatch_workgroups(x, y, 1);
                    pass.set_pipeline(&self.kernels.accumulate);
                    pass.set_bind_group(0, &slice.accumulate, &[]);
                    pass.dispatch_workgroups(b.slot_groups.0, b.slot_groups.1, 1);
                }
                pass.set_pipeline(&self.kernels.finalize);
                pass.set_bind_group(0, &b.finalize, &[]);
                pass.dispatch_workgroups(b.cluster_groups.0, b.cluster_groups.1, 1);
            }
        }
        let k_max = self.buffers.k_max as u64;
        for (position, &set) in sets.iter().enumerate() {
            let b = &self.buffers.sets[set].clusters;
            let k = b.n_clusters as u64;
            let at = position as u64 * 2 * k_max * 4;
            encoder.copy_buffer_to_buffer(&b.counts, 0, &self.buffers.moved, at, k * 4);
            encoder.copy_buffer_to_buffer(&b.shift, 0, &self.buffers.moved, at + k_max * 4, k * 4);
        }
        self.gpu.queue.submit([encoder.finish()]);
        let words: Vec<u32> = self.read(&self.buffers.moved, sets.len() as u64 * 2 * k_max * 4)?;
        Ok(sets
            .iter()
            .enumerate()
            .map(|(position, &set)| {
                let k = self.buffers.sets[set].clusters.n_clusters;
                let at = position * 2 * k_max as usize;
                let counts = words[at..at + k].to_vec();
                let shift = words[at + k_max as usize..at + k_max as usize + k]
                    .iter()
                    .map(|&w| f32::from_bits(w))
                    .collect();
                (counts, shift)
            })
            .collect())
    }

    fn assign_only(&mut self, sets: &[usize]) -> Result<(), ClusterError> {
        let mut encoder = self.gpu.encoder("kmeans::batch_assign_only");
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("kmeans::batch_assign_only"),
                timestamp_writes: None,
            });
            for &set in sets {
                self.encode_assign(&mut pass, set);
            }
        }
        self.gpu.queue.submit([encoder.finish()]);
        Ok(())
    }

    fn centroids(&mut self, set: usize) -> Result<Vec<f32>, ClusterError> {
        let b = &self.buffers.sets[set].clusters;
        let size = (b.n_clusters * self.buffers.points.source.n_cols) as u64 * 4;
        Ok(self.read(&b.centroids, size)?)
    }

    fn labels(&mut self, set: usize) -> Result<Vec<u32>, ClusterError> {
        Ok(self.read_rows(set, |chunk| &chunk.labels)?)
    }

    fn min_distances(&mut self, set: usize) -> Result<Vec<f32>, ClusterError> {
        Ok(self.read_rows(set, |chunk| &chunk.min_distances)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_split_into_batches_within_the_budget() {
        // 10⁶ × 16 at k = 64: about 12 MB a set.
        let ks = vec![64; 100];
        let ranges = batch_ranges(1_000_000, 16, &ks);
        assert!(ranges.len() > 1);
        assert_eq!(ranges.first().unwrap().start, 0);
        assert_eq!(ranges.last().unwrap().end, 100);
        for pair in ranges.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        for range in &ranges {
            let bytes: u64 = ks[range.clone()]
                .iter()
                .map(|&k| set_bytes(1_000_000, 16, k))
                .sum();
            assert!(bytes <= BATCH_BYTES, "{range:?} takes {bytes} bytes");
        }
    }

    #[test]
    fn a_set_over_the_budget_is_a_batch_alone() {
        let ranges = batch_ranges(200_000_000, 2, &[8, 8]);
        assert_eq!(ranges, vec![0..1, 1..2]);
    }
}
