//! The k-medoids family: clusters around representative rows (medoids), so any distance
//! works and outliers pull less than on means. k-medoids proper improves the medoids by
//! FasterPAM (Schubert & Rousseeuw 2021: eager swaps, O(k) faster than PAM's SWAP), PAM
//! (BUILD + SWAP) or the alternating (Voronoi) method over the n × n distance matrix;
//! CLARA (`clara.rs`) and CLARANS (`clarans.rs`, Ng & Han's randomized search) scale past
//! the matrix. The searches (`search.rs`) run over [`steps::MedoidSteps`]: the CPU twins
//! (`cpu.rs`) or the WGSL passes (`gpu.rs`, `shaders/kmedoids/`), which compute distances
//! on the fly and need no matrix.

pub mod clara;
pub mod clarans;
pub mod cpu;
pub mod distance;
pub mod gpu;
mod params;
pub mod search;
pub mod steps;

use std::sync::{Arc, Weak};
use std::time::Instant;

pub use clara::Clara;
pub use clarans::Clarans;
pub use distance::{DistanceMatrix, Metric};
pub use params::{
    CLARA_PARAMETERS, CLARANS_PARAMETERS, ClaraParams, ClaransParams, Init, KMEDOIDS_PARAMETERS,
    KMedoidsParams, Method,
};

use self::search::Searched;
use self::steps::MedoidSteps;
use super::{
    Algorithm, AlgorithmInfo, Backend, BackendChoice, ClusterError, Clustering, Engine, Family,
    Input, ParamsError, RunContext, RunDiagnostics, Structure, StructureKind, cpu_name,
};
use crate::gpu::GpuError;
use crate::matrix::Matrix;
use crate::memory::human_bytes;

/// The registry's k-medoids.
pub struct KMedoids;

impl Algorithm for KMedoids {
    type Params = KMedoidsParams;
    type Valid = KMedoidsParams;

    const INFO: AlgorithmInfo = AlgorithmInfo {
        id: "kmedoids",
        name: "k-medoids (FasterPAM, PAM)",
        family: Family::Medoid,
        summary: "k rows as medoids minimising the total distance to them: FasterPAM, PAM or the alternating method",
        parameters: KMEDOIDS_PARAMETERS,
        gpu_passes: gpu::SWAP_PASSES,
        structures: &[StructureKind::Medoids],
    };

    fn estimate(valid: &KMedoidsParams, n: usize, d: usize) -> crate::cluster::cost::Estimate {
        use crate::cluster::cost;
        let k = valid.n_clusters;
        // The matrix first, then swap passes reading it (PAM scans every medoid's swap).
        let passes = match valid.method {
            Method::Fasterpam | Method::Alternate => 2,
            Method::Pam => 2 * k,
        };
        let matrix = cost::all_pairs(n, d, 0.0, Some(distance::matrix_bytes(n)));
        cost::then(matrix, cost::medoid_swaps(n, 0, k, n as f64, passes))
    }

    fn check(
        params: &KMedoidsParams,
        n_rows: Option<usize>,
    ) -> Result<KMedoidsParams, ParamsError> {
        params.check(n_rows)?;
        Ok(params.clone())
    }

    fn run(
        valid: &KMedoidsParams,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        Ok(fit(engine, input.points, valid, input.backend, context)?.into_clustering())
    }
}

/// A k-medoids clustering.
#[derive(Clone, Debug)]
pub struct KMedoidsResult {
    /// Cluster (medoid slot) of each row.
    pub labels: Vec<u32>,
    /// The medoids' rows, one per cluster.
    pub medoids: Vec<u32>,
    /// Σ over rows of the distance to the nearest medoid (f64).
    pub loss: f64,
    /// Swaps (or medoid moves) made.
    pub swaps: usize,
    pub diagnostics: RunDiagnostics,
}

impl KMedoidsResult {
    fn new(searched: Searched, diagnostics: RunDiagnostics) -> Self {
        Self {
            labels: searched.nearest.iter().map(|n| n.near).collect(),
            medoids: searched.medoids,
            loss: searched.loss,
            swaps: searched.swaps,
            diagnostics,
        }
    }

    pub fn into_clustering(self) -> Clustering {
        Clustering::new(self.labels, self.medoids.len(), self.diagnostics)
            .with(Structure::Medoids(Arc::new(self.medoids)))
            .minimising("loss", self.loss)
    }
}

/// The rows distances are taken on, kept between runs so the GPU upload of a cosine
/// normalisation is reused.
#[derive(Default)]
struct PreparedRows(Option<(Weak<Matrix>, Metric, Arc<Matrix>)>);

