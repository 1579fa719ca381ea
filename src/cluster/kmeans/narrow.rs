//! The assignment kernel for narrow rows (d ≤ [`NARROW_DIMS`]: pixels' colours, 2-D
//! tables). The GEMM-blocked kernel in `cpu.rs` puts centroids in the vector lanes, which
//! at d = 3 and k = 8 leaves most lanes idle and spends its time on bookkeeping; here the
//! *points* sit in the lanes (16 per zmm register, 8 per ymm) and the centroids are
//! broadcast one after another. The arithmetic is the same, in the same order (dot
//! products as a fused chain from zero in dimension order, then fma(−2, dot, ‖c‖²); strict
//! `<` over centroids in index order), so the labels and distances are the same bits as the
//! blocked kernel's and the GPU pass's.

/// Widest rows this kernel takes.
pub const NARROW_DIMS: usize = 4;
/// Independent groups of lanes in flight, to hide the compare-and-select latency.
const GROUPS: usize = 2;

/// Centroids row-major with their squared norms, as the narrow kernel reads them.
pub struct NarrowCentroids<'a> {
    pub centroids: &'a [f32],
    pub norms: &'a [f32],
    pub dims: usize,
}

/// Nearest centroid (lowest index on ties) and its squared distance, clamped at 0, for
/// every row of `rows` (row-major, `centroids.dims` ≤ [`NARROW_DIMS`] wide).
pub fn assign_narrow(
    rows: &[f32],
    point_norms: &[f32],
    centroids: &NarrowCentroids<'_>,
    labels: &mut [u32],
    min_distances: &mut [f32],
) {
    debug_assert!(centroids.dims >= 1 && centroids.dims <= NARROW_DIMS);
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            unsafe { assign_avx512(rows, point_norms, centroids, labels, min_distances) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            unsafe { assign_avx2_fma(rows, point_norms, centroids, labels, min_distances) };
            return;
        }
    }
    assign_portable(rows, point_norms, centroids, labels, min_distances);
}

/// Row indices of one group of `lanes` points starting at `first`; past the end the last
/// row repeats (its extra results are dropped).
#[inline(always)]
fn group_rows<const L: usize>(first: usize, m: usize) -> [usize; L] {
    std::array::from_fn(|l| (first + l).min(m - 1))
}

