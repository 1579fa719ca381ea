//! The smallest eigenpairs of the normalised Laplacian L = I − S by Chebyshev-filtered
//! subspace iteration (Zhou & Saad, "A Chebyshev–Davidson algorithm", 2007): a block of
//! vectors is passed through a Chebyshev polynomial of L that damps the spectrum above the
//! block's largest Ritz value and keeps the part near 0, then re-orthonormalised and
//! rotated by a Rayleigh–Ritz step. A block, not one Lanczos vector, so that clusters with
//! almost the same eigenvalue (separate groups give a multiple 0) are all found. The only
//! large operation is the sparse product S·Y, which [`GraphOperator`] runs on the CPU or
//! the GPU; the small dense steps (b × b eigenproblems) run in f64 with linfa-linalg.
//! Small graphs take a dense eigensolve instead.

use linfa_linalg::eigh::{EigSort, EighInto};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use super::super::{ClusterError, Progress, RunContext};
use super::affinity::NormalisedGraph;

/// Up to this many rows the Laplacian is solved densely (exact and fast at this size).
pub const DENSE_MAX_ROWS: usize = 500;
/// Chebyshev degree of each filter pass.
const DEGREE: usize = 16;
/// Filter passes at most before giving up on convergence.
pub const MAX_PASSES: usize = 400;
/// Spectral bound of the normalised Laplacian: its eigenvalues lie in [0, 2].
const UPPER_BOUND: f64 = 2.0;

/// One step of a three-term recurrence over blocks: next = p·S·cur + q·cur + r·prev.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    pub p: f64,
    pub q: f64,
    pub r: f64,
}

/// L·Y as a step.
pub const LAPLACIAN: Step = Step {
    p: -1.0,
    q: 1.0,
    r: 0.0,
};

/// Where S·Y is computed.
pub trait GraphOperator {
    fn n_rows(&self) -> usize;

    /// Runs `steps` over the block `x` (n × b, row-major) and returns the last block: y₀ =
    /// x, y₁ = p₁·S·y₀ + q₁·y₀ (its r is ignored), then y_{i+1} = p·S·y_i + q·y_i + r·y_{i−1}.
    fn recurrence(&self, x: &[f64], b: usize, steps: &[Step]) -> Result<Vec<f64>, ClusterError>;
}

/// The CPU twin: f64, rows in parallel.
pub struct CpuGraph<'a>(pub &'a NormalisedGraph);

impl GraphOperator for CpuGraph<'_> {
    fn n_rows(&self) -> usize {
        self.0.n_rows()
    }

    fn recurrence(&self, x: &[f64], b: usize, steps: &[Step]) -> Result<Vec<f64>, ClusterError> {
        let graph = self.0;
        let mut previous = x.to_vec();
        let mut current = x.to_vec();
        let mut next = vec![0.0; x.len()];
        for (i, step) in steps.iter().enumerate() {
            let r = if i == 0 { 0.0 } else { step.r };
            next.par_chunks_mut(b)
                .with_min_len(256)
                .enumerate()
                .for_each(|(row, out)| {
                    out.fill(0.0);
                    for (column, weight) in graph.row(row) {
                        for (o, &v) in out.iter_mut().zip(&current[column * b..(column + 1) * b]) {
                            *o += weight * v;
                        }
                    }
                    let own = &current[row * b..(row + 1) * b];
                    let before = &previous[row * b..(row + 1) * b];
                    for j in 0..b {
                        out[j] = step.p * out[j] + step.q * own[j] + r * before[j];
                    }
                });
            std::mem::swap(&mut previous, &mut current);
            std::mem::swap(&mut current, &mut next);
        }
        Ok(current)
    }
}

/// What the solver was asked for.
#[derive(Clone, Copy, Debug)]
pub struct SolverOptions {
    /// Eigenpairs that must converge (the smallest ones).
    pub wanted: usize,
    /// Vectors iterated (≥ wanted; the extra ones speed convergence and are reported with
    /// their residuals).
    pub block: usize,
    /// Residual ‖L·x − θ·x‖ below which a unit eigenvector has converged.
    pub tolerance: f64,
    /// Filter passes at most.
    pub max_passes: usize,
    pub seed: u64,
}

