//! Density-based clustering: DBSCAN, HDBSCAN and OPTICS, built on one density hierarchy
//! (core distances + mutual reachability spanning tree) where the mathematics allows.

pub mod dbscan;
pub mod gpu;
pub mod grid_dbscan;
pub mod hdbscan;
pub mod hierarchy;
pub mod mst;
pub mod optics;
pub mod planar_mst;
mod strips;

pub use hierarchy::{DensityHierarchy, density_hierarchy};

/// The passes single linkage runs: the spanning tree with no core distances.
pub const GPU_PASSES: &[&crate::gpu::ShaderEntry] = &[&gpu::BORUVKA_PASS];

/// The backend for a density pass that needs each point's `neighbours` nearest others:
/// `auto` stays on the CPU past the all-pairs size or past what the GPU's k-NN pass holds
/// ([`gpu::MAX_GPU_NEIGHBOURS`]), so it never fails where the CPU can do the work.
pub(crate) fn resolve(
    engine: &mut crate::cluster::Engine,
    choice: crate::cluster::BackendChoice,
    n_points: usize,
    neighbours: usize,
) -> Result<crate::cluster::Backend, crate::cluster::ClusterError> {
    if choice == crate::cluster::BackendChoice::Auto && neighbours > gpu::MAX_GPU_NEIGHBOURS {
        return Ok(crate::cluster::Backend::Cpu);
    }
    engine.resolve_pairwise(choice, n_points)
}
