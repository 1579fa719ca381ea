//! Clusterscope: explore data by clustering it on the GPU.
//!
//! Layers, from the bottom up: `matrix` (plain feature matrices), `gpu` (device and
//! compute kernels, knows nothing of the UI), `cluster` (algorithms on a CPU or GPU
//! backend), `data` (tables in and out through polars), then `cli` and `app` on top.

pub mod app;
pub mod cli;
pub mod cluster;
pub mod color;
pub mod data;
pub mod gpu;
pub mod matrix;
pub mod metrics;
pub mod palette;
pub mod projection;
pub mod render;
pub mod segment;
pub mod spatial;
pub mod synthetic;
