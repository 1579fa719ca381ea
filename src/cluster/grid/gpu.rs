//! The binning pass on the GPU (`shaders/grid/bin.wgsl`), twin of [`super::bin_cpu`]: the
//! coordinates stay resident (so re-binning the same rows uploads nothing), each chunk of
//! rows gets its cells written and adds into one set of per-cell atomics.

use std::sync::Arc;

use super::binning::{BinnedGrid, GridShape, RawCells};
use crate::cluster::Backend;
use crate::gpu::{GpuContext, GpuError, ShaderEntry, read_buffer};
use crate::matrix::Matrix;

pub const BIN: ShaderEntry = ShaderEntry {
    label: "grid::bin",
    sources: &[include_str!("../../../shaders/grid/bin.wgsl")],
    entry_point: "bin",
};

/// Threads per workgroup. Keep in sync with `WORKGROUP` in `bin.wgsl`.
const WORKGROUP: u32 = 256;
/// Rows per submission.
const ROWS_PER_SUBMISSION: usize = 1 << 22;

/// Keep in sync with `Params` in `bin.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct BinUniforms {
    n_rows: u32,
    first_row: u32,
    axes: u32,
    groups_x: u32,
    stats: u32,
    cells: [u32; 3],
    lo: [f32; 3],
    _pad0: u32,
    scale: [f32; 3],
    _pad1: u32,
}

const _: () = assert!(std::mem::size_of::<BinUniforms>() == 64);

/// The f32 whose order key is `key` (inverse of `order_key` in the shader).
fn from_order_key(key: u32) -> f32 {
    if key & 0x8000_0000 != 0 {
        f32::from_bits(key & 0x7fff_ffff)
    } else {
        f32::from_bits(!key)
    }
}

fn extremum(count: u32, key: u32, empty: f32) -> f32 {
    if count == 0 {
        empty
    } else {
        from_order_key(key)
    }
}

/// `coordinates` (n × axes, axes ≤ 3) binned on the GPU.
pub fn bin(
    gpu: &GpuContext,
    coordinates: &Arc<Matrix>,
    shape: &GridShape,
    stats: bool,
) -> Result<BinnedGrid, GpuError> {
    let axes = shape.axes();
    assert!(axes <= 3 && coordinates.n_cols == axes);
    let cells = shape.n_cells();
    let resident = gpu.resident(coordinates)?;
    let per = if stats { cells * axes } else { 1 };
    let counts = gpu.allocating(|| Ok(gpu.storage("grid::counts", (cells * 4) as u64)))?;
    let sums = gpu.allocating(|| Ok(gpu.storage("grid::sums", (per * 16) as u64)))?;
    let mut keys = vec![0u32; per * 2];
    for k in 0..per {
        keys[2 * k] = u32::MAX;
    }
    let extrema = gpu.storage_init("grid::extrema", &keys);
    let mut uniforms = BinUniforms {
        axes: axes as u32,
        stats: stats as u32,
        ..Default::default()
    };
    for a in 0..axes {
        uniforms.cells[a] = shape.cells[a] as u32;
        uniforms.lo[a] = shape.lo[a];
        uniforms.scale[a] = shape.scale[a];
    }
    let mut cell_of_row = Vec::with_capacity(coordinates.n_rows);
    for chunk in &resident.chunks {
        let cells_out =
            gpu.allocating(|| Ok(gpu.storage("grid::cell_of_row", (chunk.n_rows * 4) as u64)))?;
        gpu.run_in_parts(
            &BIN,
            chunk.n_rows,
            ROWS_PER_SUBMISSION,
            WORKGROUP,
            |first, part, groups_x| {
                gpu.uniform(
                    "grid::bin",
                    &BinUniforms {
                        n_rows: part as u32,
                        first_row: first as u32,
                        groups_x,
                        ..uniforms
                    },
                )
            },
            &[&chunk.buffer, &cells_out, &counts, &sums, &extrema],
        )?;
        let part: Vec<u32> = read_buffer(
            &gpu.device,
            &gpu.queue,
            &cells_out,
            0,
            (chunk.n_rows * 4) as u64,
        )?;
        cell_of_row.extend_from_slice(&part);
    }
    let count: Vec<u32> = read_buffer(&gpu.device, &gpu.queue, &counts, 0, (cells * 4) as u64)?;
    let raw = if stats {
        let words: Vec<u32> = read_buffer(&gpu.device, &gpu.queue, &sums, 0, (per * 16) as u64)?;
        let keys: Vec<u32> = read_buffer(&gpu.device, &gpu.queue, &extrema, 0, (per * 8) as u64)?;
        let wide = |lo: u32, hi: u32| lo as u64 | ((hi as u64) << 32);
        RawCells {
            steps: words.chunks_exact(4).map(|w| wide(w[0], w[1])).collect(),
            steps_sq: words.chunks_exact(4).map(|w| wide(w[2], w[3])).collect(),
            // Empty cells keep their start keys; give them the CPU's infinities.
            min: keys
                .chunks_exact(2)
                .enumerate()
                .map(|(k, pair)| extremum(count[k / axes], pair[0], f32::INFINITY))
                .collect(),
            max: keys
                .chunks_exact(2)
                .enumerate()
                .map(|(k, pair)| extremum(count[k / axes], pair[1], f32::NEG_INFINITY))
                .collect(),
            count,
        }
    } else {
        RawCells {
            count,
            steps: Vec::new(),
            steps_sq: Vec::new(),
            min: Vec::new(),
            max: Vec::new(),
        }
    };
    Ok(BinnedGrid {
        shape: shape.clone(),
        cell_of_row,
        raw,
        has_stats: stats,
        backend: Backend::Gpu,
        adapter: gpu.adapter_name(),
    })
}
