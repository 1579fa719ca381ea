//! Every internal score of one clustering in one call: noise rows left out and counted,
//! the silhouette exact or, above a row count, estimated from a seeded sample with its
//! 95 % interval. What the window's legend, `cluster --scores-internal` and `sweep` share.

use rand::SeedableRng;

use super::internal::{self, ScoreError};
use super::silhouette::{self, SumsBackend};
use crate::gpu::GpuContext;
use crate::matrix::Matrix;

/// The noise label (`cluster::NOISE`, which this layer sits below; `sweep` checks they
/// agree).
pub const NOISE: u32 = u32::MAX;

/// How the silhouette (n² distances) is computed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SilhouetteMode {
    /// Always every pair.
    Exact,
    /// Every pair up to `exact_up_to` scored rows; above that `sample` rows (seeded by
    /// `seed`), each against every row, fewer when one estimate would take more than
    /// [`MAX_SAMPLED_DISTANCES`].
    Estimate {
        exact_up_to: usize,
        sample: usize,
        seed: u64,
    },
}

/// Distances one sampled estimate may take at most (sample × n).
pub const MAX_SAMPLED_DISTANCES: usize = 2_000_000_000;

/// The internal scores of one clustering.
#[derive(Clone, Debug, PartialEq)]
pub struct InternalScores {
    pub silhouette: f64,
    /// Half-width of the 95 % interval; 0 when exact.
    pub silhouette_ci: f64,
    /// Rows the silhouette was estimated from, when sampled.
    pub sampled: Option<usize>,
    pub davies_bouldin: f64,
    pub calinski_harabasz: f64,
    /// Rows scored (not noise).
    pub scored: usize,
    pub noise: usize,
}

/// The rows of `points` whose label is not [`NOISE`], with their labels.
pub fn without_noise(points: &Matrix, labels: &[u32]) -> (Matrix, Vec<u32>) {
    let kept: Vec<usize> = (0..points.n_rows).filter(|&r| labels[r] != NOISE).collect();
    let values = kept
        .iter()
        .flat_map(|&row| points.row(row).iter().copied())
        .collect();
    let kept_labels = kept.iter().map(|&r| labels[r]).collect();
    (Matrix::new(kept.len(), points.n_cols, values), kept_labels)
}

