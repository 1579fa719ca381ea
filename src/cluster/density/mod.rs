//! Density-based clustering: DBSCAN, HDBSCAN and OPTICS, built on one density hierarchy
//! (core distances + mutual reachability spanning tree) where the mathematics allows.

pub mod dbscan;
pub mod gpu;
pub mod hdbscan;
pub mod hierarchy;
pub mod mst;
pub mod optics;

pub use hierarchy::{DensityHierarchy, density_hierarchy};

/// The passes single linkage runs: the spanning tree with no core distances.
pub const GPU_PASSES: &[&crate::gpu::ShaderEntry] = &[&gpu::BORUVKA_PASS];
