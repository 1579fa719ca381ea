// One step of the three-term recurrence the spectral eigensolver's Chebyshev filter is
// made of, over a block of b vectors stored row-major (n × b):
//     next = p · S · current + q · current + r · previous,
// S the normalised affinity in compressed rows. One invocation per (row, column) entry of
// the block, so neighbouring invocations read neighbouring values. CPU twin:
// `CpuGraph::recurrence` in src/cluster/spectral/eigen.rs.

const WORKGROUP: u32 = 256u;

// Keep in sync with `StepUniforms` in src/cluster/spectral/gpu.rs.
struct Params {
    n_rows: u32,
    block: u32,
    groups_x: u32,
    _pad0: u32,
    p: f32,
    q: f32,
    r: f32,
    _pad1: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> row_starts: array<u32>;
@group(0) @binding(2) var<storage, read> columns: array<u32>;
@group(0) @binding(3) var<storage, read> weights: array<f32>;
@group(0) @binding(4) var<storage, read> current: array<f32>;
@group(0) @binding(5) var<storage, read> previous: array<f32>;
@group(0) @binding(6) var<storage, read_write> next: array<f32>;

@compute @workgroup_size(WORKGROUP)
fn step(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let entry = (group.y * params.groups_x + group.x) * WORKGROUP + local;
    let b = params.block;
    if (entry >= params.n_rows * b) {
        return;
    }
    let row = entry / b;
    let column = entry - row * b;
    var sum = 0.0;
    for (var e = row_starts[row]; e < row_starts[row + 1u]; e = e + 1u) {
        sum = sum + weights[e] * current[columns[e] * b + column];
    }
    next[entry] = params.p * sum + params.q * current[entry] + params.r * previous[entry];
}
