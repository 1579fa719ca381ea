// The k nearest other points of each point (k <= 64) as (squared distance, index), nearest
// first, equal distances by index: the order `KdTree::k_nearest` keeps, with the same
// arithmetic, so the CPU and GPU lists are equal. Fewer than k other points leave
// (infinity, NONE) at the end.

const MAX_K: u32 = 64u;

@group(0) @binding(2) var<storage, read_write> distance_out: array<f32>;
@group(0) @binding(3) var<storage, read_write> index_out: array<u32>;

var<private> best_distance: array<f32, MAX_K>;
var<private> best_index: array<u32, MAX_K>;

fn before(d1: f32, i1: u32, d2: f32, i2: u32) -> bool {
    return d1 < d2 || (d1 == d2 && i1 < i2);
}

// Keeps the k smallest (distance, index) pairs, ascending.
fn offer(dist: f32, j: u32) {
    let k = params.k;
    if (before(dist, j, best_distance[k - 1u], best_index[k - 1u])) {
        var s = k - 1u;
        loop {
            if (s == 0u || !before(dist, j, best_distance[s - 1u], best_index[s - 1u])) {
                break;
            }
            best_distance[s] = best_distance[s - 1u];
            best_index[s] = best_index[s - 1u];
            s = s - 1u;
        }
        best_distance[s] = dist;
        best_index[s] = j;
    }
}

@compute @workgroup_size(WORKGROUP)
fn neighbours(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = query_index(gid);
    let has_query = i != NONE;
    for (var s = 0u; s < params.k; s = s + 1u) {
        best_distance[s] = infinity();
        best_index[s] = NONE;
    }
    if (tiled()) {
        load_own(i);
        for (var base = 0u; base < params.n; base = base + TILE) {
            let count = load_tile(base, lid);
            workgroupBarrier();
            if (has_query) {
                for (var jj = 0u; jj < count; jj = jj + 1u) {
                    if (base + jj != i) {
                        offer(tile_distance(jj), base + jj);
                    }
                }
            }
            workgroupBarrier();
        }
    } else if (has_query) {
        for (var j = 0u; j < params.n; j = j + 1u) {
            if (j != i) {
                offer(squared_distance(i, j), j);
            }
        }
    }
    if (has_query) {
        for (var s = 0u; s < params.k; s = s + 1u) {
            distance_out[i * params.k + s] = best_distance[s];
            index_out[i * params.k + s] = best_index[s];
        }
    }
}
