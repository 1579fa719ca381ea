//! Clusterscope: explore data by clustering it on the GPU.
//!
//! Layers, from the bottom up (ARCHITECTURE.md): `matrix` (plain feature matrices), `gpu`
//! (device, pipelines, resident datasets; imports only `matrix`), `spatial` and
//! `projection`, `cluster` (the algorithm registry; each algorithm's CPU and GPU code in
//! its folder), `data` (tables in and out through polars), `segment` (images), `sweep` (runs over a parameter's range, scored), `profile` (what each cluster is), `render`
//! (the point renderer), then `cli` and `app` on top.

pub mod app;
pub mod cli;
pub mod cluster;
pub mod color;
pub mod data;
pub mod gpu;
pub mod graph;
pub mod matrix;
pub mod memory;
pub mod metrics;
pub mod outliers;
pub mod palette;
pub mod profile;
pub mod projection;
pub mod render;
pub mod segment;
pub mod spatial;
pub mod sweep;
pub mod synthetic;
