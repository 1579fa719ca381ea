//! DBSCAN, HDBSCAN and OPTICS against scikit-learn and the hdbscan library (fixtures from
//! scripts/make_fixtures.py), and each GPU pass against its CPU twin.

mod common;

use std::sync::Arc;

use clusterscope::cluster::density::dbscan::{self, DbscanParams};
use clusterscope::cluster::density::hdbscan::{self, ClusterSelection, HdbscanParams};
use clusterscope::cluster::density::optics::{self, OpticsExtraction, OpticsParams};
use clusterscope::cluster::{BackendChoice, Engine, NOISE, RunContext};
use clusterscope::matrix::Matrix;
use clusterscope::metrics::{adjusted_rand_index, same_partition};
use common::fixture;
use common::reference::{assert_optics_matches, assert_same_hdbscan, labels, noise_of};
use serde_json::Value;

fn points(value: &Value) -> Arc<Matrix> {
    common::json_points(value)
}

fn run_dbscan(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    eps: f64,
    min: usize,
    backend: BackendChoice,
) -> Vec<u32> {
    dbscan::fit(
        engine,
        points,
        &DbscanParams::new(eps, min),
        backend,
        &RunContext::default(),
    )
    .unwrap()
    .labels
}

#[test]
fn dbscan_labels_equal_scikit_learn() {
    let fixture = fixture("dbscan");
    let points = points(&fixture["points"]);
    let mut engine = Engine::cpu_only("CPU reference test");
    for case in fixture["cases"].as_array().unwrap() {
        let eps = case["eps"].as_f64().unwrap();
        let min = case["min_samples"].as_u64().unwrap() as usize;
        let expected = labels(&case["labels"]);
        let ours = run_dbscan(&mut engine, &points, eps, min, BackendChoice::Cpu);
        assert_eq!(
            noise_of(&ours),
            noise_of(&expected),
            "eps={eps} min={min}: noise"
        );
        assert!(
            same_partition(&ours, &expected),
            "eps={eps} min={min}: clusters"
        );
    }
}

#[test]
fn dbscan_on_the_gpu_equals_the_cpu() {
    let fixture = fixture("dbscan");
    let points = points(&fixture["points"]);
    let mut gpu = common::gpu_engine();
    let mut cpu = Engine::cpu_only("CPU twin");
    for case in fixture["cases"].as_array().unwrap() {
        let eps = case["eps"].as_f64().unwrap();
        let min = case["min_samples"].as_u64().unwrap() as usize;
        assert_eq!(
            run_dbscan(&mut gpu, &points, eps, min, BackendChoice::Gpu),
            run_dbscan(&mut cpu, &points, eps, min, BackendChoice::Cpu),
            "eps={eps} min={min}"
        );
    }
}

#[test]
fn moving_eps_reuses_the_hierarchy() {
    let fixture = fixture("dbscan");
    let points = points(&fixture["points"]);
    let mut engine = Engine::cpu_only("CPU");
    let first = dbscan::fit(
        &mut engine,
        &points,
        &DbscanParams::new(0.1, 5),
        BackendChoice::Cpu,
        &RunContext::default(),
    )
    .unwrap();
    let second = dbscan::fit(
        &mut engine,
        &points,
        &DbscanParams::new(0.2, 5),
        BackendChoice::Cpu,
        &RunContext::default(),
    )
    .unwrap();
    assert!(Arc::ptr_eq(&first.hierarchy, &second.hierarchy));
    // And the cut equals a fresh run.
    let fresh = run_dbscan(
        &mut Engine::cpu_only("CPU"),
        &points,
        0.2,
        5,
        BackendChoice::Cpu,
    );
    assert_eq!(second.labels, fresh);
}

fn hdbscan_params(case: &Value) -> HdbscanParams {
    HdbscanParams::new(case["min_cluster_size"].as_u64().unwrap() as usize)
        .min_samples(case["min_samples"].as_u64().map(|v| v as usize))
        .selection(match case["selection"].as_str().unwrap() {
            "leaf" => ClusterSelection::Leaf,
            _ => ClusterSelection::Eom,
        })
}

#[test]
fn hdbscan_agrees_with_the_hdbscan_library() {
    let fixture = fixture("hdbscan");
    let points = points(&fixture["points"]);
    let mut engine = Engine::cpu_only("CPU reference test");
    for case in fixture["cases"].as_array().unwrap() {
        let params = hdbscan_params(case);
        let result = hdbscan::fit(
            &mut engine,
            &points,
            &params,
            BackendChoice::Cpu,
            &RunContext::default(),
        )
        .unwrap();
        let expected = labels(&case["labels"]);
        let ari = adjusted_rand_index(&result.labels, &expected);
        // Where the library disagrees with itself under a row permutation (tied merges),
        // the bar is its own agreement; elsewhere 0.99.
        let floor = case["self_agreement_ari"].as_f64().unwrap().min(0.99);
        assert!(ari >= floor, "{params:?}: ARI {ari} (bar {floor})");
        let probabilities: Vec<f64> = case["probabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let scores: Vec<f64> = case["outlier_scores"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let mean_gap = |a: &[f64], b: &[f64]| {
            a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>() / a.len() as f64
        };
        let p_gap = mean_gap(&result.probabilities, &probabilities);
        let s_gap = mean_gap(&result.outlier_scores, &scores);
        let p_bar = case["self_probability_gap"].as_f64().unwrap().max(0.01);
        let s_bar = case["self_outlier_score_gap"].as_f64().unwrap().max(0.01);
        assert!(
            p_gap <= p_bar,
            "{params:?}: probabilities differ by {p_gap} on average (bar {p_bar})"
        );
        assert!(
            s_gap <= s_bar,
            "{params:?}: outlier scores differ by {s_gap} on average (bar {s_bar})"
        );
    }
}

