//! Gaussian mixtures by expectation–maximisation, as scikit-learn's `GaussianMixture`:
//! four covariance shapes, k-means or random starts, restarts keeping the best lower
//! bound, `reg_covar` on every variance. Labels are each row's most probable component
//! after a final E-step; the probability of that component is a per-row score, and the
//! mean log-likelihood, BIC and AIC describe the fit.

pub mod blocked;
mod components;
mod em;
pub mod gpu;

use std::sync::Arc;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

pub use components::{CovarianceType, Mixture};
pub use em::{EStep, EmRun, Expectation, expectation, log_sum_exp, run_em};

use super::kmeans::{self, KMeansParams};
use super::params::{Choice, ParamSpec, ParamsError, RealRange, real};
use super::{
    Algorithm, AlgorithmInfo, BackendChoice, ClusterError, Clustering, Engine, Family, Input,
    RunContext, RunDiagnostics, Structure, StructureKind, cpu_name,
};
use crate::matrix::Matrix;

/// The declarations of [`GmmParams`].
pub const PARAMETERS: &[ParamSpec] = &[
    ParamSpec::count("n_clusters", 4, "number of mixture components")
        .required()
        .slider(1, 32),
    ParamSpec::choice(
        "covariance",
        "full",
        &[
            Choice {
                value: "full",
                help: "each component its own covariance matrix: elliptical clusters at any angle",
            },
            Choice {
                value: "tied",
                help: "one covariance matrix shared by all components",
            },
            Choice {
                value: "diag",
                help: "each component its own axis-aligned variances",
            },
            Choice {
                value: "spherical",
                help: "each component one variance: round clusters",
            },
        ],
        "the shape of each component's covariance",
    ),
    ParamSpec::count("max_iterations", 100, "EM iterations at most"),
    ParamSpec::real(
        "tolerance",
        1e-3,
        RealRange::NON_NEGATIVE,
        "stop when the mean log-likelihood per row changes by less than this (as scikit-learn)",
    ),
    ParamSpec::real(
        "reg_covar",
        1e-6,
        RealRange::NON_NEGATIVE,
        "added to every variance so covariances stay invertible",
    ),
    ParamSpec::choice(
        "init",
        "kmeans",
        &[
            Choice {
                value: "kmeans",
                help: "responsibilities from one k-means run (as scikit-learn)",
            },
            Choice {
                value: "random",
                help: "random responsibilities",
            },
        ],
        "how the first responsibilities are chosen",
    ),
    ParamSpec::count(
        "n_init",
        1,
        "restarts from different seeds, keeping the best lower bound",
    ),
    ParamSpec::seed(),
];

/// How the first responsibilities are chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GmmInit {
    #[default]
    Kmeans,
    Random,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GmmParams {
    pub n_clusters: usize,
    pub covariance: CovarianceType,
    pub max_iterations: usize,
    #[serde(with = "real")]
    pub tolerance: f64,
    #[serde(with = "real")]
    pub reg_covar: f64,
    pub init: GmmInit,
    pub n_init: usize,
    pub seed: u64,
}

impl GmmParams {
    pub fn new(n_clusters: usize) -> Self {
        Self {
            n_clusters,
            covariance: CovarianceType::Full,
            max_iterations: 100,
            tolerance: 1e-3,
            reg_covar: 1e-6,
            init: GmmInit::Kmeans,
            n_init: 1,
            seed: 42,
        }
    }

    pub fn covariance(mut self, covariance: CovarianceType) -> Self {
        self.covariance = covariance;
        self
    }

    pub fn max_iterations(mut self, max_iterations: usize) -> Self {
        self.max_iterations = max_iterations;
        self
    }

    pub fn tolerance(mut self, tolerance: f64) -> Self {
        self.tolerance = tolerance;
        self
    }

    pub fn reg_covar(mut self, reg_covar: f64) -> Self {
        self.reg_covar = reg_covar;
        self
    }

    pub fn init(mut self, init: GmmInit) -> Self {
        self.init = init;
        self
    }

    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }

    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    pub fn check(&self, n_rows: Option<usize>) -> Result<(), ParamsError> {
        super::check_declared::<Gmm>(self)?;
        if let Some(n) = n_rows
            && self.n_clusters > n
        {
            return Err(ParamsError::new(
                "n_clusters",
                format!(
                    "{{n_clusters}} is {} but there are only {n} rows: a mixture needs at least one row per component",
                    self.n_clusters
                ),
            ));
        }
        Ok(())
    }
}

/// The registry's Gaussian mixture.
pub struct Gmm;

