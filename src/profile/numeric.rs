//! A numeric column per cluster: summaries, one-way ANOVA, standardised differences.

use serde::Serialize;

use super::{ColumnProfile, ColumnStats, Distinction, Groups};

/// One group's numbers (missing, NaN and infinite values left out).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct NumericSummary {
    pub count: usize,
    pub mean: Option<f64>,
    /// With n − 1 (None below two values).
    pub std: Option<f64>,
    pub min: Option<f64>,
    pub q1: Option<f64>,
    pub median: Option<f64>,
    pub q3: Option<f64>,
    pub max: Option<f64>,
}

impl NumericSummary {
    /// Of `values`, sorted in place.
    pub fn of(values: &mut [f64]) -> Self {
        let n = values.len();
        if n == 0 {
            return Self::default();
        }
        values.sort_by(f64::total_cmp);
        let mean = values.iter().sum::<f64>() / n as f64;
        let std = (n > 1).then(|| {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        });
        Self {
            count: n,
            mean: Some(mean),
            std,
            min: Some(values[0]),
            q1: Some(quantile(values, 0.25)),
            median: Some(quantile(values, 0.5)),
            q3: Some(quantile(values, 0.75)),
            max: Some(values[n - 1]),
        }
    }
}

/// The q-quantile of sorted values, interpolated linearly between the two nearest ranks
/// (numpy's default, R's type 7).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    let fraction = position - below as f64;
    sorted[below] + (sorted[above] - sorted[below]) * fraction
}

/// The column's profile and, per group, how it sets that cluster apart (None for noise
/// and where undefined).
pub(super) fn column(
    name: &str,
    values: &[Option<f64>],
    groups: &Groups,
) -> (ColumnProfile, Vec<Option<Distinction>>) {
    let mut per_group: Vec<Vec<f64>> = vec![Vec::new(); groups.n()];
    let mut missing = 0;
    for (value, group) in values.iter().zip(&groups.of_row) {
        let Some(group) = group else { continue };
        match value {
            Some(v) => per_group[*group as usize].push(*v),
            None => missing += 1,
        }
    }
    // Cluster rows only (noise left out) for the statistics.
    let clusters: Vec<usize> = (0..groups.n())
        .filter(|&g| groups.is_cluster(g as u32))
        .collect();
    let (f, eta_squared) = anova(clusters.iter().map(|&g| per_group[g].as_slice()));
    let all: Vec<f64> = clusters
        .iter()
        .flat_map(|&g| per_group[g].iter().copied())
        .collect();
    let total_sum: f64 = all.iter().sum();
    let overall = NumericSummary::of(&mut all.clone());
    let distinctions = (0..groups.n())
        .map(|g| {
            let inside = &per_group[g];
            let outside = all.len().checked_sub(inside.len())?;
            let sd = overall.std.filter(|s| *s > 0.0)?;
            if !groups.is_cluster(g as u32) || inside.is_empty() || outside == 0 {
                return None;
            }
            let sum_in: f64 = inside.iter().sum();
            let mean_in = sum_in / inside.len() as f64;
            let mean_out = (total_sum - sum_in) / outside as f64;
            Some(Distinction {
                column: name.to_string(),
                standardised_difference: (mean_in - mean_out) / sd,
                mean_in,
                mean_out,
            })
        })
        .collect();
    let summaries = per_group
        .iter_mut()
        .map(|v| NumericSummary::of(v))
        .collect();
    (
        ColumnProfile {
            name: name.to_string(),
            missing,
            stats: ColumnStats::Numeric {
                f,
                eta_squared,
                groups: summaries,
            },
        },
        distinctions,
    )
}

/// One-way ANOVA over groups (empty ones ignored): F and η²; None with fewer than two
/// groups, no more rows than groups, or no spread within the groups.
pub fn anova<'a>(groups: impl Iterator<Item = &'a [f64]>) -> (Option<f64>, Option<f64>) {
    let groups: Vec<&[f64]> = groups.filter(|g| !g.is_empty()).collect();
    let k = groups.len();
    let n: usize = groups.iter().map(|g| g.len()).sum();
    if k < 2 || n <= k {
        return (None, None);
    }
    let grand = groups.iter().flat_map(|g| g.iter()).sum::<f64>() / n as f64;
    let mut between = 0.0;
    let mut within = 0.0;
    for g in &groups {
        let mean = g.iter().sum::<f64>() / g.len() as f64;
        between += g.len() as f64 * (mean - grand).powi(2);
        within += g.iter().map(|v| (v - mean).powi(2)).sum::<f64>();
    }
    let total = between + within;
    let eta = (total > 0.0).then(|| between / total);
    let f = (within > 0.0).then(|| (between / (k - 1) as f64) / (within / (n - k) as f64));
    (f, eta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_interpolate_as_numpy() {
        let mut v = vec![4.0, 1.0, 3.0, 2.0];
        let s = NumericSummary::of(&mut v);
        // numpy.percentile([1,2,3,4], [25, 50, 75]) = [1.75, 2.5, 3.25]
        assert_eq!((s.q1, s.median, s.q3), (Some(1.75), Some(2.5), Some(3.25)));
        assert_eq!(NumericSummary::of(&mut [5.0]).std, None);
        assert_eq!(NumericSummary::of(&mut []).count, 0);
    }

    #[test]
    fn anova_is_undefined_without_two_groups_or_spread() {
        assert_eq!(anova([[1.0, 2.0].as_slice()].into_iter()), (None, None));
        let (f, eta) = anova([[1.0, 1.0].as_slice(), [2.0, 2.0].as_slice()].into_iter());
        assert_eq!((f, eta), (None, Some(1.0)));
    }
}
