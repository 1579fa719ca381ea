//! `clusterscope cluster`: read a table, run any registered algorithm, write the table back
//! with a cluster column.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use clap::builder::PossibleValuesParser;
use serde::Serialize;

use super::flags::{ClusterFlags, GivenFlags, render_params_error};
use crate::cluster::{
    AlgorithmParams, Backend, BackendChoice, ClusterError, Clustering, Engine, RegisteredAlgorithm,
    find, infos,
};
use crate::data::{self, Scaling};

/// Runs estimated above this many CPU seconds print their estimate first.
const LONG_RUN_SECONDS: f64 = 10.0;

/// Every registered algorithm id, for `--algo`.
pub(super) fn algorithm_ids() -> PossibleValuesParser {
    PossibleValuesParser::new(infos().map(|i| i.id).collect::<Vec<_>>())
}

#[derive(Debug, Args)]
pub struct ClusterArgs {
    pub input: PathBuf,
    /// The algorithm (`clusterscope algorithms` lists them with their parameters).
    #[arg(long, default_value = "kmeans", value_parser = algorithm_ids())]
    pub algo: String,
    /// Also write one column per per-row score the algorithm leaves (HDBSCAN:
    /// `<label-column>_probability`, `<label-column>_outlier_score`; Gaussian mixtures:
    /// `<label-column>_probability` of the assigned component).
    #[arg(long)]
    pub scores: bool,
    /// Feature columns, comma separated (default: every numeric column).
    #[arg(long, value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// The sheet of a workbook (.xlsx, .xlsm, .xlsb, .xls, .ods) to read; default: the
    /// first sheet with cells.
    #[arg(long)]
    pub sheet: Option<String>,
    #[arg(long, value_enum, default_value = "none")]
    pub scale: Scaling,
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: BackendChoice,
    /// Name of the added column.
    #[arg(long = "label-column", default_value = "cluster")]
    pub label_column: String,
    /// Output file (.csv, .tsv or .parquet).
    #[arg(long)]
    pub out: PathBuf,
    /// Print one JSON line describing the run on stdout.
    #[arg(long = "summary-json")]
    pub summary_json: bool,
    /// Add the silhouette, Davies–Bouldin and Calinski–Harabasz scores of the result
    /// (on the clustered, scaled features; noise left out) to `--summary-json`.
    #[arg(long = "scores-internal")]
    pub scores_internal: bool,
    /// The algorithm's parameters (each algorithm reads its own).
    #[command(flatten)]
    pub flags: ClusterFlags,
}

/// The `--summary-json` line.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub algo: String,
    pub backend: &'static str,
    pub adapter: String,
    pub n_rows: usize,
    pub n_used: usize,
    pub n_clusters: usize,
    /// Points labelled noise (-1).
    pub n_noise: usize,
    pub iterations: usize,
    pub converged: bool,
    /// k-means only; null otherwise.
    pub inertia: Option<f64>,
    pub elapsed_ms: f64,
    /// k-medoids family: the sum over used rows of the distance to the nearest medoid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    /// k-medoids family: each cluster's medoid as a 0-based row of the input table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medoids: Option<Vec<u32>>,
    /// Gaussian mixtures: the mean log-likelihood per row of the fitted model, and the
    /// Bayesian and Akaike information criteria (lower is better).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_likelihood: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bic: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aic: Option<f64>,
    /// Spectral clustering: the smallest eigenvalues of the normalised Laplacian
    /// (ascending), and the k their largest gap suggests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eigenvalues: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eigengap_k: Option<usize>,
    /// `--scores-internal`: the result's internal scores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub silhouette: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub davies_bouldin: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calinski_harabasz: Option<f64>,
    /// Leiden, Louvain, label propagation: modularity of the communities on the rows'
    /// neighbour graph.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modularity: Option<f64>,
}

/// The algorithm's params from the flags; warns about flags it does not take.
pub(super) fn algorithm_params(
    algorithm: &'static dyn RegisteredAlgorithm,
    flags: &GivenFlags,
) -> anyhow::Result<AlgorithmParams> {
    let info = algorithm.info();
    let (values, unused) = flags.values_for(info)?;
    if !unused.is_empty() {
        eprintln!(
            "warning: {} {} not a parameter of {}; ignored",
            unused.join(", "),
            if unused.len() == 1 { "is" } else { "are" },
            info.id
        );
    }
    Ok(AlgorithmParams::new(info.id, values))
}

/// A run's error in command-line terms (parameter names as flags).
pub fn cli_error(error: ClusterError) -> anyhow::Error {
    match error {
        ClusterError::Params(error) => anyhow::anyhow!(render_params_error(&error)),
        other => other.into(),
    }
}

/// One clustering from a file to a file: what `cluster` asks for and what `rerun` reads
/// back from an export's record.
pub struct ClusterJob {
    pub input: PathBuf,
    pub params: AlgorithmParams,
    /// None: every numeric column.
    pub columns: Option<Vec<String>>,
    /// A workbook's sheet (None: the first with cells).
    pub sheet: Option<String>,
    pub scale: Scaling,
    pub backend: BackendChoice,
    pub label_column: String,
    pub scores: bool,
    pub out: PathBuf,
    pub summary_json: bool,
    pub scores_internal: bool,
    /// `rerun`: the input must still be this file.
    pub expected_input: Option<data::InputRecord>,
}

