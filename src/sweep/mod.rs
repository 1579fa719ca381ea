//! Parameter sweeps: one registered algorithm run over a range of one parameter, several
//! seeds per value, each run scored (silhouette, Davies–Bouldin, Calinski–Harabasz, its
//! objective), with the cluster count, the noise share and two stabilities: the mean
//! adjusted Rand index between seeds at a value, and between neighbouring values at one
//! seed. The same runs as single `cluster` calls with those values: one engine serves them
//! all, so what an algorithm keeps between runs (a density hierarchy, resident GPU rows)
//! is reused rather than rebuilt.

pub mod range;

use std::sync::Arc;

use serde_json::Value;

pub use range::{ParamRange, value_text};

use crate::cluster::params::real;
use crate::cluster::{
    AlgorithmParams, Backend, BackendChoice, ClusterError, Clustering, Engine, Objective,
    RunContext,
};
use crate::matrix::Matrix;
use crate::metrics::external::{Contingency, adjusted_rand};
use crate::metrics::summary::{InternalScores, SilhouetteMode, internal_scores};

/// What to sweep.
#[derive(Clone, Debug)]
pub struct SweepPlan {
    /// The algorithm with the values held fixed (the swept one is overwritten).
    pub params: AlgorithmParams,
    pub range: ParamRange,
    /// Seeds per value; `[None]` for an algorithm without a seed.
    pub seeds: Vec<Option<u64>>,
}

impl SweepPlan {
    /// `n_seeds` seeds from `base` (base, base + 1, …), or one run per value when the
    /// algorithm takes no seed.
    pub fn new(params: AlgorithmParams, range: ParamRange, n_seeds: usize, base: u64) -> Self {
        let seeded = params
            .registered()
            .is_ok_and(|a| a.info().parameters.iter().any(|p| p.name == "seed"));
        let seeds = if seeded {
            (0..n_seeds.max(1) as u64)
                .map(|i| Some(base.wrapping_add(i)))
                .collect()
        } else {
            vec![None]
        };
        Self {
            params,
            range,
            seeds,
        }
    }

    /// Runs in all.
    pub fn n_runs(&self) -> usize {
        self.range.len() * self.seeds.len()
    }

    /// The params of one run.
    pub fn params_for(&self, value: &Value, seed: Option<u64>) -> AlgorithmParams {
        let mut params = self.params.clone();
        params
            .values
            .insert(self.range.spec.name.to_string(), value.clone());
        if let Some(seed) = seed {
            params.values.insert("seed".into(), Value::from(seed));
        }
        params
    }
}

/// How a sweep runs.
#[derive(Clone, Copy, Debug)]
pub struct SweepOptions {
    pub backend: BackendChoice,
    pub silhouette: SilhouetteMode,
    /// Keep every run's clustering (the window shows any value at once); otherwise only
    /// what stability needs is held.
    pub keep_clusterings: bool,
}

/// One (value, seed) run.
#[derive(Clone)]
pub struct SweepRun {
    pub value_index: usize,
    pub value: Value,
    pub seed: Option<u64>,
    pub n_clusters: usize,
    pub n_noise: usize,
    pub n_rows: usize,
    /// The internal scores, or why they are not defined (one cluster, say).
    pub scores: Result<InternalScores, String>,
    pub objective: Option<Objective>,
    pub elapsed_ms: f64,
    pub backend: Backend,
    /// Mean ARI between this run and the other seeds' runs at the same value.
    pub ari_seeds: Option<f64>,
    /// ARI between this run and the same seed's run at the previous value.
    pub ari_previous: Option<f64>,
    pub warnings: Vec<String>,
    /// With [`SweepOptions::keep_clusterings`].
    pub clustering: Option<Arc<Clustering>>,
}

impl SweepRun {
    pub fn noise_share(&self) -> f64 {
        self.n_noise as f64 / self.n_rows.max(1) as f64
    }
}

