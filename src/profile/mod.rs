//! What each cluster is: per cluster its size and share, and for every column of the table
//! the count, mean, standard deviation (n − 1), minimum, quartiles (linear interpolation,
//! numpy's default), median and maximum of numbers, or the commonest categories of text.
//! Columns are ordered by how much they separate the clusters: one-way ANOVA for numbers
//! (F, and η² = between / total sum of squares) and Pearson's χ² for categories (χ², and
//! Cramér's V); the effect sizes, both 0 to 1, put both kinds on one scale (within
//! numbers η² orders as F does). Each cluster lists the numeric columns that distinguish
//! it most: its standardised difference from the rest, (mean in − mean out) / sd of the
//! column. Noise rows form their own group, shown but left out of the statistics.

pub mod numeric;

use polars::prelude::{DataFrame, DataType};
use serde::Serialize;

pub use numeric::NumericSummary;

/// Commonest categories kept per cluster.
pub const TOP_CATEGORIES: usize = 5;
/// Distinguishing columns listed per cluster.
pub const TOP_DISTINCTIONS: usize = 3;

/// The rows of each group (cluster), by table row.
#[derive(Clone, Debug)]
pub struct Groups {
    /// Group of each table row; None: unlabelled, left out.
    pub of_row: Vec<Option<u32>>,
    pub names: Vec<String>,
    /// The group holding noise rows, if any.
    pub noise: Option<u32>,
}

impl Groups {
    fn n(&self) -> usize {
        self.names.len()
    }

    fn is_cluster(&self, group: u32) -> bool {
        Some(group) != self.noise
    }
}

/// One category's count in a cluster.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CategoryCount {
    pub value: String,
    pub count: usize,
    pub share: f64,
}

/// How one column differs between the clusters.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ColumnStats {
    Numeric {
        /// One-way ANOVA F over the clusters (noise left out); None with fewer than two
        /// clusters or no spread within them.
        f: Option<f64>,
        /// Between / total sum of squares.
        eta_squared: Option<f64>,
        /// Per group, in group order.
        groups: Vec<NumericSummary>,
    },
    Categorical {
        /// Pearson's χ² of the cluster × category table (no continuity correction).
        chi_squared: Option<f64>,
        cramers_v: Option<f64>,
        n_categories: usize,
        /// Per group, the commonest [`TOP_CATEGORIES`] categories.
        groups: Vec<Vec<CategoryCount>>,
    },
}

/// One column's profile.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ColumnProfile {
    pub name: String,
    /// Labelled rows with no value in this column.
    pub missing: usize,
    #[serde(flatten)]
    pub stats: ColumnStats,
}

impl ColumnProfile {
    /// η² or Cramér's V: how much the column separates the clusters, 0 to 1.
    pub fn separation(&self) -> Option<f64> {
        match &self.stats {
            ColumnStats::Numeric { eta_squared, .. } => *eta_squared,
            ColumnStats::Categorical { cramers_v, .. } => *cramers_v,
        }
    }
}

/// A column that sets a cluster apart.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Distinction {
    pub column: String,
    /// (mean in − mean out) / standard deviation of the column.
    pub standardised_difference: f64,
    pub mean_in: f64,
    pub mean_out: f64,
}

/// One cluster's size and what sets it apart.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClusterProfile {
    pub name: String,
    pub size: usize,
    /// Of the labelled rows.
    pub share: f64,
    pub noise: bool,
    pub distinguishing: Vec<Distinction>,
}

/// The profile of a labelled table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Profile {
    pub rows: usize,
    pub labelled: usize,
    pub clusters: Vec<ClusterProfile>,
    /// Most separating first.
    pub columns: Vec<ColumnProfile>,
}

/// Why a profile cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{labels} labels for a table of {rows} rows")]
    Length { labels: usize, rows: usize },
    #[error("no row has a label")]
    NoLabels,
    #[error("reading column '{column}': {message}")]
    Column { column: String, message: String },
}

