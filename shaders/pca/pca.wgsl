// PCA for the scatter view at scale: column sums and the centred covariance by tiled
// reduction (each workgroup owns a contiguous tile of rows and writes one partial per
// entry; the CPU adds the partials in f64), then the projection of every row onto two
// components, written straight into the positions buffer the point renderer draws.

struct Params {
    n_rows: u32,
    dims: u32,
    rows_per_group: u32,
    groups_x: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> points: array<f32>;
// Column means (centring), then for `project` two components: [mean | a | b].
@group(0) @binding(2) var<storage, read> vectors: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;
@group(0) @binding(4) var<storage, read_write> projected: array<vec2<f32>>;

const WORKGROUP: u32 = 64u;

fn tile(group: vec3<u32>) -> vec2<u32> {
    let g = group.y * params.groups_x + group.x;
    let start = min(g * params.rows_per_group, params.n_rows);
    let end = min(start + params.rows_per_group, params.n_rows);
    return vec2<u32>(start, end);
}

@compute @workgroup_size(WORKGROUP)
fn column_sums(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) local: u32) {
    let g = group.y * params.groups_x + group.x;
    let rows = tile(group);
    let d = params.dims;
    for (var j = local; j < d; j += WORKGROUP) {
        var acc = 0.0;
        for (var r = rows.x; r < rows.y; r++) {
            acc = acc + points[r * d + j];
        }
        partials[g * d + j] = acc;
    }
}

// Entry (i, j) of the upper triangle, i <= j, flattened as i * d + j.
@compute @workgroup_size(WORKGROUP)
fn covariance(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) local: u32) {
    let g = group.y * params.groups_x + group.x;
    let rows = tile(group);
    let d = params.dims;
    for (var entry = local; entry < d * d; entry += WORKGROUP) {
        let i = entry / d;
        let j = entry % d;
        var acc = 0.0;
        if i <= j {
            let mi = vectors[i];
            let mj = vectors[j];
            for (var r = rows.x; r < rows.y; r++) {
                acc = acc + (points[r * d + i] - mi) * (points[r * d + j] - mj);
            }
        }
        partials[g * d * d + entry] = acc;
    }
}

@compute @workgroup_size(WORKGROUP)
fn project(@builtin(global_invocation_id) id: vec3<u32>) {
    let r = id.y * params.groups_x * WORKGROUP + id.x;
    if r >= params.n_rows {
        return;
    }
    let d = params.dims;
    var x = 0.0;
    var y = 0.0;
    for (var j = 0u; j < d; j++) {
        let v = points[r * d + j] - vectors[j];
        x = x + v * vectors[d + j];
        y = y + v * vectors[2u * d + j];
    }
    projected[r] = vec2<f32>(x, y);
}
