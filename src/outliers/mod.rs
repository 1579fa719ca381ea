//! Outlier detection: every detector gives each row a score (higher = more anomalous), and
//! a cutoff (a contamination share or a threshold) turns the scores into flags. Detectors
//! are declared like the clustering algorithms (an id, parameters with their rules, GPU
//! passes) and held in one list, [`DETECTORS`]; the command line and the window work from
//! those declarations alone.
//!
//! - [`lof`]: local outlier factor (scikit-learn's definition), over the k-NN graph.
//! - [`knn`]: distance to the k-th nearest neighbour, or the mean of the k.
//! - [`iforest`]: isolation forest (Liu, Ting & Zhou 2008) as scikit-learn grows it.
//! - [`model`]: scores that come from a model of the data: GLOSH from the HDBSCAN
//!   hierarchy, distance to the assigned centre (per cluster), a Gaussian mixture's
//!   negative log-likelihood.

pub mod cutoff;
pub mod iforest;
pub mod knn;
pub mod lof;
pub mod model;
pub mod neighbours;

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cluster::params::{self, ParamSpec, ParamValues, ParamsError};
use crate::cluster::{Backend, BackendChoice, ClusterError, Engine, RunContext};
use crate::gpu::ShaderEntry;
use crate::matrix::Matrix;

pub use cutoff::{Cutoff, flagged};

/// What a detector is, as data.
#[derive(Debug)]
pub struct DetectorInfo {
    /// `--method`, saved settings and provenance ("lof").
    pub id: &'static str,
    /// The window's name ("Local outlier factor").
    pub name: &'static str,
    /// One line: what it measures.
    pub summary: &'static str,
    pub parameters: &'static [ParamSpec],
    /// The WGSL passes that run when it runs on the GPU.
    pub gpu_passes: &'static [&'static ShaderEntry],
}

impl DetectorInfo {
    /// `given` completed with defaults and checked against the declarations.
    pub fn complete(&self, given: &ParamValues) -> Result<ParamValues, ParamsError> {
        let values = params::complete(self.id, self.parameters, given)?;
        params::check_ranges(self.parameters, &values)?;
        Ok(values)
    }
}

/// The input of one detection.
pub struct DetectInput<'a> {
    /// The rows to score (already scaled).
    pub points: &'a Arc<Matrix>,
    pub backend: BackendChoice,
    /// A clustering of the rows (noise = `u32::MAX`), for detectors that score against
    /// one; they make their own when there is none.
    pub labels: Option<&'a [u32]>,
}

/// Scores as a detector leaves them.
pub struct Scored {
    pub scores: Vec<f64>,
    pub backend: Backend,
    pub adapter: String,
    /// What the user should know about how the scores were made.
    pub notes: Vec<String>,
}

impl Scored {
    pub fn cpu(scores: Vec<f64>) -> Self {
        Self {
            scores,
            backend: Backend::Cpu,
            adapter: crate::cluster::cpu_name(),
            notes: Vec::new(),
        }
    }
}

/// One detector. Implement it in its file and add one line to [`DETECTORS`].
pub trait Detector: 'static {
    /// Field names equal the declared parameter names.
    type Params: Serialize + DeserializeOwned + Clone + std::fmt::Debug + Send + Sync;

    const INFO: DetectorInfo;

    /// The detector's own rules, after the declared ones; `n_rows` is None before the
    /// data is read.
    fn check(params: &Self::Params, n_rows: Option<usize>) -> Result<(), ParamsError>;

    fn score(
        params: &Self::Params,
        input: &DetectInput<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Scored, ClusterError>;
}

/// A detector behind a pointer, as [`DETECTORS`] holds them.
pub trait RegisteredDetector: Sync {
    fn info(&self) -> &'static DetectorInfo;
    /// Completes and checks `given` (for `n_rows` rows when known).
    fn check(&self, given: &ParamValues, n_rows: Option<usize>)
    -> Result<ParamValues, ParamsError>;
    fn score(
        &self,
        values: &ParamValues,
        input: &DetectInput<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Scored, ClusterError>;
}

struct Registered<D>(PhantomData<fn() -> D>);

impl<D: Detector> Registered<D> {
    fn typed(values: &ParamValues, n_rows: Option<usize>) -> Result<D::Params, ParamsError> {
        let values = D::INFO.complete(values)?;
        let typed: D::Params = params::from_values(D::INFO.id, &values)?;
        D::check(&typed, n_rows)?;
        Ok(typed)
    }
}

impl<D: Detector> RegisteredDetector for Registered<D> {
    fn info(&self) -> &'static DetectorInfo {
        &D::INFO
    }

