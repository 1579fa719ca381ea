//! Embeddings: cosine distances and cosine DBSCAN against scikit-learn, the k-NN graph
//! against a scan of every pair, UMAP and t-SNE passes on the GPU against their CPU twins
//! from the same state, the maps' trustworthiness on the digits images against
//! umap-learn's and scikit-learn's (fixtures from `scripts/make_fixtures.py embeddings`),
//! and `clusterscope project` with its refusals.

mod common;

use std::sync::Arc;

use clusterscope::cluster::{BackendChoice, Engine, RunContext};
use clusterscope::matrix::Matrix;
use clusterscope::metrics::trustworthiness::trustworthiness;
use clusterscope::projection::tsne::{self, CpuGradient, GradientParams, TsneParams};
use clusterscope::projection::umap::{
    self, CpuEpochs, EpochPlan, Schedule, UmapParams, gpu::GpuEpochs,
};
use clusterscope::spatial::knn::{KnnMethod, knn_graph};
use clusterscope::spatial::metric::Metric;
use serde_json::Value;

fn fixture() -> Value {
    common::fixture("embeddings")
}

fn digits(fixture: &Value) -> Arc<Matrix> {
    common::json_points(&fixture["digits"])
}

fn never() -> bool {
    false
}

#[test]
fn cosine_distances_equal_scikit_learns() {
    let fixture = fixture();
    let rows = common::json_points(&fixture["cosine_rows"]);
    let expected = fixture["cosine_distances"].as_array().unwrap();
    for (i, reference_row) in expected.iter().enumerate() {
        for (j, reference) in reference_row.as_array().unwrap().iter().enumerate() {
            let reference = reference.as_f64().unwrap();
            let ours = Metric::Cosine.distance(rows.row(i), rows.row(j));
            assert!(
                (ours - reference).abs() <= 1e-6,
                "({i}, {j}): {ours} vs {reference}"
            );
        }
    }
    // The neighbour graph reports the same distances for the pairs it keeps.
    let graph = knn_graph(&rows, 5, Metric::Cosine, KnnMethod::Exact, 0, &never).unwrap();
    for (i, reference_row) in expected.iter().enumerate() {
        let (others, distances) = graph.of(i);
        for (&j, &d) in others.iter().zip(distances) {
            let reference = reference_row[j as usize].as_f64().unwrap();
            assert!((d as f64 - reference).abs() <= 1e-6);
        }
    }
}

#[test]
fn the_knn_graph_equals_a_scan_of_every_pair_on_the_digits() {
    let fixture = fixture();
    let points = digits(&fixture);
    for metric in [Metric::Euclidean, Metric::Cosine, Metric::Manhattan] {
        let graph = knn_graph(&points, 10, metric, KnnMethod::Exact, 0, &never).unwrap();
        for i in (0..points.n_rows).step_by(7) {
            let mut all: Vec<(f64, u32)> = (0..points.n_rows)
                .filter(|&j| j != i)
                .map(|j| (metric.distance(points.row(i), points.row(j)), j as u32))
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let (_, distances) = graph.of(i);
            // The same distances in order (rows at equal distances may be either).
            for (d, (reference, _)) in distances.iter().zip(&all) {
                assert!(
                    (*d as f64 - reference).abs() <= 1e-5 * reference.max(1.0),
                    "{metric} row {i}"
                );
            }
        }
        let approximate =
            knn_graph(&points, 10, metric, KnnMethod::Approximate, 3, &never).unwrap();
        let recall = approximate.recall(&graph);
        assert!(recall > 0.97, "{metric}: NN-descent recall {recall}");
    }
}

/// Median, 99th percentile and largest of the per-row differences.
fn spread(a: &[[f32; 2]], b: &[[f32; 2]]) -> (f32, f32, f32) {
    let mut d: Vec<f32> = a
        .iter()
        .zip(b)
        .map(|(p, q)| (p[0] - q[0]).abs().max((p[1] - q[1]).abs()))
        .collect();
    d.sort_by(f32::total_cmp);
    (d[d.len() / 2], d[d.len() * 99 / 100], d[d.len() - 1])
}

fn max_difference(a: &[[f32; 2]], b: &[[f32; 2]]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(p, q)| (p[0] - q[0]).abs().max((p[1] - q[1]).abs()))
        .fold(0.0, f32::max)
}

