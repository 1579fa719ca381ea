//! `clusterscope score`: every score of a labelled table. Internal scores (silhouette,
//! Davies–Bouldin, Calinski–Harabasz) are computed on the feature columns, scaled as
//! given, over the rows with a label that is not noise (-1) and complete features;
//! external ones (ARI, AMI, NMI, Fowlkes–Mallows, the contingency table) against a truth
//! column, over the rows with both labels (noise is one more cluster there, as in
//! scikit-learn).

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;

use super::labels::{is_noise, label_texts};
use crate::cluster::{Backend, BackendChoice, Engine};
use crate::data::{self, Scaling};
use crate::metrics::external::dense_ids;
use crate::metrics::external::{self, Contingency};
use crate::metrics::summary;

#[derive(Debug, Args)]
pub struct ScoreArgs {
    pub input: PathBuf,
    /// The column holding the cluster labels (noise: -1).
    #[arg(long)]
    pub labels: String,
    /// A column of known classes to score the labels against.
    #[arg(long)]
    pub truth: Option<String>,
    /// Feature columns for the internal scores (default: every numeric column but the
    /// labels and the truth).
    #[arg(long, value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// The sheet of a workbook to read.
    #[arg(long)]
    pub sheet: Option<String>,
    #[arg(long, value_enum, default_value = "none")]
    pub scale: Scaling,
    /// Where the exact silhouette's all-pairs pass runs: `auto` takes a hardware GPU when
    /// there is one, else the CPU (f64, scikit-learn's values); `gpu` insists.
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: BackendChoice,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct ExternalScores {
    column: String,
    rows: usize,
    n_classes: usize,
    adjusted_rand: f64,
    adjusted_mutual_info: f64,
    normalized_mutual_info: f64,
    fowlkes_mallows: f64,
    contingency: ContingencyJson,
}

#[derive(Serialize)]
struct ContingencyJson {
    classes: Vec<String>,
    clusters: Vec<String>,
    /// `counts[class][cluster]`.
    counts: Vec<Vec<u64>>,
}

#[derive(Serialize)]
struct Scores {
    input: String,
    labels: String,
    rows: usize,
    /// Rows the internal scores used (labelled, not noise, complete features).
    scored: usize,
    noise: usize,
    /// Rows with no label.
    unlabelled: usize,
    /// Rows left out for a missing, NaN or infinite feature.
    incomplete: usize,
    n_clusters: usize,
    columns: Vec<String>,
    silhouette: Option<f64>,
    /// Where the silhouette's pairs were computed: "cpu" (f64) or "gpu" (f32 sums).
    silhouette_backend: &'static str,
    davies_bouldin: Option<f64>,
    calinski_harabasz: Option<f64>,
    /// Why the internal scores are missing, when they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    internal_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    truth: Option<ExternalScores>,
}

pub fn run(args: &ScoreArgs) -> anyhow::Result<()> {
    let (frame, _) = data::read_table_sheet(&args.input, args.sheet.as_deref())?;
    let labels = label_texts(&frame, &args.labels, &args.input)?;
    let truth = match &args.truth {
        Some(column) if column == &args.labels => {
            bail!("--truth and --labels name the same column '{column}'")
        }
        Some(column) => Some(label_texts(&frame, column, &args.input)?),
        None => None,
    };
    let columns = match &args.columns {
        Some(columns) => columns.iter().map(|c| c.trim().to_string()).collect(),
        None => data::numeric_columns(&frame)
            .into_iter()
            .filter(|c| c != &args.labels && Some(c) != args.truth.as_ref())
            .collect::<Vec<_>>(),
    };
    if columns.is_empty() {
        bail!(
            "{} has no numeric column besides the labels to compute the scores on; pass --columns",
            args.input.display()
        );
    }
    let features = data::extract_features(&frame, &columns, args.scale)
        .with_context(|| format!("in {}", args.input.display()))?;

    // Internal: labelled, not noise, complete features.
    let mut kept_rows = Vec::new();
    let mut kept_labels: Vec<&str> = Vec::new();
    for (matrix_row, &table_row) in features.table_rows.iter().enumerate() {
        if let Some(label) = labels[table_row as usize].as_deref()
            && !is_noise(label)
        {
            kept_rows.push(matrix_row);
            kept_labels.push(label);
        }
    }
    let noise = labels.iter().flatten().filter(|l| is_noise(l)).count();
    let unlabelled = labels.iter().filter(|l| l.is_none()).count();
    let (label_ids, names) = dense_ids(&kept_labels);
    let n_clusters = names.len();
    // Rows left out of the internal scores carry the noise label there.
    let mut row_labels = vec![crate::cluster::NOISE; features.matrix.n_rows];
    for (&row, &id) in kept_rows.iter().zip(&label_ids) {
        row_labels[row] = id;
    }
    let mut engine = Engine::headless();
    let gpu = match engine.resolve(args.backend)? {
        Backend::Gpu => Some(engine.gpu()?),
        Backend::Cpu => None,
    };
    let silhouette_backend = if gpu.is_some() { "gpu" } else { "cpu" };
    let internal = summary::internal_scores_on(
        gpu.as_ref(),
        &features.matrix,
        &row_labels,
        n_clusters,
        summary::SilhouetteMode::Exact,
        &|| false,
    )
    .map(|s| (s.silhouette, s.davies_bouldin, s.calinski_harabasz));

    let truth = truth.map(|truth| {
        let both: Vec<(&str, &str)> = labels
            .iter()
            .zip(&truth)
            .filter_map(|(l, t)| Some((l.as_deref()?, t.as_deref()?)))
            .collect();
        let (cluster_ids, clusters) = dense_ids(&both.iter().map(|(l, _)| *l).collect::<Vec<_>>());
        let (class_ids, classes) = dense_ids(&both.iter().map(|(_, t)| *t).collect::<Vec<_>>());
        let table = Contingency::new(&class_ids, &cluster_ids, classes.len(), clusters.len());
        ExternalScores {
            column: args.truth.clone().unwrap_or_default(),
            rows: both.len(),
            n_classes: classes.len(),
            adjusted_rand: external::adjusted_rand(&table),
            adjusted_mutual_info: external::adjusted_mutual_information(&table),
            normalized_mutual_info: external::normalized_mutual_information(&table),
            fowlkes_mallows: external::fowlkes_mallows(&table),
            contingency: ContingencyJson {
                classes,
                clusters,
                counts: table.counts,
            },
        }
    });
    let internal_error = internal.as_ref().err().map(|e| e.to_string());
    if let (Some(error), None) = (&internal_error, &truth) {
        bail!("{}: {error}", args.input.display());
    }
    let scores = Scores {
        input: args.input.display().to_string(),
        labels: args.labels.clone(),
        rows: features.n_table_rows,
        scored: kept_rows.len(),
        noise,
        unlabelled,
        incomplete: features.n_skipped(),
        n_clusters,
        columns: features.columns.clone(),
        silhouette: internal.as_ref().ok().map(|s| s.0),
        silhouette_backend,
        davies_bouldin: internal.as_ref().ok().map(|s| s.1),
        calinski_harabasz: internal.as_ref().ok().map(|s| s.2),
        internal_error,
        truth,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&scores)?);
    } else {
        print_text(&scores);
    }
    Ok(())
}

