// Per-cluster sums by workgroup: each workgroup owns one block of BLOCK_POINTS points,
// stages their labels in workgroup memory, and each invocation sums a (cluster, dim) slot
// over the block in point order. No atomics, and the same order as the CPU twin
// `reduce_block` in src/cluster/kmeans/cpu.rs.

// Keep in sync with BLOCK_POINTS in src/cluster/kmeans/cpu.rs.
const BLOCK_POINTS: u32 = 1024u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> points: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> partial_sums: array<f32>;
@group(0) @binding(4) var<storage, read_write> partial_counts: array<u32>;

var<workgroup> block_labels: array<u32, 1024>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn reduce(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let block = group.y * params.groups_x + group.x;
    if (block >= params.n_blocks) {
        return;
    }
    let d = params.dims;
    let slots = params.n_clusters * d;
    let start = block * BLOCK_POINTS;
    let count = min(BLOCK_POINTS, params.n_rows - start);
    for (var p = local; p < count; p += WORKGROUP_SIZE) {
        block_labels[p] = labels[start + p];
    }
    workgroupBarrier();
    for (var s = local; s < slots; s += WORKGROUP_SIZE) {
        let cluster = s / d;
        let j = s % d;
        var sum = 0.0;
        var members = 0u;
        for (var p = 0u; p < count; p++) {
            if (block_labels[p] == cluster) {
                sum += points[(start + p) * d + j];
                members += 1u;
            }
        }
        partial_sums[block * slots + s] = sum;
        if (j == 0u) {
            partial_counts[block * params.n_clusters + cluster] = members;
        }
    }
}
