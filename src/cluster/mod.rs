//! Clustering algorithms. Each one: params → checked params → run on a backend with a
//! [`RunContext`] → a result with labels and diagnostics. Algorithms know nothing of the UI.

pub mod density;
mod engine;
pub mod hierarchy;
pub mod kmeans;
mod run;
mod run_context;

pub use engine::Engine;
pub use run::{AlgorithmParams, Clustering, Structure, run};
pub use run_context::{CancelToken, Progress, RunContext};

use serde::{Deserialize, Serialize};

/// The label of points that belong to no cluster (DBSCAN/HDBSCAN/OPTICS noise). Exports
/// write it as -1.
pub const NOISE: u32 = u32::MAX;

/// Where the user asked the work to run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
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

/// Errors of a clustering run.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(transparent)]
    KMeansParams(#[from] kmeans::KMeansParamsError),
    #[error(transparent)]
    HierarchyParams(#[from] hierarchy::HierarchyParamsError),
    #[error(transparent)]
    DbscanParams(#[from] density::dbscan::DbscanParamsError),
    #[error(transparent)]
    HdbscanParams(#[from] density::hdbscan::HdbscanParamsError),
    #[error(transparent)]
    OpticsParams(#[from] density::optics::OpticsParamsError),
    /// A parameter out of range; the message names it as the command line spells it.
    #[error("{0}")]
    Parameter(String),
    #[error("internal error: {0}")]
    Internal(String),
    #[error("cancelled")]
    Cancelled,
    #[error("the GPU backend was requested but no wgpu adapter is available: {0}")]
    NoGpu(String),
    #[error(transparent)]
    Gpu(#[from] crate::gpu::GpuError),
}
