//! The command line: the same engine as the window, no window. One file per subcommand;
//! the algorithms' flags are generated from the registry's declarations (`flags.rs`).

mod algorithms;
mod bench;
pub(crate) mod cluster;
pub(crate) mod flags;
mod graph;
mod info;
mod labels;
mod outliers;
mod profile;
mod progress;
pub(crate) mod project;
mod rerun;
mod score;
mod segment;
mod sweep;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use cluster::{ClusterArgs, Summary, cli_error as cluster_error};
pub use flags::{flag_of, render_params_error};
pub use segment::{SegmentArgs, SegmentSummary};

use crate::cluster::BackendChoice;

/// Explore data by clustering it on the GPU.
#[derive(Debug, Parser)]
#[command(name = "clusterscope", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// A table (CSV, TSV, Parquet, JSON/NDJSON, Arrow IPC, .npy), an image or a saved
    /// session (.clusterscope) to open in the window.
    pub path: Option<PathBuf>,
    /// A table with as many rows whose columns go beside the opened file's: the text,
    /// ids and labels of an embedding opened from a .npy (File > Attach columns…).
    #[arg(long)]
    pub attach: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Cluster a table and write it back with a cluster column.
    Cluster(ClusterArgs),
    /// Repeat the clustering an exported table records (its Parquet metadata or
    /// `.clusterscope.json` sidecar) and write the table again.
    Rerun(rerun::RerunArgs),
    /// Segment an image by clustering its pixels; writes a label mask (and optionally an
    /// overlay and a per-segment table).
    Segment(SegmentArgs),
    /// Score a labelled table: silhouette, Davies–Bouldin and Calinski–Harabasz on its
    /// features; ARI, AMI, NMI, Fowlkes–Mallows and the contingency table against
    /// `--truth`.
    Score(score::ScoreArgs),
    /// Run an algorithm over a range of one parameter (`--param k=2..12`), several seeds
    /// per value, and report every run's scores, cluster count, noise share and
    /// stability, with the suggested value.
    Sweep(sweep::SweepArgs),
    /// Profile the clusters of a labelled table: size, share and every column's summary
    /// per cluster, columns ordered by how much they separate the clusters (ANOVA F, χ²).
    Profile(profile::ProfileArgs),
    /// Score every row with an outlier detector (lof, knn, iforest, glosh, centroid, gmm)
    /// and write the table back with `outlier_score` and `is_outlier`.
    Outliers(outliers::OutliersArgs),
    /// Find communities in a graph (an edge list or GraphML) with Leiden, Louvain or label
    /// propagation; writes one row per node (`node`, `community`) and optionally a layout.
    Graph(graph::GraphArgs),
    /// Map a table's rows to 2-D with UMAP, t-SNE or PCA (any metric for the first two);
    /// writes `x,y` per row.
    Project(project::ProjectArgs),
    /// Print rows, columns, types and null counts of a table.
    Info {
        input: PathBuf,
        /// The sheet of a workbook to describe (default: the first with cells); the
        /// workbook's sheets are listed.
        #[arg(long)]
        sheet: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List every algorithm with its parameters (name, flag, type, default, range or
    /// choices, help) and its GPU passes.
    Algorithms {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Score segmentations against human ones (reads ../shared/datasets/segmentation).
    Eval {
        #[command(subcommand)]
        what: EvalKind,
    },
    /// Time an algorithm on seeded synthetic data.
    Bench {
        #[command(subcommand)]
        algorithm: bench::BenchAlgorithm,
    },
}

#[derive(Debug, Subcommand)]
pub enum EvalKind {
    /// Weizmann horses (best merged foreground IoU, k = 2..6) and BSDS500 (probabilistic
    /// Rand index), printed as Markdown tables.
    Segmentation {
        /// The `segmentation/` folder with `weizmann_horse/` and `bsds500/`.
        #[arg(long, default_value = "../shared/datasets/segmentation")]
        data: PathBuf,
        #[arg(long, value_enum, default_value = "cpu")]
        backend: BackendChoice,
    },
}

/// Runs a subcommand; errors come back for `main` to print.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Cluster(args) => cluster::run(&args),
        Command::Rerun(args) => rerun::run(&args),
        Command::Segment(args) => segment::run(&args),
        Command::Score(args) => score::run(&args),
        Command::Sweep(args) => sweep::run(&args),
        Command::Profile(args) => profile::run(&args),
        Command::Outliers(args) => outliers::run(&args),
        Command::Graph(args) => graph::run(&args),
        Command::Project(args) => project::run(&args),
        Command::Info { input, sheet, json } => info::run(&input, sheet.as_deref(), json),
        Command::Algorithms { json } => algorithms::run(json),
        Command::Eval {
            what: EvalKind::Segmentation { data, backend },
        } => crate::segment::evaluate::run(&data, backend),
        Command::Bench { algorithm } => bench::run(algorithm),
    }
}
