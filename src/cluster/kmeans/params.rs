//! k-means parameters: a serde-friendly builder, checked into [`KMeansValidParams`].

use serde::{Deserialize, Serialize};

/// One error per bad field; messages name the field as the command line spells it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KMeansParamsError {
    #[error("k (n_clusters) cannot be 0")]
    ZeroClusters,
    #[error("k (n_clusters) = {n_clusters} exceeds the {n_rows} usable rows")]
    TooManyClusters { n_clusters: usize, n_rows: usize },
    #[error("tol (tolerance) must be a finite number >= 0, got {0}")]
    InvalidTolerance(f64),
    #[error("max-iter (max_iterations) cannot be 0")]
    ZeroIterations,
}

/// What the user asks of k-means.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KMeansParams {
    pub n_clusters: usize,
    pub max_iterations: usize,
    /// Relative to the mean feature variance, as in scikit-learn.
    pub tolerance: f64,
    pub seed: u64,
}

impl Default for KMeansParams {
    fn default() -> Self {
        Self {
            n_clusters: 8,
            max_iterations: 300,
            tolerance: 1e-4,
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

    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks every field against `n_rows` usable rows.
    pub fn check(&self, n_rows: usize) -> Result<KMeansValidParams, KMeansParamsError> {
        if self.n_clusters == 0 {
            return Err(KMeansParamsError::ZeroClusters);
        }
        if self.n_clusters > n_rows {
            return Err(KMeansParamsError::TooManyClusters {
                n_clusters: self.n_clusters,
                n_rows,
            });
        }
        if !(self.tolerance.is_finite() && self.tolerance >= 0.0) {
            return Err(KMeansParamsError::InvalidTolerance(self.tolerance));
        }
        if self.max_iterations == 0 {
            return Err(KMeansParamsError::ZeroIterations);
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

    #[test]
    fn zero_clusters_is_refused() {
        assert_eq!(
            KMeansParams::new(0).check(10),
            Err(KMeansParamsError::ZeroClusters)
        );
    }

    #[test]
    fn more_clusters_than_rows_is_refused() {
        assert_eq!(
            KMeansParams::new(11).check(10),
            Err(KMeansParamsError::TooManyClusters {
                n_clusters: 11,
                n_rows: 10
            })
        );
    }

    #[test]
    fn negative_or_nan_tolerance_is_refused() {
        assert_eq!(
            KMeansParams::new(2).tolerance(-1.0).check(10),
            Err(KMeansParamsError::InvalidTolerance(-1.0))
        );
        assert!(matches!(
            KMeansParams::new(2).tolerance(f64::NAN).check(10),
            Err(KMeansParamsError::InvalidTolerance(_))
        ));
    }

    #[test]
    fn zero_iterations_is_refused() {
        assert_eq!(
            KMeansParams::new(2).max_iterations(0).check(10),
            Err(KMeansParamsError::ZeroIterations)
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
}
