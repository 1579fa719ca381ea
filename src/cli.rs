//! The command line: the same engine as the window, no window.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::cluster::density::dbscan::DbscanParams;
use crate::cluster::density::hdbscan::{ClusterSelection, HdbscanParams};
use crate::cluster::density::optics::{OpticsExtraction, OpticsParams};
use crate::cluster::hierarchy::divisive::DivisiveParams;
use crate::cluster::hierarchy::{AgglomerativeParams, Cut, Linkage};
use crate::cluster::kmeans::{self, KMeansParams};
use crate::cluster::{AlgorithmParams, BackendChoice, Engine, RunContext};
use crate::data::{self, Scaling};
use crate::matrix::Matrix;
use crate::segment::{ColorSpace, SegmentAlgorithm, SegmentParams};
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
    /// Segment an image by clustering its pixels; writes a label mask (and optionally an
    /// overlay and a per-segment table).
    Segment(SegmentArgs),
    /// Print rows, columns, types and null counts of a table.
    Info {
        input: PathBuf,
        /// Print JSON instead of a table.
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
        algorithm: BenchAlgorithm,
    },
}

/// Algorithms `cluster --algo` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    Kmeans,
    /// Bottom-up hierarchy (--linkage), cut by --k or --distance.
    Agglomerative,
    /// Top-down bisecting k-means, cut by --k or --distance (a within-cluster SSE).
    Divisive,
    /// Density-connected clusters (--eps, --min-points); noise gets -1.
    Dbscan,
    /// Hierarchical DBSCAN (--min-cluster-size, --min-samples); noise gets -1.
    Hdbscan,
    /// Reachability ordering (--min-points, --max-eps), clusters by --xi or --reachability.
    Optics,
}

