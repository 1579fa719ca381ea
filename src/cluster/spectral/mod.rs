//! Spectral clustering, as scikit-learn's `SpectralClustering(affinity="nearest_neighbors")`:
//! a sparse k-nearest-neighbour graph ([`affinity`]), the k smallest eigenvectors of its
//! normalised Laplacian ([`eigen`], the sparse products on the GPU or the CPU), each
//! divided by √degree and sign-fixed as scikit-learn's `spectral_embedding`, then labels
//! read from that embedding by k-means (10 restarts), `discretize` or `cluster_qr`
//! ([`assign`]). It separates rings and moons that k-means cannot, because it cuts the
//! graph where it is thin rather than splitting space around centres.

pub mod affinity;
pub mod assign;
pub mod eigen;
pub mod gpu;
pub mod multilevel;
pub mod shift_invert;

use std::sync::Arc;
use std::time::Instant;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

pub use affinity::{Affinity, NormalisedGraph};

use super::kmeans::{self, KMeansParams};
use super::params::{Choice, ParamSpec, ParamsError, RealRange, real};
use super::{
    Algorithm, AlgorithmInfo, Backend, BackendChoice, ClusterError, Clustering, Engine, Family,
    Input, Progress, RunContext, RunDiagnostics, Structure, StructureKind, cpu_name,
};
use crate::matrix::Matrix;

/// Eigenvalues computed at least, so the eigengap can point past the k asked for.
pub const SHOWN_EIGENVALUES: usize = 8;
/// Vectors iterated beyond those shown: they move the filter's cut away from the wanted
/// eigenvalues, which speeds convergence.
const EXTRA_VECTORS: usize = 4;
/// Residual ‖L·x − λ·x‖ at which a unit eigenvector has converged.
pub const TOLERANCE: f64 = 1e-5;
/// Coarse levels only prepare a start: a loose residual and few passes do.
const COARSE_TOLERANCE: f64 = 1e-3;
const COARSE_PASSES: usize = 8;
/// Residual below which an eigenvalue counts for the eigengap (its error is below 10⁻⁶).
const SETTLED: f64 = 1e-3;

/// The declarations of [`SpectralParams`].
pub const PARAMETERS: &[ParamSpec] = &[
    ParamSpec::count(
        "n_clusters",
        4,
        "number of clusters, and of eigenvectors in the embedding",
    )
    .required()
    .slider(2, 32),
    ParamSpec::choice(
        "affinity",
        "knn",
        &[
            Choice {
                value: "knn",
                help: "weight 1 for each neighbour (scikit-learn's nearest_neighbors)",
            },
            Choice {
                value: "rbf",
                help: "exp(−gamma · distance²) for each neighbour: a Gaussian kernel kept sparse",
            },
        ],
        "how neighbouring rows are weighted in the similarity graph",
    ),
    ParamSpec::count(
        "n_neighbors",
        10,
        "neighbours of each row in the graph, the row itself counted (as scikit-learn)",
    )
    .at_least(2)
    .slider(2, 50),
    ParamSpec::real(
        "gamma",
        1.0,
        RealRange::POSITIVE,
        "with the rbf affinity: γ of the Gaussian, in the scaled feature space",
    ),
    ParamSpec::choice(
        "assign",
        "kmeans",
        &[
            Choice {
                value: "kmeans",
                help: "k-means with 10 restarts on the embedding (as scikit-learn)",
            },
            Choice {
                value: "discretize",
                help: "the partition nearest a rotation of the embedding (Yu & Shi)",
            },
            Choice {
                value: "cluster-qr",
                help: "a pivoted QR picks the rotation: no iterations, no seed",
            },
        ],
        "how labels are read from the embedding",
    ),
    crate::cluster::metric::METRIC,
    ParamSpec::seed(),
];

/// How labels are read from the embedding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Assign {
    #[default]
    Kmeans,
    Discretize,
    #[serde(rename = "cluster-qr")]
    ClusterQr,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpectralParams {
    pub n_clusters: usize,
    pub affinity: Affinity,
    pub n_neighbors: usize,
    #[serde(with = "real")]
    pub gamma: f64,
    pub assign: Assign,
    /// The distance the neighbours are found by (and the rbf weights computed from).
    #[serde(default)]
    pub metric: crate::cluster::metric::Metric,
    pub seed: u64,
}

impl SpectralParams {
    pub fn new(n_clusters: usize) -> Self {
        Self {
            n_clusters,
            affinity: Affinity::Knn,
            n_neighbors: 10,
            gamma: 1.0,
            assign: Assign::Kmeans,
            metric: crate::cluster::metric::Metric::Euclidean,
            seed: 42,
        }
    }