fn print_text(s: &Scores) {
    println!("{}: labels '{}', {} rows", s.input, s.labels, s.rows);
    println!(
        "  scored {} rows in {} clusters on {} ({} noise, {} unlabelled, {} with a missing feature left out)",
        s.scored,
        s.n_clusters,
        s.columns.join(", "),
        s.noise,
        s.unlabelled,
        s.incomplete
    );
    match (
        &s.internal_error,
        s.silhouette,
        s.davies_bouldin,
        s.calinski_harabasz,
    ) {
        (None, Some(sil), Some(db), Some(ch)) => {
            let on_gpu = if s.silhouette_backend == "gpu" {
                "  (all pairs on the GPU)"
            } else {
                ""
            };
            println!("silhouette         {sil:.6}{on_gpu}");
            println!("davies_bouldin     {db:.6}");
            println!("calinski_harabasz  {ch:.6}");
        }
        (error, ..) => println!(
            "internal scores    not defined: {}",
            error.as_deref().unwrap_or("no rows")
        ),
    }
    if let Some(t) = &s.truth {
        println!(
            "against '{}' ({} classes, {} rows):",
            t.column, t.n_classes, t.rows
        );
        println!("adjusted_rand           {:.6}", t.adjusted_rand);
        println!("adjusted_mutual_info    {:.6}", t.adjusted_mutual_info);
        println!("normalized_mutual_info  {:.6}", t.normalized_mutual_info);
        println!("fowlkes_mallows         {:.6}", t.fowlkes_mallows);
        println!("contingency (rows: {}, columns: {}):", t.column, s.labels);
        let width = t
            .contingency
            .clusters
            .iter()
            .map(String::len)
            .chain(
                t.contingency
                    .counts
                    .iter()
                    .flatten()
                    .map(|c| c.to_string().len()),
            )
            .max()
            .unwrap_or(1)
            .max(3);
        let first = t
            .contingency
            .classes
            .iter()
            .map(String::len)
            .max()
            .unwrap_or(1);
        print!("  {:first$}", "");
        for cluster in &t.contingency.clusters {
            print!(" {cluster:>width$}");
        }
        println!();
        for (class, row) in t.contingency.classes.iter().zip(&t.contingency.counts) {
            print!("  {class:first$}");
            for count in row {
                print!(" {count:>width$}");
            }
            println!();
        }
    }
}