#[derive(Debug, Args)]
pub struct ClusterArgs {
    pub input: PathBuf,
    #[arg(long, value_enum, default_value = "kmeans")]
    pub algo: Algorithm,
    /// Number of clusters (k-means; agglomerative and divisive cut).
    #[arg(long)]
    pub k: Option<usize>,
    #[command(flatten)]
    pub flags: AlgorithmFlags,
    /// HDBSCAN: also write `<label-column>_probability` and `<label-column>_outlier_score`.
    #[arg(long)]
    pub scores: bool,
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

/// The parameters of the tree and density algorithms, shared by `cluster` and `segment`.
#[derive(Debug, Args)]
pub struct AlgorithmFlags {
    /// Agglomerative linkage.
    #[arg(long, value_enum, default_value = "ward")]
    pub linkage: Linkage,
    /// Agglomerative/divisive: cut the tree at this height instead of --k.
    #[arg(long, allow_negative_numbers = true)]
    pub distance: Option<f64>,
    /// DBSCAN neighbourhood radius (in the scaled feature space).
    #[arg(long, allow_negative_numbers = true)]
    pub eps: Option<f64>,
    /// DBSCAN/OPTICS: points (itself included) within eps that make a core point.
    #[arg(long = "min-points", default_value_t = 5)]
    pub min_points: usize,
    /// HDBSCAN smallest cluster; OPTICS ξ smallest cluster (default --min-points).
    #[arg(long = "min-cluster-size")]
    pub min_cluster_size: Option<usize>,
    /// HDBSCAN neighbours for the core distance (default --min-cluster-size).
    #[arg(long = "min-samples")]
    pub min_samples: Option<usize>,
    /// HDBSCAN cluster selection.
    #[arg(long = "cluster-selection", value_enum, default_value = "eom")]
    pub cluster_selection: ClusterSelection,
    /// OPTICS largest neighbourhood radius.
    #[arg(long = "max-eps", default_value_t = f64::INFINITY, allow_negative_numbers = true)]
    pub max_eps: f64,
    /// OPTICS ξ extraction steepness (default 0.05 unless --reachability is given).
    #[arg(long, allow_negative_numbers = true)]
    pub xi: Option<f64>,
    /// OPTICS extraction by a reachability threshold instead of ξ.
    #[arg(long, allow_negative_numbers = true)]
    pub reachability: Option<f64>,
    /// Complete/average linkage: memory the distance matrix may take, in MiB.
    #[arg(long = "memory-budget-mb")]
    pub memory_budget_mb: Option<u64>,
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

#[derive(Debug, Args)]
pub struct SegmentArgs {
    /// PNG, JPEG, TIFF (8/16-bit), WebP or BMP.
    pub image: PathBuf,
    #[arg(long, value_enum, default_value = "kmeans")]
    pub algo: SegmentMethod,
    /// Clusters (kmeans; agglomerative and divisive cut) or about how many superpixels
    /// (slic). Default 6.
    #[arg(long)]
    pub k: Option<usize>,
    /// Algorithms other than kmeans and slic: about how many SLIC superpixels they cluster.
    #[arg(long, default_value_t = crate::segment::superpixels::DEFAULT_SUPERPIXELS)]
    pub superpixels: usize,
    /// Colour space of the pixel features.
    #[arg(long, value_enum, default_value = "rgb")]
    pub space: ColorSpace,
    /// kmeans: weight of x/y (0 = colour only; 1 = the longer side spans one colour axis).
    /// slic and the superpixel algorithms: SLIC compactness (default 10).
    #[arg(long = "spatial-weight", allow_negative_numbers = true)]
    pub spatial_weight: Option<f64>,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: BackendChoice,
    /// Iterations at most (default 300 for kmeans, 10 for slic).
    #[arg(long = "max-iter")]
    pub max_iter: Option<usize>,
    #[arg(long, default_value_t = 1e-4, allow_negative_numbers = true)]
    pub tol: f64,
    /// Label mask PNG: pixel value = segment id (8-bit up to 256 segments, else 16-bit).
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the image with segment colours over it (PNG).
    #[arg(long)]
    pub overlay: Option<PathBuf>,
    /// Opacity of the segment colours in --overlay.
    #[arg(long = "overlay-opacity", default_value_t = 0.5)]
    pub overlay_opacity: f32,
    /// Leave the boundary lines out of --overlay.
    #[arg(long = "no-boundaries")]
    pub no_boundaries: bool,
    /// Also write one row per segment: id, pixel count, mean colour, centroid, bounding box.
    #[arg(long)]
    pub segments: Option<PathBuf>,
    /// Print one JSON line describing the run on stdout.
    #[arg(long = "summary-json")]
    pub summary_json: bool,
    /// Parameters of the superpixel algorithms (eps in colour units: 0–100 per axis).
    #[command(flatten)]
    pub flags: AlgorithmFlags,
}

/// How `segment --algo` groups pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SegmentMethod {
    /// k colour clusters over every pixel.
    Kmeans,
    /// About k compact, connected superpixels.
    Slic,
    /// The following run on the mean colours of about --superpixels SLIC superpixels.
    Agglomerative,
    Divisive,
    Dbscan,
    Hdbscan,
    Optics,
}

impl SegmentMethod {
    /// The engine algorithm that clusters superpixels, for the methods that do.
    fn superpixel_algorithm(self) -> Option<Algorithm> {
        match self {
            SegmentMethod::Kmeans | SegmentMethod::Slic => None,
            SegmentMethod::Agglomerative => Some(Algorithm::Agglomerative),
            SegmentMethod::Divisive => Some(Algorithm::Divisive),
            SegmentMethod::Dbscan => Some(Algorithm::Dbscan),
            SegmentMethod::Hdbscan => Some(Algorithm::Hdbscan),
            SegmentMethod::Optics => Some(Algorithm::Optics),
        }
    }
}

/// The `segment --summary-json` line.
#[derive(Debug, Serialize)]
pub struct SegmentSummary {
    pub algo: SegmentMethod,
    pub space: ColorSpace,
    pub backend: &'static str,
    pub adapter: String,
    pub width: u32,
    pub height: u32,
    pub bits: u8,
    pub n_pixels: usize,
    pub n_segments: usize,
    /// Pixels in no segment (mask value 255 or 65535).
    pub n_noise: usize,
    pub k: usize,
    /// Superpixels clustered (superpixel algorithms only; null otherwise).
    pub superpixels: Option<usize>,
    pub spatial_weight: f64,
    pub iterations: usize,
    pub converged: bool,
    /// kmeans only; null otherwise.
    pub inertia: Option<f64>,
    pub mask_bits: u8,
    pub elapsed_ms: f64,
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
    /// Seconds for DBSCAN (hierarchy + cut) on blobs, or on --input.
    Dbscan {
        #[command(flatten)]
        data: BenchData,
        #[arg(long, default_value_t = 0.3)]
        eps: f64,
        #[arg(long = "min-points", default_value_t = 5)]
        min_points: usize,
    },
    /// Seconds for HDBSCAN on blobs, or on --input.
    Hdbscan {
        #[command(flatten)]
        data: BenchData,
        #[arg(long = "min-cluster-size", default_value_t = 5)]
        min_cluster_size: usize,
        #[arg(long = "min-samples")]
        min_samples: Option<usize>,
    },
    /// Frame time of the GPU point renderer (offscreen, headless device) and the time from
    /// a k change to the recoloured frame.
    Render {
        #[arg(long, default_value_t = 1_000_000)]
        n: usize,
        #[arg(long, default_value_t = 30)]
        frames: usize,
        /// Additive accumulation + tone map instead of plain points.
        #[arg(long)]
        density: bool,
        /// How plain points are drawn (auto: quads below 100,000 points, splats above).
        #[arg(long, value_enum, default_value = "auto")]
        draw: crate::render::Rasterization,
        /// Point diameter in pixels.
        #[arg(long = "point-size", default_value_t = 2.0)]
        point_size: f32,
        #[arg(long, default_value_t = 1280)]
        width: u32,
        #[arg(long, default_value_t = 800)]
        height: u32,
        /// Clusters for the slider-to-frame measurement.
        #[arg(long, default_value_t = 8)]
        k: usize,
        /// Where k-means runs for the slider-to-frame measurement.
        #[arg(long, value_enum, default_value = "cpu")]
        backend: BackendChoice,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Seconds per Lloyd iteration of k-means on the pixels of a synthetic image (or --input).
    Segment {
        /// Side of the square synthetic image.
        #[arg(long, default_value_t = 4096)]
        size: u32,
        #[arg(long, default_value_t = 8)]
        k: usize,
        #[arg(long, default_value_t = 10)]
        iterations: usize,
        #[arg(long, value_enum, default_value = "rgb")]
        space: ColorSpace,
        /// Segment this image instead of a synthetic one.
        #[arg(long)]
        input: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "cpu")]
        backend: BackendChoice,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Seconds for an agglomerative tree on blobs, or on --input.
    Agglomerative {
        #[command(flatten)]
        data: BenchData,
        #[arg(long, value_enum, default_value = "ward")]
        linkage: Linkage,
    },
}

/// Data for a benchmark: seeded Gaussian blobs, or every numeric column of a file.
#[derive(Debug, Args)]
pub struct BenchData {
    #[arg(long, default_value_t = 100_000)]
    n: usize,
    #[arg(long, default_value_t = 2)]
    d: usize,
    /// Blobs to draw.
    #[arg(long, default_value_t = 10)]
    centers: usize,
    /// Read the points from this table (all numeric columns) instead.
    #[arg(long)]
    input: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "cpu")]
    backend: BackendChoice,
    #[arg(long, default_value_t = 42)]
    seed: u64,
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
    /// Points labelled noise (-1).
    pub n_noise: usize,
    pub iterations: usize,
    pub converged: bool,
    /// k-means only; null otherwise.
    pub inertia: Option<f64>,
    pub elapsed_ms: f64,
}

