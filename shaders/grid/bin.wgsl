// One pass over the rows: each row's grid cell, and per cell the count and, per axis, the
// whole-number sums of the 16-bit step within the cell and of its square (64-bit, as two
// u32 words with the carry added by hand) and the min and max coordinate (as ordered
// u32 keys). Whole numbers make the sums independent of the order the atomics land in.
// CPU twin: `bin_cpu` in src/cluster/grid/binning.rs.

const WORKGROUP: u32 = 256u;
const STEPS: u32 = 65536u;

// Keep in sync with `BinUniforms` in src/cluster/grid/gpu.rs.
struct Params {
    n_rows: u32,
    first_row: u32,
    axes: u32,
    groups_x: u32,
    stats: u32,
    cells0: u32,
    cells1: u32,
    cells2: u32,
    lo0: f32,
    lo1: f32,
    lo2: f32,
    _pad0: u32,
    scale0: f32,
    scale1: f32,
    scale2: f32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> coordinates: array<f32>;
@group(0) @binding(2) var<storage, read_write> cell_of_row: array<u32>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;
// Per cell and axis: steps (low, high), squared steps (low, high).
@group(0) @binding(4) var<storage, read_write> sums: array<atomic<u32>>;
// Per cell and axis: the min key, the max key.
@group(0) @binding(5) var<storage, read_write> extrema: array<atomic<u32>>;

fn add64(index: u32, value: u32) {
    let before = atomicAdd(&sums[index], value);
    if (before + value < before) {
        atomicAdd(&sums[index + 1u], 1u);
    }
}

// f32 bits mapped so that unsigned order is float order.
fn order_key(x: f32) -> u32 {
    let bits = bitcast<u32>(x);
    if ((bits & 0x80000000u) != 0u) {
        return ~bits;
    }
    return bits | 0x80000000u;
}

fn axis_cells(a: u32) -> u32 {
    if (a == 0u) { return params.cells0; }
    if (a == 1u) { return params.cells1; }
    return params.cells2;
}

fn axis_lo(a: u32) -> f32 {
    if (a == 0u) { return params.lo0; }
    if (a == 1u) { return params.lo1; }
    return params.lo2;
}

fn axis_scale(a: u32) -> f32 {
    if (a == 0u) { return params.scale0; }
    if (a == 1u) { return params.scale1; }
    return params.scale2;
}

@compute @workgroup_size(WORKGROUP)
fn bin(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) local: u32) {
    let i = (group.y * params.groups_x + group.x) * WORKGROUP + local;
    if (i >= params.n_rows) {
        return;
    }
    let row = params.first_row + i;
    var flat = 0u;
    var stride = 1u;
    var steps: array<u32, 3>;
    for (var a = 0u; a < params.axes; a++) {
        let x = coordinates[row * params.axes + a];
        let t = (x - axis_lo(a)) * axis_scale(a);
        let top = axis_cells(a) * STEPS - 1u;
        var p = 0u;
        if (t > 0.0) {
            p = min(u32(floor(t)), top);
        }
        flat += (p / STEPS) * stride;
        stride *= axis_cells(a);
        steps[a] = p % STEPS;
    }
    cell_of_row[row] = flat;
    atomicAdd(&counts[flat], 1u);
    if (params.stats == 0u) {
        return;
    }
    for (var a = 0u; a < params.axes; a++) {
        let k = flat * params.axes + a;
        let s = steps[a];
        add64(k * 4u, s);
        add64(k * 4u + 2u, s * s);
        let key = order_key(coordinates[row * params.axes + a]);
        atomicMin(&extrema[k * 2u], key);
        atomicMax(&extrema[k * 2u + 1u], key);
    }
}
