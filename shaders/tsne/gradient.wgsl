// One iteration of Barnes–Hut t-SNE (van der Maaten 2014; the optimiser of scikit-learn's
// `_gradient_descent`), in three passes:
// - `forces`: per row, the attraction Σ p_ij q̃_ij (y_i − y_j) over its affinities, and the
//   repulsion Σ q̃_ij² (y_i − y_j) with Z_i = Σ q̃_ij by a stackless walk of the quadtree
//   (a node far enough — width² < θ²·distance² — counts as its mass at its centre; leaf
//   points one by one, the row itself left out), q̃ = 1 / (1 + d²);
// - `sum`: Z = Σ Z_i by one workgroup, in a fixed order;
// - `update`: the gradient 4 (exaggeration · attraction − repulsion / Z), the gains
//   (+0.2 where the step changes sign, ×0.8 elsewhere, at least min_gain), momentum.
// CPU twin: src/projection/tsne/cpu.rs (same names, same loops, same sums).

const WORKGROUP: u32 = 256u;
const NONE: u32 = 0xffffffffu;

// Keep in sync with `GradientUniforms` in src/projection/tsne/gpu.rs.
struct Params {
    n_rows: u32,
    groups_x: u32,
    theta2: f32,
    exaggeration: f32,
    momentum: f32,
    learning_rate: f32,
    min_gain: f32,
    _pad: f32,
}

// Keep in sync with `TreeNode` in src/projection/tsne/quadtree.rs.
struct Node {
    centre: vec2<f32>,
    mass: f32,
    width: f32,
    first: u32,
    count: u32,
    next: u32,
    _pad: u32,
}

// Keep in sync with `LeafPoint` in src/projection/tsne/quadtree.rs.
struct LeafPoint {
    position: vec2<f32>,
    row: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> nodes: array<Node>;
@group(0) @binding(2) var<storage, read> leaf_points: array<LeafPoint>;
@group(0) @binding(3) var<storage, read_write> positions: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read> row_starts: array<u32>;
@group(0) @binding(5) var<storage, read> columns: array<u32>;
@group(0) @binding(6) var<storage, read> affinities: array<f32>;
// Per row: attraction (xy) and repulsion (zw).
@group(0) @binding(7) var<storage, read_write> forces_out: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> z_rows: array<f32>;
@group(0) @binding(9) var<storage, read_write> z_total: array<f32>;
@group(0) @binding(10) var<storage, read_write> gains: array<vec2<f32>>;
@group(0) @binding(11) var<storage, read_write> updates: array<vec2<f32>>;

var<workgroup> partial: array<f32, WORKGROUP>;

// Written out rather than `dot`, in the twin's order (a driver may fuse `dot`).
fn squared(d: vec2<f32>) -> f32 {
    return d.x * d.x + d.y * d.y;
}

fn row_index(group: vec3<u32>, local: u32) -> u32 {
    return (group.y * params.groups_x + group.x) * WORKGROUP + local;
}

@compute @workgroup_size(WORKGROUP)
fn forces(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) local: u32) {
    let row = row_index(group, local);
    if (row >= params.n_rows) {
        return;
    }
    let y = positions[row];
    var attraction = vec2<f32>(0.0);
    for (var e = row_starts[row]; e < row_starts[row + 1u]; e += 1u) {
        let d = y - positions[columns[e]];
        let q = 1.0 / (1.0 + squared(d));
        attraction += affinities[e] * q * d;
    }
    var repulsion = vec2<f32>(0.0);
    var z = 0.0;
    var node = 0u;
    loop {
        if (node == NONE) {
            break;
        }
        let n = nodes[node];
        if (n.count > 0u) {
            for (var p = n.first; p < n.first + n.count; p += 1u) {
                let point = leaf_points[p];
                if (point.row == row) {
                    continue;
                }
                let d = y - point.position;
                let q = 1.0 / (1.0 + squared(d));
                z += q;
                repulsion += q * q * d;
            }
            node = n.next;
            continue;
        }
        let d = y - n.centre;
        let dist2 = squared(d);
        if (n.width * n.width < params.theta2 * dist2) {
            let q = 1.0 / (1.0 + dist2);
            z += n.mass * q;
            repulsion += n.mass * q * q * d;
            node = n.next;
        } else {
            node = n.first;
        }
    }
    forces_out[row] = vec4<f32>(attraction, repulsion);
    z_rows[row] = z;
}

@compute @workgroup_size(WORKGROUP)
fn sum(@builtin(local_invocation_index) local: u32) {
    var total = 0.0;
    for (var i = local; i < params.n_rows; i += WORKGROUP) {
        total += z_rows[i];
    }
    partial[local] = total;
    workgroupBarrier();
    for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
        if (local < stride) {
            partial[local] += partial[local + stride];
        }
        workgroupBarrier();
    }
    if (local == 0u) {
        z_total[0] = partial[0];
    }
}

@compute @workgroup_size(WORKGROUP)
fn update(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) local: u32) {
    let row = row_index(group, local);
    if (row >= params.n_rows) {
        return;
    }
    let f = forces_out[row];
    let z = max(z_total[0], 1e-12);
    let gradient = 4.0 * (params.exaggeration * f.xy - f.zw / z);
    var gain = gains[row];
    var step = updates[row];
    for (var a = 0u; a < 2u; a += 1u) {
        if (step[a] * gradient[a] < 0.0) {
            gain[a] = gain[a] + 0.2;
        } else {
            gain[a] = gain[a] * 0.8;
        }
        gain[a] = max(gain[a], params.min_gain);
        step[a] = params.momentum * step[a] - params.learning_rate * (gradient[a] * gain[a]);
    }
    gains[row] = gain;
    updates[row] = step;
    positions[row] = positions[row] + step;
}
