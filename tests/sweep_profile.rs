//! `clusterscope sweep` and `clusterscope profile` through the command line: each sweep
//! run equals the single `cluster` run with its value and seed; profiles equal numpy and
//! scipy group-bys (tests/fixtures/profile.json, scripts/make_profile_fixtures.py).

mod common;

use common::{clusterscope, expect_error};
use serde_json::Value;

/// Four separated 2-D blobs of 60 rows, float32-exact.
fn blobs_csv(dir: &std::path::Path) -> std::path::PathBuf {
    let mut text = String::from("x,y\n");
    for (c, (cx, cy)) in [(0.0, 0.0), (8.0, 0.0), (0.0, 8.0), (8.0, 8.0)]
        .iter()
        .enumerate()
    {
        for i in 0..60 {
            let a = (i * 7 + c) as f64 * 0.37;
            let r = 0.25 + (i % 5) as f64 * 0.25;
            text.push_str(&format!("{},{}\n", cx + r * a.cos(), cy + r * a.sin()));
        }
    }
    let path = dir.join("blobs.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn json_of(output: &std::process::Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn every_sweep_run_equals_the_single_run_with_its_value_and_seed() {
    let dir = tempfile::tempdir().unwrap();
    let input = blobs_csv(dir.path());
    let input = input.to_str().unwrap();
    let sweep = json_of(&clusterscope(&[
        "sweep",
        input,
        "--algo",
        "kmeans",
        "--param",
        "k=2..6",
        "--seeds",
        "2",
        "--json",
        "--backend",
        "cpu",
    ]));
    let runs = sweep["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 10);
    assert_eq!(sweep["param"], "k");
    assert_eq!(sweep["suggested"], 4, "{sweep:#}");
    for run in runs {
        let (k, seed) = (run["value"].to_string(), run["seed"].to_string());
        let out = dir.path().join("single.csv");
        let single = json_of(&clusterscope(&[
            "cluster",
            input,
            "--k",
            &k,
            "--seed",
            &seed,
            "--backend",
            "cpu",
            "--out",
            out.to_str().unwrap(),
            "--summary-json",
            "--scores-internal",
        ]));
        for key in ["silhouette", "davies_bouldin", "calinski_harabasz"] {
            let (a, b) = (run[key].as_f64().unwrap(), single[key].as_f64().unwrap());
            assert!(
                (a - b).abs() <= 1e-12 * b.abs(),
                "k={k} seed={seed} {key}: {a} vs {b}"
            );
        }
        assert_eq!(run["objective"], single["inertia"], "k={k} seed={seed}");
        assert_eq!(run["n_clusters"], single["n_clusters"]);
    }
    // Four blobs: both seeds agree at k = 4.
    let at_4 = &sweep["per_value"].as_array().unwrap()[2];
    assert_eq!(at_4["ari_seeds"], 1.0);
}

#[test]
fn a_dbscan_sweep_writes_csv_rows_with_the_noise_share() {
    let dir = tempfile::tempdir().unwrap();
    let input = blobs_csv(dir.path());
    let out = dir.path().join("sweep.csv");
    let output = clusterscope(&[
        "sweep",
        input.to_str().unwrap(),
        "--algo",
        "dbscan",
        "--param",
        "eps=0.1..0.5:0.2",
        "--min-points",
        "4",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("eps,seed,n_clusters,n_noise,noise_share,silhouette"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 4, "{text}");
    let noise: Vec<f64> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(4).unwrap().parse().unwrap())
        .collect();
    assert!(noise[0] > noise[2], "{noise:?}");
    assert!(lines[1].starts_with("0.1,,"), "{}", lines[1]);
}

#[test]
fn eps_kdist_reads_its_values_off_the_k_distance_curve() {
    let dir = tempfile::tempdir().unwrap();
    let input = blobs_csv(dir.path());
    let report = json_of(&clusterscope(&[
        "sweep",
        input.to_str().unwrap(),
        "--algo",
        "dbscan",
        "--param",
        "eps=kdist:5",
        "--min-points",
        "4",
        "--json",
    ]));
    // The curve by brute force: each row's distance to its 3rd nearest other row.
    let text = std::fs::read_to_string(&input).unwrap();
    let rows: Vec<[f64; 2]> = text
        .lines()
        .skip(1)
        .map(|l| {
            let (x, y) = l.split_once(',').unwrap();
            [
                x.parse::<f32>().unwrap() as f64,
                y.parse::<f32>().unwrap() as f64,
            ]
        })
        .collect();
    let mut curve: Vec<f64> = rows
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut d: Vec<f64> = rows
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, b)| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt())
                .collect();
            d.sort_by(f64::total_cmp);
            d[2]
        })
        .collect();
    curve.sort_by(f64::total_cmp);
    let values: Vec<f64> = report["per_value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["value"].as_f64().unwrap())
        .collect();
    assert_eq!(values.len(), 5, "{values:?}");
    for (value, share) in values.iter().zip([0.5, 0.62, 0.74, 0.86, 0.98]) {
        // The smallest radius (up to the 3 digits kept) that makes `share` of rows core.
        let at_rank = curve[(share * curve.len() as f64 - 1e-9).ceil() as usize - 1];
        assert!(
            *value >= at_rank && *value <= at_rank * 1.01,
            "{value} vs {at_rank} at {share}"
        );
    }
    let last = report["per_value"].as_array().unwrap().last().unwrap();
    assert!(last["noise_share"].as_f64().unwrap() <= 0.02, "{last}");
    let error = expect_error(&[
        "sweep",
        input.to_str().unwrap(),
        "--algo",
        "optics",
        "--param",
        "xi=kdist",
    ]);
    assert!(error.contains("k-distance"), "{error}");
}

