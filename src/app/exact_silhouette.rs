//! Refining the legend's sampled silhouette to the exact one on the CPU, when the user
//! asks (every pair of 10⁶ rows is hours on two cores, so it never starts by itself):
//! rows in slices of [`SLICE_ROWS`], progress after each, cancel between them; a newer
//! result cancels it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use eframe::egui;

use super::ClusterscopeApp;
use crate::cluster::CancelToken;
use crate::matrix::Matrix;
use crate::metrics::internal::{ScoreError, sampled_row_silhouettes};
use crate::metrics::summary::without_noise;

/// Rows scored between two progress reports.
const SLICE_ROWS: usize = 1024;

/// An exact refinement in flight or done.
pub struct ExactSilhouette {
    /// (generation, revision) of the result being refined.
    pub key: (u64, u64),
    cancel: CancelToken,
    done: Arc<AtomicUsize>,
    total: usize,
    pub result: Option<Result<f64, String>>,
}

/// The mean silhouette over every non-noise row of `points`, each against every row
/// (f32 distances, f64 sums); `done` counts the rows scored so far.
pub fn compute(
    points: &Matrix,
    labels: &[u32],
    n_clusters: usize,
    done: &AtomicUsize,
    cancel: &CancelToken,
) -> Result<f64, String> {
    let (subset, kept) = without_noise(points, labels);
    let n = subset.n_rows;
    let mut sum = 0f64;
    let rows: Vec<usize> = (0..n).collect();
    for slice in rows.chunks(SLICE_ROWS) {
        let per_row =
            sampled_row_silhouettes(&subset, &kept, n_clusters, slice, &|| cancel.is_cancelled())
                .map_err(|e| match e {
                ScoreError::Cancelled => "cancelled".to_string(),
                other => other.to_string(),
            })?;
        sum += per_row.iter().sum::<f64>();
        done.fetch_add(slice.len(), Ordering::Relaxed);
    }
    Ok(sum / n.max(1) as f64)
}

impl ClusterscopeApp {
    fn start_exact_silhouette(&mut self) {
        let Some(clustering) = &self.clustering else {
            return;
        };
        if let Some(previous) = self.exact_silhouette.take() {
            previous.cancel.cancel();
        }
        let key = (clustering.generation, clustering.revision);
        let cancel = CancelToken::new();
        let done = Arc::new(AtomicUsize::new(0));
        let total = clustering
            .result
            .labels
            .iter()
            .filter(|&&l| l != crate::cluster::NOISE)
            .count();
        self.exact_silhouette = Some(ExactSilhouette {
            key,
            cancel: cancel.clone(),
            done: Arc::clone(&done),
            total,
            result: None,
        });
        self.jobs.exact_silhouette(
            key,
            Arc::clone(&clustering.points),
            clustering.result.labels.clone(),
            clustering.n_clusters(),
            done,
            cancel,
        );
    }

    /// An exact refinement finished (kept only for the shown result).
    pub(super) fn exact_silhouette_done(&mut self, key: (u64, u64), result: Result<f64, String>) {
        if let Some(exact) = &mut self.exact_silhouette
            && exact.key == key
        {
            exact.result = Some(result);
        }
    }

    /// Under a sampled silhouette: the button, the progress with Cancel, or the exact value.
    pub(super) fn exact_silhouette_ui(&mut self, ui: &mut egui::Ui) {
        let key = self.clustering.as_ref().map(|c| (c.generation, c.revision));
        if let Some(exact) = &self.exact_silhouette
            && Some(exact.key) != key
        {
            // A newer result: the refinement belongs to an older one.
            exact.cancel.cancel();
            self.exact_silhouette = None;
        }
        match &self.exact_silhouette {
            None => {
                if ui
                    .small_button("Refine to exact")
                    .on_hover_text(
                        "Score every row against every row on the CPU (n² distances; minutes \
                         to hours on large tables), with progress and Cancel",
                    )
                    .clicked()
                {
                    self.start_exact_silhouette();
                }
            }
            Some(exact) => match &exact.result {
                None => {
                    let done = exact.done.load(Ordering::Relaxed);
                    let cancel = exact.cancel.clone();
                    ui.horizontal(|ui| {
                        ui.add(
                            egui::ProgressBar::new(done as f32 / exact.total.max(1) as f32)
                                .desired_width(110.0)
                                .text(format!("exact: {done} of {} rows", exact.total)),
                        );
                        if ui.small_button("Cancel").clicked() {
                            cancel.cancel();
                        }
                    });
                    ui.ctx()
                        .request_repaint_after(std::time::Duration::from_millis(200));
                }
                Some(Ok(value)) => {
                    ui.label(format!("Silhouette {value:.4} (exact)"))
                        .on_hover_text("Every row against every row");
                }
                Some(Err(error)) => {
                    let error = error.clone();
                    ui.horizontal(|ui| {
                        ui.weak(format!("Exact silhouette: {error}"));
                        if ui.small_button("Again").clicked() {
                            self.start_exact_silhouette();
                        }
                    });
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refinement_equals_the_exact_silhouette_and_counts_its_rows() {
        let blobs = crate::synthetic::gaussian_blobs(2_500, 3, 3, 2.0, 6);
        let mut labels = blobs.labels.clone();
        labels[7] = crate::cluster::NOISE;
        let done = AtomicUsize::new(0);
        let value = compute(&blobs.points, &labels, 3, &done, &CancelToken::new()).unwrap();
        assert_eq!(done.load(Ordering::Relaxed), 2_499);
        let (subset, kept) = without_noise(&blobs.points, &labels);
        let exact = crate::metrics::internal::silhouette(&subset, &kept, 3, &|| false).unwrap();
        assert!((value - exact).abs() < 1e-6, "{value} vs {exact}");
        let cancel = CancelToken::new();
        cancel.cancel();
        let error = compute(&blobs.points, &labels, 3, &done, &cancel).unwrap_err();
        assert_eq!(error, "cancelled");
    }
}
