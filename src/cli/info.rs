//! `clusterscope info`: rows, columns, types and null counts of a table.

use std::path::Path;

use crate::data;

/// Prints the table's shape and columns (JSON with `json`).
pub fn run(input: &Path, sheet: Option<&str>, json: bool) -> anyhow::Result<()> {
    let (frame, sheet) = data::read_table_sheet(input, sheet)?;
    let info = data::table_info(&frame);
    let sheets = match &sheet {
        Some(_) => Some(data::spreadsheet::sheet_names(input)?),
        None => None,
    };
    if json {
        let mut value = serde_json::to_value(&info)?;
        if let (Some(sheet), Some(sheets)) = (&sheet, &sheets) {
            value["sheet"] = sheet.as_str().into();
            value["sheets"] = serde_json::to_value(sheets)?;
        }
        println!("{value}");
        return Ok(());
    }
    println!("{}", input.display());
    if let (Some(sheet), Some(sheets)) = (&sheet, &sheets) {
        println!("sheet: {sheet} (sheets: {})", sheets.join(", "));
    }
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
