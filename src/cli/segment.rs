//! `clusterscope segment`: an image's pixels clustered by k-means or SLIC, or any other
//! registered algorithm on SLIC superpixels; writes a label mask, and optionally an
//! overlay and a per-segment table.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use clap::builder::PossibleValuesParser;
use serde::Serialize;
use serde_json::Value;

use super::cluster::{algorithm_params, cli_error};
use super::flags::{SegmentFlags, render_params_error};
use crate::cluster::params::real;
use crate::cluster::{BackendChoice, Engine, RunContext, find, infos};
use crate::data;
use crate::segment::provenance::SegmentRecord;
use crate::segment::{self, ColorSpace, SegmentAlgorithm, SegmentParams, export, stats};

/// Per pixel: `kmeans`, `slic`; on superpixels: every other registered algorithm.
fn segment_methods() -> PossibleValuesParser {
    let mut methods = vec!["kmeans", "slic"];
    methods.extend(infos().map(|i| i.id).filter(|id| *id != "kmeans"));
    PossibleValuesParser::new(methods)
}

#[derive(Debug, Args)]
pub struct SegmentArgs {
    /// PNG, JPEG, TIFF (8/16-bit), WebP or BMP.
    pub image: PathBuf,
    /// kmeans: k colour clusters over every pixel; slic: about k compact, connected
    /// superpixels; any other algorithm runs on the mean colours of about --superpixels
    /// SLIC superpixels.
    #[arg(long, default_value = "kmeans", value_parser = segment_methods())]
    pub algo: String,
    /// Clusters (kmeans; a tree's cut) or about how many superpixels (slic). Default 6.
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
    pub flags: SegmentFlags,
}

/// The `segment --summary-json` line.
#[derive(Debug, Serialize)]
pub struct SegmentSummary {
    pub algo: String,
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

/// The superpixel algorithm's params: its own flags, plus `segment`'s `--k` (a tree's cut,
/// default 6, unless a parameter that replaces the count is given), `--seed` and `--tol`.
fn superpixel_params(
    args: &SegmentArgs,
    id: &str,
    k: usize,
) -> anyhow::Result<crate::cluster::AlgorithmParams> {
    let algorithm = find(id).ok_or_else(|| anyhow::anyhow!("unknown algorithm '{id}'"))?;
    let info = algorithm.info();
    let mut params = algorithm_params(algorithm, &args.flags.0)?;
    let count_replaced = info.parameters.iter().any(|p| {
        p.replaces == Some("n_clusters") && params.values.get(p.name).is_some_and(|v| !v.is_null())
    });
    let passed_on: [(&str, Option<Value>); 3] = [
        (
            "n_clusters",
            match (args.k, count_replaced) {
                (Some(k), _) => Some(Value::from(k)),
                (None, false) => Some(Value::from(k)),
                (None, true) => None,
            },
        ),
        ("seed", Some(Value::from(args.seed))),
        ("tolerance", Some(real::to_value(args.tol))),
    ];
    for (name, value) in passed_on {
        // Only to the algorithms that declare the parameter.
        if let (Some(_), Some(value)) = (info.parameter(name), value) {
            params.values.insert(name.to_string(), value);
        }
    }
    algorithm
        .prepare(&params.values, None)
        .map_err(|e| anyhow::anyhow!(render_params_error(&e)))?;
    Ok(params)
}

pub fn run(args: &SegmentArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let outputs: Vec<&PathBuf> = [
        Some(&args.out),
        args.overlay.as_ref(),
        args.segments.as_ref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    // Every output is checked before the image is decoded: no mask written and then an
    // overlay refused.
    data::check_output(&args.out, &["png"])?;
    if let Some(overlay) = &args.overlay {
        data::check_output(overlay, &["png"])?;
    }
    if let Some(segments) = &args.segments {
        data::check_output(segments, &["csv"])?;
    }
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
    let (algorithm, cluster) = match args.algo.as_str() {
        "kmeans" => (SegmentAlgorithm::Kmeans, None),
        "slic" => (SegmentAlgorithm::Slic, None),
        id => (
            SegmentAlgorithm::Superpixels,
            Some(superpixel_params(args, id, k)?),
        ),
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
    params.check(usize::MAX).map_err(cli_error)?;
    let image = segment::load_image(&args.image)?;
    let mut engine = Engine::headless();
    let result = segment::segment(
        &mut engine,
        &image,
        &params,
        args.backend,
        &RunContext::default(),
    )
    .map_err(cli_error)
    .with_context(|| format!("segmenting {}", args.image.display()))?;
    let record = SegmentRecord::new("segment", &params, args.backend, &result, &args.image)?;
    export::write_mask(&result, &args.out, Some(&args.image), Some(&record))?;
    if let Some(path) = &args.overlay {
        let style = export::OverlayStyle::palette(
            result.n_segments,
            args.overlay_opacity,
            !args.no_boundaries,
        );
        export::write_overlay(
            &image,
            &result,
            &style,
            path,
            Some(&args.image),
            Some(&record),
        )?;
    }
    if let Some(path) = &args.segments {
        stats::write_segments_csv(
            &stats::segment_stats(&image, &result),
            path,
            Some(&args.image),
            Some(&record),
        )?;
    }
    if args.summary_json {
        let summary = SegmentSummary {
            algo: args.algo.clone(),
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
