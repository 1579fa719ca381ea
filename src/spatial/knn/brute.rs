//! Exact neighbours by scanning every pair in blocks: for Euclidean (and cosine, on unit
//! rows) each block of query rows meets each block of candidate rows in one matrix product
//! (faer's GEMM), ranked by ‖y‖² − 2x·y, which orders candidates as ‖x − y‖² does;
//! Manhattan is scanned directly. The caller recomputes the kept distances in f64.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use rayon::prelude::*;

use super::{KnnError, TopK};
use crate::matrix::Matrix;
use crate::spatial::metric::Metric;

const QUERY_BLOCK: usize = 256;
const CANDIDATE_BLOCK: usize = 2048;

/// Each row's k nearest other rows (`points` already unit rows for cosine).
pub fn nearest(
    points: &Matrix,
    k: usize,
    metric: Metric,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<Vec<u32>, KnnError> {
    let (n, d) = (points.n_rows, points.n_cols);
    let norms: Vec<f32> = points
        .values
        .par_chunks(d.max(1))
        .map(|row| row.iter().map(|v| v * v).sum())
        .collect();
    let mut indices = vec![0u32; n * k];
    indices
        .par_chunks_mut(QUERY_BLOCK * k)
        .enumerate()
        .try_for_each(|(block, out)| {
            if cancelled() {
                return Err(KnnError::Cancelled);
            }
            let first = block * QUERY_BLOCK;
            let rows = out.len() / k;
            let mut best: Vec<TopK> = (0..rows).map(|_| TopK::new(k)).collect();
            match metric {
                Metric::Manhattan => scan_manhattan(points, first, &mut best),
                Metric::Euclidean | Metric::Cosine => {
                    products(points, &norms, first, &mut best);
                }
            }
            for (slot, top) in out.chunks_mut(k).zip(&best) {
                for (s, &(_, row)) in slot.iter_mut().zip(&top.items) {
                    *s = row;
                }
            }
            Ok(())
        })?;
    Ok(indices)
}

/// Offers every candidate to the queries `first..first + best.len()`, a block of
/// candidates at a time, scored from one product per block.
fn products(points: &Matrix, norms: &[f32], first: usize, best: &mut [TopK]) {
    let (n, d) = (points.n_rows, points.n_cols);
    let queries = MatRef::from_row_major_slice(
        &points.values[first * d..(first + best.len()) * d],
        best.len(),
        d,
    );
    let mut product = Mat::<f32>::zeros(best.len(), CANDIDATE_BLOCK);
    for start in (0..n).step_by(CANDIDATE_BLOCK) {
        let count = CANDIDATE_BLOCK.min(n - start);
        let candidates =
            MatRef::from_row_major_slice(&points.values[start * d..(start + count) * d], count, d);
        matmul(
            product.as_mut().subcols_mut(0, count),
            Accum::Replace,
            queries,
            candidates.transpose(),
            1.0,
            Par::Seq,
        );
        for (q, top) in best.iter_mut().enumerate() {
            let row = first + q;
            for c in 0..count {
                let other = start + c;
                if other == row {
                    continue;
                }
                let score = norms[other] - 2.0 * product[(q, c)];
                if score <= top.bound() {
                    top.offer(score, other as u32);
                }
            }
        }
    }
}

fn scan_manhattan(points: &Matrix, first: usize, best: &mut [TopK]) {
    for (q, top) in best.iter_mut().enumerate() {
        let row = first + q;
        let x = points.row(row);
        for other in 0..points.n_rows {
            if other == row {
                continue;
            }
            let y = points.row(other);
            let mut sum = 0.0f32;
            for (a, b) in x.iter().zip(y) {
                sum += (a - b).abs();
            }
            if sum <= top.bound() {
                top.offer(sum, other as u32);
            }
        }
    }
}
