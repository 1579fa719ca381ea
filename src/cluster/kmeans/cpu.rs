//! CPU twins of the k-means WGSL passes in `shaders/kmeans/`, one function per pass with the same
//! name and the same order of floating-point operations, so GPU and CPU agree. They are also
//! the CPU backend: `assign` is blocked like a GEMM (4 points × 16 centroids in registers,
//! distance as ‖c‖² − 2x·c + ‖x‖²) and vectorised with AVX2/FMA when the CPU has it.

use rayon::prelude::*;

use super::narrow::{NARROW_DIMS, NarrowCentroids, assign_narrow};

/// Points per reduction block. Keep in sync with `BLOCK_POINTS` in `shaders/kmeans/reduce.wgsl`.
pub const BLOCK_POINTS: usize = 1024;
/// Centroids per register tile of the AVX2 and portable kernels.
const CENTROID_TILE: usize = 16;
/// Centroids per register tile of the AVX-512 kernel (two zmm registers per point).
const WIDE_CENTROID_TILE: usize = 32;
/// Points per register tile of the CPU assignment kernel.
const POINT_TILE: usize = 4;

/// Centroids rearranged for the assignment kernels: tiles of `width` centroids stored
/// dimension-major (`tile[j * width + l]`), padded with centroids that can never win.
pub struct CentroidPanel {
    /// The centroids row-major and their norms, for the narrow-row kernel.
    rows: Vec<f32>,
    row_norms: Vec<f32>,
    tiles: Vec<f32>,
    norms: Vec<f32>,
    n_tiles: usize,
    dims: usize,
    width: usize,
}

impl CentroidPanel {
    /// A panel in the tile width of the fastest kernel this CPU can run.
    pub fn new(centroids: &[f32], centroid_norms: &[f32], dims: usize) -> Self {
        Self::with_width(centroids, centroid_norms, dims, preferred_tile_width())
    }

    fn with_width(centroids: &[f32], centroid_norms: &[f32], dims: usize, width: usize) -> Self {
        let k = centroid_norms.len();
        let n_tiles = k.div_ceil(width);
        let mut tiles = vec![0f32; n_tiles * dims * width];
        let mut norms = vec![f32::INFINITY; n_tiles * width];
        for c in 0..k {
            let (t, l) = (c / width, c % width);
            for j in 0..dims {
                tiles[(t * dims + j) * width + l] = centroids[c * dims + j];
            }
            norms[c] = centroid_norms[c];
        }
        Self {
            rows: centroids[..k * dims].to_vec(),
            row_norms: centroid_norms.to_vec(),
            tiles,
            norms,
            n_tiles,
            dims,
            width,
        }
    }
}

fn preferred_tile_width() -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        return WIDE_CENTROID_TILE;
    }
    CENTROID_TILE
}

/// ‖row‖² for each row, summed in dimension order (as the shaders do).
pub fn squared_norms(values: &[f32], dims: usize) -> Vec<f32> {
    if dims == 0 {
        return vec![0.0; 0];
    }
    values.chunks_exact(dims).map(squared_norm).collect()
}

fn squared_norm(row: &[f32]) -> f32 {
    // Fused like the shaders' fma, so a norm is the same bits wherever it was computed.
    let mut sum = 0f32;
    for &v in row {
        sum = v.mul_add(v, sum);
    }
    sum
}

/// Twin of `kmeans/assign.wgsl`: nearest centroid (lowest index on ties) and its squared
/// distance, clamped at 0, for every point.
pub fn assign(
    points: &[f32],
    point_norms: &[f32],
    panel: &CentroidPanel,
    labels: &mut [u32],
    min_distances: &mut [f32],
) {
    let d = panel.dims;
    labels
        .par_chunks_mut(BLOCK_POINTS)
        .zip(min_distances.par_chunks_mut(BLOCK_POINTS))
        .enumerate()
        .for_each(|(block, (labels, min_distances))| {
            let start = block * BLOCK_POINTS;
            let rows = &points[start * d..(start + labels.len()) * d];
            let norms = &point_norms[start..start + labels.len()];
            assign_block(rows, norms, panel, labels, min_distances);
        });
}