/// Runs a subcommand; errors come back for `main` to print.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Cluster(args) => cluster(&args),
        Command::Segment(args) => segment(&args),
        Command::Eval {
            what: EvalKind::Segmentation { data, backend },
        } => crate::segment::evaluate::run(&data, backend),
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
            BenchAlgorithm::Dbscan {
                data,
                eps,
                min_points,
            } => bench_run(
                &data,
                AlgorithmParams::Dbscan(DbscanParams::new(eps, min_points)),
            ),
            BenchAlgorithm::Hdbscan {
                data,
                min_cluster_size,
                min_samples,
            } => bench_run(
                &data,
                AlgorithmParams::Hdbscan(
                    HdbscanParams::new(min_cluster_size).min_samples(min_samples),
                ),
            ),
            BenchAlgorithm::Render {
                n,
                frames,
                density,
                draw,
                point_size,
                width,
                height,
                k,
                backend,
                seed,
            } => crate::render::bench::run(&crate::render::bench::RenderBench {
                n,
                frames,
                density,
                size: [width, height],
                k,
                backend,
                seed,
                rasterization: draw,
                point_size,
            }),
            BenchAlgorithm::Segment {
                size,
                k,
                iterations,
                space,
                input,
                backend,
                seed,
            } => bench_segment(size, k, iterations, space, input.as_deref(), backend, seed),
            BenchAlgorithm::Agglomerative { data, linkage } => bench_run(
                &data,
                AlgorithmParams::Agglomerative(AgglomerativeParams::new(
                    linkage,
                    Cut::Clusters(data.centers.max(1)),
                )),
            ),
        },
    }
}