/// The smallest eigenpairs found.
#[derive(Clone, Debug)]
pub struct Eigenpairs {
    /// Ascending; `block` of them.
    pub values: Vec<f64>,
    /// Unit eigenvectors, n × block row-major, column j for `values[j]`.
    pub vectors: Vec<f64>,
    pub block: usize,
    /// ‖L·x − θ·x‖ of each pair.
    pub residuals: Vec<f64>,
    /// Whether the wanted pairs all reached the tolerance.
    pub converged: bool,
    /// Products S·Y computed (filter steps and Rayleigh–Ritz products).
    pub products: usize,
}

/// The `options.block` smallest eigenpairs of L on `operator`, by filtered subspace
/// iteration from `start` (n × block; random when None), or densely when the graph is
/// small.
pub fn smallest(
    graph: &NormalisedGraph,
    operator: &dyn GraphOperator,
    options: SolverOptions,
    start: Option<Vec<f64>>,
    phase: &'static str,
    context: &RunContext,
) -> Result<Eigenpairs, ClusterError> {
    let n = operator.n_rows();
    if n <= DENSE_MAX_ROWS || options.block >= n {
        return dense(graph, options.block.min(n));
    }
    let b = options.block;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(options.seed);
    let start = start
        .filter(|s| s.len() == n * b)
        .unwrap_or_else(|| (0..n * b).map(|_| rng.gen_range(-1.0..1.0)).collect());
    let mut basis = orthonormalise(start, b, &mut rng);
    let mut products = 0;
    let mut pass = 0;
    loop {
        let images = operator.recurrence(&basis, b, &[LAPLACIAN])?;
        products += 1;
        let ritz = rayleigh_ritz(&basis, &images, b)?;
        let converged = ritz.residuals[..options.wanted]
            .iter()
            .all(|&r| r <= options.tolerance);
        context.report(Progress {
            phase,
            iteration: pass,
            max_iterations: options.max_passes,
            shift: ritz.residuals[..options.wanted]
                .iter()
                .copied()
                .fold(0.0, f64::max),
        });
        if converged || pass >= options.max_passes {
            return Ok(Eigenpairs {
                values: ritz.values,
                vectors: ritz.vectors,
                block: b,
                residuals: ritz.residuals,
                converged,
                products,
            });
        }
        context.check_cancelled()?;
        pass += 1;
        let cut = ritz.values[b - 1].max(ritz.values[options.wanted - 1] + 1e-12);
        let steps = chebyshev_steps(DEGREE, 0.0, cut, UPPER_BOUND);
        let filtered = operator.recurrence(&ritz.vectors, b, &steps)?;
        products += steps.len();
        basis = orthonormalise(filtered, b, &mut rng);
    }
}

/// The scaled Chebyshev recurrence of degree `degree` that damps [cut, upper] and is 1
/// at `lowest` (Zhou & Saad's Algorithm 3.2, written for S = I − L).
pub fn chebyshev_steps(degree: usize, lowest: f64, cut: f64, upper: f64) -> Vec<Step> {
    let e = (upper - cut) / 2.0;
    let c = (upper + cut) / 2.0;
    let mut sigma = e / (lowest - c);
    let tau = 2.0 / sigma;
    // (L − c)·y = (1 − c)·y − S·y.
    let mut steps = vec![Step {
        p: -sigma / e,
        q: (1.0 - c) * sigma / e,
        r: 0.0,
    }];
    for _ in 1..degree {
        let next = 1.0 / (tau - sigma);
        steps.push(Step {
            p: -2.0 * next / e,
            q: 2.0 * next * (1.0 - c) / e,
            r: -sigma * next,
        });
        sigma = next;
    }
    steps
}

pub(super) struct Ritz {
    pub values: Vec<f64>,
    pub vectors: Vec<f64>,
    pub residuals: Vec<f64>,
}

