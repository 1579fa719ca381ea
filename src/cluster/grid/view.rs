//! What a grid-based run leaves for the window to draw: each level's cells with their
//! counts and which of them the algorithm kept, in the grid's own coordinates.

use super::binning::GridShape;

/// One level of a grid (the bottom level first in [`GridView::levels`]).
#[derive(Clone, Debug)]
pub struct GridLevel {
    /// Cells per axis.
    pub cells: Vec<usize>,
    /// Cell width per axis, in the grid's coordinates.
    pub width: Vec<f64>,
    /// Rows per cell (flat, axis 0 fastest); for WaveCluster's transformed level, the
    /// low-pass value in rows per original cell.
    pub value: Vec<f64>,
    /// The cells the algorithm kept (STING: relevant; WaveCluster: significant).
    pub kept: Vec<bool>,
}

/// A grid-based clustering's grid.
#[derive(Clone, Debug)]
pub struct GridView {
    /// The grid's lower corner per axis.
    pub lo: Vec<f64>,
    /// "the columns" or "the first 3 principal components (…)".
    pub axes: String,
    /// Whether the axes are the data's columns (then the column view can draw it).
    pub axes_are_columns: bool,
    pub levels: Vec<GridLevel>,
    /// The threshold a cell's value was compared with.
    pub threshold: f64,
    /// Cells examined out of all the levels' cells (STING's top-down search skips the
    /// cells under irrelevant parents).
    pub examined: usize,
}

impl GridView {
    /// The bottom level of `shape` with `value` per cell.
    pub fn level(shape: &GridShape, value: Vec<f64>, kept: Vec<bool>) -> GridLevel {
        GridLevel {
            cells: shape.cells.clone(),
            width: (0..shape.axes()).map(|a| shape.width(a)).collect(),
            value,
            kept,
        }
    }
}
