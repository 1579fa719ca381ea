//! The k-medoids family's parameters, declared once: k-medoids (FasterPAM, PAM, the
//! alternating method), CLARA and CLARANS.

use serde::{Deserialize, Serialize};

use super::distance::Metric;
use crate::cluster::params::{Choice, ParamSpec, ParamsError};

/// How the medoids are improved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Eager swaps with the O(k) faster scan (Schubert & Rousseeuw 2021).
    #[default]
    Fasterpam,
    /// The best swap of all each iteration (Kaufman & Rousseeuw's SWAP).
    Pam,
    /// Voronoi iteration: assign, then each cluster's most central point (k-means style).
    Alternate,
}

/// Where the medoids start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Init {
    /// PAM's greedy BUILD.
    #[default]
    #[serde(rename = "build")]
    Build,
    /// k distinct rows drawn at random.
    #[serde(rename = "random")]
    Random,
    /// k-means++ seeding on the chosen metric (D² sampling).
    #[serde(rename = "kmeans++")]
    KMeansPlusPlus,
}

/// The distance every medoid method takes, declared once for all algorithms.
const METRIC: ParamSpec = crate::cluster::metric::METRIC;

const N_CLUSTERS: ParamSpec = ParamSpec::count("n_clusters", 5, "number of clusters (medoids)")
    .required()
    .slider(2, 64);

const MAX_ITERATIONS: ParamSpec =
    ParamSpec::count("max_iterations", 100, "improvement passes at most");

/// The declarations of [`KMedoidsParams`].
pub const KMEDOIDS_PARAMETERS: &[ParamSpec] = &[
    N_CLUSTERS,
    ParamSpec::choice(
        "method",
        "fasterpam",
        &[
            Choice {
                value: "fasterpam",
                help: "eager swaps with the O(k) faster scan: PAM's quality, far less time",
            },
            Choice {
                value: "pam",
                help: "the best swap of all each iteration (BUILD + SWAP)",
            },
            Choice {
                value: "alternate",
                help: "Voronoi iteration: assign, then each cluster's most central point",
            },
        ],
        "how the medoids are improved",
    ),
    ParamSpec::choice(
        "init",
        "build",
        &[
            Choice {
                value: "build",
                help: "PAM's greedy BUILD",
            },
            Choice {
                value: "random",
                help: "k distinct rows at random",
            },
            Choice {
                value: "kmeans++",
                help: "k-means++ seeding on the chosen metric",
            },
        ],
        "where the medoids start",
    ),
    METRIC,
    MAX_ITERATIONS,
    ParamSpec::seed(),
    ParamSpec::count(
        "memory_budget_mb",
        2048,
        "memory the n × n distance matrix may take on the CPU, in MiB (above it: use clara or clarans)",
    ),
];

/// The declarations of [`ClaraParams`].
pub const CLARA_PARAMETERS: &[ParamSpec] = &[
    N_CLUSTERS,
    ParamSpec::count(
        "samples",
        5,
        "samples drawn; each is clustered by BUILD + FasterPAM",
    ),
    ParamSpec::count(
        "sample_size",
        0,
        "rows per sample (0: 40 + 2k, as Kaufman & Rousseeuw)",
    )
    .at_least(0),
    METRIC,
    MAX_ITERATIONS,
    ParamSpec::seed(),
];

/// The declarations of [`ClaransParams`].
pub const CLARANS_PARAMETERS: &[ParamSpec] = &[
    N_CLUSTERS,
    ParamSpec::count("num_local", 2, "local searches from random medoids; the best is kept"),
    ParamSpec::count(
        "max_neighbor",
        0,
        "swaps tried in a row without improvement before a search stops (0: max(250, 1.25 % of k(n − k)), as Ng & Han)",
    )
    .at_least(0),
    METRIC,
    ParamSpec::seed(),
];

/// What the user asks of k-medoids.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KMedoidsParams {
    pub n_clusters: usize,
    pub method: Method,
    pub init: Init,
    pub metric: Metric,
    pub max_iterations: usize,
    pub seed: u64,
    pub memory_budget_mb: u64,
}

impl KMedoidsParams {
    pub fn new(n_clusters: usize) -> Self {
        Self {
            n_clusters,
            method: Method::Fasterpam,
            init: Init::Build,
            metric: Metric::Euclidean,
            max_iterations: 100,
            seed: 42,
            memory_budget_mb: 2048,
        }
    }

    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }

    pub fn metric(mut self, metric: Metric) -> Self {
        self.metric = metric;
        self
    }

    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    pub fn check(&self, n_rows: Option<usize>) -> Result<(), ParamsError> {
        crate::cluster::check_declared::<super::KMedoids>(self)?;
        check_clusters(self.n_clusters, n_rows)
    }

    /// Bytes the CPU's distance matrix may take.
    pub fn matrix_budget(&self) -> u64 {
        self.memory_budget_mb.saturating_mul(1 << 20)
    }
}

/// What the user asks of CLARA.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaraParams {
    pub n_clusters: usize,
    pub samples: usize,
    pub sample_size: usize,
    pub metric: Metric,
    pub max_iterations: usize,
    pub seed: u64,
}

