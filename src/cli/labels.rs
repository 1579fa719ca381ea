//! Label columns as the scoring and profiling commands read them: any column's values as
//! text (missing: None); `metrics::external::dense_ids` numbers them.

use polars::prelude::{DataFrame, DataType};

/// The text of a label value, None when missing.
pub(super) fn label_texts(
    frame: &DataFrame,
    column: &str,
    input: &std::path::Path,
) -> anyhow::Result<Vec<Option<String>>> {
    let values = frame.column(column).map_err(|_| {
        let names: Vec<String> = frame
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        anyhow::anyhow!(
            "{} has no column '{column}' (it has {})",
            input.display(),
            names.join(", ")
        )
    })?;
    let text = values
        .cast(&DataType::String)
        .map_err(|e| anyhow::anyhow!("reading column '{column}' of {}: {e}", input.display()))?;
    let text = text.str()?.clone();
    Ok(text.iter().map(|v| v.map(str::to_string)).collect())
}

/// Whether a label text is the noise label (-1).
pub(super) fn is_noise(label: &str) -> bool {
    matches!(label.trim(), "-1" | "-1.0")
}
