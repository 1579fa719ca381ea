// Shared by the density passes (prepended by src/gpu/density.rs). One invocation per query
// point; each visits every point in index order, so the result for a point never depends
// on how the work is split. Distances are squared and accumulated as acc + diff * diff in
// column order, exactly as `spatial::squared_distance` does on the CPU; with
// params.manhattan, acc + abs(diff) squared once, as `spatial::squared_manhattan`.
//
// Candidates are staged through workgroup memory in tiles of TILE points when rows have at
// most TILE_DIMS columns; wider rows are read straight from the storage buffer. Kernels must
// not return before the tile loop ends: every invocation takes part in the barriers.

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
    // 1: Manhattan distances (squared), else squared Euclidean.
    manhattan: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> points: array<f32>;

const WORKGROUP: u32 = 64u;
const TILE: u32 = 64u;
const TILE_DIMS: u32 = 32u;
const NONE: u32 = 0xffffffffu;

var<workgroup> tile: array<f32, 2048>; // TILE * TILE_DIMS
var<private> own: array<f32, 32>; // TILE_DIMS

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

// Whether candidates go through workgroup memory (uniform across the dispatch).
fn tiled() -> bool {
    return params.d <= TILE_DIMS;
}

// Copies the query row into private memory (tiled path).
fn load_own(i: u32) {
    if (i == NONE) {
        return;
    }
    for (var c = 0u; c < params.d; c = c + 1u) {
        own[c] = points[i * params.d + c];
    }
}

// Loads candidates base .. base + TILE into the tile; returns how many there are.
fn load_tile(base: u32, lid: u32) -> u32 {
    let count = min(TILE, params.n - base);
    let values = count * params.d;
    for (var t = lid; t < values; t = t + WORKGROUP) {
        tile[t] = points[base * params.d + t];
    }
    return count;
}

// Squared distance from the query row (in `own`) to tile entry jj.
fn tile_distance(jj: u32) -> f32 {
    var acc = 0.0;
    let b = jj * params.d;
    if (params.manhattan != 0u) {
        for (var c = 0u; c < params.d; c = c + 1u) {
            acc = acc + abs(own[c] - tile[b + c]);
        }
        return acc * acc;
    }
    for (var c = 0u; c < params.d; c = c + 1u) {
        let diff = own[c] - tile[b + c];
        acc = acc + diff * diff;
    }
    return acc;
}

// Squared distance between rows i and j, read from the storage buffer (wide rows).
fn squared_distance(i: u32, j: u32) -> f32 {
    var acc = 0.0;
    let a = i * params.d;
    let b = j * params.d;
    if (params.manhattan != 0u) {
        for (var c = 0u; c < params.d; c = c + 1u) {
            acc = acc + abs(points[a + c] - points[b + c]);
        }
        return acc * acc;
    }
    for (var c = 0u; c < params.d; c = c + 1u) {
        let diff = points[a + c] - points[b + c];
        acc = acc + diff * diff;
    }
    return acc;
}
