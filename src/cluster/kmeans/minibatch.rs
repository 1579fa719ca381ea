//! Mini-batch k-means (Sculley 2010, with scikit-learn's `MiniBatchKMeans` choices):
//! k-means++ on a sample of 3 × batch rows, then steps that each draw a batch (with
//! replacement), assign it with the blocked CPU kernel and move every centre towards its
//! batch rows by 1 / (rows it has seen). Centres that see under 1 % of the busiest one's
//! rows are moved to random batch rows. Stops after `max_iterations` passes over the data
//! or when the smoothed batch inertia has not improved for `max_no_improvement` steps;
//! every row is then assigned to the final centres.

use std::sync::Arc;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use super::cpu::{CentroidPanel, assign, squared_norms};
use super::kmeans_plus_plus;
use crate::cluster::params::ParamSpec;
use crate::cluster::{
    Algorithm, AlgorithmInfo, Backend, ClusterError, Clustering, Engine, Family, Input,
    ParamsError, Progress, RunContext, RunDiagnostics, Structure, StructureKind,
};
use crate::matrix::Matrix;

/// Centres seeing fewer rows than this share of the busiest are moved (scikit-learn's
/// `reassignment_ratio`).
const REASSIGNMENT_RATIO: f64 = 0.01;

/// The declarations of [`MiniBatchParams`].
pub const PARAMETERS: &[ParamSpec] = &[
    ParamSpec::count("n_clusters", 8, "number of clusters")
        .required()
        .slider(2, 64),
    ParamSpec::count("batch_size", 1024, "rows per step, drawn at random"),
    ParamSpec::count("max_iterations", 100, "passes over the data at most"),
    ParamSpec::count(
        "max_no_improvement",
        10,
        "stop after this many steps without a better smoothed batch inertia",
    ),
    ParamSpec::seed(),
];

/// What the user asks of mini-batch k-means.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MiniBatchParams {
    pub n_clusters: usize,
    pub batch_size: usize,
    pub max_iterations: usize,
    pub max_no_improvement: usize,
    pub seed: u64,
}

impl MiniBatchParams {
    pub fn new(n_clusters: usize) -> Self {
        Self {
            n_clusters,
            batch_size: 1024,
            max_iterations: 100,
            max_no_improvement: 10,
            seed: 42,
        }
    }

    pub fn check(&self, n_rows: Option<usize>) -> Result<(), ParamsError> {
        crate::cluster::check_declared::<MiniBatchKMeans>(self)?;
        if let Some(n) = n_rows
            && self.n_clusters > n
        {
            return Err(ParamsError::new(
                "n_clusters",
                format!(
                    "{{n_clusters}} = {} exceeds the {n} usable rows",
                    self.n_clusters
                ),
            ));
        }
        Ok(())
    }

    /// Steps for n rows: `max_iterations` passes of n / batch steps.
    pub fn steps(&self, n: usize) -> usize {
        let batch = self.batch_size.min(n).max(1);
        self.max_iterations.saturating_mul(n.div_ceil(batch))
    }
}

/// The registry's mini-batch k-means.
pub struct MiniBatchKMeans;

impl Algorithm for MiniBatchKMeans {
    type Params = MiniBatchParams;
    type Valid = MiniBatchParams;

    const INFO: AlgorithmInfo = AlgorithmInfo {
        id: "minibatch-kmeans",
        name: "mini-batch k-means",
        family: Family::Centroid,
        summary: "k-means for large tables: centres moved by random batches of rows",
        parameters: PARAMETERS,
        gpu_passes: &[],
        structures: &[StructureKind::Centres],
    };

    fn estimate(valid: &MiniBatchParams, n: usize, d: usize) -> crate::cluster::cost::Estimate {
        use crate::cluster::cost;
        // Early stopping usually ends far before the cap; a few passes is typical.
        let batch = valid.batch_size.min(n).max(1);
        let steps = valid.steps(n).min(5 * n.div_ceil(batch));
        cost::then(
            cost::centroid_iterations(steps * batch, d, valid.n_clusters, 1, 1),
            cost::centroid_iterations(n, d, valid.n_clusters, 1, 1),
        )
    }

