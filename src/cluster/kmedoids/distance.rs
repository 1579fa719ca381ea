//! Distances between rows, the same bits on both backends: `fold`/`finish` here are the
//! twins of those in `shaders/kmedoids/common.wgsl` (sums in column order, no fused
//! multiply-add). Cosine runs on rows normalised once on the host, so both backends take a
//! plain dot product. Medoids are rows, so any of these works; the n × n matrix of the
//! swap-based methods is built here, under a memory budget.

use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::matrix::Matrix;

/// How far apart two rows are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// √Σ (a − b)².
    #[default]
    Euclidean,
    /// Σ |a − b|.
    Manhattan,
    /// 1 − cos(a, b) (0 for the same direction, up to 2 for opposite ones).
    Cosine,
}

impl Metric {
    /// The code the shaders switch on. Keep in sync with `fold` in
    /// `shaders/kmedoids/common.wgsl`.
    pub fn shader_code(self) -> u32 {
        match self {
            Metric::Euclidean => 0,
            Metric::Manhattan => 1,
            Metric::Cosine => 2,
        }
    }

    /// The rows distances are taken on: `points` itself, or (cosine) a normalised copy.
    pub fn prepare(self, points: &Arc<Matrix>) -> Arc<Matrix> {
        match self {
            Metric::Cosine => Arc::new(normalised_rows(points)),
            _ => Arc::clone(points),
        }
    }

    /// The distance between two prepared rows.
    #[inline(always)]
    pub fn distance(self, a: &[f32], b: &[f32]) -> f32 {
        let mut acc = 0.0f32;
        for (&x, &y) in a.iter().zip(b) {
            acc = self.fold(acc, x, y);
        }
        self.finish(acc)
    }

    /// One coordinate pair folded into the running sum (twin of `fold` in the shaders).
    #[inline(always)]
    fn fold(self, acc: f32, a: f32, b: f32) -> f32 {
        match self {
            Metric::Euclidean => {
                let diff = a - b;
                acc + diff * diff
            }
            Metric::Manhattan => acc + (a - b).abs(),
            Metric::Cosine => acc + a * b,
        }
    }

    /// The sum turned into the distance (twin of `finish` in the shaders).
    #[inline(always)]
    fn finish(self, acc: f32) -> f32 {
        match self {
            Metric::Euclidean => acc.sqrt(),
            Metric::Manhattan => acc,
            Metric::Cosine => (1.0 - acc).max(0.0),
        }
    }

    /// Distances from `row` to rows `first..first + out.len()` of `points`. Eight rows at
    /// a time, each lane summing in column order, so the compiler can vectorise across
    /// rows without changing any result.
    pub fn distances_from(self, row: &[f32], points: &Matrix, first: usize, out: &mut [f32]) {
        const LANES: usize = 8;
        let d = points.n_cols;
        let mut chunks = out.chunks_exact_mut(LANES);
        let mut start = first;
        for chunk in &mut chunks {
            let mut acc = [0f32; LANES];
            for (c, &a) in row.iter().enumerate() {
                for (lane, acc) in acc.iter_mut().enumerate() {
                    *acc = self.fold(*acc, a, points.values[(start + lane) * d + c]);
                }
            }
            for (out, acc) in chunk.iter_mut().zip(acc) {
                *out = self.finish(acc);
            }
            start += LANES;
        }
        for (lane, out) in chunks.into_remainder().iter_mut().enumerate() {
            *out = self.distance(row, points.row(start + lane));
        }
    }
}

/// Rows scaled to unit length (zero rows stay zero: every distance from them is 1).
fn normalised_rows(points: &Matrix) -> Matrix {
    let d = points.n_cols;
    let mut values = points.values.clone();
    values.par_chunks_mut(d.max(1)).for_each(|row| {
        let norm = row.iter().map(|&v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|v| *v /= norm);
        }
    });
    Matrix::new(points.n_rows, d, values)
}

/// Bytes of the n × n f32 distance matrix.
pub fn matrix_bytes(n: usize) -> u64 {
    (n as u64).saturating_mul(n as u64).saturating_mul(4)
}

/// All pairwise distances of the prepared rows, row-major n × n (exactly symmetric).
pub struct DistanceMatrix {
    pub n: usize,
    values: Vec<f32>,
}

impl DistanceMatrix {
    /// Builds the matrix on every core; `cancelled` is polled between rows.
    pub fn build(
        points: &Matrix,
        metric: Metric,
        cancelled: impl Fn() -> bool + Sync,
    ) -> Option<Self> {
        let n = points.n_rows;
        let mut values = vec![0f32; n * n];
        let stopped = values
            .par_chunks_mut(n.max(1))
            .enumerate()
            .with_min_len(16)
            .any(|(i, row)| {
                if cancelled() {
                    return true;
                }
                metric.distances_from(points.row(i), points, 0, row);
                false
            });
        (!stopped).then_some(Self { n, values })
    }

    /// Distances from row `j` to every row.
    #[inline]
    pub fn row(&self, j: usize) -> &[f32] {
        &self.values[j * self.n..(j + 1) * self.n]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_by_hand() {
        let (a, b) = ([0.0, 0.0], [3.0, 4.0]);
        assert_eq!(Metric::Euclidean.distance(&a, &b), 5.0);
        assert_eq!(Metric::Manhattan.distance(&a, &b), 7.0);
        let unit = Metric::Cosine.prepare(&Arc::new(Matrix::from_rows(&[
            vec![2.0, 0.0],
            vec![0.0, 5.0],
            vec![-1.0, 0.0],
        ])));
        assert_eq!(Metric::Cosine.distance(unit.row(0), unit.row(1)), 1.0);
        assert_eq!(Metric::Cosine.distance(unit.row(0), unit.row(2)), 2.0);
        assert_eq!(Metric::Cosine.distance(unit.row(0), unit.row(0)), 0.0);
    }

    #[test]
    fn the_matrix_is_symmetric_and_equals_single_distances() {
        let points = crate::synthetic::gaussian_blobs(37, 5, 3, 1.0, 4).points;
        for metric in [Metric::Euclidean, Metric::Manhattan, Metric::Cosine] {
            let prepared = metric.prepare(&Arc::new(points.clone()));
            let matrix = DistanceMatrix::build(&prepared, metric, || false).unwrap();
            for i in 0..37 {
                for j in 0..37 {
                    let single = metric.distance(prepared.row(i), prepared.row(j));
                    assert_eq!(matrix.row(i)[j].to_bits(), single.to_bits());
                    assert_eq!(matrix.row(i)[j].to_bits(), matrix.row(j)[i].to_bits());
                }
            }
        }
    }
}
