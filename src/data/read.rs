//! Reads CSV, TSV, Parquet, JSON / NDJSON, Arrow IPC, NumPy `.npy` files and workbooks
//! (`spreadsheet.rs`) into a `DataFrame`.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use polars::prelude::*;

use super::DataError;

/// File extensions `read_table` understands (lower case).
pub const SUPPORTED_EXTENSIONS: &[&str] = &[
    "csv", "tsv", "tab", "txt", "parquet", "pq", "json", "ndjson", "jsonl", "arrow", "ipc",
    "feather", "npy", "xlsx", "xlsm", "xlsb", "xls", "ods",
];

/// Compression suffixes read as the format of the name before them (`table.csv.gz`).
pub const COMPRESSED_EXTENSIONS: &[&str] = &["gz", "gzip", "zst", "zstd"];

/// Reads a table from `path`, choosing the reader by extension (after a compression
/// suffix: `.csv.gz`, `.tsv.zst`). Never modifies the file.
pub fn read_table(path: &Path) -> Result<DataFrame, DataError> {
    read_table_sheet(path, None).map(|(frame, _)| frame)
}

/// [`read_table`], choosing a workbook's sheet (None: its first sheet with cells); returns
/// the sheet read (None for files that are not workbooks, where `sheet` must be None).
pub fn read_table_sheet(
    path: &Path,
    sheet: Option<&str>,
) -> Result<(DataFrame, Option<String>), DataError> {
    if super::spreadsheet::is_workbook(path) {
        check_regular(path)?;
        return contain_reader_panics(path, || {
            super::spreadsheet::read_sheet(path, sheet).map(|(frame, name)| (frame, Some(name)))
        });
    }
    if let Some(sheet) = sheet {
        return Err(DataError::Parse {
            message: format!(
                "a sheet ('{sheet}') is chosen, but only workbooks ({}) have sheets",
                super::spreadsheet::WORKBOOK_EXTENSIONS.join(", ")
            ),
            path: path.to_path_buf(),
        });
    }
    read_delimited_or_binary(path).map(|frame| (frame, None))
}

fn read_delimited_or_binary(path: &Path) -> Result<DataFrame, DataError> {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    contain_reader_panics(path, || {
        if COMPRESSED_EXTENSIONS.contains(&extension.as_str()) {
            return super::decompress::read_compressed(path, &extension);
        }
        read_as(path, &extension)
    })
}

/// Readers being run under [`contain_reader_panics`] (on any thread).
static CONTAINED_READERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// True while a reader's panics are being turned into errors: the process's panic hook
/// stays quiet then (the error reaches the user instead).
pub fn reader_panics_contained() -> bool {
    CONTAINED_READERS.load(std::sync::atomic::Ordering::Relaxed) > 0
}

/// Runs a reader, turning a panic inside it into a parse error naming the file. The
/// Parquet, Arrow IPC and JSON readers panic on some damaged files (out-of-range offsets,
/// malformed thrift, unsupported types): found by `tests/fuzz.rs`.
fn contain_reader_panics<T>(
    path: &Path,
    read: impl FnOnce() -> Result<T, DataError>,
) -> Result<T, DataError> {
    use std::sync::atomic::Ordering;
    CONTAINED_READERS.fetch_add(1, Ordering::Relaxed);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    CONTAINED_READERS.fetch_sub(1, Ordering::Relaxed);
    outcome.unwrap_or_else(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(DataError::Parse {
            message: format!("the file is damaged or not what its extension says ({detail})"),
            path: path.to_path_buf(),
        })
    })
}