/// The scores of `labels` (ids `0..n_clusters`, noise [`NOISE`]) on `points`;
/// `cancelled` is polled while the silhouette runs.
pub fn internal_scores(
    points: &Matrix,
    labels: &[u32],
    n_clusters: usize,
    mode: SilhouetteMode,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<InternalScores, ScoreError> {
    internal_scores_on(None, points, labels, n_clusters, mode, cancelled)
}

/// [`internal_scores`] with the silhouette computed exactly on `gpu` when one is given
/// (whatever `mode` says: there every pair is affordable).
pub fn internal_scores_on(
    gpu: Option<&GpuContext>,
    points: &Matrix,
    labels: &[u32],
    n_clusters: usize,
    mode: SilhouetteMode,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<InternalScores, ScoreError> {
    scores_and_silhouettes(gpu, points, labels, n_clusters, mode, cancelled).map(|(s, _)| s)
}

/// One row's silhouette: its row in the scored points, and the value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RowSilhouette {
    pub row: u32,
    pub value: f32,
}

/// [`internal_scores_on`] and the silhouette of every row it scored (every non-noise row
/// when exact, the sample when estimated), for a silhouette plot.
pub fn scores_and_silhouettes(
    gpu: Option<&GpuContext>,
    points: &Matrix,
    labels: &[u32],
    n_clusters: usize,
    mode: SilhouetteMode,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<(InternalScores, Vec<RowSilhouette>), ScoreError> {
    if labels.len() != points.n_rows {
        return Err(ScoreError::Length(labels.len(), points.n_rows));
    }
    let kept_rows: Vec<usize> = (0..points.n_rows).filter(|&r| labels[r] != NOISE).collect();
    let (subset, kept) = without_noise(points, labels);
    let n = subset.n_rows;
    let sample_size = match mode {
        _ if gpu.is_some() => None,
        SilhouetteMode::Estimate {
            exact_up_to,
            sample,
            seed,
        } if n > exact_up_to => Some((sample.min(MAX_SAMPLED_DISTANCES / n).clamp(50, n), seed)),
        _ => None,
    };
    let (scored_rows, per_row, sampled): (Vec<usize>, Vec<f64>, Option<usize>) =
        match (sample_size, gpu) {
            (None, Some(gpu)) => {
                let per_row = silhouette::row_silhouettes(
                    SumsBackend::Gpu(gpu),
                    &subset,
                    &kept,
                    n_clusters,
                    &|_, _| {},
                    cancelled,
                )?;
                ((0..n).collect(), per_row, None)
            }
            (None, None) => {
                let all: Vec<usize> = (0..n).collect();
                let per_row =
                    internal::row_silhouettes(&subset, &kept, n_clusters, &all, cancelled)?;
                (all, per_row, None)
            }
            (Some((size, seed)), _) => {
                let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
                let sample = rand::seq::index::sample(&mut rng, n, size).into_vec();
                let per_row = internal::sampled_row_silhouettes(
                    &subset, &kept, n_clusters, &sample, cancelled,
                )?;
                (sample, per_row, Some(size))
            }
        };
    let (silhouette, silhouette_ci) = match sampled {
        None => (per_row.iter().sum::<f64>() / per_row.len() as f64, 0.0),
        Some(_) => internal::sample_estimate(&per_row, n),
    };
    let rows = scored_rows
        .iter()
        .zip(&per_row)
        .map(|(&r, &value)| RowSilhouette {
            row: kept_rows[r] as u32,
            value: value as f32,
        })
        .collect();
    let scores = InternalScores {
        silhouette,
        silhouette_ci,
        sampled,
        davies_bouldin: internal::davies_bouldin(&subset, &kept, n_clusters)?,
        calinski_harabasz: internal::calinski_harabasz(&subset, &kept, n_clusters)?,
        scored: n,
        noise: points.n_rows - n,
    };
    Ok((scores, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs(n_per: usize) -> (Matrix, Vec<u32>) {
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for (c, centre) in [[0.0f32, 0.0], [10.0, 0.0], [0.0, 10.0]].iter().enumerate() {
            for i in 0..n_per {
                let a = i as f32 * 0.618;
                rows.push(vec![centre[0] + a.cos(), centre[1] + a.sin()]);
                labels.push(c as u32);
            }
        }
        (Matrix::from_rows(&rows), labels)
    }

    const WINDOW: SilhouetteMode = SilhouetteMode::Estimate {
        exact_up_to: 5_000,
        sample: 2_000,
        seed: 7,
    };

    #[test]
    fn noise_is_left_out_and_counted() {
        let (points, mut labels) = blobs(50);
        labels[0] = NOISE;
        let scores = internal_scores(&points, &labels, 3, WINDOW, &|| false).unwrap();
        assert_eq!(scores.sampled, None);
        assert_eq!((scores.scored, scores.noise), (149, 1));
        let (subset, kept) = without_noise(&points, &labels);
        assert_eq!(subset.n_rows, 149);
        assert_eq!(subset.row(0), points.row(1));
        let exact = internal::silhouette(&subset, &kept, 3, &|| false).unwrap();
        assert_eq!(scores.silhouette, exact);
    }

    #[test]
    fn large_results_are_estimated_within_their_interval() {
        let (points, labels) = blobs(2_000);
        let estimate = internal_scores(&points, &labels, 3, WINDOW, &|| false).unwrap();
        assert_eq!(estimate.sampled, Some(2_000));
        assert!(estimate.silhouette_ci > 0.0);
        let exact = internal::silhouette(&points, &labels, 3, &|| false).unwrap();
        assert!(
            (estimate.silhouette - exact).abs() <= estimate.silhouette_ci.max(1e-3),
            "{} ± {} vs exact {exact}",
            estimate.silhouette,
            estimate.silhouette_ci
        );
        let forced = internal_scores(&points, &labels, 3, SilhouetteMode::Exact, &|| false);
        assert_eq!(forced.unwrap().silhouette, exact);
    }

    #[test]
    fn one_cluster_is_an_error_not_nan() {
        let (points, _) = blobs(10);
        let error = internal_scores(&points, &[0; 30], 1, WINDOW, &|| false).unwrap_err();
        assert!(error.to_string().contains("at least 2 clusters"), "{error}");
    }
}