#[test]
fn hdbscan_on_the_gpu_equals_the_cpu() {
    let fixture = fixture("hdbscan");
    let points = points(&fixture["points"]);
    let mut gpu = common::gpu_engine();
    let mut cpu = Engine::cpu_only("CPU twin");
    for case in fixture["cases"].as_array().unwrap() {
        let params = hdbscan_params(case);
        let a = hdbscan::fit(
            &mut gpu,
            &points,
            &params,
            BackendChoice::Gpu,
            &RunContext::default(),
        )
        .unwrap();
        let b = hdbscan::fit(
            &mut cpu,
            &points,
            &params,
            BackendChoice::Cpu,
            &RunContext::default(),
        )
        .unwrap();
        assert_same_hdbscan(&a, &b, &format!("{params:?}"));
    }
}

#[test]
fn optics_ordering_reachability_and_labels_equal_scikit_learn() {
    let fixture = fixture("optics");
    let points = points(&fixture["points"]);
    let mut engine = Engine::cpu_only("CPU reference test");
    for case in fixture["cases"].as_array().unwrap() {
        let min = case["min_samples"].as_u64().unwrap() as usize;
        let mut params = OpticsParams::new(min);
        params.max_eps = case["max_eps"].as_f64().unwrap_or(f64::INFINITY);
        params.extraction = OpticsExtraction::Xi(case["xi"].as_f64().unwrap());
        let result = optics::fit(
            &mut engine,
            &points,
            &params,
            BackendChoice::Cpu,
            &RunContext::default(),
        )
        .unwrap();
        assert_optics_matches(&result, case, 0.0, &format!("min={min}"));
        let threshold = case["threshold"].as_f64().unwrap();
        let by_threshold = optics::threshold_labels(&result.ordering, threshold);
        assert!(
            same_partition(&by_threshold, &labels(&case["threshold_labels"])),
            "min={min}: threshold clusters"
        );
    }
}

#[test]
fn optics_core_distances_on_the_gpu_equal_the_cpu() {
    let fixture = fixture("optics");
    let points = points(&fixture["points"]);
    let params = OpticsParams::new(7);
    let a = optics::fit(
        &mut common::gpu_engine(),
        &points,
        &params,
        BackendChoice::Gpu,
        &RunContext::default(),
    )
    .unwrap();
    let b = optics::fit(
        &mut Engine::cpu_only("CPU"),
        &points,
        &params,
        BackendChoice::Cpu,
        &RunContext::default(),
    )
    .unwrap();
    assert_eq!(a.ordering.core_distances, b.ordering.core_distances);
    assert_eq!(a.ordering.ordering, b.ordering.ordering);
    assert_eq!(a.labels, b.labels);
}

#[test]
fn gpu_passes_equal_the_cpu_on_both_sides_of_the_tile_width() {
    // Rows of ≤ 32 columns go through workgroup tiles, wider ones are read directly.
    let mut gpu = common::gpu_engine();
    let mut cpu = Engine::cpu_only("CPU twin");
    for d in [32, 33, 40] {
        let points = Arc::new(clusterscope::synthetic::gaussian_blobs(301, d, 4, 2.0, 9).points);
        let params = HdbscanParams::new(5).min_samples(Some(4));
        let a = hdbscan::fit(
            &mut gpu,
            &points,
            &params,
            BackendChoice::Gpu,
            &RunContext::default(),
        )
        .unwrap();
        let b = hdbscan::fit(
            &mut cpu,
            &points,
            &params,
            BackendChoice::Cpu,
            &RunContext::default(),
        )
        .unwrap();
        assert_eq!(
            a.hierarchy.core_sq, b.hierarchy.core_sq,
            "d={d}: core distances"
        );
        assert_eq!(a.hierarchy.edges, b.hierarchy.edges, "d={d}: spanning tree");
        assert_eq!(a.labels, b.labels, "d={d}: HDBSCAN labels");
        // An eps between the core distances: core, border and noise points all occur.
        let mut cores = b.hierarchy.core_distances();
        cores.sort_by(f64::total_cmp);
        let eps = cores[cores.len() / 2];
        let on_gpu = run_dbscan(&mut gpu, &points, eps, 6, BackendChoice::Gpu);
        let on_cpu = run_dbscan(&mut cpu, &points, eps, 6, BackendChoice::Cpu);
        assert!(on_cpu.contains(&NOISE), "d={d}: some noise");
        assert_eq!(on_gpu, on_cpu, "d={d}: DBSCAN labels");
    }
}