/// Reads `path` with the reader for `extension`.
pub(super) fn read_as(path: &Path, extension: &str) -> Result<DataFrame, DataError> {
    let extension = extension.to_string();
    let io_error = |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let parse_error = |error: PolarsError| DataError::Parse {
        message: polars_message(&error),
        path: path.to_path_buf(),
    };
    let file = || File::open(path).map_err(io_error);

    check_regular(path)?;

    let frame = match extension.as_str() {
        "csv" | "txt" => {
            super::quotes::check_quotes(path, b',')?;
            read_delimited(path, b',').map_err(parse_error)?
        }
        "tsv" | "tab" => {
            super::quotes::check_quotes(path, b'\t')?;
            read_delimited(path, b'\t').map_err(parse_error)?
        }
        "parquet" | "pq" => ParquetReader::new(file()?).finish().map_err(parse_error)?,
        "json" => {
            check_json_depth(path)?;
            read_json(path, file()?)?
        }
        "ndjson" | "jsonl" => {
            check_json_depth(path)?;
            JsonReader::new(file()?)
                .with_json_format(JsonFormat::JsonLines)
                .finish()
                .map_err(parse_error)?
        }
        "arrow" | "ipc" | "feather" => IpcReader::new(file()?).finish().map_err(parse_error)?,
        "npy" => read_npy(path, file()?)?,
        "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => super::spreadsheet::read_sheet(path, None)?.0,
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
    super::vectors::expand_vector_columns(frame, path)
}

/// Refuses what is not a regular file (a directory, a FIFO that would block forever, a
/// device), and a missing file as "cannot read", whatever the extension.
fn check_regular(path: &Path) -> Result<(), DataError> {
    let io_error = |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(io_error)?;
    if metadata.is_file() {
        return Ok(());
    }
    let what = if metadata.is_dir() {
        "is a directory"
    } else {
        "is not a regular file"
    };
    Err(io_error(std::io::Error::other(what)))
}

/// Texts that stand for a missing value in delimited files, as pandas reads them.
pub const MISSING_VALUE_TEXTS: &[&str] = &[
    "", "NA", "N/A", "n/a", "na", "NaN", "nan", "NAN", "null", "NULL", "Null", "None", "-nan",
    "#N/A",
];

fn read_delimited(path: &Path, separator: u8) -> PolarsResult<DataFrame> {
    let missing: Vec<PlSmallStr> = MISSING_VALUE_TEXTS.iter().map(|t| (*t).into()).collect();
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(10_000))
        .map_parse_options(|options| {
            options
                .with_separator(separator)
                .with_try_parse_dates(false)
                .with_null_values(Some(NullValues::AllColumns(missing.clone())))
        })
        .try_into_reader_with_file_path(Some(path.to_path_buf()))?
        .finish()
}

/// Deepest nesting a JSON table may have: tables nest a level or two; the parser recurses
/// per level, so thousands of levels would overflow the stack.
pub const MAX_JSON_DEPTH: usize = 256;

/// Refuses JSON nested deeper than [`MAX_JSON_DEPTH`], reading it once (strings skipped).
fn check_json_depth(path: &Path) -> Result<(), DataError> {
    use std::io::Read;
    let file = File::open(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = BufReader::new(file);
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut buffer = [0u8; 1 << 16];
    loop {
        let read = reader.read(&mut buffer).map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if read == 0 {
            return Ok(());
        }
        for &byte in &buffer[..read] {
            if in_string {
                match (escaped, byte) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match byte {
                b'"' => in_string = true,
                b'[' | b'{' => {
                    depth += 1;
                    if depth > MAX_JSON_DEPTH {
                        return Err(DataError::Parse {
                            message: format!(
                                "JSON nested deeper than {MAX_JSON_DEPTH} levels; a table is an \
                                 array of flat objects"
                            ),
                            path: path.to_path_buf(),
                        });
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
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

/// The value of `key` in a Parquet file's key-value metadata, if it has one.
pub(super) fn parquet_metadata(path: &Path, key: &str) -> Result<Option<String>, DataError> {
    let file = File::open(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = ParquetReader::new(file);
    let metadata = reader.get_metadata().map_err(|e| DataError::Parse {
        message: polars_message(&e),
        path: path.to_path_buf(),
    })?;
    Ok(metadata
        .key_value_metadata()
        .iter()
        .flatten()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.clone()))
}
