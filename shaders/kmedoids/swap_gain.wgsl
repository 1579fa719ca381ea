// FasterPAM's swap scan (Schubert & Rousseeuw 2021): for each candidate row j, the change of
// the loss when j replaces the best medoid to remove, and that medoid's slot. The twin of
// `swap_gain` in src/cluster/kmedoids/cpu.rs. Points are visited grouped by their nearest
// medoid (stable, so ascending within a group): each group's removal loss and shared gain
// stay in registers, whatever k is, and the sums run in the same order on both backends.

// Per slot: the loss of removing that medoid (every point of its group falls back to its
// second nearest), and where its group starts in the sorted order (k + 1 entries).
@group(0) @binding(2) var<storage, read> removal: array<f32>;
@group(0) @binding(3) var<storage, read> group_start: array<u32>;
// Per sorted position: the point, its nearest and second-nearest distances.
@group(0) @binding(4) var<storage, read> order: array<u32>;
@group(0) @binding(5) var<storage, read> near_sorted: array<f32>;
@group(0) @binding(6) var<storage, read> seco_sorted: array<f32>;
// (change bits, slot) per candidate of this dispatch.
@group(0) @binding(7) var<storage, read_write> gain_out: array<vec2<u32>>;

var<workgroup> tile_near: array<f32, 64>; // TILE
var<workgroup> tile_seco: array<f32, 64>;

// The running state of one candidate's scan.
var<private> slot: u32;
var<private> slot_end: u32;
var<private> slot_loss: f32;
var<private> slot_gain: f32;
var<private> shared_gain: f32;
var<private> best_loss: f32;
var<private> best_slot: u32;

// Closes every group that ends at sorted position t (empty groups included).
fn close_groups(t: u32) {
    loop {
        if (slot >= params.k || t != slot_end) {
            break;
        }
        shared_gain = shared_gain + slot_gain;
        if (slot_loss < best_loss) {
            best_loss = slot_loss;
            best_slot = slot;
        }
        slot = slot + 1u;
        if (slot < params.k) {
            slot_loss = removal[slot];
            slot_gain = 0.0;
            slot_end = group_start[slot + 1u];
        }
    }
}

fn visit(dist: f32, near: f32, seco: f32) {
    if (dist < near) {
        // The candidate becomes this point's nearest: a shared gain, and removing its old
        // nearest no longer sends it to its second.
        slot_gain = slot_gain + (dist - near);
        slot_loss = slot_loss + (near - seco);
    } else if (dist < seco) {
        // Removing its nearest would send it to the candidate, not its second.
        slot_loss = slot_loss + (dist - seco);
    }
}

// Loads the rows at sorted positions base .. base + TILE; returns how many there are.
fn load_sorted_tile(base: u32, lid: u32) -> u32 {
    let count = min(TILE, params.n - base);
    let values = count * params.d;
    for (var t = lid; t < values; t = t + WORKGROUP) {
        let row = order[base + t / params.d];
        tile[t] = points[row * params.d + t % params.d];
    }
    if (lid < count) {
        tile_near[lid] = near_sorted[base + lid];
        tile_seco[lid] = seco_sorted[base + lid];
    }
    return count;
}

@compute @workgroup_size(WORKGROUP)
fn swap_gain(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let j = item_index(gid);
    let has_candidate = j != NONE;
    slot = 0u;
    slot_loss = removal[0];
    slot_gain = 0.0;
    slot_end = group_start[1];
    shared_gain = 0.0;
    best_loss = infinity();
    best_slot = 0u;
    if (tiled()) {
        load_own(j);
        for (var base = 0u; base < params.n; base = base + TILE) {
            let count = load_sorted_tile(base, lid);
            workgroupBarrier();
            if (has_candidate) {
                for (var tt = 0u; tt < count; tt = tt + 1u) {
                    close_groups(base + tt);
                    visit(tile_distance(tt), tile_near[tt], tile_seco[tt]);
                }
            }
            workgroupBarrier();
        }
    } else if (has_candidate) {
        for (var t = 0u; t < params.n; t = t + 1u) {
            close_groups(t);
            visit(row_distance(j, order[t]), near_sorted[t], seco_sorted[t]);
        }
    }
    if (has_candidate) {
        close_groups(params.n);
        gain_out[out_index(j)] = vec2<u32>(bitcast<u32>(best_loss + shared_gain), best_slot);
    }
}
