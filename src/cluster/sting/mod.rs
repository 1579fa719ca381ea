//! STING (Wang, Yang & Muntz, VLDB 1997): a hierarchy of grid cells, each holding the
//! count, mean, standard deviation, min and max of its rows per axis; the bottom level
//! comes from one binning pass over the rows (GPU with a CPU twin), every level above
//! merges 2 × 2 (× 2) cells of the one below without touching the rows. Relevant cells
//! are found top-down: a cell is searched only when its parent was relevant, and a cell
//! is relevant when it holds at least `density_threshold` rows, so pruning never drops a
//! bottom cell that could be dense. Connected relevant bottom cells (sharing a face,
//! edge or corner) are the clusters; rows in the other cells are noise. With more than
//! three columns the grid is laid over the first three principal components.

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::grid::{self, Adjacency, CellStats, GridLevel, GridView};
use super::params::{ParamSpec, ParamsError, RealRange, real};
use super::{
    Algorithm, AlgorithmInfo, ClusterError, Clustering, Engine, Family, Input, RunContext,
    RunDiagnostics, Structure, StructureKind,
};

/// The declarations of [`StingParams`].
pub const PARAMETERS: &[ParamSpec] = &[
    ParamSpec::count("cells", 64, "cells per axis at the bottom level")
        .at_least(2)
        .slider(4, 256),
    ParamSpec::count(
        "levels",
        0,
        "levels of the cell hierarchy, the bottom one included; 0 = until the top level has at most 4 cells per axis",
    )
    .at_least(0),
    ParamSpec::real(
        "density_threshold",
        0.0,
        RealRange::NON_NEGATIVE,
        "rows a bottom cell must hold to be relevant; 0 = the fewest that uniform background noise would reach in under 0.1 cells",
    ),
    ParamSpec::count(
        "min_cells",
        1,
        "clusters of fewer relevant bottom cells than this are noise",
    ),
    BORDER,
];

/// The border rule STING and WaveCluster share.
pub const BORDER: ParamSpec = ParamSpec::switch_on(
    "border",
    "rows in an occupied cell touching a cluster's cells join it (as DBSCAN's border points); off: they are noise, as in the papers",
);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StingParams {
    pub cells: usize,
    pub levels: usize,
    #[serde(with = "real")]
    pub density_threshold: f64,
    pub min_cells: usize,
    pub border: bool,
}

impl Default for StingParams {
    fn default() -> Self {
        Self {
            cells: 64,
            levels: 0,
            density_threshold: 0.0,
            min_cells: 1,
            border: true,
        }
    }
}

/// The registry's STING.
pub struct Sting;

impl Algorithm for Sting {
    type Params = StingParams;
    type Valid = StingParams;

    const INFO: AlgorithmInfo = AlgorithmInfo {
        id: "sting",
        name: "STING",
        family: Family::Grid,
        summary: "a hierarchy of grid-cell statistics searched top-down; connected dense cells are clusters, the rest noise",
        parameters: PARAMETERS,
        gpu_passes: &[&grid::gpu::BIN],
        structures: &[StructureKind::Grid],
    };

    fn check(params: &StingParams, _n_rows: Option<usize>) -> Result<StingParams, ParamsError> {
        super::check_declared::<Sting>(params)?;
        grid::check_cells("cells", params.cells, 1, grid::MAX_STAT_CELLS)?;
        if params.levels > max_levels(params.cells) {
            return Err(ParamsError::new(
                "levels",
                format!(
                    "{{levels}} is {}: {} cells per axis halve into at most {} levels",
                    params.levels,
                    params.cells,
                    max_levels(params.cells)
                ),
            ));
        }
        Ok(params.clone())
    }

    fn estimate(_valid: &StingParams, n: usize, d: usize) -> super::cost::Estimate {
        super::cost::Estimate::new(n as f64 * d.min(3) as f64 * 4e-9, (n * 4) as f64)
    }

    fn run(
        valid: &StingParams,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        let started = Instant::now();
        let axes = grid::grid_axes(engine, input.points)?;
        let g = axes.coordinates.n_cols;
        grid::check_cells("cells", valid.cells, g, grid::MAX_STAT_CELLS)?;
        let (binned, backend, adapter) = grid::binned(
            engine,
            &axes.coordinates,
            &vec![valid.cells; g],
            true,
            input.backend,
            context,
        )?;
        context.check_cancelled()?;
        let (fit, cell_labels, n_clusters) = cluster_cells(&binned, valid);
        let labels = grid::label_rows(&binned.cell_of_row, &cell_labels);
        let levels = fit
            .levels
            .iter()
            .zip(&fit.relevant)
            .enumerate()
            .map(|(level, ((cells, stats), kept))| GridLevel {
                cells: cells.clone(),
                // A cell of level l covers 2^l bottom cells per axis.
                width: (0..g)
                    .map(|a| binned.shape.width(a) * (1u64 << level) as f64)
                    .collect(),
                value: stats.count.iter().map(|&c| c as f64).collect(),
                kept: kept.clone(),
            })
            .collect();
        let view = GridView {
            lo: binned.shape.lo.iter().map(|&v| v as f64).collect(),
            axes: axes.description.clone(),
            axes_are_columns: axes.are_columns,
            levels,
            threshold: fit.threshold,
            examined: fit.examined,
        };
        let diagnostics = RunDiagnostics {
            backend,
            adapter,
            iterations: fit.levels.len(),
            converged: true,
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        };
        let mut clustering =
            Clustering::new(labels, n_clusters, diagnostics).with(Structure::Grid(Arc::new(view)));
        if !axes.are_columns {
            clustering
                .warnings
                .push(format!("the grid is laid over {}", axes.description));
        }
        Ok(clustering)
    }
}

