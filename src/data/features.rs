//! Chosen columns → a scaled `f32` feature matrix, leaving out rows that cannot be clustered.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::DataError;
use super::read::polars_message;
use crate::matrix::Matrix;

/// How features are rescaled before clustering.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Scaling {
    /// Use values as they are.
    None,
    /// Subtract each column's mean, divide by its standard deviation.
    #[default]
    #[value(name = "standard")]
    Standardize,
    /// Map each column's range onto 0..=1.
    #[value(name = "minmax")]
    MinMax,
}

impl Scaling {
    pub const ALL: [Scaling; 3] = [Scaling::None, Scaling::Standardize, Scaling::MinMax];

    pub fn label(self) -> &'static str {
        match self {
            Scaling::None => "none",
            Scaling::Standardize => "standardize",
            Scaling::MinMax => "min-max",
        }
    }
}

/// The matrix handed to the algorithms, with the way back to the table's rows.
#[derive(Clone, Debug, Default)]
pub struct FeatureMatrix {
    /// Usable rows only, scaled.
    pub matrix: Matrix,
    /// For each matrix row, its row number in the table.
    pub table_rows: Vec<u32>,
    /// Rows in the table, usable or not.
    pub n_table_rows: usize,
    /// Feature column names, in matrix column order.
    pub columns: Vec<String>,
}

impl FeatureMatrix {
    /// Rows left out because a chosen feature was null, NaN or infinite.
    pub fn n_skipped(&self) -> usize {
        self.n_table_rows - self.table_rows.len()
    }

    /// Spreads per-matrix-row labels back over the table: `None` for rows left out.
    pub fn labels_for_table(&self, labels: &[u32]) -> Vec<Option<u32>> {
        let mut per_row = vec![None; self.n_table_rows];
        for (&row, &label) in self.table_rows.iter().zip(labels) {
            per_row[row as usize] = Some(label);
        }
        per_row
    }

    /// Spreads per-matrix-row values back over the table: `None` for rows left out.
    pub fn values_for_table(&self, values: &[f64]) -> Vec<Option<f64>> {
        let mut per_row = vec![None; self.n_table_rows];
        for (&row, &value) in self.table_rows.iter().zip(values) {
            per_row[row as usize] = Some(value);
        }
        per_row
    }
}

/// Names of the columns whose type is numeric (integers and floats), in table order.
pub fn numeric_columns(frame: &DataFrame) -> Vec<String> {
    frame
        .columns()
        .iter()
        .filter(|c| c.dtype().is_primitive_numeric())
        .map(|c| c.name().to_string())
        .collect()
}

/// Why a numeric column looks like an answer or an identifier rather than a feature, if it
/// does: integer values that are all different (a row id), or few integer values under a
/// name like `label`, `class`, `target`, `id` (a known grouping). Clustering on those leaks
/// the answer into the result, so the window leaves them unticked.
pub fn label_like(frame: &DataFrame, name: &str) -> Option<&'static str> {
    const NAMES: &[&str] = &[
        "label",
        "labels",
        "class",
        "classes",
        "target",
        "y",
        "id",
        "cluster",
        "group",
        "category",
        "community",
        "truth",
        "ground_truth",
    ];
    let column = frame.column(name).ok()?;
    if !column.dtype().is_integer() {
        return None;
    }
    let n = column.len();
    let distinct = column.n_unique().ok()?;
    let lower = name.to_lowercase();
    let named =
        NAMES.contains(&lower.as_str()) || lower.ends_with("_id") || lower.ends_with("_label");
    if named && distinct <= (n / 10).max(20) {
        return Some("its name and few values make it look like a label");
    }
    if n > 20 && distinct == n {
        return Some("every row has its own value: it looks like a row id");
    }
    None
}

/// The numeric columns that look like features (not labels or ids).
pub fn feature_columns(frame: &DataFrame) -> Vec<String> {
    numeric_columns(frame)
        .into_iter()
        .filter(|name| label_like(frame, name).is_none())
        .collect()
}