/// Assignment of one block: picks the fastest kernel this CPU can run (points in the
/// lanes for narrow rows, centroids in the lanes otherwise).
pub(crate) fn assign_block(
    rows: &[f32],
    point_norms: &[f32],
    panel: &CentroidPanel,
    labels: &mut [u32],
    min_distances: &mut [f32],
) {
    if (1..=NARROW_DIMS).contains(&panel.dims) {
        let centroids = NarrowCentroids {
            centroids: &panel.rows,
            norms: &panel.row_norms,
            dims: panel.dims,
        };
        assign_narrow(rows, point_norms, &centroids, labels, min_distances);
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if panel.width == WIDE_CENTROID_TILE && std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            unsafe { assign_block_avx512(rows, point_norms, panel, labels, min_distances) };
            return;
        }
        if panel.width == CENTROID_TILE
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            unsafe { assign_block_avx2_fma(rows, point_norms, panel, labels, min_distances) };
            return;
        }
        if std::arch::is_x86_feature_detected!("fma") {
            assign_block_kernel::<true>(rows, point_norms, panel, labels, min_distances);
            return;
        }
    }
    assign_block_kernel::<false>(rows, point_norms, panel, labels, min_distances);
}

/// The AVX-512 kernel: 4 points × 32 centroids of dot products in 8 zmm registers, and a
/// running minimum kept per lane (value and centroid index) across tiles, so the
/// horizontal argmin happens once per point instead of once per tile. Lane-wise strict
/// `<` keeps the earliest tile and the final scan the lowest index: the same winner as the
/// sequential scan. Same arithmetic as [`assign_block_kernel`] with `FUSED = true`.
// `j` walks the dimensions of four rows and one tile at once.
#[allow(clippy::needless_range_loop)]
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn assign_block_avx512(
    rows: &[f32],
    point_norms: &[f32],
    panel: &CentroidPanel,
    labels: &mut [u32],
    min_distances: &mut [f32],
) {
    use std::arch::x86_64::*;
    const W: usize = WIDE_CENTROID_TILE;
    let d = panel.dims;
    let m = labels.len();
    let minus_two = _mm512_set1_ps(-2.0);
    let lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    let mut i = 0;
    while i < m {
        let index = |p: usize| (i + p).min(m - 1);
        let x: [&[f32]; POINT_TILE] =
            std::array::from_fn(|p| &rows[index(p) * d..index(p) * d + d]);
        let mut best_value = [[_mm512_set1_ps(f32::INFINITY); 2]; POINT_TILE];
        let mut best_index = [[_mm512_setzero_si512(); 2]; POINT_TILE];
        for t in 0..panel.n_tiles {
            let tile = &panel.tiles[t * d * W..(t + 1) * d * W];
            let mut dots = [[_mm512_setzero_ps(); 2]; POINT_TILE];
            for j in 0..d {
                // SAFETY: `tile` holds d × 32 floats, so j * 32 + 32 <= tile.len().
                let (c0, c1) = unsafe {
                    let c = tile.as_ptr().add(j * W);
                    (_mm512_loadu_ps(c), _mm512_loadu_ps(c.add(16)))
                };
                for p in 0..POINT_TILE {
                    let xp = _mm512_set1_ps(x[p][j]);
                    dots[p][0] = _mm512_fmadd_ps(xp, c0, dots[p][0]);
                    dots[p][1] = _mm512_fmadd_ps(xp, c1, dots[p][1]);
                }
            }
            let norms = &panel.norms[t * W..(t + 1) * W];
            // SAFETY: `norms` holds exactly 32 floats.
            let norm = unsafe {
                [
                    _mm512_loadu_ps(norms.as_ptr()),
                    _mm512_loadu_ps(norms.as_ptr().add(16)),
                ]
            };
            let first = _mm512_set1_epi32((t * W) as i32);
            let ids = [
                _mm512_add_epi32(first, lanes),
                _mm512_add_epi32(first, _mm512_add_epi32(lanes, _mm512_set1_epi32(16))),
            ];
            for p in 0..POINT_TILE {
                for h in 0..2 {
                    let score = _mm512_fmadd_ps(minus_two, dots[p][h], norm[h]);
                    let better = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(score, best_value[p][h]);
                    best_value[p][h] = _mm512_mask_mov_ps(best_value[p][h], better, score);
                    best_index[p][h] = _mm512_mask_mov_epi32(best_index[p][h], better, ids[h]);
                }
            }
        }
        for p in 0..POINT_TILE.min(m - i) {
            // Lowest value over the 32 lanes, then the lowest centroid index holding it.
            let [v0, v1] = best_value[p];
            let [i0, i1] = best_index[p];
            let best = _mm512_reduce_min_ps(_mm512_min_ps(v0, v1));
            let target = _mm512_set1_ps(best);
            let in0 = _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(v0, target);
            let in1 = _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(v1, target);
            let label =
                _mm512_mask_reduce_min_epi32(in0, i0).min(_mm512_mask_reduce_min_epi32(in1, i1));
            labels[i + p] = label as u32;
            min_distances[i + p] = (best + point_norms[i + p]).max(0.0);
        }
        i += POINT_TILE;
    }
}

