// Isolation forest scores: one invocation per row walks every tree (nodes of all trees in
// one array: split feature or LEAF, threshold or the leaf's path length as f32 bits, the
// two children) and turns the mean path length into 2^(-mean / c(sample size)).
// CPU twin: `Forest::score` in src/outliers/iforest/mod.rs.

const WORKGROUP: u32 = 64u;
const NONE: u32 = 0xffffffffu;
const LEAF: u32 = 0xffffffffu;

// Keep in sync with `ForestUniforms` in src/outliers/iforest/gpu.rs.
struct Params {
    n: u32,
    d: u32,
    trees: u32,
    first: u32,
    count: u32,
    groups_x: u32,
    normaliser: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> points: array<f32>;
@group(0) @binding(2) var<storage, read> nodes: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> roots: array<u32>;
@group(0) @binding(4) var<storage, read_write> scores: array<f32>;

@compute @workgroup_size(WORKGROUP)
fn score(@builtin(global_invocation_id) gid: vec3<u32>) {
    let local = gid.x + gid.y * params.groups_x * WORKGROUP;
    if (local >= params.count) {
        return;
    }
    let row = params.first + local;
    let base = row * params.d;
    var total = 0.0;
    for (var t = 0u; t < params.trees; t++) {
        var node = nodes[roots[t]];
        loop {
            if (node.x == LEAF) {
                break;
            }
            if (points[base + node.x] <= bitcast<f32>(node.y)) {
                node = nodes[node.z];
            } else {
                node = nodes[node.w];
            }
        }
        total += bitcast<f32>(node.y);
    }
    scores[row] = exp2(-(total / f32(params.trees)) / params.normaliser);
}
