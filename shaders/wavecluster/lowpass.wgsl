// One axis of WaveCluster's wavelet transform: the low-pass half of the
// Cohen–Daubechies–Feauveau (2,2) analysis filter (-1/8, 1/4, 3/4, 1/4, -1/8) along one
// axis of a grid of up to three axes, keeping every other sample, with the signal
// mirrored at both ends (x[-k] = x[k], x[n-1+k] = x[n-1-k]). Each invocation writes one
// output cell. CPU twin: `lowpass_axis` in src/cluster/wavecluster/transform.rs.

const WORKGROUP: u32 = 256u;

// Keep in sync with `LowpassUniforms` in src/cluster/wavecluster/gpu.rs.
struct Params {
    size0: u32,
    size1: u32,
    size2: u32,
    axis: u32,
    out_len: u32,
    total: u32,
    groups_x: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> source: array<f32>;
@group(0) @binding(2) var<storage, read_write> filtered: array<f32>;

fn mirror(j: i32, n: i32) -> i32 {
    if (n == 1) {
        return 0;
    }
    var k = j;
    // A few reflections cover every offset the 5-tap filter reaches.
    for (var r = 0; r < 4; r++) {
        if (k < 0) {
            k = -k;
        }
        if (k >= n) {
            k = 2 * (n - 1) - k;
        }
    }
    return clamp(k, 0, n - 1);
}

@compute @workgroup_size(WORKGROUP)
fn lowpass(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) local: u32) {
    let o = (group.y * params.groups_x + group.x) * WORKGROUP + local;
    if (o >= params.total) {
        return;
    }
    var out_size = vec3<u32>(params.size0, params.size1, params.size2);
    out_size[params.axis] = params.out_len;
    let i0 = o % out_size.x;
    let i1 = (o / out_size.x) % out_size.y;
    let i2 = o / (out_size.x * out_size.y);
    var at = vec3<u32>(i0, i1, i2);
    let n = i32(select(select(params.size2, params.size1, params.axis == 1u), params.size0, params.axis == 0u));
    let centre = 2 * i32(at[params.axis]);
    var taps = array<f32, 5>(-0.125, 0.25, 0.75, 0.25, -0.125);
    var value = 0.0;
    for (var t = 0; t < 5; t++) {
        var src = at;
        src[params.axis] = u32(mirror(centre + t - 2, n));
        let index = src.x + params.size0 * (src.y + params.size1 * src.z);
        value += taps[t] * source[index];
    }
    filtered[o] = value;
}
