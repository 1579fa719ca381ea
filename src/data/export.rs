//! Writes every original column plus an `Int32` cluster column, atomically.

use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::DataError;
use super::read::polars_message;

/// File formats labeled data can be written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Csv,
    Tsv,
    Parquet,
}

/// Picks the output format from the extension of `path`.
pub fn output_format_for(path: &Path) -> Result<OutputFormat, DataError> {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "csv" => Ok(OutputFormat::Csv),
        "tsv" => Ok(OutputFormat::Tsv),
        "parquet" | "pq" => Ok(OutputFormat::Parquet),
        _ => Err(DataError::UnsupportedExtension {
            extension,
            supported: "csv, tsv, parquet".into(),
            path: path.to_path_buf(),
        }),
    }
}

/// Writes `frame` with `labels` (one per table row, `None` = left out → null) as column
/// `label_column` to `output`. The file appears whole or not at all (temporary file in the
/// same folder, then rename), and `input` is never overwritten.
pub fn export_labeled(
    frame: &DataFrame,
    labels: &[Option<u32>],
    label_column: &str,
    output: &Path,
    input: Option<&Path>,
) -> Result<(), DataError> {
    export_labeled_with(frame, labels, label_column, &[], output, input)
}

/// [`export_labeled`] with further per-row float columns (e.g. HDBSCAN's membership
/// probabilities), `None` = null. Noise labels (`u32::MAX`) are written as -1.
pub fn export_labeled_with(
    frame: &DataFrame,
    labels: &[Option<u32>],
    label_column: &str,
    extra: &[(String, Vec<Option<f64>>)],
    output: &Path,
    input: Option<&Path>,
) -> Result<(), DataError> {
    write_labeled(
        frame,
        &LabeledExport {
            labels,
            label_column,
            numbers: extra,
            texts: &[],
            rows: None,
        },
        output,
        input,
    )
}

/// What a labeled export adds to the table.
pub struct LabeledExport<'a> {
    /// One per table row; None = not clustered (null); noise (`u32::MAX`) = -1.
    pub labels: &'a [Option<u32>],
    pub label_column: &'a str,
    /// Further float columns, one value per table row.
    pub numbers: &'a [(String, Vec<Option<f64>>)],
    /// Further text columns (cluster names), one value per table row.
    pub texts: &'a [(String, Vec<Option<String>>)],
    /// Only these table rows, in this order (a selection); every row when None.
    pub rows: Option<&'a [u32]>,
}

/// Writes the table with its added columns to `output` atomically (temporary file in the
/// same folder, then a rename); refuses to write over `input`.
pub fn write_labeled(
    frame: &DataFrame,
    export: &LabeledExport<'_>,
    output: &Path,
    input: Option<&Path>,
) -> Result<(), DataError> {
    let (labels, label_column) = (export.labels, export.label_column);
    let format = output_format_for(output)?;
    if let Some(input) = input {
        ensure_output_is_not_input(input, output)?;
    }
    if frame.column(label_column).is_ok() {
        return Err(DataError::LabelColumnExists {
            column: label_column.to_string(),
        });
    }
    let write_error = |message: String| DataError::Write {
        message,
        path: output.to_path_buf(),
    };
    if labels.len() != frame.height() {
        return Err(write_error(format!(
            "{} labels for {} rows",
            labels.len(),
            frame.height()
        )));
    }
    let cluster: Vec<Option<i32>> = labels.iter().map(|l| l.map(|v| v as i32)).collect();
    let mut labeled = frame.clone();
    labeled
        .with_column(Column::new(label_column.into(), cluster))
        .map_err(|e| write_error(polars_message(&e)))?;
    let taken = |name: &str| DataError::LabelColumnExists {
        column: name.to_string(),
    };
    for (name, values) in export.numbers {
        if frame.column(name).is_ok() {
            return Err(taken(name));
        }
        labeled
            .with_column(Column::new(name.as_str().into(), values.clone()))
            .map_err(|e| write_error(polars_message(&e)))?;
    }
    for (name, values) in export.texts {
        if frame.column(name).is_ok() {
            return Err(taken(name));
        }
        labeled
            .with_column(Column::new(name.as_str().into(), values.clone()))
            .map_err(|e| write_error(polars_message(&e)))?;
    }
    if let Some(rows) = export.rows {
        if let Some(&bad) = rows.iter().find(|&&r| r as usize >= frame.height()) {
            return Err(write_error(format!("row {bad} is outside the table")));
        }
        let indices = IdxCa::from_vec("rows".into(), rows.iter().map(|&r| r as IdxSize).collect());
        labeled = labeled
            .take(&indices)
            .map_err(|e| write_error(polars_message(&e)))?;
    }

    write_atomically(output, None, |file| {
        match format {
            OutputFormat::Csv => CsvWriter::new(&mut *file).finish(&mut labeled),
            OutputFormat::Tsv => CsvWriter::new(&mut *file)
                .with_separator(b'\t')
                .finish(&mut labeled),
            OutputFormat::Parquet => ParquetWriter::new(&mut *file)
                .finish(&mut labeled)
                .map(|_| ()),
        }
        .map_err(|e| polars_message(&e))
    })
}

/// Writes `output` whole or not at all: `write` fills a temporary file in the same folder,
/// which is flushed, synced and renamed over `output`. Refuses to write over `input`.
pub fn write_atomically(
    output: &Path,
    input: Option<&Path>,
    write: impl FnOnce(&mut std::fs::File) -> Result<(), String>,
) -> Result<(), DataError> {
    if let Some(input) = input {
        ensure_output_is_not_input(input, output)?;
    }
    let write_error = |message: String| DataError::Write {
        message,
        path: output.to_path_buf(),
    };
    let folder = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut temporary = tempfile::Builder::new()
        .prefix(".clusterscope-export-")
        .suffix(".tmp")
        .tempfile_in(&folder)
        .map_err(|e| write_error(e.to_string()))?;
    {
        let file = temporary.as_file_mut();
        write(file).map_err(write_error)?;
        file.flush().map_err(|e| write_error(e.to_string()))?;
        file.sync_all().map_err(|e| write_error(e.to_string()))?;
    }
    temporary
        .persist(output)
        .map_err(|e| write_error(e.error.to_string()))?;
    Ok(())
}

/// Refuses an output path that names the input file.
pub fn ensure_output_is_not_input(input: &Path, output: &Path) -> Result<(), DataError> {
    if same_file(input, output) {
        return Err(DataError::WouldOverwriteInput {
            path: output.to_path_buf(),
        });
    }
    Ok(())
}

/// True when both paths name the same file (the output need not exist yet).
fn same_file(a: &Path, b: &Path) -> bool {
    let canonical = |p: &Path| -> Option<PathBuf> {
        if let Ok(c) = p.canonicalize() {
            return Some(c);
        }
        let parent = match p.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.canonicalize().ok()?,
            _ => std::env::current_dir().ok()?,
        };
        Some(parent.join(p.file_name()?))
    };
    matches!((canonical(a), canonical(b)), (Some(x), Some(y)) if x == y)
}
