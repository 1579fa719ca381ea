//! Whole runs of the non-iterative algorithms (DBSCAN, HDBSCAN, agglomerative) on blobs
//! or a file, each on a fresh engine so nothing is cached.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};

use super::BenchData;
use crate::cli::flags::GivenFlags;
use crate::cluster::density::dbscan::{Dbscan, DbscanParams};
use crate::cluster::density::hdbscan::{Hdbscan, HdbscanParams};
use crate::cluster::hierarchy::{Agglomerative, AgglomerativeParams, Cut, Linkage};
use crate::cluster::{AlgorithmParams, Engine, RunContext};
use crate::data::{self, Scaling};
use crate::matrix::Matrix;
use crate::synthetic;

pub fn dbscan(data: &BenchData, eps: f64, min_points: usize) -> anyhow::Result<()> {
    let params = AlgorithmParams::of::<Dbscan>(&DbscanParams::new(eps, min_points));
    timed_run(data, "dbscan", &params)
}

pub fn hdbscan(
    data: &BenchData,
    min_cluster_size: usize,
    min_samples: Option<usize>,
) -> anyhow::Result<()> {
    let params = AlgorithmParams::of::<Hdbscan>(
        &HdbscanParams::new(min_cluster_size).min_samples(min_samples),
    );
    timed_run(data, "hdbscan", &params)
}

pub fn agglomerative(data: &BenchData, linkage: Linkage) -> anyhow::Result<()> {
    let params = AlgorithmParams::of::<Agglomerative>(&AgglomerativeParams::new(
        linkage,
        Cut::Clusters(data.centers.max(1)),
    ));
    timed_run(data, &format!("agglomerative-{}", linkage.name()), &params)
}

/// Points for a benchmark: blobs (spread 0.5 in [-10, 10]^d) or a file's numeric columns.
pub(super) fn bench_points(data: &BenchData) -> anyhow::Result<Arc<Matrix>> {
    match &data.input {
        Some(path) => {
            let frame = data::read_table(path)?;
            let columns = data::numeric_columns(&frame);
            let features = data::extract_features(&frame, &columns, Scaling::None)
                .with_context(|| format!("in {}", path.display()))?;
            Ok(Arc::new(features.matrix))
        }
        None => {
            if data.n == 0 || data.d == 0 {
                bail!("--n and --d must be at least 1");
            }
            crate::memory::ensure_available(
                (data.n as u64)
                    .saturating_mul(data.d as u64)
                    .saturating_mul(8),
                &format!("--n {} × --d {} points", data.n, data.d),
            )
            .map_err(anyhow::Error::msg)?;
            Ok(Arc::new(
                synthetic::gaussian_blobs(data.n, data.d, data.centers.max(1), 0.5, data.seed)
                    .points,
            ))
        }
    }
}

/// Any registered algorithm with its flags; the data's seed is the algorithm's too.
pub fn registered(id: &str, data: &BenchData, flags: &GivenFlags) -> anyhow::Result<()> {
    let algorithm =
        crate::cluster::find(id).ok_or_else(|| anyhow::anyhow!("unknown algorithm '{id}'"))?;
    let mut params = crate::cli::cluster::algorithm_params(algorithm, flags)?;
    if algorithm.info().parameter("seed").is_some() {
        params
            .values
            .insert("seed".into(), serde_json::Value::from(data.seed));
    }
    timed_run(data, id, &params)
}

/// Times one run of `params` (a fresh engine, so nothing is cached) and prints it as
/// `name`.
pub(super) fn timed_run(
    data: &BenchData,
    name: &str,
    params: &AlgorithmParams,
) -> anyhow::Result<()> {
    let points = bench_points(data)?;
    let mut engine = Engine::headless();
    engine.resolve(data.backend)?;
    let started = Instant::now();
    let result = crate::cluster::run(
        &mut engine,
        &points,
        params,
        data.backend,
        &RunContext::default(),
    )
    .map_err(crate::cli::cluster_error)?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{name} backend={} adapter=\"{}\" n={} d={}",
        result.diagnostics.backend.name(),
        result.diagnostics.adapter,
        points.n_rows,
        points.n_cols
    );
    println!(
        "clusters: {} noise: {}",
        result.n_clusters,
        result.n_noise()
    );
    println!("iterations: {}", result.diagnostics.iterations);
    if let Some(objective) = result.objective {
        println!("{}: {:.6e}", objective.name, objective.value);
    }
    println!("seconds: {seconds:.4}");
    Ok(())
}

