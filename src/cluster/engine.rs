//! Where runs are sent: owns the GPU state (if any) and picks a backend for each run.

use std::sync::Arc;

use super::density::DensityHierarchy;
use super::density::hierarchy::HierarchyKey;
use super::{Backend, BackendChoice, ClusterError};
use crate::gpu::GpuContext;
use crate::gpu::RowChunks;
use crate::gpu::density::GpuDensity;
use crate::gpu::kmeans::GpuKMeans;
use crate::gpu::pca::GpuPca;
use crate::gpu::slic::GpuSlic;
use crate::matrix::Matrix;
use crate::projection::Pca;

enum GpuSlot {
    /// A headless device will be created on first use.
    NotTried,
    Ready(Box<GpuKMeans>),
    Unavailable(String),
}

/// Largest point count `auto` sends to the all-pairs GPU density passes.
pub const AUTO_GPU_PAIRWISE_MAX_POINTS: usize = 100_000;

/// Runs algorithms on the CPU or on one GPU device, keeping GPU uploads between runs.
pub struct Engine {
    gpu: GpuSlot,
    /// Density pipelines, compiled on first use on the same device.
    gpu_density: Option<Result<Box<GpuDensity>, String>>,
    /// The last density hierarchy: DBSCAN with another eps is a cut of it.
    pub(crate) density_cache: Option<(HierarchyKey, Arc<DensityHierarchy>)>,
    /// PCA kernels, compiled on first use.
    gpu_pca: Option<Result<Box<GpuPca>, String>>,
    /// SLIC superpixel kernels, compiled on first use.
    gpu_slic: Option<Result<Box<GpuSlic>, String>>,
}

impl Engine {
    /// Creates its own wgpu device the first time a GPU run is asked for.
    pub fn headless() -> Self {
        Self::from_slot(GpuSlot::NotTried)
    }

    /// Uses a device made elsewhere (eframe's).
    pub fn with_gpu(context: GpuContext) -> Self {
        match GpuKMeans::new(context) {
            Ok(gpu) => Self::from_slot(GpuSlot::Ready(Box::new(gpu))),
            Err(error) => Self::from_slot(GpuSlot::Unavailable(error.to_string())),
        }
    }

    /// Never touches a GPU; `reason` is reported when one is requested.
    pub fn cpu_only(reason: impl Into<String>) -> Self {
        Self::from_slot(GpuSlot::Unavailable(reason.into()))
    }

    fn from_slot(gpu: GpuSlot) -> Self {
        Self {
            gpu,
            gpu_density: None,
            density_cache: None,
            gpu_pca: None,
            gpu_slic: None,
        }
    }

    fn try_gpu(&mut self) {
        if matches!(self.gpu, GpuSlot::NotTried) {
            self.gpu = match GpuContext::new_headless() {
                Ok(context) => match GpuKMeans::new(context) {
                    Ok(gpu) => GpuSlot::Ready(Box::new(gpu)),
                    Err(error) => GpuSlot::Unavailable(error.to_string()),
                },
                Err(error) => GpuSlot::Unavailable(error.to_string()),
            };
        }
    }

    /// The GPU context, creating it if it has not been tried yet.
    pub fn gpu_context(&mut self) -> Option<&GpuContext> {
        self.try_gpu();
        match &self.gpu {
            GpuSlot::Ready(gpu) => Some(gpu.context()),
            _ => None,
        }
    }

    /// Auto picks a hardware GPU and otherwise the CPU: software Vulkan is slower than the
    /// native path. GPU fails loudly when there is no adapter.
    pub fn resolve(&mut self, choice: BackendChoice) -> Result<Backend, ClusterError> {
        match choice {
            BackendChoice::Cpu => Ok(Backend::Cpu),
            BackendChoice::Gpu => {
                self.try_gpu();
                match &self.gpu {
                    GpuSlot::Ready(_) => Ok(Backend::Gpu),
                    GpuSlot::Unavailable(reason) => Err(ClusterError::NoGpu(reason.clone())),
                    GpuSlot::NotTried => Err(ClusterError::NoGpu("not initialised".into())),
                }
            }
            BackendChoice::Auto => {
                let hardware = self.gpu_context().is_some_and(|c| !c.is_software());
                Ok(if hardware { Backend::Gpu } else { Backend::Cpu })
            }
        }
    }

    /// [`Self::resolve`] for the density passes, whose GPU kernels scan all pairs: past
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

    pub(crate) fn gpu_kmeans(&mut self) -> Result<&mut GpuKMeans, ClusterError> {
        self.try_gpu();
        match &mut self.gpu {
            GpuSlot::Ready(gpu) => Ok(gpu),
            GpuSlot::Unavailable(reason) => Err(ClusterError::NoGpu(reason.clone())),
            GpuSlot::NotTried => Err(ClusterError::NoGpu("not initialised".into())),
        }
    }

