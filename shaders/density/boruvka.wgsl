// One Borůvka search: for each point, the nearest point of another component under the
// squared mutual reachability distance max(core_i, core_j, d²), lowest index on ties.

@group(0) @binding(2) var<storage, read> core: array<f32>;
@group(0) @binding(3) var<storage, read> component: array<u32>;
// (weight bits, other point) per point; other = NONE when every point is in its component.
@group(0) @binding(4) var<storage, read_write> best_out: array<vec2<u32>>;

var<private> best_weight: f32;
var<private> best_other: u32;

fn offer(j: u32, dist: f32, own_core: f32) {
    let weight = max(max(dist, own_core), core[j]);
    if (weight < best_weight || (weight == best_weight && j < best_other)) {
        best_weight = weight;
        best_other = j;
    }
}

@compute @workgroup_size(WORKGROUP)
fn boruvka(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = query_index(gid);
    let has_query = i != NONE;
    var own_component = NONE;
    var own_core = 0.0;
    if (has_query) {
        own_component = component[i];
        own_core = core[i];
    }
    best_weight = infinity();
    best_other = NONE;
    if (tiled()) {
        load_own(i);
        for (var base = 0u; base < params.n; base = base + TILE) {
            let count = load_tile(base, lid);
            workgroupBarrier();
            if (has_query) {
                for (var jj = 0u; jj < count; jj = jj + 1u) {
                    let j = base + jj;
                    if (component[j] != own_component) {
                        offer(j, tile_distance(jj), own_core);
                    }
                }
            }
            workgroupBarrier();
        }
    } else if (has_query) {
        for (var j = 0u; j < params.n; j = j + 1u) {
            if (component[j] != own_component) {
                offer(j, squared_distance(i, j), own_core);
            }
        }
    }
    if (has_query) {
        best_out[i] = vec2<u32>(bitcast<u32>(best_weight), best_other);
    }
}
