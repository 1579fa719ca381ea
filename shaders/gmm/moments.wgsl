// The M-step's sums of a Gaussian mixture: per block of rows, for every component c and
// feature f, the sum over the block of resp[row, c] * phi_f(x' of row), where x' = x - shift
// (the column means) and phi_f is 1, x'_a or x'_a x'_b. One workgroup per block; each
// thread owns a strided set of (c, f) pairs and accumulates them over the block's rows,
// staged through workgroup memory a tile at a time. The blocks' f32 partial sums are added
// on the host in f64, so no sum in f32 runs over more than ROWS_PER_GROUP rows.
// CPU twin: `moments` in src/cluster/gmm/blocked.rs.

const WORKGROUP: u32 = 64u;
// Keep in sync with MOMENT_ROWS_PER_GROUP, MAX_MOMENT_PAIRS and MAX_GPU_DIMS / MAX_GPU_COMPONENTS
// in src/cluster/gmm/gpu.rs.
const ROWS_PER_GROUP: u32 = 512u;
const TILE: u32 = 32u;
const MAX_DIMS: u32 = 64u;
const MAX_COMPONENTS: u32 = 64u;
const PAIRS_PER_THREAD: u32 = 64u;
// A feature factor that is the constant 1.
const ONE: u32 = 0xffffffffu;

// Keep in sync with `MomentUniforms` in src/cluster/gmm/gpu.rs.
struct Params {
    dims: u32,
    k: u32,
    // Features per component; pairs = k * features.
    features: u32,
    // First row of the slice; resp is indexed from it.
    first_row: u32,
    // Rows in the slice.
    count: u32,
    // The first block of this dispatch, within the slice.
    first_group: u32,
    groups_x: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> points: array<f32>;
@group(0) @binding(2) var<storage, read> shift: array<f32>;
@group(0) @binding(3) var<storage, read> resp: array<f32>;
// Per feature: the two columns it multiplies (ONE for the constant).
@group(0) @binding(4) var<storage, read> feature_columns: array<vec2<u32>>;
// Per block, k * features sums, pair p = c * features + f.
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;

var<workgroup> tile_x: array<f32, 2048>; // TILE * MAX_DIMS
var<workgroup> tile_r: array<f32, 2048>; // TILE * MAX_COMPONENTS

fn factor(column: u32, row: u32) -> f32 {
    if (column == ONE) {
        return 1.0;
    }
    return tile_x[row * params.dims + column];
}

@compute @workgroup_size(WORKGROUP)
fn moments(
    @builtin(workgroup_id) group_id: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let block = params.first_group + group_id.y * params.groups_x + group_id.x;
    let d = params.dims;
    let k = params.k;
    let pairs = k * params.features;
    var acc: array<f32, 64>; // PAIRS_PER_THREAD
    for (var i = 0u; i < PAIRS_PER_THREAD; i++) {
        acc[i] = 0.0;
    }
    let block_first = block * ROWS_PER_GROUP;
    let block_end = min(block_first + ROWS_PER_GROUP, params.count);
    // Every thread runs every barrier: the loop bounds are uniform over the workgroup.
    for (var tile_first = block_first; tile_first < block_first + ROWS_PER_GROUP; tile_first += TILE) {
        let rows = min(TILE, max(block_end, tile_first) - tile_first);
        for (var i = local; i < rows * d; i += WORKGROUP) {
            let row = params.first_row + tile_first + i / d;
            let j = i % d;
            tile_x[i] = points[row * d + j] - shift[j];
        }
        for (var i = local; i < rows * k; i += WORKGROUP) {
            tile_r[i] = resp[tile_first * k + i];
        }
        workgroupBarrier();
        var slot = 0u;
        for (var p = local; p < pairs; p += WORKGROUP) {
            let c = p / params.features;
            let columns = feature_columns[p % params.features];
            var sum = 0.0;
            for (var r = 0u; r < rows; r++) {
                sum = fma(tile_r[r * k + c], factor(columns.x, r) * factor(columns.y, r), sum);
            }
            acc[slot] += sum;
            slot++;
        }
        workgroupBarrier();
    }
    var slot = 0u;
    for (var p = local; p < pairs; p += WORKGROUP) {
        partials[block * pairs + p] = acc[slot];
        slot++;
    }
}
