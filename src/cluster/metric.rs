//! The distance parameter, declared once for every algorithm whose distance is a choice
//! ([`METRIC`]), and the unit-length rows that cosine distance runs on: cosine distance is
//! ‖x − y‖²/2 between unit rows, so the Euclidean searches (k-d tree, grid, GPU passes) find
//! the same neighbours and the algorithms map their distances with
//! [`Metric::cosine_from_unit_euclidean`]. Manhattan distance is searched as itself (the
//! k-d tree and the density passes measure by it, squared like the Euclidean ones).

use std::sync::{Arc, Weak};

use super::params::{Choice, ParamSpec, ParamsError};
use super::{ClusterError, Engine};
use crate::matrix::Matrix;
pub use crate::spatial::metric::Metric;
use crate::spatial::metric::unit_rows;

const EUCLIDEAN: Choice = Choice {
    value: "euclidean",
    help: "√Σ (a − b)²",
};
const COSINE: Choice = Choice {
    value: "cosine",
    help: "1 − cos(a, b), for directions (embeddings, text)",
};
const MANHATTAN: Choice = Choice {
    value: "manhattan",
    help: "Σ |a − b|",
};

/// `metric` with every distance.
pub const METRIC: ParamSpec = ParamSpec::choice(
    "metric",
    "euclidean",
    &[EUCLIDEAN, MANHATTAN, COSINE],
    "the distance between rows, on the scaled features",
);

/// The last rows made unit length, so that repeated runs (a slider dragged) share one
/// matrix: the density hierarchy and the GPU upload are kept per matrix.
#[derive(Default)]
struct UnitRows(Option<(Weak<Matrix>, Arc<Matrix>)>);

/// The rows an algorithm searches for `metric`: `points` itself, or (cosine) their
/// unit-length copy, made once per matrix. A zero row is refused (no direction).
pub fn rows_for(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    metric: Metric,
) -> Result<Arc<Matrix>, ClusterError> {
    if metric != Metric::Cosine {
        return Ok(Arc::clone(points));
    }
    if let Some((source, unit)) = &engine.state::<UnitRows>().0
        && source.upgrade().is_some_and(|s| Arc::ptr_eq(&s, points))
    {
        return Ok(Arc::clone(unit));
    }
    let unit = Arc::new(unit_rows(points).map_err(|row| {
        ClusterError::Params(ParamsError::new(
            "metric",
            format!(
                "row {row} (of the rows clustered) is all zeros: its cosine distance to other rows is undefined; leave it out or use {{metric=euclidean}}"
            ),
        ))
    })?);
    engine.state::<UnitRows>().0 = Some((Arc::downgrade(points), Arc::clone(&unit)));
    Ok(unit)
}

/// `metric`'s distance between two rows of [`rows_for`]'s matrix, from the distance the
/// searches measured there (Euclidean; Manhattan for Manhattan).
pub fn from_searched(metric: Metric, euclidean: f64) -> f64 {
    match metric {
        Metric::Cosine => Metric::cosine_from_unit_euclidean(euclidean),
        _ => euclidean,
    }
}

/// The radius the searches use on [`rows_for`]'s matrix (Euclidean; Manhattan for
/// Manhattan) that holds the rows within `distance`.
pub fn searched_radius(metric: Metric, distance: f64) -> f64 {
    match metric {
        Metric::Cosine => Metric::unit_euclidean_from_cosine(distance),
        _ => distance,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_rows_are_made_once_per_matrix() {
        let mut engine = Engine::cpu_only("test");
        let points = Arc::new(Matrix::from_rows(&[vec![3.0, 4.0], vec![1.0, 0.0]]));
        let unit = rows_for(&mut engine, &points, Metric::Cosine).unwrap();
        assert_eq!(unit.row(0), &[0.6, 0.8]);
        let again = rows_for(&mut engine, &points, Metric::Cosine).unwrap();
        assert!(Arc::ptr_eq(&unit, &again));
        assert!(Arc::ptr_eq(
            &rows_for(&mut engine, &points, Metric::Euclidean).unwrap(),
            &points
        ));
        let zero = Arc::new(Matrix::from_rows(&[vec![0.0, 0.0], vec![1.0, 0.0]]));
        let error = rows_for(&mut engine, &zero, Metric::Cosine).unwrap_err();
        assert!(error.to_string().contains("row 0"));
    }

    #[test]
    fn radii_and_distances_map_both_ways() {
        for d in [0.0, 0.1, 0.5, 1.5] {
            let r = searched_radius(Metric::Cosine, d);
            assert!((from_searched(Metric::Cosine, r) - d).abs() < 1e-12);
            assert_eq!(searched_radius(Metric::Euclidean, d), d);
        }
    }
}