/// Builds the algorithm's params from the flags, refusing flags that contradict each other.
fn algorithm_params(args: &ClusterArgs) -> anyhow::Result<AlgorithmParams> {
    let iterations = Iterations {
        seed: args.seed,
        max: args.max_iter,
        tolerance: args.tol,
    };
    flags_params(args.algo, args.k, &args.flags, iterations)
}

/// What the iterative algorithms (k-means, bisecting k-means) take beside their flags.
#[derive(Clone, Copy)]
struct Iterations {
    seed: u64,
    max: usize,
    tolerance: f64,
}

/// `algo`'s params from `k` and `flags`.
fn flags_params(
    algo: Algorithm,
    k: Option<usize>,
    args: &AlgorithmFlags,
    iterations: Iterations,
) -> anyhow::Result<AlgorithmParams> {
    let tree_cut = || -> anyhow::Result<Cut> {
        match (k, args.distance) {
            (Some(k), None) => Ok(Cut::Clusters(k)),
            (None, Some(t)) => Ok(Cut::Height(t)),
            (Some(_), Some(_)) => bail!("give either --k or --distance, not both"),
            (None, None) => bail!("{algo:?} needs --k N or --distance T"),
        }
    };
    Ok(match algo {
        Algorithm::Kmeans => {
            let Some(k) = k else {
                bail!("kmeans needs --k N");
            };
            AlgorithmParams::KMeans(
                KMeansParams::new(k)
                    .max_iterations(iterations.max)
                    .tolerance(iterations.tolerance)
                    .seed(iterations.seed),
            )
        }
        Algorithm::Agglomerative => {
            let mut params = AgglomerativeParams::new(args.linkage, tree_cut()?);
            if let Some(mb) = args.memory_budget_mb {
                params.matrix_budget = mb.saturating_mul(1 << 20);
            }
            AlgorithmParams::Agglomerative(params)
        }
        Algorithm::Divisive => AlgorithmParams::Divisive(
            DivisiveParams::new(tree_cut()?)
                .seed(iterations.seed)
                .max_iterations(iterations.max),
        ),
        Algorithm::Dbscan => {
            let Some(eps) = args.eps else {
                bail!("dbscan needs --eps (the neighbourhood radius)");
            };
            AlgorithmParams::Dbscan(DbscanParams::new(eps, args.min_points))
        }
        Algorithm::Hdbscan => AlgorithmParams::Hdbscan(
            HdbscanParams::new(args.min_cluster_size.unwrap_or(5))
                .min_samples(args.min_samples)
                .selection(args.cluster_selection),
        ),
        Algorithm::Optics => {
            let extraction = match (args.xi, args.reachability) {
                (Some(_), Some(_)) => bail!("give either --xi or --reachability, not both"),
                (_, Some(threshold)) => OpticsExtraction::Threshold(threshold),
                (xi, None) => OpticsExtraction::Xi(xi.unwrap_or(0.05)),
            };
            let mut params = OpticsParams::new(args.min_points);
            params.max_eps = args.max_eps;
            params.extraction = extraction;
            params.min_cluster_size = args.min_cluster_size;
            AlgorithmParams::Optics(params)
        }
    })
}

