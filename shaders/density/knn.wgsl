// Core distances: squared distance to the k-th nearest other point (k ≤ 64).

const MAX_K: u32 = 64u;

@group(0) @binding(2) var<storage, read_write> core_out: array<f32>;

var<private> best: array<f32, MAX_K>;

// Keeps the k smallest distances, ascending.
fn offer(dist: f32) {
    let k = params.k;
    if (dist < best[k - 1u]) {
        var s = k - 1u;
        loop {
            if (s == 0u || best[s - 1u] <= dist) {
                break;
            }
            best[s] = best[s - 1u];
            s = s - 1u;
        }
        best[s] = dist;
    }
}

@compute @workgroup_size(WORKGROUP)
fn knn(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = query_index(gid);
    let has_query = i != NONE;
    for (var s = 0u; s < params.k; s = s + 1u) {
        best[s] = infinity();
    }
    if (tiled()) {
        load_own(i);
        for (var base = 0u; base < params.n; base = base + TILE) {
            let count = load_tile(base, lid);
            workgroupBarrier();
            if (has_query) {
                for (var jj = 0u; jj < count; jj = jj + 1u) {
                    if (base + jj != i) {
                        offer(tile_distance(jj));
                    }
                }
            }
            workgroupBarrier();
        }
    } else if (has_query) {
        for (var j = 0u; j < params.n; j = j + 1u) {
            if (j != i) {
                offer(squared_distance(i, j));
            }
        }
    }
    if (has_query) {
        core_out[i] = best[params.k - 1u];
    }
}
