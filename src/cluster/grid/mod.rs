//! The binned grid that the grid-based algorithms share (STING, WaveCluster; DBSCAN's
//! ε-cells use their own finer grid): up to three axes, each cut into equal cells over the
//! rows' range, one pass over the rows (GPU atomics, or its CPU twin) giving each row its
//! cell and each cell its statistics. After that pass, clustering work depends on the
//! cells, not the rows: a threshold change re-labels cells and maps rows through
//! [`BinnedGrid::cell_of_row`].

pub mod axes;
pub mod binning;
pub mod components;
pub mod gpu;
pub mod view;

pub use axes::{GridAxes, grid_axes};
pub use binning::{BinnedGrid, CellStats, GridShape, RawCells, bin_cpu};
pub use components::{Adjacency, attach_border_cells, label_components};
pub use view::{GridLevel, GridView};

use std::sync::Arc;

use super::{Backend, BackendChoice, ClusterError, Engine, RunContext};
use crate::matrix::Matrix;

/// The most cells a grid with statistics may hold (each costs 4 + 24 bytes per axis).
pub const MAX_STAT_CELLS: usize = 1 << 22;
/// The most cells a grid of counts only may hold.
pub const MAX_COUNT_CELLS: usize = 1 << 24;
/// The most cells along one axis (the fixed-point position keeps 16 bits below the cell).
pub const MAX_CELLS_PER_AXIS: usize = 4096;

/// The engine's last binned grid, so a threshold change does not pass over the rows again.
#[derive(Default)]
pub struct GridCache {
    last: Option<CachedGrid>,
    bins: usize,
}

/// A binned grid with what it was binned from: the coordinates, cells per axis and
/// whether it holds statistics.
struct CachedGrid {
    coordinates: Arc<Matrix>,
    cells: Vec<usize>,
    stats: bool,
    grid: Arc<BinnedGrid>,
}

impl GridCache {
    /// Binning passes made over the rows so far (tests check that re-clustering reuses them).
    pub fn passes(&self) -> usize {
        self.bins
    }

    /// The last binned grid.
    pub fn last(&self) -> Option<&Arc<BinnedGrid>> {
        self.last.as_ref().map(|cached| &cached.grid)
    }
}

/// `coordinates` (n × axes) binned into `cells` per axis, with statistics when `stats`:
/// from the engine's cache when the same coordinates were binned the same way last time,
/// on the GPU when `backend` resolves to it (falling back to the CPU under auto).
pub fn binned(
    engine: &mut Engine,
    coordinates: &Arc<Matrix>,
    cells: &[usize],
    stats: bool,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<(Arc<BinnedGrid>, Backend, String), ClusterError> {
    if let Some(cached) = &engine.state::<GridCache>().last
        && Arc::ptr_eq(&cached.coordinates, coordinates)
        && cached.cells == cells
        && (cached.stats || !stats)
    {
        let grid = &cached.grid;
        return Ok((Arc::clone(grid), grid.backend, grid.adapter.clone()));
    }
    context.check_cancelled()?;
    let shape = GridShape::spanning(coordinates, cells);
    let grid = match engine.resolve(backend)? {
        Backend::Gpu => {
            let gpu = engine.gpu()?;
            match gpu::bin(&gpu, coordinates, &shape, stats) {
                Ok(grid) => grid,
                Err(error) if backend == BackendChoice::Auto => {
                    tracing::info!("binning on the CPU: {error}");
                    bin_cpu(coordinates, &shape, stats)
                }
                Err(error) => return Err(error.into()),
            }
        }
        Backend::Cpu => bin_cpu(coordinates, &shape, stats),
    };
    let grid = Arc::new(grid);
    let cache = engine.state::<GridCache>();
    cache.bins += 1;
    cache.last = Some(CachedGrid {
        coordinates: Arc::clone(coordinates),
        cells: cells.to_vec(),
        stats,
        grid: Arc::clone(&grid),
    });
    Ok((Arc::clone(&grid), grid.backend, grid.adapter.clone()))
}

/// Checks a cells-per-axis parameter against the grid it makes.
pub fn check_cells(
    field: &'static str,
    cells: usize,
    axes: usize,
    limit: usize,
) -> Result<(), super::ParamsError> {
    if cells < 2 {
        return Err(super::ParamsError::new(
            field,
            format!("{{{field}}} is {cells}: a grid needs at least 2 cells per axis"),
        ));
    }
    if cells > MAX_CELLS_PER_AXIS {
        return Err(super::ParamsError::new(
            field,
            format!("{{{field}}} is {cells}: at most {MAX_CELLS_PER_AXIS} cells per axis"),
        ));
    }
    let total = (cells as u128).pow(axes as u32);
    if total > limit as u128 {
        return Err(super::ParamsError::new(
            field,
            format!(
                "{{{field}}} {cells} over {axes} axes makes {total} cells, over the {limit} this grid holds; use fewer cells"
            ),
        ));
    }
    Ok(())
}

/// Each row's label: the label of its cell (a gather over the rows, the only per-row work
/// a re-clustering does).
pub fn label_rows(cell_of_row: &[u32], cell_label: &[u32]) -> Vec<u32> {
    use rayon::prelude::*;
    cell_of_row
        .par_iter()
        .map(|&c| cell_label[c as usize])
        .collect()
}

/// Components of fewer than `min_cells` cells become noise; the rest are renumbered in
/// their first-cell order. Returns the new labels and count.
pub fn drop_small_components(labels: &[u32], count: usize, min_cells: usize) -> (Vec<u32>, usize) {
    let mut size = vec![0usize; count];
    for &l in labels.iter().filter(|&&l| l != super::NOISE) {
        size[l as usize] += 1;
    }
    let mut renumber = vec![super::NOISE; count];
    let mut kept = 0u32;
    for (c, &s) in size.iter().enumerate() {
        if s >= min_cells {
            renumber[c] = kept;
            kept += 1;
        }
    }
    let labels = labels
        .iter()
        .map(|&l| {
            if l == super::NOISE {
                l
            } else {
                renumber[l as usize]
            }
        })
        .collect();
    (labels, kept as usize)
}

/// The auto threshold of the grid algorithms, in rows per block of `block` bottom cells:
/// the background (uniform noise) is taken as Poisson with rate λ per cell, estimated
/// from the cells holding one row against the empty ones (P(1) / P(0) = λ), and the
/// threshold is the smallest whole count s ≥ 2 at which fewer than `false_cells` of the
/// `blocks` blocks would reach s by chance. With no empty cell (data that fills its
/// box) λ is the mean count.
pub fn background_threshold(counts: &[u32], block: usize, blocks: usize, false_cells: f64) -> f64 {
    let empty = counts.iter().filter(|&&c| c == 0).count();
    let single = counts.iter().filter(|&&c| c == 1).count();
    let rate = if empty > 0 {
        single as f64 / empty as f64
    } else {
        counts.iter().map(|&c| c as f64).sum::<f64>() / counts.len().max(1) as f64
    };
    let mu = rate * block as f64;
    // P(X ≥ s) for X ~ Poisson(mu), by the running sum of the mass below s.
    let mut mass = (-mu).exp();
    let mut below = mass;
    let mut s = 1u64;
    while s < 2 || (1.0 - below) * blocks as f64 >= false_cells {
        mass *= mu / s as f64;
        below += mass;
        s += 1;
        if 1.0 - below <= 0.0 || s > 1 << 20 {
            break;
        }
    }
    s as f64
}
