//! Structs shared with WGSL.

/// Keep in sync with `Params` in `shaders/kmeans/common.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct KMeansUniforms {
    pub n_rows: u32,
    pub dims: u32,
    pub n_clusters: u32,
    pub n_blocks: u32,
    pub groups_x: u32,
    /// 1: spherical k-means (centroids kept at unit length).
    pub spherical: u32,
    pub _pad: [u32; 2],
}

const _: () = assert!(std::mem::size_of::<KMeansUniforms>() == 32);
