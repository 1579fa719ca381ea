//! The similarity graph spectral clustering cuts: each row joined to its nearest
//! neighbours (the row itself counted among them, as scikit-learn's
//! `kneighbors_graph(include_self=True)`), weighted 1 or by a Gaussian of the distance,
//! symmetrised as ½(A + Aᵀ), and normalised as D^-½ W D^-½ with the degrees D taken
//! without self-loops (scipy's `laplacian(normed=True)` ignores the diagonal). The
//! normalised Laplacian is then I − that matrix.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::super::{ClusterError, ParamsError, RunContext};
use crate::matrix::Matrix;
use crate::spatial::KdTree;
use crate::spatial::knn::{KnnError, KnnMethod, knn_graph};
use crate::spatial::metric::Metric;

/// How neighbouring rows are weighted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Affinity {
    /// Weight 1 for each neighbour (scikit-learn's `nearest_neighbors`).
    #[default]
    Knn,
    /// exp(−γ ‖x − y‖²) for each neighbour: a Gaussian kernel kept sparse.
    Rbf,
}

/// The normalised affinity S = D^-½ W D^-½ in compressed rows, without the diagonal.
#[derive(Clone, Debug)]
pub struct NormalisedGraph {
    /// Row r's entries are `columns[row_starts[r]..row_starts[r + 1]]`, ascending.
    pub row_starts: Vec<u32>,
    pub columns: Vec<u32>,
    pub weights: Vec<f64>,
    /// √(degree) of each row; 1 where the row has no edge (as scipy).
    pub sqrt_degrees: Vec<f64>,
    /// Separate parts of the graph (1: connected).
    pub components: usize,
}

impl NormalisedGraph {
    pub fn n_rows(&self) -> usize {
        self.sqrt_degrees.len()
    }

    pub fn n_edges(&self) -> usize {
        self.columns.len()
    }

    /// The entries of row `r` as (column, weight).
    pub fn row(&self, r: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let range = self.row_starts[r] as usize..self.row_starts[r + 1] as usize;
        self.columns[range.clone()]
            .iter()
            .zip(&self.weights[range])
            .map(|(&c, &w)| (c as usize, w))
    }
}