pub fn run(args: &ClusterArgs) -> anyhow::Result<()> {
    // Check what can be checked before reading a possibly large file.
    data::output_format_for(&args.out)?;
    data::ensure_output_is_not_input(&args.input, &args.out)?;
    let algorithm =
        find(&args.algo).ok_or_else(|| anyhow::anyhow!("unknown algorithm '{}'", args.algo))?;
    let params = algorithm_params(algorithm, &args.flags.0)?;
    run_job(&ClusterJob {
        input: args.input.clone(),
        params,
        columns: args.columns.clone(),
        sheet: args.sheet.clone(),
        scale: args.scale,
        backend: args.backend,
        label_column: args.label_column.clone(),
        scores: args.scores,
        out: args.out.clone(),
        summary_json: args.summary_json,
        scores_internal: args.scores_internal,
        expected_input: None,
    })
}

pub fn run_job(job: &ClusterJob) -> anyhow::Result<()> {
    let started = Instant::now();
    data::output_format_for(&job.out)?;
    data::ensure_output_is_not_input(&job.input, &job.out)?;
    let params = &job.params;
    let algorithm = find(&params.algorithm)
        .ok_or_else(|| anyhow::anyhow!("unknown algorithm '{}'", params.algorithm))?;
    let full_params = algorithm
        .info()
        .complete(&params.values)
        .and_then(|values| algorithm.prepare(&values, None).map(|_| values))
        .map_err(|e| anyhow::anyhow!(render_params_error(&e)))?;
    if job.label_column.trim().is_empty() {
        bail!("--label-column cannot be empty");
    }
    let progress =
        super::progress::TerminalProgress::start(&format!("reading {}", job.input.display()));
    let (frame, sheet) = data::read_table_sheet(&job.input, job.sheet.as_deref())?;
    // Hashed once the table has been read (which refuses what is not a regular file).
    let input_record = data::InputRecord::of(&job.input)?;
    if let Some(expected) = &job.expected_input
        && (expected.sha256 != input_record.sha256 || expected.bytes != input_record.bytes)
    {
        bail!(
            "{} has changed since the export was made ({} bytes, sha256 {}; the record says \
             {} bytes, sha256 {}); the labels could not be reproduced",
            job.input.display(),
            input_record.bytes,
            input_record.sha256,
            expected.bytes,
            expected.sha256
        );
    }
    if frame.column(&job.label_column).is_ok() {
        bail!(
            "{} already has a column named '{}'; pass --label-column with another name",
            job.input.display(),
            job.label_column
        );
    }
    let columns = chosen_columns(&frame, job.columns.as_deref(), &job.input)?;
    let features = data::extract_features(&frame, &columns, job.scale)
        .with_context(|| format!("in {}", job.input.display()))?;
    if features.n_skipped() > 0 {
        eprintln!(
            "warning: {} of {} rows have a missing, NaN or infinite value in the chosen columns; \
             they are left out and get a null '{}'",
            features.n_skipped(),
            features.n_table_rows,
            job.label_column
        );
    }
    let points = Arc::new(features.matrix.clone());
    // The window's planner: long CPU runs say so before they start (work that cannot fit
    // in memory is refused by the algorithm itself, with its own figures).
    let fits = |bytes| crate::memory::available_bytes().is_none_or(|free| bytes <= free);
    if let Ok(estimate) = params.estimate(points.n_rows, points.n_cols)
        && estimate.cpu_seconds > LONG_RUN_SECONDS
        && fits(estimate.bytes)
    {
        eprintln!(
            "note: {} on {} × {} is estimated to take {} on the CPU and {} of memory",
            algorithm.info().name,
            points.n_rows,
            points.n_cols,
            estimate.duration_text(),
            crate::memory::human_bytes(estimate.bytes)
        );
    }
    progress.phase(&format!(
        "{} on {} rows",
        algorithm.info().name,
        points.n_rows
    ));
    let mut engine = Engine::headless().for_single_runs();
    let result = crate::cluster::run(
        &mut engine,
        &points,
        params,
        job.backend,
        &progress.context(),
    )
    .map_err(cli_error)?;
    progress.phase(&format!("writing {}", job.out.display()));
    if job.backend == BackendChoice::Gpu && result.diagnostics.backend == Backend::Cpu {
        eprintln!(
            "note: {} has no GPU pass for these settings; it ran on the CPU",
            params.algorithm
        );
    }
    for warning in &result.warnings {
        eprintln!("warning: {warning}");
    }
    let labels = features.labels_for_table(&result.labels);
    let extra = score_columns(job, &result, &features);
    let provenance = data::Provenance {
        clusterscope: env!("CARGO_PKG_VERSION").into(),
        made_by: "cluster".into(),
        algorithm: params.algorithm.clone(),
        seed: full_params.get("seed").and_then(|v| v.as_u64()),
        params: full_params,
        backend_choice: job.backend,
        backend: result.diagnostics.backend.name().into(),
        adapter: result.diagnostics.adapter.clone(),
        input: input_record,
        columns,
        sheet,
        scaling: job.scale,
        rows: features.n_table_rows,
        rows_used: points.n_rows,
        label_column: job.label_column.clone(),
        scores: job.scores,
        rows_exported: None,
        clustered_rows: None,
        cutoff: None,
        labels_from: None,
        created: data::provenance::now_utc(),
    };
    data::write_labeled(
        &frame,
        &data::LabeledExport {
            labels: &labels,
            label_column: &job.label_column,
            numbers: &extra,
            texts: &[],
            rows: None,
            provenance: Some(&provenance),
        },
        &job.out,
        Some(&job.input),
    )?;
    if job.summary_json {
        let internal = if job.scores_internal {
            // The run's device, when it ran on one, takes the silhouette's pairs too.
            let gpu = match result.diagnostics.backend {
                Backend::Gpu => engine.gpu().ok(),
                Backend::Cpu => None,
            };
            match internal_scores(gpu.as_ref(), &points, &result) {
                Ok(scores) => Some(scores),
                Err(error) => {
                    eprintln!("warning: no internal scores: {error}");
                    None
                }
            }
        } else {
            None
        };
        let summary = Summary {
            algo: params.algorithm.clone(),
            backend: result.diagnostics.backend.name(),
            adapter: result.diagnostics.adapter.clone(),
            n_rows: features.n_table_rows,
            n_used: points.n_rows,
            n_clusters: result.n_clusters,
            n_noise: result.n_noise(),
            iterations: result.diagnostics.iterations,
            converged: result.diagnostics.converged,
            inertia: result.inertia(),
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
            loss: result.objective_named("loss"),
            medoids: result.medoids().map(|rows| {
                rows.iter()
                    .map(|&row| features.table_rows[row as usize])
                    .collect()
            }),
            log_likelihood: result.mixture().map(|m| m.log_likelihood),
            bic: result.mixture().map(|m| m.bic),
            aic: result.mixture().map(|m| m.aic),
            eigenvalues: result.spectrum().map(|s| s.eigenvalues.clone()),
            eigengap_k: result.spectrum().and_then(|s| s.suggested_k()),
            silhouette: internal.map(|s| s.0),
            davies_bouldin: internal.map(|s| s.1),
            calinski_harabasz: internal.map(|s| s.2),
            modularity: result.objective_named("modularity"),
        };
        println!("{}", serde_json::to_string(&summary)?);
    }
    Ok(())
}