/// The AVX2 + FMA kernel: for 4 points at a time and 16 centroids per tile, the dot
/// products live in 8 ymm registers; a tile is scored with one fused multiply-add per
/// lane and scanned only when its minimum beats the best so far. Same arithmetic, in the
/// same order, as [`assign_block_kernel`] with `FUSED = true`.
// `j` walks the dimensions of four rows and one tile at once.
#[allow(clippy::needless_range_loop)]
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn assign_block_avx2_fma(
    rows: &[f32],
    point_norms: &[f32],
    panel: &CentroidPanel,
    labels: &mut [u32],
    min_distances: &mut [f32],
) {
    use std::arch::x86_64::*;
    let d = panel.dims;
    let m = labels.len();
    let minus_two = _mm256_set1_ps(-2.0);
    let mut i = 0;
    while i < m {
        let index = |p: usize| (i + p).min(m - 1);
        let x: [&[f32]; POINT_TILE] =
            std::array::from_fn(|p| &rows[index(p) * d..index(p) * d + d]);
        let mut best = [f32::INFINITY; POINT_TILE];
        let mut best_index = [0u32; POINT_TILE];
        for t in 0..panel.n_tiles {
            let tile = &panel.tiles[t * d * CENTROID_TILE..(t + 1) * d * CENTROID_TILE];
            let mut dots = [[_mm256_setzero_ps(); 2]; POINT_TILE];
            for j in 0..d {
                // SAFETY: `tile` holds d × 16 floats, so j * 16 + 16 <= tile.len().
                let (c0, c1) = unsafe {
                    let c = tile.as_ptr().add(j * CENTROID_TILE);
                    (_mm256_loadu_ps(c), _mm256_loadu_ps(c.add(8)))
                };
                for p in 0..POINT_TILE {
                    let xp = _mm256_set1_ps(x[p][j]);
                    dots[p][0] = _mm256_fmadd_ps(xp, c0, dots[p][0]);
                    dots[p][1] = _mm256_fmadd_ps(xp, c1, dots[p][1]);
                }
            }
            let norms = &panel.norms[t * CENTROID_TILE..(t + 1) * CENTROID_TILE];
            // SAFETY: `norms` holds exactly 16 floats.
            let (n0, n1) = unsafe {
                (
                    _mm256_loadu_ps(norms.as_ptr()),
                    _mm256_loadu_ps(norms.as_ptr().add(8)),
                )
            };
            for p in 0..POINT_TILE {
                let s0 = _mm256_fmadd_ps(minus_two, dots[p][0], n0);
                let s1 = _mm256_fmadd_ps(minus_two, dots[p][1], n1);
                // Horizontal minimum of the 16 scores.
                let m8 = _mm256_min_ps(s0, s1);
                let m4 = _mm_min_ps(_mm256_castps256_ps128(m8), _mm256_extractf128_ps(m8, 1));
                let m2 = _mm_min_ps(m4, _mm_movehl_ps(m4, m4));
                let m1 = _mm_min_ss(m2, _mm_shuffle_ps(m2, m2, 1));
                let tile_min = _mm_cvtss_f32(m1);
                if tile_min < best[p] {
                    let mut scores = [0f32; CENTROID_TILE];
                    // SAFETY: `scores` holds 16 floats.
                    unsafe {
                        _mm256_storeu_ps(scores.as_mut_ptr(), s0);
                        _mm256_storeu_ps(scores.as_mut_ptr().add(8), s1);
                    }
                    // The first lane equal to the minimum: lowest index wins ties.
                    let lane = scores.iter().position(|&v| v == tile_min).unwrap_or(0);
                    best[p] = tile_min;
                    best_index[p] = (t * CENTROID_TILE + lane) as u32;
                }
            }
        }
        for p in 0..POINT_TILE.min(m - i) {
            labels[i + p] = best_index[p];
            min_distances[i + p] = (best[p] + point_norms[i + p]).max(0.0);
        }
        i += POINT_TILE;
    }
}