/// The runs of one value, summarised.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueSummary {
    pub value: Value,
    /// Means over the seeds whose scores are defined.
    pub silhouette: Option<f64>,
    pub davies_bouldin: Option<f64>,
    pub calinski_harabasz: Option<f64>,
    pub objective: Option<f64>,
    pub n_clusters: f64,
    pub noise_share: f64,
    /// Mean ARI over pairs of seeds (None with one seed).
    pub ari_seeds: Option<f64>,
    /// Mean over seeds of the ARI with the previous value (None for the first value).
    pub ari_previous: Option<f64>,
}

/// How the suggested value is chosen.
pub const SUGGESTION_RULE: &str = "the highest mean silhouette over seeds";

/// Every run, the per-value summaries and the suggested value.
#[derive(Clone)]
pub struct SweepOutcome {
    pub param: &'static str,
    pub runs: Vec<SweepRun>,
    pub values: Vec<ValueSummary>,
    /// Index into `values` ([`SUGGESTION_RULE`]); None when no value could be scored.
    pub suggested: Option<usize>,
}

/// Checks every run's params against `n_rows` before any work, so a bad value fails the
/// sweep at once rather than after hours of runs.
pub fn check(plan: &SweepPlan, n_rows: usize) -> Result<(), ClusterError> {
    for value in &plan.range.values {
        let params = plan.params_for(value, plan.seeds[0]);
        params.registered()?.prepare(&params.values, Some(n_rows))?;
    }
    Ok(())
}

