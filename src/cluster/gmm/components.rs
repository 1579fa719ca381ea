//! A Gaussian mixture's parameters as scikit-learn's `GaussianMixture` keeps them: weights,
//! means, covariances of one of four shapes, and the Cholesky factors of the precisions
//! that the E-step uses. The M-step (parameters from responsibilities) is here too.

use linfa_linalg::cholesky::Cholesky;
use linfa_linalg::triangular::{SolveTriangular, UPLO};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::blocked;
use crate::cluster::ParamsError;
use crate::matrix::Matrix;

/// The shape of each component's covariance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CovarianceType {
    /// Each component its own full covariance matrix.
    #[default]
    Full,
    /// One full covariance matrix shared by all components.
    Tied,
    /// Each component its own diagonal covariance.
    Diag,
    /// Each component one variance.
    Spherical,
}

impl CovarianceType {
    pub fn name(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Tied => "tied",
            Self::Diag => "diag",
            Self::Spherical => "spherical",
        }
    }

    /// Free parameters of a k-component mixture in d dimensions (for BIC and AIC), as
    /// scikit-learn's `_n_parameters`.
    pub fn n_parameters(self, k: usize, d: usize) -> usize {
        let covariance = match self {
            Self::Full => k * d * (d + 1) / 2,
            Self::Tied => d * (d + 1) / 2,
            Self::Diag => k * d,
            Self::Spherical => k,
        };
        covariance + k * d + k - 1
    }
}

/// The parameters of a fitted (or initialised) mixture.
#[derive(Clone, Debug)]
pub struct Mixture {
    pub covariance_type: CovarianceType,
    pub n_dims: usize,
    pub weights: Vec<f64>,
    /// k × d, row-major.
    pub means: Vec<f64>,
    /// Full covariance of each component, k × d × d (tied: the shared matrix repeated;
    /// diag and spherical: diagonal matrices), for views and exports.
    pub covariances: Vec<f64>,
    /// Per component, the upper-triangular U with precision = U Uᵀ (full and tied, d × d)
    /// or the per-dimension 1/σ (diag, spherical expanded to d).
    pub(crate) precision_factors: Vec<f64>,
    /// Per component, log det U = −½ log det Σ.
    pub(crate) log_det_factor: Vec<f64>,
}

impl Mixture {
    pub fn n_components(&self) -> usize {
        self.weights.len()
    }

    pub fn mean(&self, component: usize) -> &[f64] {
        &self.means[component * self.n_dims..(component + 1) * self.n_dims]
    }

    /// Component `c`'s covariance, d × d row-major.
    pub fn covariance(&self, component: usize) -> &[f64] {
        let dd = self.n_dims * self.n_dims;
        &self.covariances[component * dd..(component + 1) * dd]
    }

    /// Whether the E-step's factors are full triangular matrices (full, tied) or
    /// per-dimension scales (diag, spherical).
    pub(crate) fn triangular_factors(&self) -> bool {
        matches!(
            self.covariance_type,
            CovarianceType::Full | CovarianceType::Tied
        )
    }

    /// The M-step: weights, means and covariances from responsibilities (n × k, rows
    /// summing to 1), as scikit-learn's `_estimate_gaussian_parameters`, with `reg_covar`
    /// added to every variance. One pass in f64 over the f32 rows: the weights, first and
    /// second moments as block products about the column means (see [`blocked`]).
    pub fn from_responsibilities(
        points: &Matrix,
        resp: &[f64],
        k: usize,
        covariance_type: CovarianceType,
        reg_covar: f64,
    ) -> Result<Self, ParamsError> {
        let full = matches!(covariance_type, CovarianceType::Full | CovarianceType::Tied);
        let shift = blocked::column_means(points);
        let moments = blocked::moments(points, resp, k, &shift, full);
        Self::from_moments(&moments, &shift, points.n_rows, covariance_type, reg_covar)
    }

