//! `clusterscope outliers`: score every row of a table with one detector, flag those above
//! the cutoff, and write the table back with `outlier_score` and `is_outlier`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use clap::builder::PossibleValuesParser;
use polars::prelude::Column;
use serde::Serialize;
use serde_json::Value;

use super::cluster::{chosen_columns, cli_error};
use super::flags::{flag_of, render_params_error};
use super::labels::{is_noise, label_texts};
use crate::cluster::{BackendChoice, Engine, ParamValues};
use crate::data::{self, Scaling};
use crate::metrics::external::dense_ids;
use crate::outliers::{self, Cutoff, DETECTORS, DetectInput};
use crate::spatial::NO_LABEL;

/// The score and flag columns every export adds.
pub const SCORE_COLUMN: &str = "outlier_score";
pub const FLAG_COLUMN: &str = "is_outlier";

fn method_ids() -> PossibleValuesParser {
    PossibleValuesParser::new(DETECTORS.iter().map(|d| d.info().id).collect::<Vec<_>>())
}

#[derive(Debug, Args)]
pub struct OutliersArgs {
    pub input: PathBuf,
    /// The detector: lof (local outlier factor), knn (distance to the neighbours),
    /// iforest (isolation forest), glosh (HDBSCAN's outlier score), centroid (distance to
    /// the cluster centre), gmm (Gaussian mixture negative log-likelihood).
    #[arg(long, value_parser = method_ids())]
    pub method: String,
    /// Neighbours (lof: 20, knn: 10) or HDBSCAN's minimum cluster size (glosh: 10).
    #[arg(long)]
    pub k: Option<u64>,
    /// knn: `kth` (distance to the k-th neighbour) or `mean` (of the k).
    #[arg(long)]
    pub aggregate: Option<String>,
    /// iforest: trees (default 100).
    #[arg(long)]
    pub trees: Option<u64>,
    /// iforest: rows each tree is grown on (default 256).
    #[arg(long = "sample-size")]
    pub sample_size: Option<u64>,
    /// centroid: k-means clusters when no `--labels` column is given (default 8).
    #[arg(long)]
    pub clusters: Option<u64>,
    /// centroid: score against this column's clusters (noise: -1) instead of k-means.
    #[arg(long)]
    pub labels: Option<String>,
    /// gmm: mixture components (default 4).
    #[arg(long)]
    pub components: Option<u64>,
    /// gmm: full, diag, spherical or tied (default full).
    #[arg(long)]
    pub covariance: Option<String>,
    /// lof, knn: the distance between rows (euclidean, cosine or manhattan; default
    /// euclidean).
    #[arg(long)]
    pub metric: Option<String>,
    /// iforest, centroid, gmm: the random seed (default 42).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The share of rows expected to be outliers, in (0, 0.5]: the rows scoring above the
    /// (1 − share) percentile are flagged. Default 0.05.
    #[arg(long, conflicts_with = "threshold")]
    pub contamination: Option<f64>,
    /// Flag the rows scoring above this instead.
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Feature columns, comma separated (default: every numeric column).
    #[arg(long, value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// The sheet of a workbook to read.
    #[arg(long)]
    pub sheet: Option<String>,
    #[arg(long, value_enum, default_value = "none")]
    pub scale: Scaling,
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: BackendChoice,
    /// Output file (.csv, .tsv or .parquet): every input column plus `outlier_score`
    /// (higher = more anomalous) and `is_outlier`.
    #[arg(long)]
    pub out: PathBuf,
    /// Print one JSON line describing the run on stdout.
    #[arg(long = "summary-json")]
    pub summary_json: bool,
}

impl OutliersArgs {
    /// The detector parameters given on the command line, by declared name.
    fn given(&self) -> ParamValues {
        let mut values = ParamValues::new();
        let mut put = |name: &str, value: Option<Value>| {
            if let Some(value) = value {
                values.insert(name.to_string(), value);
            }
        };
        put("k", self.k.map(Value::from));
        put("aggregate", self.aggregate.clone().map(Value::from));
        put("trees", self.trees.map(Value::from));
        put("sample_size", self.sample_size.map(Value::from));
        put("clusters", self.clusters.map(Value::from));
        put("components", self.components.map(Value::from));
        put("covariance", self.covariance.clone().map(Value::from));
        put("seed", self.seed.map(Value::from));
        put("metric", self.metric.clone().map(Value::from));
        values
    }
}