/// Builds the feature matrix from `columns` of `frame`. Rows with a null, NaN or infinite
/// value in any chosen column are left out (and counted); the others are scaled.
pub fn extract_features(
    frame: &DataFrame,
    columns: &[String],
    scaling: Scaling,
) -> Result<FeatureMatrix, DataError> {
    if columns.is_empty() {
        return Err(DataError::NoFeatures);
    }
    let n_table_rows = frame.height();
    let mut per_column: Vec<Vec<Option<f64>>> = Vec::with_capacity(columns.len());
    for name in columns {
        let column = frame.column(name).map_err(|_| DataError::UnknownColumn {
            column: name.clone(),
            available: frame
                .get_column_names()
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })?;
        if !column.dtype().is_primitive_numeric() {
            return Err(DataError::NonNumericColumn {
                column: name.clone(),
                dtype: column.dtype().to_string(),
            });
        }
        let as_f64 = column
            .cast(&DataType::Float64)
            .map_err(|e| DataError::Parse {
                message: polars_message(&e),
                path: name.into(),
            })?;
        let values = as_f64.f64().map_err(|e| DataError::Parse {
            message: polars_message(&e),
            path: name.into(),
        })?;
        per_column.push(values.iter().map(|v| v.filter(|x| x.is_finite())).collect());
    }

    let table_rows: Vec<u32> = (0..n_table_rows)
        .filter(|&i| per_column.iter().all(|c| c[i].is_some()))
        .map(|i| i as u32)
        .collect();
    if table_rows.is_empty() {
        return Err(DataError::NoUsableRows {
            columns: columns.join(", "),
        });
    }

    let d = columns.len();
    let mut values = vec![0f32; table_rows.len() * d];
    // Squared distances sum d terms of (2 · largest |value|)²: each column's largest value
    // must leave that sum inside f32, or every distance becomes infinite.
    let largest_safe = (f32::MAX as f64 / d as f64).sqrt() / 2.0;
    // The widest column's range, scaled: the spread of the squared distances.
    let mut widest = (0.0f64, 0usize);
    for (j, column) in per_column.iter().enumerate() {
        let used: Vec<f64> = table_rows
            .iter()
            .map(|&i| column[i as usize].unwrap_or(0.0))
            .collect();
        let (offset, scale) = scaling_for(&used, scaling);
        let (low, high) = used
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                let scaled = (v - offset) * scale;
                (lo.min(scaled), hi.max(scaled))
            });
        if high - low > widest.0 {
            widest = (high - low, j);
        }
        for (r, v) in used.iter().enumerate() {
            let scaled = (v - offset) * scale;
            if scaled.abs() > largest_safe {
                return Err(DataError::ValueTooLarge {
                    column: columns[j].clone(),
                    row: table_rows[r] as usize,
                    value: *v,
                    largest: largest_safe,
                });
            }
            values[r * d + j] = scaled as f32;
        }
    }
    // Rows that differ, but by so little that squared distances would be subnormal or 0
    // in f32: every distance-based algorithm would see ties where the data has none.
    // (2¹² times the square root of the smallest normal f32: a 4,096th of the spread
    // still squares to a normal number.)
    let smallest_spread = (f32::MIN_POSITIVE as f64).sqrt() * 4096.0;
    if widest.0 > 0.0 && widest.0 < smallest_spread {
        return Err(DataError::ValuesTooSmall {
            column: columns[widest.1].clone(),
            spread: widest.0,
            smallest: smallest_spread,
        });
    }
    Ok(FeatureMatrix {
        matrix: Matrix::new(table_rows.len(), d, values),
        table_rows,
        n_table_rows,
        columns: columns.to_vec(),
    })
}

