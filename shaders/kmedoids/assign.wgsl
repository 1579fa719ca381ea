// Nearest and second-nearest medoid of every point (one invocation per point), the twin of
// `assign` in src/cluster/kmedoids/cpu.rs. Medoids are visited in slot order; a nearer one
// (strictly) takes over, and a point that is itself a medoid is always its own nearest.

// Medoid rows (k × d) and their row indices.
@group(0) @binding(2) var<storage, read> medoid_rows: array<f32>;
@group(0) @binding(3) var<storage, read> medoid_index: array<u32>;
// (nearest slot, nearest distance bits, second slot, second distance bits) per point.
@group(0) @binding(4) var<storage, read_write> nearest_out: array<vec4<u32>>;

fn medoid_distance(o: u32, m: u32) -> f32 {
    var acc = 0.0;
    let a = o * params.d;
    let b = m * params.d;
    for (var c = 0u; c < params.d; c = c + 1u) {
        acc = fold(acc, points[a + c], medoid_rows[b + c]);
    }
    return finish(acc);
}

@compute @workgroup_size(WORKGROUP)
fn assign(@builtin(global_invocation_id) gid: vec3<u32>) {
    let o = item_index(gid);
    if (o == NONE) {
        return;
    }
    var near_i = 0u;
    var near_d = medoid_distance(o, 0u);
    var seco_i = NONE;
    var seco_d = infinity();
    for (var m = 1u; m < params.k; m = m + 1u) {
        let d = medoid_distance(o, m);
        if (d < near_d || o == medoid_index[m]) {
            seco_i = near_i;
            seco_d = near_d;
            near_i = m;
            near_d = d;
        } else if (seco_i == NONE || d < seco_d) {
            seco_i = m;
            seco_d = d;
        }
    }
    nearest_out[o] = vec4<u32>(near_i, bitcast<u32>(near_d), seco_i, bitcast<u32>(seco_d));
}
