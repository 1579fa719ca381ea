//! `clusterscope project`: a 2-D map of a table's rows (UMAP, t-SNE or PCA) written as
//! `x,y` per row, in the input's row order (rows left out for a missing value get empty
//! coordinates).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use polars::prelude::{Column, DataFrame};
use serde::Serialize;

use super::cluster::{chosen_columns, cli_error};
use super::flags::render_params_error;
use crate::cluster::{BackendChoice, ClusterError, Engine, ParamsError};
use crate::data::{self, Scaling};
use crate::matrix::Matrix;
use crate::projection::Pca;
use crate::projection::map::Map;
use crate::projection::tsne::{self, TsneInit, TsneParams};
use crate::projection::umap::{self, UmapInit, UmapParams};
use crate::spatial::metric::{Metric, unit_rows};

/// The maps `project` makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Method {
    Umap,
    Tsne,
    Pca,
}

/// How a map starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InitChoice {
    /// UMAP's default: the graph's Laplacian eigenvectors.
    Spectral,
    /// t-SNE's default: the first two principal components, scaled to a spread of 1e-4.
    Pca,
    Random,
}

#[derive(Debug, Args)]
pub struct ProjectArgs {
    pub input: PathBuf,
    #[arg(long, value_enum)]
    pub method: Method,
    /// The distance between rows (UMAP and t-SNE neighbours; PCA of unit rows for cosine).
    #[arg(long, value_enum, default_value = "euclidean")]
    pub metric: MetricChoice,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output file (.csv, .tsv or .parquet): `x` and `y` for every input row.
    #[arg(long)]
    pub out: PathBuf,
    /// Also copy every input column into the output, before `x` and `y`.
    #[arg(long = "keep-columns")]
    pub keep_columns: bool,
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
    /// UMAP: neighbours per row, the row itself counted (default 15).
    #[arg(long = "n-neighbors")]
    pub n_neighbors: Option<usize>,
    /// UMAP: the smallest distance between mapped points (default 0.1).
    #[arg(long = "min-dist")]
    pub min_dist: Option<f64>,
    /// UMAP: the scale of the mapped clusters (default 1.0).
    #[arg(long)]
    pub spread: Option<f64>,
    /// UMAP: epochs (default 500 up to 10,000 rows, else 300).
    #[arg(long = "n-epochs")]
    pub n_epochs: Option<usize>,
    /// Where the map starts (UMAP: spectral or random; t-SNE: pca or random).
    #[arg(long, value_enum)]
    pub init: Option<InitChoice>,
    /// t-SNE: the effective number of neighbours (default 30).
    #[arg(long)]
    pub perplexity: Option<f64>,
    /// t-SNE: the exaggeration of the first 250 iterations (default 12).
    #[arg(long = "early-exaggeration")]
    pub early_exaggeration: Option<f64>,
    /// UMAP (default 1.0) and t-SNE ("auto": max(n / early exaggeration / 4, 50)).
    #[arg(long = "learning-rate")]
    pub learning_rate: Option<String>,
    /// t-SNE: iterations (default 1000).
    #[arg(long = "max-iter")]
    pub max_iter: Option<usize>,
    /// t-SNE: Barnes–Hut's θ (default 0.5).
    #[arg(long)]
    pub angle: Option<f64>,
    /// Print one JSON line describing the run on stdout.
    #[arg(long = "summary-json")]
    pub summary_json: bool,
}

/// `--metric`'s values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MetricChoice {
    Euclidean,
    Cosine,
    Manhattan,
}

impl From<MetricChoice> for Metric {
    fn from(choice: MetricChoice) -> Self {
        match choice {
            MetricChoice::Euclidean => Metric::Euclidean,
            MetricChoice::Cosine => Metric::Cosine,
            MetricChoice::Manhattan => Metric::Manhattan,
        }
    }
}

