use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::ClusterError;

/// A flag a newer request (or the user) raises to stop a running job at its next iteration.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Progress of an iterative algorithm.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// What the run is doing ("Lloyd iterations", "spanning tree (Borůvka rounds)").
    pub phase: &'static str,
    pub iteration: usize,
    pub max_iterations: usize,
    /// Total squared centroid movement in the last iteration.
    pub shift: f64,
}

type ProgressFn = dyn Fn(Progress) + Send + Sync;

/// What a run may consult while it works: whether to stop, where to report progress.
#[derive(Clone, Default)]
pub struct RunContext {
    pub cancel: CancelToken,
    progress: Option<Arc<ProgressFn>>,
}

impl RunContext {
    pub fn new(cancel: CancelToken) -> Self {
        Self {
            cancel,
            progress: None,
        }
    }

    pub fn with_progress(mut self, progress: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// `Err(Cancelled)` once the token is raised.
    pub fn check_cancelled(&self) -> Result<(), ClusterError> {
        if self.cancel.is_cancelled() {
            Err(ClusterError::Cancelled)
        } else {
            Ok(())
        }
    }

    pub fn report(&self, progress: Progress) {
        if let Some(report) = &self.progress {
            report(progress);
        }
    }
}
