// DBSCAN border points: a point without a label takes the smallest label among labelled
// (core) points within radius; labelled points keep theirs.

@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> labels_out: array<u32>;

@compute @workgroup_size(WORKGROUP)
fn border(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = query_index(gid);
    var own_label = NONE;
    if (i != NONE) {
        own_label = labels[i];
    }
    // Only unlabelled points search; every invocation still joins the tile barriers.
    let searching = i != NONE && own_label == NONE;
    var found = NONE;
    if (tiled()) {
        load_own(i);
        for (var base = 0u; base < params.n; base = base + TILE) {
            let count = load_tile(base, lid);
            workgroupBarrier();
            if (searching) {
                for (var jj = 0u; jj < count; jj = jj + 1u) {
                    let j = base + jj;
                    let label = labels[j];
                    if (label < found && j != i && tile_distance(jj) <= params.radius_sq) {
                        found = label;
                    }
                }
            }
            workgroupBarrier();
        }
    } else if (searching) {
        for (var j = 0u; j < params.n; j = j + 1u) {
            let label = labels[j];
            if (label < found && j != i && squared_distance(i, j) <= params.radius_sq) {
                found = label;
            }
        }
    }
    if (i != NONE) {
        labels_out[i] = select(found, own_label, own_label != NONE);
    }
}
