//! WaveCluster (Sheikholeslami, Chatterjee & Zhang, VLDB 1998): the rows are quantised
//! into a count grid (the shared binning pass), the grid is wavelet-transformed with the
//! Cohen–Daubechies–Feauveau (2,2) low-pass filter along each axis (GPU passes with a
//! CPU twin), the transformed cells above a threshold are significant, connected
//! significant cells (sharing a face, edge or corner) are clusters, and each row takes
//! the cluster of the transformed cell over its own; rows under insignificant cells are
//! noise. The low-pass average smooths sparse noise away and joins cells a gap of empty
//! cells would split. With more than three columns the grid is laid over the first three
//! principal components.

pub mod gpu;
pub mod transform;

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::grid::{self, Adjacency, GridLevel, GridView};
use super::params::{ParamSpec, ParamsError, RealRange, real};
use super::{
    Algorithm, AlgorithmInfo, Backend, BackendChoice, ClusterError, Clustering, Engine, Family,
    Input, NOISE, RunContext, RunDiagnostics, Structure, StructureKind,
};

/// The declarations of [`WaveClusterParams`].
pub const PARAMETERS: &[ParamSpec] = &[
    ParamSpec::count("cells", 128, "cells per axis of the quantised grid")
        .at_least(2)
        .slider(8, 512),
    ParamSpec::count(
        "levels",
        1,
        "rounds of the wavelet transform (each halves the grid per axis)",
    )
    .slider(1, 4),
    ParamSpec::real(
        "threshold",
        0.0,
        RealRange::NON_NEGATIVE,
        "a transformed cell above this (rows per original cell) is significant; 0 = what uniform background noise would pass in under one cell",
    ),
    super::sting::BORDER,
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaveClusterParams {
    pub cells: usize,
    pub levels: usize,
    #[serde(with = "real")]
    pub threshold: f64,
    pub border: bool,
}

impl Default for WaveClusterParams {
    fn default() -> Self {
        Self {
            cells: 128,
            levels: 1,
            threshold: 0.0,
            border: true,
        }
    }
}

/// The registry's WaveCluster.
pub struct WaveCluster;

impl Algorithm for WaveCluster {
    type Params = WaveClusterParams;
    type Valid = WaveClusterParams;

    const INFO: AlgorithmInfo = AlgorithmInfo {
        id: "wavecluster",
        name: "WaveCluster",
        family: Family::Grid,
        summary: "a wavelet-smoothed count grid; connected cells above a threshold are clusters, the rest noise",
        parameters: PARAMETERS,
        gpu_passes: &[&grid::gpu::BIN, &gpu::LOWPASS],
        structures: &[StructureKind::Grid],
    };

    fn check(
        params: &WaveClusterParams,
        _n_rows: Option<usize>,
    ) -> Result<WaveClusterParams, ParamsError> {
        super::check_declared::<WaveCluster>(params)?;
        grid::check_cells("cells", params.cells, 1, grid::MAX_COUNT_CELLS)?;
        let most = super::sting::max_levels(params.cells) - 1;
        if params.levels > most {
            return Err(ParamsError::new(
                "levels",
                format!(
                    "{{levels}} is {}: {} cells per axis halve at most {most} times",
                    params.levels, params.cells
                ),
            ));
        }
        Ok(params.clone())
    }

    fn estimate(_valid: &WaveClusterParams, n: usize, d: usize) -> super::cost::Estimate {
        super::cost::Estimate::new(n as f64 * d.min(3) as f64 * 3e-9, (n * 4) as f64)
    }

    fn run(
        valid: &WaveClusterParams,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        let started = Instant::now();
        let axes = grid::grid_axes(engine, input.points)?;
        let g = axes.coordinates.n_cols;
        grid::check_cells("cells", valid.cells, g, grid::MAX_COUNT_CELLS)?;
        let (binned, backend, adapter) = grid::binned(
            engine,
            &axes.coordinates,
            &vec![valid.cells; g],
            false,
            input.backend,
            context,
        )?;
        context.check_cancelled()?;
        let fit = fit_grid(
            engine,
            &binned.shape,
            &binned.raw.count,
            valid,
            input.backend,
        )?;
        let labels = grid::label_rows(&binned.cell_of_row, &fit.bottom_labels);
        let bottom = GridView::level(
            &binned.shape,
            binned.raw.count.iter().map(|&c| c as f64).collect(),
            fit.bottom_labels.iter().map(|&l| l != NOISE).collect(),
        );
        let transformed = GridLevel {
            cells: fit.sizes[..g].to_vec(),
            width: (0..g)
                .map(|a| binned.shape.width(a) * (1u64 << valid.levels) as f64)
                .collect(),
            value: fit.values.iter().map(|&v| v as f64).collect(),
            kept: fit.significant.clone(),
        };
        let view = GridView {
            lo: binned.shape.lo.iter().map(|&v| v as f64).collect(),
            axes: axes.description.clone(),
            axes_are_columns: axes.are_columns,
            levels: vec![bottom, transformed],
            threshold: fit.threshold,
            examined: fit.values.len(),
        };
        let diagnostics = RunDiagnostics {
            backend: if fit.transformed_on == Backend::Gpu {
                Backend::Gpu
            } else {
                backend
            },
            adapter,
            iterations: valid.levels,
            converged: true,
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        };
        let mut clustering = Clustering::new(labels, fit.n_clusters, diagnostics)
            .with(Structure::Grid(Arc::new(view)));
        if !axes.are_columns {
            clustering
                .warnings
                .push(format!("the grid is laid over {}", axes.description));
        }
        Ok(clustering)
    }
}

/// WaveCluster on a count grid.
pub struct WaveFit {
    /// The transformed grid's cells per axis (1 beyond the grid's axes).
    pub sizes: [usize; 3],
    pub values: Vec<f32>,
    pub significant: Vec<bool>,
    pub threshold: f64,
    pub n_clusters: usize,
    /// The cluster of every original cell (through the transformed cell over it).
    pub bottom_labels: Vec<u32>,
    pub transformed_on: Backend,
}

/// The threshold used: given, or the background rule of [`grid::background_threshold`]
/// for blocks of the 2^(axes · levels) original cells under each transformed cell, as an
/// average per original cell.
pub fn threshold_for(
    counts: &[u32],
    axes: usize,
    levels: usize,
    transformed: usize,
    given: f64,
) -> f64 {
    if given > 0.0 {
        return given;
    }
    let block = 1usize << (axes * levels);
    // The low-pass filter has already smoothed single noise rows down, so one chance
    // cell in the whole grid is allowed (STING allows 0.1).
    grid::background_threshold(counts, block, transformed, 1.0) / block as f64
}

/// Transform, threshold and connect the count grid of `shape`; the re-clustering step
/// that needs no pass over the rows.
pub fn fit_grid(
    engine: &mut Engine,
    shape: &grid::GridShape,
    counts: &[u32],
    params: &WaveClusterParams,
    backend: BackendChoice,
) -> Result<WaveFit, ClusterError> {
    let g = shape.axes();
    let mut sizes = [1usize; 3];
    sizes[..g].copy_from_slice(&shape.cells);
    let grid: Vec<f32> = counts.iter().map(|&c| c as f32).collect();
    let (out, values, transformed_on) = match engine.resolve(backend)? {
        Backend::Gpu => {
            let context = engine.gpu()?;
            match gpu::transform(&context, &grid, sizes, g, params.levels) {
                Ok((out, values)) => (out, values, Backend::Gpu),
                Err(error) if backend == BackendChoice::Auto => {
                    tracing::info!("wavelet transform on the CPU: {error}");
                    let (out, values) = transform::transform(&grid, sizes, g, params.levels);
                    (out, values, Backend::Cpu)
                }
                Err(error) => return Err(error.into()),
            }
        }
        Backend::Cpu => {
            let (out, values) = transform::transform(&grid, sizes, g, params.levels);
            (out, values, Backend::Cpu)
        }
    };
    let threshold = threshold_for(counts, g, params.levels, values.len(), params.threshold);
    let significant: Vec<bool> = values.iter().map(|&v| v as f64 > threshold).collect();
    let (components, n_clusters) = grid::label_components(&out[..g], &significant, Adjacency::Full);
    let shift = params.levels;
    let bottom_labels: Vec<u32> = (0..counts.len())
        .map(|cell| {
            let at = shape.unflat(cell);
            let mut flat = 0;
            for a in (0..g).rev() {
                flat = flat * out[a] + (at[a] >> shift).min(out[a] - 1);
            }
            components[flat]
        })
        .collect();
    let bottom_labels = if params.border {
        grid::attach_border_cells(&shape.cells, &bottom_labels, counts)
    } else {
        bottom_labels
    };
    Ok(WaveFit {
        sizes: out,
        values,
        significant,
        threshold,
        n_clusters,
        bottom_labels,
        transformed_on,
    })
}
