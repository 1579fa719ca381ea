//! LOF on the GPU (`shaders/outliers/lof_density.wgsl`, `lof_factor.wgsl`): the k-NN
//! graph goes up once (f32 distances), one pass gives every row's reachability density,
//! a second its factor. Twins of [`super::reachability_densities`] and
//! [`super::outlier_factors`] (f64 there, f32 here).

use crate::cluster::density::gpu::NEIGHBOURS;
use crate::gpu::{GpuContext, GpuError, ShaderEntry, read_buffer};
use crate::outliers::neighbours::Neighbours;

const COMMON: &str = include_str!("../../../shaders/outliers/lof_common.wgsl");

pub const DENSITY: ShaderEntry = ShaderEntry {
    label: "outliers::lof_density",
    sources: &[
        COMMON,
        include_str!("../../../shaders/outliers/lof_density.wgsl"),
    ],
    entry_point: "density",
};

pub const FACTOR: ShaderEntry = ShaderEntry {
    label: "outliers::lof_factor",
    sources: &[
        COMMON,
        include_str!("../../../shaders/outliers/lof_factor.wgsl"),
    ],
    entry_point: "factor_pass",
};

/// The passes LOF runs on the GPU (the neighbour pass first).
pub const PASSES: &[&ShaderEntry] = &[&NEIGHBOURS, &DENSITY, &FACTOR];

/// Threads per workgroup. Keep in sync with `WORKGROUP` in `lof_common.wgsl`.
const WORKGROUP: u32 = 64;

/// Keep in sync with `Params` in `lof_common.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct LofUniforms {
    n: u32,
    k: u32,
    first: u32,
    count: u32,
    groups_x: u32,
    _pad: [u32; 3],
}

const _: () = assert!(std::mem::size_of::<LofUniforms>() == 32);

/// LOF of every row from its k-NN graph.
pub fn outlier_factors(gpu: &GpuContext, graph: &Neighbours) -> Result<Vec<f64>, GpuError> {
    let k = graph.k;
    let n = graph.indices.len() / k.max(1);
    let distances: Vec<f32> = graph.distances.iter().map(|&d| d as f32).collect();
    let (distances, indices, lrd, factor) = gpu.allocating(|| {
        Ok((
            gpu.storage_init("outliers::lof_distances", &distances),
            gpu.storage_init("outliers::lof_indices", &graph.indices),
            gpu.storage("outliers::lof_lrd", n as u64 * 4),
            gpu.storage("outliers::lof_factor", n as u64 * 4),
        ))
    })?;
    let uniform = |first: usize, count: usize, groups_x: u32| {
        gpu.uniform(
            "outliers::lof",
            &LofUniforms {
                n: n as u32,
                k: k as u32,
                first: first as u32,
                count: count as u32,
                groups_x,
                _pad: [0; 3],
            },
        )
    };
    gpu.run_in_parts(
        &DENSITY,
        n,
        n,
        WORKGROUP,
        uniform,
        &[&distances, &indices, &lrd],
    )?;
    gpu.run_in_parts(
        &FACTOR,
        n,
        n,
        WORKGROUP,
        uniform,
        &[&indices, &lrd, &factor],
    )?;
    let values: Vec<f32> = read_buffer(&gpu.device, &gpu.queue, &factor, 0, n as u64 * 4)?;
    Ok(values.into_iter().map(f64::from).collect())
}
