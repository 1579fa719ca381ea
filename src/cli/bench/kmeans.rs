//! k-means per Lloyd iteration, on uniform data or an image's pixels.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::bail;

use crate::cluster::kmeans::{self, KMeansParams};
use crate::cluster::{BackendChoice, Engine, RunContext};
use crate::matrix::Matrix;
use crate::segment::ColorSpace;
use crate::synthetic;

/// Seconds per Lloyd iteration on uniform random data.
pub fn lloyd(
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
    crate::memory::ensure_available(
        (n as u64).saturating_mul(d as u64).saturating_mul(4),
        &format!("--n {n} × --d {d} points"),
    )
    .map_err(anyhow::Error::msg)?;
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
    if timing.median > 0.0 {
        for init in [kmeans::KMeansInit::PlusPlus, kmeans::KMeansInit::Parallel] {
            let started = Instant::now();
            kmeans::initial_centroids(&points, k, init, seed, &RunContext::default())?;
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "seeding {}: {seconds:.4} s = {:.1} Lloyd iterations",
                init.name(),
                seconds / timing.median
            );
        }
    }
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
pub fn segment(
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
            // 8 bytes of pixels and about 20 of features and labels per pixel.
            crate::memory::ensure_available(
                (size as u64).pow(2).saturating_mul(28),
                &format!("a --size {size} image"),
            )
            .map_err(anyhow::Error::msg)?;
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
