//! Drawing from GPU memory: the point-cloud renderer that the scatter view uses above a
//! size threshold, and the graph view's edge lines. Point positions and labels stay in
//! the storage buffers the compute passes wrote; the renderer binds them, it never reads
//! them back.
//!
//! [`PointRenderer`] holds the pipelines and per-view GPU state. It is driven either by an
//! egui paint callback ([`PointCloudCallback`]) or directly on an offscreen texture
//! (benchmarks, tests).

pub mod bench;
mod callback;
mod edge_lines;
mod footprint;
mod point_cloud;
mod point_renderer;
mod splat;
mod wgpu_helpers;

pub use callback::{EdgeLinesCallback, PointCloudCallback, RenderDevice, install};
pub use edge_lines::{EdgeRenderer, EdgeRequest};
pub use point_cloud::PointCloud;
pub use point_renderer::{
    PointRenderer, PointStyle, Rasterization, RenderStats, SPLAT_MIN_POINTS, ViewRequest,
};