#[inline(always)]
fn multiply_add<const FUSED: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FUSED { a.mul_add(b, c) } else { a * b + c }
}

#[inline(always)]
fn assign_block_kernel<const FUSED: bool>(
    rows: &[f32],
    point_norms: &[f32],
    panel: &CentroidPanel,
    labels: &mut [u32],
    min_distances: &mut [f32],
) {
    let d = panel.dims;
    let w = panel.width;
    let m = labels.len();
    let mut i = 0;
    while i < m {
        // The last group repeats its final point; the extra results are dropped.
        let index = |p: usize| (i + p).min(m - 1);
        let x: [&[f32]; POINT_TILE] =
            std::array::from_fn(|p| &rows[index(p) * d..index(p) * d + d]);
        let mut best = [f32::INFINITY; POINT_TILE];
        let mut best_index = [0u32; POINT_TILE];
        for t in 0..panel.n_tiles {
            let tile = &panel.tiles[t * d * w..(t + 1) * d * w];
            let mut dots = [[0f32; WIDE_CENTROID_TILE]; POINT_TILE];
            for j in 0..d {
                let c = &tile[j * w..(j + 1) * w];
                for p in 0..POINT_TILE {
                    let xp = x[p][j];
                    for (dot, &cl) in dots[p][..w].iter_mut().zip(c) {
                        *dot = multiply_add::<FUSED>(xp, cl, *dot);
                    }
                }
            }
            let norms = &panel.norms[t * w..(t + 1) * w];
            for p in 0..POINT_TILE {
                for l in 0..w {
                    let score = multiply_add::<FUSED>(-2.0, dots[p][l], norms[l]);
                    if score < best[p] {
                        best[p] = score;
                        best_index[p] = (t * w + l) as u32;
                    }
                }
            }
        }
        for p in 0..POINT_TILE.min(m - i) {
            labels[i + p] = best_index[p];
            min_distances[i + p] = (best[p] + point_norms[i + p]).max(0.0);
        }
        i += POINT_TILE;
    }
}

/// Twin of `kmeans/reduce.wgsl` for one block: per-cluster coordinate sums and counts,
/// each summed over the block's points in order.
pub fn reduce_block(
    rows: &[f32],
    labels: &[u32],
    dims: usize,
    sums: &mut [f32],
    counts: &mut [u32],
) {
    sums.fill(0.0);
    counts.fill(0);
    match dims {
        1 => return reduce_block_narrow::<1>(rows, labels, sums, counts),
        2 => return reduce_block_narrow::<2>(rows, labels, sums, counts),
        3 => return reduce_block_narrow::<3>(rows, labels, sums, counts),
        4 => return reduce_block_narrow::<4>(rows, labels, sums, counts),
        _ => {}
    }
    for (row, &label) in rows.chunks_exact(dims.max(1)).zip(labels) {
        let c = label as usize;
        counts[c] += 1;
        let sum = &mut sums[c * dims..(c + 1) * dims];
        for (s, &v) in sum.iter_mut().zip(row) {
            *s += v;
        }
    }
}

