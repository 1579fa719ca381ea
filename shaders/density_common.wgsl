// Shared by the density passes (prepended by src/gpu/density.rs). One invocation per query
// point; each scans every point, so the result for a point never depends on how the work
// is split. Distances are squared and accumulated as acc + diff * diff in column order, exactly as
// `spatial::squared_distance` does on the CPU.

struct Params {
    n: u32,
    d: u32,
    k: u32,
    // Workgroups along x in this dispatch; more go along y.
    groups_x: u32,
    radius_sq: f32,
    // First query point of this dispatch (long scans are split across submissions).
    first: u32,
    count: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> points: array<f32>;

const WORKGROUP: u32 = 64u;
const NONE: u32 = 0xffffffffu;

fn infinity() -> f32 {
    return bitcast<f32>(0x7f800000u);
}

// The query point of this invocation, or NONE past the end of this dispatch's range.
fn query_index(gid: vec3<u32>) -> u32 {
    let local = gid.x + gid.y * params.groups_x * WORKGROUP;
    if (local >= params.count) {
        return NONE;
    }
    return params.first + local;
}

fn squared_distance(i: u32, j: u32) -> f32 {
    var acc = 0.0;
    let a = i * params.d;
    let b = j * params.d;
    for (var c = 0u; c < params.d; c = c + 1u) {
        let diff = points[a + c] - points[b + c];
        acc = acc + diff * diff;
    }
    return acc;
}
