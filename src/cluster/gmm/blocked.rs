//! The CPU's heavy EM sums as small matrix products over blocks of rows (faer's GEMM),
//! which run several times faster than one row and one component at a time:
//!
//! - E-step, full and tied: for all components at once, Y = X [U₁ … U_k] (a block of
//!   rows times every precision factor side by side), then |y − μ_cᵀU_c|² per component.
//! - M-step, every shape: the features [1, x, x_a x_b (a ≤ b) or x_j²] of each row times
//!   the block's responsibilities gives, per component, the weight, the first and the
//!   second moments in one product.
//!
//! Rows are centred on the column means first (in f64), so the products never subtract
//! two large numbers to get a small one when a column sits far from 0.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use rayon::prelude::*;

use super::components::Mixture;
use crate::matrix::Matrix;

/// Rows per block: a block's products (rows × k·d values) stay in the core's cache.
pub const BLOCK_ROWS: usize = 256;

/// Mean of every column, in f64.
pub fn column_means(points: &Matrix) -> Vec<f64> {
    let d = points.n_cols;
    let sums = points
        .values
        .par_chunks(d.max(1) * BLOCK_ROWS * 16)
        .map(|rows| {
            let mut sums = vec![0.0f64; d];
            for x in rows.chunks_exact(d) {
                sums.iter_mut().zip(x).for_each(|(s, &v)| *s += v as f64);
            }
            sums
        })
        .collect::<Vec<_>>()
        .into_iter()
        .fold(vec![0.0f64; d], |mut a, b| {
            a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
            a
        });
    let n = points.n_rows.max(1) as f64;
    sums.into_iter().map(|s| s / n).collect()
}

/// The rows of a block minus `shift`, in f64, row-major, into `out`.
fn centred_block(rows: &[f32], shift: &[f64], out: &mut Vec<f64>) {
    out.clear();
    for x in rows.chunks_exact(shift.len()) {
        out.extend(x.iter().zip(shift).map(|(&v, &m)| v as f64 - m));
    }
}

/// The E-step of a mixture whose factors are triangular (full, tied), as block products.
pub struct TriangularDensities {
    shift: Vec<f64>,
    /// d × k·d, row-major: the precision factors U_c side by side.
    factors: Vec<f64>,
    /// (μ_c − shift)ᵀ U_c for every c, k·d values.
    offsets: Vec<f64>,
    /// log w_c − ½ d log 2π + log det U_c.
    constants: Vec<f64>,
    d: usize,
    k: usize,
}

impl TriangularDensities {
    pub fn new(mixture: &Mixture, shift: Vec<f64>) -> Self {
        let (d, k) = (mixture.n_dims, mixture.n_components());
        let mut factors = vec![0.0; d * k * d];
        let mut offsets = vec![0.0; k * d];
        for c in 0..k {
            let u = mixture.factor(c);
            let mean = mixture.mean(c);
            for a in 0..d {
                for b in 0..d {
                    factors[a * k * d + c * d + b] = u[a * d + b];
                    offsets[c * d + b] += (mean[a] - shift[a]) * u[a * d + b];
                }
            }
        }
        let log_2pi = d as f64 * (2.0 * std::f64::consts::PI).ln();
        let constants = (0..k)
            .map(|c| mixture.weights[c].ln() - 0.5 * log_2pi + mixture.log_det_factor[c])
            .collect();
        Self {
            shift,
            factors,
            offsets,
            constants,
            d,
            k,
        }
    }