#[derive(Serialize)]
struct ProjectSummary {
    method: &'static str,
    metric: &'static str,
    n: usize,
    n_used: usize,
    steps: usize,
    neighbours_exact: bool,
    backend: &'static str,
    adapter: String,
    elapsed_ms: f64,
    notes: Vec<String>,
}

/// Flags that belong to another method are refused rather than ignored.
fn check_flags(args: &ProjectArgs) -> anyhow::Result<()> {
    let umap_only = [
        ("--n-neighbors", args.n_neighbors.is_some()),
        ("--min-dist", args.min_dist.is_some()),
        ("--spread", args.spread.is_some()),
        ("--n-epochs", args.n_epochs.is_some()),
    ];
    let tsne_only = [
        ("--perplexity", args.perplexity.is_some()),
        ("--early-exaggeration", args.early_exaggeration.is_some()),
        ("--max-iter", args.max_iter.is_some()),
        ("--angle", args.angle.is_some()),
    ];
    let method = match args.method {
        Method::Umap => "umap",
        Method::Tsne => "tsne",
        Method::Pca => "pca",
    };
    for (flag, given) in umap_only {
        if given && args.method != Method::Umap {
            bail!("{flag} is a UMAP setting; --method {method} does not take it");
        }
    }
    for (flag, given) in tsne_only {
        if given && args.method != Method::Tsne {
            bail!("{flag} is a t-SNE setting; --method {method} does not take it");
        }
    }
    if args.method == Method::Pca && (args.init.is_some() || args.learning_rate.is_some()) {
        bail!("--method pca takes no --init or --learning-rate");
    }
    match (args.method, args.init) {
        (Method::Umap, Some(InitChoice::Pca)) => {
            bail!("--init pca is t-SNE's; UMAP starts from spectral or random")
        }
        (Method::Tsne, Some(InitChoice::Spectral)) => {
            bail!("--init spectral is UMAP's; t-SNE starts from pca or random")
        }
        _ => Ok(()),
    }
}

/// `--learning-rate`: a positive number, or "auto" where the method has one.
fn learning_rate(text: Option<&str>) -> anyhow::Result<Option<f64>> {
    match text {
        None | Some("auto") => Ok(None),
        Some(text) => {
            let rate: f64 = text
                .parse()
                .map_err(|_| anyhow::anyhow!("--learning-rate '{text}' is not a number or auto"))?;
            Ok(Some(rate))
        }
    }
}

