//! WaveCluster's transform on the CPU, twin of `shaders/wavecluster/lowpass.wgsl`: per
//! level and axis, the CDF (2,2) low-pass filter (-1/8, 1/4, 3/4, 1/4, -1/8) at every
//! other sample, mirrored at the ends. The filter's taps sum to 1, so a transformed cell
//! holds the local average of rows per original cell.

use rayon::prelude::*;

/// The filter taps, centre in the middle.
pub const TAPS: [f32; 5] = [-0.125, 0.25, 0.75, 0.25, -0.125];

/// Index `j` of a signal of length `n` with the signal mirrored at both ends.
pub fn mirror(j: i64, n: i64) -> usize {
    if n == 1 {
        return 0;
    }
    let mut k = j;
    for _ in 0..4 {
        if k < 0 {
            k = -k;
        }
        if k >= n {
            k = 2 * (n - 1) - k;
        }
    }
    k.clamp(0, n - 1) as usize
}

/// `grid` (sizes per axis, axis 0 fastest; up to 3 axes) filtered along `axis`, which
/// shrinks to ⌈n / 2⌉. Returns the new sizes and values.
pub fn lowpass_axis(grid: &[f32], sizes: [usize; 3], axis: usize) -> ([usize; 3], Vec<f32>) {
    let mut out = sizes;
    out[axis] = sizes[axis].div_ceil(2);
    let total = out[0] * out[1] * out[2];
    let n = sizes[axis] as i64;
    let values = (0..total)
        .into_par_iter()
        .map(|o| {
            let at = [o % out[0], (o / out[0]) % out[1], o / (out[0] * out[1])];
            let centre = 2 * at[axis] as i64;
            let mut value = 0.0f32;
            for (t, tap) in TAPS.iter().enumerate() {
                let mut src = at;
                src[axis] = mirror(centre + t as i64 - 2, n);
                value += tap * grid[src[0] + sizes[0] * (src[1] + sizes[1] * src[2])];
            }
            value
        })
        .collect();
    (out, values)
}

/// `levels` rounds of the filter along every one of the first `axes` axes.
pub fn transform(
    grid: &[f32],
    sizes: [usize; 3],
    axes: usize,
    levels: usize,
) -> ([usize; 3], Vec<f32>) {
    let mut sizes = sizes;
    let mut values = grid.to_vec();
    for _ in 0..levels {
        for axis in 0..axes {
            let (s, v) = lowpass_axis(&values, sizes, axis);
            sizes = s;
            values = v;
        }
    }
    (sizes, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hand_computed_row_and_grid() {
        // x = 0 8 16 8 0 0 (n = 6), mirrored: x[-2] = 16, x[-1] = 8, x[6] = 0, x[7] = 8.
        // s0 = -16/8 + 8/4 + 0 + 8/4 - 16/8 = 0
        // s1 = -0/8 + 8/4 + 3·16/4 + 8/4 - 0/8 = 16
        // s2 = -16/8 + 8/4 + 0 + 0/4 - 0/8 = 0
        let (sizes, row) = lowpass_axis(&[0.0, 8.0, 16.0, 8.0, 0.0, 0.0], [6, 1, 1], 0);
        assert_eq!(sizes, [3, 1, 1]);
        assert_eq!(row, vec![0.0, 16.0, 0.0]);
        // A 2 × 2 grid of ones stays ones (the taps sum to 1).
        let (sizes, grid) = transform(&[1.0; 4], [2, 2, 1], 2, 1);
        assert_eq!(sizes, [1, 1, 1]);
        assert_eq!(grid, vec![1.0]);
        // A 4 × 2 grid, rows (8 0 0 0) and (0 0 0 0): along x the first row gives
        // s0 = 3/4·8 - 2·(1/8)·0 = 6, s1 = -1/8·8 = -1; along y (n = 2, mirrored)
        // each column becomes 3/4·a + 2·(1/4)·b - 2·(1/8)·a = a/2 + b/2.
        let mut g = [0.0f32; 8];
        g[0] = 8.0;
        let (sizes, grid) = transform(&g, [4, 2, 1], 2, 1);
        assert_eq!(sizes, [2, 1, 1]);
        assert_eq!(grid, vec![3.0, -0.5]);
    }

    #[test]
    fn mirroring_reflects_at_both_ends() {
        assert_eq!(mirror(-2, 6), 2);
        assert_eq!(mirror(6, 6), 4);
        assert_eq!(mirror(7, 6), 3);
        assert_eq!(mirror(3, 2), 1);
        assert_eq!(mirror(-1, 1), 0);
    }
}