#[test]
fn bad_sweeps_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let input = blobs_csv(dir.path());
    let input = input.to_str().unwrap();
    let error = expect_error(&["sweep", input, "--param", "k=6..2"]);
    assert!(error.contains("before it starts"), "{error}");
    let error = expect_error(&["sweep", input, "--param", "k=2..4", "--k", "3"]);
    assert!(error.contains("--k is swept"), "{error}");
    let error = expect_error(&["sweep", input, "--param", "eps=1..2"]);
    assert!(error.contains("no parameter 'eps'"), "{error}");
    let error = expect_error(&["sweep", input, "--param", "k=2,500"]);
    assert!(error.contains("500"), "{error}");
    let error = expect_error(&["sweep", input, "--param", "k=2..3", "--out", "x.txt"]);
    assert!(error.contains("txt"), "{error}");
}

fn profile_fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/profile.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn close(ours: &Value, theirs: &Value, what: &str) {
    let (a, b) = (ours.as_f64().unwrap(), theirs.as_f64().unwrap());
    assert!(
        (a - b).abs() <= 1e-9 * b.abs().max(1.0),
        "{what}: {a} vs {b}"
    );
}

#[test]
fn profiles_equal_numpy_and_scipy_group_bys() {
    let fixture = profile_fixture();
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("spend,visits,age,region,cluster\n");
    for row in fixture["rows"].as_array().unwrap() {
        let age = row["age"]
            .as_f64()
            .map(|a| a.to_string())
            .unwrap_or_default();
        text.push_str(&format!(
            "{},{},{age},{},{}\n",
            row["spend"],
            row["visits"],
            row["region"].as_str().unwrap(),
            row["cluster"]
        ));
    }
    let input = dir.path().join("table.csv");
    std::fs::write(&input, text).unwrap();
    let profile = json_of(&clusterscope(&[
        "profile",
        input.to_str().unwrap(),
        "--labels",
        "cluster",
        "--json",
    ]));
    let clusters = profile["clusters"].as_array().unwrap();
    let names: Vec<&str> = clusters
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["-1", "0", "1", "2"]);
    assert_eq!(clusters[0]["noise"], true);
    let columns = profile["columns"].as_array().unwrap();
    // Most separating first: spend moves 20 per cluster.
    assert_eq!(columns[0]["name"], "spend");
    for (name, reference) in fixture["numeric"].as_object().unwrap() {
        let column = columns.iter().find(|c| c["name"] == name.as_str()).unwrap();
        close(&column["f"], &reference["f"], &format!("{name} F"));
        for (ours, theirs) in column["groups"]
            .as_array()
            .unwrap()
            .iter()
            .zip(reference["groups"].as_array().unwrap())
        {
            assert_eq!(ours["count"], theirs["count"], "{name}");
            for stat in ["mean", "std", "min", "q1", "median", "q3", "max"] {
                close(
                    &ours[stat],
                    &theirs[stat],
                    &format!("{name} group {} {stat}", theirs["group"]),
                );
            }
        }
        for cluster in &clusters[1..] {
            let d = cluster["distinguishing"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["column"] == name.as_str())
                .unwrap();
            let key = cluster["name"].as_str().unwrap();
            close(
                &d["standardised_difference"],
                &reference["standardised_difference"][key],
                &format!("{name} {key} d"),
            );
        }
    }
    let region = columns.iter().find(|c| c["name"] == "region").unwrap();
    close(
        &region["chi_squared"],
        &fixture["categorical"]["region"]["chi_squared"],
        "region chi2",
    );
    let counts = &fixture["categorical"]["region"]["counts"];
    for (cluster, top) in clusters.iter().zip(region["groups"].as_array().unwrap()) {
        for category in top.as_array().unwrap() {
            let value = category["value"].as_str().unwrap();
            assert_eq!(
                category["count"],
                counts[cluster["name"].as_str().unwrap()][value]
            );
        }
    }
    assert_eq!(
        columns.iter().find(|c| c["name"] == "age").unwrap()["missing"],
        12
    );
}

