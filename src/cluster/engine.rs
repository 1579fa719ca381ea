//! Where runs are sent: holds the GPU device (if any), picks a backend for each run, and
//! keeps what algorithms want between runs (GPU buffers, a density hierarchy) in one typed
//! store, so a new algorithm adds a state type, not an engine field.

use std::any::{Any, TypeId};
use std::collections::HashMap;

use super::{Backend, BackendChoice, ClusterError};
use crate::gpu::GpuContext;

enum GpuSlot {
    /// A headless device will be created on first use.
    NotTried,
    Ready(Box<GpuContext>),
    Unavailable(String),
}

/// Largest point count `auto` sends to the all-pairs GPU density passes.
pub const AUTO_GPU_PAIRWISE_MAX_POINTS: usize = 100_000;

/// Runs algorithms on the CPU or on one GPU device, keeping uploads and state between runs.
pub struct Engine {
    gpu: GpuSlot,
    /// One value per type: each algorithm's state between runs.
    state: HashMap<TypeId, Box<dyn Any + Send>>,
    /// Whether runs are one-offs (the command line): then algorithms skip building what
    /// only later runs would reuse (DBSCAN's spanning tree, kept for dragging eps).
    single_runs: bool,
}

impl Engine {
    /// Creates its own wgpu device the first time a GPU run is asked for.
    pub fn headless() -> Self {
        Self::from_slot(GpuSlot::NotTried)
    }

    /// Uses a device made elsewhere (eframe's).
    pub fn with_gpu(context: GpuContext) -> Self {
        Self::from_slot(GpuSlot::Ready(Box::new(context)))
    }

    /// Never touches a GPU; `reason` is reported when one is requested.
    pub fn cpu_only(reason: impl Into<String>) -> Self {
        Self::from_slot(GpuSlot::Unavailable(reason.into()))
    }

    /// A new engine on the same device (or lack of one) with none of this one's state:
    /// for work that must not wait behind this engine's current run.
    pub fn fresh(&self) -> Self {
        Self::from_slot(match &self.gpu {
            GpuSlot::NotTried => GpuSlot::NotTried,
            GpuSlot::Ready(context) => GpuSlot::Ready(context.clone()),
            GpuSlot::Unavailable(reason) => GpuSlot::Unavailable(reason.clone()),
        })
    }

    fn from_slot(gpu: GpuSlot) -> Self {
        Self {
            gpu,
            state: HashMap::new(),
            single_runs: false,
        }
    }

    /// Marks the runs as one-offs (see [`Self::single_runs`]).
    pub fn for_single_runs(mut self) -> Self {
        self.single_runs = true;
        self
    }

    /// Whether nothing will re-run on this engine's state (the command line's one run).
    pub fn single_runs(&self) -> bool {
        self.single_runs
    }

    fn try_gpu(&mut self) {
        if matches!(self.gpu, GpuSlot::NotTried) {
            self.gpu = match GpuContext::new_headless() {
                Ok(context) => GpuSlot::Ready(Box::new(context)),
                Err(error) => GpuSlot::Unavailable(error.to_string()),
            };
        }
    }

    /// The GPU context, creating it if it has not been tried yet.
    pub fn gpu_context(&mut self) -> Option<&GpuContext> {
        self.try_gpu();
        match &self.gpu {
            GpuSlot::Ready(gpu) => Some(gpu),
            _ => None,
        }
    }

    /// The device for a GPU run (a cheap handle sharing the device's caches), or why
    /// there is none.
    pub fn gpu(&mut self) -> Result<GpuContext, ClusterError> {
        self.try_gpu();
        match &self.gpu {
            GpuSlot::Ready(gpu) => Ok(gpu.as_ref().clone()),
            GpuSlot::Unavailable(reason) => Err(ClusterError::NoGpu(reason.clone())),
            GpuSlot::NotTried => Err(ClusterError::NoGpu("not initialised".into())),
        }
    }

    /// The engine's value of type `T`, created with `T::default()` on first use.
    pub fn state<T: Default + Send + 'static>(&mut self) -> &mut T {
        self.state
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Box::new(T::default()))
            .downcast_mut::<T>()
            .unwrap_or_else(|| unreachable!("the state map is keyed by type"))
    }

    /// The engine's value of type `T`, if one was made.
    pub fn state_if_any<T: Send + 'static>(&self) -> Option<&T> {
        self.state.get(&TypeId::of::<T>())?.downcast_ref::<T>()
    }

    /// Auto picks a hardware GPU and otherwise the CPU: software Vulkan is slower than the
    /// native path. GPU fails loudly when there is no adapter.
    pub fn resolve(&mut self, choice: BackendChoice) -> Result<Backend, ClusterError> {
        match choice {
            BackendChoice::Cpu => Ok(Backend::Cpu),
            BackendChoice::Gpu => self.gpu().map(|_| Backend::Gpu),
            BackendChoice::Auto => {
                let hardware = self.gpu_context().is_some_and(|c| !c.is_software());
                Ok(if hardware { Backend::Gpu } else { Backend::Cpu })
            }
        }
    }

    /// [`Self::resolve`] for passes that scan all pairs: past
    /// [`AUTO_GPU_PAIRWISE_MAX_POINTS`] points the CPU's k-d tree is faster than a
    /// quadratic scan even on a hardware GPU, so `auto` keeps them on the CPU.
    pub fn resolve_pairwise(
        &mut self,
        choice: BackendChoice,
        n_points: usize,
    ) -> Result<Backend, ClusterError> {
        if choice == BackendChoice::Auto && n_points > AUTO_GPU_PAIRWISE_MAX_POINTS {
            return Ok(Backend::Cpu);
        }
        self.resolve(choice)
    }

    /// Datasets uploaded to the GPU so far (0 without one).
    pub fn gpu_uploads(&self) -> usize {
        match &self.gpu {
            GpuSlot::Ready(gpu) => gpu.uploads(),
            _ => 0,
        }
    }
}
