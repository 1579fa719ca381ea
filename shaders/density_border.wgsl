// DBSCAN border points: a point without a label takes the smallest label among labelled
// (core) points within radius; labelled points keep theirs.

@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> labels_out: array<u32>;

@compute @workgroup_size(64)
fn border(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = query_index(gid);
    if (i == NONE) {
        return;
    }
    let own = labels[i];
    if (own != NONE) {
        labels_out[i] = own;
        return;
    }
    var found = NONE;
    for (var j = 0u; j < params.n; j = j + 1u) {
        let label = labels[j];
        if (label >= found || j == i) {
            continue;
        }
        if (squared_distance(i, j) <= params.radius_sq) {
            found = label;
        }
    }
    labels_out[i] = found;
}