#[test]
fn profile_writes_csv_and_refuses_a_missing_label_column() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("t.csv");
    std::fs::write(&input, "a,kind,g\n1,x,0\n2,y,0\n10,x,1\n11,y,1\n").unwrap();
    let out = dir.path().join("p.csv");
    let output = clusterscope(&[
        "profile",
        input.to_str().unwrap(),
        "--labels",
        "g",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.starts_with("column,kind,cluster,size,share,count,mean"),
        "{text}"
    );
    assert!(text.contains("a,numeric,1,2,0.5,2,10.5,"), "{text}");
    assert!(text.contains("kind,categorical,0,2,0.5,2,"), "{text}");
    let error = expect_error(&["profile", input.to_str().unwrap(), "--labels", "nope"]);
    assert!(error.contains("no column 'nope'"), "{error}");
}

#[test]
fn a_gmm_sweep_reports_the_bic_of_each_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let input = blobs_csv(dir.path());
    let input = input.to_str().unwrap();
    let sweep = json_of(&clusterscope(&[
        "sweep",
        input,
        "--algo",
        "gmm",
        "--param",
        "k=2..6",
        "--json",
        "--backend",
        "cpu",
    ]));
    let runs = sweep["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 5);
    let mut bics = Vec::new();
    for run in runs {
        let k = run["value"].to_string();
        let out = dir.path().join("single.csv");
        let single = json_of(&clusterscope(&[
            "cluster",
            input,
            "--algo",
            "gmm",
            "--k",
            &k,
            "--backend",
            "cpu",
            "--out",
            out.to_str().unwrap(),
            "--summary-json",
        ]));
        assert_eq!(run["objective"], single["bic"], "k={k}");
        bics.push((k, single["bic"].as_f64().unwrap()));
    }
    // Four blobs: BIC is lowest at k = 4.
    let best = bics.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    assert_eq!(best.0, "4", "{bics:?}");
}