/// Everything after binning, on the cells alone: the search, the components and the
/// border rule. Returns the search, the label of every bottom cell and the cluster count.
pub fn cluster_cells(
    binned: &grid::BinnedGrid,
    params: &StingParams,
) -> (StingSearch, Vec<u32>, usize) {
    let fit = search(&binned.stats(), &binned.shape.cells, params);
    let (components, count) =
        grid::label_components(&binned.shape.cells, &fit.relevant_bottom, Adjacency::Full);
    let (mut cell_labels, n_clusters) =
        grid::drop_small_components(&components, count, params.min_cells);
    if params.border {
        cell_labels =
            grid::attach_border_cells(&binned.shape.cells, &cell_labels, &binned.raw.count);
    }
    (fit, cell_labels, n_clusters)
}

/// The most levels `cells` per axis halve into (down to one cell).
pub fn max_levels(cells: usize) -> usize {
    let mut levels = 1;
    let mut c = cells;
    while c > 1 {
        c = c.div_ceil(2);
        levels += 1;
    }
    levels
}

/// The levels used: given, or enough that the top has at most 4 cells per axis.
fn levels_for(cells: usize, given: usize) -> usize {
    if given > 0 {
        return given;
    }
    let mut levels = 1;
    let mut c = cells;
    while c > 4 {
        c = c.div_ceil(2);
        levels += 1;
    }
    levels
}

/// The threshold used: given, or the background rule of [`grid::background_threshold`].
pub fn threshold_for(counts: &[u64], given: f64) -> f64 {
    if given > 0.0 {
        return given;
    }
    let counts: Vec<u32> = counts
        .iter()
        .map(|&c| c.min(u32::MAX as u64) as u32)
        .collect();
    grid::background_threshold(&counts, 1, counts.len(), 0.1)
}

/// The top-down search over the hierarchy.
pub struct StingSearch {
    /// Cells per axis and statistics per level, the bottom first.
    pub levels: Vec<(Vec<usize>, CellStats)>,
    /// Per level, the cells found relevant (false where never searched).
    pub relevant: Vec<Vec<bool>>,
    pub relevant_bottom: Vec<bool>,
    pub threshold: f64,
    /// Cells whose relevance was tested, over all levels.
    pub examined: usize,
}

/// Builds the hierarchy above `bottom` and searches it from the top.
pub fn search(bottom: &CellStats, cells: &[usize], params: &StingParams) -> StingSearch {
    let threshold = threshold_for(&bottom.count, params.density_threshold);
    let n_levels = levels_for(params.cells, params.levels);
    let mut levels = vec![(cells.to_vec(), bottom.clone())];
    for _ in 1..n_levels {
        let (cells, stats) = &levels[levels.len() - 1];
        let above = stats.coarser(cells);
        levels.push(above);
    }
    let mut relevant: Vec<Vec<bool>> = levels
        .iter()
        .map(|(_, s)| vec![false; s.count.len()])
        .collect();
    let mut examined = 0;
    let top = n_levels - 1;
    let mut candidates: Vec<usize> = (0..levels[top].1.count.len()).collect();
    for level in (0..n_levels).rev() {
        let (level_cells, stats) = &levels[level];
        let mut next = Vec::new();
        for &cell in &candidates {
            examined += 1;
            if stats.count[cell] as f64 >= threshold {
                relevant[level][cell] = true;
                if level > 0 {
                    children(cell, level_cells, &levels[level - 1].0, &mut next);
                }
            }
        }
        candidates = next;
    }
    let relevant_bottom = relevant[0].clone();
    StingSearch {
        levels,
        relevant,
        relevant_bottom,
        threshold,
        examined,
    }
}

/// The cells of the level below (`below` cells per axis) inside `cell` of this level.
fn children(cell: usize, cells: &[usize], below: &[usize], out: &mut Vec<usize>) {
    let axes = cells.len();
    let mut at = [0usize; 3];
    let mut index = cell;
    for a in 0..axes {
        at[a] = index % cells[a];
        index /= cells[a];
    }
    let span = |a: usize| if a < axes { 0..2 } else { 0..1 };
    for dz in span(2) {
        for dy in span(1) {
            for dx in span(0) {
                let child = [2 * at[0] + dx, 2 * at[1] + dy, 2 * at[2] + dz];
                if (0..axes).all(|a| child[a] < below[a]) {
                    let mut flat = 0;
                    for a in (0..axes).rev() {
                        flat = flat * below[a] + child[a];
                    }
                    out.push(flat);
                }
            }
        }
    }
}