#[inline(always)]
fn store_group(
    first: usize,
    best: &[f32],
    best_index: &[u32],
    point_norms: &[f32],
    labels: &mut [u32],
    min_distances: &mut [f32],
) {
    let m = labels.len();
    for l in 0..best.len().min(m.saturating_sub(first)) {
        labels[first + l] = best_index[l];
        min_distances[first + l] = (best[l] + point_norms[first + l]).max(0.0);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn assign_avx512(
    rows: &[f32],
    point_norms: &[f32],
    centroids: &NarrowCentroids<'_>,
    labels: &mut [u32],
    min_distances: &mut [f32],
) {
    use std::arch::x86_64::*;
    const L: usize = 16;
    let d = centroids.dims;
    let m = labels.len();
    let minus_two = _mm512_set1_ps(-2.0);
    let mut i = 0;
    while i < m {
        // Gather each dimension of the groups' points into one register.
        let mut x = [[_mm512_setzero_ps(); NARROW_DIMS]; GROUPS];
        for (g, xg) in x.iter_mut().enumerate() {
            let index = group_rows::<L>(i + g * L, m).map(|r| (r * d) as i32);
            // SAFETY: `index` holds 16 i32s.
            let offsets = unsafe { _mm512_loadu_si512(index.as_ptr().cast()) };
            for (j, xj) in xg.iter_mut().enumerate().take(d) {
                // SAFETY: every offset + j < m × d = rows.len().
                *xj = unsafe { _mm512_i32gather_ps::<4>(offsets, rows.as_ptr().add(j).cast()) };
            }
        }
        let mut best = [_mm512_set1_ps(f32::INFINITY); GROUPS];
        let mut best_index = [_mm512_setzero_si512(); GROUPS];
        for (c, (centroid, &norm)) in centroids
            .centroids
            .chunks_exact(d)
            .zip(centroids.norms)
            .enumerate()
        {
            let norm = _mm512_set1_ps(norm);
            let id = _mm512_set1_epi32(c as i32);
            for g in 0..GROUPS {
                let mut dot = _mm512_setzero_ps();
                for (j, &cj) in centroid.iter().enumerate() {
                    dot = _mm512_fmadd_ps(x[g][j], _mm512_set1_ps(cj), dot);
                }
                let score = _mm512_fmadd_ps(minus_two, dot, norm);
                let better = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(score, best[g]);
                best[g] = _mm512_mask_mov_ps(best[g], better, score);
                best_index[g] = _mm512_mask_mov_epi32(best_index[g], better, id);
            }
        }
        for g in 0..GROUPS {
            let (mut values, mut ids) = ([0f32; L], [0u32; L]);
            // SAFETY: both arrays hold 16 lanes.
            unsafe {
                _mm512_storeu_ps(values.as_mut_ptr(), best[g]);
                _mm512_storeu_si512(ids.as_mut_ptr().cast(), best_index[g]);
            }
            store_group(i + g * L, &values, &ids, point_norms, labels, min_distances);
        }
        i += GROUPS * L;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn assign_avx2_fma(
    rows: &[f32],
    point_norms: &[f32],
    centroids: &NarrowCentroids<'_>,
    labels: &mut [u32],
    min_distances: &mut [f32],
) {
    use std::arch::x86_64::*;
    const L: usize = 8;
    let d = centroids.dims;
    let m = labels.len();
    let minus_two = _mm256_set1_ps(-2.0);
    let mut i = 0;
    while i < m {
        let mut x = [[_mm256_setzero_ps(); NARROW_DIMS]; GROUPS];
        for (g, xg) in x.iter_mut().enumerate() {
            let index = group_rows::<L>(i + g * L, m).map(|r| (r * d) as i32);
            // SAFETY: `index` holds 8 i32s.
            let offsets = unsafe { _mm256_loadu_si256(index.as_ptr().cast()) };
            for (j, xj) in xg.iter_mut().enumerate().take(d) {
                // SAFETY: every offset + j < m × d = rows.len().
                *xj = unsafe { _mm256_i32gather_ps::<4>(rows.as_ptr().add(j), offsets) };
            }
        }
        let mut best = [_mm256_set1_ps(f32::INFINITY); GROUPS];
        let mut best_index = [_mm256_setzero_ps(); GROUPS];
        for (c, (centroid, &norm)) in centroids
            .centroids
            .chunks_exact(d)
            .zip(centroids.norms)
            .enumerate()
        {
            let norm = _mm256_set1_ps(norm);
            // Indices travel as the bits of floats so one blend moves them with the scores.
            let id = _mm256_castsi256_ps(_mm256_set1_epi32(c as i32));
            for g in 0..GROUPS {
                let mut dot = _mm256_setzero_ps();
                for (j, &cj) in centroid.iter().enumerate() {
                    dot = _mm256_fmadd_ps(x[g][j], _mm256_set1_ps(cj), dot);
                }
                let score = _mm256_fmadd_ps(minus_two, dot, norm);
                let better = _mm256_cmp_ps::<_CMP_LT_OQ>(score, best[g]);
                best[g] = _mm256_blendv_ps(best[g], score, better);
                best_index[g] = _mm256_blendv_ps(best_index[g], id, better);
            }
        }
        for g in 0..GROUPS {
            let (mut values, mut ids) = ([0f32; L], [0u32; L]);
            // SAFETY: both arrays hold 8 lanes.
            unsafe {
                _mm256_storeu_ps(values.as_mut_ptr(), best[g]);
                _mm256_storeu_ps(ids.as_mut_ptr().cast(), best_index[g]);
            }
            store_group(i + g * L, &values, &ids, point_norms, labels, min_distances);
        }
        i += GROUPS * L;
    }
}

/// The same arithmetic one point at a time, with `mul_add` (fused in software where the
/// CPU has no FMA, so every kernel gives the same bits).
fn assign_portable(
    rows: &[f32],
    point_norms: &[f32],
    centroids: &NarrowCentroids<'_>,
    labels: &mut [u32],
    min_distances: &mut [f32],
) {
    let d = centroids.dims;
    for (i, row) in rows.chunks_exact(d).enumerate().take(labels.len()) {
        let mut best = f32::INFINITY;
        let mut best_index = 0u32;
        for (c, (centroid, &norm)) in centroids
            .centroids
            .chunks_exact(d)
            .zip(centroids.norms)
            .enumerate()
        {
            let mut dot = 0f32;
            for (&x, &cj) in row.iter().zip(centroid) {
                dot = x.mul_add(cj, dot);
            }
            let score = (-2f32).mul_add(dot, norm);
            if score < best {
                best = score;
                best_index = c as u32;
            }
        }
        labels[i] = best_index;
        min_distances[i] = (best + point_norms[i]).max(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kernel_gives_the_portable_bits_at_each_narrow_width() {
        for d in 1..=NARROW_DIMS {
            // 1,003 rows: groups of 32 and 16 with a ragged tail.
            let points = crate::synthetic::gaussian_blobs(1003, d, 9, 2.0, 5).points;
            let centres = crate::synthetic::uniform(9, d, 6).values;
            let norms = crate::cluster::kmeans::cpu::squared_norms(&centres, d);
            let point_norms = crate::cluster::kmeans::cpu::squared_norms(&points.values, d);
            let narrow = NarrowCentroids {
                centroids: &centres,
                norms: &norms,
                dims: d,
            };
            let (mut want_labels, mut want_dist) = (vec![0u32; 1003], vec![0f32; 1003]);
            assign_portable(
                &points.values,
                &point_norms,
                &narrow,
                &mut want_labels,
                &mut want_dist,
            );
            let (mut labels, mut dist) = (vec![0u32; 1003], vec![0f32; 1003]);
            assign_narrow(
                &points.values,
                &point_norms,
                &narrow,
                &mut labels,
                &mut dist,
            );
            assert_eq!(labels, want_labels, "d = {d}");
            assert_eq!(dist, want_dist, "d = {d}");
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                let (mut labels, mut dist) = (vec![0u32; 1003], vec![0f32; 1003]);
                // SAFETY: checked just above.
                unsafe {
                    assign_avx2_fma(
                        &points.values,
                        &point_norms,
                        &narrow,
                        &mut labels,
                        &mut dist,
                    )
                };
                assert_eq!(labels, want_labels, "avx2, d = {d}");
                assert_eq!(dist, want_dist, "avx2, d = {d}");
            }
        }
    }

    #[test]
    fn ties_go_to_the_lowest_index() {
        // Centroids 0, 2, 2: the point at 1 is equidistant from all three.
        let rows = [1.0f32, 2.0, 1.9, -3.0];
        let centres = [0.0f32, 2.0, 2.0];
        let norms = [0.0f32, 4.0, 4.0];
        let point_norms = [1.0f32, 4.0, 3.61, 9.0];
        let narrow = NarrowCentroids {
            centroids: &centres,
            norms: &norms,
            dims: 1,
        };
        let (mut labels, mut dist) = ([9u32; 4], [0f32; 4]);
        assign_narrow(&rows, &point_norms, &narrow, &mut labels, &mut dist);
        assert_eq!(labels, [0, 1, 1, 0]);
        for (got, want) in dist.iter().zip([1.0f32, 0.0, 0.01, 9.0]) {
            assert!((got - want).abs() < 1e-5, "{dist:?}");
        }
    }
}