    /// The M-step from the responsibilities' moments about `shift` (see
    /// [`blocked::moments`]) over `n` rows.
    pub fn from_moments(
        moments: &blocked::Moments,
        shift: &[f64],
        n: usize,
        covariance_type: CovarianceType,
        reg_covar: f64,
    ) -> Result<Self, ParamsError> {
        let (k, d) = (moments.weight.len(), shift.len());
        let full = matches!(covariance_type, CovarianceType::Full | CovarianceType::Tied);
        // scikit-learn adds 10 machine epsilons so empty components do not divide by 0.
        let nk: Vec<f64> = moments
            .weight
            .iter()
            .map(|w| w + 10.0 * f64::EPSILON)
            .collect();
        // δ = μ − shift; Σ r (x′ − δ)(x′ − δ)ᵀ = S − δ Fᵀ − F δᵀ + n_c δ δᵀ with F, S the
        // first and second moments about the shift.
        let mut delta = vec![0.0; k * d];
        let mut means = vec![0.0; k * d];
        for c in 0..k {
            for j in 0..d {
                delta[c * d + j] = moments.first[c * d + j] / nk[c];
                means[c * d + j] = shift[j] + delta[c * d + j];
            }
        }
        let width = if full { d * d } else { d };
        let second_width = moments.second.len() / k.max(1);
        let mut centred = vec![0.0; k * width];
        for c in 0..k {
            let (f, dl, w) = (
                &moments.first[c * d..(c + 1) * d],
                &delta[c * d..(c + 1) * d],
                moments.weight[c],
            );
            let s = &moments.second[c * second_width..(c + 1) * second_width];
            if full {
                let mut packed = 0;
                for a in 0..d {
                    for b in a..d {
                        centred[c * width + a * d + b] =
                            s[packed] - dl[a] * f[b] - f[a] * dl[b] + w * dl[a] * dl[b];
                        packed += 1;
                    }
                }
            } else {
                for j in 0..d {
                    centred[c * width + j] = s[j] - 2.0 * dl[j] * f[j] + w * dl[j] * dl[j];
                }
            }
        }
        let dd = d * d;
        let mut covariances = vec![0.0; k * dd];
        match covariance_type {
            CovarianceType::Full | CovarianceType::Tied => {
                let tied_total: f64 = nk.iter().sum();
                let mut shared = vec![0.0; dd];
                for c in 0..k {
                    for a in 0..d {
                        for b in a..d {
                            let s = centred[c * width + a * d + b];
                            if covariance_type == CovarianceType::Full {
                                let v = s / nk[c];
                                covariances[c * dd + a * d + b] = v;
                                covariances[c * dd + b * d + a] = v;
                            } else {
                                shared[a * d + b] += s / tied_total;
                            }
                        }
                    }
                }
                if covariance_type == CovarianceType::Tied {
                    for a in 0..d {
                        for b in 0..a {
                            shared[a * d + b] = shared[b * d + a];
                        }
                    }
                    for c in 0..k {
                        covariances[c * dd..(c + 1) * dd].copy_from_slice(&shared);
                    }
                }
                for c in 0..k {
                    for a in 0..d {
                        covariances[c * dd + a * d + a] += reg_covar;
                    }
                }
            }
            CovarianceType::Diag | CovarianceType::Spherical => {
                for c in 0..k {
                    let mut variances: Vec<f64> = (0..d)
                        .map(|j| centred[c * width + j] / nk[c] + reg_covar)
                        .collect();
                    if covariance_type == CovarianceType::Spherical {
                        let mean = variances.iter().sum::<f64>() / d as f64;
                        variances.iter_mut().for_each(|v| *v = mean);
                    }
                    for j in 0..d {
                        covariances[c * dd + j * d + j] = variances[j];
                    }
                }
            }
        }
        // f32 rows carry about 7 digits: a variance below (10⁻⁷ × the column's magnitude)²
        // is rounding, not spread, and the component is degenerate in that column.
        for j in 0..d {
            let magnitude = (0..k)
                .map(|c| means[c * d + j].powi(2) + covariances[c * dd + j * d + j])
                .fold(0.0, f64::max);
            for c in 0..k {
                if covariances[c * dd + j * d + j] <= 1e-14 * magnitude {
                    return Err(not_definite(c));
                }
            }
        }
        let weights = nk.iter().map(|&w| w / n as f64).collect();
        Self::from_parameters(covariance_type, d, weights, means, covariances)
    }

