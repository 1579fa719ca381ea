//! 2-D projections of the feature matrix for the scatter view: principal components
//! (fitted on the GPU from a tiled covariance, or on the CPU by linfa-reduction, the
//! twin and test oracle) and the projection of every row onto any two of them.

mod gpu;
pub mod map;
pub mod tsne;
pub mod umap;

use linfa::prelude::*;
use linfa_linalg::eigh::{EigSort, EighInto};
use linfa_reduction::Pca as LinfaPca;
use ndarray::Array2;
use rayon::prelude::*;

use crate::matrix::Matrix;

/// Components offered in the view.
pub const MAX_COMPONENTS: usize = 10;

/// Rows the CPU fit uses at most (an even sample above that): more change the axes
/// very little and cost time.
const CPU_FIT_ROWS: usize = 100_000;

/// A fitted PCA: unit-length components, strongest first.
#[derive(Clone, Debug)]
pub struct Pca {
    pub mean: Vec<f64>,
    /// At most [`MAX_COMPONENTS`], each of length d.
    pub components: Vec<Vec<f64>>,
    /// Share of the total variance each component explains.
    pub explained_ratio: Vec<f64>,
    /// "GPU (adapter)" or "CPU (linfa-reduction, n rows)".
    pub fitted_on: String,
}

impl Pca {
    /// From a mean and a covariance matrix (d × d, row-major): its eigenvectors by
    /// decreasing eigenvalue.
    pub fn from_covariance(
        mean: Vec<f64>,
        covariance: &[f64],
        fitted_on: String,
    ) -> Result<Self, String> {
        let d = mean.len();
        if d == 0 {
            return Err("PCA needs at least one feature column".into());
        }
        let matrix =
            Array2::from_shape_vec((d, d), covariance.to_vec()).map_err(|e| e.to_string())?;
        let total: f64 = (0..d).map(|i| covariance[i * d + i]).sum();
        let (values, vectors) = matrix
            .eigh_into()
            .map_err(|e| format!("PCA eigen-solve failed: {e}"))?
            .sort_eig_desc();
        let keep = d.min(MAX_COMPONENTS);
        let components = (0..keep)
            .map(|c| vectors.column(c).to_vec())
            .map(canonical_sign)
            .collect();
        let explained_ratio = (0..keep)
            .map(|c| {
                if total > 0.0 {
                    values[c].max(0.0) / total
                } else {
                    0.0
                }
            })
            .collect();
        Ok(Self {
            mean,
            components,
            explained_ratio,
            fitted_on,
        })
    }

    /// The CPU fit by linfa-reduction (on an even sample of at most 100,000 rows).
    pub fn fit_cpu(points: &Matrix) -> Result<Self, String> {
        let (n, d) = (points.n_rows, points.n_cols);
        if n == 0 || d == 0 {
            return Err("PCA needs at least one row and one feature column".into());
        }
        let step = n.div_ceil(CPU_FIT_ROWS).max(1);
        let rows: Vec<usize> = (0..n).step_by(step).collect();
        let sample = Array2::from_shape_fn((rows.len(), d), |(r, j)| {
            points.values[rows[r] * d + j] as f64
        });
        let mean: Vec<f64> = (0..d)
            .map(|j| sample.column(j).mean().unwrap_or(0.0))
            .collect();
        let total: f64 = (0..d)
            .map(|j| {
                let column = sample.column(j);
                column.iter().map(|v| (v - mean[j]).powi(2)).sum::<f64>() / rows.len() as f64
            })
            .sum();
        let keep = d.min(MAX_COMPONENTS);
        let fitted_on = format!("CPU (linfa-reduction, {} rows)", rows.len());
        if rows.len() < 2 {
            let components = (0..keep).map(|c| unit(d, c)).collect();
            return Ok(Self {
                mean,
                components,
                explained_ratio: vec![0.0; keep],
                fitted_on,
            });
        }
        // linfa's truncated SVD needs fewer components than rows.
        let fit = keep.min(rows.len() - 1).max(1);
        let model = LinfaPca::params(fit)
            .fit(&DatasetBase::from(sample.clone()))
            .map_err(|e| format!("PCA failed: {e}"))?;
        let mut components: Vec<Vec<f64>> = model
            .components()
            .rows()
            .into_iter()
            .map(|r| canonical_sign(r.to_vec()))
            .collect();
        // linfa drops directions with no variance; complete the basis with the remaining
        // eigenvectors of the sample covariance (orthogonal to the first ones).
        if components.len() < keep {
            let sample_matrix =
                Matrix::new(rows.len(), d, sample.iter().map(|&v| v as f32).collect());
            let (m, covariance) = mean_and_covariance(&sample_matrix);
            let full = Self::from_covariance(m, &covariance, String::new())?;
            components.extend(full.components.into_iter().skip(components.len()));
        }
        let explained_ratio = components
            .iter()
            .map(|c| {
                let variance = sample
                    .rows()
                    .into_iter()
                    .map(|r| {
                        let p: f64 = r
                            .iter()
                            .zip(&mean)
                            .zip(c)
                            .map(|((x, m), w)| (x - m) * w)
                            .sum();
                        p * p
                    })
                    .sum::<f64>()
                    / rows.len() as f64;
                if total > 0.0 { variance / total } else { 0.0 }
            })
            .collect();
        Ok(Self {
            mean,
            components,
            explained_ratio,
            fitted_on,
        })
    }

