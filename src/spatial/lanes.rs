//! Squared distances from rows to up to [`LANES`] candidate centres at once: the
//! candidates sit dimension-major in one tile so that each dimension of a row costs one
//! vector subtract and one fused multiply-add for all of them. Used by k-means++ (its
//! candidates) and the sampled silhouette (16 sampled rows per pass over the data).
//! Compiled three times (AVX-512, AVX2 + FMA, portable) and picked at run time, like the
//! assignment kernels.

/// Candidates scored per pass (k-means++ takes 2 + ln k ≤ 16 local trials for k ≤ 10⁶).
pub const LANES: usize = 16;
/// Rows whose distances are computed together, for independent accumulator chains.
const ROW_TILE: usize = 4;

/// Up to [`LANES`] centres, stored `values[j * LANES + lane]`; unused lanes repeat lane 0.
pub struct CandidateTile {
    values: Vec<f32>,
    pub count: usize,
}

impl CandidateTile {
    /// The tile of `centres` (1 to [`LANES`] rows of `dims` values).
    pub fn new(centres: &[&[f32]], dims: usize) -> Self {
        assert!(!centres.is_empty() && centres.len() <= LANES);
        let mut values = vec![0f32; dims * LANES];
        for lane in 0..LANES {
            let centre = centres[lane.min(centres.len() - 1)];
            for j in 0..dims {
                values[j * LANES + lane] = centre[j];
            }
        }
        Self {
            values,
            count: centres.len(),
        }
    }
}

/// Calls `each(i, distances)` for every row `i` of `rows` (row-major, `dims` wide) with
/// its squared distances to the tile's lanes.
pub fn for_each_row(
    rows: &[f32],
    dims: usize,
    tile: &CandidateTile,
    each: impl FnMut(usize, &[f32; LANES]),
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            unsafe { rows_avx512(rows, dims, tile, each) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            unsafe { rows_avx2_fma(rows, dims, tile, each) };
            return;
        }
    }
    rows_kernel::<false>(rows, dims, tile, each);
}

/// One zmm register of 16 lanes per row; the same arithmetic as the portable kernel with
/// `FUSED` (t = x − c, then fma(t, t, sum)), so the bits agree.
#[allow(clippy::needless_range_loop)]
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn rows_avx512(
    rows: &[f32],
    dims: usize,
    tile: &CandidateTile,
    mut each: impl FnMut(usize, &[f32; LANES]),
) {
    use std::arch::x86_64::*;
    if dims == 0 {
        return;
    }
    let m = rows.len() / dims;
    let centres = tile.values.as_ptr();
    let mut out = [0f32; LANES];
    let mut i = 0;
    while i < m {
        let index = |r: usize| (i + r).min(m - 1) * dims;
        let x: [*const f32; ROW_TILE] = std::array::from_fn(|r| rows[index(r)..].as_ptr());
        let mut sums = [_mm512_setzero_ps(); ROW_TILE];
        for j in 0..dims {
            // SAFETY: the tile holds dims × LANES values; each row pointer has dims values.
            unsafe {
                let c = _mm512_loadu_ps(centres.add(j * LANES));
                for r in 0..ROW_TILE {
                    let t = _mm512_sub_ps(_mm512_set1_ps(*x[r].add(j)), c);
                    sums[r] = _mm512_fmadd_ps(t, t, sums[r]);
                }
            }
        }
        for (r, sum) in sums.iter().enumerate().take(ROW_TILE.min(m - i)) {
            // SAFETY: `out` holds LANES = 16 floats.
            unsafe { _mm512_storeu_ps(out.as_mut_ptr(), *sum) };
            each(i + r, &out);
        }
        i += ROW_TILE;
    }
}