/// One outlier run, from the command line or a rerun.
pub struct OutliersJob {
    pub input: PathBuf,
    pub method: String,
    pub params: ParamValues,
    pub labels: Option<String>,
    pub cutoff: Cutoff,
    pub columns: Option<Vec<String>>,
    pub sheet: Option<String>,
    pub scale: Scaling,
    pub backend: BackendChoice,
    pub out: PathBuf,
    pub summary_json: bool,
    pub expected_input: Option<data::InputRecord>,
}

#[derive(Serialize)]
struct OutlierSummary {
    method: &'static str,
    params: ParamValues,
    n: usize,
    n_used: usize,
    /// "contamination" or "threshold".
    cutoff: &'static str,
    contamination: Option<f64>,
    threshold: f64,
    n_outliers: usize,
    backend: &'static str,
    adapter: String,
    elapsed_ms: f64,
}

pub fn run(args: &OutliersArgs) -> anyhow::Result<()> {
    let cutoff = match (args.contamination, args.threshold) {
        (_, Some(t)) => Cutoff::Threshold(t),
        (Some(share), None) => Cutoff::Contamination(share),
        (None, None) => Cutoff::default(),
    };
    if args.labels.is_some() && args.method != "centroid" {
        bail!(
            "--labels is read by --method centroid only ({} does not score against a clustering)",
            args.method
        );
    }
    run_job(&OutliersJob {
        input: args.input.clone(),
        method: args.method.clone(),
        params: args.given(),
        labels: args.labels.clone(),
        cutoff,
        columns: args.columns.clone(),
        sheet: args.sheet.clone(),
        scale: args.scale,
        backend: args.backend,
        out: args.out.clone(),
        summary_json: args.summary_json,
        expected_input: None,
    })
}

