//! A dense row-major `f32` matrix: the one shape every algorithm and kernel consumes.

/// Row-major matrix of `n_rows × n_cols` values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Matrix {
    pub n_rows: usize,
    pub n_cols: usize,
    pub values: Vec<f32>,
}

impl Matrix {
    /// Wraps `values` (row-major); `values.len()` must equal `n_rows * n_cols`.
    pub fn new(n_rows: usize, n_cols: usize, values: Vec<f32>) -> Self {
        assert_eq!(
            values.len(),
            n_rows * n_cols,
            "matrix shape does not match its values"
        );
        Self {
            n_rows,
            n_cols,
            values,
        }
    }

    /// Builds a matrix from equally long rows.
    pub fn from_rows(rows: &[Vec<f32>]) -> Self {
        let n_cols = rows.first().map_or(0, Vec::len);
        let values: Vec<f32> = rows.iter().flat_map(|r| r.iter().copied()).collect();
        Self::new(rows.len(), n_cols, values)
    }

    /// One row as a slice.
    pub fn row(&self, index: usize) -> &[f32] {
        &self.values[index * self.n_cols..(index + 1) * self.n_cols]
    }

    /// Mean over features of each feature's (population) variance; scales k-means' tolerance
    /// the way scikit-learn does, so `tol` means the same thing for any units.
    pub fn mean_feature_variance(&self) -> f64 {
        if self.n_rows == 0 || self.n_cols == 0 {
            return 0.0;
        }
        let d = self.n_cols;
        let mut sum = vec![0f64; d];
        let mut sum_sq = vec![0f64; d];
        for row in self.values.chunks_exact(d) {
            for (j, &v) in row.iter().enumerate() {
                sum[j] += v as f64;
                sum_sq[j] += (v as f64) * (v as f64);
            }
        }
        let n = self.n_rows as f64;
        let total: f64 = (0..d)
            .map(|j| (sum_sq[j] / n - (sum[j] / n).powi(2)).max(0.0))
            .sum();
        total / d as f64
    }
}