impl Algorithm for Gmm {
    type Params = GmmParams;
    type Valid = GmmParams;

    const INFO: AlgorithmInfo = AlgorithmInfo {
        id: "gmm",
        name: "Gaussian mixture",
        family: Family::Distribution,
        summary: "expectation–maximisation of Gaussian components: elliptical clusters, soft memberships, BIC to choose k",
        parameters: PARAMETERS,
        // The E-step; the k-means start runs k-means' own passes.
        gpu_passes: gpu::PASSES,
        structures: &[StructureKind::Mixture, StructureKind::RowScores],
    };

    fn check(params: &GmmParams, n_rows: Option<usize>) -> Result<GmmParams, ParamsError> {
        params.check(n_rows)?;
        Ok(params.clone())
    }

    fn estimate(valid: &GmmParams, n: usize, d: usize) -> super::cost::Estimate {
        let per_row = match valid.covariance {
            CovarianceType::Full | CovarianceType::Tied => d * d,
            CovarianceType::Diag | CovarianceType::Spherical => d,
        };
        // E-step and M-step each touch k · per_row values per row per iteration.
        let work = 2.0
            * (n as f64)
            * (valid.n_clusters * per_row.max(1)) as f64
            * (valid.max_iterations.min(30) * valid.n_init) as f64;
        super::cost::Estimate::new(work * 2e-9, (n * (d + 2 * valid.n_clusters) * 8) as f64)
    }

    fn run(
        valid: &GmmParams,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        let fit = fit(engine, input.points, valid, input.backend, context)?;
        // BIC is the objective: sweeps over k report and plot it beside the scores.
        let bic = fit.model.bic;
        let mut clustering = Clustering::new(fit.labels, valid.n_clusters, fit.diagnostics)
            .minimising("bic", bic)
            .with(Structure::Mixture(Arc::new(fit.model)))
            .with(Structure::RowScores {
                name: "probability",
                values: Arc::new(fit.probabilities),
            });
        if !fit.converged {
            clustering.warnings.push(format!(
                "EM did not converge in {} iterations (tolerance {}); raise --max-iter or --tol",
                valid.max_iterations, valid.tolerance
            ));
        }
        Ok(clustering)
    }
}

/// A fitted mixture with how well it fits.
#[derive(Clone, Debug)]
pub struct FittedMixture {
    pub mixture: Mixture,
    /// Mean log-likelihood per row of the final parameters (scikit-learn's `score`).
    pub log_likelihood: f64,
    /// −2 n · log-likelihood + p ln n.
    pub bic: f64,
    /// −2 n · log-likelihood + 2p.
    pub aic: f64,
    /// The restart's last lower bound (scikit-learn's `lower_bound_`).
    pub lower_bound: f64,
    /// Component of each cluster id; components no row is assigned to come last.
    pub component_order: Vec<usize>,
}

/// What [`fit`] returns.
pub struct GmmFit {
    pub labels: Vec<u32>,
    /// Each row's probability of its assigned component.
    pub probabilities: Vec<f64>,
    pub model: FittedMixture,
    pub converged: bool,
    pub diagnostics: RunDiagnostics,
}

