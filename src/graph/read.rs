//! Graphs from files: edge lists in any table format `data::read_table` reads (CSV, TSV,
//! Parquet, JSON, Arrow IPC, workbooks), whitespace-separated edge lists (`.edges`,
//! `.el`, SNAP's `.txt`: `#` and `%` lines are comments), and GraphML. An optional node
//! table joins attributes by id. Never modifies a file.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use quick_xml::events::{BytesStart, Event};

use super::{Graph, NodeIds};
use crate::data::{DataError, read_table};

/// Column names guessed for an edge's ends and weight, in order of preference (case
/// ignored); without a match the first two columns are the ends.
const SOURCE_NAMES: &[&str] = &["source", "src", "from", "node1", "u", "a"];
const TARGET_NAMES: &[&str] = &["target", "dst", "to", "node2", "v", "b"];
const WEIGHT_NAMES: &[&str] = &["weight", "w", "value"];
/// One edge as read: its ends' node indices and its weight.
type Edge = (u32, u32, f64);
/// Extensions read as whitespace-separated edge lists.
pub const PLAIN_EDGE_LIST_EXTENSIONS: &[&str] = &["edges", "el", "txt"];

/// Which columns hold an edge's ends and weight; None: guessed (see the constants above).
#[derive(Clone, Debug, Default)]
pub struct EdgeColumns {
    pub source: Option<String>,
    pub target: Option<String>,
    pub weight: Option<String>,
}

/// A graph read from a file, with its node attributes.
pub struct GraphInput {
    pub graph: Graph,
    /// One row per node in the graph's node order when a node table or GraphML gave
    /// attributes; the first column is the node id.
    pub attributes: Option<DataFrame>,
    /// The columns used, as "source → target (weight)".
    pub columns_used: String,
}

fn parse_error(path: &Path, message: impl Into<String>) -> DataError {
    DataError::Parse {
        message: message.into(),
        path: path.to_path_buf(),
    }
}

/// Reads the graph at `path`; `nodes` is an optional node table (`node_column` its id
/// column, guessed as "node", "id" or the first column), whose ids must include every
/// edge's ends. Nodes of the table without edges stay as isolated nodes.
pub fn read_graph(
    path: &Path,
    columns: &EdgeColumns,
    nodes: Option<(&Path, Option<&str>)>,
) -> Result<GraphInput, DataError> {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut ids = NodeIds::default();
    let mut attributes = None;
    if let Some((node_path, node_column)) = nodes {
        let table = read_table(node_path)?;
        let column = node_column_of(&table, node_column)?;
        let id_values = ids_of(&table, &column, node_path)?;
        for (row, id) in id_values.iter().enumerate() {
            if ids.get(id).is_some() {
                return Err(parse_error(
                    node_path,
                    format!("node '{id}' appears twice in column '{column}' (row {row}, 0-based)"),
                ));
            }
            ids.intern(id);
        }
        attributes = Some(table);
    }
    let joined = attributes.is_some();
    let (edges, columns_used, graphml_attributes) = if extension == "graphml" {
        let (edges, attributes) = read_graphml(path, columns, &mut ids, joined)?;
        (edges, "GraphML edges".to_string(), attributes)
    } else if PLAIN_EDGE_LIST_EXTENSIONS.contains(&extension.as_str()) {
        let (edges, used) = read_plain(path, &mut ids, joined)?;
        (edges, used, None)
    } else {
        let table = read_table(path)?;
        let (edges, used) = edges_of_table(&table, columns, &mut ids, joined, path)?;
        (edges, used, None)
    };
    let graph =
        Graph::from_edges(ids.names, &edges).map_err(|e| parse_error(path, e.to_string()))?;
    Ok(GraphInput {
        graph,
        attributes: attributes.or(graphml_attributes),
        columns_used,
    })
}

/// The node id of an edge end: added when new, or, with a node table, looked up there.
fn end(
    ids: &mut NodeIds,
    name: &str,
    joined: bool,
    edge: usize,
    path: &Path,
) -> Result<u32, DataError> {
    if joined {
        return ids.get(name).ok_or_else(|| {
            parse_error(
                path,
                format!(
                    "edge {edge} (0-based) names node '{name}', which is not in the node table"
                ),
            )
        });
    }
    Ok(ids.intern(name))
}

