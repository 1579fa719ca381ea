// Shared by the k-medoids passes (prepended by src/cluster/kmedoids/gpu.rs). Distances are
// computed on the fly from the resident points, in the operation order of
// `distance` in src/cluster/kmedoids/distance.rs, so both backends see the same bits:
// Euclidean sqrt(Σ diff * diff), Manhattan Σ abs(diff), cosine max(1 - Σ a * b, 0) on rows
// the host normalised, each sum taken in column order.
//
// Candidate rows are staged through workgroup memory in tiles of TILE rows when rows have at
// most TILE_DIMS columns. Kernels must not return before the tile loop ends: every
// invocation takes part in the barriers.

struct Params {
    n: u32,
    d: u32,
    k: u32,
    // 0 Euclidean, 1 Manhattan, 2 cosine.
    metric: u32,
    // First item (candidate, pair) of this dispatch and how many there are.
    first: u32,
    count: u32,
    // Workgroups along x in this dispatch; more go along y.
    groups_x: u32,
    // build_gain: 1 for the first medoid (no nearest distances yet).
    first_medoid: u32,
    // Where this dispatch's first result goes in the output buffer.
    out_offset: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
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

// Where the result of `item` goes in the output buffer.
fn out_index(item: u32) -> u32 {
    return item - params.first + params.out_offset;
}

// The item of this invocation, or NONE past the end of this dispatch's range.
fn item_index(gid: vec3<u32>) -> u32 {
    let local = gid.x + gid.y * params.groups_x * WORKGROUP;
    if (local >= params.count) {
        return NONE;
    }
    return params.first + local;
}

fn tiled() -> bool {
    return params.d <= TILE_DIMS;
}

// One coordinate pair folded into the running sum.
fn fold(acc: f32, a: f32, b: f32) -> f32 {
    if (params.metric == 1u) {
        return acc + abs(a - b);
    }
    if (params.metric == 2u) {
        return acc + a * b;
    }
    let diff = a - b;
    return acc + diff * diff;
}

// The sum turned into the distance.
fn finish(acc: f32) -> f32 {
    if (params.metric == 1u) {
        return acc;
    }
    if (params.metric == 2u) {
        return max(1.0 - acc, 0.0);
    }
    return sqrt(acc);
}

// Copies row `i` into private memory (tiled path).
fn load_own(i: u32) {
    if (i == NONE) {
        return;
    }
    for (var c = 0u; c < params.d; c = c + 1u) {
        own[c] = points[i * params.d + c];
    }
}

// Distance from the row in `own` to tile entry jj.
fn tile_distance(jj: u32) -> f32 {
    var acc = 0.0;
    let b = jj * params.d;
    for (var c = 0u; c < params.d; c = c + 1u) {
        acc = fold(acc, own[c], tile[b + c]);
    }
    return finish(acc);
}

// Distance between rows i and j, read from the storage buffer (wide rows).
fn row_distance(i: u32, j: u32) -> f32 {
    var acc = 0.0;
    let a = i * params.d;
    let b = j * params.d;
    for (var c = 0u; c < params.d; c = c + 1u) {
        acc = fold(acc, points[a + c], points[b + c]);
    }
    return finish(acc);
}

// Loads rows base .. base + TILE in index order into the tile; returns how many there are.
fn load_tile(base: u32, lid: u32) -> u32 {
    let count = min(TILE, params.n - base);
    let values = count * params.d;
    for (var t = lid; t < values; t = t + WORKGROUP) {
        tile[t] = points[base * params.d + t];
    }
    return count;
}