    /// log w_c + log N(x | μ_c, Σ_c) for every row of `rows` and component, into `out`
    /// (rows × k, row-major). `scratch` is reused between blocks.
    pub fn block(&self, rows: &[f32], scratch: &mut BlockScratch, out: &mut [f64]) {
        let (d, k) = (self.d, self.k);
        let b = rows.len() / d.max(1);
        centred_block(rows, &self.shift, &mut scratch.centred);
        let x = MatRef::from_row_major_slice(&scratch.centred, b, d);
        let w = MatRef::from_row_major_slice(&self.factors, d, k * d);
        scratch.product.resize_with(b, k * d, |_, _| 0.0);
        matmul(&mut scratch.product, Accum::Replace, x, w, 1.0, Par::Seq);
        out.iter_mut().for_each(|v| *v = 0.0);
        for c in 0..k {
            for j in 0..d {
                let column = scratch.product.col(c * d + j);
                let offset = self.offsets[c * d + j];
                for (i, &y) in column.iter().enumerate() {
                    let y = y - offset;
                    out[i * k + c] += y * y;
                }
            }
        }
        for r in out.chunks_exact_mut(k) {
            for (value, &constant) in r.iter_mut().zip(&self.constants) {
                *value = constant - 0.5 * *value;
            }
        }
    }
}

/// Buffers one worker reuses from block to block.
pub struct BlockScratch {
    centred: Vec<f64>,
    product: Mat<f64>,
}

impl Default for BlockScratch {
    fn default() -> Self {
        Self {
            centred: Vec::new(),
            product: Mat::zeros(0, 0),
        }
    }
}

/// Per component, what the M-step needs from the responsibilities, about `shift`:
/// the total weight n_c, the first moments Σ r x′ and the second moments Σ r x′_a x′_b
/// (a ≤ b, packed row by row) or Σ r x′_j² (`full` false), with x′ = x − shift.
pub struct Moments {
    pub weight: Vec<f64>,
    /// k × d.
    pub first: Vec<f64>,
    /// k × (d(d+1)/2 or d).
    pub second: Vec<f64>,
}

/// The moments of every component as one product per block, summed in row order (the
/// same sums on every run, whatever the thread count).
pub fn moments(points: &Matrix, resp: &[f64], k: usize, shift: &[f64], full: bool) -> Moments {
    let d = points.n_cols;
    let second_width = if full { d * (d + 1) / 2 } else { d };
    let q = 1 + d + second_width;
    let partial: Vec<Mat<f64>> = points
        .values
        .par_chunks(d.max(1) * BLOCK_ROWS * 4)
        .zip(resp.par_chunks(k * BLOCK_ROWS * 4))
        .map(|(rows, r)| {
            let mut acc = Mat::<f64>::zeros(q, k);
            let mut centred = Vec::with_capacity(BLOCK_ROWS * d);
            let mut features = Vec::with_capacity(BLOCK_ROWS * q);
            for (rows, r) in rows.chunks(d * BLOCK_ROWS).zip(r.chunks(k * BLOCK_ROWS)) {
                let b = rows.len() / d;
                centred_block(rows, shift, &mut centred);
                features.clear();
                for x in centred.chunks_exact(d) {
                    features.push(1.0);
                    features.extend_from_slice(x);
                    if full {
                        for a in 0..d {
                            features.extend(x[a..].iter().map(|&v| x[a] * v));
                        }
                    } else {
                        features.extend(x.iter().map(|&v| v * v));
                    }
                }
                let f = MatRef::from_row_major_slice(&features, b, q);
                let r = MatRef::from_row_major_slice(r, b, k);
                matmul(&mut acc, Accum::Add, f.transpose(), r, 1.0, Par::Seq);
            }
            acc
        })
        .collect();
    let mut total = Mat::<f64>::zeros(q, k);
    for part in &partial {
        total += part;
    }
    let mut out = Moments {
        weight: vec![0.0; k],
        first: vec![0.0; k * d],
        second: vec![0.0; k * second_width],
    };
    for c in 0..k {
        out.weight[c] = total[(0, c)];
        for j in 0..d {
            out.first[c * d + j] = total[(1 + j, c)];
        }
        for s in 0..second_width {
            out.second[c * second_width + s] = total[(1 + d + s, c)];
        }
    }
    out
}
