//! k-means parameters: declared once, a serde-friendly builder, checked into
//! [`KMeansValidParams`].

use serde::{Deserialize, Serialize};

use crate::cluster::params::{Choice, ParamSpec, ParamsError, RealRange, real};

/// The declarations of [`KMeansParams`]' fields.
pub const PARAMETERS: &[ParamSpec] = &[
    ParamSpec::count("n_clusters", 5, "number of clusters")
        .required()
        .slider(2, 64),
    ParamSpec::count("max_iterations", 300, "Lloyd iterations at most"),
    ParamSpec::real(
        "tolerance",
        1e-4,
        RealRange::NON_NEGATIVE,
        "stop when the centres move less than this, relative to the mean feature variance (as scikit-learn)",
    ),
    ParamSpec::count(
        "n_init",
        10,
        "restarts from different seeds, keeping the lowest inertia (default: 10 when n·d·k ≤ 5·10⁷, else 1)",
    )
    .optional(),
    ParamSpec::choice(
        "init",
        "kmeans++",
        &[
            Choice {
                value: "kmeans++",
                help: "greedy k-means++ with 2 + ln k local trials (as scikit-learn)",
            },
            Choice {
                value: "kmeans-parallel",
                help: "k-means||: 2 rounds drawing 2k rows each, reclustered (as Spark MLlib); fewer passes on large tables",
            },
        ],
        "how the first centres are chosen",
    ),
    ParamSpec::choice(
        "metric",
        "euclidean",
        &[
            Choice {
                value: "euclidean",
                help: "√Σ (a − b)²: Lloyd's k-means",
            },
            Choice {
                value: "cosine",
                help: "1 − cos(a, b): spherical k-means on rows scaled to unit length (embeddings, text)",
            },
        ],
        "the distance rows are assigned by",
    ),
    ParamSpec::seed(),
];

/// How the first centres are chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum KMeansInit {
    /// Greedy k-means++.
    #[default]
    #[serde(rename = "kmeans++")]
    PlusPlus,
    /// k-means‖ (scalable k-means++).
    #[serde(rename = "kmeans-parallel")]
    Parallel,
}

impl KMeansInit {
    /// The value as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::PlusPlus => "kmeans++",
            Self::Parallel => "kmeans-parallel",
        }
    }
}

/// Above this n·d·k the default is one run: each restart costs a whole fit.
pub const AUTO_RESTARTS_MAX_WORK: f64 = 5e7;
/// Restarts by default below it (scikit-learn's classic `n_init=10`).
pub const AUTO_RESTARTS: usize = 10;

/// What the user asks of k-means.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KMeansParams {
    pub n_clusters: usize,
    pub max_iterations: usize,
    /// Relative to the mean feature variance, as in scikit-learn.
    #[serde(with = "real")]
    pub tolerance: f64,
    /// Restarts; None: [`AUTO_RESTARTS`] when n·d·k ≤ [`AUTO_RESTARTS_MAX_WORK`], else 1.
    pub n_init: Option<usize>,
    pub init: KMeansInit,
    /// Cosine: spherical k-means (unit rows, unit centroids).
    pub metric: crate::spatial::metric::Metric,
    pub seed: u64,
}

impl Default for KMeansParams {
    fn default() -> Self {
        Self {
            n_clusters: 8,
            max_iterations: 300,
            tolerance: 1e-4,
            n_init: None,
            init: KMeansInit::PlusPlus,
            metric: crate::spatial::metric::Metric::Euclidean,
            seed: 42,
        }
    }
}

impl KMeansParams {
    pub fn new(n_clusters: usize) -> Self {
        Self {
            n_clusters,
            ..Self::default()
        }
    }

    pub fn max_iterations(mut self, max_iterations: usize) -> Self {
        self.max_iterations = max_iterations;
        self
    }

