// Core distances: squared distance to the k-th nearest other point (k ≤ 64).

const MAX_K: u32 = 64u;

@group(0) @binding(2) var<storage, read_write> core_out: array<f32>;

@compute @workgroup_size(64)
fn knn(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = query_index(gid);
    if (i == NONE) {
        return;
    }
    let k = params.k;
    // The k smallest distances so far, ascending.
    var best: array<f32, MAX_K>;
    for (var s = 0u; s < k; s = s + 1u) {
        best[s] = infinity();
    }
    for (var j = 0u; j < params.n; j = j + 1u) {
        if (j == i) {
            continue;
        }
        let dist = squared_distance(i, j);
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
    core_out[i] = best[k - 1u];
}
