//! Pixel segmentation: an image's pixels become feature vectors (colour space, optionally
//! x/y), clustered by the engine's k-means passes, by SLIC superpixels (GPU passes with
//! a CPU twin), or by any engine algorithm on SLIC superpixels' mean colours. Exports:
//! label mask, coloured overlay, per-segment table.

pub mod evaluate;
pub mod export;
pub mod features;
pub mod image_io;
pub mod provenance;
pub mod slic;
pub mod stats;
pub mod superpixels;

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use features::{ColorSpace, Spatial, pixel_features};
pub use image_io::{ImageError, PixelImage, load_image};

use crate::cluster::kmeans::{self, KMeansParams};
use crate::cluster::{
    AlgorithmParams, Backend, BackendChoice, ClusterError, Engine, ParamsError, RunContext,
    RunDiagnostics,
};
use crate::gpu::GpuError;
use crate::matrix::Matrix;

/// How pixels are grouped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SegmentAlgorithm {
    /// k colour clusters (segments need not be connected).
    #[default]
    Kmeans,
    /// About k compact, connected superpixels.
    Slic,
    /// [`SegmentParams::cluster`] (any engine algorithm) on the mean colours of about
    /// [`SegmentParams::superpixels`] SLIC superpixels.
    Superpixels,
}

impl SegmentAlgorithm {
    pub fn name(self) -> &'static str {
        match self {
            SegmentAlgorithm::Kmeans => "kmeans",
            SegmentAlgorithm::Slic => "slic",
            SegmentAlgorithm::Superpixels => "superpixels",
        }
    }

    /// Spatial weight when none is given: none for k-means, SLIC's usual compactness 10.
    pub fn default_spatial_weight(self) -> f64 {
        match self {
            SegmentAlgorithm::Kmeans => 0.0,
            SegmentAlgorithm::Slic | SegmentAlgorithm::Superpixels => 10.0,
        }
    }

    /// Iterations when none are given (SLIC converges in about 10, as in its paper).
    pub fn default_max_iterations(self) -> usize {
        match self {
            SegmentAlgorithm::Kmeans => 300,
            SegmentAlgorithm::Slic | SegmentAlgorithm::Superpixels => 10,
        }
    }
}

/// What the user asks of a segmentation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SegmentParams {
    pub algorithm: SegmentAlgorithm,
    /// Clusters (k-means) or about how many superpixels (SLIC).
    pub k: usize,
    pub space: ColorSpace,
    /// k-means: x/y weight (at 1 the longer side spans one colour axis' range).
    /// SLIC: compactness m in D² = d_colour² + (m · d_xy / S)². None = the algorithm's default.
    pub spatial_weight: Option<f64>,
    pub seed: u64,
    pub max_iterations: Option<usize>,
    pub tolerance: f64,
    /// [`SegmentAlgorithm::Superpixels`]: about how many SLIC superpixels to cluster.
    pub superpixels: usize,
    /// [`SegmentAlgorithm::Superpixels`]: the algorithm that clusters them (the window
    /// fills it from its own algorithm settings, so it is not saved here).
    #[serde(skip)]
    pub cluster: Option<AlgorithmParams>,
}

impl Default for SegmentParams {
    fn default() -> Self {
        Self {
            algorithm: SegmentAlgorithm::Kmeans,
            k: 6,
            space: ColorSpace::Rgb,
            spatial_weight: None,
            seed: 42,
            max_iterations: None,
            tolerance: 1e-4,
            superpixels: superpixels::DEFAULT_SUPERPIXELS,
            cluster: None,
        }
    }
}

/// Most segments a label mask can hold (16-bit PNG).
pub const MAX_SEGMENTS: usize = 65_536;

impl SegmentParams {
    pub fn spatial_weight(&self) -> f64 {
        self.spatial_weight
            .unwrap_or(self.algorithm.default_spatial_weight())
    }

    pub fn max_iterations(&self) -> usize {
        self.max_iterations
            .unwrap_or(self.algorithm.default_max_iterations())
    }

