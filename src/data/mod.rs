//! Tables in and out: reading any supported file into a polars `DataFrame`, turning chosen
//! columns into a feature matrix, and writing labeled results atomically.

mod error;
mod export;
mod features;
mod info;
mod read;

pub use error::DataError;
pub use export::{
    LabeledExport, OutputFormat, ensure_output_is_not_input, export_labeled, export_labeled_with,
    output_format_for, write_atomically, write_labeled,
};
pub use features::{FeatureMatrix, Scaling, extract_features, numeric_columns};
pub use info::{ColumnInfo, TableInfo, table_info};
pub use read::{SUPPORTED_EXTENSIONS, read_table};
