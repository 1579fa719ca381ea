//! PCA passes (`shaders/pca/pca.wgsl`) over the device's resident dataset (the same
//! buffers k-means reads): column sums and centred covariance by tiled reduction, then the
//! projection onto two components into a positions buffer that the point renderer draws
//! from. The CPU path is linfa-reduction (`Pca::fit_cpu`), whose covariance
//! `mean_and_covariance` mirrors these reductions.

use std::sync::Arc;

use super::Pca;
use crate::cluster::{Backend, BackendChoice, ClusterError, Engine};
use crate::gpu::{
    BufferChunk, GpuContext, GpuError, ResidentMatrix, RowChunks, ShaderEntry, dispatch_size,
    read_buffer, whole,
};
use crate::matrix::Matrix;

const SHADER: &str = include_str!("../../shaders/pca/pca.wgsl");

const COLUMN_SUMS: ShaderEntry = ShaderEntry {
    label: "pca::column_sums",
    sources: &[SHADER],
    entry_point: "column_sums",
};
const COVARIANCE: ShaderEntry = ShaderEntry {
    label: "pca::covariance",
    sources: &[SHADER],
    entry_point: "covariance",
};
const PROJECT: ShaderEntry = ShaderEntry {
    label: "pca::project",
    sources: &[SHADER],
    entry_point: "project",
};

/// Threads per workgroup. Keep in sync with `WORKGROUP` in `shaders/pca/pca.wgsl`.
const WORKGROUP: u32 = 64;
/// Partial sums kept per pass: tiles × entries stays under this many floats (16 MiB).
const MAX_PARTIAL_FLOATS: usize = 4 << 20;
/// Fewest rows per tile; fewer would only add partials.
const MIN_TILE_ROWS: usize = 256;

/// Keep in sync with `Params` in `shaders/pca/pca.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct PcaUniforms {
    n_rows: u32,
    dims: u32,
    rows_per_group: u32,
    groups_x: u32,
}

const _: () = assert!(std::mem::size_of::<PcaUniforms>() == 16);

impl Engine {
    /// Principal components of `points`: covariance by tiled reduction on the GPU (all
    /// rows) when `choice` resolves to the GPU, otherwise linfa-reduction on the CPU.
    pub fn fit_pca(
        &mut self,
        points: &Arc<Matrix>,
        choice: BackendChoice,
    ) -> Result<Pca, ClusterError> {
        if self.resolve(choice)? == Backend::Cpu {
            return Pca::fit_cpu(points).map_err(ClusterError::Internal);
        }
        let gpu = self.gpu()?;
        let resident = gpu.resident(points)?;
        let (mean, covariance) = mean_and_covariance(&gpu, &resident)?;
        Pca::from_covariance(mean, &covariance, format!("GPU ({})", gpu.adapter_name()))
            .map_err(ClusterError::Internal)
    }

    /// Rows of `points` projected onto components `a` and `b` of `pca`, into GPU buffers
    /// (for the point renderer), or None without a GPU.
    pub fn pca_positions(
        &mut self,
        points: &Arc<Matrix>,
        pca: &Pca,
        a: usize,
        b: usize,
    ) -> Result<Option<RowChunks>, ClusterError> {
        let Some(gpu) = self.gpu_context().cloned() else {
            return Ok(None);
        };
        let zero = vec![0.0; points.n_cols];
        let ca = pca.components.get(a).unwrap_or(&zero);
        let cb = pca.components.get(b).unwrap_or(&zero);
        let resident = gpu.resident(points)?;
        Ok(Some(project(&gpu, &resident, &pca.mean, ca, cb)?))
    }
}

/// Column means and the covariance matrix (d × d, row-major, divided by n) in f64.
fn mean_and_covariance(
    gpu: &GpuContext,
    points: &ResidentMatrix,
) -> Result<(Vec<f64>, Vec<f64>), GpuError> {
    let d = points.source.n_cols;
    let n = points.source.n_rows;
    if n == 0 || d == 0 {
        return Ok((vec![0.0; d], vec![0.0; d * d]));
    }
    let sums = reduce(gpu, points, &COLUMN_SUMS, d, None)?;
    let mean: Vec<f64> = sums.iter().map(|s| s / n as f64).collect();
    let mean_f32: Vec<f32> = mean.iter().map(|&m| m as f32).collect();
    let mut covariance = reduce(gpu, points, &COVARIANCE, d * d, Some(&mean_f32))?;
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
/// partials in f64. `vectors` (the column means) are bound when the pass reads them.
fn reduce(
    gpu: &GpuContext,
    points: &ResidentMatrix,
    shader: &ShaderEntry,
    entries: usize,
    vectors: Option<&[f32]>,
) -> Result<Vec<f64>, GpuError> {
    let pipeline = gpu.pipeline(shader)?;
    let d = points.source.n_cols;
    let mut total = vec![0.0f64; entries];
    let vectors = vectors.map(|v| gpu.storage_init("pca::vectors", v));
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
        let uniform = gpu.uniform(
            "pca::params",
            &PcaUniforms {
                n_rows: chunk.n_rows as u32,
                dims: d as u32,
                rows_per_group: rows_per_group as u32,
                groups_x: x,
            },
        );
        let partial_bytes = (groups * entries * 4) as u64;
        let partials = gpu.storage("pca::partials", partial_bytes);
        let mut bindings = vec![
            (0, whole(&uniform)),
            (1, whole(&chunk.buffer)),
            (3, whole(&partials)),
        ];
        if let Some(vectors) = &vectors {
            bindings.push((2, whole(vectors)));
        }
        let group = gpu.bind_group(shader.label, &pipeline, &bindings);
        let mut encoder = gpu.encoder(shader.label);
        GpuContext::dispatch(&mut encoder, shader.label, &pipeline, &group, (x, y));
        gpu.queue.submit([encoder.finish()]);
        let values: Vec<f32> = read_buffer(&gpu.device, &gpu.queue, &partials, 0, partial_bytes)?;
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
fn project(
    gpu: &GpuContext,
    points: &ResidentMatrix,
    mean: &[f64],
    a: &[f64],
    b: &[f64],
) -> Result<RowChunks, GpuError> {
    let pipeline = gpu.pipeline(&PROJECT)?;
    let d = points.source.n_cols;
    let vectors: Vec<f32> = mean.iter().chain(a).chain(b).map(|&v| v as f32).collect();
    let vectors = gpu.storage_init("pca::components", &vectors);
    let mut chunks = Vec::new();
    let mut encoder = gpu.encoder("pca::project");
    for chunk in &points.chunks {
        let positions = gpu.storage("pca::positions", (chunk.n_rows.max(1) * 8) as u64);
        if chunk.n_rows > 0 {
            let (x, y) = dispatch_size((chunk.n_rows as u32).div_ceil(WORKGROUP));
            let uniform = gpu.uniform(
                "pca::params",
                &PcaUniforms {
                    n_rows: chunk.n_rows as u32,
                    dims: d as u32,
                    rows_per_group: 0,
                    groups_x: x,
                },
            );
            let group = gpu.bind_group(
                PROJECT.label,
                &pipeline,
                &[
                    (0, whole(&uniform)),
                    (1, whole(&chunk.buffer)),
                    (2, whole(&vectors)),
                    (4, whole(&positions)),
                ],
            );
            GpuContext::dispatch(&mut encoder, PROJECT.label, &pipeline, &group, (x, y));
        }
        chunks.push(BufferChunk {
            buffer: positions,
            first_row: chunk.first_row,
            n_rows: chunk.n_rows,
        });
    }
    gpu.queue.submit([encoder.finish()]);
    Ok(RowChunks { chunks })
}