    /// Checks every field for an image of `n_pixels`; messages name the field.
    pub fn check(&self, n_pixels: usize) -> Result<(), ClusterError> {
        let bad = |field: &'static str, message: String| {
            Err(ClusterError::Params(ParamsError::new(field, message)))
        };
        let (count, field) = match self.algorithm {
            SegmentAlgorithm::Superpixels => (self.superpixels, "superpixels"),
            _ => (self.k, "k"),
        };
        if count == 0 {
            return bad(field, format!("{{{field}}} must be at least 1"));
        }
        if count > n_pixels {
            return bad(
                field,
                format!("{{{field}}} {count} exceeds the image's {n_pixels} pixels"),
            );
        }
        if count > MAX_SEGMENTS {
            return bad(
                field,
                format!(
                    "{{{field}}} {count} is over {MAX_SEGMENTS}, the most a 16-bit label mask can hold"
                ),
            );
        }
        if self.algorithm == SegmentAlgorithm::Superpixels && self.cluster.is_none() {
            return Err(ClusterError::Internal(
                "superpixel segmentation without an algorithm to cluster them".into(),
            ));
        }
        let weight = self.spatial_weight();
        if !(weight.is_finite() && weight >= 0.0) {
            return bad(
                "spatial_weight",
                format!("{{spatial_weight}} must be a finite number >= 0, got {weight}"),
            );
        }
        if !(self.tolerance.is_finite() && self.tolerance >= 0.0) {
            return bad(
                "tolerance",
                format!(
                    "{{tolerance}} must be a finite number >= 0, got {}",
                    self.tolerance
                ),
            );
        }
        if self.max_iterations() == 0 {
            return bad("max_iterations", "{max_iterations} cannot be 0".into());
        }
        Ok(())
    }

    /// How x/y enter the features of a `width × height` image.
    pub fn spatial(&self, width: u32, height: u32) -> Spatial {
        let weight = self.spatial_weight();
        match self.algorithm {
            SegmentAlgorithm::Kmeans => Spatial::from_weight(weight, width, height),
            SegmentAlgorithm::Slic | SegmentAlgorithm::Superpixels => {
                let regions = match self.algorithm {
                    SegmentAlgorithm::Superpixels => self.superpixels,
                    _ => self.k,
                };
                let step = slic::SlicGrid::new(width, height, regions).step();
                Spatial {
                    scale: (weight / step) as f32,
                }
            }
        }
    }

    /// The feature matrix this segmentation clusters.
    pub fn features(&self, image: &PixelImage) -> Matrix {
        pixel_features(image, self.space, self.spatial(image.width, image.height))
    }
}

/// A label per pixel, `0..n_segments`, row-major; [`crate::cluster::NOISE`] where a
/// density algorithm on superpixels left a superpixel unclustered.
#[derive(Clone, Debug)]
pub struct Segmentation {
    pub width: u32,
    pub height: u32,
    pub labels: Vec<u32>,
    pub n_segments: usize,
    /// k-means only.
    pub inertia: Option<f64>,
    pub diagnostics: RunDiagnostics,
}

