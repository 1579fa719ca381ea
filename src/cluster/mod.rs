//! Clustering algorithms and the registry that lists them. Each algorithm lives in its own
//! folder (host-side GPU code beside its CPU twin, WGSL in `shaders/<algorithm>/`) and
//! implements [`Algorithm`]: declared params → checked params → run on a backend with a
//! [`RunContext`] → a [`Clustering`]. Algorithms know nothing of the UI.

mod algorithm;
pub mod cost;
mod engine;
mod numbering;
pub mod params;
mod registry;
mod result;
mod run;
mod run_context;

pub mod clique;
pub mod community;
pub mod density;
pub mod genie;
pub mod gmm;
pub mod grid;
pub mod hierarchy;
pub mod kmeans;
pub mod kmedoids;
pub mod meanshift;
pub mod metric;
pub mod spectral;
pub mod sting;
pub mod wavecluster;

pub use algorithm::{
    Algorithm, AlgorithmInfo, Family, Input, PreparedRun, Registered, RegisteredAlgorithm,
    check_declared,
};
pub use engine::{AUTO_GPU_PAIRWISE_MAX_POINTS, Engine};
pub use numbering::renumber_by_size;
pub use params::{ParamSpec, ParamValues, ParamsError};
pub use registry::{AlgorithmParams, find, infos};
pub use result::{Clustering, GpuLabels, Objective, Structure, StructureKind};
pub use run::{run, run_batch};
pub use run_context::{CancelToken, Progress, RunContext};

use serde::{Deserialize, Serialize};

/// The registry: every algorithm, in the order the window lists them. Adding an algorithm
/// = its folder (declared above), its shaders, its test file and one line here.
pub static ALGORITHMS: &[&dyn RegisteredAlgorithm] = &[
    &Registered::<kmeans::KMeans>::NEW,
    &Registered::<kmeans::minibatch::MiniBatchKMeans>::NEW,
    &Registered::<hierarchy::Agglomerative>::NEW,
    &Registered::<hierarchy::divisive::Divisive>::NEW,
    &Registered::<genie::Genie>::NEW,
    &Registered::<density::dbscan::Dbscan>::NEW,
    &Registered::<density::hdbscan::Hdbscan>::NEW,
    &Registered::<density::optics::Optics>::NEW,
    &Registered::<meanshift::MeanShift>::NEW,
    &Registered::<kmedoids::KMedoids>::NEW,
    &Registered::<kmedoids::Clara>::NEW,
    &Registered::<kmedoids::Clarans>::NEW,
    &Registered::<gmm::Gmm>::NEW,
    &Registered::<spectral::Spectral>::NEW,
    &Registered::<sting::Sting>::NEW,
    &Registered::<clique::Clique>::NEW,
    &Registered::<wavecluster::WaveCluster>::NEW,
    &Registered::<community::Leiden>::NEW,
    &Registered::<community::Louvain>::NEW,
    &Registered::<community::LabelPropagation>::NEW,
];

/// The label of points that belong to no cluster (DBSCAN/HDBSCAN/OPTICS noise). Exports
/// write it as -1.
pub const NOISE: u32 = u32::MAX;

/// Where the user asked the work to run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// A hardware GPU when there is one, otherwise the CPU.
    #[default]
    Auto,
    /// The wgpu adapter, even a software one; an error when there is none.
    Gpu,
    /// Native CPU code (rayon).
    Cpu,
}

impl BackendChoice {
    pub const ALL: [BackendChoice; 3] =
        [BackendChoice::Auto, BackendChoice::Gpu, BackendChoice::Cpu];

    pub fn label(self) -> &'static str {
        match self {
            BackendChoice::Auto => "auto",
            BackendChoice::Gpu => "GPU",
            BackendChoice::Cpu => "CPU",
        }
    }
}

/// Where the work actually ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Cpu,
    Gpu,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
            Backend::Gpu => "gpu",
        }
    }
}

/// How a run went, beside its labels.
#[derive(Clone, Debug, Serialize)]
pub struct RunDiagnostics {
    pub backend: Backend,
    /// The wgpu adapter's name for GPU runs, the CPU's thread count for CPU runs.
    pub adapter: String,
    pub iterations: usize,
    pub converged: bool,
    pub elapsed_ms: f64,
}

impl RunDiagnostics {
    /// A CPU run's diagnostics (adapter: the thread count).
    pub fn cpu(iterations: usize, converged: bool) -> Self {
        Self {
            backend: Backend::Cpu,
            adapter: cpu_name(),
            iterations,
            converged,
            elapsed_ms: 0.0,
        }
    }
}

/// The CPU backend's adapter name.
pub fn cpu_name() -> String {
    format!("{} CPU threads", rayon::current_num_threads())
}

/// Errors of a clustering run.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A parameter out of range; the message names the field.
    #[error(transparent)]
    Params(#[from] ParamsError),
    #[error("internal error: {0}")]
    Internal(String),
    #[error("cancelled")]
    Cancelled,
    #[error("the GPU backend was requested but no wgpu adapter is available: {0}")]
    NoGpu(String),
    #[error(transparent)]
    Gpu(#[from] crate::gpu::GpuError),
}
