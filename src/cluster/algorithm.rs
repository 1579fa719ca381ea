//! The one declaration every algorithm makes: identity, parameters, GPU passes, the
//! structures it leaves, how to check its params and how to run. The registry holds one
//! line per algorithm; the command line, the window, `clusterscope algorithms` and saved
//! files work from these declarations alone.

use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::cost::Estimate;
use super::params::{self, ParamSpec, ParamValues, ParamsError};
use super::result::{Clustering, StructureKind};
use super::{BackendChoice, ClusterError, Engine, RunContext};
use crate::gpu::ShaderEntry;
use crate::matrix::Matrix;

/// Families, as the window groups the algorithm picker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Clusters around means (k-means).
    Centroid,
    /// Clusters around representative rows.
    Medoid,
    /// Merge or split trees.
    Hierarchical,
    /// Dense regions separated by sparse ones; noise allowed.
    Density,
    /// A fitted probability model: each cluster a component of a mixture.
    Distribution,
    /// Cuts of a similarity graph between the rows.
    Graph,
    /// Dense cells of a grid over the data space: the work after binning depends on the
    /// cells, not the rows.
    Grid,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::Centroid => "centroid",
            Family::Medoid => "medoid",
            Family::Hierarchical => "hierarchical",
            Family::Density => "density",
            Family::Distribution => "distribution",
            Family::Graph => "graph",
            Family::Grid => "grid",
        }
    }
}

/// What an algorithm is, as data.
#[derive(Debug)]
pub struct AlgorithmInfo {
    /// `--algo`, saved settings, session files and provenance ("kmeans").
    pub id: &'static str,
    /// The window's name ("k-means").
    pub name: &'static str,
    pub family: Family,
    /// One line: what it does.
    pub summary: &'static str,
    pub parameters: &'static [ParamSpec],
    /// The WGSL passes that run when it runs on the GPU.
    pub gpu_passes: &'static [&'static ShaderEntry],
    /// The structures its results carry.
    pub structures: &'static [StructureKind],
}

impl AlgorithmInfo {
    /// The declaration of parameter `name`.
    pub fn parameter(&self, name: &str) -> Option<&'static ParamSpec> {
        self.parameters.iter().find(|p| p.name == name)
    }

    /// Every parameter at the value the window starts with.
    pub fn window_values(&self) -> ParamValues {
        self.parameters
            .iter()
            .map(|p| (p.name.to_string(), p.window_value()))
            .collect()
    }

    /// `given` completed with defaults and checked against the declarations.
    pub fn complete(&self, given: &ParamValues) -> Result<ParamValues, ParamsError> {
        params::complete(self.id, self.parameters, given)
    }
}

/// The input of one run.
pub struct Input<'a> {
    /// The rows to cluster (already scaled).
    pub points: &'a Arc<Matrix>,
    pub backend: BackendChoice,
}

/// An algorithm. Implement it in the algorithm's folder and add one line to
/// [`super::registry`]; nothing else needs to know the algorithm.
pub trait Algorithm: 'static {
    /// The params the user sets; field names equal the declared parameter names.
    type Params: Serialize + DeserializeOwned + Clone + std::fmt::Debug + Send + Sync + 'static;
    /// Params that passed [`Self::check`]; only these can run.
    type Valid: Send + Sync + 'static;

    const INFO: AlgorithmInfo;

    /// Checks `params` (declared rules first, then the algorithm's own); `n_rows` is None
    /// before the data is read, when only what does not depend on it can be checked.
    fn check(params: &Self::Params, n_rows: Option<usize>) -> Result<Self::Valid, ParamsError>;

    /// What a run on n × d rows will cost (see [`super::cost`]).
    fn estimate(valid: &Self::Valid, n: usize, d: usize) -> Estimate;

    fn run(
        valid: &Self::Valid,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError>;

    /// Several checked parameter sets over the same rows at once, where that is cheaper
    /// than one after another (k-means on a GPU advances every run's restarts in one
    /// submission per iteration). `None`: this algorithm, on this backend, runs them one by
    /// one through [`Self::run`]. Each result must equal its single run's.
    fn run_batch(
        valids: &[&Self::Valid],
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Option<Result<Vec<Clustering>, ClusterError>> {
        let _ = (valids, input, engine, context);
        None
    }
}

/// An algorithm behind a pointer, as the registry holds them.
pub trait RegisteredAlgorithm: Sync {
    fn info(&self) -> &'static AlgorithmInfo;
    /// Completes and checks `given`, ready to run.
    fn prepare(
        &self,
        given: &ParamValues,
        n_rows: Option<usize>,
    ) -> Result<Box<dyn PreparedRun>, ParamsError>;

    /// [`Algorithm::run_batch`] over runs this algorithm prepared; `None` also when one of
    /// `runs` is another algorithm's.
    fn run_batch(
        &self,
        runs: &[Box<dyn PreparedRun>],
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Option<Result<Vec<Clustering>, ClusterError>>;
}

/// A checked parameter set of one algorithm.
pub trait PreparedRun: Send + Sync {
    /// For the registry's batches, which need the typed params back.
    fn as_any(&self) -> &dyn std::any::Any;

    /// What a run on n × d rows will cost.
    fn estimate(&self, n: usize, d: usize) -> Estimate;

    fn run(
        &self,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError>;
}

/// The registry's handle on algorithm `A`.
pub struct Registered<A>(PhantomData<fn() -> A>);

impl<A> Registered<A> {
    pub const NEW: Self = Self(PhantomData);
}

struct Prepared<A: Algorithm>(A::Valid);

impl<A: Algorithm> PreparedRun for Prepared<A> {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn estimate(&self, n: usize, d: usize) -> Estimate {
        A::estimate(&self.0, n, d)
    }

    fn run(
        &self,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        A::run(&self.0, input, engine, context)
    }
}

impl<A: Algorithm> RegisteredAlgorithm for Registered<A> {
    fn info(&self) -> &'static AlgorithmInfo {
        &A::INFO
    }

    fn prepare(
        &self,
        given: &ParamValues,
        n_rows: Option<usize>,
    ) -> Result<Box<dyn PreparedRun>, ParamsError> {
        let values = A::INFO.complete(given)?;
        let params: A::Params = params::from_values(A::INFO.id, &values)?;
        let valid = A::check(&params, n_rows)?;
        // A safety net: every check starts with the declared rules.
        params::check_ranges(A::INFO.parameters, &values)?;
        Ok(Box::new(Prepared::<A>(valid)))
    }

    fn run_batch(
        &self,
        runs: &[Box<dyn PreparedRun>],
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Option<Result<Vec<Clustering>, ClusterError>> {
        let valids: Option<Vec<&A::Valid>> = runs
            .iter()
            .map(|run| run.as_any().downcast_ref::<Prepared<A>>().map(|p| &p.0))
            .collect();
        A::run_batch(&valids?, input, engine, context)
    }
}

/// Checks typed params against `A`'s declarations; algorithms call it first in `check`.
pub fn check_declared<A: Algorithm>(params: &A::Params) -> Result<(), ParamsError> {
    params::check_declared(A::INFO.id, A::INFO.parameters, params)
}
