//! Spectral clustering against scikit-learn's `SpectralClustering` and scipy's Laplacian
//! eigenvalues (fixtures from scripts/make_fixtures.py), both eigensolvers, GPU = CPU,
//! and the command line.

mod common;

use std::sync::Arc;

use clusterscope::cluster::spectral::{
    self, Affinity, Assign, SpectralParams, affinity, eigen, multilevel,
};
use clusterscope::cluster::{Backend, BackendChoice, Engine, RunContext};
use clusterscope::matrix::Matrix;
use clusterscope::metrics::adjusted_rand_index;
use clusterscope::spatial::metric::Metric;
use serde_json::Value;

fn fixture() -> Value {
    common::fixture("spectral")
}

fn labels(case: &Value) -> Vec<u32> {
    case["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect()
}

fn params(case: &Value) -> SpectralParams {
    let affinity = match case["affinity"].as_str().unwrap() {
        "rbf" => Affinity::Rbf,
        _ => Affinity::Knn,
    };
    let assign = match case["assign"].as_str().unwrap() {
        "discretize" => Assign::Discretize,
        "cluster-qr" => Assign::ClusterQr,
        _ => Assign::Kmeans,
    };
    SpectralParams::new(case["k"].as_u64().unwrap() as usize)
        .affinity(affinity)
        .n_neighbors(case["n_neighbors"].as_u64().unwrap() as usize)
        .gamma(case["gamma"].as_f64().unwrap())
        .assign(assign)
}

fn reference_eigenvalues(case: &Value) -> Vec<f64> {
    case["eigenvalues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

/// The first `count` eigenvalues (those the solver was asked to converge) within 1e-4 of
/// the reference's, each with a residual that bounds its error (Bauer–Fike).
fn assert_eigenvalues(what: &str, ours: &[f64], residuals: &[f64], theirs: &[f64], count: usize) {
    assert!(ours.len() >= count && theirs.len() >= count, "{what}");
    for i in 0..count {
        let (a, b) = (ours[i], theirs[i]);
        assert!((a - b).abs() < 1e-4, "{what}: eigenvalue {i}: {a} vs {b}");
        assert!(
            residuals[i] <= 1e-4,
            "{what}: residual {i}: {}",
            residuals[i]
        );
    }
}

fn fit(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &SpectralParams,
    backend: BackendChoice,
) -> spectral::SpectralFit {
    spectral::fit_on(engine, points, params, backend, &RunContext::default()).unwrap()
}

#[test]
fn labels_and_eigenvalues_equal_scikit_learn() {
    let fixture = fixture();
    let mut engine = Engine::cpu_only("test");
    for case in fixture["cases"].as_array().unwrap() {
        let data = case["data"].as_str().unwrap();
        let points = common::json_points(&fixture["datasets"][data]);
        let params = params(case);
        let what = format!("{data} {params:?}");
        let result = fit(&mut engine, &points, &params, BackendChoice::Cpu);
        let ari = adjusted_rand_index(&labels(case), &result.labels);
        assert!(ari >= 0.99, "{what}: ARI {ari} against scikit-learn");
        assert!(result.diagnostics.converged, "{what}");
        let spectrum = &result.spectrum;
        assert_eigenvalues(
            &what,
            &spectrum.eigenvalues,
            &spectrum.residuals,
            &reference_eigenvalues(case),
            spectral::SHOWN_EIGENVALUES,
        );
        assert_eq!(spectrum.embedding.n_rows, points.n_rows);
        assert_eq!(spectrum.embedding.n_cols, params.n_clusters);
    }
}

#[test]
fn the_filtered_iteration_finds_the_same_eigenvalues() {
    // The solver for graphs whose factor would be too large, tried on graphs small
    // enough to check: from random vectors and from the coarse levels' start.
    let fixture = fixture();
    for case in fixture["cases"].as_array().unwrap() {
        let data = case["data"].as_str().unwrap();
        if data == "small" || case["assign"] != "kmeans" {
            continue;
        }
        let points = common::json_points(&fixture["datasets"][data]);
        let params = params(case);
        let weighted = affinity::build(
            &points,
            params.n_neighbors,
            params.affinity,
            params.gamma,
            params.metric,
            &RunContext::default(),
        )
        .unwrap();
        let graph = weighted.normalised();
        let wanted = params.n_clusters + 1;
        let options = eigen::SolverOptions {
            wanted,
            block: wanted + 4,
            tolerance: 1e-6,
            max_passes: eigen::MAX_PASSES,
            seed: 5,
        };
        let levels = multilevel::ladder(&weighted, 4 * options.block, 5);
        assert!(!levels.is_empty(), "{data}: no coarse level");
        let coarse = &levels[0];
        let coarse_pairs = eigen::smallest(
            &coarse.normalised,
            &eigen::CpuGraph(&coarse.normalised),
            options,
            None,
            "test",
            &RunContext::default(),
        )
        .unwrap();
        let start = multilevel::prolong(
            &coarse_pairs.vectors,
            coarse_pairs.block,
            &coarse.normalised,
            &graph,
            &coarse.aggregate_of_finer,
        );
        for start in [None, Some(start)] {
            let pairs = eigen::smallest(
                &graph,
                &eigen::CpuGraph(&graph),
                options,
                start,
                "test",
                &RunContext::default(),
            )
            .unwrap();
            assert!(pairs.converged, "{data}");
            assert_eigenvalues(
                data,
                &pairs.values,
                &pairs.residuals,
                &reference_eigenvalues(case),
                wanted,
            );
        }
    }
}

#[test]
fn the_gpu_recurrence_equals_the_cpu_twin() {
    let fixture = fixture();
    let points = common::json_points(&fixture["datasets"]["circles"]);
    let graph = affinity::build(
        &points,
        10,
        Affinity::Knn,
        1.0,
        Metric::Euclidean,
        &RunContext::default(),
    )
    .unwrap()
    .normalised();
    let b = 7;
    let x: Vec<f64> = (0..graph.n_rows() * b)
        .map(|i| ((i * 7919) % 1000) as f64 / 500.0 - 1.0)
        .collect();
    let steps = eigen::chebyshev_steps(16, 0.0, 0.05, 2.0);
    let gpu_context = common::gpu_engine().gpu().unwrap();
    let device = spectral::gpu::GpuGraph::new(&gpu_context, &graph, b).unwrap();
    use eigen::GraphOperator;
    for steps in [&steps[..], &[eigen::LAPLACIAN][..]] {
        let cpu = eigen::CpuGraph(&graph).recurrence(&x, b, steps).unwrap();
        let gpu = device.recurrence(&x, b, steps).unwrap();
        let scale = cpu.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (a, g) in cpu.iter().zip(&gpu) {
            assert!((a - g).abs() <= 1e-4 * scale, "{a} vs {g}");
        }
    }
}

#[test]
fn gpu_runs_give_the_cpu_labels() {
    let fixture = fixture();
    let mut gpu = common::gpu_engine();
    let mut cpu = Engine::cpu_only("test");
    for case in fixture["cases"].as_array().unwrap() {
        let data = case["data"].as_str().unwrap();
        if data == "small" || case["assign"] != "kmeans" || case["n_neighbors"] != 10 {
            continue;
        }
        let points = common::json_points(&fixture["datasets"][data]);
        let params = params(case);
        let on_gpu = fit(&mut gpu, &points, &params, BackendChoice::Gpu);
        let on_cpu = fit(&mut cpu, &points, &params, BackendChoice::Cpu);
        assert_eq!(on_gpu.diagnostics.backend, Backend::Gpu);
        assert_eq!(
            adjusted_rand_index(&on_cpu.labels, &on_gpu.labels),
            1.0,
            "{data} {params:?}"
        );
        assert_eigenvalues(
            data,
            &on_gpu.spectrum.eigenvalues,
            &on_gpu.spectrum.residuals,
            &on_cpu.spectrum.eigenvalues,
            params.n_clusters,
        );
    }
}

#[test]
fn the_command_line_separates_rings_and_refuses_bad_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = fixture();
    let input = common::rows_csv(
        dir.path(),
        "circles.csv",
        "x,y",
        &fixture["datasets"]["circles"],
    );
    let input = input.to_str().unwrap();
    let out = dir.path().join("labels.csv");
    let out_str = out.to_str().unwrap();
    let output = common::clusterscope(&[
        "cluster",
        input,
        "--algo",
        "spectral",
        "--k",
        "2",
        "--affinity",
        "knn",
        "--n-neighbors",
        "10",
        "--assign",
        "cluster-qr",
        "--seed",
        "42",
        "--summary-json",
        "--out",
        out_str,
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["n_clusters"], 2);
    let eigenvalues = summary["eigenvalues"].as_array().unwrap();
    assert!(eigenvalues.len() > 2);
    assert!(eigenvalues[0].as_f64().unwrap().abs() < 1e-4);
    assert!(summary["eigengap_k"].as_u64().is_some());
    let written: Vec<u32> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect();
    let case = fixture["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["data"] == "circles" && c["assign"] == "cluster-qr")
        .unwrap();
    assert!(adjusted_rand_index(&labels(case), &written) >= 0.99);

    let refusals: &[(&[&str], &str)] = &[
        (&["--k", "1200"], "only 1200 rows"),
        (&["--k", "0"], "--k"),
        (&["--k", "2", "--n-neighbors", "1"], "--n-neighbors"),
        (&["--k", "2", "--n-neighbors", "5000"], "only 1200 rows"),
        (&["--k", "2", "--gamma", "0"], "--gamma"),
        (&["--k", "2", "--assign", "bogus"], "bogus"),
        (&["--k", "2", "--affinity", "dense"], "dense"),
        (&[], "--k"),
    ];
    common::expect_refusals(
        &["cluster", input, "--algo", "spectral", "--out", out_str],
        refusals,
    );
}

#[test]
fn a_graph_in_more_parts_than_clusters_is_reported() {
    // Four separate blobs, two clusters asked for: the neighbour graph has four parts.
    let fixture = fixture();
    let points = common::json_points(&fixture["datasets"]["blobs"]);
    let mut engine = Engine::cpu_only("test");
    let result = fit(
        &mut engine,
        &points,
        &SpectralParams::new(2),
        BackendChoice::Cpu,
    );
    assert_eq!(result.spectrum.components, 4);
    assert!(
        result
            .warnings
            .iter()
            .any(|w| w.contains("4 separate parts")),
        "{:?}",
        result.warnings
    );
    // Four zero eigenvalues, and the eigengap says so.
    assert_eq!(result.spectrum.suggested_k(), Some(4));
}
