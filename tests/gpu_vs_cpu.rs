//! The GPU passes against their CPU twins: same seed and initial centroids must give the
//! same labels and the same inertia (1e-4 relative), on shapes chosen to hit the edges.

mod common;

use std::sync::Arc;

use clusterscope::cluster::kmeans::{self, KMeansParams, KMeansResult, kmeans_plus_plus};
use clusterscope::cluster::{Backend, BackendChoice, Engine, RunContext};
use clusterscope::matrix::Matrix;
use clusterscope::synthetic::{gaussian_blobs, uniform};

fn run(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    k: usize,
    seed: u64,
    backend: Backend,
) -> KMeansResult {
    let params = KMeansParams::new(k)
        .seed(seed)
        .max_iterations(100)
        .check(points.n_rows)
        .unwrap();
    let initial = kmeans_plus_plus(points, k, seed, &RunContext::default()).unwrap();
    kmeans::fit_from(
        engine,
        points,
        &params,
        &initial,
        backend,
        &RunContext::default(),
    )
    .unwrap()
}

fn assert_same(points: Matrix, k: usize, seed: u64, what: &str) {
    let points = Arc::new(points);
    let mut engine = common::gpu_engine();
    let cpu = run(&mut engine, &points, k, seed, Backend::Cpu);
    let gpu = run(&mut engine, &points, k, seed, Backend::Gpu);
    assert_eq!(gpu.diagnostics.backend, Backend::Gpu);
    let differing = cpu
        .labels
        .iter()
        .zip(&gpu.labels)
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(
        differing, 0,
        "{what}: {differing} of {} labels differ",
        points.n_rows
    );
    let relative = (cpu.inertia - gpu.inertia).abs() / cpu.inertia.abs().max(1e-12);
    assert!(
        relative <= 1e-4,
        "{what}: inertia cpu {} gpu {} (relative {relative:e})",
        cpu.inertia,
        gpu.inertia
    );
    assert_eq!(
        cpu.diagnostics.iterations, gpu.diagnostics.iterations,
        "{what}: iterations differ"
    );
    for (a, b) in cpu.centroids.values.iter().zip(&gpu.centroids.values) {
        assert!(
            (a - b).abs() <= 1e-4 * a.abs().max(1.0),
            "{what}: centroid {a} vs {b}"
        );
    }
}

#[test]
fn blobs_with_n_not_a_multiple_of_the_workgroup_size() {
    assert_same(
        gaussian_blobs(3001, 4, 6, 1.0, 1).points,
        6,
        7,
        "n=3001 d=4 k=6",
    );
}

#[test]
fn one_dimension() {
    assert_same(gaussian_blobs(2500, 1, 5, 0.5, 2).points, 5, 3, "d=1");
}

#[test]
fn sixty_four_dimensions_and_more_clusters_than_a_tile() {
    assert_same(
        gaussian_blobs(2100, 64, 40, 2.0, 3).points,
        40,
        11,
        "d=64 k=40",
    );
}

#[test]
fn more_dimensions_than_one_shader_chunk() {
    assert_same(gaussian_blobs(700, 200, 3, 1.0, 4).points, 3, 5, "d=200");
}

#[test]
fn a_single_cluster() {
    assert_same(uniform(1234, 3, 5), 1, 1, "k=1");
}

#[test]
fn duplicate_points_and_empty_clusters() {
    // 6 distinct integer points, each 100 times: means are exact, so coinciding centroids
    // tie exactly and the lowest-index rule decides on both backends. With k = 8 two
    // clusters stay empty (there is no point left to re-seed them with).
    let base = [
        [0.0f32, 0.0],
        [3.0, 1.0],
        [-2.0, 5.0],
        [8.0, 8.0],
        [1.0, -7.0],
        [-6.0, -3.0],
    ];
    let rows: Vec<Vec<f32>> = (0..600).map(|i| base[i % 6].to_vec()).collect();
    assert_same(Matrix::from_rows(&rows), 8, 2, "duplicates");
    let points = Arc::new(Matrix::from_rows(&rows));
    let result = run(&mut Engine::cpu_only("test"), &points, 8, 2, Backend::Cpu);
    assert!(
        result.diagnostics.converged,
        "k > distinct points still converges"
    );
    assert_eq!(result.inertia, 0.0);
}

#[test]
fn empty_clusters_are_reseeded_the_same_way() {
    // Three tight groups and k = 5 from initial centroids chosen so that two start far
    // from every point: they come up empty and must be re-seeded identically.
    let blobs = gaussian_blobs(900, 2, 3, 0.3, 12);
    let points = Arc::new(blobs.points);
    let mut initial = points.values[..6].to_vec();
    initial.extend([1000.0, 1000.0, -1000.0, -1000.0]);
    let params = KMeansParams::new(5)
        .max_iterations(50)
        .check(points.n_rows)
        .unwrap();
    let mut engine = common::gpu_engine();
    let cpu = kmeans::fit_from(
        &mut engine,
        &points,
        &params,
        &initial,
        Backend::Cpu,
        &RunContext::default(),
    )
    .unwrap();
    let gpu = kmeans::fit_from(
        &mut engine,
        &points,
        &params,
        &initial,
        Backend::Gpu,
        &RunContext::default(),
    )
    .unwrap();
    assert_eq!(cpu.labels, gpu.labels);
    assert_eq!(
        cpu.cluster_sizes().iter().filter(|&&s| s == 0).count(),
        0,
        "every cluster was re-seeded"
    );
    assert!((cpu.inertia - gpu.inertia).abs() <= 1e-4 * cpu.inertia);
}

