// Centroid update and shift: each invocation moves one non-empty centroid to the mean of
// its points (unit length for spherical k-means), and records its squared movement and new ‖c‖². Empty clusters keep their
// centroid (the host re-seeds them). CPU twin: `finalize` in src/cluster/kmeans/cpu.rs.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> sums: array<f32>;
@group(0) @binding(2) var<storage, read> counts: array<u32>;
@group(0) @binding(3) var<storage, read_write> centroids: array<f32>;
@group(0) @binding(4) var<storage, read_write> centroid_norms: array<f32>;
@group(0) @binding(5) var<storage, read_write> shift: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn finalize(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let c = (group.y * params.groups_x + group.x) * WORKGROUP_SIZE + local;
    if (c >= params.n_clusters) {
        return;
    }
    let count = counts[c];
    if (count == 0u) {
        shift[c] = 0.0;
        return;
    }
    let d = params.dims;
    // Spherical k-means (cosine distance): the mean scaled to unit length.
    var scale = 1.0;
    if (params.spherical != 0u) {
        var length = 0.0;
        for (var j = 0u; j < d; j++) {
            let mean = sums[c * d + j] / f32(count);
            length = fma(mean, mean, length);
        }
        if (length > 0.0) {
            scale = 1.0 / sqrt(length);
        }
    }
    var moved = 0.0;
    var norm = 0.0;
    for (var j = 0u; j < d; j++) {
        let updated = sums[c * d + j] / f32(count) * scale;
        let delta = updated - centroids[c * d + j];
        // Explicit fma: the CPU twin uses mul_add, so both round the same way.
        moved = fma(delta, delta, moved);
        norm = fma(updated, updated, norm);
        centroids[c * d + j] = updated;
    }
    shift[c] = moved;
    centroid_norms[c] = norm;
}
