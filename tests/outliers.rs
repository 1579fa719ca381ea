//! Outlier detectors against scikit-learn (fixtures from `scripts/make_fixtures.py
//! outliers`: blobs with 30 planted outliers and repeated rows), brute force, and GPU
//! against CPU; the `outliers` command's output and refusals.

mod common;

use std::sync::Arc;

use clusterscope::cluster::{Backend, BackendChoice, Engine, ParamValues, RunContext};
use clusterscope::matrix::Matrix;
use clusterscope::outliers::{self, DetectInput, OutlierScores};
use serde_json::{Value, json};

fn values(pairs: &[(&str, Value)]) -> ParamValues {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn detect(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    method: &str,
    params: ParamValues,
    backend: BackendChoice,
) -> OutlierScores {
    outliers::detect(
        engine,
        method,
        &params,
        &DetectInput {
            points,
            backend,
            labels: None,
        },
        &RunContext::default(),
    )
    .unwrap_or_else(|e| panic!("{method}: {e}"))
}

/// The area under the ROC curve of `scores` for the rows `truth` marks (ties count half).
fn roc_auc(scores: &[f64], truth: &[bool]) -> f64 {
    let positives: Vec<f64> = scores
        .iter()
        .zip(truth)
        .filter(|(_, t)| **t)
        .map(|(s, _)| *s)
        .collect();
    let negatives: Vec<f64> = scores
        .iter()
        .zip(truth)
        .filter(|(_, t)| !**t)
        .map(|(s, _)| *s)
        .collect();
    let mut wins = 0.0;
    for p in &positives {
        for n in &negatives {
            wins += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (positives.len() * negatives.len()) as f64
}

fn truth(fixture: &Value) -> Vec<bool> {
    fixture["truth"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_u64() == Some(1))
        .collect()
}

#[test]
fn lof_equals_scikit_learn_with_repeated_rows() {
    let fixture = common::fixture("outliers");
    let points = common::json_points(&fixture["points"]);
    let mut engine = Engine::headless();
    for case in fixture["lof"].as_array().unwrap() {
        let k = case["k"].as_u64().unwrap();
        let ours = detect(
            &mut engine,
            &points,
            "lof",
            values(&[("k", json!(k))]),
            BackendChoice::Cpu,
        );
        for (row, (a, b)) in ours
            .scores
            .iter()
            .zip(case["scores"].as_array().unwrap())
            .enumerate()
        {
            let b = b.as_f64().unwrap();
            assert!(
                (a - b).abs() <= 1e-5 * b.abs(),
                "k {k}, row {row}: {a} vs scikit-learn's {b}"
            );
        }
    }
}

#[test]
fn knn_distances_equal_brute_force() {
    let fixture = common::fixture("outliers");
    let points = common::json_points(&fixture["points"]);
    let mut engine = Engine::headless();
    let n = points.n_rows;
    let k = 7;
    for metric in ["euclidean", "manhattan"] {
        let kth = detect(
            &mut engine,
            &points,
            "knn",
            values(&[("k", json!(k)), ("metric", json!(metric))]),
            BackendChoice::Cpu,
        );
        let mean = detect(
            &mut engine,
            &points,
            "knn",
            values(&[
                ("k", json!(k)),
                ("aggregate", json!("mean")),
                ("metric", json!(metric)),
            ]),
            BackendChoice::Cpu,
        );
        for row in 0..n {
            let x = points.row(row);
            let mut d: Vec<f64> = (0..n)
                .filter(|&o| o != row)
                .map(|o| {
                    let gaps = x
                        .iter()
                        .zip(points.row(o))
                        .map(|(&a, &b)| a as f64 - b as f64);
                    if metric == "manhattan" {
                        gaps.map(f64::abs).sum::<f64>()
                    } else {
                        gaps.map(|g| g * g).sum::<f64>().sqrt()
                    }
                })
                .collect();
            d.sort_by(f64::total_cmp);
            assert!(
                (kth.scores[row] - d[k - 1]).abs() < 1e-12,
                "{metric}, row {row}"
            );
            let m = d[..k].iter().sum::<f64>() / k as f64;
            assert!((mean.scores[row] - m).abs() < 1e-12, "{metric}, row {row}");
        }
    }
}

#[test]
fn isolation_forest_ranks_the_planted_outliers_as_scikit_learn_does() {
    let fixture = common::fixture("outliers");
    let points = common::json_points(&fixture["points"]);
    let truth = truth(&fixture);
    let mut engine = Engine::headless();
    let theirs = fixture["iforest_auc"].as_f64().unwrap();
    for seed in [0u64, 1, 2] {
        let ours = detect(
            &mut engine,
            &points,
            "iforest",
            values(&[("seed", json!(seed))]),
            BackendChoice::Cpu,
        );
        let auc = roc_auc(&ours.scores, &truth);
        assert!(
            (auc - theirs).abs() <= 0.02,
            "seed {seed}: ROC-AUC {auc} vs scikit-learn's {theirs}"
        );
        assert!(ours.scores.iter().all(|s| (0.0..=1.0).contains(s)));
    }
    // The same seed grows the same forest.
    let a = detect(
        &mut engine,
        &points,
        "iforest",
        ParamValues::new(),
        BackendChoice::Cpu,
    );
    let b = detect(
        &mut engine,
        &points,
        "iforest",
        ParamValues::new(),
        BackendChoice::Cpu,
    );
    assert_eq!(a.scores, b.scores);
}

#[test]
fn model_based_scores_find_the_planted_outliers() {
    let fixture = common::fixture("outliers");
    let points = common::json_points(&fixture["points"]);
    let truth = truth(&fixture);
    let mut engine = Engine::headless();
    let lof_auc = fixture["lof_auc"].as_f64().unwrap();
    for (method, params) in [
        ("glosh", values(&[])),
        ("centroid", values(&[("clusters", json!(4))])),
        ("gmm", values(&[("components", json!(4))])),
        ("knn", values(&[])),
        ("lof", values(&[])),
    ] {
        let scores = detect(&mut engine, &points, method, params, BackendChoice::Cpu);
        let auc = roc_auc(&scores.scores, &truth);
        // scikit-learn's LOF (k = 20) reaches lof_auc on this table; every detector here
        // should be about as good on planted uniform outliers.
        assert!(auc > lof_auc - 0.1, "{method}: ROC-AUC {auc}");
        assert!(scores.scores.iter().all(|s| s.is_finite()), "{method}");
    }
}

#[test]
fn gpu_passes_equal_the_cpu() {
    let fixture = common::fixture("outliers");
    let points = common::json_points(&fixture["points"]);
    let mut engine = common::gpu_engine();
    for (method, params, tolerance) in [
        ("knn", values(&[("k", json!(9))]), 1e-12),
        ("lof", values(&[("k", json!(20))]), 1e-4),
        (
            "knn",
            values(&[("k", json!(9)), ("metric", json!("manhattan"))]),
            1e-12,
        ),
        (
            "lof",
            values(&[("k", json!(20)), ("metric", json!("manhattan"))]),
            1e-4,
        ),
        ("iforest", values(&[]), 1e-5),
    ] {
        let cpu = detect(
            &mut engine,
            &points,
            method,
            params.clone(),
            BackendChoice::Cpu,
        );
        let gpu = detect(&mut engine, &points, method, params, BackendChoice::Gpu);
        assert_eq!(cpu.backend, Backend::Cpu);
        assert_eq!(gpu.backend, Backend::Gpu, "{method}");
        for (row, (a, b)) in cpu.scores.iter().zip(&gpu.scores).enumerate() {
            assert!(
                (a - b).abs() <= tolerance * a.abs().max(1.0),
                "{method}, row {row}: CPU {a} vs GPU {b}"
            );
        }
    }
    // More neighbours than the GPU pass keeps: auto stays on the CPU, gpu says why.
    let many = values(&[("k", json!(80))]);
    let auto = detect(
        &mut engine,
        &points,
        "knn",
        many.clone(),
        BackendChoice::Auto,
    );
    assert_eq!(auto.backend, Backend::Cpu);
    let error = outliers::detect(
        &mut engine,
        "knn",
        &many,
        &DetectInput {
            points: &points,
            backend: BackendChoice::Gpu,
            labels: None,
        },
        &RunContext::default(),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(error.contains("at most 64 neighbours"), "{error}");
}

#[test]
fn the_command_writes_scores_and_flags_and_refuses_bad_parameters() {
    let fixture = common::fixture("outliers");
    let dir = tempfile::tempdir().unwrap();
    let input = common::rows_csv(dir.path(), "table.csv", "a,b,c", &fixture["points"]);
    let input = input.to_str().unwrap();
    let out = dir.path().join("scored.csv");
    let out_str = out.to_str().unwrap();
    let output = common::clusterscope(&[
        "outliers",
        input,
        "--method",
        "lof",
        "--k",
        "20",
        "--contamination",
        "0.05",
        "--backend",
        "cpu",
        "--out",
        out_str,
        "--summary-json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["method"], "lof");
    assert_eq!(summary["n"], 680);
    // 5 % of 680 rows lie above the 95th percentile.
    assert_eq!(summary["n_outliers"], 34, "{summary}");
    let written = std::fs::read_to_string(&out).unwrap();
    let mut lines = written.lines();
    assert_eq!(lines.next().unwrap(), "a,b,c,outlier_score,is_outlier");
    let theirs = fixture["lof"].as_array().unwrap()[1]["scores"]
        .as_array()
        .unwrap()
        .clone();
    let threshold = summary["threshold"].as_f64().unwrap();
    let mut flagged = 0;
    for (line, reference) in lines.zip(&theirs) {
        let fields: Vec<&str> = line.split(',').collect();
        let score: f64 = fields[3].parse().unwrap();
        let reference = reference.as_f64().unwrap();
        assert!((score - reference).abs() <= 1e-5 * reference, "{line}");
        let flag = fields[4] == "true";
        assert_eq!(flag, score > threshold, "{line}");
        flagged += usize::from(flag);
    }
    assert_eq!(flagged, 34);

    // A threshold instead of a share; centroid against a label column.
    let labelled = dir.path().join("labelled.csv");
    let mut text = String::from("a,b,c,group\n");
    for (row, values) in fixture["points"].as_array().unwrap().iter().enumerate() {
        let v: Vec<String> = values
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.to_string())
            .collect();
        text += &format!(
            "{},{}\n",
            v.join(","),
            if row % 50 == 0 { -1 } else { (row % 3) as i64 }
        );
    }
    std::fs::write(&labelled, text).unwrap();
    let output = common::clusterscope(&[
        "outliers",
        labelled.to_str().unwrap(),
        "--method",
        "centroid",
        "--labels",
        "group",
        "--threshold",
        "2.5",
        "--out",
        out_str,
        "--summary-json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["threshold"], 2.5);
    assert_eq!(summary["cutoff"], "threshold");

    std::fs::remove_file(&out).unwrap();
    let refusals: &[(&[&str], &str)] = &[
        (
            &["--method", "lof", "--k", "680"],
            "--k is 680 but there are only 680 rows",
        ),
        (
            &["--method", "lof", "--contamination", "0.6"],
            "--contamination is 0.6",
        ),
        (&["--method", "lof", "--contamination", "0"], "(0, 0.5]"),
        (
            &["--method", "lof", "--trees", "10"],
            "--trees is not a parameter of lof",
        ),
        (&["--method", "knn", "--aggregate", "max"], "max"),
        (
            &["--method", "iforest", "--sample-size", "1"],
            "--sample-size",
        ),
        (
            &["--method", "lof", "--labels", "a"],
            "--labels is read by --method centroid only",
        ),
        (
            &["--method", "centroid", "--labels", "nope"],
            "no column 'nope'",
        ),
        (&["--method", "gmm", "--components", "0"], "--components"),
        (&["--method", "lfo"], "lfo"),
    ];
    common::expect_refusals(&["outliers", input, "--out", out_str], refusals);
    assert!(!out.exists(), "no output after a refusal");
}

#[test]
fn an_outlier_export_reruns_from_its_record() {
    let fixture = common::fixture("outliers");
    let dir = tempfile::tempdir().unwrap();
    let input = common::rows_csv(dir.path(), "table.csv", "a,b,c", &fixture["points"]);
    let first = dir.path().join("first.parquet");
    let again = dir.path().join("again.parquet");
    let run = |args: &[&str]| {
        let output = common::clusterscope(args);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::read(
            args.iter()
                .position(|a| *a == "--out")
                .map(|i| args[i + 1])
                .unwrap(),
        )
        .unwrap()
    };
    run(&[
        "outliers",
        input.to_str().unwrap(),
        "--method",
        "iforest",
        "--seed",
        "5",
        "--contamination",
        "0.1",
        "--out",
        first.to_str().unwrap(),
    ]);
    run(&[
        "rerun",
        first.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    let read = |path: &std::path::Path| {
        let frame = clusterscope::data::read_table(path).unwrap();
        let scores: Vec<Option<f64>> = frame
            .column("outlier_score")
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .collect();
        let flags = frame
            .column("is_outlier")
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .filter(|f| *f == Some(true))
            .count();
        (scores, flags)
    };
    let (a, flags_a) = read(&first);
    let (b, flags_b) = read(&again);
    assert_eq!(a, b);
    assert_eq!(flags_a, 68);
    assert_eq!(flags_a, flags_b);
}