/// The plan with values read off the data where the range asks for them (`eps=kdist`:
/// the k-distance curve of the fixed `min_points`, from the density hierarchy the runs
/// then reuse). A plan with its values written out is returned as it is.
pub fn resolve(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    plan: &SweepPlan,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<SweepPlan, SweepError> {
    let Some(quantiles) = plan.range.from_kdistance else {
        return Ok(plan.clone());
    };
    if !plan.range.values.is_empty() {
        return Ok(plan.clone());
    }
    let info = plan.params.registered().map_err(ClusterError::from)?.info();
    let min_points = plan
        .params
        .values
        .get("min_points")
        .and_then(Value::as_u64)
        .or_else(|| {
            info.parameters
                .iter()
                .find(|p| p.name == "min_points")
                .and_then(|p| p.default_value().as_u64())
        })
        .ok_or_else(|| {
            ClusterError::Internal(format!("{} has no min_points for 'kdist'", info.id))
        })? as usize;
    let metric = plan
        .params
        .values
        .get("metric")
        .and_then(Value::as_str)
        .and_then(crate::spatial::metric::Metric::parse)
        .unwrap_or_default();
    let curve = crate::cluster::density::dbscan::k_distance_curve(
        engine, points, min_points, metric, backend, context,
    )?;
    let values = range::kdistance_values(&curve, quantiles.count);
    if values.is_empty() {
        return Err(ClusterError::Params(crate::cluster::params::ParamsError::new(
            plan.range.spec.name,
            format!(
                "'kdist' found no positive radius: every row's distance to its neighbour {min_points} (itself counted) is 0; give {{{}}} values",
                plan.range.spec.name
            ),
        ))
        .into());
    }
    let mut resolved = plan.clone();
    resolved.range.values = values.into_iter().map(real::to_value).collect();
    Ok(resolved)
}

/// Runs the sweep; `on_run(done, total, run)` after each run. Stops with
/// [`ClusterError::Cancelled`] when the context's token is raised.
pub fn run(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    plan: &SweepPlan,
    options: SweepOptions,
    context: &RunContext,
    on_run: &mut dyn FnMut(usize, usize, &SweepRun),
) -> Result<SweepOutcome, SweepError> {
    let plan = &resolve(engine, points, plan, options.backend, context)?;
    check(plan, points.n_rows)?;
    let total = plan.n_runs();
    let mut runs: Vec<SweepRun> = Vec::with_capacity(total);
    let mut previous_labels: Vec<Vec<u32>> = Vec::new();
    // Algorithms that batch runs on this backend (k-means on a GPU) run them all at once.
    let mut batched = run_batched(engine, points, plan, options.backend, context)?;
    for (value_index, value) in plan.range.values.iter().enumerate() {
        let mut labels_here: Vec<Vec<u32>> = Vec::with_capacity(plan.seeds.len());
        for (seed_index, &seed) in plan.seeds.iter().enumerate() {
            context.check_cancelled()?;
            let params = plan.params_for(value, seed);
            let clustering = match batched.as_mut().and_then(|runs| runs.next()) {
                Some(clustering) => clustering,
                None => crate::cluster::run(engine, points, &params, options.backend, context)
                    .map_err(|error| at_value(error, plan, value))?,
            };
            let cancelled = || context.cancel.is_cancelled();
            let scores = internal_scores(
                points,
                &clustering.labels,
                clustering.n_clusters,
                options.silhouette,
                &cancelled,
            );
            if matches!(scores, Err(crate::metrics::internal::ScoreError::Cancelled)) {
                return Err(ClusterError::Cancelled.into());
            }
            let ari_previous = previous_labels
                .get(seed_index)
                .map(|before| ari(before, &clustering.labels));
            let run = SweepRun {
                value_index,
                value: value.clone(),
                seed,
                n_clusters: clustering.n_clusters,
                n_noise: clustering.n_noise(),
                n_rows: points.n_rows,
                scores: scores.map_err(|e| e.to_string()),
                objective: clustering.objective,
                elapsed_ms: clustering.diagnostics.elapsed_ms,
                backend: clustering.diagnostics.backend,
                ari_seeds: None,
                ari_previous,
                warnings: clustering.warnings.clone(),
                clustering: None,
            };
            labels_here.push(clustering.labels.clone());
            let mut run = run;
            if options.keep_clusterings {
                run.clustering = Some(Arc::new(clustering));
            }
            runs.push(run);
            on_run(runs.len(), total, runs.last().expect("just pushed"));
        }
        // Stability between seeds, once the value's runs are all in.
        if labels_here.len() > 1 {
            let first = runs.len() - labels_here.len();
            let pairs = pairwise_ari(&labels_here);
            for (i, run) in runs[first..].iter_mut().enumerate() {
                let others: Vec<f64> = (0..labels_here.len())
                    .filter(|&j| j != i)
                    .map(|j| pairs[i.min(j)][i.max(j)])
                    .collect();
                run.ari_seeds = Some(mean(&others));
            }
        }
        previous_labels = labels_here;
    }
    let values = summarise(plan, &runs);
    let suggested = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| Some((i, v.silhouette?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i);
    Ok(SweepOutcome {
        param: plan.range.spec.name,
        runs,
        values,
        suggested,
    })
}

/// Every run of the plan, in value then seed order, as one batch where the algorithm
/// batches runs on `backend`; `None` where it runs them one by one.
fn run_batched(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    plan: &SweepPlan,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<Option<std::vec::IntoIter<Clustering>>, SweepError> {
    if plan.n_runs() < 2 {
        return Ok(None);
    }
    let every: Vec<AlgorithmParams> = plan
        .range
        .values
        .iter()
        .flat_map(|value| plan.seeds.iter().map(|&seed| plan.params_for(value, seed)))
        .collect();
    match crate::cluster::run_batch(engine, points, &every, backend, context) {
        None => Ok(None),
        Some(Ok(clusterings)) => Ok(Some(clusterings.into_iter())),
        Some(Err(error)) => Err(error.into()),
    }
}

/// Why a sweep stopped: the error, and the value it stopped at (when it was a run's).
#[derive(Debug, thiserror::Error)]
#[error("{}{error}", at.as_ref().map(|at| format!("{at}: ")).unwrap_or_default())]
pub struct SweepError {
    /// `name = value` of the run that failed.
    pub at: Option<String>,
    #[source]
    pub error: ClusterError,
}

impl From<ClusterError> for SweepError {
    fn from(error: ClusterError) -> Self {
        Self { at: None, error }
    }
}

impl SweepError {
    pub fn is_cancelled(&self) -> bool {
        matches!(self.error, ClusterError::Cancelled)
    }
}

/// A run's error, naming the value it ran with.
fn at_value(error: ClusterError, plan: &SweepPlan, value: &Value) -> SweepError {
    SweepError {
        at: Some(format!("{} = {}", plan.range.spec.name, value_text(value))),
        error,
    }
}

fn ari(a: &[u32], b: &[u32]) -> f64 {
    adjusted_rand(&Contingency::from_labels(a, b))
}

/// `pairs[i][j]` for i < j.
fn pairwise_ari(labels: &[Vec<u32>]) -> Vec<Vec<f64>> {
    let n = labels.len();
    let mut pairs = vec![vec![f64::NAN; n]; n];
    for i in 0..n {
        for j in i + 1..n {
            pairs[i][j] = ari(&labels[i], &labels[j]);
        }
    }
    pairs
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

fn mean_of(values: impl Iterator<Item = f64>) -> Option<f64> {
    let values: Vec<f64> = values.collect();
    (!values.is_empty()).then(|| mean(&values))
}

fn summarise(plan: &SweepPlan, runs: &[SweepRun]) -> Vec<ValueSummary> {
    plan.range
        .values
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let here: Vec<&SweepRun> = runs.iter().filter(|r| r.value_index == index).collect();
            let scored = || here.iter().filter_map(|r| r.scores.as_ref().ok());
            // Each pair of seeds counted once: the mean of the per-run means is the same.
            let ari_seeds = mean_of(here.iter().filter_map(|r| r.ari_seeds));
            ValueSummary {
                value: value.clone(),
                silhouette: mean_of(scored().map(|s| s.silhouette)),
                davies_bouldin: mean_of(scored().map(|s| s.davies_bouldin)),
                calinski_harabasz: mean_of(scored().map(|s| s.calinski_harabasz)),
                objective: mean_of(here.iter().filter_map(|r| r.objective.map(|o| o.value))),
                n_clusters: mean(&here.iter().map(|r| r.n_clusters as f64).collect::<Vec<_>>()),
                noise_share: mean(&here.iter().map(|r| r.noise_share()).collect::<Vec<_>>()),
                ari_seeds,
                ari_previous: mean_of(here.iter().filter_map(|r| r.ari_previous)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Structure;
    use crate::cluster::params::ParamValues;

    fn blobs() -> Arc<Matrix> {
        let mut rows = Vec::new();
        for (c, centre) in [[0.0f32, 0.0], [8.0, 0.0], [0.0, 8.0], [8.0, 8.0]]
            .iter()
            .enumerate()
        {
            for i in 0..40 {
                let a = (i * 7 + c) as f32 * 0.37;
                let r = 0.3 + (i % 5) as f32 * 0.2;
                rows.push(vec![centre[0] + r * a.cos(), centre[1] + r * a.sin()]);
            }
        }
        Arc::new(Matrix::from_rows(&rows))
    }

    fn plan(algo: &str, range: &str, seeds: usize) -> SweepPlan {
        let info = crate::cluster::find(algo).unwrap().info();
        let range = ParamRange::parse(range, info, &crate::cli::flag_of).unwrap();
        SweepPlan::new(
            AlgorithmParams::new(algo, ParamValues::new()),
            range,
            seeds,
            42,
        )
    }

    const OPTIONS: SweepOptions = SweepOptions {
        backend: BackendChoice::Cpu,
        silhouette: SilhouetteMode::Exact,
        keep_clusterings: true,
    };

    #[test]
    fn the_scores_and_the_algorithms_agree_on_the_noise_label() {
        assert_eq!(crate::metrics::summary::NOISE, crate::cluster::NOISE);
    }

    #[test]
    fn each_run_equals_the_single_run_with_its_value_and_seed() {
        let points = blobs();
        let plan = plan("kmeans", "k=2..6", 2);
        let mut engine = Engine::cpu_only("test");
        let mut seen = 0;
        let outcome = run(
            &mut engine,
            &points,
            &plan,
            OPTIONS,
            &RunContext::default(),
            &mut |done, total, _| {
                seen = done;
                assert_eq!(total, 10);
            },
        )
        .unwrap();
        assert_eq!(seen, 10);
        assert_eq!(outcome.runs.len(), 10);
        for r in &outcome.runs {
            let params = plan.params_for(&r.value, r.seed);
            let single = crate::cluster::run(
                &mut Engine::cpu_only("test"),
                &points,
                &params,
                BackendChoice::Cpu,
                &RunContext::default(),
            )
            .unwrap();
            assert_eq!(single.labels, r.clustering.as_ref().unwrap().labels);
            let exact = internal_scores(
                &points,
                &single.labels,
                single.n_clusters,
                SilhouetteMode::Exact,
                &|| false,
            )
            .unwrap();
            assert_eq!(r.scores.as_ref().unwrap(), &exact);
        }
        // Four blobs: k = 4 has the best silhouette, and every seed finds it.
        assert_eq!(
            outcome.values[outcome.suggested.unwrap()].value,
            Value::from(4)
        );
        assert_eq!(outcome.values[2].ari_seeds, Some(1.0));
        assert_eq!(outcome.values[0].ari_previous, None);
        assert!(outcome.values[1].ari_previous.unwrap() < 1.0);
    }

    #[test]
    fn unseeded_algorithms_run_once_per_value_and_count_noise() {
        let points = blobs();
        let plan = plan("dbscan", "eps=0.2,1.5", 3);
        assert_eq!(plan.seeds, vec![None]);
        let outcome = run(
            &mut Engine::cpu_only("test"),
            &points,
            &plan,
            OPTIONS,
            &RunContext::default(),
            &mut |_, _, _| {},
        )
        .unwrap();
        assert_eq!(outcome.runs.len(), 2);
        assert!(outcome.runs[0].n_noise > outcome.runs[1].n_noise);
        assert_eq!(outcome.runs[1].n_clusters, 4);
        assert_eq!(outcome.values[1].ari_seeds, None);
    }

    #[test]
    fn kdist_values_come_off_the_curve_dbscan_draws() {
        let points = blobs();
        let plan = plan("dbscan", "eps=kdist:4", 1);
        assert_eq!(plan.n_runs(), 4);
        let mut engine = Engine::cpu_only("test");
        let outcome = run(
            &mut engine,
            &points,
            &plan,
            OPTIONS,
            &RunContext::default(),
            &mut |_, total, _| assert!(total <= 4),
        )
        .unwrap();
        let single = crate::cluster::run(
            &mut Engine::cpu_only("test"),
            &points,
            &plan.params_for(&Value::from(0.5), None),
            BackendChoice::Cpu,
            &RunContext::default(),
        )
        .unwrap();
        let Some(Structure::KDistance { distances, .. }) = single.structures.first() else {
            panic!("DBSCAN draws a k-distance curve");
        };
        let want = range::kdistance_values(distances, 4);
        let got: Vec<f64> = outcome
            .values
            .iter()
            .map(|v| v.value.as_f64().unwrap())
            .collect();
        assert_eq!(got, want);
        assert!(
            got.len() >= 2 && got.windows(2).all(|w| w[0] < w[1]),
            "{got:?}"
        );
        // At the last value 98 % of the rows are core: hardly any noise is left.
        let last = outcome.runs.last().unwrap();
        assert!(last.noise_share() <= 0.02 + 1e-9, "{}", last.noise_share());
        assert!(outcome.runs[0].noise_share() >= last.noise_share());
    }

    #[test]
    fn a_value_the_data_cannot_take_fails_before_any_run() {
        let points = blobs();
        let plan = plan("kmeans", "k=2,500", 1);
        let mut runs = 0;
        let error = run(
            &mut Engine::cpu_only("test"),
            &points,
            &plan,
            OPTIONS,
            &RunContext::default(),
            &mut |_, _, _| runs += 1,
        )
        .err()
        .unwrap();
        assert_eq!(runs, 0);
        assert!(error.to_string().contains("500"), "{error}");
    }

    #[test]
    fn cancelling_stops_the_sweep() {
        let points = blobs();
        let plan = plan("kmeans", "k=2..6", 1);
        let context = RunContext::default();
        let cancel = context.cancel.clone();
        let error = run(
            &mut Engine::cpu_only("test"),
            &points,
            &plan,
            OPTIONS,
            &context,
            &mut |done, _, _| {
                if done == 2 {
                    cancel.cancel();
                }
            },
        )
        .err()
        .unwrap();
        assert!(error.is_cancelled());
    }
}
