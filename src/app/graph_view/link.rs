//! Linking the Graph pane with the rest of the window. "Nodes as a table" opens the graph's
//! nodes as the window's table (node, degree, community, then the node attributes), so the
//! scatter can plot the attributes, the Selection pane lists nodes and the colour-by menu
//! offers the communities. While that table is open the two share one selection: a lasso
//! in the graph selects those rows everywhere, and a selection made in any other view
//! rings its nodes in the graph. Node i is table row i.

use std::sync::{Arc, Weak};

use polars::prelude::{Column, DataFrame, DataType};

use super::GraphView;
use crate::app::{ClusterscopeApp, LoadedTable, Selection};

/// What the graph's lasso or click did this frame.
#[derive(Clone, Debug, PartialEq)]
pub enum LassoOutcome {
    /// These nodes were lassoed.
    Selected(Vec<u32>),
    /// A click on empty ground cleared the selection.
    Cleared,
}

/// The window's table that holds this graph's nodes, and the last selection mirrored.
#[derive(Default)]
pub struct TableLink {
    table: Option<Weak<LoadedTable>>,
    synced_selection: Option<u64>,
}

/// The nodes of `view` as a table: `node`, `degree`, `community` (once found), then each
/// attribute column (text that reads wholly as numbers becomes a number column).
pub fn node_frame(view: &GraphView) -> Result<DataFrame, String> {
    let graph = &view.graph;
    let n = graph.n_nodes();
    let mut columns = vec![
        Column::new("node".into(), graph.nodes.clone()),
        Column::new(
            "degree".into(),
            (0..n).map(|u| graph.degree(u) as u32).collect::<Vec<_>>(),
        ),
    ];
    if let Some(labels) = view.labels() {
        columns.push(Column::new("community".into(), labels.to_vec()));
    }
    if let Some(attributes) = &view.attributes {
        for column in attributes.columns() {
            let name = column.name().to_string();
            if name == "node" {
                continue;
            }
            let mut column = numeric_if_whole(column);
            if columns.iter().any(|c| c.name().as_str() == name) {
                column.rename(format!("attribute_{name}").into());
            }
            columns.push(column);
        }
    }
    DataFrame::new(n, columns).map_err(|e| e.to_string())
}

/// `column` as numbers when every present value parses as one (GraphML data is text).
fn numeric_if_whole(column: &Column) -> Column {
    if column.dtype() != &DataType::String {
        return column.clone();
    }
    match column.cast(&DataType::Float64) {
        Ok(numbers) if numbers.null_count() == column.null_count() => numbers,
        _ => column.clone(),
    }
}

impl ClusterscopeApp {
    /// Opens the graph's nodes as the window's table, linked with the graph.
    pub fn show_nodes_as_table(&mut self) {
        let Some(view) = self.graph_view.as_ref() else {
            return;
        };
        let frame = match node_frame(view) {
            Ok(frame) => frame,
            Err(error) => {
                self.notices.error = Some(format!("Cannot make the node table: {error}"));
                return;
            }
        };
        let table = LoadedTable {
            info: crate::data::table_info(&frame),
            frame,
            path: view.path.clone(),
            image: None,
            sheet: None,
            sheets: Vec::new(),
        };
        self.loading = false;
        self.adopt_table(table, false);
        if let (Some(table), Some(view)) = (&self.table, self.graph_view.as_mut()) {
            view.link = TableLink {
                table: Some(Arc::downgrade(table)),
                synced_selection: None,
            };
            if table.frame.column("community").is_ok() {
                self.colour_by = crate::app::ColourBy::Column("community".into());
            }
            self.notices.info = Some(format!(
                "The {} nodes of {} are the table now; a lasso in either view selects in both",
                table.frame.height(),
                view.path.display()
            ));
        }
    }

    /// True while the window's table is the open graph's node table.
    pub fn graph_linked(&self) -> bool {
        let (Some(view), Some(table)) = (&self.graph_view, &self.table) else {
            return false;
        };
        view.link
            .table
            .as_ref()
            .and_then(Weak::upgrade)
            .is_some_and(|linked| Arc::ptr_eq(&linked, table))
    }

    /// Rings in the graph the rows selected elsewhere (once per new selection).
    pub(super) fn mirror_selection_into_graph(&mut self) {
        if !self.graph_linked() {
            return;
        }
        let id = self.selection.as_ref().map(|s| s.id);
        let Some(prepared) = self.prepared.as_ref() else {
            return;
        };
        let Some(view) = self.graph_view.as_mut() else {
            return;
        };
        if view.link.synced_selection == id {
            return;
        }
        view.selected.iter_mut().for_each(|s| *s = false);
        if let Some(selection) = &self.selection {
            let table_rows = &prepared.features.table_rows;
            for &row in &selection.rows {
                if let Some(&node) = table_rows.get(row as usize)
                    && let Some(s) = view.selected.get_mut(node as usize)
                {
                    *s = true;
                }
            }
        }
        view.link.synced_selection = id;
    }

    /// Makes the graph's lasso (or `outcome` from a test) the window's selection when the
    /// node table is open.
    pub fn publish_graph_lasso(&mut self, outcome: LassoOutcome) {
        if !self.graph_linked() {
            return;
        }
        let Some(prepared) = self.prepared.as_ref() else {
            return;
        };
        let selection = match outcome {
            LassoOutcome::Cleared => None,
            LassoOutcome::Selected(nodes) => {
                let table_rows = &prepared.features.table_rows;
                let mut matrix_row = vec![u32::MAX; prepared.features.n_table_rows];
                for (row, &table_row) in table_rows.iter().enumerate() {
                    matrix_row[table_row as usize] = row as u32;
                }
                let rows: Vec<u32> = nodes
                    .iter()
                    .filter_map(|&node| matrix_row.get(node as usize).copied())
                    .filter(|&row| row != u32::MAX)
                    .collect();
                (!rows.is_empty()).then(|| Selection::new(rows, "graph lasso"))
            }
        };
        let id = selection.as_ref().map(|s| s.id);
        self.set_selection(selection);
        if let Some(view) = self.graph_view.as_mut() {
            view.link.synced_selection = id;
        }
    }

    /// The node under the pointer in another view (the scatter of the node table).
    pub(super) fn hovered_node_elsewhere(&self) -> Option<u32> {
        if !self.graph_linked() {
            return None;
        }
        let row = self.hovered?;
        self.prepared
            .as_ref()?
            .features
            .table_rows
            .get(row as usize)
            .copied()
    }
}
