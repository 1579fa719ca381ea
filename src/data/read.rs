//! Reads CSV, TSV, Parquet, JSON / NDJSON, Arrow IPC and NumPy `.npy` files into a `DataFrame`.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use polars::prelude::*;

use super::DataError;

/// File extensions `read_table` understands (lower case).
pub const SUPPORTED_EXTENSIONS: &[&str] = &[
    "csv", "tsv", "tab", "txt", "parquet", "pq", "json", "ndjson", "jsonl", "arrow", "ipc",
    "feather", "npy",
];

/// Reads a table from `path`, choosing the reader by extension. Never modifies the file.
pub fn read_table(path: &Path) -> Result<DataFrame, DataError> {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let io_error = |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let parse_error = |error: PolarsError| DataError::Parse {
        message: polars_message(&error),
        path: path.to_path_buf(),
    };
    let file = || File::open(path).map_err(io_error);

    // Open once up front so a missing file reads as "cannot read", whatever the extension.
    let metadata = std::fs::metadata(path).map_err(io_error)?;
    if metadata.is_dir() {
        return Err(DataError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other("is a directory"),
        });
    }

    let frame = match extension.as_str() {
        "csv" | "txt" => read_delimited(path, b',').map_err(parse_error)?,
        "tsv" | "tab" => read_delimited(path, b'\t').map_err(parse_error)?,
        "parquet" | "pq" => ParquetReader::new(file()?).finish().map_err(parse_error)?,
        "json" => read_json(path, file()?)?,
        "ndjson" | "jsonl" => JsonReader::new(file()?)
            .with_json_format(JsonFormat::JsonLines)
            .finish()
            .map_err(parse_error)?,
        "arrow" | "ipc" | "feather" => IpcReader::new(file()?).finish().map_err(parse_error)?,
        "npy" => read_npy(path, file()?)?,
        _ => {
            return Err(DataError::UnsupportedExtension {
                extension,
                supported: SUPPORTED_EXTENSIONS.join(", "),
                path: path.to_path_buf(),
            });
        }
    };
    if frame.height() == 0 {
        return Err(DataError::NoRows {
            path: path.to_path_buf(),
        });
    }
    Ok(frame)
}

fn read_delimited(path: &Path, separator: u8) -> PolarsResult<DataFrame> {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(10_000))
        .map_parse_options(|options| {
            options
                .with_separator(separator)
                .with_try_parse_dates(false)
        })
        .try_into_reader_with_file_path(Some(path.to_path_buf()))?
        .finish()
}

/// A `.json` file is either one array of row objects or, as often in practice, NDJSON.
fn read_json(path: &Path, file: File) -> Result<DataFrame, DataError> {
    match JsonReader::new(file)
        .with_json_format(JsonFormat::Json)
        .finish()
    {
        Ok(frame) => Ok(frame),
        Err(array_error) => {
            let file = File::open(path).map_err(|source| DataError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            JsonReader::new(file)
                .with_json_format(JsonFormat::JsonLines)
                .finish()
                .map_err(|_| DataError::Parse {
                    message: polars_message(&array_error),
                    path: path.to_path_buf(),
                })
        }
    }
}

/// A 1-D or 2-D numeric `.npy` array becomes columns `x0..x{d-1}`.
fn read_npy(path: &Path, file: File) -> Result<DataFrame, DataError> {
    let parse = |message: String| DataError::Parse {
        message,
        path: path.to_path_buf(),
    };
    let npy = npyz::NpyFile::new(BufReader::new(file)).map_err(|e| parse(e.to_string()))?;
    let shape = npy.shape().to_vec();
    let (n_rows, n_cols) = match shape.as_slice() {
        [n] => (*n as usize, 1),
        [n, d] => (*n as usize, *d as usize),
        _ => {
            return Err(parse(format!(
                "expected a 1-D or 2-D array, found shape {shape:?}"
            )));
        }
    };
    let fortran = matches!(npy.order(), npyz::Order::Fortran);
    let values = npy_values_f64(npy).map_err(parse)?;
    let columns = (0..n_cols)
        .map(|j| {
            let column: Vec<f64> = (0..n_rows)
                .map(|i| {
                    if fortran {
                        values[j * n_rows + i]
                    } else {
                        values[i * n_cols + j]
                    }
                })
                .collect();
            Column::new(format!("x{j}").into(), column)
        })
        .collect();
    DataFrame::new(n_rows, columns).map_err(|e| parse(polars_message(&e)))
}

fn npy_values_f64<R: std::io::Read>(npy: npyz::NpyFile<R>) -> Result<Vec<f64>, String> {
    fn collect<T: npyz::Deserialize, R: std::io::Read>(
        reader: npyz::NpyReader<T, R>,
        to_f64: impl Fn(T) -> f64,
    ) -> Result<Vec<f64>, String> {
        reader
            .map(|v| v.map(&to_f64).map_err(|e| e.to_string()))
            .collect()
    }
    let dtype = npy.dtype();
    let npy = match npy.try_data::<f64>() {
        Ok(r) => return collect(r, |v| v),
        Err(npy) => npy,
    };
    let npy = match npy.try_data::<f32>() {
        Ok(r) => return collect(r, f64::from),
        Err(npy) => npy,
    };
    let npy = match npy.try_data::<i64>() {
        Ok(r) => return collect(r, |v| v as f64),
        Err(npy) => npy,
    };
    let npy = match npy.try_data::<i32>() {
        Ok(r) => return collect(r, f64::from),
        Err(npy) => npy,
    };
    match npy.try_data::<u8>() {
        Ok(r) => collect(r, f64::from),
        Err(_) => Err(format!(
            "unsupported .npy element type {dtype:?} (expected a float or integer matrix)"
        )),
    }
}

/// Polars errors carry a kind prefix and sometimes a long hint; keep the first line.
pub(crate) fn polars_message(error: &PolarsError) -> String {
    error
        .to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}
