// For each row (one invocation), the sum of its Euclidean distances to the rows of every
// cluster: the silhouette's a and b before dividing by the sizes. The twin of
// `cluster_sums` in src/metrics/silhouette/cpu.rs, in the same operation order.
//
// The host sorts rows by cluster, so each cluster's rows are one run: an invocation walks
// all rows in order, keeping one compensated (Kahan) sum, and writes it out when the
// cluster changes. Rows are staged through workgroup memory in tiles of TILE rows when
// they have at most TILE_DIMS columns. Every invocation takes part in the barriers, so no
// invocation returns before the loop ends.

struct Params {
    n: u32,
    d: u32,
    k: u32,
    // First row of this dispatch, how many rows it has, and where its first result goes
    // (in rows) in the output buffer.
    first: u32,
    count: u32,
    out_offset: u32,
    // Workgroups along x in this dispatch; more go along y.
    groups_x: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
// n × d, sorted by cluster.
@group(0) @binding(1) var<storage, read> points: array<f32>;
// The cluster of each sorted row.
@group(0) @binding(2) var<storage, read> labels: array<u32>;
// (rows of this buffer) × k sums.
@group(0) @binding(3) var<storage, read_write> sums: array<f32>;

const WORKGROUP: u32 = 64u;
const TILE: u32 = 64u;
const TILE_DIMS: u32 = 32u;

var<workgroup> tile: array<f32, 2048>; // TILE * TILE_DIMS
var<workgroup> tile_labels: array<u32, 64>; // TILE
var<private> own: array<f32, 32>; // TILE_DIMS

struct Running {
    cluster: u32,
    total: f32,
    compensation: f32,
}

var<private> running: Running;

fn flush(out_row: u32) {
    sums[out_row * params.k + running.cluster] = running.total;
}

// Adds the distance to a row of `cluster`, writing out the previous cluster's sum first
// when the run changes.
fn add(in_range: bool, out_row: u32, cluster: u32, distance: f32) {
    if (!in_range) {
        return;
    }
    if (cluster != running.cluster) {
        flush(out_row);
        running.cluster = cluster;
        running.total = 0.0;
        running.compensation = 0.0;
    }
    let y = distance - running.compensation;
    let t = running.total + y;
    running.compensation = (t - running.total) - y;
    running.total = t;
}

@compute @workgroup_size(WORKGROUP)
fn cluster_sums(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let local = gid.x + gid.y * params.groups_x * WORKGROUP;
    let in_range = local < params.count;
    let row = params.first + min(local, max(params.count, 1u) - 1u);
    let out_row = local + params.out_offset;
    let d = params.d;
    running = Running(labels[0], 0.0, 0.0);
    if (d <= TILE_DIMS) {
        for (var c = 0u; c < d; c = c + 1u) {
            own[c] = points[row * d + c];
        }
        for (var base = 0u; base < params.n; base = base + TILE) {
            let count = min(TILE, params.n - base);
            for (var t = lid; t < count * d; t = t + WORKGROUP) {
                tile[t] = points[base * d + t];
            }
            if (lid < count) {
                tile_labels[lid] = labels[base + lid];
            }
            workgroupBarrier();
            for (var jj = 0u; jj < count; jj = jj + 1u) {
                var acc = 0.0;
                for (var c = 0u; c < d; c = c + 1u) {
                    let diff = own[c] - tile[jj * d + c];
                    acc = acc + diff * diff;
                }
                add(in_range, out_row, tile_labels[jj], sqrt(acc));
            }
            workgroupBarrier();
        }
    } else {
        for (var j = 0u; j < params.n; j = j + 1u) {
            var acc = 0.0;
            for (var c = 0u; c < d; c = c + 1u) {
                let diff = points[row * d + c] - points[j * d + c];
                acc = acc + diff * diff;
            }
            add(in_range, out_row, labels[j], sqrt(acc));
        }
    }
    if (in_range) {
        flush(out_row);
    }
}
