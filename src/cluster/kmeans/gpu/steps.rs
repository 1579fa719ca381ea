//! Lloyd's steps on the GPU, and the state kept between runs on the engine: the per-row
//! buffers of the resident dataset and the per-k working buffers.

use std::sync::Arc;

use super::batch::{BatchBuffers, GpuBatchSteps};
use super::buffers::{ClusterBuffers, RowBuffers, RowChunk, Slice};
use super::kernels::{KMeansKernels, WORKGROUP_SIZE};
use crate::cluster::ClusterError;
use crate::cluster::kmeans::LloydSteps;
use crate::gpu::{BufferChunk, GpuContext, GpuError, RowChunks, dispatch_size, read_buffer, wgpu};
use crate::matrix::Matrix;

/// What GPU k-means keeps on the engine between runs.
#[derive(Default)]
pub struct GpuKMeansState {
    rows: Option<RowBuffers>,
    clusters: Option<ClusterBuffers>,
    batch: Option<BatchBuffers>,
}

impl GpuKMeansState {
    /// The labels buffers of the last run's dataset, written by every assign pass: the
    /// point renderer draws from them, so a new run recolours the view with no copy.
    pub fn label_chunks(&self) -> Option<RowChunks> {
        let rows = self.rows.as_ref()?;
        let chunks = rows
            .points
            .chunks
            .iter()
            .zip(&rows.chunks)
            .map(|(points, chunk)| BufferChunk {
                buffer: chunk.labels.clone(),
                first_row: points.first_row,
                n_rows: chunk.n_rows,
            })
            .collect();
        Some(RowChunks { chunks })
    }

    /// Makes `points` resident (re-using the device's upload when it is the same `Arc`)
    /// and the buffers for `n_clusters` ready, then returns the steps Lloyd's loop drives.
    pub(crate) fn prepare<'a>(
        &'a mut self,
        gpu: &'a GpuContext,
        points: &Arc<Matrix>,
        n_clusters: usize,
        spherical: bool,
    ) -> Result<GpuSteps<'a>, GpuError> {
        let kernels = KMeansKernels::new(gpu)?;
        let resident = gpu.resident(points)?;
        if self
            .rows
            .as_ref()
            .is_none_or(|rows| !Arc::ptr_eq(&rows.points, &resident))
        {
            self.clusters = None;
            self.rows = None;
            self.rows = Some(gpu.allocating(|| Ok(RowBuffers::new(gpu, resident)))?);
        }
        let Some(rows) = self.rows.as_ref() else {
            return Err(GpuError::TooLarge(
                "no k-means row buffers on the GPU".into(),
            ));
        };
        if self
            .clusters
            .as_ref()
            .is_none_or(|b| b.n_clusters != n_clusters || b.spherical != spherical)
        {
            self.clusters = None;
            let built =
                gpu.allocating(|| ClusterBuffers::new(gpu, &kernels, rows, n_clusters, spherical));
            if built.is_err() {
                self.rows = None;
            }
            self.clusters = Some(built?);
        }
        let (Some(rows), Some(buffers)) = (self.rows.as_ref(), self.clusters.as_ref()) else {
            return Err(GpuError::TooLarge("no k-means buffers on the GPU".into()));
        };
        Ok(GpuSteps {
            gpu,
            kernels,
            rows,
            buffers,
        })
    }
}

impl GpuKMeansState {
    /// Makes `points` resident and one set of buffers ready per k in `ks` (re-used when
    /// the last batch had the same k values over the same rows), then returns the steps
    /// the batched Lloyd loop drives.
    pub(crate) fn prepare_batch<'a>(
        &'a mut self,
        gpu: &'a GpuContext,
        points: &Arc<Matrix>,
        ks: &[usize],
        spherical: bool,
    ) -> Result<GpuBatchSteps<'a>, GpuError> {
        let kernels = KMeansKernels::new(gpu)?;
        let resident = gpu.resident(points)?;
        let reusable = self.batch.as_ref().is_some_and(|b| {
            Arc::ptr_eq(&b.points, &resident) && b.ks == ks && b.spherical == spherical
        });
        if !reusable {
            self.batch = None;
            self.batch =
                Some(gpu.allocating(|| BatchBuffers::new(gpu, &kernels, resident, ks, spherical))?);
        }
        let Some(buffers) = self.batch.as_ref() else {
            return Err(GpuError::TooLarge(
                "no k-means batch buffers on the GPU".into(),
            ));
        };
        Ok(GpuBatchSteps {
            gpu,
            kernels,
            buffers,
        })
    }

    /// Copies the labels of set `set` of the last batch into the run buffers the point
    /// renderer draws from ([`Self::label_chunks`]), on the device.
    pub(crate) fn keep_batch_labels(
        &mut self,
        gpu: &GpuContext,
        set: usize,
    ) -> Result<(), GpuError> {
        let Some(batch) = self.batch.as_ref() else {
            return Err(GpuError::TooLarge("no k-means batch on the GPU".into()));
        };
        let resident = batch.points.clone();
        if self
            .rows
            .as_ref()
            .is_none_or(|rows| !Arc::ptr_eq(&rows.points, &resident))
        {
            self.clusters = None;
            self.rows = None;
            self.rows = Some(gpu.allocating(|| Ok(RowBuffers::new(gpu, resident)))?);
        }
        let (Some(rows), Some(batch)) = (self.rows.as_ref(), self.batch.as_ref()) else {
            return Err(GpuError::TooLarge(
                "no k-means row buffers on the GPU".into(),
            ));
        };
        let mut encoder = gpu.encoder("kmeans::keep_batch_labels");
        for (from, to) in batch.sets[set].rows.chunks.iter().zip(&rows.chunks) {
            let bytes = from.n_rows as u64 * 4;
            encoder.copy_buffer_to_buffer(&from.labels, 0, &to.labels, 0, bytes);
            encoder.copy_buffer_to_buffer(&from.min_distances, 0, &to.min_distances, 0, bytes);
        }
        gpu.queue.submit([encoder.finish()]);
        Ok(())
    }
}

