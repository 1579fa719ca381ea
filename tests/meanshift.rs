//! Mean shift against scikit-learn's `MeanShift` (fixtures from scripts/make_fixtures.py)
//! and through the command line.

mod common;

use clusterscope::cluster::meanshift::{self, MeanShiftParams};
use clusterscope::cluster::{NOISE, RunContext};
use serde_json::Value;

fn fixture() -> Value {
    common::fixture("meanshift")
}

#[test]
fn modes_and_labels_equal_scikit_learn() {
    let fixture = fixture();
    for case in fixture["cases"].as_array().unwrap() {
        let data = case["data"].as_str().unwrap();
        let points = common::json_points(&fixture["datasets"][data]);
        let params = MeanShiftParams::default()
            .bandwidth(case["bandwidth"].as_f64().unwrap_or(0.0))
            .bin_seeding(case["bin_seeding"].as_bool().unwrap())
            .cluster_all(case["cluster_all"].as_bool().unwrap());
        let what = format!("{data} {params:?}");
        let fit = meanshift::fit(&points, &params, &RunContext::default()).unwrap();
        if case["bandwidth"].is_null() {
            let theirs = case["estimated_bandwidth"].as_f64().unwrap();
            assert!(
                (fit.bandwidth - theirs).abs() <= 1e-9 * theirs,
                "{what}: bandwidth {} vs {theirs}",
                fit.bandwidth
            );
        }
        let centres = case["centers"].as_array().unwrap();
        assert_eq!(fit.modes.len(), centres.len(), "{what}: mode count");
        // Strongest first on both sides: the same modes in the same order.
        for (ours, theirs) in fit.modes.iter().zip(centres) {
            for (a, b) in ours.iter().zip(theirs.as_array().unwrap()) {
                let b = b.as_f64().unwrap();
                assert!((a - b).abs() < 1e-4, "{what}: mode {ours:?} vs {theirs}");
            }
        }
        let labels: Vec<u32> = case["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                let l = v.as_i64().unwrap();
                if l < 0 { NOISE } else { l as u32 }
            })
            .collect();
        assert_eq!(fit.labels, labels, "{what}: labels");
    }
}

#[test]
fn the_command_line_finds_modes_and_leaves_far_rows_as_noise() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = fixture();
    let input = common::rows_csv(
        dir.path(),
        "blobs.csv",
        "x,y",
        &fixture["datasets"]["blobs"],
    );
    let input = input.to_str().unwrap();
    let out = dir.path().join("labels.csv");
    let out_str = out.to_str().unwrap();
    let output = common::clusterscope(&[
        "cluster",
        input,
        "--algo",
        "meanshift",
        "--bandwidth",
        "1.0",
        "--cluster-all",
        "false",
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
    let case = fixture["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["data"] == "blobs" && c["bandwidth"] == 1.0)
        .unwrap();
    let noise = case["labels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l.as_i64().unwrap() < 0)
        .count();
    assert_eq!(summary["n_noise"].as_u64().unwrap() as usize, noise);
    assert_eq!(
        summary["n_clusters"].as_u64().unwrap() as usize,
        case["centers"].as_array().unwrap().len()
    );
    let written = std::fs::read_to_string(&out).unwrap();
    let minus_ones = written
        .lines()
        .skip(1)
        .filter(|l| l.ends_with(",-1"))
        .count();
    assert_eq!(minus_ones, noise);

    let refusals: &[(&[&str], &str)] = &[
        (
            &["--bandwidth", "-1"],
            "--bandwidth must be a finite number >= 0",
        ),
        (&["--quantile", "0"], "--quantile"),
        (&["--quantile", "1.5"], "--quantile"),
        (&["--cluster-all", "maybe"], "maybe"),
    ];
    common::expect_refusals(
        &["cluster", input, "--algo", "meanshift", "--out", out_str],
        refusals,
    );
}

#[test]
fn the_gpu_climbs_reach_the_cpu_modes() {
    // f32 sums on the device against f64 on the host: the same modes to 1e-4 and the same
    // labels, for every fixture case.
    let fixture = fixture();
    let mut engine = common::gpu_engine();
    for case in fixture["cases"].as_array().unwrap() {
        let data = case["data"].as_str().unwrap();
        let points = common::json_points(&fixture["datasets"][data]);
        let params = MeanShiftParams::default()
            .bandwidth(case["bandwidth"].as_f64().unwrap_or(0.0))
            .bin_seeding(case["bin_seeding"].as_bool().unwrap())
            .cluster_all(case["cluster_all"].as_bool().unwrap());
        let cpu = meanshift::fit(&points, &params, &RunContext::default()).unwrap();
        let gpu = meanshift::fit_on(
            &mut engine,
            &points,
            &params,
            clusterscope::cluster::BackendChoice::Gpu,
            &RunContext::default(),
        )
        .unwrap();
        assert_eq!(gpu.diagnostics.backend, clusterscope::cluster::Backend::Gpu);
        assert_eq!(cpu.modes.len(), gpu.modes.len(), "{data} {params:?}");
        for (a, b) in cpu.modes.iter().zip(&gpu.modes) {
            for (x, y) in a.iter().zip(b) {
                assert!((x - y).abs() < 1e-4, "{data} {params:?}: {a:?} vs {b:?}");
            }
        }
        assert_eq!(cpu.labels, gpu.labels, "{data} {params:?}");
    }
}
