//! The density family under Manhattan and cosine distance against its references
//! (fixtures from `scripts/make_fixtures.py metrics`): DBSCAN and OPTICS against
//! scikit-learn's, HDBSCAN against the `hdbscan` library's, Genie against genieclust's
//! (metric "l1" / "cosine"); each GPU pass against its CPU twin on lavapipe.

mod common;

use std::sync::Arc;

use clusterscope::cluster::density::dbscan::{self, DbscanParams};
use clusterscope::cluster::density::hdbscan::{self, HdbscanParams};
use clusterscope::cluster::density::optics::{self, OpticsExtraction, OpticsParams};
use clusterscope::cluster::genie::{self, GenieParams};
use clusterscope::cluster::metric::Metric;
use clusterscope::cluster::{BackendChoice, Engine, RunContext};
use clusterscope::matrix::Matrix;
use clusterscope::metrics::{adjusted_rand_index, same_partition};
use common::reference::{assert_optics_matches, assert_same_hdbscan, labels, noise_of};
use serde_json::Value;

/// Each fixture set: its name (metric and data), the metric, the rows, the cases.
fn sets() -> Vec<(String, Metric, Arc<Matrix>, Value)> {
    let fixture = common::fixture("metrics");
    fixture["sets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|set| {
            let metric = match set["metric"].as_str().unwrap() {
                "manhattan" => Metric::Manhattan,
                "cosine" => Metric::Cosine,
                other => panic!("metric {other}"),
            };
            (
                format!("{metric} {}", set["name"].as_str().unwrap()),
                metric,
                common::json_points(&set["points"]),
                set.clone(),
            )
        })
        .collect()
}

#[test]
fn dbscan_equals_scikit_learns_on_both_backends_and_through_the_command_line() {
    let mut cpu = Engine::cpu_only("CPU reference test");
    let mut gpu = common::gpu_engine();
    let dir = tempfile::tempdir().unwrap();
    for (name, metric, points, set) in sets() {
        let header = (0..points.n_cols)
            .map(|j| format!("f{j}"))
            .collect::<Vec<_>>()
            .join(",");
        let input = common::rows_csv(dir.path(), &format!("{name}.csv"), &header, &set["points"]);
        let out = dir.path().join("out.csv");
        for case in set["dbscan"].as_array().unwrap() {
            let eps = case["eps"].as_f64().unwrap();
            let min = case["min_samples"].as_u64().unwrap() as usize;
            let expected = labels(&case["labels"]);
            let params = DbscanParams::new(eps, min).metric(metric);
            for (engine, backend) in [
                (&mut cpu, BackendChoice::Cpu),
                (&mut gpu, BackendChoice::Gpu),
            ] {
                let ours = dbscan::fit(engine, &points, &params, backend, &RunContext::default())
                    .unwrap()
                    .labels;
                assert_eq!(
                    noise_of(&ours),
                    noise_of(&expected),
                    "{name}, eps {eps}, {backend:?}: noise"
                );
                assert!(
                    same_partition(&ours, &expected),
                    "{name}, eps {eps}, {backend:?}: clusters"
                );
            }
            // The command line takes the grid path on few columns: it must measure the same.
            let (eps, min) = (eps.to_string(), min.to_string());
            let metric = metric.to_string();
            common::expect_success(&[
                "cluster",
                input.to_str().unwrap(),
                "--algo",
                "dbscan",
                "--metric",
                &metric,
                "--eps",
                &eps,
                "--min-points",
                &min,
                "--out",
                out.to_str().unwrap(),
            ]);
            let ours = common::last_column_labels(&out);
            assert!(
                same_partition(&ours, &expected),
                "{name}, eps {eps}, command line"
            );
        }
    }
}

