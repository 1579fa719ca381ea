//! Expectation–maximisation for a Gaussian mixture on the CPU (rayon, f64 sums over f32
//! rows): the E-step's log-densities and log-sum-exp, and scikit-learn's loop around it.

use rayon::prelude::*;

use super::blocked::{self, BlockScratch, Moments, TriangularDensities};
use super::components::{CovarianceType, Mixture};
use crate::cluster::{ClusterError, Progress, RunContext};
use crate::matrix::Matrix;

/// Rows per parallel task of the E-step.
const ROWS_PER_TASK: usize = 1024;

/// One E-step: the responsibilities (n × k) and the mean log-likelihood per row.
pub struct Expectation {
    pub resp: Vec<f64>,
    pub mean_log_likelihood: f64,
}

/// The E-step of `mixture` on `points`: log w_c + log N(x | μ_c, Σ_c) per component,
/// normalised by their log-sum-exp (the row's log-likelihood).
pub fn expectation(points: &Matrix, mixture: &Mixture) -> Expectation {
    let (n, d, k) = (points.n_rows, points.n_cols, mixture.n_components());
    let mut resp = vec![0.0f64; n * k];
    // Full and tied factors as block products; per-dimension scales row by row.
    let triangular = mixture
        .triangular_factors()
        .then(|| TriangularDensities::new(mixture, blocked::column_means(points)));
    let partial: Vec<f64> = points
        .values
        .par_chunks(d.max(1) * ROWS_PER_TASK)
        .zip(resp.par_chunks_mut(k * ROWS_PER_TASK))
        .map(|(rows, out)| {
            match &triangular {
                Some(kernel) => {
                    let mut scratch = BlockScratch::default();
                    for (rows, out) in rows
                        .chunks(d * blocked::BLOCK_ROWS)
                        .zip(out.chunks_mut(k * blocked::BLOCK_ROWS))
                    {
                        kernel.block(rows, &mut scratch, out);
                    }
                }
                None => {
                    let mut scratch = vec![0.0; d];
                    for (x, r) in rows.chunks_exact(d).zip(out.chunks_exact_mut(k)) {
                        mixture.weighted_log_densities(x, &mut scratch, r);
                    }
                }
            }
            let mut sum = 0.0;
            for r in out.chunks_exact_mut(k) {
                let lse = log_sum_exp(r);
                r.iter_mut().for_each(|v| *v = (*v - lse).exp());
                sum += lse;
            }
            sum
        })
        .collect();
    // Summed in row order, so the bound (and the convergence test) is the same every run.
    let total: f64 = partial.iter().sum();
    Expectation {
        resp,
        mean_log_likelihood: total / n.max(1) as f64,
    }
}

/// log Σ exp(v), stable for any magnitudes.
pub fn log_sum_exp(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + values.iter().map(|v| (v - max).exp()).sum::<f64>().ln()
}

/// Where the E-step and the M-step's sums run.
pub enum EStep<'a> {
    Cpu,
    Gpu(&'a super::gpu::GpuExpectation),
}

impl EStep<'_> {
    pub fn expectation(
        &self,
        points: &Matrix,
        mixture: &Mixture,
    ) -> Result<Expectation, ClusterError> {
        match self {
            EStep::Cpu => Ok(expectation(points, mixture)),
            EStep::Gpu(gpu) => Ok(gpu.expectation(mixture)?),
        }
    }

    /// One E-step and the moments of its responsibilities about `shift` that the M-step
    /// needs, with the mean log-likelihood.
    pub fn moments(
        &self,
        points: &Matrix,
        mixture: &Mixture,
        shift: &[f64],
        full: bool,
    ) -> Result<(Moments, f64), ClusterError> {
        match self {
            EStep::Cpu => {
                let step = expectation(points, mixture);
                let k = mixture.n_components();
                let moments = blocked::moments(points, &step.resp, k, shift, full);
                Ok((moments, step.mean_log_likelihood))
            }
            EStep::Gpu(gpu) => Ok(gpu.moments(mixture, shift, full)?),
        }
    }
}

/// How one EM run went.
pub struct EmRun {
    pub mixture: Mixture,
    /// The lower bound at the last iteration (scikit-learn's `lower_bound_`): the mean
    /// log-likelihood of the parameters before the last M-step.
    pub lower_bound: f64,
    pub iterations: usize,
    pub converged: bool,
}