#[test]
fn umap_epochs_on_the_gpu_equal_the_cpu_twin() {
    let fixture = fixture();
    let points = digits(&fixture);
    let params = UmapParams::default();
    let graph = umap::umap_graph(&points, &params, &RunContext::default()).unwrap();
    let n_epochs = params.epochs(points.n_rows);
    let schedule = Schedule::new(&graph.graph, n_epochs);
    let start: Vec<[f32; 2]> = (0..points.n_rows)
        .map(|i| [(i % 97) as f32 * 0.1, (i / 97) as f32 * 0.5])
        .collect();
    let plan = EpochPlan::new(&params, points.n_rows);
    let mut engine = common::gpu_engine();
    let gpu_context = engine.gpu_context().unwrap();
    let mut cpu = CpuEpochs::new(schedule.clone(), start.clone(), plan.negative_rate);
    let mut gpu = GpuEpochs::new(gpu_context, &schedule, &start, plan.negative_rate).unwrap();
    // Each epoch from the same positions on both (SGD at learning rate 1 amplifies the
    // last-bit differences of `pow` from one epoch to the next).
    let mut worst = 0.0f32;
    for epoch in 0..8 {
        gpu.set_positions(cpu.positions());
        let step = plan.epoch(epoch, n_epochs);
        cpu.epoch(&step);
        gpu.epoch(&step);
        let on_device = gpu.positions().unwrap();
        let (median, p99, max) = spread(cpu.positions(), &on_device);
        // `pow` differs in its last bits between the backends; a row moved along many
        // edges in one epoch carries that further. A wrong hash, schedule or sign moves
        // rows by whole units.
        assert!(
            median <= 1e-5 && p99 <= 1e-3 && max <= 1e-2,
            "epoch {epoch}: GPU − CPU median {median}, 99th percentile {p99}, largest {max}"
        );
        worst = worst.max(max);
    }
    let moved = max_difference(cpu.positions(), &start);
    assert!(moved > 0.1, "the epochs moved the rows ({moved})");
    // The schedules advanced the same way.
    let (samples, negatives) = gpu.schedules().unwrap();
    let (cpu_samples, cpu_negatives) = cpu.schedules();
    assert_eq!(&samples[..cpu_samples.len()], cpu_samples);
    assert_eq!(&negatives[..cpu_negatives.len()], cpu_negatives);
    let _ = engine.gpu();
}

#[test]
fn tsne_iterations_on_the_gpu_equal_the_cpu_twin() {
    let fixture = fixture();
    let points = digits(&fixture);
    let params = TsneParams::default();
    let k = tsne::neighbours_for(params.perplexity, points.n_rows);
    let graph = knn_graph(&points, k, Metric::Euclidean, KnnMethod::Exact, 0, &never).unwrap();
    let affinities = tsne::joint(&graph, params.perplexity);
    let start = tsne::initial_positions(&points, &params);
    let mut engine = common::gpu_engine();
    let gpu_context = engine.gpu_context().unwrap();
    let mut cpu = CpuGradient::new(affinities.clone(), start.clone());
    let mut gpu = tsne::gpu::GpuGradient::new(gpu_context, &affinities, &start).unwrap();
    let step = GradientParams {
        theta2: 0.25,
        exaggeration: 12.0,
        momentum: 0.5,
        learning_rate: params.rate(points.n_rows) as f32,
        min_gain: 0.01,
    };
    // Each iteration from the same positions and the same tree on both: a last-bit
    // difference can put a point in another quadrant, and the walks then differ.
    let mut scale = 0.0f32;
    for iteration in 0..20 {
        let tree = tsne::quadtree(cpu.positions());
        gpu.set_positions(cpu.positions());
        cpu.iterate(&tree, &step);
        gpu.iterate(&tree, &step).unwrap();
        let on_device = gpu.positions().unwrap();
        scale = cpu
            .positions()
            .iter()
            .flat_map(|p| [p[0].abs(), p[1].abs()])
            .fold(0.0f32, f32::max);
        let (median, _, max) = spread(cpu.positions(), &on_device);
        assert!(
            median <= 1e-5 * scale && max <= 1e-3 * scale,
            "iteration {iteration}: GPU − CPU median {median}, largest {max} at scale {scale}"
        );
    }
    assert!(scale > 1e-3, "the map grew from its 1e-4 start ({scale})");
}

