//! What `clusterscope info` and the column list show about a table.

use polars::prelude::*;
use serde::Serialize;

/// One column's name, type and missing values.
#[derive(Clone, Debug, Serialize)]
pub struct ColumnInfo {
    pub name: String,
    pub dtype: String,
    pub numeric: bool,
    pub null_count: usize,
}

/// Shape and columns of a table.
#[derive(Clone, Debug, Serialize)]
pub struct TableInfo {
    pub n_rows: usize,
    pub n_columns: usize,
    pub columns: Vec<ColumnInfo>,
}

/// Describes `frame`'s columns. NaN in float columns counts as missing, since clustering
/// treats it so.
pub fn table_info(frame: &DataFrame) -> TableInfo {
    let columns = frame
        .columns()
        .iter()
        .map(|column| {
            let nan_count = match column.dtype() {
                DataType::Float32 | DataType::Float64 => column
                    .cast(&DataType::Float64)
                    .ok()
                    .and_then(|c| {
                        c.f64()
                            .ok()
                            .map(|v| v.iter().filter(|x| x.is_some_and(f64::is_nan)).count())
                    })
                    .unwrap_or(0),
                _ => 0,
            };
            ColumnInfo {
                name: column.name().to_string(),
                dtype: column.dtype().to_string(),
                numeric: column.dtype().is_primitive_numeric(),
                null_count: column.null_count() + nan_count,
            }
        })
        .collect();
    TableInfo {
        n_rows: frame.height(),
        n_columns: frame.width(),
        columns,
    }
}
