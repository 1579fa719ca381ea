// Local reachability density: lrd(p) = 1 / (mean over p's neighbours o of
// max(k-distance(o), d(p, o)) + 1e-10), scikit-learn's definition. CPU twin:
// `reachability_densities` in src/outliers/lof/mod.rs.

@group(0) @binding(1) var<storage, read> distances: array<f32>;
@group(0) @binding(2) var<storage, read> indices: array<u32>;
@group(0) @binding(3) var<storage, read_write> lrd: array<f32>;

@compute @workgroup_size(WORKGROUP)
fn density(@builtin(global_invocation_id) gid: vec3<u32>) {
    let p = row_index(gid);
    if (p == NONE) {
        return;
    }
    let k = params.k;
    var sum = 0.0;
    for (var s = 0u; s < k; s++) {
        let o = indices[p * k + s];
        sum += max(distances[o * k + k - 1u], distances[p * k + s]);
    }
    lrd[p] = 1.0 / (sum / f32(k) + 1e-10);
}
