// SLIC superpixels, pixel-centric (gSLICr). Twin of src/segment/slic.rs: the same candidate
// order, the same f32 operations in the same order, so labels equal the CPU's.

struct Params {
    width: u32,
    height: u32,
    nx: u32,
    ny: u32,
    d: u32,
    groups_x: u32,
    n_clusters: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> features: array<f32>;
@group(0) @binding(2) var<storage, read> centres: array<f32>;
@group(0) @binding(3) var<storage, read_write> labels: array<u32>;
@group(0) @binding(4) var<storage, read_write> sums: array<f32>;
@group(0) @binding(5) var<storage, read_write> counts: array<u32>;

const ASSIGN_GROUP: u32 = 256u;
const LANES: u32 = 64u;
const MAX_FEATURES: u32 = 8u;
const NONE: u32 = 0xffffffffu;

fn cell(coordinate: u32, cells: u32, side: u32) -> u32 {
    return (coordinate * cells) / side;
}

// First pixel whose cell is at least `c`: ceil(c * side / cells).
fn first_pixel(c: u32, cells: u32, side: u32) -> u32 {
    return (c * side + cells - 1u) / cells;
}

fn window_start(c: u32, cells: u32, side: u32) -> u32 {
    if (c == 0u) {
        return 0u;
    }
    return first_pixel(c - 1u, cells, side);
}

fn window_end(c: u32, cells: u32, side: u32) -> u32 {
    if (c + 2u >= cells) {
        return side;
    }
    return first_pixel(c + 2u, cells, side);
}

@compute @workgroup_size(ASSIGN_GROUP)
fn assign(@builtin(global_invocation_id) gid: vec3<u32>) {
    let p = gid.x + gid.y * params.groups_x * ASSIGN_GROUP;
    if (p >= params.width * params.height) {
        return;
    }
    let d = params.d;
    let x = p % params.width;
    let y = p / params.width;
    let cx = i32(cell(x, params.nx, params.width));
    let cy = i32(cell(y, params.ny, params.height));
    var best = NONE;
    var best_distance = 0.0;
    for (var gy = max(cy - 1, 0); gy <= min(cy + 1, i32(params.ny) - 1); gy++) {
        for (var gx = max(cx - 1, 0); gx <= min(cx + 1, i32(params.nx) - 1); gx++) {
            let c = u32(gy) * params.nx + u32(gx);
            var acc = 0.0;
            for (var j = 0u; j < d; j++) {
                let diff = features[p * d + j] - centres[c * d + j];
                acc = acc + diff * diff;
            }
            if (best == NONE || acc < best_distance) {
                best = c;
                best_distance = acc;
            }
        }
    }
    labels[p] = best;
}

var<workgroup> lane_sums: array<f32, 512>; // LANES * MAX_FEATURES
var<workgroup> lane_counts: array<u32, 64>;

// One workgroup per centre: lane t sums rows y0 + t, y0 + t + 64, ... of the centre's
// window left to right; lane 0 then adds the 64 lane totals in lane order.
@compute @workgroup_size(LANES)
fn centre_sums(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
) {
    let c = wid.x + wid.y * params.groups_x;
    if (c >= params.n_clusters) {
        return;
    }
    let d = params.d;
    let cx = c % params.nx;
    let cy = c / params.nx;
    let x0 = window_start(cx, params.nx, params.width);
    let x1 = window_end(cx, params.nx, params.width);
    let y0 = window_start(cy, params.ny, params.height);
    let y1 = window_end(cy, params.ny, params.height);
    var acc: array<f32, 8>;
    for (var j = 0u; j < MAX_FEATURES; j++) {
        acc[j] = 0.0;
    }
    var count = 0u;
    for (var y = y0 + lane; y < y1; y += LANES) {
        for (var x = x0; x < x1; x++) {
            let p = y * params.width + x;
            if (labels[p] == c) {
                count += 1u;
                for (var j = 0u; j < d; j++) {
                    acc[j] = acc[j] + features[p * d + j];
                }
            }
        }
    }
    for (var j = 0u; j < MAX_FEATURES; j++) {
        lane_sums[lane * MAX_FEATURES + j] = acc[j];
    }
    lane_counts[lane] = count;
    workgroupBarrier();
    if (lane == 0u) {
        var total: array<f32, 8>;
        for (var j = 0u; j < MAX_FEATURES; j++) {
            total[j] = 0.0;
        }
        var n = 0u;
        for (var t = 0u; t < LANES; t++) {
            n += lane_counts[t];
            for (var j = 0u; j < d; j++) {
                total[j] = total[j] + lane_sums[t * MAX_FEATURES + j];
            }
        }
        for (var j = 0u; j < d; j++) {
            sums[c * d + j] = total[j];
        }
        counts[c] = n;
    }
}
