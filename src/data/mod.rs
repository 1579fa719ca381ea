//! Tables in and out: reading any supported file into a polars `DataFrame`, turning chosen
//! columns into a feature matrix, and writing labeled results atomically.

mod attach;
mod decompress;
mod error;
mod export;
mod features;
mod info;
pub mod provenance;
mod quotes;
mod read;
pub mod spreadsheet;
mod temporaries;
mod vectors;

pub use attach::attach_columns;
pub use error::DataError;
pub use export::{
    LabeledExport, OutputFormat, check_output, ensure_output_is_not_input, export_labeled,
    export_labeled_with, output_format_for, remove_temporaries_on_signals, write_atomically,
    write_labeled, write_with_columns,
};
pub use features::{
    FeatureMatrix, Scaling, extract_features, feature_columns, label_like, numeric_columns,
};
pub use info::{ColumnInfo, TableInfo, table_info};
pub use provenance::{InputRecord, Provenance, now_utc, sidecar_path};
pub use read::{
    COMPRESSED_EXTENSIONS, SUPPORTED_EXTENSIONS, read_table, read_table_sheet,
    reader_panics_contained,
};
