//! `clusterscope score` against scikit-learn (tests/fixtures/scores.json, written by
//! scripts/make_score_fixtures.py): every internal and external score to 1e-6 relative,
//! noise rows left out of the internal ones, and clear errors where a score is undefined.

mod common;

use common::{clusterscope, expect_error};

fn fixtures() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/scores.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A CSV with the case's points as x0…, then `cluster` and `truth`.
fn write_case(dir: &std::path::Path, case: &serde_json::Value) -> std::path::PathBuf {
    let points = case["points"].as_array().unwrap();
    let d = points[0].as_array().unwrap().len();
    let mut text: String = (0..d).map(|i| format!("x{i},")).collect();
    text.push_str("cluster,truth\n");
    for ((row, label), truth) in points
        .iter()
        .zip(case["labels"].as_array().unwrap())
        .zip(case["truth"].as_array().unwrap())
    {
        for v in row.as_array().unwrap() {
            text.push_str(&format!("{},", v.as_f64().unwrap()));
        }
        text.push_str(&format!("{label},{truth}\n"));
    }
    let path = dir.join("case.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn close(ours: f64, theirs: f64) -> bool {
    (ours - theirs).abs() <= 1e-6 * theirs.abs().max(1e-3)
}

#[test]
fn every_score_equals_scikit_learns() {
    let fixtures = fixtures();
    for case in fixtures["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = write_case(dir.path(), case);
        let output = clusterscope(&[
            "score",
            path.to_str().unwrap(),
            "--labels",
            "cluster",
            "--truth",
            "truth",
            "--json",
        ]);
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let ours: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        for key in ["silhouette", "davies_bouldin", "calinski_harabasz"] {
            let (a, b) = (ours[key].as_f64().unwrap(), case[key].as_f64().unwrap());
            assert!(close(a, b), "{name}: {key} {a} vs scikit-learn {b}");
        }
        for key in [
            "adjusted_rand",
            "adjusted_mutual_info",
            "normalized_mutual_info",
            "fowlkes_mallows",
        ] {
            let (a, b) = (
                ours["truth"][key].as_f64().unwrap(),
                case[key].as_f64().unwrap(),
            );
            assert!(close(a, b), "{name}: {key} {a} vs scikit-learn {b}");
        }
        let labels = case["labels"].as_array().unwrap();
        let noise = labels.iter().filter(|l| l.as_i64() == Some(-1)).count();
        assert_eq!(ours["noise"].as_u64().unwrap() as usize, noise, "{name}");
        assert_eq!(
            ours["scored"].as_u64().unwrap() as usize,
            labels.len() - noise,
            "{name}"
        );
        // The contingency table counts every row once.
        let total: u64 = ours["truth"]["contingency"]["counts"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r.as_array().unwrap())
            .map(|c| c.as_u64().unwrap())
            .sum();
        assert_eq!(total as usize, labels.len(), "{name}");
    }
}

#[test]
fn undefined_scores_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.csv");
    std::fs::write(&path, "x,y,cluster\n0,0,3\n1,0,3\n0,1,3\n").unwrap();
    let p = path.to_str().unwrap();
    let stderr = expect_error(&["score", p, "--labels", "cluster"]);
    assert!(stderr.contains("at least 2 clusters"), "{stderr}");
    assert!(stderr.contains("one.csv"), "{stderr}");
    let stderr = expect_error(&["score", p, "--labels", "label"]);
    assert!(
        stderr.contains("no column 'label'") && stderr.contains("cluster"),
        "{stderr}"
    );
    let stderr = expect_error(&["score", p, "--labels", "cluster", "--truth", "cluster"]);
    assert!(stderr.contains("same column"), "{stderr}");
}

#[test]
fn text_output_names_every_score() {
    let fixtures = fixtures();
    let dir = tempfile::tempdir().unwrap();
    let path = write_case(dir.path(), &fixtures["cases"][2]);
    let output = clusterscope(&[
        "score",
        path.to_str().unwrap(),
        "--labels",
        "cluster",
        "--truth",
        "truth",
    ]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for word in [
        "silhouette",
        "davies_bouldin",
        "calinski_harabasz",
        "adjusted_rand",
        "adjusted_mutual_info",
        "normalized_mutual_info",
        "fowlkes_mallows",
        "contingency",
        "25 noise",
    ] {
        assert!(text.contains(word), "{word} missing from:\n{text}");
    }
}

/// `cluster --summary-json --scores-internal` gives the scores `score` gives on its output.
#[test]
fn cluster_reports_the_same_internal_scores_as_score() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    let demo = clusterscope::app::demo_table_path();
    let output = clusterscope(&[
        "cluster",
        demo.to_str().unwrap(),
        "--algo",
        "dbscan",
        "--eps",
        "0.4",
        "--min-points",
        "5",
        "--scale",
        "standard",
        "--out",
        out.to_str().unwrap(),
        "--summary-json",
        "--scores-internal",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        summary["n_noise"].as_u64().unwrap() > 0,
        "noise to leave out"
    );
    let output = clusterscope(&[
        "score",
        out.to_str().unwrap(),
        "--labels",
        "cluster",
        "--columns",
        "age,income_k,annual_spend_k,visits_per_month,tenure_years",
        "--scale",
        "standard",
        "--json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let scored: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for key in ["silhouette", "davies_bouldin", "calinski_harabasz"] {
        let (a, b) = (
            summary[key].as_f64().unwrap(),
            scored[key].as_f64().unwrap(),
        );
        assert!(
            (a - b).abs() <= 1e-9 * b.abs(),
            "{key}: cluster {a}, score {b}"
        );
    }
}