/// [`reduce_block`] for rows of `D` ≤ 4 values: a run of rows with the same label (as in
/// the pixels of one region) adds into registers and stores once, instead of a load and
/// a store per row. The additions are the same, in the same order, so the sums are the
/// same bits.
fn reduce_block_narrow<const D: usize>(
    rows: &[f32],
    labels: &[u32],
    sums: &mut [f32],
    counts: &mut [u32],
) {
    let Some(&first) = labels.first() else {
        return;
    };
    let mut current = first as usize;
    let mut total = [0f32; D];
    let mut run = 0u32;
    for (row, &label) in rows.chunks_exact(D).zip(labels) {
        let c = label as usize;
        if c != current {
            sums[current * D..(current + 1) * D].copy_from_slice(&total);
            counts[current] += run;
            total.copy_from_slice(&sums[c * D..(c + 1) * D]);
            current = c;
            run = 0;
        }
        for (t, &v) in total.iter_mut().zip(row) {
            *t += v;
        }
        run += 1;
    }
    sums[current * D..(current + 1) * D].copy_from_slice(&total);
    counts[current] += run;
}

/// Twin of `kmeans/accumulate.wgsl`: adds block partials to the running totals in block order.
pub fn accumulate(
    partial_sums: &[f32],
    partial_counts: &[u32],
    sums: &mut [f32],
    counts: &mut [u32],
) {
    let slots = sums.len();
    let k = counts.len();
    sums.par_iter_mut().enumerate().for_each(|(s, total)| {
        for block in partial_sums.chunks_exact(slots) {
            *total += block[s];
        }
    });
    for block in partial_counts.chunks_exact(k) {
        for (total, &c) in counts.iter_mut().zip(block) {
            *total += c;
        }
    }
}