#[test]
fn optics_reachability_and_labels_equal_scikit_learns() {
    let mut cpu = Engine::cpu_only("CPU reference test");
    let mut gpu = common::gpu_engine();
    for (name, metric, points, set) in sets() {
        for case in set["optics"].as_array().unwrap() {
            let min = case["min_samples"].as_u64().unwrap() as usize;
            let mut params = OpticsParams::new(min).metric(metric);
            params.extraction = OpticsExtraction::Xi(case["xi"].as_f64().unwrap());
            for (engine, backend) in [
                (&mut cpu, BackendChoice::Cpu),
                (&mut gpu, BackendChoice::Gpu),
            ] {
                let result =
                    optics::fit(engine, &points, &params, backend, &RunContext::default()).unwrap();
                // Cosine distances come back from f32 unit rows (1 − cos = ‖x − y‖²/2):
                // an absolute 1e-6 besides the relative 1e-5.
                assert_optics_matches(&result, case, 1e-6, &format!("{name}, {backend:?}"));
            }
        }
    }
}

#[test]
fn hdbscan_agrees_with_the_hdbscan_library_and_the_gpu_with_the_cpu() {
    let mut cpu = Engine::cpu_only("CPU reference test");
    let mut gpu = common::gpu_engine();
    for (name, metric, points, set) in sets() {
        let case = &set["hdbscan"];
        let params = HdbscanParams::new(case["min_cluster_size"].as_u64().unwrap() as usize)
            .min_samples(case["min_samples"].as_u64().map(|v| v as usize))
            .metric(metric);
        let ours = hdbscan::fit(
            &mut cpu,
            &points,
            &params,
            BackendChoice::Cpu,
            &RunContext::default(),
        )
        .unwrap();
        let ari = adjusted_rand_index(&ours.labels, &labels(&case["labels"]));
        // Tied mutual reachability distances: the library's own agreement under a row
        // permutation is the bar where it is below 0.99.
        let floor = case["self_agreement_ari"].as_f64().unwrap().min(0.99);
        assert!(ari >= floor, "{name}: ARI {ari} (bar {floor})");
        let on_gpu = hdbscan::fit(
            &mut gpu,
            &points,
            &params,
            BackendChoice::Gpu,
            &RunContext::default(),
        )
        .unwrap();
        assert_same_hdbscan(&on_gpu, &ours, &name);
    }
}

#[test]
fn genie_equals_genieclust_under_l1_and_cosine() {
    let mut cpu = Engine::cpu_only("CPU reference test");
    for (name, metric, points, set) in sets() {
        for case in set["genie"].as_array().unwrap() {
            let k = case["k"].as_u64().unwrap() as usize;
            let threshold = case["gini_threshold"].as_f64().unwrap();
            let params = GenieParams::new(k).gini_threshold(threshold).metric(metric);
            let ours = genie::fit(
                &mut cpu,
                &points,
                &params,
                BackendChoice::Cpu,
                &RunContext::default(),
            )
            .unwrap();
            assert!(
                same_partition(&ours.labels, &labels(&case["labels"])),
                "{name}, k {k}, gini {threshold}: labels differ from genieclust's"
            );
        }
    }
}

#[test]
fn manhattan_distances_are_the_sums_of_absolute_differences() {
    let points = Arc::new(Matrix::from_rows(&[
        vec![0.0, 0.0],
        vec![3.0, 4.0],
        vec![0.0, 0.0],
        vec![3.0, 4.0],
    ]));
    // Two pairs of equal points (so each pair is a cluster at min points 2), 5 apart by
    // Euclidean distance and 7 by Manhattan.
    let mut engine = Engine::cpu_only("test");
    let mut clusters = |eps: f64, metric: Metric| {
        dbscan::fit(
            &mut engine,
            &points,
            &DbscanParams::new(eps, 2).metric(metric),
            BackendChoice::Cpu,
            &RunContext::default(),
        )
        .unwrap()
        .n_clusters
    };
    assert_eq!(clusters(6.0, Metric::Euclidean), 1);
    assert_eq!(clusters(6.0, Metric::Manhattan), 2);
    assert_eq!(clusters(7.0, Metric::Manhattan), 1);
}
