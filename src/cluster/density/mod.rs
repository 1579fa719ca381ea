//! Density-based clustering: DBSCAN, HDBSCAN and OPTICS, built on one density hierarchy
//! (core distances + mutual reachability spanning tree) where the mathematics allows.

pub mod dbscan;
pub mod hdbscan;
pub mod hierarchy;
pub mod mst;
pub mod optics;

pub use hierarchy::{DensityHierarchy, density_hierarchy};