/// The feature columns: those given, or every numeric column (warning about those that
/// look like labels).
pub(super) fn chosen_columns(
    frame: &polars::prelude::DataFrame,
    given: Option<&[String]>,
    input: &std::path::Path,
) -> anyhow::Result<Vec<String>> {
    if let Some(columns) = given {
        return Ok(columns.iter().map(|c| c.trim().to_string()).collect());
    }
    let numeric = data::numeric_columns(frame);
    if numeric.is_empty() {
        return Err(data::DataError::NoNumericColumn {
            path: input.to_path_buf(),
        }
        .into());
    }
    for name in &numeric {
        if let Some(why) = data::label_like(frame, name) {
            eprintln!(
                "warning: column '{name}' is used as a feature but {why}; pass --columns to \
                 leave it out"
            );
        }
    }
    Ok(numeric)
}

/// Silhouette (exact, on `gpu` when given), Davies–Bouldin and Calinski–Harabasz of
/// `result` on `points`, noise left out.
fn internal_scores(
    gpu: Option<&crate::gpu::GpuContext>,
    points: &crate::matrix::Matrix,
    result: &Clustering,
) -> Result<(f64, f64, f64), crate::metrics::internal::ScoreError> {
    use crate::metrics::summary::{SilhouetteMode, internal_scores_on};
    let s = internal_scores_on(
        gpu,
        points,
        &result.labels,
        result.n_clusters,
        SilhouetteMode::Exact,
        &|| false,
    )?;
    Ok((s.silhouette, s.davies_bouldin, s.calinski_harabasz))
}

/// `--scores`: one column per per-row score of the result.
fn score_columns(
    args: &ClusterJob,
    result: &Clustering,
    features: &data::FeatureMatrix,
) -> Vec<(String, Vec<Option<f64>>)> {
    if !args.scores {
        return Vec::new();
    }
    let columns: Vec<(String, Vec<Option<f64>>)> = result
        .structures
        .iter()
        .filter_map(|structure| match structure {
            crate::cluster::Structure::RowScores { name, values } => Some((
                format!("{}_{name}", args.label_column),
                features.values_for_table(values),
            )),
            _ => None,
        })
        .collect();
    if columns.is_empty() {
        eprintln!(
            "warning: --scores: {} leaves no per-row scores (hdbscan and gmm do); ignored",
            args.params.algorithm
        );
    }
    columns
}