    pub(crate) fn gpu_density(&mut self) -> Result<&mut GpuDensity, ClusterError> {
        if self.gpu_density.is_none() {
            let context = self.gpu_kmeans()?.context().clone();
            self.gpu_density = Some(
                GpuDensity::new(context)
                    .map(Box::new)
                    .map_err(|e| e.to_string()),
            );
        }
        match self.gpu_density.as_mut() {
            Some(Ok(gpu)) => Ok(gpu),
            Some(Err(reason)) => Err(ClusterError::NoGpu(reason.clone())),
            None => Err(ClusterError::NoGpu("not initialised".into())),
        }
    }

    fn gpu_pca(&mut self) -> Result<&GpuPca, ClusterError> {
        if self.gpu_pca.is_none() {
            let context = self.gpu_kmeans()?.context().clone();
            self.gpu_pca = Some(
                GpuPca::new(context)
                    .map(Box::new)
                    .map_err(|e| e.to_string()),
            );
        }
        match self.gpu_pca.as_ref() {
            Some(Ok(gpu)) => Ok(gpu),
            Some(Err(reason)) => Err(ClusterError::NoGpu(reason.clone())),
            None => Err(ClusterError::NoGpu("not initialised".into())),
        }
    }

    /// The SLIC kernels on the engine's device.
    pub(crate) fn gpu_slic(&mut self) -> Result<&GpuSlic, ClusterError> {
        if self.gpu_slic.is_none() {
            let context = self.gpu_kmeans()?.context().clone();
            self.gpu_slic = Some(
                GpuSlic::new(context)
                    .map(Box::new)
                    .map_err(|e| e.to_string()),
            );
        }
        match self.gpu_slic.as_ref() {
            Some(Ok(gpu)) => Ok(gpu),
            Some(Err(reason)) => Err(ClusterError::NoGpu(reason.clone())),
            None => Err(ClusterError::NoGpu("not initialised".into())),
        }
    }

    /// Principal components of `points`: covariance by tiled reduction on the GPU (all
    /// rows) when `choice` resolves to the GPU, otherwise linfa-reduction on the CPU.
    pub fn fit_pca(
        &mut self,
        points: &Arc<Matrix>,
        choice: BackendChoice,
    ) -> Result<Pca, ClusterError> {
        if self.resolve(choice)? == Backend::Cpu {
            return Pca::fit_cpu(points).map_err(ClusterError::Internal);
        }
        let adapter = self.gpu_kmeans()?.context().adapter_name();
        // Make the points resident first (shared with k-means), then build the kernels.
        self.gpu_kmeans()?.resident(points)?;
        self.gpu_pca()?;
        let (mean, covariance) = {
            let Some(Ok(pca)) = self.gpu_pca.as_ref() else {
                return Err(ClusterError::NoGpu("PCA kernels missing".into()));
            };
            let GpuSlot::Ready(kmeans) = &mut self.gpu else {
                return Err(ClusterError::NoGpu("no GPU".into()));
            };
            pca.mean_and_covariance(kmeans.resident(points)?)?
        };
        Pca::from_covariance(mean, &covariance, format!("GPU ({adapter})"))
            .map_err(ClusterError::Internal)
    }

    /// Rows of `points` projected onto components `a` and `b` of `pca`, into GPU buffers
    /// (for the point renderer), or None without a GPU.
    pub fn pca_positions(
        &mut self,
        points: &Arc<Matrix>,
        pca: &Pca,
        a: usize,
        b: usize,
    ) -> Result<Option<RowChunks>, ClusterError> {
        if self.gpu_context().is_none() {
            return Ok(None);
        }
        self.gpu_pca()?;
        let d = points.n_cols;
        let zero = vec![0.0; d];
        let ca = pca.components.get(a).unwrap_or(&zero);
        let cb = pca.components.get(b).unwrap_or(&zero);
        let Some(Ok(gpu_pca)) = self.gpu_pca.as_ref() else {
            return Ok(None);
        };
        let GpuSlot::Ready(kmeans) = &mut self.gpu else {
            return Ok(None);
        };
        let resident = kmeans.resident(points)?;
        Ok(Some(gpu_pca.project(resident, &pca.mean, ca, cb)?))
    }

    /// The labels buffers the last GPU k-means run wrote (valid until the next one).
    pub fn gpu_label_chunks(&self) -> Option<RowChunks> {
        match &self.gpu {
            GpuSlot::Ready(gpu) => gpu.label_chunks(),
            _ => None,
        }
    }

    /// Datasets uploaded by the density passes so far.
    pub fn gpu_density_uploads(&self) -> usize {
        match &self.gpu_density {
            Some(Ok(gpu)) => gpu.uploads,
            _ => 0,
        }
    }

    /// Replaces the GPU k-means state (tests use it to force small chunks).
    pub fn set_gpu_kmeans(&mut self, gpu: GpuKMeans) {
        self.gpu = GpuSlot::Ready(Box::new(gpu));
    }

    /// Uploads so far on the GPU (0 without one).
    pub fn gpu_uploads(&self) -> usize {
        match &self.gpu {
            GpuSlot::Ready(gpu) => gpu.uploads,
            _ => 0,
        }
    }
}