/// scikit-learn's loop: E-step, M-step, until the mean log-likelihood changes by less than
/// `tolerance` or `max_iterations` have run.
#[allow(clippy::too_many_arguments)]
pub fn run_em(
    estep: &EStep<'_>,
    points: &Matrix,
    start: Mixture,
    covariance_type: CovarianceType,
    reg_covar: f64,
    max_iterations: usize,
    tolerance: f64,
    context: &RunContext,
) -> Result<EmRun, ClusterError> {
    let mut mixture = start;
    let shift = blocked::column_means(points);
    let full = matches!(covariance_type, CovarianceType::Full | CovarianceType::Tied);
    let mut lower_bound = f64::NEG_INFINITY;
    let mut converged = false;
    let mut iterations = 0;
    for iteration in 1..=max_iterations {
        context.check_cancelled()?;
        let previous = lower_bound;
        let (moments, mean_log_likelihood) = estep.moments(points, &mixture, &shift, full)?;
        mixture =
            Mixture::from_moments(&moments, &shift, points.n_rows, covariance_type, reg_covar)?;
        lower_bound = mean_log_likelihood;
        iterations = iteration;
        context.report(Progress {
            phase: "EM iterations",
            iteration,
            max_iterations,
            // The change of the mean log-likelihood, as the loop tests it.
            shift: (lower_bound - previous).abs(),
        });
        if (lower_bound - previous).abs() < tolerance {
            converged = true;
            break;
        }
    }
    Ok(EmRun {
        mixture,
        lower_bound,
        iterations,
        converged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_sum_exp_is_stable_far_from_zero() {
        assert!((log_sum_exp(&[-1000.0, -1000.0]) - (-1000.0 + 2f64.ln())).abs() < 1e-12);
        assert!((log_sum_exp(&[800.0, 0.0]) - 800.0).abs() < 1e-12);
        assert_eq!(log_sum_exp(&[f64::NEG_INFINITY]), f64::NEG_INFINITY);
    }

    #[test]
    fn one_standard_normal_component_has_the_textbook_density() {
        // N(0, 1) in 2-D at (1, 0): log p = −log 2π − ½.
        let mixture = Mixture::from_parameters(
            CovarianceType::Full,
            2,
            vec![1.0],
            vec![0.0, 0.0],
            vec![1.0, 0.0, 0.0, 1.0],
        )
        .unwrap();
        let points = Matrix::new(1, 2, vec![1.0, 0.0]);
        let step = expectation(&points, &mixture);
        let expected = -(2.0 * std::f64::consts::PI).ln() - 0.5;
        assert!((step.mean_log_likelihood - expected).abs() < 1e-12);
        assert_eq!(step.resp, vec![1.0]);
    }

    #[test]
    fn a_correlated_covariance_uses_its_inverse() {
        // Σ = [[2, 1], [1, 2]]: det 3, Σ⁻¹ = [[2, −1], [−1, 2]] / 3; at x = (1, 1) the
        // Mahalanobis square is (2 − 1 − 1 + 2) / 3 = 2/3.
        let mixture = Mixture::from_parameters(
            CovarianceType::Full,
            2,
            vec![1.0],
            vec![0.0, 0.0],
            vec![2.0, 1.0, 1.0, 2.0],
        )
        .unwrap();
        let step = expectation(&Matrix::new(1, 2, vec![1.0, 1.0]), &mixture);
        let expected = -(2.0 * std::f64::consts::PI).ln() - 0.5 * 3f64.ln() - 0.5 * (2.0 / 3.0);
        assert!((step.mean_log_likelihood - expected).abs() < 1e-12);
    }

    #[test]
    fn the_m_step_recovers_weighted_means_and_variances() {
        // Rows 0, 2 in one component, 10 in the other (one-hot): means 1 and 10, variances
        // 1 and 0 (+ reg), weights 2/3 and 1/3.
        let points = Matrix::new(3, 1, vec![0.0, 2.0, 10.0]);
        let resp = vec![1.0, 0.0, 1.0, 0.0, 0.0, 1.0];
        for shape in [CovarianceType::Full, CovarianceType::Diag] {
            let m = Mixture::from_responsibilities(&points, &resp, 2, shape, 1e-6).unwrap();
            assert!((m.means[0] - 1.0).abs() < 1e-12 && (m.means[1] - 10.0).abs() < 1e-12);
            assert!((m.covariances[0] - (1.0 + 1e-6)).abs() < 1e-12);
            assert!((m.covariances[1] - 1e-6).abs() < 1e-12);
            assert!((m.weights[0] - 2.0 / 3.0).abs() < 1e-12);
        }
        // Without regularisation a constant column makes every covariance singular (its
        // variance is exactly 0): a clear error naming reg_covar.
        let flat = Matrix::new(3, 2, vec![0.0, 5.0, 2.0, 5.0, 10.0, 5.0]);
        let error = Mixture::from_responsibilities(&flat, &resp, 2, CovarianceType::Full, 0.0)
            .err()
            .unwrap();
        assert_eq!(error.field, "reg_covar");
    }
}