/// Profiles every column of `frame` but those in `skip` over `groups`.
pub fn profile(frame: &DataFrame, groups: &Groups, skip: &[&str]) -> Result<Profile, ProfileError> {
    if groups.of_row.len() != frame.height() {
        return Err(ProfileError::Length {
            labels: groups.of_row.len(),
            rows: frame.height(),
        });
    }
    let labelled = groups.of_row.iter().flatten().count();
    if labelled == 0 {
        return Err(ProfileError::NoLabels);
    }
    let mut sizes = vec![0usize; groups.n()];
    for &g in groups.of_row.iter().flatten() {
        sizes[g as usize] += 1;
    }
    let mut columns = Vec::new();
    let mut distinctions: Vec<Vec<Distinction>> = vec![Vec::new(); groups.n()];
    for column in frame.columns() {
        let name = column.name().to_string();
        if skip.contains(&name.as_str()) {
            continue;
        }
        let read_error = |e: polars::error::PolarsError| ProfileError::Column {
            column: name.clone(),
            message: e.to_string(),
        };
        if column.dtype().is_primitive_numeric() {
            let values = column.cast(&DataType::Float64).map_err(read_error)?;
            let values: Vec<Option<f64>> = values
                .f64()
                .map_err(read_error)?
                .iter()
                .map(|v| v.filter(|v| v.is_finite()))
                .collect();
            let (profile, per_cluster) = numeric::column(&name, &values, groups);
            for (group, d) in per_cluster.into_iter().enumerate() {
                if let Some(d) = d {
                    distinctions[group].push(d);
                }
            }
            columns.push(profile);
        } else {
            let values = column.cast(&DataType::String).map_err(read_error)?;
            let values: Vec<Option<String>> = values
                .str()
                .map_err(read_error)?
                .iter()
                .map(|v| v.map(str::to_string))
                .collect();
            columns.push(categorical(&name, &values, groups));
        }
    }
    columns.sort_by(|a, b| {
        b.separation()
            .unwrap_or(-1.0)
            .total_cmp(&a.separation().unwrap_or(-1.0))
    });
    let clusters = (0..groups.n())
        .map(|g| {
            let mut distinguishing = std::mem::take(&mut distinctions[g]);
            distinguishing.sort_by(|a, b| {
                b.standardised_difference
                    .abs()
                    .total_cmp(&a.standardised_difference.abs())
            });
            distinguishing.truncate(TOP_DISTINCTIONS);
            ClusterProfile {
                name: groups.names[g].clone(),
                size: sizes[g],
                share: sizes[g] as f64 / labelled as f64,
                noise: !groups.is_cluster(g as u32),
                distinguishing,
            }
        })
        .collect();
    Ok(Profile {
        rows: frame.height(),
        labelled,
        clusters,
        columns,
    })
}

/// The χ² profile of a text column.
fn categorical(name: &str, values: &[Option<String>], groups: &Groups) -> ColumnProfile {
    use std::collections::BTreeMap;
    let mut counts: Vec<BTreeMap<&str, usize>> = vec![BTreeMap::new(); groups.n()];
    let mut missing = 0;
    for (value, group) in values.iter().zip(&groups.of_row) {
        let Some(group) = group else { continue };
        match value {
            Some(v) => *counts[*group as usize].entry(v.as_str()).or_default() += 1,
            None => missing += 1,
        }
    }
    // The cluster × category table, noise left out.
    let mut categories: BTreeMap<&str, usize> = BTreeMap::new();
    for (g, c) in counts.iter().enumerate() {
        if groups.is_cluster(g as u32) {
            for (v, n) in c {
                *categories.entry(v).or_default() += n;
            }
        }
    }
    let category_index: BTreeMap<&str, usize> = categories
        .keys()
        .enumerate()
        .map(|(i, v)| (*v, i))
        .collect();
    let table: Vec<Vec<f64>> = counts
        .iter()
        .enumerate()
        .filter(|(g, _)| groups.is_cluster(*g as u32))
        .map(|(_, c)| {
            let mut row = vec![0.0; categories.len()];
            for (v, n) in c {
                row[category_index[v]] = *n as f64;
            }
            row
        })
        .filter(|row| row.iter().sum::<f64>() > 0.0)
        .collect();
    let (chi_squared, cramers_v) = chi_squared(&table);
    let groups_top = counts
        .iter()
        .map(|c| {
            let total: usize = c.values().sum();
            let mut top: Vec<(&str, usize)> = c.iter().map(|(v, n)| (*v, *n)).collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            top.truncate(TOP_CATEGORIES);
            top.into_iter()
                .map(|(value, count)| CategoryCount {
                    value: value.to_string(),
                    count,
                    share: count as f64 / total.max(1) as f64,
                })
                .collect()
        })
        .collect();
    ColumnProfile {
        name: name.to_string(),
        missing,
        stats: ColumnStats::Categorical {
            chi_squared,
            cramers_v,
            n_categories: categories.len(),
            groups: groups_top,
        },
    }
}

