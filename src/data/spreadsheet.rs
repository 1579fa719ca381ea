//! Excel and OpenDocument workbooks (`.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods`) through
//! calamine. A sheet is a table whose first row holds the column names; a column whose
//! filled cells are all numbers (or booleans) becomes Float64, any other becomes text. The
//! missing-value texts of delimited files (`NA`, `nan`, …) and error cells (`#N/A`,
//! `#DIV/0!`) are missing in numeric columns.

use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};
use polars::prelude::{Column, DataFrame, IntoColumn, NamedFrom, Series};

use super::DataError;
use super::read::MISSING_VALUE_TEXTS;

/// Extensions read as workbooks.
pub const WORKBOOK_EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xlsb", "xls", "ods"];

/// True for a path with a workbook extension.
pub fn is_workbook(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .is_some_and(|e| WORKBOOK_EXTENSIONS.contains(&e.as_str()))
}

fn parse_error(path: &Path, message: impl std::fmt::Display) -> DataError {
    DataError::Parse {
        message: message.to_string(),
        path: path.to_path_buf(),
    }
}

/// The workbook's sheet names, in order.
pub fn sheet_names(path: &Path) -> Result<Vec<String>, DataError> {
    Ok(open(path)?.sheet_names())
}

fn open(path: &Path) -> Result<calamine::Sheets<std::io::BufReader<std::fs::File>>, DataError> {
    open_workbook_auto(path)
        .map_err(|e| parse_error(path, format!("not a readable workbook ({e})")))
}

/// Reads sheet `sheet`, or the first sheet with cells when None; returns it with its name.
pub fn read_sheet(path: &Path, sheet: Option<&str>) -> Result<(DataFrame, String), DataError> {
    let mut workbook = open(path)?;
    let names = workbook.sheet_names();
    let chosen = match sheet {
        Some(sheet) => {
            if !names.iter().any(|n| n == sheet) {
                return Err(parse_error(
                    path,
                    format!("no sheet named '{sheet}' (sheets: {})", names.join(", ")),
                ));
            }
            let range = workbook
                .worksheet_range(sheet)
                .map_err(|e| parse_error(path, e))?;
            (sheet.to_string(), range)
        }
        None => {
            let mut found = None;
            for name in &names {
                let range = workbook
                    .worksheet_range(name)
                    .map_err(|e| parse_error(path, e))?;
                if range.height() > 1 {
                    found = Some((name.clone(), range));
                    break;
                }
            }
            found.ok_or_else(|| DataError::NoRows {
                path: path.to_path_buf(),
            })?
        }
    };
    let (name, range) = chosen;
    let mut rows = range.rows();
    let header = rows.next().ok_or_else(|| DataError::NoRows {
        path: path.to_path_buf(),
    })?;
    let body: Vec<&[Data]> = rows.collect();
    if body.is_empty() {
        return Err(DataError::NoRows {
            path: path.to_path_buf(),
        });
    }
    let names = column_names(header);
    let columns: Vec<Column> = names
        .iter()
        .enumerate()
        .map(|(index, name)| column(name, body.iter().map(|row| row.get(index))))
        .collect();
    let frame = DataFrame::new(body.len(), columns).map_err(|e| parse_error(path, e))?;
    Ok((frame, name))
}

/// Header cells as names: blanks become `column_N`, repeats get `_2`, `_3`…
fn column_names(header: &[Data]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(header.len());
    for (index, cell) in header.iter().enumerate() {
        let text = cell.to_string().trim().to_string();
        let base = if text.is_empty() {
            format!("column_{}", index + 1)
        } else {
            text
        };
        let mut name = base.clone();
        let mut copy = 2;
        while names.contains(&name) {
            name = format!("{base}_{copy}");
            copy += 1;
        }
        names.push(name);
    }
    names
}

fn is_missing(cell: &Data) -> bool {
    match cell {
        Data::Empty | Data::Error(_) => true,
        Data::String(text) => MISSING_VALUE_TEXTS.contains(&text.trim()),
        _ => false,
    }
}

fn number(cell: &Data) -> Option<f64> {
    match cell {
        Data::Int(v) => Some(*v as f64),
        Data::Float(v) => Some(*v),
        Data::Bool(v) => Some(f64::from(u8::from(*v))),
        _ => None,
    }
}

/// One sheet column: Float64 when every filled cell is a number, else text.
fn column<'a>(name: &str, cells: impl Iterator<Item = Option<&'a Data>> + Clone) -> Column {
    let numeric = cells
        .clone()
        .flatten()
        .all(|cell| is_missing(cell) || number(cell).is_some());
    if numeric {
        let values: Vec<Option<f64>> = cells
            .map(|cell| cell.filter(|c| !is_missing(c)).and_then(number))
            .collect();
        Series::new(name.into(), values).into_column()
    } else {
        let values: Vec<Option<String>> = cells
            .map(|cell| {
                cell.filter(|c| !matches!(c, Data::Empty))
                    .map(|c| c.to_string())
            })
            .collect();
        Series::new(name.into(), values).into_column()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_named_and_made_unique() {
        let header = [
            Data::String("x".into()),
            Data::Empty,
            Data::String("x".into()),
            Data::Float(3.0),
        ];
        assert_eq!(column_names(&header), ["x", "column_2", "x_2", "3"]);
    }

    #[test]
    fn numeric_columns_keep_numbers_and_missing_cells() {
        let cells = [
            Data::Int(1),
            Data::Float(2.5),
            Data::String("NA".into()),
            Data::Empty,
            Data::Bool(true),
        ];
        let column = column("v", cells.iter().map(Some).chain([None]));
        let values: Vec<Option<f64>> = column.f64().unwrap().iter().collect();
        assert_eq!(values, [Some(1.0), Some(2.5), None, None, Some(1.0), None]);
        let text = [Data::Int(1), Data::String("a".into())];
        let column = super::column("t", text.iter().map(Some));
        assert!(column.str().is_ok());
    }
}
