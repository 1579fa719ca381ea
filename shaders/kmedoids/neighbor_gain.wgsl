// CLARANS' neighbour test (Ng & Han): for each (medoid slot, candidate row) pair, how the
// loss changes if the candidate replaces that medoid. The twin of `neighbor_gain` in
// src/cluster/kmedoids/cpu.rs; points in index order.

// (slot, candidate row) per pair of this dispatch, from `first` on.
@group(0) @binding(2) var<storage, read> pairs: array<vec2<u32>>;
// (nearest slot, nearest distance bits, second slot, second distance bits) per point.
@group(0) @binding(3) var<storage, read> nearest: array<vec4<u32>>;
// The change per pair of this dispatch.
@group(0) @binding(4) var<storage, read_write> gain_out: array<f32>;

var<private> gain: f32;

fn offer(removed: u32, o: u32, dist: f32) {
    let rec = nearest[o];
    let near = bitcast<f32>(rec.y);
    if (rec.x == removed) {
        // Its medoid goes: the candidate or its second, whichever is nearer.
        gain = gain + (min(dist, bitcast<f32>(rec.w)) - near);
    } else if (dist < near) {
        gain = gain + (dist - near);
    }
}

@compute @workgroup_size(WORKGROUP)
fn neighbor_gain(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let p = item_index(gid);
    let has_pair = p != NONE;
    var removed = 0u;
    var j = NONE;
    if (has_pair) {
        removed = pairs[p].x;
        j = pairs[p].y;
    }
    gain = 0.0;
    if (tiled()) {
        load_own(j);
        for (var base = 0u; base < params.n; base = base + TILE) {
            let count = load_tile(base, lid);
            workgroupBarrier();
            if (has_pair) {
                for (var oo = 0u; oo < count; oo = oo + 1u) {
                    offer(removed, base + oo, tile_distance(oo));
                }
            }
            workgroupBarrier();
        }
    } else if (has_pair) {
        for (var o = 0u; o < params.n; o = o + 1u) {
            offer(removed, o, row_distance(j, o));
        }
    }
    if (has_pair) {
        gain_out[out_index(p)] = gain;
    }
}
