//! Label columns as the scoring and profiling commands read them: any column's values as
//! text (missing: None), numbered densely in a readable order.

use std::collections::BTreeMap;

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

/// Dense ids for label texts, and the texts in id order: numbers in numeric order (noise,
/// -1, first), other texts alphabetically.
pub(super) fn ids(values: &[&str]) -> (Vec<u32>, Vec<String>) {
    let distinct: std::collections::BTreeSet<&str> = values.iter().copied().collect();
    let mut order: Vec<&str> = distinct.into_iter().collect();
    let numbers: Option<Vec<f64>> = order.iter().map(|v| v.trim().parse().ok()).collect();
    if let Some(numbers) = numbers {
        let mut paired: Vec<(f64, &str)> = numbers.into_iter().zip(order).collect();
        paired.sort_by(|a, b| a.0.total_cmp(&b.0));
        order = paired.into_iter().map(|(_, v)| v).collect();
    }
    let index: BTreeMap<&str, u32> = order
        .iter()
        .enumerate()
        .map(|(i, v)| (*v, i as u32))
        .collect();
    let ids = values.iter().map(|v| index[v]).collect();
    (ids, order.into_iter().map(str::to_string).collect())
}

/// Whether a label text is the noise label (-1).
pub(super) fn is_noise(label: &str) -> bool {
    matches!(label.trim(), "-1" | "-1.0")
}