/// Checks params that need only the row count, before any heavy work.
fn check_params(params: &AlgorithmParams, n: usize) -> anyhow::Result<()> {
    match params {
        AlgorithmParams::KMeans(p) => {
            p.check(n)?;
        }
        // Before the file is read the size is unknown: no memory estimate yet.
        AlgorithmParams::Agglomerative(p) if n == usize::MAX => p.cut.check(n)?,
        AlgorithmParams::Agglomerative(p) => p.check(n)?,
        AlgorithmParams::Divisive(p) => p.check(n)?,
        AlgorithmParams::Dbscan(p) => p.check()?,
        AlgorithmParams::Hdbscan(p) => p.check()?,
        AlgorithmParams::Optics(p) => p.check()?,
    }
    Ok(())
}

fn cluster(args: &ClusterArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    // Check what can be checked before reading a possibly large file.
    data::output_format_for(&args.out)?;
    data::ensure_output_is_not_input(&args.input, &args.out)?;
    let params = algorithm_params(args)?;
    check_params(&params, usize::MAX)?;
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
    check_params(&params, points.n_rows)?;
    let mut engine = Engine::headless();
    let result = crate::cluster::run(
        &mut engine,
        &points,
        &params,
        args.backend,
        &RunContext::default(),
    )?;
    if args.backend == BackendChoice::Gpu
        && result.diagnostics.backend == crate::cluster::Backend::Cpu
    {
        eprintln!(
            "note: {:?} has no GPU pass for these settings; it ran on the CPU",
            args.algo
        );
    }
    let labels = features.labels_for_table(&result.labels);
    let mut extra = Vec::new();
    if args.scores {
        match (&result.probabilities, &result.outlier_scores) {
            (Some(probabilities), Some(scores)) => {
                extra.push((
                    format!("{}_probability", args.label_column),
                    features.values_for_table(probabilities),
                ));
                extra.push((
                    format!("{}_outlier_score", args.label_column),
                    features.values_for_table(scores),
                ));
            }
            _ => eprintln!("warning: --scores is only produced by --algo hdbscan; ignored"),
        }
    }
    data::export_labeled_with(
        &frame,
        &labels,
        &args.label_column,
        &extra,
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
            n_clusters: result.n_clusters,
            n_noise: result.n_noise(),
            iterations: result.diagnostics.iterations,
            converged: result.diagnostics.converged,
            inertia: result.inertia,
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        };
        println!("{}", serde_json::to_string(&summary)?);
    }
    Ok(())
}

