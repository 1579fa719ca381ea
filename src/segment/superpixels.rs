//! Any engine algorithm on an image. Per pixel, DBSCAN, HDBSCAN, OPTICS and the trees
//! would cost far more than an image's millions of pixels allow (a tree's memory alone is
//! O(n)), so SLIC first over-segments the image into superpixels, each superpixel's mean
//! colour becomes one row, the algorithm clusters those rows, and every pixel takes its
//! superpixel's cluster. Superpixels the algorithm calls noise stay [`NOISE`].

use std::sync::{Arc, Weak};

use super::{SegmentAlgorithm, SegmentParams, Segmentation};
use crate::cluster::{AlgorithmParams, BackendChoice, ClusterError, Engine, NOISE, RunContext};
use crate::matrix::Matrix;

/// Superpixels when none are asked for: fine enough to follow object edges, few enough
/// for an O(n²) linkage to answer while a slider moves.
pub const DEFAULT_SUPERPIXELS: usize = 2_000;

/// An over-segmentation and the rows the second algorithm clusters.
pub struct Superpixels {
    /// SLIC labels per pixel, `0..n_segments` (connected regions).
    pub slic: Segmentation,
    /// Mean colour features of each superpixel (row = superpixel id, colour columns only:
    /// position is what SLIC already used).
    pub means: Arc<Matrix>,
}

/// What decides the superpixels: everything but the algorithm that clusters them.
#[derive(Clone, PartialEq)]
pub struct SuperpixelKey {
    params: SegmentParams,
    width: u32,
    height: u32,
    backend: BackendChoice,
}

impl SuperpixelKey {
    pub fn new(params: &SegmentParams, width: u32, height: u32, backend: BackendChoice) -> Self {
        Self {
            params: slic_params(params),
            width,
            height,
            backend,
        }
    }
}

/// The newest superpixels, so that changing only the second algorithm's parameters (eps,
/// linkage, …) does not rerun SLIC. Keyed by the feature matrix itself (a weak pointer:
/// the cache never keeps an old image's features alive) and the SLIC parameters.
#[derive(Default)]
pub struct SuperpixelCache {
    entry: Option<(Weak<Matrix>, SuperpixelKey, Arc<Superpixels>)>,
}

impl SuperpixelCache {
    /// The cached superpixels of `features` under `key`, or `compute`'s (then cached).
    pub fn get_or_compute(
        &mut self,
        features: &Arc<Matrix>,
        key: SuperpixelKey,
        compute: impl FnOnce() -> Result<Superpixels, ClusterError>,
    ) -> Result<Arc<Superpixels>, ClusterError> {
        if let Some((matrix, cached_key, superpixels)) = &self.entry
            && matrix.upgrade().is_some_and(|m| Arc::ptr_eq(&m, features))
            && *cached_key == key
        {
            return Ok(Arc::clone(superpixels));
        }
        let superpixels = Arc::new(compute()?);
        self.entry = Some((Arc::downgrade(features), key, Arc::clone(&superpixels)));
        Ok(superpixels)
    }
}

/// The SLIC parameters of a superpixel segmentation: `superpixels` regions, the same
/// colour space, compactness, seed and iterations.
fn slic_params(params: &SegmentParams) -> SegmentParams {
    SegmentParams {
        algorithm: SegmentAlgorithm::Slic,
        k: params.superpixels,
        spatial_weight: Some(params.spatial_weight()),
        max_iterations: Some(params.max_iterations()),
        cluster: None,
        ..params.clone()
    }
}

/// Over-segments with SLIC into about `params.superpixels` regions and takes their means.
pub fn superpixels(
    engine: &mut Engine,
    features: &Arc<Matrix>,
    width: u32,
    height: u32,
    params: &SegmentParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<Superpixels, ClusterError> {
    let slic = slic_params(params);
    let segmentation =
        super::segment_features(engine, features, width, height, &slic, backend, context)?;
    let colour_columns = features.n_cols.min(3);
    let means = mean_rows(
        features,
        colour_columns,
        &segmentation.labels,
        segmentation.n_segments,
    );
    Ok(Superpixels {
        slic: segmentation,
        means: Arc::new(means),
    })
}

/// Mean of the first `n_cols` columns of `features` over the rows of each label `0..n`.
pub fn mean_rows(features: &Matrix, n_cols: usize, labels: &[u32], n: usize) -> Matrix {
    let mut sums = vec![0f64; n * n_cols];
    let mut counts = vec![0u64; n];
    for (row, &label) in labels.iter().enumerate() {
        let s = label as usize;
        counts[s] += 1;
        for (sum, &v) in sums[s * n_cols..(s + 1) * n_cols]
            .iter_mut()
            .zip(&features.row(row)[..n_cols])
        {
            *sum += v as f64;
        }
    }
    let values = sums
        .chunks_exact(n_cols)
        .zip(&counts)
        .flat_map(|(row, &count)| row.iter().map(move |&s| (s / count.max(1) as f64) as f32))
        .collect();
    Matrix::new(n, n_cols, values)
}

/// Clusters `superpixels` with `algorithm` and spreads the labels back to the pixels.
pub fn cluster_superpixels(
    engine: &mut Engine,
    superpixels: &Superpixels,
    algorithm: &AlgorithmParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<Segmentation, ClusterError> {
    let clustering = crate::cluster::run(engine, &superpixels.means, algorithm, backend, context)?;
    let labels = superpixels
        .slic
        .labels
        .iter()
        .map(|&s| clustering.labels[s as usize])
        .collect();
    let mut diagnostics = clustering.diagnostics;
    diagnostics.adapter = format!(
        "{} on {} superpixels ({}), {}",
        algorithm.algorithm,
        superpixels.slic.n_segments,
        superpixels.slic.diagnostics.backend.name(),
        diagnostics.adapter
    );
    Ok(Segmentation {
        width: superpixels.slic.width,
        height: superpixels.slic.height,
        labels,
        n_segments: clustering.n_clusters,
        inertia: None,
        diagnostics,
    })
}

/// True when some pixel belongs to no segment.
pub fn has_noise(segmentation: &Segmentation) -> bool {
    segmentation.labels.contains(&NOISE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_are_taken_per_label_over_the_first_columns() {
        // Rows (colour..., x) with labels 0, 1, 0, 1, 1.
        let features = Matrix::from_rows(&[
            vec![1.0, 2.0, 3.0, 9.0],
            vec![10.0, 0.0, 0.0, 9.0],
            vec![3.0, 4.0, 5.0, 9.0],
            vec![20.0, 3.0, 0.0, 9.0],
            vec![30.0, 3.0, 3.0, 9.0],
        ]);
        let means = mean_rows(&features, 3, &[0, 1, 0, 1, 1], 2);
        assert_eq!((means.n_rows, means.n_cols), (2, 3));
        assert_eq!(means.row(0), [2.0, 3.0, 4.0]);
        assert_eq!(means.row(1), [20.0, 2.0, 1.0]);
    }
}
