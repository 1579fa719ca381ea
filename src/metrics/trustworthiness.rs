//! How faithfully a 2-D map keeps each row's neighbours: scikit-learn's
//! `sklearn.manifold.trustworthiness` (Venna & Kaski 2001), every pair compared, so O(n²):
//! for tests and benchmarks on tables of thousands of rows.

use rayon::prelude::*;

use crate::matrix::Matrix;
use crate::spatial::metric::Metric;

/// 1 − 2 / (n k (2n − 3k − 1)) · Σᵢ Σ_{j ∈ Uᵢ} (r(i, j) − k), where Uᵢ holds the k nearest
/// rows of i on the map that are not among its k nearest in `original` (under `metric`),
/// and r(i, j) is j's rank among i's neighbours there. 1 means every map neighbour is a
/// true one.
pub fn trustworthiness(original: &Matrix, mapped: &[[f32; 2]], k: usize, metric: Metric) -> f64 {
    let n = original.n_rows;
    assert_eq!(n, mapped.len(), "one map position per row");
    assert!(
        k >= 1 && 2 * n > 3 * k + 1,
        "k = {k} is too large for {n} rows"
    );
    let penalty: f64 = (0..n)
        .into_par_iter()
        .map(|i| {
            let x = original.row(i);
            let mut order: Vec<(f64, u32)> = (0..n)
                .filter(|&j| j != i)
                .map(|j| (metric.distance(x, original.row(j)), j as u32))
                .collect();
            order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut rank = vec![0usize; n];
            for (r, &(_, j)) in order.iter().enumerate() {
                rank[j as usize] = r + 1;
            }
            let p = mapped[i];
            let mut near: Vec<(f64, u32)> = (0..n)
                .filter(|&j| j != i)
                .map(|j| {
                    let dx = (mapped[j][0] - p[0]) as f64;
                    let dy = (mapped[j][1] - p[1]) as f64;
                    (dx * dx + dy * dy, j as u32)
                })
                .collect();
            near.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            near[..k]
                .iter()
                .map(|&(_, j)| rank[j as usize].saturating_sub(k) as f64)
                .sum::<f64>()
        })
        .sum();
    let (n, k) = (n as f64, k as f64);
    1.0 - penalty * 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_that_is_the_data_is_fully_trustworthy() {
        let rows: Vec<Vec<f32>> = (0..30)
            .map(|i| vec![(i * 7 % 30) as f32, (i * 3 % 11) as f32])
            .collect();
        let points = Matrix::from_rows(&rows);
        let mapped: Vec<[f32; 2]> = rows.iter().map(|r| [r[0], r[1]]).collect();
        assert!((trustworthiness(&points, &mapped, 5, Metric::Euclidean) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_shuffled_map_scores_lower_on_a_hand_computed_case() {
        // Rows at 0, 1, 3, 7 on a line, mapped to 0, 6, 3, 1. With k = 1 each row's map
        // neighbour and its true rank: 0 → 3 (rank 3), 1 → 2 (rank 2), 2 → 3 (rank 3),
        // 3 → 0 (rank 3): penalties 2 + 1 + 2 + 2 = 7, so 1 − 2·7 / (4·1·(8 − 3 − 1)) = 0.125.
        let points = Matrix::from_rows(&[vec![0.0], vec![1.0], vec![3.0], vec![7.0]]);
        let mapped = [[0.0, 0.0], [6.0, 0.0], [3.0, 0.0], [1.0, 0.0]];
        assert!((trustworthiness(&points, &mapped, 1, Metric::Euclidean) - 0.125).abs() < 1e-12);
    }
}