/// Rotates the orthonormal `basis` (n × b) to the eigenvectors of Qᵀ L Q, given L·Q.
pub(super) fn rayleigh_ritz(basis: &[f64], images: &[f64], b: usize) -> Result<Ritz, ClusterError> {
    let projected = gram(basis, images, b);
    let mut h = Array2::from_shape_vec((b, b), projected).expect("b × b");
    let symmetric = (&h + &h.t()) / 2.0;
    h.assign(&symmetric);
    let (values, rotation) = h
        .eigh_into()
        .map_err(|e| ClusterError::Internal(format!("Rayleigh–Ritz eigen-solve failed: {e}")))?
        .sort_eig_asc();
    let rotation: Vec<f64> = rotation.iter().copied().collect();
    let vectors = rotate(basis, &rotation, b);
    let rotated_images = rotate(images, &rotation, b);
    let values: Vec<f64> = values.to_vec();
    let mut residuals = vec![0.0; b];
    for (row, image) in vectors.chunks_exact(b).zip(rotated_images.chunks_exact(b)) {
        for j in 0..b {
            let r = image[j] - values[j] * row[j];
            residuals[j] += r * r;
        }
    }
    Ok(Ritz {
        values,
        vectors,
        residuals: residuals.into_iter().map(f64::sqrt).collect(),
    })
}

/// Aᵀ B for two n × b row-major blocks, in f64.
fn gram(a: &[f64], b_block: &[f64], b: usize) -> Vec<f64> {
    a.par_chunks(b * 1024)
        .zip(b_block.par_chunks(b * 1024))
        .map(|(ra, rb)| {
            let mut sums = vec![0.0; b * b];
            for (x, y) in ra.chunks_exact(b).zip(rb.chunks_exact(b)) {
                for i in 0..b {
                    for j in 0..b {
                        sums[i * b + j] += x[i] * y[j];
                    }
                }
            }
            sums
        })
        .reduce(
            || vec![0.0; b * b],
            |mut a, c| {
                a.iter_mut().zip(c).for_each(|(x, y)| *x += y);
                a
            },
        )
}

/// Y·R for an n × b block and a b × b matrix.
fn rotate(block: &[f64], rotation: &[f64], b: usize) -> Vec<f64> {
    let mut out = vec![0.0; block.len()];
    out.par_chunks_mut(b)
        .zip(block.par_chunks(b))
        .with_min_len(256)
        .for_each(|(o, row)| {
            for (i, &v) in row.iter().enumerate() {
                for j in 0..b {
                    o[j] += v * rotation[i * b + j];
                }
            }
        });
    out
}

