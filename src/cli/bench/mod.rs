//! `clusterscope bench`: algorithms timed on seeded synthetic data (or a file), so the
//! figures in BENCHMARKS.md can be reproduced. Reference packages run beside these in the
//! `benches/` scripts.

mod kmeans;
mod knn;
mod runs;

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::cluster::BackendChoice;
use crate::cluster::hierarchy::Linkage;
use crate::segment::ColorSpace;

#[derive(Debug, Subcommand)]
pub enum BenchAlgorithm {
    /// Seconds per Lloyd iteration on uniform random data, and of each seeding.
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
    /// Seconds for one whole run of any registered algorithm (`--algo`, with its own
    /// flags) on blobs, or on --input; `--seed` seeds both the blobs and the algorithm.
    Run {
        #[arg(long, value_parser = crate::cli::cluster::algorithm_ids())]
        algo: String,
        #[command(flatten)]
        data: BenchData,
        #[command(flatten)]
        flags: crate::cli::flags::BenchFlags,
    },
    /// Seconds for the k-NN graph of embedding-like rows (unit vectors around `centers`
    /// directions, or --input), exact or by NN-descent, with its recall on a sample of
    /// rows checked by a full scan.
    Knn {
        #[command(flatten)]
        data: BenchData,
        #[arg(long, default_value_t = 15)]
        k: usize,
        #[arg(long, value_enum, default_value = "cosine")]
        metric: crate::cli::project::MetricChoice,
        /// auto (exact while n²·d ≤ 2·10¹¹), exact or approximate (NN-descent).
        #[arg(long, value_parser = ["auto", "exact", "approximate"], default_value = "auto")]
        method: String,
        /// Rows whose neighbours are checked against a full scan.
        #[arg(long, default_value_t = 200)]
        check: usize,
    },
    /// A grid algorithm (sting, wavecluster) run once, then re-run at each threshold on the
    /// same engine: seconds for the first run and per threshold change.
    Recluster {
        #[arg(long, value_parser = ["sting", "wavecluster"])]
        algo: String,
        /// The thresholds to change to, comma separated.
        #[arg(long, value_delimiter = ',', default_value = "2,4,8,16")]
        thresholds: Vec<f64>,
        #[command(flatten)]
        data: BenchData,
        #[command(flatten)]
        flags: crate::cli::flags::BenchFlags,
    },
}

/// Data for a benchmark: seeded Gaussian blobs, or every numeric column of a file.
#[derive(Debug, Args)]
pub struct BenchData {
    #[arg(long, default_value_t = 100_000)]
    pub n: usize,
    #[arg(long, default_value_t = 2)]
    pub d: usize,
    /// Blobs to draw.
    #[arg(long, default_value_t = 10)]
    pub centers: usize,
    /// Read the points from this table (all numeric columns) instead.
    #[arg(long)]
    pub input: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "cpu")]
    pub backend: BackendChoice,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

pub fn run(algorithm: BenchAlgorithm) -> anyhow::Result<()> {
    match algorithm {
        BenchAlgorithm::Kmeans {
            n,
            d,
            k,
            iterations,
            backend,
            seed,
        } => kmeans::lloyd(n, d, k, iterations, backend, seed),
        BenchAlgorithm::Dbscan {
            data,
            eps,
            min_points,
        } => runs::dbscan(&data, eps, min_points),
        BenchAlgorithm::Hdbscan {
            data,
            min_cluster_size,
            min_samples,
        } => runs::hdbscan(&data, min_cluster_size, min_samples),
        BenchAlgorithm::Agglomerative { data, linkage } => runs::agglomerative(&data, linkage),
        BenchAlgorithm::Run { algo, data, flags } => runs::registered(&algo, &data, &flags.0),
        BenchAlgorithm::Knn {
            data,
            k,
            metric,
            method,
            check,
        } => knn::run(&data, k, metric.into(), &method, check),
        BenchAlgorithm::Recluster {
            algo,
            thresholds,
            data,
            flags,
        } => runs::recluster(&algo, &data, &flags.0, &thresholds),
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
        } => kmeans::segment(size, k, iterations, space, input.as_deref(), backend, seed),
    }
}
