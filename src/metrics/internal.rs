//! Scores of a clustering against its own data: silhouette, Davies–Bouldin and
//! Calinski–Harabasz, with scikit-learn's definitions (Euclidean distances, f64 sums).
//! Noise rows are left out by the caller and counted there.

use rayon::prelude::*;

use crate::matrix::Matrix;

/// Why a score cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScoreError {
    #[error(
        "{what} needs at least 2 clusters and fewer clusters than rows; the labels give \
         {clusters} cluster(s) on {rows} row(s)"
    )]
    ClusterCount {
        what: &'static str,
        clusters: usize,
        rows: usize,
    },
    #[error("{0} labels for {1} rows")]
    Length(usize, usize),
    #[error("cancelled")]
    Cancelled,
    #[error("the silhouette on the GPU failed: {0}")]
    Gpu(String),
}

/// Labels `0..k` (dense) of rows of `points`, checked for the internal scores.
pub(super) fn check(
    what: &'static str,
    points: &Matrix,
    labels: &[u32],
    n_clusters: usize,
) -> Result<(), ScoreError> {
    if labels.len() != points.n_rows {
        return Err(ScoreError::Length(labels.len(), points.n_rows));
    }
    if n_clusters < 2 || n_clusters >= points.n_rows {
        return Err(ScoreError::ClusterCount {
            what,
            clusters: n_clusters,
            rows: points.n_rows,
        });
    }
    Ok(())
}

fn distance(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let d = *x as f64 - *y as f64;
            d * d
        })
        .sum::<f64>()
        .sqrt()
}

pub(super) fn sizes(labels: &[u32], n_clusters: usize) -> Vec<usize> {
    let mut sizes = vec![0usize; n_clusters];
    for &l in labels {
        sizes[l as usize] += 1;
    }
    sizes
}

fn centroids(points: &Matrix, labels: &[u32], n_clusters: usize) -> Vec<Vec<f64>> {
    let d = points.n_cols;
    let mut sums = vec![vec![0.0f64; d]; n_clusters];
    for (row, &l) in labels.iter().enumerate() {
        for (s, &v) in sums[l as usize].iter_mut().zip(points.row(row)) {
            *s += v as f64;
        }
    }
    for (sum, size) in sums.iter_mut().zip(sizes(labels, n_clusters)) {
        for s in sum.iter_mut() {
            *s /= size.max(1) as f64;
        }
    }
    sums
}