#[test]
fn umap_is_as_trustworthy_as_umap_learn_on_the_digits() {
    let fixture = fixture();
    let points = digits(&fixture);
    let reference = &fixture["trustworthiness"];
    let mut engine = Engine::cpu_only("test");
    for (metric, key) in [(Metric::Euclidean, "umap"), (Metric::Cosine, "umap_cosine")] {
        let params = UmapParams {
            metric,
            ..UmapParams::default()
        };
        let map = umap::umap(
            &mut engine,
            &points,
            &params,
            BackendChoice::Cpu,
            &RunContext::default(),
            &mut |_| {},
        )
        .unwrap();
        let ours = trustworthiness(&points, &map.coordinates, 10, metric);
        let theirs = reference[key].as_f64().unwrap();
        eprintln!("UMAP {metric}: trustworthiness {ours:.4}, umap-learn {theirs:.4}");
        assert!(
            ours >= theirs - 0.01,
            "{metric}: ours {ours:.4} vs umap-learn {theirs:.4}"
        );
    }
}

#[test]
fn tsne_is_as_trustworthy_as_scikit_learn_on_the_digits() {
    let fixture = fixture();
    let points = digits(&fixture);
    let mut engine = Engine::cpu_only("test");
    let map = tsne::tsne(
        &mut engine,
        &points,
        &TsneParams::default(),
        BackendChoice::Cpu,
        &RunContext::default(),
        &mut |_| {},
    )
    .unwrap();
    let ours = trustworthiness(&points, &map.coordinates, 10, Metric::Euclidean);
    let theirs = fixture["trustworthiness"]["tsne"].as_f64().unwrap();
    eprintln!("t-SNE: trustworthiness {ours:.4}, scikit-learn {theirs:.4}");
    assert!(
        ours >= theirs - 0.01,
        "ours {ours:.4} vs scikit-learn {theirs:.4}"
    );
}

#[test]
fn project_writes_x_and_y_for_every_row_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("rows.csv");
    let mut text = String::from("a,b,c,name\n");
    for i in 0..120 {
        let group = (i % 3) as f32;
        let a = if i == 7 {
            String::new()
        } else {
            format!("{}", group * 5.0 + (i as f32 * 0.37).sin())
        };
        text.push_str(&format!(
            "{a},{},{},row{i}\n",
            group * 3.0 + (i as f32 * 0.71).cos(),
            group
        ));
    }
    std::fs::write(&input, text).unwrap();
    for method in ["umap", "tsne", "pca"] {
        let out = dir.path().join(format!("{method}.csv"));
        let mut args = vec![
            "project",
            input.to_str().unwrap(),
            "--method",
            method,
            "--seed",
            "7",
            "--out",
            out.to_str().unwrap(),
            "--summary-json",
        ];
        if method == "tsne" {
            args.extend(["--perplexity", "10", "--max-iter", "300"]);
        }
        let output = common::clusterscope(&args);
        assert!(
            output.status.success(),
            "{method}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let written = std::fs::read_to_string(&out).unwrap();
        let lines: Vec<&str> = written.lines().collect();
        assert_eq!(lines[0], "x,y");
        assert_eq!(lines.len(), 121);
        assert_eq!(
            lines[8], ",",
            "{method}: the row with a missing value has no position"
        );
        assert!(
            lines[1]
                .split(',')
                .all(|v| v.parse::<f32>().unwrap().is_finite())
        );
        let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(summary["method"], method);
        assert_eq!(summary["n_used"], 119);
    }
}

#[test]
fn project_refuses_bad_parameters_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("rows.csv");
    let mut text = String::from("a,b\n");
    for i in 0..20 {
        text.push_str(&format!("{},{}\n", i, i * i % 7));
    }
    std::fs::write(&input, text).unwrap();
    let out = dir.path().join("out.csv");
    let base = [
        "project",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    common::expect_refusals(
        &base,
        &[
            (&["--method", "umap", "--n-neighbors", "1"], "--n-neighbors"),
            (
                &["--method", "umap", "--n-neighbors", "50"],
                "--n-neighbors",
            ),
            (&["--method", "umap", "--min-dist", "2"], "--min-dist"),
            (&["--method", "tsne", "--perplexity", "30"], "--perplexity"),
            (
                &["--method", "tsne", "--perplexity", "5", "--angle", "2"],
                "--angle",
            ),
            (
                &["--method", "tsne", "--learning-rate", "fast"],
                "--learning-rate",
            ),
            (&["--method", "pca", "--perplexity", "5"], "--perplexity"),
            (&["--method", "umap", "--perplexity", "5"], "--perplexity"),
            (&["--method", "tsne", "--init", "spectral"], "--init"),
            (&["--method", "mds"], "mds"),
        ],
    );
    assert!(!out.exists(), "a refused run writes nothing");
}

