// One mean-shift step for a batch of seeds: each invocation takes one seed and sums, over
// every row within the bandwidth (inclusive), the row's offset from the seed, staging rows
// through workgroup memory in tiles shared by the workgroup's seeds. Offsets rather than
// coordinates keep the f32 sums small. CPU twin: `climb` in src/cluster/meanshift/mod.rs
// (the k-d tree's `sum_within`).

const WORKGROUP: u32 = 64u;
// Keep in sync with MAX_GPU_DIMS in src/cluster/meanshift/gpu.rs.
const MAX_DIMS: u32 = 16u;
const TILE_ROWS: u32 = 64u;

// Keep in sync with `ShiftUniforms` in src/cluster/meanshift/gpu.rs.
struct Params {
    n_rows: u32,
    dims: u32,
    count: u32,
    groups_x: u32,
    radius_sq: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> points: array<f32>;
@group(0) @binding(2) var<storage, read> seeds: array<f32>;
// Per seed: dims offset sums, then the count of rows within.
@group(0) @binding(3) var<storage, read_write> sums: array<f32>;

var<workgroup> tile: array<f32, 1024>; // TILE_ROWS * MAX_DIMS

@compute @workgroup_size(WORKGROUP)
fn shift(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let seed = (group.y * params.groups_x + group.x) * WORKGROUP + local;
    let in_range = seed < params.count;
    let d = params.dims;
    var centre: array<f32, 16>;
    var total: array<f32, 16>;
    if (in_range) {
        for (var j = 0u; j < d; j++) {
            centre[j] = seeds[seed * d + j];
        }
    }
    var within = 0u;
    for (var r0 = 0u; r0 < params.n_rows; r0 += TILE_ROWS) {
        workgroupBarrier();
        for (var s = local; s < TILE_ROWS * d; s += WORKGROUP) {
            let row = r0 + s / d;
            var value = 0.0;
            if (row < params.n_rows) {
                value = points[row * d + s % d];
            }
            tile[s] = value;
        }
        workgroupBarrier();
        if (in_range) {
            let rows = min(TILE_ROWS, params.n_rows - r0);
            for (var t = 0u; t < rows; t++) {
                var distance = 0.0;
                for (var j = 0u; j < d; j++) {
                    let diff = tile[t * d + j] - centre[j];
                    distance = fma(diff, diff, distance);
                }
                if (distance <= params.radius_sq) {
                    within += 1u;
                    for (var j = 0u; j < d; j++) {
                        total[j] += tile[t * d + j] - centre[j];
                    }
                }
            }
        }
    }
    if (in_range) {
        for (var j = 0u; j < d; j++) {
            sums[seed * (d + 1u) + j] = total[j];
        }
        sums[seed * (d + 1u) + d] = f32(within);
    }
}