    pub fn tolerance(mut self, tolerance: f64) -> Self {
        self.tolerance = tolerance;
        self
    }

    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = Some(n_init);
        self
    }

    pub fn init(mut self, init: KMeansInit) -> Self {
        self.init = init;
        self
    }

    pub fn metric(mut self, metric: crate::spatial::metric::Metric) -> Self {
        self.metric = metric;
        self
    }

    /// Spherical k-means: cosine distance.
    pub fn spherical(&self) -> bool {
        self.metric == crate::spatial::metric::Metric::Cosine
    }

    /// How many restarts run on n × d rows.
    pub fn restarts(&self, n: usize, d: usize) -> usize {
        self.n_init.unwrap_or_else(|| {
            let work = n as f64 * d as f64 * self.n_clusters as f64;
            if work <= AUTO_RESTARTS_MAX_WORK {
                AUTO_RESTARTS
            } else {
                1
            }
        })
    }

    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks every field against `n_rows` usable rows.
    pub fn check(&self, n_rows: usize) -> Result<KMeansValidParams, ParamsError> {
        // Worded as the command line always has, before the declared rules.
        for (field, value) in [
            ("n_clusters", self.n_clusters),
            ("max_iterations", self.max_iterations),
            ("n_init", self.n_init.unwrap_or(1)),
        ] {
            if value == 0 {
                return Err(ParamsError::new(field, format!("{{{field}}} cannot be 0")));
            }
        }
        crate::cluster::check_declared::<super::KMeans>(self)?;
        if self.n_clusters > n_rows {
            return Err(ParamsError::new(
                "n_clusters",
                format!(
                    "{{n_clusters}} = {} exceeds the {n_rows} usable rows",
                    self.n_clusters
                ),
            ));
        }
        Ok(KMeansValidParams(self.clone()))
    }
}

/// Parameters that passed [`KMeansParams::check`]; only these can run.
#[derive(Clone, Debug, PartialEq)]
pub struct KMeansValidParams(KMeansParams);

impl std::ops::Deref for KMeansValidParams {
    type Target = KMeansParams;
    fn deref(&self) -> &KMeansParams {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(params: KMeansParams, n_rows: usize) -> &'static str {
        params.check(n_rows).unwrap_err().field
    }

    #[test]
    fn zero_clusters_is_refused() {
        let error = KMeansParams::new(0).check(10).unwrap_err();
        assert_eq!(error.field, "n_clusters");
        assert_eq!(error.to_string(), "n_clusters cannot be 0");
    }

    #[test]
    fn more_clusters_than_rows_is_refused() {
        let error = KMeansParams::new(11).check(10).unwrap_err();
        assert_eq!(error.field, "n_clusters");
        assert_eq!(
            error.to_string(),
            "n_clusters = 11 exceeds the 10 usable rows"
        );
    }

    #[test]
    fn negative_or_nan_tolerance_is_refused() {
        assert_eq!(
            field_of(KMeansParams::new(2).tolerance(-1.0), 10),
            "tolerance"
        );
        assert_eq!(
            field_of(KMeansParams::new(2).tolerance(f64::NAN), 10),
            "tolerance"
        );
        assert_eq!(
            field_of(KMeansParams::new(2).tolerance(f64::INFINITY), 10),
            "tolerance"
        );
    }

    #[test]
    fn zero_iterations_is_refused() {
        assert_eq!(
            field_of(KMeansParams::new(2).max_iterations(0), 10),
            "max_iterations"
        );
    }

    #[test]
    fn valid_params_pass_through() {
        let valid = KMeansParams::new(3)
            .tolerance(0.0)
            .seed(7)
            .check(3)
            .unwrap();
        assert_eq!(valid.n_clusters, 3);
        assert_eq!(valid.seed, 7);
    }

    #[test]
    fn restarts_default_to_ten_on_small_tables_and_one_on_large() {
        let params = KMeansParams::new(8);
        assert_eq!(params.restarts(178, 13), 10);
        assert_eq!(params.restarts(1_000_000, 16), 1);
        assert_eq!(params.clone().n_init(4).restarts(1_000_000, 16), 4);
        assert_eq!(field_of(params.n_init(0), 10), "n_init");
    }

    #[test]
    fn params_round_trip_through_values() {
        let params = KMeansParams::new(4).tolerance(0.5).seed(9);
        let values = crate::cluster::params::to_values(&params);
        let back: KMeansParams = crate::cluster::params::from_values("kmeans", &values).unwrap();
        assert_eq!(back, params);
    }
}
