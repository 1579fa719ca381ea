//! `clusterscope info`: rows, columns, types and null counts of a table.

use std::path::Path;

use crate::data;

/// Prints the table's shape and columns (JSON with `json`).
pub fn run(input: &Path, json: bool) -> anyhow::Result<()> {
    let frame = data::read_table(input)?;
    let info = data::table_info(&frame);
    if json {
        println!("{}", serde_json::to_string(&info)?);
        return Ok(());
    }
    println!("{}", input.display());
    println!("rows: {}", info.n_rows);
    println!("columns: {}", info.n_columns);
    let width = info
        .columns
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(4)
        .max(6);
    println!("  {:width$}  {:<12}  {:>10}", "column", "type", "nulls");
    for column in &info.columns {
        println!(
            "  {:width$}  {:<12}  {:>10}",
            column.name, column.dtype, column.null_count
        );
    }
    Ok(())
}
