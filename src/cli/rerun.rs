//! `clusterscope rerun EXPORTED --out NEW`: repeats the clustering an export records (its
//! Parquet metadata or `.clusterscope.json` sidecar): same input, checked by size and
//! sha256, same columns, scaling, algorithm, parameters, seed and backend.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;

use super::cluster::{ClusterJob, run_job};
use crate::cluster::AlgorithmParams;
use crate::data::Provenance;

#[derive(Debug, Args)]
pub struct RerunArgs {
    /// A table written by `clusterscope cluster` or the window's export.
    pub exported: PathBuf,
    /// Where the repeated run's table goes (.csv, .tsv or .parquet).
    #[arg(long)]
    pub out: PathBuf,
    /// The input, when it has moved since (it must still have the recorded sha256).
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Print the `cluster --summary-json` line.
    #[arg(long = "summary-json")]
    pub summary_json: bool,
}

pub fn run(args: &RerunArgs) -> anyhow::Result<()> {
    let record = Provenance::of_export(&args.exported)?;
    if let Some(rows) = &record.clustered_rows {
        bail!(
            "{} was made by clustering a selection of {} rows in the window; rerun repeats \
             whole-table runs only",
            args.exported.display(),
            rows.len()
        );
    }
    if record.rows_exported.is_some() {
        eprintln!(
            "note: {} holds a selection of {} rows; the rerun writes every row",
            args.exported.display(),
            record.rows_exported.unwrap_or(0)
        );
    }
    let input = match &args.input {
        Some(input) => input.clone(),
        None => find_input(&record, &args.exported).with_context(|| {
            format!(
                "the recorded input {} is gone; pass --input with its new place",
                record.input.path.display()
            )
        })?,
    };
    if record.clusterscope != env!("CARGO_PKG_VERSION") {
        eprintln!(
            "note: the export was made by Clusterscope {}, this is {}",
            record.clusterscope,
            env!("CARGO_PKG_VERSION")
        );
    }
    if record.made_by == "outliers" {
        return super::outliers::run_job(&super::outliers::OutliersJob {
            input,
            method: record.algorithm.clone(),
            params: record.params.clone(),
            labels: record.labels_from.clone(),
            cutoff: record.cutoff.unwrap_or_default(),
            columns: Some(record.columns.clone()),
            sheet: record.sheet.clone(),
            scale: record.scaling,
            backend: record.backend_choice,
            out: args.out.clone(),
            summary_json: args.summary_json,
            expected_input: Some(record.input.clone()),
        });
    }
    run_job(&ClusterJob {
        input,
        params: AlgorithmParams::new(&record.algorithm, record.params.clone()),
        columns: Some(record.columns.clone()),
        sheet: record.sheet.clone(),
        scale: record.scaling,
        backend: record.backend_choice,
        label_column: record.label_column.clone(),
        scores: record.scores,
        out: args.out.clone(),
        summary_json: args.summary_json,
        scores_internal: false,
        expected_input: Some(record.input.clone()),
    })
}

/// The recorded path, else a file of the recorded name beside the export.
fn find_input(record: &Provenance, exported: &Path) -> anyhow::Result<PathBuf> {
    if record.input.path.is_file() {
        return Ok(record.input.path.clone());
    }
    let beside = exported
        .parent()
        .unwrap_or(Path::new("."))
        .join(&record.input.file);
    if beside.is_file() {
        return Ok(beside);
    }
    bail!(
        "not found at {} nor beside the export",
        record.input.path.display()
    )
}