/// Twin of `kmeans/finalize.wgsl`: moves each non-empty centroid to the mean of its points
/// (`spherical`: scaled to unit length, spherical k-means for cosine distance), records how
/// far it moved (squared) and its new ‖c‖². Empty clusters stay where they were.
pub fn finalize(
    sums: &[f32],
    counts: &[u32],
    dims: usize,
    spherical: bool,
    centroids: &mut [f32],
    centroid_norms: &mut [f32],
    shift: &mut [f32],
) {
    for (c, &count) in counts.iter().enumerate() {
        if count == 0 {
            shift[c] = 0.0;
            continue;
        }
        let mut scale = 1.0f32;
        if spherical {
            let mut length = 0f32;
            for j in 0..dims {
                let mean = sums[c * dims + j] / count as f32;
                length = mean.mul_add(mean, length);
            }
            if length > 0.0 {
                scale = 1.0 / length.sqrt();
            }
        }
        let mut moved = 0f32;
        let mut norm = 0f32;
        for j in 0..dims {
            let updated = sums[c * dims + j] / count as f32 * scale;
            let delta = updated - centroids[c * dims + j];
            moved = delta.mul_add(delta, moved);
            norm = updated.mul_add(updated, norm);
            centroids[c * dims + j] = updated;
        }
        shift[c] = moved;
        centroid_norms[c] = norm;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assign_picks_nearest_and_lowest_index_on_ties() {
        // Centroids at 0 and 2 (twice: a tie between 1 and 2), point norms precomputed.
        let points = [0.2f32, 1.0, 1.9, 5.0, -1.0];
        let centroids = [0.0f32, 2.0, 2.0];
        let panel = CentroidPanel::new(&centroids, &squared_norms(&centroids, 1), 1);
        let mut labels = [9u32; 5];
        let mut min_distances = [0f32; 5];
        assign(
            &points,
            &squared_norms(&points, 1),
            &panel,
            &mut labels,
            &mut min_distances,
        );
        // 1.0 is equidistant from 0 and 2: the lower index wins.
        assert_eq!(labels, [0, 0, 1, 1, 0]);
        let expected = [0.04f32, 1.0, 0.01, 9.0, 1.0];
        for (got, want) in min_distances.iter().zip(expected) {
            assert!((got - want).abs() < 1e-5, "{min_distances:?}");
        }
    }

    #[test]
    fn reduce_accumulate_finalize_compute_means_and_shift() {
        let rows = [1.0f32, 1.0, 3.0, 3.0, 10.0, 0.0];
        let labels = [0u32, 0, 1];
        let (mut sums, mut counts) = (vec![0f32; 4], vec![0u32; 2]);
        reduce_block(&rows, &labels, 2, &mut sums, &mut counts);
        assert_eq!(sums, [4.0, 4.0, 10.0, 0.0]);
        assert_eq!(counts, [2, 1]);
        let (mut total_sums, mut total_counts) = (vec![0f32; 4], vec![0u32; 2]);
        accumulate(&sums, &counts, &mut total_sums, &mut total_counts);
        accumulate(&sums, &counts, &mut total_sums, &mut total_counts);
        assert_eq!(total_counts, [4, 2]);
        let mut centroids = vec![0.0f32, 0.0, 10.0, 1.0];
        let (mut norms, mut shift) = (vec![0f32; 2], vec![0f32; 2]);
        finalize(
            &total_sums,
            &total_counts,
            2,
            false,
            &mut centroids,
            &mut norms,
            &mut shift,
        );
        assert_eq!(centroids, [2.0, 2.0, 10.0, 0.0]);
        assert_eq!(norms, [8.0, 100.0]);
        assert_eq!(shift, [8.0, 1.0]);
    }

    #[test]
    fn narrow_block_sums_are_the_bits_of_the_row_by_row_sums() {
        for d in 1..=4 {
            let points = crate::synthetic::gaussian_blobs(1000, d, 5, 2.0, 7).points;
            // Runs of equal labels and single rows, as pixels of regions give.
            let labels: Vec<u32> = (0..1000u32).map(|i| (i / 7 + i % 3 / 2) % 5).collect();
            let (mut sums, mut counts) = (vec![0f32; 5 * d], vec![0u32; 5]);
            reduce_block(&points.values, &labels, d, &mut sums, &mut counts);
            let (mut want, mut want_counts) = (vec![0f32; 5 * d], vec![0u32; 5]);
            for (row, &label) in points.values.chunks_exact(d).zip(&labels) {
                want_counts[label as usize] += 1;
                let at = label as usize * d;
                for (w, &v) in want[at..at + d].iter_mut().zip(row) {
                    *w += v;
                }
            }
            assert_eq!(counts, want_counts, "d = {d}");
            assert_eq!(
                sums.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "d = {d}"
            );
        }
    }

    #[test]
    fn simd_kernel_matches_the_portable_fused_kernel() {
        // d = 2 and 3 take the narrow-row kernel (points in the lanes), d = 7 the blocked ones.
        for d in [2, 3, 7] {
            let points = crate::synthetic::gaussian_blobs(1003, d, 37, 2.0, 3).points;
            let centroids = crate::synthetic::uniform(37, d, 4).values;
            let centroid_norms = squared_norms(&centroids, d);
            let norms = squared_norms(&points.values, d);
            let reference =
                CentroidPanel::with_width(&centroids, &centroid_norms, d, CENTROID_TILE);
            let (mut b_labels, mut b_dist) = (vec![0u32; 1003], vec![0f32; 1003]);
            assign_block_kernel::<true>(
                &points.values,
                &norms,
                &reference,
                &mut b_labels,
                &mut b_dist,
            );
            // Every kernel this CPU can run (AVX2 on 16-wide tiles, AVX-512 on 32-wide ones).
            for width in [CENTROID_TILE, WIDE_CENTROID_TILE] {
                let panel = CentroidPanel::with_width(&centroids, &centroid_norms, d, width);
                let (mut a_labels, mut a_dist) = (vec![0u32; 1003], vec![0f32; 1003]);
                assign_block(&points.values, &norms, &panel, &mut a_labels, &mut a_dist);
                assert_eq!(a_labels, b_labels, "d {d}, width {width}");
                assert_eq!(a_dist, b_dist, "d {d}, width {width}");
            }
        }
    }
}