fn segment(args: &SegmentArgs) -> anyhow::Result<()> {
    use crate::segment::{self, export, stats};
    let started = Instant::now();
    let outputs: Vec<&PathBuf> = [
        Some(&args.out),
        args.overlay.as_ref(),
        args.segments.as_ref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    for (i, output) in outputs.iter().enumerate() {
        data::ensure_output_is_not_input(&args.image, output)?;
        if outputs[..i].iter().any(|earlier| earlier == output) {
            bail!("{} is given for two outputs", output.display());
        }
    }
    if !(0.0..=1.0).contains(&args.overlay_opacity) {
        bail!(
            "--overlay-opacity must be between 0 and 1, got {}",
            args.overlay_opacity
        );
    }
    let k = args.k.unwrap_or(6);
    let (algorithm, cluster) = match args.algo.superpixel_algorithm() {
        None => (
            match args.algo {
                SegmentMethod::Slic => SegmentAlgorithm::Slic,
                _ => SegmentAlgorithm::Kmeans,
            },
            None,
        ),
        Some(algo) => {
            // A tree is cut at k clusters unless --distance is given.
            let tree_k = match args.flags.distance {
                Some(_) => args.k,
                None => Some(k),
            };
            let iterations = Iterations {
                seed: args.seed,
                max: 300,
                tolerance: args.tol,
            };
            let params = flags_params(algo, tree_k, &args.flags, iterations)?;
            check_params(&params, usize::MAX)?;
            (SegmentAlgorithm::Superpixels, Some(params))
        }
    };
    let params = SegmentParams {
        algorithm,
        k,
        space: args.space,
        spatial_weight: args.spatial_weight,
        seed: args.seed,
        max_iterations: args.max_iter,
        tolerance: args.tol,
        superpixels: args.superpixels,
        cluster,
    };
    // Parameters that do not depend on the image fail before it is decoded.
    params.check(usize::MAX)?;
    let image = segment::load_image(&args.image)?;
    let mut engine = Engine::headless();
    let result = segment::segment(
        &mut engine,
        &image,
        &params,
        args.backend,
        &RunContext::default(),
    )
    .with_context(|| format!("segmenting {}", args.image.display()))?;
    export::write_mask(&result, &args.out, Some(&args.image))?;
    if let Some(path) = &args.overlay {
        let style = export::OverlayStyle::palette(
            result.n_segments,
            args.overlay_opacity,
            !args.no_boundaries,
        );
        export::write_overlay(&image, &result, &style, path, Some(&args.image))?;
    }
    if let Some(path) = &args.segments {
        stats::write_segments_csv(
            &stats::segment_stats(&image, &result),
            path,
            Some(&args.image),
        )?;
    }
    if args.summary_json {
        let summary = SegmentSummary {
            algo: args.algo,
            space: args.space,
            backend: result.diagnostics.backend.name(),
            adapter: result.diagnostics.adapter.clone(),
            width: image.width,
            height: image.height,
            bits: image.bits,
            n_pixels: image.n_pixels(),
            n_segments: result.n_segments,
            n_noise: result
                .labels
                .iter()
                .filter(|&&l| l == crate::cluster::NOISE)
                .count(),
            k,
            superpixels: (algorithm == SegmentAlgorithm::Superpixels).then_some(args.superpixels),
            spatial_weight: params.spatial_weight(),
            iterations: result.diagnostics.iterations,
            converged: result.diagnostics.converged,
            inertia: result.inertia,
            mask_bits: export::mask_bits(&result),
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
    // The first k rows of uniform data are as good a start as any, and cost nothing.
    let initial = points.values[..k * d].to_vec();
    let timing = time_lloyd(&mut engine, &points, &valid, &initial, backend)?;
    println!(
        "kmeans backend={} adapter=\"{}\" n={n} d={d} k={k} iterations={}",
        timing.result.diagnostics.backend.name(),
        timing.result.diagnostics.adapter,
        timing.result.diagnostics.iterations
    );
    timing.print();
    Ok(())
}

/// A timed k-means run: the first iteration (with uploads) and the median of the rest.
struct LloydTiming {
    result: kmeans::KMeansResult,
    first: f64,
    median: f64,
}

impl LloydTiming {
    fn print(&self) {
        println!("first iteration (incl. upload): {:.4} s", self.first);
        println!(
            "seconds per Lloyd iteration (median of the rest): {:.4}",
            self.median
        );
        println!("inertia: {:.6e}", self.result.inertia);
    }
}

fn time_lloyd(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    valid: &kmeans::KMeansValidParams,
    initial: &[f32],
    backend: BackendChoice,
) -> anyhow::Result<LloydTiming> {
    let resolved = engine.resolve(backend)?;
    let stamps = Arc::new(Mutex::new(Vec::new()));
    let recorder = Arc::clone(&stamps);
    let context = RunContext::default().with_progress(move |_| {
        if let Ok(mut stamps) = recorder.lock() {
            stamps.push(Instant::now());
        }
    });
    let started = Instant::now();
    let result = kmeans::fit_from(engine, points, valid, initial, resolved, &context)?;
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
    let first = (*first - started).as_secs_f64();
    let median = per_iteration
        .get(per_iteration.len() / 2)
        .copied()
        .unwrap_or(first);
    Ok(LloydTiming {
        result,
        first,
        median,
    })
}

/// k-means per-iteration time on image pixels (the 4096 × 4096, k = 8 benchmark).
fn bench_segment(
    size: u32,
    k: usize,
    iterations: usize,
    space: ColorSpace,
    input: Option<&Path>,
    backend: BackendChoice,
    seed: u64,
) -> anyhow::Result<()> {
    use crate::segment::{Spatial, load_image, pixel_features};
    let prepared = Instant::now();
    let image = match input {
        Some(path) => load_image(path)?,
        None => {
            if size == 0 {
                bail!("--size must be at least 1");
            }
            synthetic::regions_image(size, size, 24, 10.0, seed).0
        }
    };
    let features_started = Instant::now();
    let points = Arc::new(pixel_features(&image, space, Spatial { scale: 0.0 }));
    let features_seconds = features_started.elapsed().as_secs_f64();
    let valid = KMeansParams::new(k)
        .max_iterations(iterations)
        .tolerance(0.0)
        .seed(seed)
        .check(points.n_rows)?;
    let initial = kmeans::kmeans_plus_plus(&points, k, seed, &RunContext::default())?;
    println!(
        "segment-kmeans image={}x{} pixels={} space={} k={k} (image + seeding {:.2} s, features {:.3} s)",
        image.width,
        image.height,
        points.n_rows,
        space.name(),
        prepared.elapsed().as_secs_f64() - features_seconds,
        features_seconds
    );
    let mut engine = Engine::headless();
    let timing = time_lloyd(&mut engine, &points, &valid, &initial, backend)?;
    println!(
        "backend={} adapter=\"{}\" iterations={}",
        timing.result.diagnostics.backend.name(),
        timing.result.diagnostics.adapter,
        timing.result.diagnostics.iterations
    );
    timing.print();
    Ok(())
}

/// Points for a benchmark: blobs (spread 0.5 in [-10, 10]^d) or a file's numeric columns.
fn bench_points(data: &BenchData) -> anyhow::Result<Arc<Matrix>> {
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
            Ok(Arc::new(
                synthetic::gaussian_blobs(data.n, data.d, data.centers.max(1), 0.5, data.seed)
                    .points,
            ))
        }
    }
}

/// Times one run of a non-iterative algorithm (a fresh engine, so nothing is cached).
fn bench_run(data: &BenchData, params: AlgorithmParams) -> anyhow::Result<()> {
    let points = bench_points(data)?;
    check_params(&params, points.n_rows)?;
    let mut engine = Engine::headless();
    engine.resolve(data.backend)?;
    let started = Instant::now();
    let result = crate::cluster::run(
        &mut engine,
        &points,
        &params,
        data.backend,
        &RunContext::default(),
    )?;
    let seconds = started.elapsed().as_secs_f64();
    let name = match &params {
        AlgorithmParams::KMeans(_) => "kmeans".to_string(),
        AlgorithmParams::Agglomerative(p) => format!("agglomerative-{}", p.linkage.name()),
        AlgorithmParams::Divisive(_) => "divisive".to_string(),
        AlgorithmParams::Dbscan(_) => "dbscan".to_string(),
        AlgorithmParams::Hdbscan(_) => "hdbscan".to_string(),
        AlgorithmParams::Optics(_) => "optics".to_string(),
    };
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
    println!("seconds: {seconds:.4}");
    Ok(())
}