/// Segments `image` (features computed here).
pub fn segment(
    engine: &mut Engine,
    image: &PixelImage,
    params: &SegmentParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<Segmentation, ClusterError> {
    params.check(image.n_pixels())?;
    let features = Arc::new(params.features(image));
    segment_features(
        engine,
        &features,
        image.width,
        image.height,
        params,
        backend,
        context,
    )
}

/// Segments precomputed `features` (rows = pixels of a `width × height` image, from
/// [`SegmentParams::features`]).
pub fn segment_features(
    engine: &mut Engine,
    features: &Arc<Matrix>,
    width: u32,
    height: u32,
    params: &SegmentParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<Segmentation, ClusterError> {
    let started = Instant::now();
    params.check(features.n_rows)?;
    if features.n_rows != width as usize * height as usize {
        return Err(ClusterError::Internal(format!(
            "{} feature rows for a {width} × {height} image",
            features.n_rows
        )));
    }
    let mut segmentation = match params.algorithm {
        SegmentAlgorithm::Kmeans => {
            let kmeans_params = KMeansParams::new(params.k)
                .max_iterations(params.max_iterations())
                .tolerance(params.tolerance)
                .n_init(1)
                .seed(params.seed);
            let result = kmeans::fit(engine, features, &kmeans_params, backend, context)?;
            Segmentation {
                width,
                height,
                n_segments: result.centroids.n_rows,
                labels: result.labels,
                inertia: Some(result.inertia),
                diagnostics: result.diagnostics,
            }
        }
        SegmentAlgorithm::Slic => {
            run_slic(engine, features, width, height, params, backend, context)?
        }
        SegmentAlgorithm::Superpixels => {
            let superpixels = superpixels::superpixels(
                engine, features, width, height, params, backend, context,
            )?;
            let algorithm = params
                .cluster
                .as_ref()
                .ok_or_else(|| ClusterError::Internal("superpixels without an algorithm".into()))?;
            superpixels::cluster_superpixels(engine, &superpixels, algorithm, backend, context)?
        }
    };
    // Segment ids 0..k−1 by pixel count, as every clustering is numbered (superpixel
    // clusters were numbered by superpixel count, which is not the same order).
    segmentation.n_segments = crate::cluster::renumber_by_size(&mut segmentation.labels);
    segmentation.diagnostics.elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(segmentation)
}

fn run_slic(
    engine: &mut Engine,
    features: &Arc<Matrix>,
    width: u32,
    height: u32,
    params: &SegmentParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<Segmentation, ClusterError> {
    let grid = slic::SlicGrid::new(width, height, params.k);
    let (max_iterations, tolerance) = (params.max_iterations(), params.tolerance);
    let mut resolved = engine.resolve(backend)?;
    let mut outcome = None;
    let mut adapter = format!("{} CPU threads", rayon::current_num_threads());
    if resolved == Backend::Gpu {
        let gpu = engine.gpu()?;
        match slic::GpuSlicSteps::new(&gpu, features, grid) {
            Ok(mut steps) => {
                adapter = steps.adapter_name();
                outcome = Some(slic::run_slic(
                    &mut steps,
                    features,
                    &grid,
                    max_iterations,
                    tolerance,
                    context,
                )?);
            }
            // Too large for one binding: `auto` quietly uses the CPU, `gpu` says why.
            Err(GpuError::TooLarge(reason)) if backend == BackendChoice::Auto => {
                tracing::info!(%reason, "SLIC falls back to the CPU");
                resolved = Backend::Cpu;
            }
            Err(error) => return Err(error.into()),
        }
    }
    let outcome = match outcome {
        Some(outcome) => outcome,
        None => {
            let mut steps = slic::CpuSlic::new(features, grid);
            slic::run_slic(
                &mut steps,
                features,
                &grid,
                max_iterations,
                tolerance,
                context,
            )?
        }
    };
    context.check_cancelled()?;
    // Fragments under a quarter of a superpixel join a neighbour (Achanta et al.).
    let min_size = features.n_rows / grid.n_clusters() / 4;
    let (labels, n_segments) =
        slic::enforce_connectivity(&outcome.labels, width as usize, height as usize, min_size);
    Ok(Segmentation {
        width,
        height,
        labels,
        n_segments,
        inertia: None,
        diagnostics: RunDiagnostics {
            backend: resolved,
            adapter,
            iterations: outcome.iterations,
            converged: outcome.converged,
            elapsed_ms: 0.0,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_parameters_name_their_field() {
        let field = |params: SegmentParams| match params.check(100).unwrap_err() {
            ClusterError::Params(error) => (error.field, error.to_string()),
            other => panic!("not a parameter error: {other}"),
        };
        assert_eq!(
            field(SegmentParams {
                k: 0,
                ..Default::default()
            }),
            ("k", "k must be at least 1".to_string())
        );
        let (name, message) = field(SegmentParams {
            k: 101,
            ..Default::default()
        });
        assert_eq!(name, "k");
        assert!(message.contains("100 pixels"), "{message}");
        assert_eq!(
            field(SegmentParams {
                spatial_weight: Some(-1.0),
                ..Default::default()
            })
            .0,
            "spatial_weight"
        );
        assert_eq!(
            field(SegmentParams {
                max_iterations: Some(0),
                ..Default::default()
            })
            .0,
            "max_iterations"
        );
    }

    #[test]
    fn segments_are_numbered_by_pixel_count_without_gaps() {
        // A 3 × 2 image of two flat colours, 4 pixels and 2, asked for 4 segments: two
        // stay empty, so ids are 0 (the 4 pixels) and 1.
        let (black, white) = ([0u8, 0, 0], [255u8, 255, 255]);
        let image = PixelImage::from_rgb8(3, 2, &[black, black, white, black, black, white]);
        let params = SegmentParams {
            k: 4,
            ..SegmentParams::default()
        };
        let segmentation = segment(
            &mut Engine::cpu_only("test"),
            &image,
            &params,
            BackendChoice::Cpu,
            &RunContext::default(),
        )
        .unwrap();
        assert_eq!(segmentation.n_segments, 2);
        assert_eq!(segmentation.labels, vec![0, 0, 1, 0, 0, 1]);
    }
}
