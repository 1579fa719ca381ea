//! Isolation forest scores on the GPU (`shaders/outliers/iforest.wgsl`): the rows stay
//! resident, the forest goes up once, one invocation per row walks every tree. Twin of
//! [`super::Forest::score`] (path lengths summed in f32 here, f64 there).

use std::sync::Arc;

use super::Forest;
use crate::gpu::{GpuContext, GpuError, ShaderEntry, read_buffer};
use crate::matrix::Matrix;

pub const SCORE: ShaderEntry = ShaderEntry {
    label: "outliers::iforest",
    sources: &[include_str!("../../../shaders/outliers/iforest.wgsl")],
    entry_point: "score",
};

/// Threads per workgroup. Keep in sync with `WORKGROUP` in `iforest.wgsl`.
const WORKGROUP: u32 = 64;
/// Rows per submission: a walk is ~trees × depth reads per row.
const ROWS_PER_SUBMISSION: usize = 1 << 20;

/// Keep in sync with `Params` in `iforest.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct ForestUniforms {
    n: u32,
    d: u32,
    trees: u32,
    first: u32,
    count: u32,
    groups_x: u32,
    normaliser: f32,
    _pad: u32,
}

const _: () = assert!(std::mem::size_of::<ForestUniforms>() == 32);

/// Every row's score against `forest`.
pub fn score(
    gpu: &GpuContext,
    points: &Arc<Matrix>,
    forest: &Forest,
) -> Result<Vec<f64>, GpuError> {
    let n = points.n_rows;
    let resident = gpu.resident(points)?;
    let rows = resident.single_chunk()?;
    let (nodes, roots, scores) = gpu.allocating(|| {
        Ok((
            gpu.storage_init("outliers::iforest_nodes", &forest.nodes),
            gpu.storage_init("outliers::iforest_roots", &forest.roots),
            gpu.storage("outliers::iforest_scores", n as u64 * 4),
        ))
    })?;
    gpu.run_in_parts(
        &SCORE,
        n,
        ROWS_PER_SUBMISSION,
        WORKGROUP,
        |first, count, groups_x| {
            gpu.uniform(
                "outliers::iforest",
                &ForestUniforms {
                    n: n as u32,
                    d: points.n_cols as u32,
                    trees: forest.roots.len() as u32,
                    first: first as u32,
                    count: count as u32,
                    groups_x,
                    normaliser: forest.normaliser as f32,
                    _pad: 0,
                },
            )
        },
        &[rows, &nodes, &roots, &scores],
    )?;
    let values: Vec<f32> = read_buffer(&gpu.device, &gpu.queue, &scores, 0, n as u64 * 4)?;
    Ok(values.into_iter().map(f64::from).collect())
}
