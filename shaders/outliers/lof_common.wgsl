// Shared by the LOF passes (prepended by src/outliers/lof/gpu.rs): one invocation per row
// over the k-NN graph (n x k neighbour indices, nearest first).

struct Params {
    n: u32,
    k: u32,
    first: u32,
    count: u32,
    groups_x: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;

const WORKGROUP: u32 = 64u;
const NONE: u32 = 0xffffffffu;

// The row of this invocation, or NONE past the end of this dispatch's range.
fn row_index(gid: vec3<u32>) -> u32 {
    let local = gid.x + gid.y * params.groups_x * WORKGROUP;
    if (local >= params.count) {
        return NONE;
    }
    return params.first + local;
}