/// `(offset, scale)` so that the scaled value is `(v - offset) * scale`. Constant columns
/// keep scale 1 rather than dividing by zero.
fn scaling_for(values: &[f64], scaling: Scaling) -> (f64, f64) {
    let n = values.len() as f64;
    match scaling {
        Scaling::None => (0.0, 1.0),
        Scaling::Standardize => {
            let mean = values.iter().sum::<f64>() / n;
            let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            let std = variance.sqrt();
            (mean, if std > 0.0 { 1.0 / std } else { 1.0 })
        }
        Scaling::MinMax => {
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let range = max - min;
            (min, if range > 0.0 { 1.0 / range } else { 1.0 })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> DataFrame {
        polars::df!(
            "a" => [Some(1.0f64), Some(2.0), None, Some(f64::NAN), Some(5.0)],
            "b" => [10i64, 20, 30, 40, 50],
            "name" => ["p", "q", "r", "s", "t"],
        )
        .unwrap()
    }

    #[test]
    fn rows_with_null_or_nan_are_left_out_and_mapped_back() {
        let features =
            extract_features(&frame(), &["a".into(), "b".into()], Scaling::None).unwrap();
        assert_eq!(features.table_rows, vec![0, 1, 4]);
        assert_eq!(features.n_skipped(), 2);
        assert_eq!(
            features.matrix.values,
            vec![1.0, 10.0, 2.0, 20.0, 5.0, 50.0]
        );
        assert_eq!(
            features.labels_for_table(&[7, 8, 9]),
            vec![Some(7), Some(8), None, None, Some(9)]
        );
    }

    #[test]
    fn standardize_and_minmax_match_hand_computed_values() {
        let standard = extract_features(&frame(), &["b".into()], Scaling::Standardize).unwrap();
        // mean 30, population std sqrt(200)
        let expected: Vec<f32> = [-20.0f64, -10.0, 0.0, 10.0, 20.0]
            .iter()
            .map(|v| (v / 200f64.sqrt()) as f32)
            .collect();
        assert_eq!(standard.matrix.values, expected);
        let minmax = extract_features(&frame(), &["b".into()], Scaling::MinMax).unwrap();
        assert_eq!(minmax.matrix.values, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    }

    #[test]
    fn values_whose_distances_overflow_f32_are_refused_with_column_and_row() {
        let frame = polars::df!("a" => [1.0f64, 1e39, 3.0], "b" => [0.0f64, 1.0, 2.0]).unwrap();
        let error = extract_features(&frame, &["a".into(), "b".into()], Scaling::None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("'a'") && error.contains("row 1"), "{error}");
        // 1e20 fits f32, its square does not.
        let frame = polars::df!("a" => [1.0f64, 1e20, 3.0]).unwrap();
        assert!(extract_features(&frame, &["a".into()], Scaling::None).is_err());
        // Scaled, the same column is fine.
        let scaled = extract_features(&frame, &["a".into()], Scaling::Standardize).unwrap();
        assert!(scaled.matrix.values.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn values_whose_distances_underflow_f32_are_refused_unless_scaled() {
        // Rows 1e-30 apart square to 1e-60: 0 in f32, so every pair would tie.
        let frame =
            polars::df!("a" => [1e-30f64, 3e-30, 2e-30], "b" => [0.0f64, 1e-31, 0.0]).unwrap();
        let error = extract_features(&frame, &["a".into(), "b".into()], Scaling::None)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("'a'") && error.contains("underflow"),
            "{error}"
        );
        let scaled = extract_features(&frame, &["a".into(), "b".into()], Scaling::MinMax).unwrap();
        assert_eq!(scaled.matrix.values[..2], [0.0, 0.0]);
        // Identical rows are not refused (nothing to resolve), nor are small but usable
        // differences.
        let same = polars::df!("a" => [1e-30f64, 1e-30]).unwrap();
        assert!(extract_features(&same, &["a".into()], Scaling::None).is_ok());
        let usable = polars::df!("a" => [0.0f64, 1e-12, 2e-12]).unwrap();
        assert!(extract_features(&usable, &["a".into()], Scaling::None).is_ok());
    }

    #[test]
    fn labels_and_row_ids_are_not_features_by_default() {
        let ids: Vec<i64> = (0..100).collect();
        let classes: Vec<i64> = (0..100).map(|i| i % 3).collect();
        let values: Vec<f64> = (0..100).map(|i| (i * 7 % 13) as f64).collect();
        let counts: Vec<i64> = (0..100).map(|i| i % 40).collect();
        let frame = polars::df!(
            "row" => ids.clone(), "label" => classes.clone(), "x" => values, "visits" => counts,
            "species_id" => classes
        )
        .unwrap();
        assert!(label_like(&frame, "row").is_some_and(|why| why.contains("row id")));
        assert!(label_like(&frame, "label").is_some());
        assert!(label_like(&frame, "species_id").is_some());
        assert_eq!(label_like(&frame, "x"), None);
        assert_eq!(label_like(&frame, "visits"), None);
        assert_eq!(
            feature_columns(&frame),
            vec!["x".to_string(), "visits".to_string()]
        );
    }

    #[test]
    fn text_and_unknown_columns_are_refused_by_name() {
        let error = extract_features(&frame(), &["name".into()], Scaling::None).unwrap_err();
        assert!(
            error.to_string().contains("'name' is not numeric"),
            "{error}"
        );
        let error = extract_features(&frame(), &["nope".into()], Scaling::None).unwrap_err();
        assert!(
            error.to_string().contains("unknown column 'nope'"),
            "{error}"
        );
        assert_eq!(
            numeric_columns(&frame()),
            vec!["a".to_string(), "b".to_string()]
        );
    }
}
