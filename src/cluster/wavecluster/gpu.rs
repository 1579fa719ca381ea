//! WaveCluster's transform on the GPU (`shaders/wavecluster/lowpass.wgsl`), twin of
//! [`super::transform::transform`]: the count grid goes up once, each level and axis is one
//! pass into the other of two buffers, and the transformed grid comes back.

use crate::gpu::{GpuContext, GpuError, ShaderEntry, read_buffer};

pub const LOWPASS: ShaderEntry = ShaderEntry {
    label: "wavecluster::lowpass",
    sources: &[include_str!("../../../shaders/wavecluster/lowpass.wgsl")],
    entry_point: "lowpass",
};

/// Threads per workgroup. Keep in sync with `WORKGROUP` in `lowpass.wgsl`.
const WORKGROUP: u32 = 256;

/// Keep in sync with `Params` in `lowpass.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct LowpassUniforms {
    size: [u32; 3],
    axis: u32,
    out_len: u32,
    total: u32,
    groups_x: u32,
    _pad: u32,
}

const _: () = assert!(std::mem::size_of::<LowpassUniforms>() == 32);

/// `levels` rounds of the filter along the first `axes` axes of `grid`.
pub fn transform(
    gpu: &GpuContext,
    grid: &[f32],
    sizes: [usize; 3],
    axes: usize,
    levels: usize,
) -> Result<([usize; 3], Vec<f32>), GpuError> {
    let bytes = (grid.len() * 4) as u64;
    let mut source = gpu.storage_init("wavecluster::grid", grid);
    let mut target = gpu.allocating(|| Ok(gpu.storage("wavecluster::grid", bytes)))?;
    let mut sizes = sizes;
    for _ in 0..levels {
        for axis in 0..axes {
            let mut out = sizes;
            out[axis] = sizes[axis].div_ceil(2);
            let total = out[0] * out[1] * out[2];
            gpu.run_in_parts(
                &LOWPASS,
                total,
                total,
                WORKGROUP,
                |_, _, groups_x| {
                    gpu.uniform(
                        "wavecluster::lowpass",
                        &LowpassUniforms {
                            size: sizes.map(|s| s as u32),
                            axis: axis as u32,
                            out_len: out[axis] as u32,
                            total: total as u32,
                            groups_x,
                            _pad: 0,
                        },
                    )
                },
                &[&source, &target],
            )?;
            std::mem::swap(&mut source, &mut target);
            sizes = out;
        }
    }
    let total = sizes[0] * sizes[1] * sizes[2];
    let values = read_buffer(&gpu.device, &gpu.queue, &source, 0, (total * 4) as u64)?;
    Ok((sizes, values))
}
