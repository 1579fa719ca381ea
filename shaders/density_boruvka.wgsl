// One Borůvka search: for each point, the nearest point of another component under the
// squared mutual reachability distance max(core_i, core_j, d²), lowest index on ties.

@group(0) @binding(2) var<storage, read> core: array<f32>;
@group(0) @binding(3) var<storage, read> component: array<u32>;
// (weight bits, other point) per point; other = NONE when every point is in its component.
@group(0) @binding(4) var<storage, read_write> best_out: array<vec2<u32>>;

@compute @workgroup_size(64)
fn boruvka(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = query_index(gid);
    if (i == NONE) {
        return;
    }
    let own = component[i];
    let own_core = core[i];
    var best_weight = infinity();
    var best_other = NONE;
    for (var j = 0u; j < params.n; j = j + 1u) {
        if (component[j] == own) {
            continue;
        }
        let weight = max(max(squared_distance(i, j), own_core), core[j]);
        if (weight < best_weight || (weight == best_weight && j < best_other)) {
            best_weight = weight;
            best_other = j;
        }
    }
    best_out[i] = vec2<u32>(bitcast<u32>(best_weight), best_other);
}
