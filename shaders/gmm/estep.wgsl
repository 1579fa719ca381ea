// The E-step of a Gaussian mixture: one invocation per row computes, for every component c,
// log w_c + log N(x | mu_c, Sigma_c) = constant_c - 0.5 |(x - mu_c)^T U_c|^2, where U_c is
// the upper-triangular factor of the precision (full, tied) or the per-dimension 1/sigma
// (diag, spherical), then normalises them by their log-sum-exp (the row's log-likelihood).
// Everything in the log domain, so no density underflows. CPU twin: `expectation` in
// src/cluster/gmm/em.rs.

const WORKGROUP: u32 = 64u;
// Keep in sync with MAX_GPU_DIMS and MAX_GPU_COMPONENTS in src/cluster/gmm/gpu.rs.
const MAX_DIMS: u32 = 64u;
const MAX_COMPONENTS: u32 = 64u;

// Keep in sync with `EStepUniforms` in src/cluster/gmm/gpu.rs.
struct Params {
    n_rows: u32,
    dims: u32,
    k: u32,
    // 1: factors are d x d upper-triangular matrices; 0: d scales per component.
    triangular: u32,
    // The first row of this slice; resp is indexed from it.
    first_row: u32,
    count: u32,
    groups_x: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> points: array<f32>;
@group(0) @binding(2) var<storage, read> means: array<f32>;
@group(0) @binding(3) var<storage, read> factors: array<f32>;
@group(0) @binding(4) var<storage, read> constants: array<f32>;
@group(0) @binding(5) var<storage, read_write> resp: array<f32>;
@group(0) @binding(6) var<storage, read_write> row_log_likelihood: array<f32>;

@compute @workgroup_size(WORKGROUP)
fn estep(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let index = (group.y * params.groups_x + group.x) * WORKGROUP + local;
    if (index >= params.count) {
        return;
    }
    let row = params.first_row + index;
    let d = params.dims;
    let k = params.k;
    var diff: array<f32, 64>;
    var value: array<f32, 64>;
    var best = -3.402823e38;
    for (var c = 0u; c < k; c++) {
        for (var j = 0u; j < d; j++) {
            diff[j] = points[row * d + j] - means[c * d + j];
        }
        var squared = 0.0;
        if (params.triangular == 1u) {
            let base = c * d * d;
            for (var b = 0u; b < d; b++) {
                var y = 0.0;
                for (var a = 0u; a <= b; a++) {
                    y = fma(diff[a], factors[base + a * d + b], y);
                }
                squared = fma(y, y, squared);
            }
        } else {
            for (var j = 0u; j < d; j++) {
                let y = diff[j] * factors[c * d + j];
                squared = fma(y, y, squared);
            }
        }
        let v = constants[c] - 0.5 * squared;
        value[c] = v;
        best = max(best, v);
    }
    var total = 0.0;
    for (var c = 0u; c < k; c++) {
        total += exp(value[c] - best);
    }
    let lse = best + log(total);
    for (var c = 0u; c < k; c++) {
        resp[index * k + c] = exp(value[c] - lse);
    }
    row_log_likelihood[row] = lse;
}
