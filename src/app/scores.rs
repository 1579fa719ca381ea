//! The shown result's internal scores beside the legend, computed off the UI thread after
//! every run or cut (`metrics::internal`): Davies–Bouldin and Calinski–Harabasz exactly,
//! the silhouette exactly up to [`EXACT_SILHOUETTE_ROWS`] rows, above that estimated from
//! a seeded sample of rows (each scored against every row) with its 95 % interval. Noise
//! rows are left out and counted. A newer result cancels the scoring of an older one.

use std::sync::Arc;

use eframe::egui;

use super::ClusterscopeApp;
use super::silhouette_plot::SilhouettePlot;
use crate::cluster::CancelToken;
use crate::matrix::Matrix;
use crate::metrics::summary::{InternalScores, SilhouetteMode, scores_and_silhouettes};

/// Up to this many scored rows the silhouette is exact (n² distances).
pub const EXACT_SILHOUETTE_ROWS: usize = 5_000;
/// Rows sampled above that (fewer when n is so large that each costs too much).
pub const SILHOUETTE_SAMPLE: usize = 2_000;

/// Scores of one shown result, and its silhouette plot.
pub struct ShownScores {
    pub scores: InternalScores,
    pub plot: SilhouettePlot,
}

/// The scores of `labels` (ids `0..n_clusters`, noise [`crate::cluster::NOISE`]) on `points`.
pub fn compute(
    points: &Matrix,
    labels: &[u32],
    n_clusters: usize,
    cancel: &CancelToken,
) -> Result<ShownScores, String> {
    let mode = SilhouetteMode::Estimate {
        exact_up_to: EXACT_SILHOUETTE_ROWS,
        sample: SILHOUETTE_SAMPLE,
        seed: 0x5111,
    };
    let (scores, rows) = scores_and_silhouettes(None, points, labels, n_clusters, mode, &|| {
        cancel.is_cancelled()
    })
    .map_err(|e| e.to_string())?;
    let plot = SilhouettePlot::new(rows, labels, scores.silhouette);
    Ok(ShownScores { scores, plot })
}

/// Which result the scores belong to, and where they stand.
#[derive(Default)]
pub struct ScoresState {
    /// (generation, revision) of the result scored or being scored.
    key: Option<(u64, u64)>,
    cancel: Option<CancelToken>,
    pub result: Option<Result<ShownScores, String>>,
}

impl ClusterscopeApp {
    /// Starts scoring the shown result when it has not been scored yet.
    pub(super) fn request_scores(&mut self) {
        let Some(clustering) = &self.clustering else {
            return;
        };
        let key = (clustering.generation, clustering.revision);
        if self.scores.key == Some(key) {
            return;
        }
        if let Some(cancel) = self.scores.cancel.take() {
            cancel.cancel();
        }
        let cancel = CancelToken::new();
        self.scores = ScoresState {
            key: Some(key),
            cancel: Some(cancel.clone()),
            result: None,
        };
        self.jobs.score(
            key,
            Arc::clone(&clustering.points),
            clustering.result.labels.clone(),
            clustering.n_clusters(),
            cancel,
        );
    }

    /// True once the shown result's scores (or why there are none) are in.
    pub fn scores_ready(&self) -> bool {
        self.scores.result.is_some()
    }

    /// A scoring finished (kept only if it is of the shown result).
    pub(super) fn scored(&mut self, key: (u64, u64), result: Result<ShownScores, String>) {
        if self.scores.key == Some(key) {
            self.scores.cancel = None;
            self.scores.result = Some(result);
        }
    }

    /// The scores under the legend's heading.
    pub(super) fn scores_ui(&mut self, ui: &mut egui::Ui) {
        match &self.scores.result {
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.weak("Scoring…");
                });
            }
            Some(Err(error)) => {
                ui.weak(format!("No scores: {error}"));
            }
            Some(Ok(ShownScores { scores: s, .. })) => {
                let silhouette = match s.sampled {
                    None => format!("Silhouette {:.4}", s.silhouette),
                    Some(_) => format!("Silhouette {:.4} ± {:.4}", s.silhouette, s.silhouette_ci),
                };
                let how = match s.sampled {
                    None => "exact".to_string(),
                    Some(rows) => format!(
                        "estimated from {rows} of {} rows, each against every row; ± is the \
                         95 % interval",
                        s.scored
                    ),
                };
                ui.label(silhouette).on_hover_text(format!(
                    "Mean silhouette, −1 to 1, higher is better ({how})"
                ));
                let sampled = s.sampled.is_some();
                ui.label(format!("Davies–Bouldin {:.4}", s.davies_bouldin))
                    .on_hover_text("Lower is better: clusters tight and far apart");
                ui.label(format!("Calinski–Harabasz {:.1}", s.calinski_harabasz))
                    .on_hover_text("Higher is better: between- over within-cluster dispersion");
                if s.noise > 0 {
                    ui.weak(format!("{} noise rows left out of the scores", s.noise));
                }
                if sampled {
                    self.exact_silhouette_ui(ui);
                }
            }
        }
        self.external_scores_ui(ui);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::NOISE;
    use crate::metrics::internal;

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

    #[test]
    fn small_results_are_scored_exactly_and_noise_is_left_out() {
        let (points, mut labels) = blobs(50);
        labels[0] = NOISE;
        let scores = compute(&points, &labels, 3, &CancelToken::new())
            .unwrap()
            .scores;
        assert_eq!(scores.sampled, None);
        assert_eq!((scores.scored, scores.noise), (149, 1));
        assert!(scores.silhouette > 0.8, "{scores:?}");
    }

    #[test]
    fn large_results_are_estimated_within_their_interval() {
        let (points, labels) = blobs(2_000);
        let estimate = compute(&points, &labels, 3, &CancelToken::new())
            .unwrap()
            .scores;
        assert_eq!(estimate.sampled, Some(SILHOUETTE_SAMPLE));
        let exact = internal::silhouette(&points, &labels, 3, &|| false).unwrap();
        assert!(
            (estimate.silhouette - exact).abs() <= estimate.silhouette_ci.max(1e-3),
            "{} ± {} vs exact {exact}",
            estimate.silhouette,
            estimate.silhouette_ci
        );
    }
}
