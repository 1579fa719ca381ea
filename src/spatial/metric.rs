//! The distances a user can choose between rows: Euclidean, cosine (1 − cos θ, as
//! scikit-learn's `pairwise_distances(metric="cosine")`) and Manhattan. Cosine distance is
//! a monotone function of the Euclidean distance between unit-length rows,
//! 1 − x·y = ‖x − y‖² / 2, which is how the tree- and grid-based searches serve it.

use serde::{Deserialize, Serialize};

use crate::matrix::Matrix;

/// A distance between rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    #[default]
    Euclidean,
    Cosine,
    Manhattan,
}

impl Metric {
    /// Every metric, as offered.
    pub const ALL: [Metric; 3] = [Metric::Euclidean, Metric::Cosine, Metric::Manhattan];

    /// Its name on the command line, in files and in the window.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Euclidean => "euclidean",
            Metric::Cosine => "cosine",
            Metric::Manhattan => "manhattan",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == text)
    }

    /// The distance between two rows, in f64.
    pub fn distance(self, a: &[f32], b: &[f32]) -> f64 {
        match self {
            Metric::Euclidean => a
                .iter()
                .zip(b)
                .map(|(&x, &y)| (x as f64 - y as f64).powi(2))
                .sum::<f64>()
                .sqrt(),
            Metric::Manhattan => a
                .iter()
                .zip(b)
                .map(|(&x, &y)| (x as f64 - y as f64).abs())
                .sum(),
            Metric::Cosine => {
                let (mut dot, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
                for (&x, &y) in a.iter().zip(b) {
                    let (x, y) = (x as f64, y as f64);
                    dot += x * y;
                    aa += x * x;
                    bb += y * y;
                }
                if aa == 0.0 || bb == 0.0 {
                    // scikit-learn's convention: a zero row is at distance 1 from all.
                    return if aa == bb { 0.0 } else { 1.0 };
                }
                (1.0 - dot / (aa.sqrt() * bb.sqrt())).max(0.0)
            }
        }
    }

    /// The cosine distance of two unit rows from their Euclidean distance, and back.
    pub fn cosine_from_unit_euclidean(euclidean: f64) -> f64 {
        euclidean * euclidean / 2.0
    }

    pub fn unit_euclidean_from_cosine(cosine: f64) -> f64 {
        (2.0 * cosine.max(0.0)).sqrt()
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The rows scaled to unit length, for cosine distance. A row of zeros has no direction:
/// its index is returned, and the caller says so (cosine distance is undefined there).
pub fn unit_rows(points: &Matrix) -> Result<Matrix, usize> {
    let d = points.n_cols;
    let mut values = points.values.clone();
    for (row, chunk) in values.chunks_mut(d.max(1)).enumerate() {
        let norm = chunk
            .iter()
            .map(|&v| v as f64 * v as f64)
            .sum::<f64>()
            .sqrt();
        if norm == 0.0 || !norm.is_finite() {
            return Err(row);
        }
        for v in chunk {
            *v = (*v as f64 / norm) as f32;
        }
    }
    Ok(Matrix::new(points.n_rows, d, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_on_hand_computed_rows() {
        let (a, b) = ([3.0f32, 4.0], [0.0f32, 0.0]);
        assert_eq!(Metric::Euclidean.distance(&a, &b), 5.0);
        assert_eq!(Metric::Manhattan.distance(&a, &b), 7.0);
        assert_eq!(Metric::Cosine.distance(&[1.0, 0.0], &[0.0, 2.0]), 1.0);
        assert!(Metric::Cosine.distance(&[1.0, 1.0], &[2.0, 2.0]) < 1e-12);
        assert!(
            (Metric::Cosine.distance(&[1.0, 0.0], &[1.0, 1.0]) - (1.0 - 0.5f64.sqrt())).abs()
                < 1e-12
        );
        assert_eq!(Metric::Cosine.distance(&[1.0, 0.0], &[-1.0, 0.0]), 2.0);
    }

    #[test]
    fn cosine_is_half_the_squared_distance_of_unit_rows() {
        let points = Matrix::from_rows(&[vec![1.0, 2.0, 2.0], vec![-3.0, 0.5, 4.0]]);
        let unit = unit_rows(&points).unwrap();
        let euclidean = Metric::Euclidean.distance(unit.row(0), unit.row(1));
        let cosine = Metric::Cosine.distance(points.row(0), points.row(1));
        assert!((Metric::cosine_from_unit_euclidean(euclidean) - cosine).abs() < 1e-6);
        assert!((Metric::unit_euclidean_from_cosine(cosine) - euclidean).abs() < 1e-6);
    }

    #[test]
    fn a_zero_row_has_no_unit_length() {
        let points = Matrix::from_rows(&[vec![1.0, 2.0], vec![0.0, 0.0]]);
        assert_eq!(unit_rows(&points).unwrap_err(), 1);
    }

    #[test]
    fn names_round_trip() {
        for metric in Metric::ALL {
            assert_eq!(Metric::parse(metric.name()), Some(metric));
        }
        assert_eq!(Metric::parse("chebyshev"), None);
    }
}
