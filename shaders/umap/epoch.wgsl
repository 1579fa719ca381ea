// One epoch of UMAP's layout (umap-learn's `optimize_layout_euclidean`), one invocation
// per row: the row walks its own edges in order, moving a private copy of its position —
// pulled along each edge whose sample is due (twice: the edge (j, i) pulls it too in
// umap-learn, which moves both ends of every edge), pushed from negative samples drawn by
// a hash of (seed, epoch, edge, sample) — while every other position is read as it was
// at the start of the epoch. Each row writes only its own position and its own edges'
// schedules, so the result does not depend on the order rows run in.
// CPU twin: src/projection/umap/cpu.rs (same names, same loops).

const WORKGROUP: u32 = 256u;
const CLIP: f32 = 4.0;

// Written out rather than `dot`, in the twin's order (a driver may fuse `dot`).
fn squared(d: vec2<f32>) -> f32 {
    return d.x * d.x + d.y * d.y;
}

// Keep in sync with `EpochUniforms` in src/projection/umap/gpu.rs.
struct Params {
    n_rows: u32,
    groups_x: u32,
    epoch: u32,
    seed: u32,
    alpha: f32,
    a: f32,
    b: f32,
    gamma: f32,
    negative_rate: f32,
    _pad0: f32,
    _pad1: f32,
    _pad2: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> row_starts: array<u32>;
@group(0) @binding(2) var<storage, read> columns: array<u32>;
@group(0) @binding(3) var<storage, read> epochs_per_sample: array<f32>;
@group(0) @binding(4) var<storage, read_write> next_sample: array<f32>;
@group(0) @binding(5) var<storage, read_write> next_negative: array<f32>;
@group(0) @binding(6) var<storage, read> positions: array<vec2<f32>>;
@group(0) @binding(7) var<storage, read_write> moved: array<vec2<f32>>;

// PCG's output permutation of an LCG step (Jarzynski & Olano 2020).
fn hash(x: u32) -> u32 {
    let state = x * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

fn negative_row(edge: u32, sample: u32) -> u32 {
    return hash(hash(hash(params.seed ^ params.epoch) ^ edge) ^ sample) % params.n_rows;
}

fn clip(v: vec2<f32>) -> vec2<f32> {
    return clamp(v, vec2<f32>(-CLIP), vec2<f32>(CLIP));
}

@compute @workgroup_size(WORKGROUP)
fn epoch(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) local: u32) {
    let row = (group.y * params.groups_x + group.x) * WORKGROUP + local;
    if (row >= params.n_rows) {
        return;
    }
    let now = f32(params.epoch);
    let a = params.a;
    let b = params.b;
    var current = positions[row];
    for (var e = row_starts[row]; e < row_starts[row + 1u]; e += 1u) {
        if (next_sample[e] > now) {
            continue;
        }
        let diff = current - positions[columns[e]];
        let d2 = squared(diff);
        if (d2 > 0.0) {
            // d^(2b) once; d^(2(b−1)) is it over d².
            let power = pow(d2, b);
            let coeff = -2.0 * a * b * (power / d2) / (a * power + 1.0);
            current += 2.0 * clip(coeff * diff) * params.alpha;
        }
        next_sample[e] += epochs_per_sample[e];
        let per_negative = epochs_per_sample[e] / params.negative_rate;
        let n_negative = u32(max(floor((now - next_negative[e]) / per_negative), 0.0));
        for (var s = 0u; s < n_negative; s += 1u) {
            let other = negative_row(e, s);
            if (other == row) {
                continue;
            }
            let away = current - positions[other];
            let a2 = squared(away);
            if (a2 > 0.0) {
                let coeff = 2.0 * params.gamma * b / ((0.001 + a2) * (a * pow(a2, b) + 1.0));
                current += clip(coeff * away) * params.alpha;
            }
        }
        next_negative[e] += f32(n_negative) * per_negative;
    }
    moved[row] = current;
}
