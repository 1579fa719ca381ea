//! Lloyd's steps on the GPU, and the cache that keeps uploads and pipelines between runs.

use std::sync::Arc;

use super::buffers::{ClusterBuffers, UploadedPoints};
use super::kernels::KMeansKernels;
use crate::cluster::ClusterError;
use crate::cluster::kmeans::LloydSteps;
use crate::gpu::{GpuContext, GpuError, dispatch_size, read_buffer, wgpu};
use crate::matrix::Matrix;

/// k-means on one device: compiled kernels, the resident dataset and the per-k buffers.
pub struct GpuKMeans {
    context: GpuContext,
    kernels: KMeansKernels,
    /// Largest storage binding used; lower than the device's only to exercise chunking.
    max_binding_bytes: u64,
    points: Option<UploadedPoints>,
    buffers: Option<ClusterBuffers>,
    /// Uploads so far; lets tests check that a parameter change does not re-upload.
    pub uploads: usize,
}

impl GpuKMeans {
    pub fn new(context: GpuContext) -> Result<Self, GpuError> {
        let limits = context.device.limits();
        let max_binding_bytes = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size);
        let kernels = KMeansKernels::new(&context.device)?;
        Ok(Self {
            context,
            kernels,
            max_binding_bytes,
            points: None,
            buffers: None,
            uploads: 0,
        })
    }

    /// Caps chunks and slices at `bytes` (at most the device's own limit).
    pub fn with_max_binding_bytes(mut self, bytes: u64) -> Self {
        self.max_binding_bytes = bytes.min(self.max_binding_bytes);
        self.points = None;
        self.buffers = None;
        self
    }

    pub fn context(&self) -> &GpuContext {
        &self.context
    }

    fn upload_if_new(&mut self, points: &Arc<Matrix>) -> Result<(), GpuError> {
        let resident = self
            .points
            .as_ref()
            .is_some_and(|p| Arc::ptr_eq(&p.source, points));
        if !resident {
            self.buffers = None;
            self.points = None;
            self.points = Some(UploadedPoints::upload(
                &self.context.device,
                Arc::clone(points),
                self.max_binding_bytes,
            )?);
            self.uploads += 1;
        }
        Ok(())
    }

    /// Makes `points` resident (one upload per dataset, shared with k-means) and returns
    /// them; other passes (PCA) read the same buffers.
    pub(crate) fn resident(&mut self, points: &Arc<Matrix>) -> Result<&UploadedPoints, GpuError> {
        let device = self.context.device.clone();
        let memory = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
        self.upload_if_new(points)?;
        let failure =
            pollster::block_on(validation.pop()).or_else(|| pollster::block_on(memory.pop()));
        if let Some(error) = failure {
            self.points = None;
            self.buffers = None;
            return Err(GpuError::Allocation(error.to_string()));
        }
        self.points
            .as_ref()
            .ok_or_else(|| GpuError::TooLarge("no dataset on the GPU".into()))
    }

    /// The labels buffers of the resident dataset, written by every assign pass: the point
    /// renderer draws from them, so a new run recolours the view with no copy.
    pub fn label_chunks(&self) -> Option<crate::gpu::RowChunks> {
        let points = self.points.as_ref()?;
        let mut first_row = 0;
        let chunks = points
            .chunks
            .iter()
            .map(|chunk| {
                let c = crate::gpu::BufferChunk {
                    buffer: chunk.labels.clone(),
                    first_row,
                    n_rows: chunk.n_rows,
                };
                first_row += chunk.n_rows;
                c
            })
            .collect();
        Some(crate::gpu::RowChunks { chunks })
    }

    /// Makes `points` resident (re-using the upload when it is the same `Arc`) and the
    /// buffers for `n_clusters` ready, then returns the steps Lloyd's loop drives.
    pub(crate) fn prepare(
        &mut self,
        points: &Arc<Matrix>,
        n_clusters: usize,
    ) -> Result<GpuSteps<'_>, GpuError> {
        let device = self.context.device.clone();
        // Large uploads can exceed the device's memory: report that instead of panicking.
        let memory = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
        self.upload_if_new(points)?;
        let Some(uploaded) = self.points.as_ref() else {
            return Err(GpuError::TooLarge("no dataset on the GPU".into()));
        };
        if self
            .buffers
            .as_ref()
            .is_none_or(|b| b.n_clusters != n_clusters)
        {
            self.buffers = None;
            self.buffers = Some(ClusterBuffers::new(
                &device,
                &self.kernels,
                uploaded,
                n_clusters,
                self.max_binding_bytes,
            )?);
        }
        let failure =
            pollster::block_on(validation.pop()).or_else(|| pollster::block_on(memory.pop()));
        if let Some(error) = failure {
            self.points = None;
            self.buffers = None;
            return Err(GpuError::Allocation(error.to_string()));
        }
        let (Some(uploaded), Some(buffers)) = (self.points.as_ref(), self.buffers.as_ref()) else {
            return Err(GpuError::TooLarge("no k-means buffers on the GPU".into()));
        };
        Ok(GpuSteps {
            context: &self.context,
            kernels: &self.kernels,
            points: uploaded,
            buffers,
        })
    }
}

