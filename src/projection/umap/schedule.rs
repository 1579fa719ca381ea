//! Which edges the layout samples and how often (umap-learn's `make_epochs_per_sample`):
//! edges lighter than the heaviest / n_epochs are dropped, and each remaining edge is
//! sampled every max_weight / weight epochs.

use super::fuzzy::FuzzyGraph;

/// The layout's edges in compressed rows (row i's edges pull row i), with their sampling
/// periods.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub row_starts: Vec<u32>,
    pub columns: Vec<u32>,
    pub epochs_per_sample: Vec<f32>,
}

impl Schedule {
    pub fn new(graph: &FuzzyGraph, n_epochs: usize) -> Self {
        let heaviest = graph.weights.iter().copied().fold(0.0f32, f32::max);
        let floor = heaviest / n_epochs.max(1) as f32;
        let mut row_starts = Vec::with_capacity(graph.n_rows() + 1);
        row_starts.push(0u32);
        let mut columns = Vec::with_capacity(graph.n_edges());
        let mut epochs_per_sample = Vec::with_capacity(graph.n_edges());
        for row in 0..graph.n_rows() {
            for (column, weight) in graph.row(row) {
                if weight >= floor && weight > 0.0 {
                    columns.push(column);
                    epochs_per_sample.push(heaviest / weight);
                }
            }
            row_starts.push(columns.len() as u32);
        }
        Self {
            row_starts,
            columns,
            epochs_per_sample,
        }
    }

    pub fn n_rows(&self) -> usize {
        self.row_starts.len() - 1
    }

    pub fn n_edges(&self) -> usize {
        self.columns.len()
    }

    /// The schedules' starting values: the first sample of edge e is due at epoch
    /// epochs_per_sample[e], its negative samples counted from epochs_per_sample[e] / rate.
    pub fn first_samples(&self, negative_rate: f32) -> (Vec<f32>, Vec<f32>) {
        let negative = self
            .epochs_per_sample
            .iter()
            .map(|&e| e / negative_rate)
            .collect();
        (self.epochs_per_sample.clone(), negative)
    }
}

/// What one epoch needs besides the graph.
#[derive(Clone, Copy, Debug)]
pub struct EpochParams {
    pub n_rows: u32,
    pub epoch: u32,
    pub seed: u32,
    /// The learning rate this epoch: initial × (1 − epoch / n_epochs).
    pub alpha: f32,
    pub a: f32,
    pub b: f32,
    /// Repulsion strength.
    pub gamma: f32,
    /// Negative samples per positive one.
    pub negative_rate: f32,
}