/// One run's view of the GPU state.
pub(crate) struct GpuSteps<'a> {
    gpu: &'a GpuContext,
    kernels: KMeansKernels,
    rows: &'a RowBuffers,
    buffers: &'a ClusterBuffers,
}

impl GpuSteps<'_> {
    fn encode_assign(&self, pass: &mut wgpu::ComputePass<'_>, slice: &Slice) {
        let (x, y) = dispatch_size(slice.n_rows.div_ceil(WORKGROUP_SIZE));
        pass.set_pipeline(&self.kernels.assign);
        pass.set_bind_group(0, &slice.assign, &[]);
        pass.dispatch_workgroups(x, y, 1);
    }

    fn read<T: bytemuck::Pod>(&self, buffer: &wgpu::Buffer, size: u64) -> Result<Vec<T>, GpuError> {
        read_buffer(&self.gpu.device, &self.gpu.queue, buffer, 0, size)
    }

    /// Reads a per-row buffer of every chunk, concatenated.
    fn read_rows<T: bytemuck::Pod>(
        &self,
        buffer_of: impl Fn(&RowChunk) -> &wgpu::Buffer,
    ) -> Result<Vec<T>, GpuError> {
        let mut values = Vec::with_capacity(self.rows.points.source.n_rows);
        for chunk in &self.rows.chunks {
            values.extend(self.read::<T>(buffer_of(chunk), chunk.n_rows as u64 * 4)?);
        }
        Ok(values)
    }
}

impl LloydSteps for GpuSteps<'_> {
    fn load_centroids(&mut self, centroids: &[f32], norms: &[f32]) -> Result<(), ClusterError> {
        let queue = &self.gpu.queue;
        queue.write_buffer(&self.buffers.centroids, 0, bytemuck::cast_slice(centroids));
        queue.write_buffer(&self.buffers.centroid_norms, 0, bytemuck::cast_slice(norms));
        Ok(())
    }

    fn iterate(&mut self) -> Result<(Vec<u32>, Vec<f32>), ClusterError> {
        let b = self.buffers;
        let mut encoder = self.gpu.encoder("kmeans::iterate");
        encoder.clear_buffer(&b.sums, 0, None);
        encoder.clear_buffer(&b.counts, 0, None);
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("kmeans::iterate"),
                timestamp_writes: None,
            });
            for slice in &b.slices {
                self.encode_assign(&mut pass, slice);
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
        self.gpu.queue.submit([encoder.finish()]);
        let k = b.n_clusters as u64;
        let counts = self.read::<u32>(&b.counts, k * 4)?;
        let shift = self.read::<f32>(&b.shift, k * 4)?;
        Ok((counts, shift))
    }

    fn assign_only(&mut self) -> Result<(), ClusterError> {
        let mut encoder = self.gpu.encoder("kmeans::assign_only");
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("kmeans::assign_only"),
                timestamp_writes: None,
            });
            for slice in &self.buffers.slices {
                self.encode_assign(&mut pass, slice);
            }
        }
        self.gpu.queue.submit([encoder.finish()]);
        Ok(())
    }

    fn centroids(&mut self) -> Result<Vec<f32>, ClusterError> {
        let size = (self.buffers.n_clusters * self.rows.points.source.n_cols) as u64 * 4;
        Ok(self.read(&self.buffers.centroids, size)?)
    }

    fn labels(&mut self) -> Result<Vec<u32>, ClusterError> {
        Ok(self.read_rows(|chunk| &chunk.labels)?)
    }

    fn min_distances(&mut self) -> Result<Vec<f32>, ClusterError> {
        Ok(self.read_rows(|chunk| &chunk.min_distances)?)
    }
}