/// Pearson's χ² of a table of counts and Cramér's V; None when a side has fewer than two
/// non-empty levels.
pub fn chi_squared(table: &[Vec<f64>]) -> (Option<f64>, Option<f64>) {
    let rows: Vec<f64> = table.iter().map(|r| r.iter().sum()).collect();
    let width = table.first().map_or(0, Vec::len);
    let columns: Vec<f64> = (0..width)
        .map(|j| table.iter().map(|r| r[j]).sum())
        .collect();
    let n: f64 = rows.iter().sum();
    let (r, c) = (
        rows.iter().filter(|&&s| s > 0.0).count(),
        columns.iter().filter(|&&s| s > 0.0).count(),
    );
    if r < 2 || c < 2 {
        return (None, None);
    }
    let mut chi = 0.0;
    for (i, row) in table.iter().enumerate() {
        for (j, &observed) in row.iter().enumerate() {
            let expected = rows[i] * columns[j] / n;
            if expected > 0.0 {
                chi += (observed - expected).powi(2) / expected;
            }
        }
    }
    let v = (chi / (n * (r.min(c) - 1) as f64)).sqrt();
    (Some(chi), Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    fn groups(labels: &[i64]) -> Groups {
        let mut names: Vec<i64> = labels.to_vec();
        names.sort_unstable();
        names.dedup();
        Groups {
            of_row: labels
                .iter()
                .map(|l| Some(names.binary_search(l).unwrap() as u32))
                .collect(),
            noise: names.binary_search(&-1).ok().map(|i| i as u32),
            names: names.iter().map(|n| n.to_string()).collect(),
        }
    }

    #[test]
    fn hand_computed_anova_and_chi_squared() {
        let frame = df!(
            "x" => [1.0, 2.0, 3.0, 7.0, 8.0, 9.0],
            "colour" => ["red", "red", "blue", "blue", "blue", "blue"],
            "cluster" => [0i64, 0, 0, 1, 1, 1],
        )
        .unwrap();
        let p = profile(&frame, &groups(&[0, 0, 0, 1, 1, 1]), &["cluster"]).unwrap();
        assert_eq!(p.columns[0].name, "x");
        let ColumnStats::Numeric {
            f,
            eta_squared,
            groups: g,
        } = &p.columns[0].stats
        else {
            panic!()
        };
        // SSB = 3·3² + 3·3² = 54, SSW = 2 + 2 = 4: F = 54 / (4 / 4) = 54, η² = 54/58.
        assert!((f.unwrap() - 54.0).abs() < 1e-12);
        assert!((eta_squared.unwrap() - 54.0 / 58.0).abs() < 1e-12);
        assert_eq!(g[1].mean, Some(8.0));
        assert_eq!(g[0].std, Some(1.0));
        let ColumnStats::Categorical {
            chi_squared,
            cramers_v,
            groups: top,
            ..
        } = &p.columns[1].stats
        else {
            panic!()
        };
        // Table [[2,1],[0,3]]: expected [[1,2],[1,2]] → χ² = 1 + 0.5 + 1 + 0.5 = 3.
        assert!((chi_squared.unwrap() - 3.0).abs() < 1e-12);
        assert!((cramers_v.unwrap() - 0.5f64.sqrt()).abs() < 1e-12);
        assert_eq!(top[0][0].value, "red");
        assert_eq!(p.clusters[0].size, 3);
        let d = &p.clusters[1].distinguishing[0];
        assert_eq!(d.column, "x");
        // sd of x (n − 1) = sqrt(58 / 5).
        assert!((d.standardised_difference - 6.0 / (58.0f64 / 5.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn noise_is_a_group_left_out_of_the_statistics() {
        let frame = df!("x" => [1.0, 2.0, 3.0, 7.0, 8.0, 9.0, 100.0]).unwrap();
        let p = profile(&frame, &groups(&[0, 0, 0, 1, 1, 1, -1]), &[]).unwrap();
        assert!(p.clusters[0].noise);
        assert_eq!(p.clusters[0].size, 1);
        let ColumnStats::Numeric { f, .. } = &p.columns[0].stats else {
            panic!()
        };
        assert!((f.unwrap() - 54.0).abs() < 1e-12);
    }

    #[test]
    fn bad_labels_are_errors() {
        let frame = df!("x" => [1.0, 2.0]).unwrap();
        let none = Groups {
            of_row: vec![None, None],
            names: vec![],
            noise: None,
        };
        assert!(matches!(
            profile(&frame, &none, &[]),
            Err(ProfileError::NoLabels)
        ));
        assert!(matches!(
            profile(&frame, &groups(&[0]), &[]),
            Err(ProfileError::Length { .. })
        ));
    }
}