    /// A mixture from its parameters; fails, naming `reg_covar`, when a covariance is not
    /// positive definite.
    pub fn from_parameters(
        covariance_type: CovarianceType,
        d: usize,
        weights: Vec<f64>,
        means: Vec<f64>,
        covariances: Vec<f64>,
    ) -> Result<Self, ParamsError> {
        let k = weights.len();
        let dd = d * d;
        let mut precision_factors = Vec::with_capacity(k * dd);
        let mut log_det_factor = Vec::with_capacity(k);
        for c in 0..k {
            let cov = &covariances[c * dd..(c + 1) * dd];
            match covariance_type {
                CovarianceType::Full | CovarianceType::Tied => {
                    let matrix = Array2::from_shape_vec((d, d), cov.to_vec())
                        .map_err(|e| ParamsError::new("covariance", e.to_string()))?;
                    let lower = matrix.cholesky().map_err(|_| not_definite(c))?;
                    // A pivot² is the variance of a column left after regressing it on the
                    // ones before; at 10⁻¹² of its variance the columns are collinear.
                    for j in 0..d {
                        if lower[(j, j)].powi(2) <= 1e-12 * cov[j * d + j] {
                            return Err(not_definite(c));
                        }
                    }
                    let inverse = lower
                        .solve_triangular(&Array2::eye(d), UPLO::Lower)
                        .map_err(|_| not_definite(c))?;
                    // U = (L⁻¹)ᵀ, upper triangular: precision = U Uᵀ.
                    let upper = inverse.t();
                    let mut log_det = 0.0;
                    for a in 0..d {
                        for b in 0..d {
                            precision_factors.push(upper[(a, b)]);
                        }
                        log_det += upper[(a, a)].ln();
                    }
                    log_det_factor.push(log_det);
                }
                CovarianceType::Diag | CovarianceType::Spherical => {
                    let mut log_det = 0.0;
                    for j in 0..d {
                        let v = cov[j * d + j];
                        if v.is_nan() || v <= 0.0 || !v.is_finite() {
                            return Err(not_definite(c));
                        }
                        let scale = 1.0 / v.sqrt();
                        precision_factors.push(scale);
                        log_det += scale.ln();
                    }
                    log_det_factor.push(log_det);
                }
            }
        }
        Ok(Self {
            covariance_type,
            n_dims: d,
            weights,
            means,
            covariances,
            precision_factors,
            log_det_factor,
        })
    }

    /// The factor of component `c`: d × d (triangular shapes) or d scales.
    pub(crate) fn factor(&self, c: usize) -> &[f64] {
        let size = if self.triangular_factors() {
            self.n_dims * self.n_dims
        } else {
            self.n_dims
        };
        &self.precision_factors[c * size..(c + 1) * size]
    }

    /// log(w_c) + log N(x | μ_c, Σ_c) for every component, into `out`.
    pub(crate) fn weighted_log_densities(&self, x: &[f32], scratch: &mut [f64], out: &mut [f64]) {
        let d = self.n_dims;
        let log_2pi = d as f64 * (2.0 * std::f64::consts::PI).ln();
        for (c, value) in out.iter_mut().enumerate() {
            let mean = self.mean(c);
            let factor = self.factor(c);
            for j in 0..d {
                scratch[j] = x[j] as f64 - mean[j];
            }
            let mut squared = 0.0;
            if self.triangular_factors() {
                // y = (x − μ)ᵀ U: column b of U has rows 0..=b.
                for b in 0..d {
                    let mut y = 0.0;
                    for a in 0..=b {
                        y += scratch[a] * factor[a * d + b];
                    }
                    squared += y * y;
                }
            } else {
                for j in 0..d {
                    let y = scratch[j] * factor[j];
                    squared += y * y;
                }
            }
            *value = self.weights[c].ln() - 0.5 * (log_2pi + squared) + self.log_det_factor[c];
        }
    }
}

fn not_definite(component: usize) -> ParamsError {
    ParamsError::new(
        "reg_covar",
        format!(
            "the covariance of component {component} is singular (it holds too few distinct rows, or rows that lie on a line or plane); raise {{reg_covar}} (scikit-learn's default is 1e-6), lower the component count, or scale the columns"
        ),
    )
}