    fn check(
        params: &MiniBatchParams,
        n_rows: Option<usize>,
    ) -> Result<MiniBatchParams, ParamsError> {
        params.check(n_rows)?;
        Ok(params.clone())
    }

    fn run(
        valid: &MiniBatchParams,
        input: &Input<'_>,
        _engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        let (labels, centres, inertia, diagnostics) = fit(input.points, valid, context)?;
        let k = centres.n_rows;
        Ok(Clustering::new(labels, k, diagnostics)
            .with(Structure::Centres(Arc::new(centres)))
            .minimising("inertia", inertia))
    }
}

/// Labels, centres, inertia and diagnostics of mini-batch k-means on `points`.
pub fn fit(
    points: &Matrix,
    params: &MiniBatchParams,
    context: &RunContext,
) -> Result<(Vec<u32>, Matrix, f64, RunDiagnostics), ClusterError> {
    let started = Instant::now();
    params.check(Some(points.n_rows))?;
    let (n, d, k) = (points.n_rows, points.n_cols, params.n_clusters);
    let batch = params.batch_size.min(n).max(1);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(params.seed);

    // k-means++ on a sample of 3 × batch rows (at least 3k), as scikit-learn's init_size.
    let init_size = (3 * batch).max(3 * k).min(n);
    let init_rows = rand::seq::index::sample(&mut rng, n, init_size).into_vec();
    let init = take_rows(points, &init_rows);
    let mut centres = kmeans_plus_plus(&init, k, rng.r#gen(), context)?;
    let mut counts = vec![0f64; k];

    let steps = params.steps(n);
    let steps_per_pass = n.div_ceil(batch);
    let alpha = (2.0 * batch as f64 / (n as f64 + 1.0)).min(1.0);
    let (mut smoothed, mut best) = (None::<f64>, f64::INFINITY);
    let mut without_improvement = 0;
    let mut converged = false;
    let mut since_reassign = 0usize;
    let mut rows = vec![0f32; batch * d];
    let mut labels = vec![0u32; batch];
    let mut distances = vec![0f32; batch];
    let mut done = 0;
    for step in 0..steps {
        if step % steps_per_pass.clamp(1, 64) == 0 {
            context.check_cancelled()?;
            context.report(Progress {
                phase: "mini-batch steps",
                iteration: step,
                max_iterations: steps,
                shift: smoothed.unwrap_or(0.0),
            });
        }
        let drawn: Vec<usize> = (0..batch).map(|_| rng.gen_range(0..n)).collect();
        for (slot, &row) in drawn.iter().enumerate() {
            rows[slot * d..(slot + 1) * d].copy_from_slice(points.row(row));
        }
        let panel = CentroidPanel::new(&centres, &squared_norms(&centres, d), d);
        assign(
            &rows,
            &squared_norms(&rows, d),
            &panel,
            &mut labels,
            &mut distances,
        );
        let batch_inertia = distances.iter().map(|&v| v as f64).sum::<f64>() / batch as f64;

        // Each centre moves to the running mean of every row it has been given.
        let mut sums = vec![0f64; k * d];
        let mut seen = vec![0f64; k];
        for (slot, &label) in labels.iter().enumerate() {
            let c = label as usize;
            seen[c] += 1.0;
            for (s, &v) in sums[c * d..(c + 1) * d]
                .iter_mut()
                .zip(&rows[slot * d..(slot + 1) * d])
            {
                *s += v as f64;
            }
        }
        for c in 0..k {
            if seen[c] == 0.0 {
                continue;
            }
            counts[c] += seen[c];
            for j in 0..d {
                let centre = centres[c * d + j] as f64;
                centres[c * d + j] =
                    (centre + (sums[c * d + j] - seen[c] * centre) / counts[c]) as f32;
            }
        }

        since_reassign += batch;
        if since_reassign >= 10 * k || counts.contains(&0.0) {
            since_reassign = 0;
            reassign_starved(&mut centres, &mut counts, &rows, d, &mut rng);
        }

        done = step + 1;
        // Smoothed batch inertia: stop once it has not improved for a while.
        let value = match smoothed {
            None => batch_inertia,
            Some(s) => s * (1.0 - alpha) + batch_inertia * alpha,
        };
        smoothed = Some(value);
        if step == 0 {
            continue;
        }
        if value < best {
            best = value;
            without_improvement = 0;
        } else {
            without_improvement += 1;
            if without_improvement >= params.max_no_improvement {
                converged = true;
                break;
            }
        }
    }

    context.check_cancelled()?;
    let mut all_labels = vec![0u32; n];
    let mut all_distances = vec![0f32; n];
    let panel = CentroidPanel::new(&centres, &squared_norms(&centres, d), d);
    assign(
        &points.values,
        &squared_norms(&points.values, d),
        &panel,
        &mut all_labels,
        &mut all_distances,
    );
    let inertia = all_distances.iter().map(|&v| v as f64).sum();
    let diagnostics = RunDiagnostics {
        backend: Backend::Cpu,
        adapter: crate::cluster::cpu_name(),
        iterations: done,
        converged,
        elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
    };
    Ok((all_labels, Matrix::new(k, d, centres), inertia, diagnostics))
}

/// Moves centres that have seen under [`REASSIGNMENT_RATIO`] of the busiest one's rows to
/// random rows of the batch, counting them as the least-seen kept centre.
fn reassign_starved(
    centres: &mut [f32],
    counts: &mut [f64],
    rows: &[f32],
    d: usize,
    rng: &mut Xoshiro256PlusPlus,
) {
    let busiest = counts.iter().copied().fold(0.0, f64::max);
    let starved: Vec<usize> = (0..counts.len())
        .filter(|&c| counts[c] < REASSIGNMENT_RATIO * busiest)
        .collect();
    let batch = rows.len() / d.max(1);
    if starved.is_empty() || batch == 0 {
        return;
    }
    let kept_min = (0..counts.len())
        .filter(|c| !starved.contains(c))
        .map(|c| counts[c])
        .fold(f64::INFINITY, f64::min);
    let picks = rand::seq::index::sample(rng, batch, starved.len().min(batch / 2).max(1));
    for (&c, slot) in starved.iter().zip(picks.iter()) {
        centres[c * d..(c + 1) * d].copy_from_slice(&rows[slot * d..(slot + 1) * d]);
        counts[c] = kept_min;
    }
}

fn take_rows(points: &Matrix, rows: &[usize]) -> Matrix {
    let mut values = Vec::with_capacity(rows.len() * points.n_cols);
    for &r in rows {
        values.extend_from_slice(points.row(r));
    }
    Matrix::new(rows.len(), points.n_cols, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_separated_blobs_and_is_seeded() {
        let data = crate::synthetic::gaussian_blobs(20_000, 4, 6, 1.0, 3);
        let params = MiniBatchParams::new(6);
        let context = RunContext::default();
        let (labels, centres, inertia, diagnostics) = fit(&data.points, &params, &context).unwrap();
        assert_eq!(centres.n_rows, 6);
        let ari = crate::metrics::adjusted_rand_index(&data.labels, &labels);
        assert!(ari > 0.95, "ARI {ari}");
        assert!(diagnostics.converged, "{diagnostics:?}");
        let again = fit(&data.points, &params, &context).unwrap();
        assert_eq!((again.0, again.2), (labels, inertia));
    }

    #[test]
    fn too_many_clusters_is_refused() {
        let points = Matrix::from_rows(&[vec![0.0], vec![1.0]]);
        let error = fit(&points, &MiniBatchParams::new(3), &RunContext::default()).unwrap_err();
        assert!(
            error.to_string().contains("exceeds the 2 usable rows"),
            "{error}"
        );
    }
}