#[test]
fn chunked_upload_gives_the_same_result() {
    // Bindings of 64 KiB force many chunks and slices on 20k × 3 points.
    let points = Arc::new(gaussian_blobs(20_000, 3, 7, 1.0, 5).points);
    let mut whole = common::gpu_engine();
    let mut chunked = common::gpu_engine();
    let context = chunked
        .gpu_context()
        .unwrap()
        .with_max_binding_bytes(64 * 1024);
    let mut chunked = Engine::with_gpu(context);
    let a = run(&mut whole, &points, 7, 3, Backend::Gpu);
    let b = run(&mut chunked, &points, 7, 3, Backend::Gpu);
    assert_eq!(a.labels, b.labels);
    assert_eq!(a.inertia, b.inertia);
}

#[test]
fn a_parameter_change_reuses_the_upload() {
    let points = Arc::new(gaussian_blobs(5000, 2, 4, 1.0, 6).points);
    let mut engine = common::gpu_engine();
    for k in [3, 4, 5, 4] {
        run(&mut engine, &points, k, 1, Backend::Gpu);
    }
    assert_eq!(engine.gpu_uploads(), 1);
    let other = Arc::new(gaussian_blobs(5000, 2, 4, 1.0, 7).points);
    run(&mut engine, &other, 4, 1, Backend::Gpu);
    assert_eq!(engine.gpu_uploads(), 2);
}

#[test]
fn gpu_pca_components_equal_linfa_up_to_sign() {
    use clusterscope::projection::Pca;
    // 20,000 rows, 6 columns mixed from sources of variances 16, 9, 4, 1, 0.25, 0.04.
    let mut state = 12345u64;
    let mut uniform = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f32 / (1u64 << 53) as f32 * 2.0 - 1.0
    };
    let scales = [4.0f32, 3.0, 2.0, 1.0, 0.5, 0.2];
    let rows: Vec<Vec<f32>> = (0..20_000)
        .map(|_| {
            let s: Vec<f32> = scales.iter().map(|k| k * uniform() * 1.732).collect();
            vec![
                s[0] + s[1] + 10.0,
                s[0] - s[1] + s[2] - 3.0,
                s[2] + s[3] + 100.0,
                s[3] - s[4] + s[0] * 0.5,
                s[4] + s[5],
                s[5] - s[2] * 0.3,
            ]
        })
        .collect();
    let points = common::shared(Matrix::from_rows(&rows));
    let mut engine = common::gpu_engine();
    let gpu = engine.fit_pca(&points, BackendChoice::Gpu).unwrap();
    assert!(gpu.fitted_on.starts_with("GPU"), "{}", gpu.fitted_on);
    let cpu = Pca::fit_cpu(&points).unwrap();
    assert_eq!(gpu.components.len(), 6);
    for (c, (a, b)) in gpu.components.iter().zip(&cpu.components).enumerate() {
        let same: f64 = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        let flipped: f64 = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x + y).abs())
            .fold(0.0, f64::max);
        assert!(same.min(flipped) < 1e-4, "component {c}: {a:?} vs {b:?}");
    }
    for (a, b) in gpu.explained_ratio.iter().zip(&cpu.explained_ratio) {
        assert!(
            (a - b).abs() < 1e-4,
            "{:?} vs {:?}",
            gpu.explained_ratio,
            cpu.explained_ratio
        );
    }
}

/// The silhouette's all-pairs pass: GPU sums equal the CPU twin's, and the mean equals the
/// f64 reference, on a tiled (d ≤ 32) and an untiled shape with an empty cluster id and a
/// row count that is not a multiple of the workgroup.
#[test]
fn gpu_silhouette_sums_equal_the_cpu_twin() {
    use clusterscope::metrics::internal::silhouette;
    use clusterscope::metrics::silhouette::{SumsBackend, row_silhouettes};
    let mut engine = common::gpu_engine();
    let gpu = engine.gpu().unwrap();
    for (n, d, k) in [(1_001, 3, 5), (333, 40, 3)] {
        let blobs = gaussian_blobs(n, d, k, 3.0, 21);
        // Cluster k − 1 left empty: its rows join cluster 0.
        let labels: Vec<u32> = blobs
            .labels
            .iter()
            .map(|&l| if l as usize == k - 1 { 0 } else { l })
            .collect();
        let on = |backend| {
            row_silhouettes(backend, &blobs.points, &labels, k, &|_, _| {}, &|| false).unwrap()
        };
        let on_gpu = on(SumsBackend::Gpu(&gpu));
        let twin = on(SumsBackend::Twin);
        let worst = on_gpu
            .iter()
            .zip(&twin)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-5, "{n} × {d}: worst row difference {worst}");
        let mean = on_gpu.iter().sum::<f64>() / n as f64;
        let exact = silhouette(&blobs.points, &labels, k, &|| false).unwrap();
        assert!(
            (mean - exact).abs() < 1e-5 * exact.abs().max(1e-3),
            "{n} × {d}: gpu {mean} vs exact {exact}"
        );
    }
}
