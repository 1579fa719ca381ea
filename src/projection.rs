//! 2-D projections of the feature matrix for the scatter view.

use linfa::prelude::*;
use linfa_reduction::Pca;
use ndarray::Array2;

use crate::matrix::Matrix;

/// Rows used to fit the PCA; more rows change the axes very little and cost time.
const FIT_ROWS: usize = 20_000;

/// The first two principal components of every row, and the share of variance each explains.
pub fn pca_2d(points: &Matrix) -> Result<(Vec<[f64; 2]>, [f64; 2]), String> {
    let n = points.n_rows;
    let d = points.n_cols;
    if n == 0 {
        return Ok((Vec::new(), [0.0; 2]));
    }
    if d == 1 || n < 3 {
        let coordinates = (0..n)
            .map(|i| {
                [
                    points.values[i * d] as f64,
                    if d > 1 {
                        points.values[i * d + 1] as f64
                    } else {
                        0.0
                    },
                ]
            })
            .collect();
        return Ok((coordinates, [1.0, 0.0]));
    }
    let step = n.div_ceil(FIT_ROWS).max(1);
    let fit_rows: Vec<usize> = (0..n).step_by(step).collect();
    let sample = Array2::from_shape_fn((fit_rows.len(), d), |(r, j)| {
        points.values[fit_rows[r] * d + j] as f64
    });
    let pca = Pca::params(2)
        .fit(&DatasetBase::from(sample))
        .map_err(|e| format!("PCA failed: {e}"))?;
    let all = Array2::from_shape_fn((n, d), |(i, j)| points.values[i * d + j] as f64);
    let projected: Array2<f64> = pca.predict(&all);
    // linfa drops components with no variance, so a second column may be missing.
    let coordinates = projected
        .rows()
        .into_iter()
        .map(|r| {
            [
                r.get(0).copied().unwrap_or(0.0),
                r.get(1).copied().unwrap_or(0.0),
            ]
        })
        .collect::<Vec<[f64; 2]>>();
    // Shares of the total variance, computed here: linfa's ratio is NaN for rank-deficient data.
    let total = points.mean_feature_variance() * d as f64;
    let variance = |axis: usize| {
        let mean = coordinates.iter().map(|c| c[axis]).sum::<f64>() / n as f64;
        coordinates
            .iter()
            .map(|c| (c[axis] - mean).powi(2))
            .sum::<f64>()
            / n as f64
    };
    let ratio = if total > 0.0 {
        [variance(0) / total, variance(1) / total]
    } else {
        [0.0, 0.0]
    };
    Ok((coordinates, ratio))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_on_a_line_project_onto_the_first_component() {
        // y = 2x in 3-D with a constant third column: all variance on one axis.
        let rows: Vec<Vec<f32>> = (0..50)
            .map(|i| vec![i as f32, 2.0 * i as f32, 5.0])
            .collect();
        let (coordinates, ratio) = pca_2d(&Matrix::from_rows(&rows)).unwrap();
        assert!(ratio[0] > 0.999, "{ratio:?}");
        assert!(coordinates.iter().all(|c| c[1].abs() < 1e-6));
        let spread = coordinates[49][0] - coordinates[0][0];
        assert!((spread.abs() - 49.0 * 5f64.sqrt()).abs() < 1e-6, "{spread}");
    }
}
