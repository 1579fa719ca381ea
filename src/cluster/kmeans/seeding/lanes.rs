//! Squared distances from rows to up to [`LANES`] candidate centres at once: the
//! candidates sit dimension-major in one tile so that each dimension of a row costs one
//! vector subtract and one fused multiply-add for all of them. Compiled three times
//! (AVX-512, AVX2 + FMA, portable) and picked at run time, like the assignment kernels.

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

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn rows_avx512(
    rows: &[f32],
    dims: usize,
    tile: &CandidateTile,
    each: impl FnMut(usize, &[f32; LANES]),
) {
    rows_kernel::<true>(rows, dims, tile, each);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn rows_avx2_fma(
    rows: &[f32],
    dims: usize,
    tile: &CandidateTile,
    each: impl FnMut(usize, &[f32; LANES]),
) {
    rows_kernel::<true>(rows, dims, tile, each);
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
