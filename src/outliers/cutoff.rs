//! From scores to flags: a row is an outlier when its score is above the threshold, given
//! directly or as the share of rows expected to be outliers (scikit-learn's
//! `contamination`: the threshold is the scores' (1 − share) percentile, interpolated
//! linearly as numpy does, so about that share lies above it).

use serde::{Deserialize, Serialize};

use crate::cluster::ParamsError;

/// How the threshold is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cutoff {
    /// The share of rows expected to be outliers, in (0, 0.5].
    Contamination(f64),
    /// Scores above this are outliers.
    Threshold(f64),
}

impl Default for Cutoff {
    fn default() -> Self {
        Self::Contamination(0.05)
    }
}

impl Cutoff {
    pub fn check(&self) -> Result<(), ParamsError> {
        match *self {
            Cutoff::Contamination(share) if !(share > 0.0 && share <= 0.5) => {
                Err(ParamsError::new(
                    "contamination",
                    format!(
                        "{{contamination}} is {share} but must be in (0, 0.5]: the share of rows expected to be outliers"
                    ),
                ))
            }
            Cutoff::Threshold(t) if !t.is_finite() => Err(ParamsError::new(
                "threshold",
                format!("{{threshold}} is {t} but must be a finite number"),
            )),
            _ => Ok(()),
        }
    }

    /// The threshold on these scores.
    pub fn threshold(&self, scores: &[f64]) -> f64 {
        match *self {
            Cutoff::Contamination(share) => percentile(scores, 100.0 * (1.0 - share)),
            Cutoff::Threshold(t) => t,
        }
    }
}

/// numpy's `percentile(values, q)` with linear interpolation (NaN sorts last).
pub fn percentile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let position = q / 100.0 * (sorted.len() - 1) as f64;
    let low = position.floor() as usize;
    let high = (low + 1).min(sorted.len() - 1);
    let fraction = position - low as f64;
    sorted[low] + (sorted[high] - sorted[low]) * fraction
}

/// Which rows are outliers: score strictly above `threshold`.
pub fn flagged(scores: &[f64], threshold: f64) -> Vec<bool> {
    scores.iter().map(|&s| s > threshold).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_as_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        // numpy.percentile([1, 2, 3, 4], [0, 50, 95, 100]) = 1, 2.5, 3.85, 4.
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&v, 50.0), 2.5);
        assert!((percentile(&v, 95.0) - 3.85).abs() < 1e-12);
        assert_eq!(percentile(&v, 100.0), 4.0);
    }

    #[test]
    fn a_contamination_share_flags_that_share() {
        let scores: Vec<f64> = (0..100).map(f64::from).collect();
        let cutoff = Cutoff::Contamination(0.05);
        let flags = flagged(&scores, cutoff.threshold(&scores));
        assert_eq!(flags.iter().filter(|&&f| f).count(), 5);
        assert!(flags[95] && !flags[94]);
    }

    #[test]
    fn shares_outside_the_range_are_refused() {
        for share in [0.0, -0.1, 0.51, f64::NAN] {
            let error = Cutoff::Contamination(share).check().unwrap_err();
            assert_eq!(error.field, "contamination");
        }
        assert!(Cutoff::Contamination(0.5).check().is_ok());
        assert!(Cutoff::Threshold(f64::INFINITY).check().is_err());
    }
}
