//! k-means outcomes: hand-computed oracles, ground truth on generated blobs, cancellation.

mod common;

use std::sync::Arc;

use clusterscope::cluster::kmeans::{self, KMeansParams};
use clusterscope::cluster::{BackendChoice, CancelToken, ClusterError, Engine, RunContext};
use clusterscope::matrix::Matrix;
use clusterscope::metrics::{adjusted_rand_index, same_partition};
use clusterscope::synthetic::gaussian_blobs;

#[test]
fn oracle_two_pairs_on_both_backends() {
    // Two pairs far apart: centroids (0, 0.5) and (10, 10.5); each point is 0.5 from its
    // centroid, so inertia = 4 × 0.25 = 1.
    let points = Arc::new(Matrix::from_rows(&[
        vec![0.0, 0.0],
        vec![0.0, 1.0],
        vec![10.0, 10.0],
        vec![10.0, 11.0],
    ]));
    let mut engine = common::gpu_engine();
    for backend in [BackendChoice::Cpu, BackendChoice::Gpu] {
        let result = kmeans::fit(
            &mut engine,
            &points,
            &KMeansParams::new(2),
            backend,
            &RunContext::default(),
        )
        .unwrap();
        assert!(
            same_partition(&result.labels, &[0, 0, 1, 1]),
            "{backend:?}: {:?}",
            result.labels
        );
        assert!(
            (result.inertia - 1.0).abs() < 1e-6,
            "{backend:?}: {}",
            result.inertia
        );
        let mut centroids: Vec<Vec<f32>> = result
            .centroids
            .values
            .chunks(2)
            .map(<[f32]>::to_vec)
            .collect();
        centroids.sort_by(|a, b| a[0].total_cmp(&b[0]));
        assert_eq!(
            centroids,
            vec![vec![0.0, 0.5], vec![10.0, 10.5]],
            "{backend:?}"
        );
        assert!(result.diagnostics.converged);
    }
}

#[test]
fn oracle_one_dimension_three_groups() {
    // 1, 2, 3 | 10, 11 | 20: means 2, 10.5, 20; inertia 1 + 1 + 0.25 + 0.25 = 2.5.
    let rows: Vec<Vec<f32>> = [1.0, 2.0, 3.0, 10.0, 11.0, 20.0]
        .iter()
        .map(|&v| vec![v])
        .collect();
    let points = Arc::new(Matrix::from_rows(&rows));
    let result = kmeans::fit(
        &mut Engine::cpu_only("test"),
        &points,
        &KMeansParams::new(3),
        BackendChoice::Cpu,
        &RunContext::default(),
    )
    .unwrap();
    assert!(
        same_partition(&result.labels, &[0, 0, 0, 1, 1, 2]),
        "{:?}",
        result.labels
    );
    assert!((result.inertia - 2.5).abs() < 1e-6, "{}", result.inertia);
}

#[test]
fn blobs_are_recovered_on_cpu_and_gpu() {
    let blobs = gaussian_blobs(6000, 5, 8, 1.0, 21);
    let points = Arc::new(blobs.points);
    let mut engine = common::gpu_engine();
    for backend in [BackendChoice::Cpu, BackendChoice::Gpu] {
        let result = kmeans::fit(
            &mut engine,
            &points,
            &KMeansParams::new(8).seed(4),
            backend,
            &RunContext::default(),
        )
        .unwrap();
        let ari = adjusted_rand_index(&blobs.labels, &result.labels);
        assert!(ari >= 0.95, "{backend:?}: ARI {ari}");
    }
}

#[test]
fn same_seed_same_result_different_seed_still_valid() {
    let blobs = gaussian_blobs(2000, 2, 5, 1.5, 8);
    let points = Arc::new(blobs.points);
    let mut engine = Engine::cpu_only("test");
    let fit = |engine: &mut Engine, seed| {
        kmeans::fit(
            engine,
            &points,
            &KMeansParams::new(5).seed(seed),
            BackendChoice::Cpu,
            &RunContext::default(),
        )
        .unwrap()
    };
    let a = fit(&mut engine, 1);
    let b = fit(&mut engine, 1);
    assert_eq!(a.labels, b.labels);
    assert_eq!(a.inertia, b.inertia);
}

#[test]
fn a_cancelled_run_stops_with_cancelled() {
    let points = Arc::new(gaussian_blobs(1000, 2, 3, 1.0, 1).points);
    let cancel = CancelToken::new();
    cancel.cancel();
    let outcome = kmeans::fit(
        &mut Engine::cpu_only("test"),
        &points,
        &KMeansParams::new(3),
        BackendChoice::Cpu,
        &RunContext::new(cancel),
    );
    assert!(
        matches!(outcome, Err(ClusterError::Cancelled)),
        "{:?}",
        outcome.err()
    );
}

#[test]
fn gpu_backend_without_adapter_is_a_clear_error() {
    let points = Arc::new(gaussian_blobs(100, 2, 2, 1.0, 1).points);
    let error = kmeans::fit(
        &mut Engine::cpu_only("no adapter in this test"),
        &points,
        &KMeansParams::new(2),
        BackendChoice::Gpu,
        &RunContext::default(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("no wgpu adapter"), "{error}");
    // Auto falls back to the CPU instead.
    let result = kmeans::fit(
        &mut Engine::cpu_only("none"),
        &points,
        &KMeansParams::new(2),
        BackendChoice::Auto,
        &RunContext::default(),
    )
    .unwrap();
    assert_eq!(
        result.diagnostics.backend,
        clusterscope::cluster::Backend::Cpu
    );
}