pub fn run(args: &ProjectArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    check_flags(args)?;
    data::output_format_for(&args.out)?;
    data::ensure_output_is_not_input(&args.input, &args.out)?;
    let metric = Metric::from(args.metric);
    let rate = learning_rate(args.learning_rate.as_deref())?;
    let umap_params = UmapParams {
        n_neighbors: args.n_neighbors.unwrap_or(15),
        min_dist: args.min_dist.unwrap_or(0.1),
        spread: args.spread.unwrap_or(1.0),
        n_epochs: args.n_epochs,
        metric,
        learning_rate: rate.unwrap_or(1.0),
        init: match args.init {
            Some(InitChoice::Random) => UmapInit::Random,
            _ => UmapInit::Spectral,
        },
        seed: args.seed,
        ..UmapParams::default()
    };
    let tsne_params = TsneParams {
        perplexity: args.perplexity.unwrap_or(30.0),
        early_exaggeration: args.early_exaggeration.unwrap_or(12.0),
        learning_rate: rate,
        max_iter: args.max_iter.unwrap_or(1000),
        angle: args.angle.unwrap_or(0.5),
        metric,
        init: match args.init {
            Some(InitChoice::Random) => TsneInit::Random,
            _ => TsneInit::Pca,
        },
        seed: args.seed,
    };
    let progress =
        super::progress::TerminalProgress::start(&format!("reading {}", args.input.display()));
    let (frame, _) = data::read_table_sheet(&args.input, args.sheet.as_deref())?;
    if args.keep_columns {
        for name in ["x", "y"] {
            if frame.column(name).is_ok() {
                bail!(
                    "{} already has a column named '{name}'; without --keep-columns only x and y are written",
                    args.input.display()
                );
            }
        }
    }
    let columns = chosen_columns(&frame, args.columns.as_deref(), &args.input)?;
    let features = data::extract_features(&frame, &columns, args.scale)
        .with_context(|| format!("in {}", args.input.display()))?;
    if features.n_skipped() > 0 {
        eprintln!(
            "warning: {} of {} rows have a missing, NaN or infinite value in the chosen columns; \
             they are not mapped and get empty x and y",
            features.n_skipped(),
            features.n_table_rows
        );
    }
    let n = features.matrix.n_rows;
    // Parameters are checked against the rows before any work.
    let checked = match args.method {
        Method::Umap => umap_params.check(n),
        Method::Tsne => tsne_params.check(n),
        Method::Pca => Ok(()),
    };
    checked.map_err(|e| anyhow::anyhow!(render_params_error(&e)))?;
    let points = Arc::new(features.matrix.clone());
    progress.phase(&format!("{:?} of {n} rows", args.method).to_lowercase());
    let mut engine = Engine::headless();
    let context = progress.context();
    let map = match args.method {
        Method::Umap => umap::umap(
            &mut engine,
            &points,
            &umap_params,
            args.backend,
            &context,
            &mut |_| {},
        ),
        Method::Tsne => tsne::tsne(
            &mut engine,
            &points,
            &tsne_params,
            args.backend,
            &context,
            &mut |_| {},
        ),
        Method::Pca => pca_map(&points, metric),
    }
    .map_err(cli_error)?;
    for note in &map.notes {
        eprintln!("note: {note}");
    }
    progress.phase(&format!("writing {}", args.out.display()));
    let mut xs = vec![None; features.n_table_rows];
    let mut ys = vec![None; features.n_table_rows];
    for (&row, p) in features.table_rows.iter().zip(&map.coordinates) {
        xs[row as usize] = Some(p[0]);
        ys[row as usize] = Some(p[1]);
    }
    let added = vec![Column::new("x".into(), xs), Column::new("y".into(), ys)];
    let base = if args.keep_columns {
        frame
    } else {
        DataFrame::empty_with_height(features.n_table_rows)
    };
    data::ensure_output_is_not_input(&args.input, &args.out)?;
    data::write_with_columns(&base, added, None, None, &args.out)?;
    if args.summary_json {
        let summary = ProjectSummary {
            method: map.method,
            metric: map.metric.name(),
            n: features.n_table_rows,
            n_used: n,
            steps: map.steps,
            neighbours_exact: map.neighbours_exact,
            backend: map.backend.name(),
            adapter: map.adapter,
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
            notes: map.notes,
        };
        println!("{}", serde_json::to_string(&summary)?);
    }
    Ok(())
}

/// The first two principal components (of unit rows for cosine).
fn pca_map(points: &Arc<Matrix>, metric: Metric) -> Result<Map, ClusterError> {
    let started = Instant::now();
    let unit;
    let rows: &Matrix = if metric == Metric::Cosine {
        unit = unit_rows(points).map_err(|row| {
            ClusterError::Params(ParamsError::new(
                "metric",
                format!("row {row} is all zeros: its cosine direction is undefined"),
            ))
        })?;
        &unit
    } else {
        points
    };
    let pca = Pca::fit_cpu(rows).map_err(ClusterError::Internal)?;
    let second = 1.min(pca.components.len().saturating_sub(1));
    Ok(Map {
        coordinates: pca.project(rows, 0, second),
        method: "pca",
        metric,
        backend: crate::cluster::Backend::Cpu,
        adapter: crate::cluster::cpu_name(),
        elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        steps: 1,
        neighbours_exact: true,
        notes: Vec::new(),
    })
}
