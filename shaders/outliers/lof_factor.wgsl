// Local outlier factor: the mean lrd of p's neighbours over lrd(p). CPU twin:
// `outlier_factors` in src/outliers/lof/mod.rs.

@group(0) @binding(1) var<storage, read> indices: array<u32>;
@group(0) @binding(2) var<storage, read> lrd: array<f32>;
@group(0) @binding(3) var<storage, read_write> factor: array<f32>;

@compute @workgroup_size(WORKGROUP)
fn factor_pass(@builtin(global_invocation_id) gid: vec3<u32>) {
    let p = row_index(gid);
    if (p == NONE) {
        return;
    }
    let k = params.k;
    var sum = 0.0;
    for (var s = 0u; s < k; s++) {
        sum += lrd[indices[p * k + s]];
    }
    factor[p] = sum / f32(k) / lrd[p];
}
