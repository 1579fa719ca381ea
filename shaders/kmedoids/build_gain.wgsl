// PAM's BUILD step: for each candidate row j, how the loss changes if j becomes the next
// medoid (for the first medoid: the sum of its distances to every other point). The twin
// of `build_gain` in src/cluster/kmedoids/cpu.rs; points in index order.

// Each point's distance to its nearest medoid so far (unused for the first medoid).
@group(0) @binding(2) var<storage, read> near: array<f32>;
// The change per candidate of this dispatch.
@group(0) @binding(3) var<storage, read_write> gain_out: array<f32>;

var<private> gain: f32;

fn offer(j: u32, o: u32, dist: f32) {
    if (o == j) {
        return;
    }
    if (params.first_medoid == 1u) {
        gain = gain + dist;
    } else if (dist < near[o]) {
        gain = gain + (dist - near[o]);
    }
}

@compute @workgroup_size(WORKGROUP)
fn build_gain(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let j = item_index(gid);
    let has_candidate = j != NONE;
    gain = 0.0;
    if (has_candidate && params.first_medoid == 0u) {
        gain = -near[j];
    }
    if (tiled()) {
        load_own(j);
        for (var base = 0u; base < params.n; base = base + TILE) {
            let count = load_tile(base, lid);
            workgroupBarrier();
            if (has_candidate) {
                for (var oo = 0u; oo < count; oo = oo + 1u) {
                    offer(j, base + oo, tile_distance(oo));
                }
            }
            workgroupBarrier();
        }
    } else if (has_candidate) {
        for (var o = 0u; o < params.n; o = o + 1u) {
            offer(j, o, row_distance(j, o));
        }
    }
    if (has_candidate) {
        gain_out[out_index(j)] = gain;
    }
}
