//! Looking algorithms up in the registry ([`super::ALGORITHMS`]), and the request type
//! that names one with its parameter values.

use serde::{Deserialize, Serialize};

use super::ALGORITHMS;
use super::algorithm::{AlgorithmInfo, RegisteredAlgorithm};
use super::params::{ParamValues, ParamsError};

/// The algorithm with `id`.
pub fn find(id: &str) -> Option<&'static dyn RegisteredAlgorithm> {
    ALGORITHMS.iter().copied().find(|a| a.info().id == id)
}

/// Every algorithm's declaration.
pub fn infos() -> impl Iterator<Item = &'static AlgorithmInfo> {
    ALGORITHMS.iter().map(|a| a.info())
}

/// An algorithm with its parameter values: what the command line, the window and saved
/// files hand the engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlgorithmParams {
    /// The registry id.
    pub algorithm: String,
    /// Values by parameter name; missing ones take their defaults.
    #[serde(default)]
    pub values: ParamValues,
}

impl AlgorithmParams {
    /// `algorithm` with the values given (the rest default).
    pub fn new(algorithm: &str, values: ParamValues) -> Self {
        Self {
            algorithm: algorithm.to_string(),
            values,
        }
    }

    /// Typed params of algorithm `A`.
    pub fn of<A: super::Algorithm>(params: &A::Params) -> Self {
        Self::new(A::INFO.id, super::params::to_values(params))
    }

    /// What running these params on n × d rows will cost, after checking them.
    pub fn estimate(&self, n: usize, d: usize) -> Result<super::cost::Estimate, ParamsError> {
        Ok(self
            .registered()?
            .prepare(&self.values, Some(n))?
            .estimate(n, d))
    }

    /// The registered algorithm, or an error listing those there are.
    pub fn registered(&self) -> Result<&'static dyn RegisteredAlgorithm, ParamsError> {
        find(&self.algorithm).ok_or_else(|| {
            let ids: Vec<&str> = infos().map(|i| i.id).collect();
            ParamsError::new(
                "algorithm",
                format!(
                    "there is no algorithm '{}' (there are {})",
                    self.algorithm,
                    ids.join(", ")
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::params::{ParamKind, Presence};

    #[test]
    fn ids_are_unique_and_lowercase() {
        let mut ids: Vec<&str> = infos().map(|i| i.id).collect();
        assert!(
            ids.iter()
                .all(|id| id.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        );
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), ALGORITHMS.len());
    }

    #[test]
    fn every_declaration_matches_its_typed_params() {
        // The window's start values deserialise into the typed params and every declared
        // parameter is known to them: a typo in a name fails here, not at run time.
        for algorithm in ALGORITHMS {
            let info = algorithm.info();
            let start = info.window_values();
            let given: ParamValues = start.into_iter().filter(|(_, v)| !v.is_null()).collect();
            algorithm
                .prepare(&given, Some(1000))
                .unwrap_or_else(|e| panic!("{}: window start values: {e}", info.id));
            for spec in info.parameters {
                assert!(
                    !spec.help.is_empty(),
                    "{}.{} has no help",
                    info.id,
                    spec.name
                );
                if let Some(other) = spec.replaces {
                    assert!(info.parameter(other).is_some(), "{}.{}", info.id, other);
                }
                if let (ParamKind::Choice { choices }, Presence::Default(default)) =
                    (spec.kind, spec.presence)
                {
                    assert!(
                        choices
                            .iter()
                            .any(|c| super::super::params::Literal::Choice(c.value) == default),
                        "{}.{}: default not among the choices",
                        info.id,
                        spec.name
                    );
                }
            }
        }
    }

    #[test]
    fn an_unknown_algorithm_lists_the_known_ones() {
        let error = AlgorithmParams::new("kmeens", ParamValues::new())
            .registered()
            .err()
            .unwrap();
        assert!(
            error.to_string().contains("kmeans, agglomerative"),
            "{error}"
        );
    }
}