/// Builds the graph W of `points` with `n_neighbors` neighbours per row (itself
/// included), without self-loops.
pub fn build(
    points: &Matrix,
    n_neighbors: usize,
    affinity: Affinity,
    gamma: f64,
    metric: Metric,
    context: &RunContext,
) -> Result<WeightedGraph, ClusterError> {
    let n = points.n_rows;
    let others = n_neighbors.saturating_sub(1).min(n.saturating_sub(1));
    let weight_of = |distance_sq: f64| match affinity {
        Affinity::Knn => 1.0,
        Affinity::Rbf => (-gamma * distance_sq).exp(),
    };
    // Directed edges (row → neighbour, ½ weight), in chunks so cancel is heard.
    let mut directed: Vec<Vec<(u32, f64)>> = Vec::with_capacity(n);
    let searched_by_knn = metric != Metric::Euclidean && others > 0;
    if searched_by_knn {
        // Other distances: the shared k-NN search (exact, or NN-descent on large tables).
        let cancelled = || context.cancel.is_cancelled();
        let graph =
            knn_graph(points, others, metric, KnnMethod::Auto, 0, &cancelled).map_err(|error| {
                match error {
                    KnnError::Cancelled => ClusterError::Cancelled,
                    other => ClusterError::Params(ParamsError::new("metric", other.to_string())),
                }
            })?;
        for row in 0..n {
            let (neighbours, distances) = graph.of(row);
            directed.push(
                neighbours
                    .iter()
                    .zip(distances)
                    .map(|(&other, &d)| (other, 0.5 * weight_of(d as f64 * d as f64)))
                    .collect(),
            );
        }
    }
    let tree = (!searched_by_knn).then(|| KdTree::build(points));
    for chunk in (0..n).collect::<Vec<_>>().chunks(8192) {
        let Some(tree) = &tree else { break };
        context.check_cancelled()?;
        let part: Vec<Vec<(u32, f64)>> = chunk
            .par_iter()
            .map_init(Vec::new, |best, &row| {
                tree.k_nearest(row, others, best);
                best.iter()
                    .map(|&(d2, other)| (other, 0.5 * weight_of(d2 as f64)))
                    .collect()
            })
            .collect();
        directed.extend(part);
    }
    // W = ½(A + Aᵀ): each row gets its own edges and the edges pointing at it.
    let mut incoming: Vec<u32> = vec![0; n];
    for edges in &directed {
        for &(other, _) in edges {
            incoming[other as usize] += 1;
        }
    }
    let mut reverse_starts = vec![0usize; n + 1];
    for r in 0..n {
        reverse_starts[r + 1] = reverse_starts[r] + incoming[r] as usize;
    }
    let mut reverse = vec![(0u32, 0.0f64); reverse_starts[n]];
    let mut fill = reverse_starts.clone();
    for (row, edges) in directed.iter().enumerate() {
        for &(other, weight) in edges {
            let slot = &mut fill[other as usize];
            reverse[*slot] = (row as u32, weight);
            *slot += 1;
        }
    }
    let rows: Vec<Vec<(u32, f64)>> = (0..n)
        .into_par_iter()
        .map(|r| {
            let mut entries: Vec<(u32, f64)> = directed[r].clone();
            entries.extend_from_slice(&reverse[reverse_starts[r]..reverse_starts[r + 1]]);
            summed_by_column(entries)
        })
        .collect();
    drop(directed);
    let total: usize = rows.iter().map(Vec::len).sum();
    if total > u32::MAX as usize {
        return Err(ClusterError::Internal(format!(
            "the neighbour graph has {total} edges, more than 2³² — lower --n-neighbors"
        )));
    }
    Ok(WeightedGraph::from_rows(rows))
}

/// `entries` (column, weight) sorted by column, equal columns summed.
pub(super) fn summed_by_column(mut entries: Vec<(u32, f64)>) -> Vec<(u32, f64)> {
    entries.sort_unstable_by_key(|e| e.0);
    let mut merged: Vec<(u32, f64)> = Vec::with_capacity(entries.len());
    for (column, weight) in entries {
        match merged.last_mut() {
            Some(last) if last.0 == column => last.1 += weight,
            _ => merged.push((column, weight)),
        }
    }
    merged
}

/// A graph with symmetric weights in compressed rows (self-loops allowed: coarse graphs
/// keep the weight inside each aggregate), and its degrees (row sums).
#[derive(Clone, Debug)]
pub struct WeightedGraph {
    pub row_starts: Vec<u32>,
    pub columns: Vec<u32>,
    pub weights: Vec<f64>,
    pub degrees: Vec<f64>,
}

impl WeightedGraph {
    pub fn new(row_starts: Vec<u32>, columns: Vec<u32>, weights: Vec<f64>) -> Self {
        let degrees = row_starts
            .windows(2)
            .map(|w| weights[w[0] as usize..w[1] as usize].iter().sum())
            .collect();
        Self {
            row_starts,
            columns,
            weights,
            degrees,
        }
    }

    /// Compressed rows from each row's (column, weight) entries, columns ascending.
    pub fn from_rows(rows: Vec<Vec<(u32, f64)>>) -> Self {
        let total: usize = rows.iter().map(Vec::len).sum();
        let mut row_starts = Vec::with_capacity(rows.len() + 1);
        row_starts.push(0u32);
        let mut columns = Vec::with_capacity(total);
        let mut weights = Vec::with_capacity(total);
        for entries in rows {
            for (c, w) in entries {
                columns.push(c);
                weights.push(w);
            }
            row_starts.push(columns.len() as u32);
        }
        Self::new(row_starts, columns, weights)
    }

    pub fn n_rows(&self) -> usize {
        self.degrees.len()
    }

