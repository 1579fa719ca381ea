//! `clusterscope bench knn`: the k-NN graph embedding maps and cosine algorithms start
//! from, timed on embedding-like rows (unit vectors scattered around random directions) or
//! a file, with its recall against a full scan of a sample of rows.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use super::BenchData;
use crate::matrix::Matrix;
use crate::spatial::knn::{KnnMethod, knn_graph};
use crate::spatial::metric::Metric;

/// `n` rows of `d` columns around `centers` random directions, noise 0.5 per column
/// before scaling to unit length (what sentence embeddings look like to a distance).
fn directions(n: usize, d: usize, centers: usize, seed: u64) -> Matrix {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let normal = Normal::new(0.0f32, 1.0).unwrap_or_else(|_| unreachable!("valid"));
    let centres: Vec<f32> = (0..centers * d).map(|_| normal.sample(&mut rng)).collect();
    let mut values = vec![0.0f32; n * d];
    values.par_chunks_mut(d).enumerate().for_each(|(i, row)| {
        let mut rng =
            Xoshiro256PlusPlus::seed_from_u64(seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9));
        let c = rng.gen_range(0..centers);
        let mut norm = 0.0f32;
        for (j, v) in row.iter_mut().enumerate() {
            *v = centres[c * d + j] + 0.85 * normal.sample(&mut rng);
            norm += *v * *v;
        }
        let norm = norm.sqrt().max(f32::MIN_POSITIVE);
        row.iter_mut().for_each(|v| *v /= norm);
    });
    Matrix::new(n, d, values)
}

pub fn run(
    data: &BenchData,
    k: usize,
    metric: Metric,
    method: &str,
    check: usize,
) -> anyhow::Result<()> {
    let points = match &data.input {
        Some(_) => super::runs::bench_points(data)?.as_ref().clone(),
        None => directions(data.n, data.d, data.centers, data.seed),
    };
    let method = match method {
        "exact" => KnnMethod::Exact,
        "approximate" => KnnMethod::Approximate,
        _ => KnnMethod::Auto,
    };
    let never = || false;
    let started = Instant::now();
    let graph = knn_graph(&points, k, metric, method, data.seed, &never)?;
    let seconds = started.elapsed().as_secs_f64();
    // Recall on a sample: each sampled row's true k nearest by a full scan.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(data.seed ^ 0xC0FFEE);
    let sample: Vec<usize> = (0..check.min(points.n_rows))
        .map(|_| rng.gen_range(0..points.n_rows))
        .collect();
    let found: usize = sample
        .par_iter()
        .map(|&row| {
            let mut all: Vec<(f64, u32)> = (0..points.n_rows)
                .filter(|&j| j != row)
                .map(|j| (metric.distance(points.row(row), points.row(j)), j as u32))
                .collect();
            all.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
            let truth: Vec<u32> = all[..k].iter().map(|p| p.1).collect();
            graph.of(row).0.iter().filter(|i| truth.contains(i)).count()
        })
        .sum();
    let recall = found as f64 / (sample.len() * k).max(1) as f64;
    println!(
        "knn {} x {}, k {k}, {metric}: {seconds:.3} s ({}), recall {recall:.4} on {} rows",
        points.n_rows,
        points.n_cols,
        if graph.exact { "exact" } else { "NN-descent" },
        sample.len()
    );
    Ok(())
}
