//! Writes every original column plus an `Int32` cluster column, atomically.

use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::provenance::{self, METADATA_KEY, Provenance};
use super::read::polars_message;
use super::{DataError, temporaries};

/// File formats labeled data can be written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Csv,
    Tsv,
    Parquet,
}

/// Picks the output format from the extension of `path`.
pub fn output_format_for(path: &Path) -> Result<OutputFormat, DataError> {
    check_output(path, &["csv", "tsv", "parquet", "pq"])?;
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
            provenance: None,
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
    /// How the labels were made: Parquet metadata, or a sidecar beside a CSV/TSV.
    pub provenance: Option<&'a Provenance>,
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
    output_format_for(output)?;
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
    let mut added = vec![Column::new(label_column.into(), cluster)];
    for (name, values) in export.numbers {
        added.push(Column::new(name.as_str().into(), values.clone()));
    }
    for (name, values) in export.texts {
        added.push(Column::new(name.as_str().into(), values.clone()));
    }
    write_with_columns(frame, added, export.rows, export.provenance, output)
}

/// Writes the table with `added` columns (one value per table row; none may share a name
/// with a table column) to `output` atomically, only `rows` when given, with the record.
/// The caller has checked that `output` is not the input.
pub fn write_with_columns(
    frame: &DataFrame,
    added: Vec<Column>,
    rows: Option<&[u32]>,
    provenance: Option<&Provenance>,
    output: &Path,
) -> Result<(), DataError> {
    let format = output_format_for(output)?;
    let write_error = |message: String| DataError::Write {
        message,
        path: output.to_path_buf(),
    };
    let mut labeled = frame.clone();
    for column in added {
        if frame.column(column.name()).is_ok() {
            return Err(DataError::LabelColumnExists {
                column: column.name().to_string(),
            });
        }
        if column.len() != frame.height() {
            return Err(write_error(format!(
                "{} values of '{}' for {} rows",
                column.len(),
                column.name(),
                frame.height()
            )));
        }
        labeled
            .with_column(column)
            .map_err(|e| write_error(polars_message(&e)))?;
    }
    if let Some(rows) = rows {
        if let Some(&bad) = rows.iter().find(|&&r| r as usize >= frame.height()) {
            return Err(write_error(format!("row {bad} is outside the table")));
        }
        let indices = IdxCa::from_vec("rows".into(), rows.iter().map(|&r| r as IdxSize).collect());
        labeled = labeled
            .take(&indices)
            .map_err(|e| write_error(polars_message(&e)))?;
    }

    let record = provenance.map(Provenance::to_json);
    let metadata = record
        .clone()
        .map(|json| KeyValueMetadata::from_static(vec![(METADATA_KEY.to_string(), json)]));
    let table = Staged::write(output, |file| {
        match format {
            OutputFormat::Csv => CsvWriter::new(&mut *file).finish(&mut labeled),
            OutputFormat::Tsv => CsvWriter::new(&mut *file)
                .with_separator(b'\t')
                .finish(&mut labeled),
            OutputFormat::Parquet => ParquetWriter::new(&mut *file)
                .with_key_value_metadata(metadata)
                .finish(&mut labeled)
                .map(|_| ()),
        }
        .map_err(|e| polars_message(&e))
    })?;
    // CSV and TSV carry the record in a file beside them, staged before either is renamed
    // into place; a sidecar left from an earlier export would describe the wrong run.
    let sidecar_path = provenance::sidecar_path(output);
    let sidecar = match (&record, format) {
        (Some(json), OutputFormat::Csv | OutputFormat::Tsv) => {
            Some(Staged::write(&sidecar_path, |file| {
                file.write_all(json.as_bytes()).map_err(|e| e.to_string())
            })?)
        }
        _ => None,
    };
    table.commit()?;
    match sidecar {
        Some(sidecar) => sidecar.commit()?,
        None => {
            if sidecar_path.exists() {
                let _ = std::fs::remove_file(&sidecar_path);
            }
        }
    }
    Ok(())
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
    Staged::write(output, write)?.commit()
}

/// A file written and synced under a temporary name beside its destination, waiting to be
/// renamed into place. Dropped uncommitted, it is removed; killed by SIGINT or SIGTERM,
/// the signal handler removes it; killed harder, the next export to the folder does.
pub struct Staged {
    /// Taken by [`Staged::commit`].
    temporary: Option<tempfile::NamedTempFile>,
    output: PathBuf,
}

impl Staged {
    pub fn write(
        output: &Path,
        write: impl FnOnce(&mut std::fs::File) -> Result<(), String>,
    ) -> Result<Self, DataError> {
        let write_error = |message: String| DataError::Write {
            message,
            path: output.to_path_buf(),
        };
        let folder = folder_of(output);
        temporaries::remove_stale(&folder);
        let mut builder = tempfile::Builder::new();
        let prefix = temporaries::prefix();
        builder.prefix(&prefix).suffix(temporaries::SUFFIX);
        // Created 0666 less the umask, as any program's new file would be (tempfile's
        // default, 0600, would survive the rename).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let mut temporary = builder
            .tempfile_in(&folder)
            .map_err(|e| write_error(e.to_string()))?;
        temporaries::register(temporary.path());
        let fill = || {
            let file = temporary.as_file_mut();
            write(file)?;
            file.flush().map_err(|e| e.to_string())?;
            file.sync_all().map_err(|e| e.to_string())?;
            // A replaced file keeps its mode.
            if let Ok(existing) = std::fs::metadata(output) {
                std::fs::set_permissions(temporary.path(), existing.permissions())
                    .map_err(|e| e.to_string())?;
            }
            Ok::<(), String>(())
        };
        if let Err(message) = fill() {
            temporaries::unregister(temporary.path());
            return Err(write_error(message));
        }
        Ok(Self {
            temporary: Some(temporary),
            output: output.to_path_buf(),
        })
    }

    /// Renames the file into place.
    pub fn commit(mut self) -> Result<(), DataError> {
        let temporary = self.temporary.take().expect("committed once");
        let temporary_path = temporary.path().to_path_buf();
        let result = temporary
            .persist(&self.output)
            .map(|_| ())
            .map_err(|e| DataError::Write {
                message: e.error.to_string(),
                path: self.output.clone(),
            });
        temporaries::unregister(&temporary_path);
        result
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(temporary) = &self.temporary {
            temporaries::unregister(temporary.path());
        }
    }
}

fn folder_of(output: &Path) -> PathBuf {
    match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Removes the temporary files of exports in flight when the process gets SIGINT or
/// SIGTERM, then dies of the signal as it would have. Call once at start.
pub fn remove_temporaries_on_signals() {
    temporaries::on_signals();
}

/// Checks, before any work, that `output` can be written: its extension is one of
/// `extensions` and its folder exists.
pub fn check_output(output: &Path, extensions: &[&str]) -> Result<(), DataError> {
    let extension = output
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if !extensions.contains(&extension.as_str()) {
        return Err(DataError::UnsupportedExtension {
            extension,
            supported: extensions.join(", "),
            path: output.to_path_buf(),
        });
    }
    let folder = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !folder.is_dir() {
        return Err(DataError::Write {
            message: format!("the folder {} does not exist", folder.display()),
            path: output.to_path_buf(),
        });
    }
    if output.is_dir() {
        return Err(DataError::Write {
            message: "it is a folder".into(),
            path: output.to_path_buf(),
        });
    }
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