/// The mean silhouette over every row, exactly (all n² distances, on all cores).
/// `cancelled` is polled once per row.
pub fn silhouette(
    points: &Matrix,
    labels: &[u32],
    n_clusters: usize,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<f64, ScoreError> {
    let all: Vec<usize> = (0..points.n_rows).collect();
    let per_row = row_silhouettes(points, labels, n_clusters, &all, cancelled)?;
    Ok(per_row.iter().sum::<f64>() / per_row.len() as f64)
}

/// The silhouette estimated from the rows `sample` (each scored exactly against every
/// row): the mean and the half-width of its 95 % confidence interval.
pub fn silhouette_sampled(
    points: &Matrix,
    labels: &[u32],
    n_clusters: usize,
    sample: &[usize],
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<(f64, f64), ScoreError> {
    let per_row = sampled_row_silhouettes(points, labels, n_clusters, sample, cancelled)?;
    Ok(sample_estimate(&per_row, points.n_rows))
}

/// The mean of a sample of row silhouettes drawn without replacement from `population`
/// rows, and the half-width of its 95 % confidence interval.
pub fn sample_estimate(per_row: &[f64], population: usize) -> (f64, f64) {
    let m = per_row.len() as f64;
    let mean = per_row.iter().sum::<f64>() / m;
    let variance =
        per_row.iter().map(|s| (s - mean) * (s - mean)).sum::<f64>() / (m - 1.0).max(1.0);
    // Sampling without replacement: the finite-population correction.
    let correction = ((population as f64 - m) / (population as f64 - 1.0).max(1.0)).max(0.0);
    (mean, 1.96 * (variance / m * correction).sqrt())
}

/// The silhouette of each of `rows`, each against every row, for a sampled estimate:
/// 16 rows per pass over the data (`spatial::lanes`), distances in f32 (about 10⁻⁷
/// relative), sums per cluster in f64. `cancelled` is polled once per 16 rows.
pub fn sampled_row_silhouettes(
    points: &Matrix,
    labels: &[u32],
    n_clusters: usize,
    rows: &[usize],
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<Vec<f64>, ScoreError> {
    use crate::spatial::lanes::{self, CandidateTile, LANES};
    check("the silhouette", points, labels, n_clusters)?;
    let sizes = sizes(labels, n_clusters);
    let d = points.n_cols;
    let per_tile: Option<Vec<Vec<f64>>> = rows
        .par_chunks(LANES)
        .map(|tile_rows| {
            if cancelled() {
                return None;
            }
            let centres: Vec<&[f32]> = tile_rows.iter().map(|&r| points.row(r)).collect();
            let tile = CandidateTile::new(&centres, d);
            // sums[cluster * LANES + lane]: distances from the lane's row to the cluster.
            let mut sums = vec![0f64; n_clusters * LANES];
            lanes::for_each_row(&points.values, d, &tile, |i, squared| {
                let cluster = labels[i] as usize;
                let out = &mut sums[cluster * LANES..(cluster + 1) * LANES];
                for (sum, &s) in out.iter_mut().zip(squared) {
                    *sum += s.max(0.0).sqrt() as f64;
                }
            });
            Some(
                tile_rows
                    .iter()
                    .enumerate()
                    .map(|(lane, &row)| {
                        let own = labels[row] as usize;
                        if sizes[own] <= 1 {
                            return 0.0;
                        }
                        let a = sums[own * LANES + lane] / (sizes[own] - 1) as f64;
                        let b = (0..n_clusters)
                            .filter(|&c| c != own && sizes[c] > 0)
                            .map(|c| sums[c * LANES + lane] / sizes[c] as f64)
                            .fold(f64::INFINITY, f64::min);
                        let scale = a.max(b);
                        if scale > 0.0 { (b - a) / scale } else { 0.0 }
                    })
                    .collect(),
            )
        })
        .collect();
    per_tile
        .map(|tiles| tiles.into_iter().flatten().collect())
        .ok_or(ScoreError::Cancelled)
}

/// The silhouette of each of `rows` (f64, every pair: scikit-learn's values).
pub fn row_silhouettes(
    points: &Matrix,
    labels: &[u32],
    n_clusters: usize,
    rows: &[usize],
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<Vec<f64>, ScoreError> {
    check("the silhouette", points, labels, n_clusters)?;
    let sizes = sizes(labels, n_clusters);
    let per_row: Option<Vec<f64>> = rows
        .par_iter()
        .map(|&row| {
            if cancelled() {
                return None;
            }
            let mut sums = vec![0.0f64; n_clusters];
            let here = points.row(row);
            for (other, &l) in labels.iter().enumerate() {
                sums[l as usize] += distance(here, points.row(other));
            }
            let own = labels[row] as usize;
            // A row alone in its cluster scores 0 (scikit-learn's convention).
            if sizes[own] <= 1 {
                return Some(0.0);
            }
            let a = sums[own] / (sizes[own] - 1) as f64;
            let b = (0..n_clusters)
                .filter(|&c| c != own && sizes[c] > 0)
                .map(|c| sums[c] / sizes[c] as f64)
                .fold(f64::INFINITY, f64::min);
            let scale = a.max(b);
            Some(if scale > 0.0 { (b - a) / scale } else { 0.0 })
        })
        .collect();
    per_row.ok_or(ScoreError::Cancelled)
}

/// Davies–Bouldin: the mean over clusters of the worst (sᵢ + sⱼ) / dᵢⱼ (lower is better).
pub fn davies_bouldin(
    points: &Matrix,
    labels: &[u32],
    n_clusters: usize,
) -> Result<f64, ScoreError> {
    check("Davies–Bouldin", points, labels, n_clusters)?;
    let centres = centroids(points, labels, n_clusters);
    let sizes = sizes(labels, n_clusters);
    let mut spread = vec![0.0f64; n_clusters];
    for (row, &l) in labels.iter().enumerate() {
        let c = &centres[l as usize];
        let d: f64 = points
            .row(row)
            .iter()
            .zip(c)
            .map(|(&x, &m)| (x as f64 - m) * (x as f64 - m))
            .sum::<f64>()
            .sqrt();
        spread[l as usize] += d;
    }
    for (s, &n) in spread.iter_mut().zip(&sizes) {
        *s /= n.max(1) as f64;
    }
    let between = |i: usize, j: usize| -> f64 {
        centres[i]
            .iter()
            .zip(&centres[j])
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt()
    };
    // scikit-learn's `np.allclose(…, 0)`: an absolute tolerance of 1e-8.
    let all_close = (0..n_clusters).all(|i| (0..n_clusters).all(|j| between(i, j) <= 1e-8));
    if all_close || spread.iter().all(|&s| s <= 1e-8) {
        return Ok(0.0);
    }
    let mut total = 0.0;
    for i in 0..n_clusters {
        let worst = (0..n_clusters)
            .filter(|&j| j != i)
            .map(|j| {
                let d = between(i, j);
                if d > 0.0 {
                    (spread[i] + spread[j]) / d
                } else {
                    0.0
                }
            })
            .fold(f64::NEG_INFINITY, f64::max);
        total += worst;
    }
    Ok(total / n_clusters as f64)
}

/// Calinski–Harabasz: between-cluster over within-cluster dispersion, scaled by the
/// degrees of freedom (higher is better).
pub fn calinski_harabasz(
    points: &Matrix,
    labels: &[u32],
    n_clusters: usize,
) -> Result<f64, ScoreError> {
    check("Calinski–Harabasz", points, labels, n_clusters)?;
    let n = points.n_rows;
    let d = points.n_cols;
    let centres = centroids(points, labels, n_clusters);
    let sizes = sizes(labels, n_clusters);
    let mut mean = vec![0.0f64; d];
    for row in 0..n {
        for (m, &v) in mean.iter_mut().zip(points.row(row)) {
            *m += v as f64;
        }
    }
    for m in &mut mean {
        *m /= n as f64;
    }
    let between: f64 = centres
        .iter()
        .zip(&sizes)
        .map(|(c, &size)| {
            size as f64
                * c.iter()
                    .zip(&mean)
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
        })
        .sum();
    let within: f64 = labels
        .iter()
        .enumerate()
        .map(|(row, &l)| {
            points
                .row(row)
                .iter()
                .zip(&centres[l as usize])
                .map(|(&x, &m)| (x as f64 - m) * (x as f64 - m))
                .sum::<f64>()
        })
        .sum();
    if within == 0.0 {
        return Ok(1.0);
    }
    Ok(between * (n - n_clusters) as f64 / (within * (n_clusters - 1) as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(rows: &[[f32; 2]]) -> Matrix {
        let rows: Vec<Vec<f32>> = rows.iter().map(|r| r.to_vec()).collect();
        Matrix::from_rows(&rows)
    }

    #[test]
    fn sampled_rows_score_as_the_exact_pass_does() {
        let blobs = crate::synthetic::gaussian_blobs(700, 5, 4, 2.5, 4);
        let rows: Vec<usize> = (0..700).step_by(13).chain([699]).collect();
        let fast =
            sampled_row_silhouettes(&blobs.points, &blobs.labels, 4, &rows, &|| false).unwrap();
        let exact = row_silhouettes(&blobs.points, &blobs.labels, 4, &rows, &|| false).unwrap();
        assert_eq!(fast.len(), rows.len());
        for (f, e) in fast.iter().zip(&exact) {
            assert!((f - e).abs() < 1e-5, "{f} vs {e}");
        }
    }

    #[test]
    fn hand_computed_values() {
        // Two clusters on a line: {0, 1} and {4, 5}.
        let x = points(&[[0.0, 0.0], [1.0, 0.0], [4.0, 0.0], [5.0, 0.0]]);
        let labels = [0, 0, 1, 1];
        // Row 0: a = 1, b = (4 + 5) / 2 = 4.5 → 1 − 1/4.5; row 1: a = 1, b = 3.5 → 1 − 1/3.5;
        // rows 2 and 3 mirror them.
        let expected = ((1.0 - 1.0 / 4.5) + (1.0 - 1.0 / 3.5)) / 2.0;
        let s = silhouette(&x, &labels, 2, &|| false).unwrap();
        assert!((s - expected).abs() < 1e-12, "{s} vs {expected}");
        // Spreads 0.5 each, centres 4 apart: (0.5 + 0.5) / 4.
        let db = davies_bouldin(&x, &labels, 2).unwrap();
        assert!((db - 0.25).abs() < 1e-12, "{db}");
        // Between: 2 · 2² + 2 · 2² = 16; within: 4 · 0.25 = 1; × (4 − 2) / (2 − 1).
        let ch = calinski_harabasz(&x, &labels, 2).unwrap();
        assert!((ch - 32.0).abs() < 1e-9, "{ch}");
    }

    #[test]
    fn one_cluster_is_a_clear_error_not_nan() {
        let x = points(&[[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]);
        let error = silhouette(&x, &[0, 0, 0], 1, &|| false).unwrap_err();
        assert!(error.to_string().contains("at least 2 clusters"), "{error}");
        assert!(
            davies_bouldin(&x, &[0, 1, 2], 3).is_err(),
            "as many clusters as rows"
        );
    }

    #[test]
    fn a_sample_of_every_row_is_the_exact_silhouette() {
        let x = points(&[[0.0, 0.0], [1.0, 0.0], [4.0, 0.0], [5.0, 0.0], [5.5, 1.0]]);
        let labels = [0, 0, 1, 1, 1];
        let exact = silhouette(&x, &labels, 2, &|| false).unwrap();
        let (mean, half_width) =
            silhouette_sampled(&x, &labels, 2, &[0, 1, 2, 3, 4], &|| false).unwrap();
        // Sampled rows are scored with f32 distances (about 1e-7 relative).
        assert!((mean - exact).abs() < 1e-6, "{mean} vs {exact}");
        assert!(
            half_width.abs() < 1e-12,
            "no uncertainty left: {half_width}"
        );
        let (_, part) = silhouette_sampled(&x, &labels, 2, &[0, 2], &|| false).unwrap();
        assert!(part > 0.0);
    }

    #[test]
    fn a_cancelled_silhouette_stops() {
        let x = points(&[[0.0, 0.0], [1.0, 0.0], [4.0, 0.0], [5.0, 0.0]]);
        assert_eq!(
            silhouette(&x, &[0, 0, 1, 1], 2, &|| true),
            Err(ScoreError::Cancelled)
        );
    }
}
