//! Columns of a second table put beside the first, row by row: an embedding's vectors
//! (a `.npy`) with the table that says what each row is.

use std::path::Path;

use polars::prelude::{Column, DataFrame};

use super::DataError;

/// `frame` with every column of `extra` after its own; a name both have gets `_2` (or the
/// next free number). The tables must have the same number of rows.
pub fn attach_columns(
    frame: &DataFrame,
    extra: &DataFrame,
    extra_path: &Path,
) -> Result<DataFrame, DataError> {
    if extra.height() != frame.height() {
        return Err(DataError::Parse {
            message: format!(
                "it has {} rows and the open table {}: columns are attached row by row, so the counts must match",
                extra.height(),
                frame.height()
            ),
            path: extra_path.to_path_buf(),
        });
    }
    let mut joined = frame.clone();
    for column in extra.columns() {
        let mut name = column.name().to_string();
        let mut suffix = 2;
        while joined.column(&name).is_ok() {
            name = format!("{}_{suffix}", column.name());
            suffix += 1;
        }
        let renamed: Column = column.clone().with_name(name.as_str().into());
        joined.with_column(renamed).map_err(|e| DataError::Parse {
            message: e.to_string(),
            path: extra_path.to_path_buf(),
        })?;
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::NamedFrom;
    use polars::prelude::Series;

    fn frame(columns: Vec<(&str, Vec<i32>)>) -> DataFrame {
        let height = columns[0].1.len();
        DataFrame::new(
            height,
            columns
                .into_iter()
                .map(|(n, v)| Series::new(n.into(), v).into())
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn columns_go_beside_with_clashing_names_numbered() {
        let a = frame(vec![("x", vec![1, 2]), ("y", vec![3, 4])]);
        let b = frame(vec![("y", vec![5, 6]), ("label", vec![0, 1])]);
        let joined = attach_columns(&a, &b, Path::new("b.csv")).unwrap();
        let names: Vec<String> = joined
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(names, ["x", "y", "y_2", "label"]);
        assert_eq!(joined.height(), 2);
    }

    #[test]
    fn different_row_counts_are_refused_naming_the_file() {
        let a = frame(vec![("x", vec![1, 2])]);
        let b = frame(vec![("y", vec![5, 6, 7])]);
        let error = attach_columns(&a, &b, Path::new("meta.csv"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("3 rows") && error.contains("meta.csv"),
            "{error}"
        );
    }
}