    /// Every row projected onto components `a` and `b` (rayon; f64 inside, f32 out).
    pub fn project(&self, points: &Matrix, a: usize, b: usize) -> Vec<[f32; 2]> {
        let d = points.n_cols;
        let zero = vec![0.0; d];
        let ca = self.components.get(a).unwrap_or(&zero);
        let cb = self.components.get(b).unwrap_or(&zero);
        if d == 0 {
            return vec![[0.0; 2]; points.n_rows];
        }
        points
            .values
            .par_chunks_exact(d)
            .map(|row| {
                let (mut x, mut y) = (0.0f64, 0.0f64);
                for j in 0..d {
                    let v = row[j] as f64 - self.mean[j];
                    x += v * ca[j];
                    y += v * cb[j];
                }
                [x as f32, y as f32]
            })
            .collect()
    }
}

fn unit(d: usize, axis: usize) -> Vec<f64> {
    let mut v = vec![0.0; d];
    if axis < d {
        v[axis] = 1.0;
    }
    v
}

/// Eigenvectors are defined up to sign; make the largest entry positive so GPU and CPU
/// fits (and re-fits) point the same way.
fn canonical_sign(mut v: Vec<f64>) -> Vec<f64> {
    let largest = v
        .iter()
        .copied()
        .max_by(|a, b| a.abs().total_cmp(&b.abs()))
        .unwrap_or(0.0);
    if largest < 0.0 {
        v.iter_mut().for_each(|x| *x = -*x);
    }
    v
}

/// Mean and covariance (divided by n) on the CPU in f64: the reference for the GPU's
/// tiled reduction.
pub fn mean_and_covariance(points: &Matrix) -> (Vec<f64>, Vec<f64>) {
    let (n, d) = (points.n_rows, points.n_cols);
    let mut mean = vec![0.0; d];
    for row in points.values.chunks_exact(d.max(1)) {
        for (m, &v) in mean.iter_mut().zip(row) {
            *m += v as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
    let mut covariance = vec![0.0; d * d];
    for row in points.values.chunks_exact(d.max(1)) {
        for i in 0..d {
            let xi = row[i] as f64 - mean[i];
            for j in i..d {
                covariance[i * d + j] += xi * (row[j] as f64 - mean[j]);
            }
        }
    }
    for i in 0..d {
        for j in 0..i {
            covariance[i * d + j] = covariance[j * d + i];
        }
    }
    covariance.iter_mut().for_each(|c| *c /= n.max(1) as f64);
    (mean, covariance)
}

/// [x_min, y_min, x_max, y_max] over finite coordinates ([0, 0, 1, 1] when there are none).
pub fn finite_bounds(coordinates: &[[f32; 2]]) -> [f64; 4] {
    let mut bounds = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for p in coordinates
        .iter()
        .filter(|p| p[0].is_finite() && p[1].is_finite())
    {
        bounds[0] = bounds[0].min(p[0] as f64);
        bounds[1] = bounds[1].min(p[1] as f64);
        bounds[2] = bounds[2].max(p[0] as f64);
        bounds[3] = bounds[3].max(p[1] as f64);
    }
    if bounds[0] > bounds[2] {
        return [0.0, 0.0, 1.0, 1.0];
    }
    bounds
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
        let points = Matrix::from_rows(&rows);
        for pca in [Pca::fit_cpu(&points).unwrap(), {
            let (mean, covariance) = mean_and_covariance(&points);
            Pca::from_covariance(mean, &covariance, "test".into()).unwrap()
        }] {
            assert!(pca.explained_ratio[0] > 0.999, "{:?}", pca.explained_ratio);
            let coordinates = pca.project(&points, 0, 1);
            assert!(coordinates.iter().all(|c| c[1].abs() < 1e-4));
            let spread = coordinates[49][0] - coordinates[0][0];
            assert!((spread.abs() - 49.0 * 5f32.sqrt()).abs() < 1e-3, "{spread}");
        }
    }

    #[test]
    fn covariance_eigenvectors_match_linfa() {
        let mut rng = 7u64;
        let mut next = || {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((rng >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        };
        // Anisotropic: variances 9, 4, 1, 0.25 along mixed axes.
        let rows: Vec<Vec<f32>> = (0..2000)
            .map(|_| {
                let (a, b, c, e) = (3.0 * next(), 2.0 * next(), next(), 0.5 * next());
                vec![a + b, a - b + c, c + e, e - a]
            })
            .collect();
        let points = Matrix::from_rows(&rows);
        let (mean, covariance) = mean_and_covariance(&points);
        let ours = Pca::from_covariance(mean, &covariance, "test".into()).unwrap();
        let linfa = Pca::fit_cpu(&points).unwrap();
        for (a, b) in ours.components.iter().zip(&linfa.components) {
            for (x, y) in a.iter().zip(b) {
                assert!((x - y).abs() < 1e-6, "{a:?} vs {b:?}");
            }
        }
    }
}
