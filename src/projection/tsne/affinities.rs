//! t-SNE's input affinities as scikit-learn computes them for Barnes–Hut
//! (`_joint_probabilities_nn`): each row's conditional probabilities over its
//! ⌊3·perplexity⌋ + 1 nearest neighbours, exp(−β·d) with β found by bisection so the
//! entropy is ln(perplexity) (d squared for Euclidean distance, as given otherwise), then
//! P = (P + Pᵀ) / ΣP.

use rayon::prelude::*;

use crate::spatial::knn::KnnGraph;
use crate::spatial::metric::Metric;

const STEPS: usize = 100;
const ENTROPY_TOLERANCE: f64 = 1e-5;
const SMALLEST_SUM: f64 = 1e-8;

/// The joint probabilities in compressed rows (symmetric, summing to 1).
#[derive(Clone, Debug)]
pub struct Affinities {
    pub row_starts: Vec<u32>,
    pub columns: Vec<u32>,
    pub values: Vec<f32>,
}

impl Affinities {
    pub fn n_rows(&self) -> usize {
        self.row_starts.len() - 1
    }

    pub fn row(&self, r: usize) -> impl Iterator<Item = (u32, f32)> + '_ {
        let span = self.row_starts[r] as usize..self.row_starts[r + 1] as usize;
        self.columns[span.clone()]
            .iter()
            .copied()
            .zip(self.values[span].iter().copied())
    }
}

/// Neighbours scikit-learn's Barnes–Hut t-SNE uses for `perplexity` on `n` rows.
pub fn neighbours_for(perplexity: f64, n: usize) -> usize {
    ((3.0 * perplexity + 1.0) as usize).min(n.saturating_sub(1))
}

/// Each row's conditional probabilities over its neighbours (bisection on β).
pub fn conditional(knn: &KnnGraph, perplexity: f64) -> Vec<f64> {
    let desired = perplexity.ln();
    let squared = knn.metric == Metric::Euclidean;
    let mut out = vec![0.0f64; knn.indices.len()];
    out.par_chunks_mut(knn.k)
        .enumerate()
        .for_each(|(row, probabilities)| {
            let (_, distances) = knn.of(row);
            let d: Vec<f64> = distances
                .iter()
                .map(|&v| {
                    let v = v as f64;
                    if squared { v * v } else { v }
                })
                .collect();
            let (mut beta, mut lo, mut hi) = (1.0f64, f64::NEG_INFINITY, f64::INFINITY);
            for _ in 0..STEPS {
                let mut sum = 0.0;
                for (p, &dist) in probabilities.iter_mut().zip(&d) {
                    *p = (-dist * beta).exp();
                    sum += *p;
                }
                if sum == 0.0 {
                    sum = SMALLEST_SUM;
                }
                let mut weighted = 0.0;
                for (p, &dist) in probabilities.iter_mut().zip(&d) {
                    *p /= sum;
                    weighted += dist * *p;
                }
                let entropy = sum.ln() + beta * weighted;
                let difference = entropy - desired;
                if difference.abs() <= ENTROPY_TOLERANCE {
                    break;
                }
                if difference > 0.0 {
                    lo = beta;
                    beta = if hi.is_infinite() {
                        beta * 2.0
                    } else {
                        (beta + hi) / 2.0
                    };
                } else {
                    hi = beta;
                    beta = if lo.is_infinite() {
                        beta / 2.0
                    } else {
                        (beta + lo) / 2.0
                    };
                }
            }
        });
    out
}

/// The symmetric joint probabilities.
pub fn joint(knn: &KnnGraph, perplexity: f64) -> Affinities {
    let n = knn.n_rows();
    let conditional = conditional(knn, perplexity);
    let mut rows: Vec<Vec<(u32, f64)>> = (0..n)
        .map(|row| {
            let (others, _) = knn.of(row);
            others
                .iter()
                .zip(&conditional[row * knn.k..(row + 1) * knn.k])
                .map(|(&o, &p)| (o, p))
                .collect()
        })
        .collect();
    for row in 0..n {
        let (others, _) = knn.of(row);
        for (&other, &p) in others
            .iter()
            .zip(&conditional[row * knn.k..(row + 1) * knn.k])
        {
            rows[other as usize].push((row as u32, p));
        }
    }
    let mut total = 0.0f64;
    for entries in &mut rows {
        entries.sort_unstable_by_key(|&(c, _)| c);
        let mut merged: Vec<(u32, f64)> = Vec::with_capacity(entries.len());
        for &(c, p) in entries.iter() {
            match merged.last_mut() {
                Some(last) if last.0 == c => last.1 += p,
                _ => merged.push((c, p)),
            }
        }
        total += merged.iter().map(|e| e.1).sum::<f64>();
        *entries = merged;
    }
    let total = total.max(f64::EPSILON);
    let mut row_starts = Vec::with_capacity(n + 1);
    row_starts.push(0u32);
    let mut columns = Vec::new();
    let mut values = Vec::new();
    for entries in rows {
        for (c, p) in entries {
            columns.push(c);
            values.push((p / total) as f32);
        }
        row_starts.push(columns.len() as u32);
    }
    Affinities {
        row_starts,
        columns,
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rows_entropy_is_ln_perplexity() {
        let knn = KnnGraph {
            k: 4,
            metric: Metric::Euclidean,
            indices: vec![1, 2, 3, 4, 0, 2, 3, 4, 0, 1, 3, 4, 0, 1, 2, 4, 0, 1, 2, 3],
            distances: vec![
                0.5, 1.0, 1.5, 2.0, 0.5, 0.7, 1.2, 1.9, 1.0, 0.7, 0.4, 1.1, 1.5, 1.2, 0.4, 0.9,
                2.0, 1.9, 1.1, 0.9,
            ],
            exact: true,
        };
        let p = conditional(&knn, 2.5);
        for row in 0..5 {
            let probabilities = &p[row * 4..row * 4 + 4];
            assert!((probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            let entropy: f64 = -probabilities.iter().map(|&q| q * q.ln()).sum::<f64>();
            assert!((entropy - 2.5f64.ln()).abs() < 1e-4, "row {row}: {entropy}");
        }
        let joint = joint(&knn, 2.5);
        let total: f64 = joint.values.iter().map(|&v| v as f64).sum();
        assert!((total - 1.0).abs() < 1e-6);
        for a in 0..5 {
            for (b, v) in joint.row(a) {
                let back = joint.row(b as usize).find(|e| e.0 == a as u32).unwrap().1;
                assert_eq!(v, back);
            }
        }
    }
}