fn find_named(frame: &DataFrame, wanted: &[&str]) -> Option<String> {
    wanted.iter().find_map(|w| {
        frame
            .get_column_names()
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(w))
            .map(|c| c.to_string())
    })
}

fn column_list(frame: &DataFrame) -> String {
    frame
        .get_column_names()
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn known_column(frame: &DataFrame, name: &str) -> Result<String, DataError> {
    if frame.column(name).is_ok() {
        return Ok(name.to_string());
    }
    Err(DataError::UnknownColumn {
        column: name.to_string(),
        available: column_list(frame),
    })
}

fn node_column_of(frame: &DataFrame, given: Option<&str>) -> Result<String, DataError> {
    match given {
        Some(name) => known_column(frame, name),
        None => find_named(frame, &["node", "id", "name"])
            .or_else(|| frame.get_column_names().first().map(|c| c.to_string()))
            .ok_or(DataError::NoFeatures),
    }
}

/// A column's values as ids: integers print without a decimal point, text as is; a
/// missing id is an error naming its row.
fn ids_of(frame: &DataFrame, column: &str, path: &Path) -> Result<Vec<String>, DataError> {
    let series = frame
        .column(column)
        .map_err(|e| parse_error(path, e.to_string()))?
        .as_materialized_series()
        .clone();
    let text = if series.dtype().is_float() {
        let values = series
            .f64()
            .map_err(|e| parse_error(path, e.to_string()))?
            .clone();
        if values
            .iter()
            .flatten()
            .any(|v| v.fract() != 0.0 || !v.is_finite())
        {
            return Err(parse_error(
                path,
                format!(
                    "column '{column}' holds fractional numbers; node ids are text or integers"
                ),
            ));
        }
        series.cast(&DataType::Int64)
    } else {
        Ok(series)
    }
    .and_then(|s| s.cast(&DataType::String))
    .map_err(|e| parse_error(path, e.to_string()))?;
    let values = text.str().map_err(|e| parse_error(path, e.to_string()))?;
    values
        .iter()
        .enumerate()
        .map(|(row, v)| {
            v.map(|s| s.trim().to_string()).ok_or_else(|| {
                parse_error(
                    path,
                    format!("row {row} (0-based) has no node id in column '{column}'"),
                )
            })
        })
        .collect()
}

fn edges_of_table(
    table: &DataFrame,
    columns: &EdgeColumns,
    ids: &mut NodeIds,
    joined: bool,
    path: &Path,
) -> Result<(Vec<Edge>, String), DataError> {
    let names = table.get_column_names();
    let nth = |i: usize| names.get(i).map(|c| c.to_string());
    let source = match &columns.source {
        Some(name) => known_column(table, name)?,
        None => find_named(table, SOURCE_NAMES)
            .or_else(|| nth(0))
            .ok_or_else(|| parse_error(path, "the edge list has no columns"))?,
    };
    let target = match &columns.target {
        Some(name) => known_column(table, name)?,
        None => find_named(table, TARGET_NAMES)
            .filter(|t| *t != source)
            .or_else(|| names.iter().map(|c| c.to_string()).find(|c| *c != source))
            .ok_or_else(|| {
                parse_error(
                    path,
                    format!(
                        "the edge list needs two columns (a source and a target); it has {}",
                        column_list(table)
                    ),
                )
            })?,
    };
    if source == target {
        return Err(parse_error(
            path,
            format!("the source and target columns are both '{source}'"),
        ));
    }
    let weight = match &columns.weight {
        Some(name) => Some(known_column(table, name)?),
        None => find_named(table, WEIGHT_NAMES).filter(|w| *w != source && *w != target),
    };
    let sources = ids_of(table, &source, path)?;
    let targets = ids_of(table, &target, path)?;
    let weights: Vec<f64> = match &weight {
        Some(name) => {
            let column = table
                .column(name)
                .map_err(|e| parse_error(path, e.to_string()))?;
            if !column.dtype().is_primitive_numeric() {
                return Err(DataError::NonNumericColumn {
                    column: name.clone(),
                    dtype: column.dtype().to_string(),
                });
            }
            let values = column
                .cast(&DataType::Float64)
                .map_err(|e| parse_error(path, e.to_string()))?;
            let values = values
                .f64()
                .map_err(|e| parse_error(path, e.to_string()))?
                .clone();
            values
                .iter()
                .enumerate()
                .map(|(row, v)| {
                    v.ok_or_else(|| {
                        parse_error(
                            path,
                            format!(
                                "edge {row} (0-based) has no weight in column '{name}' (empty or not a number): weights must be finite and not negative"
                            ),
                        )
                    })
                })
                .collect::<Result<_, _>>()?
        }
        None => vec![1.0; sources.len()],
    };
    let mut edges = Vec::with_capacity(sources.len());
    for (edge, ((s, t), w)) in sources.iter().zip(&targets).zip(&weights).enumerate() {
        let u = end(ids, s, joined, edge, path)?;
        let v = end(ids, t, joined, edge, path)?;
        edges.push((u, v, *w));
    }
    let used = match weight {
        Some(w) => format!("{source} → {target} (weight {w})"),
        None => format!("{source} → {target} (unweighted)"),
    };
    Ok((edges, used))
}

/// A whitespace-separated edge list: `source target [weight]` per line. A first line
/// whose third field is not a number, or whose first field is a guessed column name, is
/// a header.
fn read_plain(
    path: &Path,
    ids: &mut NodeIds,
    joined: bool,
) -> Result<(Vec<Edge>, String), DataError> {
    let text = std::fs::read_to_string(path).map_err(|source| DataError::Io {
        path: PathBuf::from(path),
        source,
    })?;
    let mut edges = Vec::new();
    let mut weighted = false;
    let mut first = true;
    for (line_number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('%') {
            continue;
        }
        let fields: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|f| !f.is_empty())
            .collect();
        if first {
            first = false;
            let header = SOURCE_NAMES
                .iter()
                .any(|n| fields[0].eq_ignore_ascii_case(n))
                || fields.get(2).is_some_and(|w| w.parse::<f64>().is_err());
            if header {
                continue;
            }
        }
        if fields.len() < 2 {
            return Err(parse_error(
                path,
                format!(
                    "line {} has one field; an edge needs a source and a target",
                    line_number + 1
                ),
            ));
        }
        let weight = match fields.get(2) {
            Some(w) => {
                weighted = true;
                w.parse::<f64>().map_err(|_| {
                    parse_error(
                        path,
                        format!("line {}: weight '{w}' is not a number", line_number + 1),
                    )
                })?
            }
            None => 1.0,
        };
        let edge = edges.len();
        let u = end(ids, fields[0], joined, edge, path)?;
        let v = end(ids, fields[1], joined, edge, path)?;
        edges.push((u, v, weight));
    }
    let used = if weighted {
        "fields 1 → 2 (weight field 3)"
    } else {
        "fields 1 → 2 (unweighted)"
    };
    Ok((edges, used.to_string()))
}

