//! The command line: the same engine as the window, no window.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::cluster::kmeans::{self, KMeansParams};
use crate::cluster::{BackendChoice, Engine, RunContext};
use crate::data::{self, Scaling};
use crate::synthetic;

/// Explore data by clustering it on the GPU.
#[derive(Debug, Parser)]
#[command(name = "clusterscope", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// A table to open in the window (CSV, TSV, Parquet, JSON/NDJSON, Arrow IPC, .npy).
    pub path: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Cluster a table and write it back with a cluster column.
    Cluster(ClusterArgs),
    /// Print rows, columns, types and null counts of a table.
    Info {
        input: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Time an algorithm on seeded synthetic data.
    Bench {
        #[command(subcommand)]
        algorithm: BenchAlgorithm,
    },
}

/// Algorithms `cluster --algo` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    Kmeans,
}

#[derive(Debug, Args)]
pub struct ClusterArgs {
    pub input: PathBuf,
    #[arg(long, value_enum, default_value = "kmeans")]
    pub algo: Algorithm,
    /// Number of clusters.
    #[arg(long)]
    pub k: usize,
    /// Feature columns, comma separated (default: every numeric column).
    #[arg(long, value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    #[arg(long, value_enum, default_value = "none")]
    pub scale: Scaling,
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: BackendChoice,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long = "max-iter", default_value_t = 300)]
    pub max_iter: usize,
    #[arg(long, default_value_t = 1e-4, allow_negative_numbers = true)]
    pub tol: f64,
    /// Name of the added column.
    #[arg(long = "label-column", default_value = "cluster")]
    pub label_column: String,
    /// Output file (.csv, .tsv or .parquet).
    #[arg(long)]
    pub out: PathBuf,
    /// Print one JSON line describing the run on stdout.
    #[arg(long = "summary-json")]
    pub summary_json: bool,
}

#[derive(Debug, Subcommand)]
pub enum BenchAlgorithm {
    /// Seconds per Lloyd iteration on uniform random data.
    Kmeans {
        #[arg(long, default_value_t = 1_000_000)]
        n: usize,
        #[arg(long, default_value_t = 16)]
        d: usize,
        #[arg(long, default_value_t = 64)]
        k: usize,
        #[arg(long, default_value_t = 20)]
        iterations: usize,
        #[arg(long, value_enum, default_value = "cpu")]
        backend: BackendChoice,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

/// The `--summary-json` line.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub algo: Algorithm,
    pub backend: &'static str,
    pub adapter: String,
    pub n_rows: usize,
    pub n_used: usize,
    pub n_clusters: usize,
    pub iterations: usize,
    pub converged: bool,
    pub inertia: f64,
    pub elapsed_ms: f64,
}

/// Runs a subcommand; errors come back for `main` to print.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Cluster(args) => cluster(&args),
        Command::Info { input, json } => info(&input, json),
        Command::Bench { algorithm } => match algorithm {
            BenchAlgorithm::Kmeans {
                n,
                d,
                k,
                iterations,
                backend,
                seed,
            } => bench_kmeans(n, d, k, iterations, backend, seed),
        },
    }
}

