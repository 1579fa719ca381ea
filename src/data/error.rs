use std::path::PathBuf;

/// Everything that can go wrong between a file on disk and a feature matrix.
/// Messages name the file or column, paths last.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("unsupported file type '.{extension}' (supported: {supported}): {path}")]
    UnsupportedExtension {
        extension: String,
        supported: String,
        path: PathBuf,
    },
    #[error("cannot parse the table: {message}: {path}")]
    Parse { message: String, path: PathBuf },
    #[error("the table has no rows: {path}")]
    NoRows { path: PathBuf },
    #[error("the table has no numeric column to cluster on: {path}")]
    NoNumericColumn { path: PathBuf },
    #[error("unknown column '{column}' (columns: {available})")]
    UnknownColumn { column: String, available: String },
    #[error("column '{column}' is not numeric (type {dtype})")]
    NonNumericColumn { column: String, dtype: String },
    #[error("no column selected as a feature")]
    NoFeatures,
    #[error("every row has a missing, NaN or infinite value in the chosen columns ({columns})")]
    NoUsableRows { columns: String },
    #[error(
        "value {value:e} in column '{column}', row {row} (0-based) is too large: squared \
         distances would overflow 32-bit floats (the largest usable magnitude here is \
         {largest:.2e}); scale the features (standardize or min-max: `--scale standard` or \
         `--scale minmax`) or leave the column out"
    )]
    ValueTooLarge {
        column: String,
        row: usize,
        value: f64,
        largest: f64,
    },
    #[error(
        "the chosen columns vary by at most {spread:e} (column '{column}'): squared distances \
         between rows would underflow 32-bit floats (every column should vary by more than \
         {smallest:.1e}); scale the features (standardize or min-max: `--scale standard` \
         or `--scale minmax`)"
    )]
    ValuesTooSmall {
        column: String,
        spread: f64,
        smallest: f64,
    },
    #[error("the output would overwrite the input file: {path}")]
    WouldOverwriteInput { path: PathBuf },
    #[error("the table already has a column named '{column}'; choose another label column name")]
    LabelColumnExists { column: String },
    #[error("no record of how {path} was made: {why}")]
    NoProvenance { why: String, path: PathBuf },
    #[error("cannot write {path}: {message}")]
    Write { message: String, path: PathBuf },
}