/// One `<key>` of a GraphML file.
struct Key {
    id: String,
    name: String,
    for_edges: bool,
}

fn attribute(element: &BytesStart<'_>, name: &str) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.to_string())
        })
}

/// GraphML: `<node id>`, `<edge source target>`, edge data named by the weight column
/// ("weight" unless given) as the weight, node data as attributes (text columns).
fn read_graphml(
    path: &Path,
    columns: &EdgeColumns,
    ids: &mut NodeIds,
    joined: bool,
) -> Result<(Vec<Edge>, Option<DataFrame>), DataError> {
    let mut reader = quick_xml::Reader::from_file(path).map_err(|e| match e {
        quick_xml::Error::Io(source) => DataError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(source.kind(), source.to_string()),
        },
        other => parse_error(path, other.to_string()),
    })?;
    let weight_name = columns.weight.clone().unwrap_or_else(|| "weight".into());
    let mut keys: Vec<Key> = Vec::new();
    let mut edges = Vec::new();
    let mut node_data: Vec<(u32, String, String)> = Vec::new();
    // Where the parser is: the current node or edge, and the data key being read.
    let mut current_node: Option<u32> = None;
    let mut current_edge: Option<usize> = None;
    let mut data_key: Option<String> = None;
    let mut data_text = String::new();
    let mut saw_graph = false;
    let mut buffer = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buffer).map_err(|e| {
            parse_error(
                path,
                format!("GraphML at byte {}: {e}", reader.buffer_position()),
            )
        })?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                match e.local_name().as_ref() {
                    "graph" => saw_graph = true,
                    "key" => keys.push(Key {
                        id: attribute(e, "id").unwrap_or_default(),
                        name: attribute(e, "attr.name")
                            .or_else(|| attribute(e, "id"))
                            .unwrap_or_default(),
                        for_edges: attribute(e, "for").as_deref() == Some("edge"),
                    }),
                    "node" => {
                        let id = attribute(e, "id")
                            .ok_or_else(|| parse_error(path, "a <node> has no id"))?;
                        let index = if joined {
                            end(ids, &id, true, edges.len(), path)?
                        } else {
                            ids.intern(&id)
                        };
                        current_node = (!empty).then_some(index);
                    }
                    "edge" => {
                        let (Some(s), Some(t)) = (attribute(e, "source"), attribute(e, "target"))
                        else {
                            return Err(parse_error(
                                path,
                                format!(
                                    "edge {} (0-based) lacks a source or a target",
                                    edges.len()
                                ),
                            ));
                        };
                        let edge = edges.len();
                        let u = end(ids, &s, joined, edge, path)?;
                        let v = end(ids, &t, joined, edge, path)?;
                        edges.push((u, v, 1.0));
                        current_edge = (!empty).then_some(edge);
                    }
                    "data" if !empty => {
                        data_key = attribute(e, "key");
                        data_text.clear();
                    }
                    _ => {}
                }
            }
            Event::Text(text) if data_key.is_some() => data_text.push_str(&text.xml10_content()),
            Event::GeneralRef(reference) if data_key.is_some() => {
                if let Ok(Some(c)) = reference.resolve_char_ref() {
                    data_text.push(c);
                } else if let Some(text) =
                    quick_xml::escape::resolve_predefined_entity(&reference.xml10_content())
                {
                    data_text.push_str(text);
                }
            }
            Event::End(ref e) => {
                match e.local_name().as_ref() {
                    "node" => current_node = None,
                    "edge" => current_edge = None,
                    "data" => {
                        if let Some(key) = data_key.take() {
                            let value = data_text.trim().to_string();
                            data_text.clear();
                            let declared = keys.iter().find(|k| k.id == key);
                            let name = declared.map_or(key.clone(), |k| k.name.clone());
                            if let Some(edge) = current_edge
                                && declared.is_none_or(|k| k.for_edges)
                                && name == weight_name
                            {
                                edges[edge].2 = value.parse::<f64>().map_err(|_| {
                                parse_error(
                                    path,
                                    format!("edge {edge} (0-based): weight '{value}' is not a number"),
                                )
                            })?;
                            } else if let Some(node) = current_node {
                                node_data.push((node, name, value));
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buffer.clear();
    }
    if !saw_graph {
        return Err(parse_error(path, "no <graph> element: not a GraphML file"));
    }
    let attributes =
        (!node_data.is_empty() && !joined).then(|| graphml_table(&ids.names, &node_data));
    Ok((
        edges,
        attributes.transpose().map_err(|e| parse_error(path, e))?,
    ))
}

/// Node attributes as a table: `node` then one text column per attribute name.
fn graphml_table(nodes: &[String], data: &[(u32, String, String)]) -> Result<DataFrame, String> {
    let mut names: Vec<&str> = Vec::new();
    for (_, name, _) in data {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    let mut columns = vec![Column::new("node".into(), nodes.to_vec())];
    for name in names {
        let mut values: Vec<Option<String>> = vec![None; nodes.len()];
        for (node, _, value) in data.iter().filter(|(_, n, _)| n == name) {
            values[*node as usize] = Some(value.clone());
        }
        let column_name = if name == "node" {
            "node_attribute"
        } else {
            name
        };
        columns.push(Column::new(column_name.into(), values));
    }
    DataFrame::new(nodes.len(), columns).map_err(|e| e.to_string())
}