    pub fn metric(mut self, metric: crate::cluster::metric::Metric) -> Self {
        self.metric = metric;
        self
    }

    pub fn affinity(mut self, affinity: Affinity) -> Self {
        self.affinity = affinity;
        self
    }

    pub fn n_neighbors(mut self, n_neighbors: usize) -> Self {
        self.n_neighbors = n_neighbors;
        self
    }

    pub fn gamma(mut self, gamma: f64) -> Self {
        self.gamma = gamma;
        self
    }

    pub fn assign(mut self, assign: Assign) -> Self {
        self.assign = assign;
        self
    }

    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    pub fn check(&self, n_rows: Option<usize>) -> Result<(), ParamsError> {
        super::check_declared::<Spectral>(self)?;
        if let Some(n) = n_rows {
            if self.n_clusters >= n {
                return Err(ParamsError::new(
                    "n_clusters",
                    format!(
                        "{{n_clusters}} is {} but there are only {n} rows: spectral clustering needs more rows than clusters",
                        self.n_clusters
                    ),
                ));
            }
            if self.n_neighbors > n {
                return Err(ParamsError::new(
                    "n_neighbors",
                    format!(
                        "{{n_neighbors}} is {} but there are only {n} rows (the row itself is counted)",
                        self.n_neighbors
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The registry's spectral clustering.
pub struct Spectral;

impl Algorithm for Spectral {
    type Params = SpectralParams;
    type Valid = SpectralParams;

    const INFO: AlgorithmInfo = AlgorithmInfo {
        id: "spectral",
        name: "Spectral",
        family: Family::Graph,
        summary: "cuts a nearest-neighbour graph where it is thin, via the eigenvectors of its Laplacian: finds rings and moons",
        parameters: PARAMETERS,
        // The eigensolver's products; k-means on the embedding runs k-means' own passes.
        gpu_passes: gpu::PASSES,
        structures: &[StructureKind::Spectrum],
    };

    fn check(
        params: &SpectralParams,
        n_rows: Option<usize>,
    ) -> Result<SpectralParams, ParamsError> {
        params.check(n_rows)?;
        Ok(params.clone())
    }

    fn estimate(valid: &SpectralParams, n: usize, d: usize) -> super::cost::Estimate {
        let graph = super::cost::tree_queries(n, d, valid.n_neighbors).cpu_seconds;
        let block = (valid.n_clusters + 1).max(SHOWN_EIGENVALUES) + EXTRA_VECTORS;
        let edges = (n * valid.n_neighbors * 2) as f64;
        // Few dimensions: a sparse factor of a few times the graph's size and a handful
        // of solves (0.6 s for 100,000 × 2). More: about 1,000 products of the block.
        let eigen = if d <= 3 {
            edges * block as f64 * 2.5e-8
        } else {
            edges * block as f64 * 1_000.0 * 1.0e-9
        };
        super::cost::Estimate::new(
            graph + eigen,
            (n * (valid.n_neighbors * 2 * 12 * 6 + block * 8 * 4)) as f64,
        )
    }

    fn run(
        valid: &SpectralParams,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        let fit = fit_on(engine, input.points, valid, input.backend, context)?;
        let mut clustering = Clustering::new(fit.labels, valid.n_clusters, fit.diagnostics)
            .with(Structure::Spectrum(Arc::new(fit.spectrum)));
        clustering.warnings.extend(fit.warnings);
        Ok(clustering)
    }
}

/// The spectrum behind a spectral clustering.
#[derive(Clone, Debug)]
pub struct Spectrum {
    /// The smallest eigenvalues of the normalised Laplacian, ascending.
    pub eigenvalues: Vec<f64>,
    /// ‖L·x − λ·x‖ of each (0 when solved densely).
    pub residuals: Vec<f64>,
    /// What the labels were read from: n × k, the eigenvectors divided by √degree.
    pub embedding: Arc<Matrix>,
    /// Separate parts of the neighbour graph.
    pub components: usize,
    /// Sparse products the eigensolver computed.
    pub products: usize,
}

impl Spectrum {
    /// The eigengap heuristic, for k ≥ 2: the k where the settled eigenvalues jump most
    /// relative to their height, (λ_{k+1} − λ_k) / λ_{k+1} (λ₁ = 0 the smallest). Relative, because
    /// the absolute gaps grow up the spectrum of any graph; on a graph in c separate parts
    /// it finds the jump after the c zeros.
    pub fn suggested_k(&self) -> Option<usize> {
        let settled = self.residuals.iter().take_while(|&&r| r <= SETTLED).count();
        let values = &self.eigenvalues[..settled];
        (2..values.len())
            .filter(|&i| values[i] > 1e-9)
            .map(|i| (i, (values[i] - values[i - 1]) / values[i]))
            .fold(None, |best: Option<(usize, f64)>, (i, gap)| match best {
                Some((_, g)) if g >= gap => best,
                _ => Some((i, gap)),
            })
            .map(|(i, _)| i)
    }
}

/// What [`fit_on`] finds.
pub struct SpectralFit {
    pub labels: Vec<u32>,
    pub spectrum: Spectrum,
    pub diagnostics: RunDiagnostics,
    pub warnings: Vec<String>,
}

/// Spectral clustering of `points`, the eigensolver's products on the chosen backend.
pub fn fit_on(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &SpectralParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<SpectralFit, ClusterError> {
    let started = Instant::now();
    let n = points.n_rows;
    params.check(Some(n))?;
    let k = params.n_clusters;
    context.report(Progress {
        phase: "spectral: neighbour graph",
        iteration: 0,
        max_iterations: 1,
        shift: 0.0,
    });
    let weighted = affinity::build(
        points,
        params.n_neighbors,
        params.affinity,
        params.gamma,
        params.metric,
        context,
    )?;
    // Only the k eigenvectors the labels are read from must converge; the rest of the
    // block shows the spectrum beyond them (each with its residual).
    let wanted = k.min(n);
    let block = ((k + 1).max(SHOWN_EIGENVALUES) + EXTRA_VECTORS).min(n);
    let normalised = weighted.normalised();
    let graph = &normalised;
    let resolved = engine.resolve(backend)?;
    // A sparse factorisation converges in a few solves where its fill is small (data of
    // few dimensions); otherwise the filtered iteration runs, its products on the GPU when
    // there is one. `--backend gpu` asks for the GPU pass itself.
    let large = n > eigen::DENSE_MAX_ROWS;
    let factor = if large && backend != BackendChoice::Gpu {
        shift_invert::Factor::new(graph)?
    } else {
        None
    };
    let device = match resolved {
        Backend::Gpu if large && factor.is_none() => {
            match gpu::GpuGraph::new(&engine.gpu()?, graph, block) {
                Ok(device) => Some(device),
                Err(error) if backend == BackendChoice::Auto => {
                    tracing::info!("spectral products on the CPU: {error}");
                    None
                }
                Err(error) => return Err(error.into()),
            }
        }
        _ => None,
    };
    let pairs = match &factor {
        Some(factor) => shift_invert::smallest(
            graph,
            factor,
            eigen::SolverOptions {
                // Each solve is cheap: the whole plotted spectrum converges.
                wanted: (k + 1).max(SHOWN_EIGENVALUES).min(block),
                block,
                tolerance: TOLERANCE,
                max_passes: 0,
                seed: params.seed,
            },
            context,
        )?,
        None => {
            let levels = multilevel::ladder(&weighted, 4 * block, params.seed);
            let options = eigen::SolverOptions {
                wanted,
                block,
                tolerance: TOLERANCE,
                max_passes: eigen::MAX_PASSES,
                seed: params.seed,
            };
            solve_ladder(graph, &levels, device.as_ref(), options, context)?
        }
    };
    context.check_cancelled()?;
    let maps = embedding(&pairs, graph, k);
    let labels = match params.assign {
        Assign::Kmeans => {
            let matrix = Arc::new(Matrix::new(n, k, maps.iter().map(|&v| v as f32).collect()));
            let kmeans = KMeansParams::new(k).n_init(10).seed(params.seed);
            kmeans::fit(engine, &matrix, &kmeans, backend, context)?.labels
        }
        Assign::Discretize => assign::discretize(maps.view(), params.seed)?,
        Assign::ClusterQr => assign::cluster_qr(maps.view())?,
    };
    let mut warnings = Vec::new();
    if !pairs.converged {
        let worst = pairs.residuals[..wanted]
            .iter()
            .copied()
            .fold(0.0, f64::max);
        warnings.push(format!(
            "the eigenvectors did not converge ({} sparse products, residual {worst:.1e} > {TOLERANCE:.0e}); the clusters may be rough",
            pairs.products
        ));
    }
    if graph.components > k {
        warnings.push(format!(
            "the neighbour graph falls into {} separate parts, more than k = {k}: some clusters join parts that nothing links; raise --n-neighbors",
            graph.components
        ));
    }
    let spectrum = Spectrum {
        eigenvalues: pairs.values.clone(),
        residuals: pairs.residuals.clone(),
        embedding: Arc::new(Matrix::new(n, k, maps.iter().map(|&v| v as f32).collect())),
        components: graph.components,
        products: pairs.products,
    };
    Ok(SpectralFit {
        labels,
        spectrum,
        diagnostics: RunDiagnostics {
            backend: if device.is_some() {
                Backend::Gpu
            } else {
                Backend::Cpu
            },
            adapter: device.as_ref().map_or_else(cpu_name, |d| d.adapter_name()),
            iterations: pairs.products,
            converged: pairs.converged,
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        },
        warnings,
    })
}

/// The wanted eigenpairs of `finest` by filtered iteration, each coarser level of
/// `levels` solved first (loosely) and carried up as the next one's start; the finest
/// level's products on `device` when given.
/// The `wanted` smallest eigenpairs of the normalised Laplacian of `weighted`, on the
/// CPU by whichever solver suits the graph (shift-and-invert where the factor's fill is
/// small, else the filtered iteration from the coarse graphs), to `tolerance` within
/// `max_passes`. UMAP's spectral start uses it; a result that did not converge says so.
pub fn laplacian_eigenpairs(
    weighted: &affinity::WeightedGraph,
    wanted: usize,
    tolerance: f64,
    max_passes: usize,
    seed: u64,
    context: &RunContext,
) -> Result<(eigen::Eigenpairs, NormalisedGraph), ClusterError> {
    let n = weighted.n_rows();
    let block = (wanted + EXTRA_VECTORS).min(n);
    let normalised = weighted.normalised();
    let options = eigen::SolverOptions {
        wanted: wanted.min(block),
        block,
        tolerance,
        max_passes,
        seed,
    };
    let factor = if n > eigen::DENSE_MAX_ROWS {
        shift_invert::Factor::new(&normalised)?
    } else {
        None
    };
    let pairs = match &factor {
        Some(factor) => shift_invert::smallest(&normalised, factor, options, context)?,
        None => {
            let levels = multilevel::ladder(weighted, 4 * block, seed);
            solve_ladder(&normalised, &levels, None, options, context)?
        }
    };
    Ok((pairs, normalised))
}

fn solve_ladder(
    finest: &NormalisedGraph,
    levels: &[multilevel::Level],
    device: Option<&gpu::GpuGraph>,
    options: eigen::SolverOptions,
    context: &RunContext,
) -> Result<eigen::Eigenpairs, ClusterError> {
    let mut start: Option<Vec<f64>> = None;
    let mut products = 0;
    let coarse_options = eigen::SolverOptions {
        tolerance: COARSE_TOLERANCE,
        max_passes: COARSE_PASSES,
        ..options
    };
    for (i, level) in levels.iter().enumerate().rev() {
        context.check_cancelled()?;
        let pairs = eigen::smallest(
            &level.normalised,
            &eigen::CpuGraph(&level.normalised),
            coarse_options,
            start.take(),
            "spectral eigenvectors (coarse graphs)",
            context,
        )?;
        products += pairs.products;
        let finer = if i == 0 {
            finest
        } else {
            &levels[i - 1].normalised
        };
        start = Some(multilevel::prolong(
            &pairs.vectors,
            pairs.block,
            &level.normalised,
            finer,
            &level.aggregate_of_finer,
        ));
    }
    let cpu = eigen::CpuGraph(finest);
    let operator: &dyn eigen::GraphOperator = match device {
        Some(device) => device,
        None => &cpu,
    };
    let mut pairs = eigen::smallest(
        finest,
        operator,
        options,
        start,
        "spectral eigenvectors (full graph)",
        context,
    )?;
    pairs.products += products;
    Ok(pairs)
}

/// scikit-learn's `spectral_embedding` output: the k smallest eigenvectors divided by
/// √degree, each signed so its largest entry in magnitude is positive.
fn embedding(pairs: &eigen::Eigenpairs, graph: &NormalisedGraph, k: usize) -> Array2<f64> {
    let b = pairs.block;
    let mut maps = Array2::from_shape_fn((graph.n_rows(), k), |(r, j)| {
        pairs.vectors[r * b + j] / graph.sqrt_degrees[r]
    });
    for mut column in maps.columns_mut() {
        let largest = column
            .iter()
            .copied()
            .fold(0.0f64, |a, v| if v.abs() > a.abs() { v } else { a });
        if largest < 0.0 {
            column.mapv_inplace(|v| -v);
        }
    }
    maps
}
