//! The exact silhouette as an all-pairs pass: every row's summed distances to each
//! cluster, on the GPU (`gpu.rs`, `shaders/silhouette/`) or its CPU twin (`cpu.rs`), then
//! a and b on the host in f64. This is how 10⁶ rows are scored exactly on a GPU; the f64
//! CPU path in `internal.rs` stays the reference (equal to scikit-learn's).

pub mod cpu;
pub mod gpu;

use super::internal::{self, ScoreError};
use crate::gpu::GpuContext;
use crate::matrix::Matrix;

/// Rows sorted by cluster (stably), as the pass needs them.
struct ByCluster {
    points: Vec<f32>,
    labels: Vec<u32>,
    /// The original row of each sorted row.
    order: Vec<usize>,
}

fn by_cluster(points: &Matrix, labels: &[u32]) -> ByCluster {
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by_key(|&r| labels[r]);
    let mut sorted = Vec::with_capacity(points.values.len());
    for &r in &order {
        sorted.extend_from_slice(points.row(r));
    }
    ByCluster {
        points: sorted,
        labels: order.iter().map(|&r| labels[r]).collect(),
        order,
    }
}

/// Where the sums come from.
pub enum SumsBackend<'a> {
    /// The WGSL pass on this device.
    Gpu(&'a GpuContext),
    /// Its CPU twin (for tests and comparison).
    Twin,
}

/// Every row's silhouette (in the rows' order) by the all-pairs pass; labels are dense
/// `0..n_clusters` without noise. `progress(done, total)` is called after each slice of
/// rows, and `cancelled` polled between slices.
pub fn row_silhouettes(
    backend: SumsBackend<'_>,
    points: &Matrix,
    labels: &[u32],
    n_clusters: usize,
    progress: &dyn Fn(usize, usize),
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<Vec<f64>, ScoreError> {
    internal::check("the silhouette", points, labels, n_clusters)?;
    if labels.iter().any(|&l| l as usize >= n_clusters) {
        return Err(ScoreError::Length(labels.len(), points.n_rows));
    }
    let sizes = internal::sizes(labels, n_clusters);
    let sorted = by_cluster(points, labels);
    let (n, d, k) = (points.n_rows, points.n_cols, n_clusters);
    let device = match backend {
        SumsBackend::Gpu(gpu) => Some(
            gpu::GpuClusterSums::new(gpu, &sorted.points, &sorted.labels, d, k)
                .map_err(|e| ScoreError::Gpu(e.to_string()))?,
        ),
        SumsBackend::Twin => None,
    };
    let slice = device.as_ref().map_or(4096, |g| g.slice_rows());
    let mut silhouettes = vec![0f64; n];
    let mut first = 0;
    while first < n {
        if cancelled() {
            return Err(ScoreError::Cancelled);
        }
        let count = slice.min(n - first);
        let sums = match &device {
            Some(device) => device
                .sums(first, count)
                .map_err(|e| ScoreError::Gpu(e.to_string()))?,
            None => cpu::cluster_sums(&sorted.points, &sorted.labels, d, k, first, count),
        };
        for (local, row_sums) in sums.chunks(k).enumerate() {
            let sorted_row = first + local;
            let own = sorted.labels[sorted_row] as usize;
            silhouettes[sorted.order[sorted_row]] = from_sums(row_sums, own, &sizes);
        }
        first += count;
        progress(first, n);
    }
    Ok(silhouettes)
}

/// One row's silhouette from its per-cluster distance sums (scikit-learn's definition: 0
/// for a row alone in its cluster).
fn from_sums(sums: &[f32], own: usize, sizes: &[usize]) -> f64 {
    if sizes[own] <= 1 {
        return 0.0;
    }
    let a = sums[own] as f64 / (sizes[own] - 1) as f64;
    let b = (0..sizes.len())
        .filter(|&c| c != own && sizes[c] > 0)
        .map(|c| sums[c] as f64 / sizes[c] as f64)
        .fold(f64::INFINITY, f64::min);
    let scale = a.max(b);
    if scale > 0.0 { (b - a) / scale } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_twin_equals_the_exact_silhouette() {
        let blobs = crate::synthetic::gaussian_blobs(900, 3, 4, 2.0, 8);
        let exact = internal::silhouette(&blobs.points, &blobs.labels, 4, &|| false).unwrap();
        let rows = row_silhouettes(
            SumsBackend::Twin,
            &blobs.points,
            &blobs.labels,
            4,
            &|_, _| {},
            &|| false,
        )
        .unwrap();
        let mean = rows.iter().sum::<f64>() / rows.len() as f64;
        assert!(
            (mean - exact).abs() < 1e-6 * exact.abs(),
            "{mean} vs {exact}"
        );
    }

    #[test]
    fn hand_computed_sums() {
        // Rows 0, 1 in cluster 0 and 3, 7 in cluster 1, on a line.
        let points = [0.0f32, 1.0, 3.0, 7.0];
        let sums = cpu::cluster_sums(&points, &[0, 0, 1, 1], 1, 2, 0, 4);
        assert_eq!(sums, vec![1.0, 10.0, 1.0, 8.0, 5.0, 4.0, 13.0, 4.0]);
        // Row 0: a = 1, b = 5 → 0.8.
        assert!((from_sums(&sums[0..2], 0, &[2, 2]) - 0.8).abs() < 1e-12);
    }

    #[test]
    fn cancel_stops_between_slices() {
        let blobs = crate::synthetic::gaussian_blobs(100, 2, 2, 1.0, 1);
        let error = row_silhouettes(
            SumsBackend::Twin,
            &blobs.points,
            &blobs.labels,
            2,
            &|_, _| {},
            &|| true,
        )
        .unwrap_err();
        assert_eq!(error, ScoreError::Cancelled);
    }
}