    /// D^-½ W D^-½, rows without edges left empty (their √degree taken as 1, as scipy).
    pub fn normalised(&self) -> NormalisedGraph {
        let sqrt_degrees: Vec<f64> = self
            .degrees
            .iter()
            .map(|&d| if d > 0.0 { d.sqrt() } else { 1.0 })
            .collect();
        let mut weights = Vec::with_capacity(self.weights.len());
        for r in 0..self.n_rows() {
            let range = self.row_starts[r] as usize..self.row_starts[r + 1] as usize;
            for (&c, &w) in self.columns[range.clone()].iter().zip(&self.weights[range]) {
                weights.push(w / (sqrt_degrees[r] * sqrt_degrees[c as usize]));
            }
        }
        NormalisedGraph {
            row_starts: self.row_starts.clone(),
            columns: self.columns.clone(),
            weights,
            sqrt_degrees,
            components: count_components(&self.row_starts, &self.columns),
        }
    }
}

/// Connected components of the graph (breadth first).
fn count_components(row_starts: &[u32], columns: &[u32]) -> usize {
    let n = row_starts.len() - 1;
    let mut seen = vec![false; n];
    let mut queue = Vec::new();
    let mut components = 0;
    for start in 0..n {
        if seen[start] {
            continue;
        }
        components += 1;
        seen[start] = true;
        queue.push(start);
        while let Some(r) = queue.pop() {
            for &c in &columns[row_starts[r] as usize..row_starts[r + 1] as usize] {
                if !seen[c as usize] {
                    seen[c as usize] = true;
                    queue.push(c as usize);
                }
            }
        }
    }
    components
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_of_four_by_hand() {
        // 0 — 1 — 2 ··· 10 with two neighbours (itself and the nearest other):
        // 0→1, 1→0 (tie 0/2 goes to the lower row), 2→1, 3→2.
        let points = Matrix::new(4, 1, vec![0.0, 1.0, 2.0, 10.0]);
        let graph = build(
            &points,
            2,
            Affinity::Knn,
            1.0,
            Metric::Euclidean,
            &RunContext::default(),
        )
        .unwrap()
        .normalised();
        // W: w01 = ½+½ = 1, w12 = ½, w23 = ½.
        let degrees = [1.0f64, 1.5, 1.0, 0.5];
        let expect = |r: usize, c: usize, w: f64| w / (degrees[r] * degrees[c]).sqrt();
        let rows: Vec<Vec<(usize, f64)>> = (0..4).map(|r| graph.row(r).collect()).collect();
        assert_eq!(rows[0], vec![(1, expect(0, 1, 1.0))]);
        assert_eq!(
            rows[1],
            vec![(0, expect(1, 0, 1.0)), (2, expect(1, 2, 0.5))]
        );
        assert_eq!(
            rows[2],
            vec![(1, expect(2, 1, 0.5)), (3, expect(2, 3, 0.5))]
        );
        assert_eq!(rows[3], vec![(2, expect(3, 2, 0.5))]);
        assert_eq!(graph.sqrt_degrees[1], 1.5f64.sqrt());
        assert_eq!(graph.components, 1);
    }

    #[test]
    fn rbf_weights_fall_with_distance_and_components_are_counted() {
        let points = Matrix::new(4, 1, vec![0.0, 1.0, 50.0, 52.0]);
        let graph = build(
            &points,
            2,
            Affinity::Rbf,
            0.5,
            Metric::Euclidean,
            &RunContext::default(),
        )
        .unwrap()
        .normalised();
        assert_eq!(graph.components, 2);
        // Both pairs are mutual: w = e^(−γ d²), degree = w, so S = 1 on each edge.
        let (_, s01) = graph.row(0).next().unwrap();
        assert!((s01 - 1.0).abs() < 1e-12);
        assert!((graph.sqrt_degrees[2] - (-0.5f64 * 4.0).exp().sqrt()).abs() < 1e-12);
    }
}
