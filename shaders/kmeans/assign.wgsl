// Assignment: each invocation takes one point and finds its nearest centroid, scoring
// ‖c‖² − 2x·c. Centroids are staged through workgroup memory in tiles of
// CENTROID_TILE centroids × DIM_CHUNK dimensions, so any k and d fit. CPU twin:
// `assign` in src/cluster/kmeans/cpu.rs.

const CENTROID_TILE: u32 = 32u;
const DIM_CHUNK: u32 = 128u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> points: array<f32>;
@group(0) @binding(2) var<storage, read> centroids: array<f32>;
@group(0) @binding(3) var<storage, read> centroid_norms: array<f32>;
@group(0) @binding(4) var<storage, read_write> labels: array<u32>;
@group(0) @binding(5) var<storage, read_write> min_distances: array<f32>;

var<workgroup> tile: array<f32, 4096>; // CENTROID_TILE * DIM_CHUNK

@compute @workgroup_size(WORKGROUP_SIZE)
fn assign(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let row = (group.y * params.groups_x + group.x) * WORKGROUP_SIZE + local;
    let in_range = row < params.n_rows;
    let d = params.dims;
    let k = params.n_clusters;
    var best = 3.402823e38;
    var best_index = 0u;
    var point_norm = 0.0;
    for (var c0 = 0u; c0 < k; c0 += CENTROID_TILE) {
        var dots: array<f32, 32>;
        for (var j0 = 0u; j0 < d; j0 += DIM_CHUNK) {
            let chunk = min(DIM_CHUNK, d - j0);
            workgroupBarrier();
            for (var s = local; s < CENTROID_TILE * DIM_CHUNK; s += WORKGROUP_SIZE) {
                let t = s / DIM_CHUNK;
                let jj = s % DIM_CHUNK;
                var value = 0.0;
                if (c0 + t < k && jj < chunk) {
                    value = centroids[(c0 + t) * d + j0 + jj];
                }
                tile[s] = value;
            }
            workgroupBarrier();
            if (in_range) {
                for (var jj = 0u; jj < chunk; jj++) {
                    let x = points[row * d + j0 + jj];
                    if (c0 == 0u) {
                        point_norm = fma(x, x, point_norm);
                    }
                    for (var t = 0u; t < CENTROID_TILE; t++) {
                        dots[t] = fma(x, tile[t * DIM_CHUNK + jj], dots[t]);
                    }
                }
            }
        }
        if (in_range) {
            let in_tile = min(CENTROID_TILE, k - c0);
            for (var t = 0u; t < in_tile; t++) {
                let score = fma(-2.0, dots[t], centroid_norms[c0 + t]);
                if (score < best) {
                    best = score;
                    best_index = c0 + t;
                }
            }
        }
    }
    if (in_range) {
        labels[row] = best_index;
        min_distances[row] = max(best + point_norm, 0.0);
    }
}
