//! Which axes a grid is laid over: the columns themselves when there are at most three,
//! otherwise the first three principal components (the grid grows as cells^axes, so more
//! axes would leave almost every cell empty).

use std::sync::Arc;

use rayon::prelude::*;

use super::super::{ClusterError, Engine};
use crate::matrix::Matrix;
use crate::projection::Pca;

/// The most axes a grid spans.
pub const MAX_AXES: usize = 3;

/// The coordinates the grid bins, and what they are.
#[derive(Clone)]
pub struct GridAxes {
    /// n × axes, row-major: the rows themselves or their principal components.
    pub coordinates: Arc<Matrix>,
    /// "the columns" or "the first 3 principal components (71.2 % of the variance)".
    pub description: String,
    /// Whether the axes are the data's own columns (then the scatter's column view can
    /// draw the grid under the points).
    pub are_columns: bool,
}

/// The engine's last projection, so re-clustering does not fit PCA again.
#[derive(Default)]
struct AxesCache {
    last: Option<(Arc<Matrix>, GridAxes)>,
}

/// The grid axes of `points`.
pub fn grid_axes(engine: &mut Engine, points: &Arc<Matrix>) -> Result<GridAxes, ClusterError> {
    if points.n_cols <= MAX_AXES {
        return Ok(GridAxes {
            coordinates: Arc::clone(points),
            description: "the columns".into(),
            are_columns: true,
        });
    }
    if let Some((source, axes)) = &engine.state::<AxesCache>().last
        && Arc::ptr_eq(source, points)
    {
        return Ok(axes.clone());
    }
    let pca = Pca::fit_cpu(points).map_err(ClusterError::Internal)?;
    let d = points.n_cols;
    let components: Vec<&Vec<f64>> = pca.components.iter().take(MAX_AXES).collect();
    let explained: f64 = pca.explained_ratio.iter().take(MAX_AXES).sum();
    let mean = &pca.mean;
    let values: Vec<f32> = points
        .values
        .par_chunks_exact(d)
        .flat_map_iter(|row| {
            components.iter().map(move |c| {
                (0..d)
                    .map(|j| (row[j] as f64 - mean[j]) * c[j])
                    .sum::<f64>() as f32
            })
        })
        .collect();
    let axes = GridAxes {
        coordinates: Arc::new(Matrix::new(points.n_rows, components.len(), values)),
        description: format!(
            "the first {} principal components ({:.1} % of the variance)",
            components.len(),
            explained * 100.0
        ),
        are_columns: false,
    };
    engine.state::<AxesCache>().last = Some((Arc::clone(points), axes.clone()));
    Ok(axes)
}