/// Fits the mixture: `n_init` starts (k-means on the chosen backend, or random
/// responsibilities), EM from each, the best lower bound kept, then a final E-step.
pub fn fit(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &GmmParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<GmmFit, ClusterError> {
    let started = Instant::now();
    params.check(Some(points.n_rows))?;
    check_finite(points)?;
    let device = match engine.resolve(backend)? {
        super::Backend::Cpu => None,
        super::Backend::Gpu => {
            match gpu::GpuExpectation::new(&engine.gpu()?, points, params.n_clusters) {
                Ok(device) => Some(device),
                // Auto never fails where the CPU can do the work.
                Err(error) if backend == BackendChoice::Auto => {
                    tracing::info!("GMM E-step on the CPU: {error}");
                    None
                }
                Err(error) => return Err(error.into()),
            }
        }
    };
    let estep = match &device {
        Some(device) => EStep::Gpu(device),
        None => EStep::Cpu,
    };
    let mut best: Option<EmRun> = None;
    let mut total_iterations = 0;
    for restart in 0..params.n_init {
        let seed = kmeans::restart_seed(params.seed, restart);
        let resp = initial_responsibilities(engine, points, params, seed, backend, context)?;
        let start = Mixture::from_responsibilities(
            points,
            &resp,
            params.n_clusters,
            params.covariance,
            params.reg_covar,
        )?;
        let run = fit_on(&estep, points, start, params, context)?;
        total_iterations += run.iterations;
        if best
            .as_ref()
            .is_none_or(|b| run.lower_bound > b.lower_bound)
        {
            best = Some(run);
        }
    }
    let best = best.ok_or_else(|| ClusterError::Internal("no GMM restart ran".into()))?;
    let mut result = finish_on(&estep, points, best)?;
    result.diagnostics = RunDiagnostics {
        backend: if device.is_some() {
            super::Backend::Gpu
        } else {
            super::Backend::Cpu
        },
        adapter: device.as_ref().map_or_else(cpu_name, |d| d.adapter_name()),
        iterations: total_iterations,
        converged: result.converged,
        elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
    };
    Ok(result)
}

/// EM on the CPU from given starting parameters (the test suite starts scikit-learn from
/// the same).
pub fn fit_from(
    points: &Matrix,
    start: Mixture,
    params: &GmmParams,
    context: &RunContext,
) -> Result<EmRun, ClusterError> {
    fit_on(&EStep::Cpu, points, start, params, context)
}

/// EM from given starting parameters with the E-step where `estep` says.
pub fn fit_on(
    estep: &EStep<'_>,
    points: &Matrix,
    start: Mixture,
    params: &GmmParams,
    context: &RunContext,
) -> Result<EmRun, ClusterError> {
    run_em(
        estep,
        points,
        start,
        params.covariance,
        params.reg_covar,
        params.max_iterations,
        params.tolerance,
        context,
    )
}

/// The final E-step of the best run on the CPU: labels, probabilities, log-likelihood,
/// BIC and AIC.
pub fn finish(points: &Matrix, run: EmRun) -> GmmFit {
    finish_on(&EStep::Cpu, points, run).expect("the CPU E-step does not fail")
}

/// [`finish`] with the E-step where `estep` says.
pub fn finish_on(estep: &EStep<'_>, points: &Matrix, run: EmRun) -> Result<GmmFit, ClusterError> {
    let k = run.mixture.n_components();
    let (n, d) = (points.n_rows, points.n_cols);
    let step = estep.expectation(points, &run.mixture)?;
    let mut labels = Vec::with_capacity(n);
    let mut probabilities = Vec::with_capacity(n);
    for r in step.resp.chunks_exact(k) {
        // The first of equal maxima, as numpy's argmax.
        let (best, p) =
            r.iter().enumerate().fold(
                (0, f64::NEG_INFINITY),
                |acc, (c, &p)| if p > acc.1 { (c, p) } else { acc },
            );
        labels.push(best as u32);
        probabilities.push(p);
    }
    let p = run.mixture.covariance_type.n_parameters(k, d) as f64;
    let total = step.mean_log_likelihood * n as f64;
    let model = FittedMixture {
        log_likelihood: step.mean_log_likelihood,
        bic: -2.0 * total + p * (n as f64).ln(),
        aic: -2.0 * total + 2.0 * p,
        lower_bound: run.lower_bound,
        component_order: (0..k).collect(),
        mixture: run.mixture,
    };
    Ok(GmmFit {
        labels,
        probabilities,
        model,
        converged: run.converged,
        diagnostics: RunDiagnostics::cpu(run.iterations, run.converged),
    })
}

/// One-hot responsibilities from k-means labels, or uniform random ones normalised per
/// row (scikit-learn's `init_params`).
fn initial_responsibilities(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &GmmParams,
    seed: u64,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<Vec<f64>, ClusterError> {
    let (n, k) = (points.n_rows, params.n_clusters);
    let mut resp = vec![0.0; n * k];
    match params.init {
        GmmInit::Kmeans => {
            let kmeans_params = KMeansParams::new(k).n_init(1).seed(seed);
            let result = kmeans::fit(engine, points, &kmeans_params, backend, context)?;
            for (row, &label) in result.labels.iter().enumerate() {
                resp[row * k + label as usize] = 1.0;
            }
        }
        GmmInit::Random => {
            let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
            for row in resp.chunks_exact_mut(k) {
                row.iter_mut().for_each(|v| *v = rng.r#gen::<f64>());
                let sum: f64 = row.iter().sum();
                row.iter_mut().for_each(|v| *v /= sum);
            }
        }
    }
    Ok(resp)
}

/// EM on NaN or infinite values gives NaN parameters; refuse them up front (the table
/// readers already do, this guards the library entry point).
fn check_finite(points: &Matrix) -> Result<(), ParamsError> {
    if points.values.iter().any(|v| !v.is_finite()) {
        return Err(ParamsError::new(
            "n_clusters",
            "the rows hold NaN or infinite values; a mixture cannot be fitted to them",
        ));
    }
    Ok(())
}