/// Two ymm registers of 8 lanes per row, as [`rows_avx512`].
#[allow(clippy::needless_range_loop)]
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn rows_avx2_fma(
    rows: &[f32],
    dims: usize,
    tile: &CandidateTile,
    mut each: impl FnMut(usize, &[f32; LANES]),
) {
    use std::arch::x86_64::*;
    if dims == 0 {
        return;
    }
    let m = rows.len() / dims;
    let centres = tile.values.as_ptr();
    let mut out = [0f32; LANES];
    let mut i = 0;
    while i < m {
        let index = |r: usize| (i + r).min(m - 1) * dims;
        let x: [*const f32; ROW_TILE] = std::array::from_fn(|r| rows[index(r)..].as_ptr());
        let mut low = [_mm256_setzero_ps(); ROW_TILE];
        let mut high = [_mm256_setzero_ps(); ROW_TILE];
        for j in 0..dims {
            // SAFETY: the tile holds dims × LANES values; each row pointer has dims values.
            unsafe {
                let c_low = _mm256_loadu_ps(centres.add(j * LANES));
                let c_high = _mm256_loadu_ps(centres.add(j * LANES + 8));
                for r in 0..ROW_TILE {
                    let xr = _mm256_set1_ps(*x[r].add(j));
                    let t_low = _mm256_sub_ps(xr, c_low);
                    let t_high = _mm256_sub_ps(xr, c_high);
                    low[r] = _mm256_fmadd_ps(t_low, t_low, low[r]);
                    high[r] = _mm256_fmadd_ps(t_high, t_high, high[r]);
                }
            }
        }
        for r in 0..ROW_TILE.min(m - i) {
            // SAFETY: `out` holds 16 floats: two halves of 8.
            unsafe {
                _mm256_storeu_ps(out.as_mut_ptr(), low[r]);
                _mm256_storeu_ps(out.as_mut_ptr().add(8), high[r]);
            }
            each(i + r, &out);
        }
        i += ROW_TILE;
    }
}

// `j` walks the dimensions of four rows and the tile at once.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn rows_kernel<const FUSED: bool>(
    rows: &[f32],
    dims: usize,
    tile: &CandidateTile,
    mut each: impl FnMut(usize, &[f32; LANES]),
) {
    if dims == 0 {
        return;
    }
    let m = rows.len() / dims;
    let mut i = 0;
    while i < m {
        let index = |r: usize| (i + r).min(m - 1);
        let x: [&[f32]; ROW_TILE] =
            std::array::from_fn(|r| &rows[index(r) * dims..index(r) * dims + dims]);
        let mut sums = [[0f32; LANES]; ROW_TILE];
        for j in 0..dims {
            let c: &[f32; LANES] = tile.values[j * LANES..(j + 1) * LANES]
                .try_into()
                .expect("a tile row is LANES wide");
            for r in 0..ROW_TILE {
                let xr = x[r][j];
                for (sum, &cl) in sums[r].iter_mut().zip(c) {
                    let t = xr - cl;
                    *sum = if FUSED {
                        t.mul_add(t, *sum)
                    } else {
                        t * t + *sum
                    };
                }
            }
        }
        for r in 0..ROW_TILE.min(m - i) {
            each(i + r, &sums[r]);
        }
        i += ROW_TILE;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simd_kernels_give_the_fused_portable_bits() {
        let data = crate::synthetic::uniform(103, 7, 3);
        let centres: Vec<&[f32]> = (0..11).map(|r| data.row(r * 9)).collect();
        let tile = CandidateTile::new(&centres, 7);
        let mut simd = Vec::new();
        for_each_row(&data.values, 7, &tile, |i, d| simd.push((i, *d)));
        let mut portable = Vec::new();
        rows_kernel::<true>(&data.values, 7, &tile, |i, d| portable.push((i, *d)));
        assert_eq!(simd.len(), 103);
        assert_eq!(simd, portable);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            let mut avx2 = Vec::new();
            // SAFETY: checked just above.
            unsafe { rows_avx2_fma(&data.values, 7, &tile, |i, d| avx2.push((i, *d))) };
            assert_eq!(avx2, portable);
        }
    }

    #[test]
    fn every_lane_holds_the_squared_distance_to_its_centre() {
        let rows = [0.0, 0.0, 3.0, 4.0, 1.0, 1.0, -2.0, 0.5, 7.0, 7.0];
        let a = [0.0f32, 0.0];
        let b = [3.0f32, 0.0];
        let tile = CandidateTile::new(&[&a, &b], 2);
        let mut seen = Vec::new();
        for_each_row(&rows, 2, &tile, |i, d| seen.push((i, d[0], d[1], d[5])));
        let expected = [
            (0, 0.0, 9.0),
            (1, 25.0, 16.0),
            (2, 2.0, 5.0),
            (3, 4.25, 25.25),
            (4, 98.0, 65.0),
        ];
        assert_eq!(seen.len(), 5);
        for ((i, to_a, to_b, padded), (ei, ea, eb)) in seen.into_iter().zip(expected) {
            assert_eq!(i, ei);
            assert!((to_a - ea).abs() < 1e-5 && (to_b - eb).abs() < 1e-5, "{i}");
            // Unused lanes repeat the last centre.
            assert_eq!(padded, to_b);
        }
    }
}