/// A grid algorithm's first run, then one re-run per value of its threshold on the same
/// engine: the binned grid is reused, so a re-run's time should not grow with the rows.
pub fn recluster(
    id: &str,
    data: &BenchData,
    flags: &GivenFlags,
    thresholds: &[f64],
) -> anyhow::Result<()> {
    let algorithm =
        crate::cluster::find(id).ok_or_else(|| anyhow::anyhow!("unknown algorithm '{id}'"))?;
    let name = ["density_threshold", "threshold"]
        .into_iter()
        .find(|n| algorithm.info().parameter(n).is_some())
        .ok_or_else(|| anyhow::anyhow!("{id} has no threshold to change"))?;
    let mut params = crate::cli::cluster::algorithm_params(algorithm, flags)?;
    let points = bench_points(data)?;
    let mut engine = Engine::headless();
    engine.resolve(data.backend)?;
    let started = Instant::now();
    let first = crate::cluster::run(
        &mut engine,
        &points,
        &params,
        data.backend,
        &RunContext::default(),
    )
    .map_err(crate::cli::cluster_error)?;
    println!(
        "{id} backend={} adapter=\"{}\" n={} d={}",
        first.diagnostics.backend.name(),
        first.diagnostics.adapter,
        points.n_rows,
        points.n_cols
    );
    println!(
        "first run: {:.4} s, {} clusters",
        started.elapsed().as_secs_f64(),
        first.n_clusters
    );
    let mut total = 0.0;
    for &threshold in thresholds {
        params
            .values
            .insert(name.into(), serde_json::Value::from(threshold));
        let started = Instant::now();
        let result = crate::cluster::run(
            &mut engine,
            &points,
            &params,
            data.backend,
            &RunContext::default(),
        )
        .map_err(crate::cli::cluster_error)?;
        let seconds = started.elapsed().as_secs_f64();
        total += seconds;
        println!(
            "{name} {threshold}: {seconds:.4} s, {} clusters, {} noise",
            result.n_clusters,
            result.n_noise()
        );
    }
    let cache = engine.state_if_any::<crate::cluster::grid::GridCache>();
    let passes = cache.map_or(0, |c| c.passes());
    // The cell work alone (no row touched), and the gather that maps cells to rows.
    if let Some(binned) = cache.and_then(|c| c.last()).cloned() {
        let started = Instant::now();
        let cell_labels = match id {
            "sting" => {
                let valid: crate::cluster::sting::StingParams =
                    crate::cluster::params::from_values(
                        "sting",
                        &algorithm.info().complete(&params.values)?,
                    )?;
                crate::cluster::sting::cluster_cells(&binned, &valid).1
            }
            _ => {
                let valid: crate::cluster::wavecluster::WaveClusterParams =
                    crate::cluster::params::from_values(
                        "wavecluster",
                        &algorithm.info().complete(&params.values)?,
                    )?;
                crate::cluster::wavecluster::fit_grid(
                    &mut engine,
                    &binned.shape,
                    &binned.raw.count,
                    &valid,
                    data.backend,
                )
                .map_err(crate::cli::cluster_error)?
                .bottom_labels
            }
        };
        let cells = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let labels = crate::cluster::grid::label_rows(&binned.cell_of_row, &cell_labels);
        println!(
            "cell work: {cells:.5} s over {} cells; cells-to-rows gather: {:.5} s over {} rows",
            binned.shape.n_cells(),
            started.elapsed().as_secs_f64(),
            labels.len()
        );
    }
    println!(
        "re-cluster mean: {:.4} s over {} changes; binning passes over the rows: {passes}",
        total / thresholds.len().max(1) as f64,
        thresholds.len()
    );
    Ok(())
}