fn cluster(args: &ClusterArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    // Check what can be checked before reading a possibly large file.
    data::output_format_for(&args.out)?;
    data::ensure_output_is_not_input(&args.input, &args.out)?;
    KMeansParams::new(args.k)
        .max_iterations(args.max_iter)
        .tolerance(args.tol)
        .check(usize::MAX)?;
    if args.label_column.trim().is_empty() {
        bail!("--label-column cannot be empty");
    }
    let frame = data::read_table(&args.input)?;
    if frame.column(&args.label_column).is_ok() {
        bail!(
            "{} already has a column named '{}'; pass --label-column with another name",
            args.input.display(),
            args.label_column
        );
    }
    let columns = match &args.columns {
        Some(columns) => columns.iter().map(|c| c.trim().to_string()).collect(),
        None => {
            let numeric = data::numeric_columns(&frame);
            if numeric.is_empty() {
                return Err(data::DataError::NoNumericColumn {
                    path: args.input.clone(),
                }
                .into());
            }
            numeric
        }
    };
    let features = data::extract_features(&frame, &columns, args.scale)
        .with_context(|| format!("in {}", args.input.display()))?;
    if features.n_skipped() > 0 {
        eprintln!(
            "warning: {} of {} rows have a missing, NaN or infinite value in the chosen columns; \
             they are left out and get a null '{}'",
            features.n_skipped(),
            features.n_table_rows,
            args.label_column
        );
    }
    let points = Arc::new(features.matrix.clone());
    let params = KMeansParams::new(args.k)
        .max_iterations(args.max_iter)
        .tolerance(args.tol)
        .seed(args.seed);
    let mut engine = Engine::headless();
    let result = kmeans::fit(
        &mut engine,
        &points,
        &params,
        args.backend,
        &RunContext::default(),
    )?;
    let labels = features.labels_for_table(&result.labels);
    data::export_labeled(
        &frame,
        &labels,
        &args.label_column,
        &args.out,
        Some(&args.input),
    )?;
    if args.summary_json {
        let summary = Summary {
            algo: args.algo,
            backend: result.diagnostics.backend.name(),
            adapter: result.diagnostics.adapter.clone(),
            n_rows: features.n_table_rows,
            n_used: points.n_rows,
            n_clusters: args.k,
            iterations: result.diagnostics.iterations,
            converged: result.diagnostics.converged,
            inertia: result.inertia,
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        };
        println!("{}", serde_json::to_string(&summary)?);
    }
    Ok(())
}

fn info(input: &Path, json: bool) -> anyhow::Result<()> {
    let frame = data::read_table(input)?;
    let info = data::table_info(&frame);
    if json {
        println!("{}", serde_json::to_string(&info)?);
        return Ok(());
    }
    println!("{}", input.display());
    println!("rows: {}", info.n_rows);
    println!("columns: {}", info.n_columns);
    let width = info
        .columns
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(4)
        .max(6);
    println!("  {:width$}  {:<12}  {:>10}", "column", "type", "nulls");
    for column in &info.columns {
        println!(
            "  {:width$}  {:<12}  {:>10}",
            column.name, column.dtype, column.null_count
        );
    }
    Ok(())
}

fn bench_kmeans(
    n: usize,
    d: usize,
    k: usize,
    iterations: usize,
    backend: BackendChoice,
    seed: u64,
) -> anyhow::Result<()> {
    if n == 0 || d == 0 {
        bail!("--n and --d must be at least 1");
    }
    let points = Arc::new(synthetic::uniform(n, d, seed));
    let valid = KMeansParams::new(k)
        .max_iterations(iterations)
        .tolerance(0.0)
        .seed(seed)
        .check(n)?;
    let mut engine = Engine::headless();
    let resolved = engine.resolve(backend)?;
    // The first k rows of uniform data are as good a start as any, and cost nothing.
    let initial = points.values[..k * d].to_vec();
    let stamps = Arc::new(Mutex::new(Vec::with_capacity(iterations)));
    let recorder = Arc::clone(&stamps);
    let context = RunContext::default().with_progress(move |_| {
        if let Ok(mut stamps) = recorder.lock() {
            stamps.push(Instant::now());
        }
    });
    let started = Instant::now();
    let result = kmeans::fit_from(&mut engine, &points, &valid, &initial, resolved, &context)?;
    let stamps = stamps
        .lock()
        .map_err(|_| anyhow::anyhow!("progress lock poisoned"))?
        .clone();
    let Some(first) = stamps.first() else {
        bail!("no iteration ran");
    };
    let mut per_iteration: Vec<f64> = stamps
        .windows(2)
        .map(|w| (w[1] - w[0]).as_secs_f64())
        .collect();
    per_iteration.sort_by(f64::total_cmp);
    let median = per_iteration
        .get(per_iteration.len() / 2)
        .copied()
        .unwrap_or((*first - started).as_secs_f64());
    println!(
        "kmeans backend={} adapter=\"{}\" n={n} d={d} k={k} iterations={}",
        result.diagnostics.backend.name(),
        result.diagnostics.adapter,
        result.diagnostics.iterations
    );
    println!(
        "first iteration (incl. upload): {:.4} s",
        (*first - started).as_secs_f64()
    );
    println!("seconds per Lloyd iteration (median of the rest): {median:.4}");
    println!("inertia: {:.6e}", result.inertia);
    Ok(())
}