impl ClaraParams {
    pub fn new(n_clusters: usize) -> Self {
        Self {
            n_clusters,
            samples: 5,
            sample_size: 0,
            metric: Metric::Euclidean,
            max_iterations: 100,
            seed: 42,
        }
    }

    pub fn check(&self, n_rows: Option<usize>) -> Result<(), ParamsError> {
        crate::cluster::check_declared::<super::clara::Clara>(self)?;
        check_clusters(self.n_clusters, n_rows)?;
        if self.sample_size != 0 && self.sample_size < self.n_clusters {
            return Err(ParamsError::new(
                "sample_size",
                format!(
                    "{{sample_size}} = {} is smaller than {{n_clusters}} = {}",
                    self.sample_size, self.n_clusters
                ),
            ));
        }
        Ok(())
    }

    /// Rows per sample for `n` rows.
    pub fn rows_per_sample(&self, n: usize) -> usize {
        match self.sample_size {
            0 => 40 + 2 * self.n_clusters,
            size => size,
        }
        .min(n)
    }
}

/// What the user asks of CLARANS.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaransParams {
    pub n_clusters: usize,
    pub num_local: usize,
    pub max_neighbor: usize,
    pub metric: Metric,
    pub seed: u64,
}

impl ClaransParams {
    pub fn new(n_clusters: usize) -> Self {
        Self {
            n_clusters,
            num_local: 2,
            max_neighbor: 0,
            metric: Metric::Euclidean,
            seed: 42,
        }
    }

    pub fn check(&self, n_rows: Option<usize>) -> Result<(), ParamsError> {
        crate::cluster::check_declared::<super::clarans::Clarans>(self)?;
        check_clusters(self.n_clusters, n_rows)
    }

    /// Failed neighbours that end a local search, for `n` rows.
    pub fn neighbours_per_search(&self, n: usize) -> usize {
        match self.max_neighbor {
            0 => {
                let k = self.n_clusters as f64;
                let share = (0.0125 * k * (n as f64 - k)).ceil() as usize;
                share.max(250)
            }
            m => m,
        }
    }
}

/// k ≤ the rows there are, and (every medoid being a row) at most u32 rows.
fn check_clusters(n_clusters: usize, n_rows: Option<usize>) -> Result<(), ParamsError> {
    let Some(n) = n_rows else {
        return Ok(());
    };
    if n_clusters > n {
        return Err(ParamsError::new(
            "n_clusters",
            format!("{{n_clusters}} = {n_clusters} exceeds the {n} usable rows"),
        ));
    }
    if n > u32::MAX as usize {
        return Err(ParamsError::new(
            "n_clusters",
            format!("{n} rows are more than k-medoids can number"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_clusters_is_refused() {
        assert_eq!(
            KMedoidsParams::new(0).check(Some(10)).unwrap_err().field,
            "n_clusters"
        );
        assert_eq!(
            ClaraParams::new(0).check(None).unwrap_err().field,
            "n_clusters"
        );
        assert_eq!(
            ClaransParams::new(0).check(None).unwrap_err().field,
            "n_clusters"
        );
    }

    #[test]
    fn more_clusters_than_rows_is_refused() {
        let error = KMedoidsParams::new(11).check(Some(10)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "n_clusters = 11 exceeds the 10 usable rows"
        );
        assert!(ClaraParams::new(11).check(Some(10)).is_err());
        assert!(ClaransParams::new(11).check(Some(10)).is_err());
    }

    #[test]
    fn zero_iterations_is_refused() {
        let mut params = KMedoidsParams::new(3);
        params.max_iterations = 0;
        assert_eq!(params.check(None).unwrap_err().field, "max_iterations");
    }

    #[test]
    fn a_sample_smaller_than_k_is_refused() {
        let mut params = ClaraParams::new(8);
        params.sample_size = 5;
        assert_eq!(params.check(None).unwrap_err().field, "sample_size");
        params.sample_size = 0;
        assert_eq!(params.rows_per_sample(10_000), 56);
        assert_eq!(params.rows_per_sample(20), 20);
    }

    #[test]
    fn zero_samples_or_local_searches_are_refused() {
        let mut clara = ClaraParams::new(2);
        clara.samples = 0;
        assert_eq!(clara.check(None).unwrap_err().field, "samples");
        let mut clarans = ClaransParams::new(2);
        clarans.num_local = 0;
        assert_eq!(clarans.check(None).unwrap_err().field, "num_local");
    }

    #[test]
    fn the_neighbour_limit_follows_ng_and_han() {
        let params = ClaransParams::new(8);
        assert_eq!(params.neighbours_per_search(1000), 250);
        assert_eq!(params.neighbours_per_search(200_000), 20_000);
        let mut fixed = ClaransParams::new(8);
        fixed.max_neighbor = 40;
        assert_eq!(fixed.neighbours_per_search(200_000), 40);
    }

    #[test]
    fn the_memory_budget_is_in_mebibytes() {
        assert_eq!(KMedoidsParams::new(2).matrix_budget(), 2048 << 20);
    }
}
