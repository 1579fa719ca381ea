//! The smallest eigenpairs of L by subspace iteration on (L + σI)⁻¹, σ = 10⁻⁵ as
//! scikit-learn's ARPACK call: the inverse turns the crowded bottom of L's spectrum
//! (λ₂ ≈ 10⁻⁵ against λ_max ≈ 2) into its well-separated top, so a handful of
//! iterations converge where a polynomial filter needs hundreds of products. Each
//! iteration solves with a sparse Cholesky factor (faer, AMD ordering); it is used only
//! when the factor stays small — graphs of low-dimensional data, whose fill is modest —
//! and the filtered iteration of [`super::eigen`] takes the rest (and the GPU).

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt::factor::LltRegularization;
use faer::sparse::linalg::cholesky::{
    CholeskySymbolicParams, SymbolicCholesky, SymmetricOrdering, factorize_symbolic_cholesky,
};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{Conj, MatMut, Par, Side};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::affinity::NormalisedGraph;
use super::eigen::{self, CpuGraph, Eigenpairs, GraphOperator, LAPLACIAN, SolverOptions};
use crate::cluster::{ClusterError, Progress, RunContext};

/// The shift: small against the eigenvalues clustering needs, large enough that L + σI is
/// well conditioned in f64 (exact zeros of disconnected graphs included).
const SHIFT: f64 = 1e-5;
/// The factor may hold at most this many values per entry of the matrix…
const MAX_FILL_RATIO: usize = 40;
/// …and at most this many in all (2 GB of f64).
const MAX_FACTOR_VALUES: usize = 1 << 28;
/// Iterations at most (each is one block solve).
const MAX_ITERATIONS: usize = 100;

/// A Cholesky factor of L + σI.
pub struct Factor {
    symbolic: SymbolicCholesky<u32>,
    values: Vec<f64>,
}

impl Factor {
    /// Factors L + σI of `graph`, or None when the factor would pass the fill budget.
    pub fn new(graph: &NormalisedGraph) -> Result<Option<Self>, ClusterError> {
        let n = graph.n_rows();
        // The lower triangle by columns is each row's diagonal and later columns, already
        // sorted in the graph's compressed rows (S is symmetric).
        let mut column_starts = Vec::with_capacity(n + 1);
        let mut rows = Vec::with_capacity(graph.n_edges() / 2 + n);
        let mut values = Vec::with_capacity(graph.n_edges() / 2 + n);
        column_starts.push(0u32);
        for r in 0..n {
            let mut diagonal = 1.0 + SHIFT;
            let mut later = Vec::new();
            for (c, w) in graph.row(r) {
                match c.cmp(&r) {
                    std::cmp::Ordering::Equal => diagonal -= w,
                    std::cmp::Ordering::Greater => later.push((c as u32, -w)),
                    std::cmp::Ordering::Less => {}
                }
            }
            rows.push(r as u32);
            values.push(diagonal);
            for (c, v) in later {
                rows.push(c);
                values.push(v);
            }
            column_starts.push(rows.len() as u32);
        }
        let pattern = SymbolicSparseColMatRef::new_checked(n, n, &column_starts, None, &rows);
        let matrix = SparseColMatRef::new(pattern, &values);
        let symbolic = factorize_symbolic_cholesky(
            pattern,
            Side::Lower,
            SymmetricOrdering::Amd,
            CholeskySymbolicParams::default(),
        )
        .map_err(|e| internal("ordering L + σI", e))?;
        let budget = (values.len() * MAX_FILL_RATIO).min(MAX_FACTOR_VALUES);
        if symbolic.len_val() > budget {
            tracing::info!(
                "spectral: a Cholesky factor would hold {} values (budget {budget}); filtering instead",
                symbolic.len_val()
            );
            return Ok(None);
        }
        let mut factor_values = vec![0.0; symbolic.len_val()];
        let mut memory = MemBuffer::new(
            symbolic.factorize_numeric_llt_scratch::<f64>(Par::Seq, Default::default()),
        );
        symbolic
            .factorize_numeric_llt(
                &mut factor_values,
                matrix,
                Side::Lower,
                LltRegularization::default(),
                Par::Seq,
                MemStack::new(&mut memory),
                Default::default(),
            )
            .map_err(|e| internal("factoring L + σI", e))?;
        Ok(Some(Self {
            symbolic,
            values: factor_values,
        }))
    }

    /// (L + σI)⁻¹ X for an n × b row-major block.
    fn solve(&self, block: &[f64], b: usize) -> Vec<f64> {
        let n = block.len() / b;
        // faer solves column-major right-hand sides.
        let mut columns = vec![0.0; n * b];
        for (r, row) in block.chunks_exact(b).enumerate() {
            for (j, &v) in row.iter().enumerate() {
                columns[j * n + r] = v;
            }
        }
        let factor = faer::sparse::linalg::cholesky::LltRef::<'_, u32, f64>::new(
            &self.symbolic,
            &self.values,
        );
        let mut memory = MemBuffer::new(self.symbolic.solve_in_place_scratch::<f64>(b, Par::Seq));
        factor.solve_in_place_with_conj(
            Conj::No,
            MatMut::from_column_major_slice_mut(&mut columns, n, b),
            Par::Seq,
            MemStack::new(&mut memory),
        );
        let mut out = vec![0.0; n * b];
        for (j, column) in columns.chunks_exact(n).enumerate() {
            for (r, &v) in column.iter().enumerate() {
                out[r * b + j] = v;
            }
        }
        out
    }
}

fn internal(what: &str, error: impl std::fmt::Debug) -> ClusterError {
    ClusterError::Internal(format!("spectral: {what} failed: {error:?}"))
}

/// The `options.block` smallest eigenpairs of L by inverse subspace iteration with
/// `factor`; Rayleigh–Ritz with L itself, so values and residuals are L's.
pub fn smallest(
    graph: &NormalisedGraph,
    factor: &Factor,
    options: SolverOptions,
    context: &RunContext,
) -> Result<Eigenpairs, ClusterError> {
    let n = graph.n_rows();
    let b = options.block;
    let operator = CpuGraph(graph);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(options.seed);
    let start: Vec<f64> = (0..n * b).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let mut basis = eigen::orthonormalise(start, b, &mut rng);
    let mut products = 0;
    let mut iteration = 0;
    loop {
        context.check_cancelled()?;
        let solved = factor.solve(&basis, b);
        basis = eigen::orthonormalise(solved, b, &mut rng);
        let images = operator.recurrence(&basis, b, &[LAPLACIAN])?;
        products += 1;
        let ritz = eigen::rayleigh_ritz(&basis, &images, b)?;
        let worst = ritz.residuals[..options.wanted]
            .iter()
            .copied()
            .fold(0.0, f64::max);
        context.report(Progress {
            phase: "spectral eigenvectors (shift-and-invert)",
            iteration,
            max_iterations: MAX_ITERATIONS,
            shift: worst,
        });
        let converged = worst <= options.tolerance;
        if converged || iteration + 1 >= MAX_ITERATIONS {
            return Ok(Eigenpairs {
                values: ritz.values,
                vectors: ritz.vectors,
                block: b,
                residuals: ritz.residuals,
                converged,
                products,
            });
        }
        basis = ritz.vectors;
        iteration += 1;
    }
}