fn reference_labels(labels: &Value) -> Vec<u32> {
    labels
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let v = v.as_i64().unwrap();
            if v < 0 { u32::MAX } else { v as u32 }
        })
        .collect()
}

#[test]
fn cosine_dbscan_and_linkages_equal_scikit_learns_labels() {
    let fixture = fixture();
    let dir = tempfile::tempdir().unwrap();
    let header = (0..8)
        .map(|j| format!("f{j}"))
        .collect::<Vec<_>>()
        .join(",");
    let input = common::rows_csv(
        dir.path(),
        "directions.csv",
        &header,
        &fixture["dbscan_points"],
    );
    let out = dir.path().join("out.csv");
    for case in fixture["dbscan_cases"].as_array().unwrap() {
        let eps = case["eps"].to_string();
        let min_points = case["min_samples"].to_string();
        let args = [
            "cluster",
            input.to_str().unwrap(),
            "--algo",
            "dbscan",
            "--metric",
            "cosine",
            "--eps",
            &eps,
            "--min-points",
            &min_points,
            "--out",
            out.to_str().unwrap(),
        ];
        // The window's path (the spanning tree) and the command line's (the grid when
        // the rows have few columns: not here, 8 columns) must both agree.
        for backend in ["cpu", "gpu"] {
            let mut with_backend = args.to_vec();
            with_backend.extend(["--backend", backend]);
            let output = common::clusterscope(&with_backend);
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let ours = common::last_column_labels(&out);
            let theirs = reference_labels(&case["labels"]);
            assert!(
                clusterscope::metrics::same_partition(&ours, &theirs),
                "eps {eps}, min points {min_points}, {backend}: labels differ from scikit-learn's"
            );
        }
    }
    for case in fixture["linkage_cases"].as_array().unwrap() {
        let linkage = case["linkage"].as_str().unwrap();
        let metric = case["metric"].as_str().unwrap();
        common::expect_success(&[
            "cluster",
            input.to_str().unwrap(),
            "--algo",
            "agglomerative",
            "--linkage",
            linkage,
            "--metric",
            metric,
            "--k",
            "4",
            "--out",
            out.to_str().unwrap(),
        ]);
        let ours = common::last_column_labels(&out);
        let theirs = reference_labels(&case["labels"]);
        assert!(
            clusterscope::metrics::same_partition(&ours, &theirs),
            "{linkage} linkage, {metric}: labels differ from scikit-learn's"
        );
    }
    let refused = common::expect_error(&[
        "cluster",
        input.to_str().unwrap(),
        "--algo",
        "agglomerative",
        "--linkage",
        "ward",
        "--metric",
        "cosine",
        "--k",
        "4",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(refused.contains("--metric"), "{refused}");
}

/// Rows along `k` directions with lengths from 0.5 to 20: cosine sees only the directions.
fn directions(n: usize, k: usize, seed: u64) -> (Matrix, Vec<u32>) {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let d = 6;
    let centres: Vec<Vec<f32>> = (0..k)
        .map(|_| (0..d).map(|_| rng.gen_range(-1.0f32..1.0)).collect())
        .collect();
    let mut rows = Vec::with_capacity(n);
    let mut truth = Vec::with_capacity(n);
    for i in 0..n {
        let c = i % k;
        let length = rng.gen_range(0.5f32..20.0);
        rows.push(
            centres[c]
                .iter()
                .map(|&v| (v + rng.gen_range(-0.1f32..0.1)) * length)
                .collect(),
        );
        truth.push(c as u32);
    }
    (Matrix::from_rows(&rows), truth)
}

#[test]
fn spherical_kmeans_finds_directions_the_same_on_both_backends() {
    use clusterscope::cluster::AlgorithmParams;
    use clusterscope::cluster::kmeans::{KMeans, KMeansParams};
    let (points, truth) = directions(1200, 4, 5);
    let points = Arc::new(points);
    let mut engine = common::gpu_engine();
    let run = |engine: &mut Engine, metric: Metric, backend: BackendChoice| {
        let params = AlgorithmParams::of::<KMeans>(&KMeansParams::new(4).metric(metric).seed(3));
        clusterscope::cluster::run(engine, &points, &params, backend, &RunContext::default())
            .unwrap()
    };
    let cpu = run(&mut engine, Metric::Cosine, BackendChoice::Cpu);
    let gpu = run(&mut engine, Metric::Cosine, BackendChoice::Gpu);
    let euclidean = run(&mut engine, Metric::Euclidean, BackendChoice::Cpu);
    let ari = clusterscope::metrics::adjusted_rand_index;
    assert_eq!(
        ari(&truth, &cpu.labels),
        1.0,
        "spherical k-means finds the directions"
    );
    assert_eq!(cpu.labels, gpu.labels);
    assert!(
        ari(&truth, &euclidean.labels) < 0.9,
        "Euclidean k-means splits by length"
    );
    // Manhattan is not a k-means distance: refused with the parameter named.
    let params = AlgorithmParams::of::<KMeans>(&KMeansParams::new(4).metric(Metric::Manhattan));
    let Err(error) = clusterscope::cluster::run(
        &mut engine,
        &points,
        &params,
        BackendChoice::Cpu,
        &RunContext::default(),
    ) else {
        panic!("Manhattan k-means ran");
    };
    assert!(error.to_string().contains("metric"), "{error}");
}

#[test]
fn gpu_passes_take_rows_of_2048_dimensions() {
    use clusterscope::cluster::AlgorithmParams;
    use clusterscope::cluster::density::dbscan::{Dbscan, DbscanParams};
    use clusterscope::cluster::kmeans::{KMeans, KMeansParams};
    // 300 rows along 3 directions in 2,048 dimensions (an embedding's width).
    let (small, _) = directions(300, 3, 17);
    let mut values = Vec::with_capacity(300 * 2048);
    for row in 0..300 {
        for j in 0..2048 {
            values.push(small.row(row)[j % 6] * (1.0 + (j / 6) as f32 * 1e-3));
        }
    }
    let points = Arc::new(Matrix::new(300, 2048, values));
    let mut engine = common::gpu_engine();
    let runs = [
        AlgorithmParams::of::<KMeans>(&KMeansParams::new(3).metric(Metric::Cosine).seed(1)),
        AlgorithmParams::of::<Dbscan>(&DbscanParams::new(0.05, 5).metric(Metric::Cosine)),
    ];
    for params in &runs {
        let run = |engine: &mut Engine, backend| {
            clusterscope::cluster::run(engine, &points, params, backend, &RunContext::default())
                .unwrap()
        };
        let cpu = run(&mut engine, BackendChoice::Cpu);
        let gpu = run(&mut engine, BackendChoice::Gpu);
        assert_eq!(gpu.diagnostics.backend, clusterscope::cluster::Backend::Gpu);
        assert!(
            clusterscope::metrics::same_partition(&cpu.labels, &gpu.labels),
            "{}: GPU and CPU labels differ",
            params.algorithm
        );
        assert_eq!(cpu.n_clusters, 3, "{}", params.algorithm);
    }
}

#[test]
fn leiden_on_a_cosine_neighbour_graph_finds_directions() {
    // Rows along 4 directions with lengths from 0.5 to 20: by cosine each row's neighbours
    // share its direction; by Euclidean distance short rows of every direction mix.
    let (points, truth) = directions(800, 4, 23);
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<Vec<f32>> = (0..points.n_rows).map(|r| points.row(r).to_vec()).collect();
    let input = common::rows_csv(
        dir.path(),
        "directions.csv",
        "a,b,c,d,e,f",
        &serde_json::to_value(&rows).unwrap(),
    );
    let out = dir.path().join("out.csv");
    let ari = |metric: &str| {
        common::expect_success(&[
            "cluster",
            input.to_str().unwrap(),
            "--algo",
            "leiden",
            "--n-neighbors",
            "15",
            "--metric",
            metric,
            "--out",
            out.to_str().unwrap(),
        ]);
        clusterscope::metrics::adjusted_rand_index(&truth, &common::last_column_labels(&out))
    };
    let cosine = ari("cosine");
    let euclidean = ari("euclidean");
    assert!(cosine >= 0.99, "cosine ARI {cosine}");
    assert!(euclidean < cosine - 0.1, "euclidean ARI {euclidean}");
}