    fn check(
        &self,
        given: &ParamValues,
        n_rows: Option<usize>,
    ) -> Result<ParamValues, ParamsError> {
        Self::typed(given, n_rows)?;
        D::INFO.complete(given)
    }

    fn score(
        &self,
        values: &ParamValues,
        input: &DetectInput<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Scored, ClusterError> {
        let typed = Self::typed(values, Some(input.points.n_rows))?;
        D::score(&typed, input, engine, context)
    }
}

/// Every detector, in the order the window lists them.
pub static DETECTORS: &[&dyn RegisteredDetector] = &[
    &Registered::<lof::Lof>(PhantomData),
    &Registered::<knn::KnnDistance>(PhantomData),
    &Registered::<iforest::IsolationForest>(PhantomData),
    &Registered::<model::Glosh>(PhantomData),
    &Registered::<model::CentroidDistance>(PhantomData),
    &Registered::<model::MixtureLikelihood>(PhantomData),
];

/// The detector with `id`, or an error listing those there are.
pub fn find(id: &str) -> Result<&'static dyn RegisteredDetector, ParamsError> {
    DETECTORS
        .iter()
        .copied()
        .find(|d| d.info().id == id)
        .ok_or_else(|| {
            let ids: Vec<&str> = DETECTORS.iter().map(|d| d.info().id).collect();
            ParamsError::new(
                "method",
                format!(
                    "there is no outlier method '{id}' (there are {})",
                    ids.join(", ")
                ),
            )
        })
}

/// A detector's scores with how they were made.
#[derive(Clone, Debug)]
pub struct OutlierScores {
    pub method: &'static str,
    /// The parameters, completed with defaults.
    pub params: ParamValues,
    /// One per row of the input matrix; higher = more anomalous.
    pub scores: Vec<f64>,
    pub backend: Backend,
    pub adapter: String,
    pub notes: Vec<String>,
    pub elapsed_ms: f64,
}

/// Scores every row of `input` with detector `method`.
pub fn detect(
    engine: &mut Engine,
    method: &str,
    given: &ParamValues,
    input: &DetectInput<'_>,
    context: &RunContext,
) -> Result<OutlierScores, ClusterError> {
    let started = Instant::now();
    let detector = find(method)?;
    let n = input.points.n_rows;
    if n < 2 {
        return Err(ParamsError::new(
            "method",
            format!("outlier scores need at least 2 rows, there are {n}"),
        )
        .into());
    }
    let values = detector.check(given, Some(n))?;
    let scored = detector.score(&values, input, engine, context)?;
    if scored.scores.len() != n {
        return Err(ClusterError::Internal(format!(
            "{method} gave {} scores for {n} rows",
            scored.scores.len()
        )));
    }
    Ok(OutlierScores {
        method: detector.info().id,
        params: values,
        scores: scored.scores,
        backend: scored.backend,
        adapter: scored.adapter,
        notes: scored.notes,
        elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
    })
}

/// The neighbour count rule every k-NN detector shares: at least 1, below the row count.
pub(crate) fn check_neighbours(k: usize, n_rows: Option<usize>) -> Result<(), ParamsError> {
    if k == 0 {
        return Err(ParamsError::new("k", "{k} must be at least 1"));
    }
    if let Some(n) = n_rows
        && k >= n
    {
        return Err(ParamsError::new(
            "k",
            format!("{{k}} is {k} but there are only {n} rows: it must be below the row count"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_default_set_checks() {
        let mut ids: Vec<&str> = DETECTORS.iter().map(|d| d.info().id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), DETECTORS.len());
        for detector in DETECTORS {
            detector
                .check(&ParamValues::new(), Some(1000))
                .unwrap_or_else(|e| panic!("{}: {e}", detector.info().id));
            for spec in detector.info().parameters {
                assert!(!spec.help.is_empty(), "{}", spec.name);
            }
        }
    }

    #[test]
    fn an_unknown_method_lists_the_known_ones() {
        let error = find("lfo").err().unwrap().to_string();
        assert!(error.contains("lof, knn, iforest"), "{error}");
    }
}