/// One run's view of the GPU state.
pub(crate) struct GpuSteps<'a> {
    context: &'a GpuContext,
    kernels: &'a KMeansKernels,
    points: &'a UploadedPoints,
    buffers: &'a ClusterBuffers,
}

impl GpuSteps<'_> {
    fn encoder(&self, label: &str) -> wgpu::CommandEncoder {
        self.context
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) })
    }

    fn encode_assign(&self, pass: &mut wgpu::ComputePass<'_>, slice: &super::buffers::Slice) {
        let (x, y) = dispatch_size(slice.n_rows.div_ceil(256));
        pass.set_pipeline(&self.kernels.assign);
        pass.set_bind_group(0, &slice.assign, &[]);
        pass.dispatch_workgroups(x, y, 1);
    }

    fn read<T: bytemuck::Pod>(
        &self,
        buffer: &wgpu::Buffer,
        offset: u64,
        size: u64,
    ) -> Result<Vec<T>, GpuError> {
        read_buffer(
            &self.context.device,
            &self.context.queue,
            buffer,
            offset,
            size,
        )
    }

    /// Reads a per-row buffer of every chunk, concatenated.
    fn read_rows<T: bytemuck::Pod>(
        &self,
        buffer_of: impl Fn(&super::buffers::PointChunk) -> &wgpu::Buffer,
    ) -> Result<Vec<T>, GpuError> {
        let mut values = Vec::with_capacity(self.points.source.n_rows);
        for chunk in &self.points.chunks {
            values.extend(self.read::<T>(buffer_of(chunk), 0, chunk.n_rows as u64 * 4)?);
        }
        Ok(values)
    }
}

impl LloydSteps for GpuSteps<'_> {
    fn load_centroids(&mut self, centroids: &[f32], norms: &[f32]) -> Result<(), ClusterError> {
        let queue = &self.context.queue;
        queue.write_buffer(&self.buffers.centroids, 0, bytemuck::cast_slice(centroids));
        queue.write_buffer(&self.buffers.centroid_norms, 0, bytemuck::cast_slice(norms));
        Ok(())
    }

    fn iterate(&mut self) -> Result<(Vec<u32>, Vec<f32>), ClusterError> {
        let b = self.buffers;
        let mut encoder = self.encoder("kmeans::iterate");
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
        self.context.queue.submit([encoder.finish()]);
        let k = b.n_clusters as u64;
        let counts = self.read::<u32>(&b.counts, 0, k * 4)?;
        let shift = self.read::<f32>(&b.shift, 0, k * 4)?;
        Ok((counts, shift))
    }

    fn assign_only(&mut self) -> Result<(), ClusterError> {
        let mut encoder = self.encoder("kmeans::assign_only");
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("kmeans::assign_only"),
                timestamp_writes: None,
            });
            for slice in &self.buffers.slices {
                self.encode_assign(&mut pass, slice);
            }
        }
        self.context.queue.submit([encoder.finish()]);
        Ok(())
    }

    fn centroids(&mut self) -> Result<Vec<f32>, ClusterError> {
        let size = (self.buffers.n_clusters * self.points.source.n_cols) as u64 * 4;
        Ok(self.read(&self.buffers.centroids, 0, size)?)
    }

    fn labels(&mut self) -> Result<Vec<u32>, ClusterError> {
        Ok(self.read_rows(|chunk| &chunk.labels)?)
    }

    fn min_distances(&mut self) -> Result<Vec<f32>, ClusterError> {
        Ok(self.read_rows(|chunk| &chunk.min_distances)?)
    }
}