pub fn run_job(job: &OutliersJob) -> anyhow::Result<()> {
    let started = Instant::now();
    data::output_format_for(&job.out)?;
    data::ensure_output_is_not_input(&job.input, &job.out)?;
    let detector = outliers::find(&job.method).map_err(|e| anyhow::anyhow!(e.message))?;
    let info = detector.info();
    if let Some(name) = job
        .params
        .keys()
        .find(|name| info.parameters.iter().all(|p| p.name != name.as_str()))
    {
        let takes: Vec<String> = info
            .parameters
            .iter()
            .map(|p| format!("--{}", flag_of(p.name)))
            .collect();
        bail!(
            "--{} is not a parameter of {} (it takes {})",
            flag_of(name),
            info.id,
            takes.join(", ")
        );
    }
    job.cutoff
        .check()
        .and_then(|_| detector.check(&job.params, None).map(|_| ()))
        .map_err(|e| anyhow::anyhow!(render_params_error(&e)))?;
    let progress =
        super::progress::TerminalProgress::start(&format!("reading {}", job.input.display()));
    let (frame, sheet) = data::read_table_sheet(&job.input, job.sheet.as_deref())?;
    let input_record = data::InputRecord::of(&job.input)?;
    if let Some(expected) = &job.expected_input
        && (expected.sha256 != input_record.sha256 || expected.bytes != input_record.bytes)
    {
        bail!(
            "{} has changed since the export was made; the scores could not be reproduced",
            job.input.display()
        );
    }
    for name in [SCORE_COLUMN, FLAG_COLUMN] {
        if frame.column(name).is_ok() {
            bail!(
                "{} already has a column named '{name}'; rename it first",
                job.input.display()
            );
        }
    }
    let mut columns = chosen_columns(&frame, job.columns.as_deref(), &job.input)?;
    if let Some(label_column) = &job.labels {
        columns.retain(|c| c != label_column);
    }
    let features = data::extract_features(&frame, &columns, job.scale)
        .with_context(|| format!("in {}", job.input.display()))?;
    if features.n_skipped() > 0 {
        eprintln!(
            "warning: {} of {} rows have a missing, NaN or infinite value in the chosen columns; \
             they are not scored and get null '{SCORE_COLUMN}' and '{FLAG_COLUMN}'",
            features.n_skipped(),
            features.n_table_rows
        );
    }
    let labels = match &job.labels {
        Some(column) => {
            let texts = label_texts(&frame, column, &job.input)?;
            let kept: Vec<Option<&str>> = features
                .table_rows
                .iter()
                .map(|&row| texts[row as usize].as_deref())
                .collect();
            let named: Vec<&str> = kept
                .iter()
                .flatten()
                .copied()
                .filter(|t| !is_noise(t))
                .collect();
            let (ids, _) = dense_ids(&named);
            let mut ids = ids.into_iter();
            Some(
                kept.iter()
                    .map(|t| match t {
                        Some(t) if !is_noise(t) => ids.next().unwrap_or(NO_LABEL),
                        _ => NO_LABEL,
                    })
                    .collect::<Vec<u32>>(),
            )
        }
        None => None,
    };
    let points = Arc::new(features.matrix.clone());
    progress.phase(&format!("{} on {} rows", info.name, points.n_rows));
    let mut engine = Engine::headless();
    let result = outliers::detect(
        &mut engine,
        &job.method,
        &job.params,
        &DetectInput {
            points: &points,
            backend: job.backend,
            labels: labels.as_deref(),
        },
        &progress.context(),
    )
    .map_err(cli_error)?;
    for note in &result.notes {
        eprintln!("note: {note}");
    }
    let threshold = job.cutoff.threshold(&result.scores);
    let flags = outliers::flagged(&result.scores, threshold);
    let n_outliers = flags.iter().filter(|&&f| f).count();
    progress.phase(&format!("writing {}", job.out.display()));
    let mut score_column = vec![None; features.n_table_rows];
    let mut flag_column = vec![None; features.n_table_rows];
    for ((&row, &score), &flag) in features.table_rows.iter().zip(&result.scores).zip(&flags) {
        score_column[row as usize] = Some(score);
        flag_column[row as usize] = Some(flag);
    }
    let provenance = data::Provenance {
        clusterscope: env!("CARGO_PKG_VERSION").into(),
        made_by: "outliers".into(),
        algorithm: result.method.into(),
        seed: result.params.get("seed").and_then(|v| v.as_u64()),
        params: result.params.clone(),
        backend_choice: job.backend,
        backend: result.backend.name().into(),
        adapter: result.adapter.clone(),
        input: input_record,
        columns,
        sheet,
        scaling: job.scale,
        rows: features.n_table_rows,
        rows_used: points.n_rows,
        label_column: SCORE_COLUMN.into(),
        scores: true,
        rows_exported: None,
        clustered_rows: None,
        cutoff: Some(job.cutoff),
        labels_from: job.labels.clone(),
        created: data::provenance::now_utc(),
    };
    data::ensure_output_is_not_input(&job.input, &job.out)?;
    data::write_with_columns(
        &frame,
        vec![
            Column::new(SCORE_COLUMN.into(), score_column),
            Column::new(FLAG_COLUMN.into(), flag_column),
        ],
        None,
        Some(&provenance),
        &job.out,
    )?;
    if job.summary_json {
        let summary = OutlierSummary {
            method: result.method,
            params: result.params,
            n: features.n_table_rows,
            n_used: points.n_rows,
            cutoff: match job.cutoff {
                Cutoff::Contamination(_) => "contamination",
                Cutoff::Threshold(_) => "threshold",
            },
            contamination: match job.cutoff {
                Cutoff::Contamination(share) => Some(share),
                Cutoff::Threshold(_) => None,
            },
            threshold,
            n_outliers,
            backend: result.backend.name(),
            adapter: result.adapter,
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        };
        println!("{}", serde_json::to_string(&summary)?);
    }
    Ok(())
}