fn prepared_rows(engine: &mut Engine, points: &Arc<Matrix>, metric: Metric) -> Arc<Matrix> {
    let cache = engine.state::<PreparedRows>();
    if let Some((source, cached_metric, prepared)) = &cache.0
        && *cached_metric == metric
        && source.upgrade().is_some_and(|s| Arc::ptr_eq(&s, points))
    {
        return Arc::clone(prepared);
    }
    let prepared = metric.prepare(points);
    cache.0 = Some((Arc::downgrade(points), metric, Arc::clone(&prepared)));
    prepared
}

/// What the CPU steps need beside the rows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum CpuDistances {
    /// The n × n matrix, refused above this many bytes.
    Matrix { budget: u64 },
    /// Distances computed when needed.
    OnTheFly,
}

/// The steps a run drives, where they run and on which rows.
pub(crate) struct Backing {
    pub steps: Box<dyn MedoidSteps>,
    pub backend: Backend,
    pub adapter: String,
    /// The rows distances are taken on (normalised for cosine).
    pub prepared: Arc<Matrix>,
}

/// The backend a run uses, with its adapter name: the GPU passes, or the CPU twins. Under
/// `auto` a dataset too large for one GPU binding falls back to the CPU.
pub(crate) fn steps_for(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    metric: Metric,
    choice: BackendChoice,
    cpu: CpuDistances,
    context: &RunContext,
) -> Result<Backing, ClusterError> {
    let prepared = prepared_rows(engine, points, metric);
    if engine.resolve(choice)? == Backend::Gpu {
        let gpu = engine.gpu()?;
        match gpu::GpuSteps::new(&gpu, &prepared, metric) {
            Ok(steps) => {
                return Ok(Backing {
                    adapter: steps.adapter_name(),
                    steps: Box::new(steps),
                    backend: Backend::Gpu,
                    prepared,
                });
            }
            Err(GpuError::TooLarge(reason)) if choice == BackendChoice::Auto => {
                tracing::info!(%reason, "k-medoids falls back to the CPU");
            }
            Err(error) => return Err(error.into()),
        }
    }
    let matrix = match cpu {
        CpuDistances::OnTheFly => None,
        CpuDistances::Matrix { budget } => {
            let n = prepared.n_rows;
            let needed = distance::matrix_bytes(n);
            if needed > budget {
                return Err(ParamsError::new(
                    "memory_budget_mb",
                    format!(
                        "k-medoids on the CPU needs the {n} × {n} distance matrix: {}, over \
                         the budget of {} ({{memory_budget_mb}}); use clara or clarans, which \
                         need no matrix, or a GPU",
                        human_bytes(needed),
                        human_bytes(budget)
                    ),
                )
                .into());
            }
            crate::memory::ensure_available(needed, &format!("the {n} × {n} distance matrix"))
                .map_err(|message| ParamsError::new("memory_budget_mb", message))?;
            let built = DistanceMatrix::build(&prepared, metric, || context.cancel.is_cancelled());
            Some(built.ok_or(ClusterError::Cancelled)?)
        }
    };
    Ok(Backing {
        steps: Box::new(cpu::CpuSteps::new(Arc::clone(&prepared), metric, matrix)),
        backend: Backend::Cpu,
        adapter: cpu_name(),
        prepared,
    })
}

/// Checks `params`, starts the medoids (BUILD, random or k-means++) and improves them by
/// the chosen method on the chosen backend.
pub fn fit(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &KMedoidsParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<KMedoidsResult, ClusterError> {
    let started = Instant::now();
    params.check(Some(points.n_rows))?;
    let (k, n) = (params.n_clusters, points.n_rows);
    let cpu = CpuDistances::Matrix {
        budget: params.matrix_budget(),
    };
    let Backing {
        mut steps,
        backend,
        adapter,
        prepared,
    } = steps_for(engine, points, params.metric, backend, cpu, context)?;
    context.check_cancelled()?;
    let start = match params.init {
        Init::Build => search::build(steps.as_mut(), n, k, context)?,
        init => search::seeded_start(&prepared, params.metric, k, init, params.seed),
    };
    let iterations = params.max_iterations;
    let searched = match params.method {
        Method::Fasterpam => search::fasterpam(steps.as_mut(), start, iterations, context)?,
        Method::Pam => search::pam(steps.as_mut(), start, iterations, context)?,
        Method::Alternate => search::alternate(
            steps.as_mut(),
            &prepared,
            params.metric,
            start,
            iterations,
            context,
        )?,
    };
    let diagnostics = RunDiagnostics {
        backend,
        adapter,
        iterations: searched.iterations,
        converged: searched.converged,
        elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
    };
    Ok(KMedoidsResult::new(searched, diagnostics))
}
