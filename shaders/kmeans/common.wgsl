// Shared by every k-means pass. Keep in sync with `KMeansUniforms` in src/gpu/kmeans/gpu_data.rs.
struct Params {
    // Rows in the slice this dispatch covers.
    n_rows: u32,
    dims: u32,
    n_clusters: u32,
    // Reduction blocks in the slice (ceil(n_rows / BLOCK_POINTS)).
    n_blocks: u32,
    // Workgroups along x in a 2-D dispatch (65535 per dimension at most).
    groups_x: u32,
    // 1: spherical k-means (centroids kept at unit length).
    spherical: u32,
    _pad1: u32,
    _pad2: u32,
}

const WORKGROUP_SIZE: u32 = 256u;