/// Orthonormal columns spanning those of `block` (Gram–Schmidt twice, in f64); a column
/// that has lost its independence is replaced by a fresh random one.
pub(super) fn orthonormalise(block: Vec<f64>, b: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<f64> {
    let n = block.len() / b;
    let mut columns: Vec<Vec<f64>> = (0..b)
        .map(|j| (0..n).map(|r| block[r * b + j]).collect())
        .collect();
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>();
    for j in 0..b {
        for attempt in 0..3 {
            let before = dot(&columns[j], &columns[j]).sqrt();
            for _ in 0..2 {
                for i in 0..j {
                    let projection = dot(&columns[i], &columns[j]);
                    let (done, rest) = columns.split_at_mut(j);
                    for (v, &u) in rest[0].iter_mut().zip(&done[i]) {
                        *v -= projection * u;
                    }
                }
            }
            let norm = dot(&columns[j], &columns[j]).sqrt();
            if (norm > 1e-10 * before || attempt == 2) && norm > 0.0 {
                columns[j].iter_mut().for_each(|v| *v /= norm);
                break;
            }
            // Dependent on the columns before it (b ≤ n, so a random one is not).
            columns[j] = (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect();
        }
    }
    let mut out = vec![0.0; n * b];
    for (j, column) in columns.iter().enumerate() {
        for (r, &v) in column.iter().enumerate() {
            out[r * b + j] = v;
        }
    }
    out
}

/// Every eigenpair of the dense Laplacian; the `count` smallest are kept.
fn dense(graph: &NormalisedGraph, count: usize) -> Result<Eigenpairs, ClusterError> {
    let n = graph.n_rows();
    let mut laplacian = Array2::<f64>::eye(n);
    for r in 0..n {
        for (c, w) in graph.row(r) {
            laplacian[[r, c]] -= w;
        }
    }
    let (values, vectors) = laplacian
        .eigh_into()
        .map_err(|e| ClusterError::Internal(format!("Laplacian eigen-solve failed: {e}")))?
        .sort_eig_asc();
    let mut flat = Vec::with_capacity(n * count);
    for r in 0..n {
        flat.extend((0..count).map(|j| vectors[[r, j]]));
    }
    Ok(Eigenpairs {
        values: values.iter().take(count).copied().collect(),
        vectors: flat,
        block: count,
        residuals: vec![0.0; count],
        converged: true,
        products: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ring of `n` rows, each joined to its two neighbours with weight ½ each way: the
    /// normalised Laplacian's eigenvalues are 1 − cos(2πj/n), each twice but 0 (and n/2).
    fn ring(n: usize) -> NormalisedGraph {
        let mut row_starts = vec![0u32];
        let mut columns = Vec::new();
        let mut weights = Vec::new();
        for r in 0..n {
            let mut pair = [(r + n - 1) % n, (r + 1) % n];
            pair.sort();
            for c in pair {
                columns.push(c as u32);
                weights.push(0.5);
            }
            row_starts.push(columns.len() as u32);
        }
        NormalisedGraph {
            row_starts,
            columns,
            weights,
            sqrt_degrees: vec![1.0; n],
            components: 1,
        }
    }

    #[test]
    fn a_ring_gives_its_cosines() {
        let n = 600;
        let graph = ring(n);
        let options = SolverOptions {
            wanted: 5,
            block: 9,
            tolerance: 1e-8,
            max_passes: MAX_PASSES,
            seed: 3,
        };
        let pairs = smallest(
            &graph,
            &CpuGraph(&graph),
            options,
            None,
            "test",
            &RunContext::default(),
        )
        .unwrap();
        assert!(pairs.converged);
        let angle = |j: usize| 1.0 - (2.0 * std::f64::consts::PI * j as f64 / n as f64).cos();
        let expected = [0.0, angle(1), angle(1), angle(2), angle(2)];
        for (got, want) in pairs.values.iter().zip(expected) {
            assert!((got - want).abs() < 1e-10, "{got} vs {want}");
        }
    }

    #[test]
    fn the_dense_path_agrees() {
        let graph = ring(40);
        let options = SolverOptions {
            wanted: 3,
            block: 3,
            tolerance: 1e-8,
            max_passes: MAX_PASSES,
            seed: 3,
        };
        let pairs = smallest(
            &graph,
            &CpuGraph(&graph),
            options,
            None,
            "test",
            &RunContext::default(),
        )
        .unwrap();
        let second = 1.0 - (2.0 * std::f64::consts::PI / 40.0).cos();
        assert!(pairs.values[0].abs() < 1e-12);
        assert!((pairs.values[1] - second).abs() < 1e-12);
        assert!((pairs.values[2] - second).abs() < 1e-12);
    }

    #[test]
    fn the_filter_is_one_at_the_bottom_and_small_above_the_cut() {
        // The polynomial at an eigenvalue λ of a 1-row graph with S = 1 − λ.
        let at = |lambda: f64| {
            let steps = chebyshev_steps(DEGREE, 0.0, 0.5, 2.0);
            let (mut previous, mut current) = (1.0, 1.0);
            for (i, s) in steps.iter().enumerate() {
                let r = if i == 0 { 0.0 } else { s.r };
                let next = s.p * (1.0 - lambda) * current + s.q * current + r * previous;
                previous = current;
                current = next;
            }
            current
        };
        assert!((at(0.0) - 1.0).abs() < 1e-9);
        for lambda in [0.5, 1.0, 1.5, 2.0] {
            assert!(at(lambda).abs() < 1e-6, "{lambda}: {}", at(lambda));
        }
        assert!(at(0.1) > at(0.3));
    }
}
