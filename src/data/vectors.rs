//! Vector columns (a Parquet, Arrow or JSON column whose cells are lists of numbers, as
//! embeddings are stored) spread into one numeric column per dimension, `name_0` …
//! `name_{d−1}`, so every view and algorithm sees them as features.

use std::path::Path;

use polars::prelude::{Column, DataFrame, DataType, IntoColumn, NamedFrom, Series};

use super::DataError;

/// Dimensions a vector column may have at most.
pub const MAX_DIMENSIONS: usize = 4096;

/// `frame` with each list-of-numbers column replaced by its dimensions, in place.
pub fn expand_vector_columns(frame: DataFrame, path: &Path) -> Result<DataFrame, DataError> {
    let is_vector = |c: &Column| match c.dtype() {
        DataType::List(inner) => inner.is_primitive_numeric(),
        _ => false,
    };
    if !frame.columns().iter().any(is_vector) {
        return Ok(frame);
    }
    let height = frame.height();
    let mut columns: Vec<Column> = Vec::with_capacity(frame.width());
    for column in frame.columns() {
        if !is_vector(column) {
            columns.push(column.clone());
            continue;
        }
        let name = column.name().to_string();
        let error = |message: String| DataError::Parse {
            message: format!("vector column '{name}': {message}"),
            path: path.to_path_buf(),
        };
        let lists = column.list().map_err(|e| error(e.to_string()))?;
        let mut dims: Option<usize> = None;
        let mut values: Vec<Vec<Option<f32>>> = Vec::new();
        for row in 0..height {
            let Some(cell) = lists.get_as_series(row) else {
                continue;
            };
            let cell = cell
                .cast(&DataType::Float32)
                .map_err(|e| error(e.to_string()))?;
            let cell = cell.f32().map_err(|e| error(e.to_string()))?;
            let d = *dims.get_or_insert(cell.len());
            if cell.len() != d {
                return Err(error(format!(
                    "row {row} has {} values where the first vector has {d}; every vector must have the same length",
                    cell.len()
                )));
            }
            if d > MAX_DIMENSIONS {
                return Err(error(format!(
                    "{d} dimensions, more than the {MAX_DIMENSIONS} read"
                )));
            }
            if values.is_empty() {
                values = vec![vec![None; height]; d];
            }
            for (j, dimension) in values.iter_mut().enumerate() {
                dimension[row] = cell.get(j);
            }
        }
        for (j, dimension) in values.into_iter().enumerate() {
            columns
                .push(Series::new(format!("{name}_{j}").as_str().into(), dimension).into_column());
        }
    }
    DataFrame::new(height, columns).map_err(|e| DataError::Parse {
        message: e.to_string(),
        path: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{IntoSeries, ListChunked};

    fn lists(rows: Vec<Option<Vec<f64>>>) -> Column {
        let series: Vec<Option<Series>> = rows
            .into_iter()
            .map(|r| r.map(|v| Series::new("".into(), v)))
            .collect();
        let list: ListChunked = series.into_iter().collect();
        list.into_series().with_name("emb".into()).into_column()
    }

    #[test]
    fn a_list_column_becomes_one_column_per_dimension() {
        let frame = DataFrame::new(
            3,
            vec![
                Series::new("id".into(), ["a", "b", "c"]).into_column(),
                lists(vec![Some(vec![1.0, 2.0]), None, Some(vec![3.0, 4.5])]),
            ],
        )
        .unwrap();
        let expanded = expand_vector_columns(frame, Path::new("t.parquet")).unwrap();
        let names: Vec<String> = expanded
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(names, ["id", "emb_0", "emb_1"]);
        let second = expanded.column("emb_1").unwrap().f32().unwrap().clone();
        assert_eq!(second.get(0), Some(2.0));
        assert_eq!(second.get(1), None);
        assert_eq!(second.get(2), Some(4.5));
    }

    #[test]
    fn vectors_of_different_lengths_are_refused() {
        let frame =
            DataFrame::new(2, vec![lists(vec![Some(vec![1.0, 2.0]), Some(vec![3.0])])]).unwrap();
        let error = expand_vector_columns(frame, Path::new("t.parquet"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("row 1") && error.contains("emb"), "{error}");
    }
}
