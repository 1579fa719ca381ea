// Adds one slice's block partials to the running totals, block by block in order, so the
// totals equal a sequential sum over all blocks. CPU twin: `accumulate` in
// src/cluster/kmeans/cpu.rs.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partial_sums: array<f32>;
@group(0) @binding(2) var<storage, read> partial_counts: array<u32>;
@group(0) @binding(3) var<storage, read_write> sums: array<f32>;
@group(0) @binding(4) var<storage, read_write> counts: array<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn accumulate(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let s = (group.y * params.groups_x + group.x) * WORKGROUP_SIZE + local;
    let slots = params.n_clusters * params.dims;
    if (s >= slots) {
        return;
    }
    var total = sums[s];
    for (var b = 0u; b < params.n_blocks; b++) {
        total += partial_sums[b * slots + s];
    }
    sums[s] = total;
    if (s % params.dims == 0u) {
        let cluster = s / params.dims;
        var members = counts[cluster];
        for (var b = 0u; b < params.n_blocks; b++) {
            members += partial_counts[b * params.n_clusters + cluster];
        }
        counts[cluster] = members;
    }
}
