//! The hierarchy and density algorithms through the command line: labels, noise as -1,
//! score columns, and clear refusals of bad parameters.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use clusterscope::metrics::{adjusted_rand_index, same_partition};

fn clusterscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clusterscope"))
        .args(args)
        .env("WGPU_BACKEND", "vulkan")
        .output()
        .expect("the binary runs")
}

/// Two tight groups of 40 points 10 apart on a line-free layout, plus 3 far outliers.
fn two_groups(dir: &Path) -> (PathBuf, Vec<u32>) {
    let mut text = String::from("name,x,y\n");
    let mut truth = Vec::new();
    for i in 0..80 {
        let group = i / 40;
        let angle = i as f64 * 0.7;
        let radius = 0.3 + (i % 7) as f64 * 0.05;
        let (cx, cy) = if group == 0 { (0.0, 0.0) } else { (10.0, 3.0) };
        text += &format!(
            "p{i},{},{}\n",
            cx + radius * angle.cos(),
            cy + radius * angle.sin()
        );
        truth.push(group as u32);
    }
    for (i, (x, y)) in [(30.0, 30.0), (-25.0, 18.0), (5.0, -40.0)]
        .iter()
        .enumerate()
    {
        text += &format!("o{i},{x},{y}\n");
        truth.push(u32::MAX);
    }
    let path = dir.join("groups.csv");
    std::fs::write(&path, text).unwrap();
    (path, truth)
}

/// The cluster column of an exported CSV, -1 → u32::MAX.
fn labels_of(path: &Path, column: usize) -> Vec<u32> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| {
            let value: i64 = line.split(',').nth(column).unwrap().parse().unwrap();
            if value < 0 { u32::MAX } else { value as u32 }
        })
        .collect()
}

fn run_ok(args: &[&str]) -> String {
    let output = clusterscope(args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).to_string()
}

#[test]
fn every_algorithm_finds_the_two_groups() {
    let dir = tempfile::tempdir().unwrap();
    let (input, truth) = two_groups(dir.path());
    let input = input.to_str().unwrap();
    let out = dir.path().join("out.csv");
    let out_str = out.to_str().unwrap();
    let groups_only: Vec<u32> = truth
        .iter()
        .map(|&t| if t == u32::MAX { 2 } else { t })
        .collect();
    let cases: Vec<(Vec<&str>, bool)> = vec![
        (
            vec!["--algo", "agglomerative", "--linkage", "ward", "--k", "3"],
            false,
        ),
        (
            vec!["--algo", "agglomerative", "--linkage", "single", "--k", "5"],
            false,
        ),
        (
            vec![
                "--algo",
                "agglomerative",
                "--linkage",
                "complete",
                "--k",
                "5",
            ],
            false,
        ),
        (
            vec![
                "--algo",
                "agglomerative",
                "--linkage",
                "average",
                "--distance",
                "5",
            ],
            false,
        ),
        (vec!["--algo", "divisive", "--k", "5"], false),
        (
            vec!["--algo", "dbscan", "--eps", "1.0", "--min-points", "4"],
            true,
        ),
        (vec!["--algo", "hdbscan", "--min-cluster-size", "10"], true),
        (
            vec![
                "--algo",
                "optics",
                "--min-points",
                "5",
                "--reachability",
                "2.0",
            ],
            true,
        ),
    ];
    for (args, has_noise) in cases {
        let mut all = vec![
            "cluster",
            input,
            "--out",
            out_str,
            "--summary-json",
            "--backend",
            "cpu",
        ];
        all.extend(&args);
        let summary = run_ok(&all);
        let labels = labels_of(&out, 3);
        if has_noise {
            // The groups as two clusters, exactly the three outliers as noise (-1).
            assert!(
                same_partition(&labels, &truth),
                "{args:?}: {labels:?} {summary}"
            );
            let noise: Vec<usize> = (0..labels.len())
                .filter(|&i| labels[i] == u32::MAX)
                .collect();
            assert_eq!(noise, vec![80, 81, 82], "{args:?}");
        } else {
            // The outliers are their own clusters or join a group; the groups stay whole.
            let groups: Vec<u32> = labels[..80].to_vec();
            let ari = adjusted_rand_index(&groups, &groups_only[..80]);
            assert!(ari == 1.0, "{args:?}: ARI {ari} {summary}");
        }
        assert!(summary.contains("\"n_noise\""), "{summary}");
    }
}

#[test]
fn hdbscan_scores_are_written_beside_the_labels() {
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = two_groups(dir.path());
    let out = dir.path().join("scored.csv");
    run_ok(&[
        "cluster",
        input.to_str().unwrap(),
        "--algo",
        "hdbscan",
        "--min-cluster-size",
        "10",
        "--scores",
        "--backend",
        "cpu",
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "name,x,y,cluster,cluster_probability,cluster_outlier_score"
    );
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    // An outlier: noise, probability 0, a high outlier score.
    let outlier = &rows[80];
    assert_eq!(outlier[3], "-1");
    assert_eq!(outlier[4].parse::<f64>().unwrap(), 0.0);
    assert!(outlier[5].parse::<f64>().unwrap() > 0.9, "{outlier:?}");
    let member = &rows[0];
    assert!(member[4].parse::<f64>().unwrap() > 0.0);
}

#[test]
fn bad_parameters_are_refused_with_the_parameter_named() {
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = two_groups(dir.path());
    let input = input.to_str().unwrap();
    let out = dir.path().join("out.csv");
    let out = out.to_str().unwrap();
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo.csv");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![input, "--algo", "dbscan", "--eps", "0"],
            "--eps must be a positive",
        ),
        (
            vec![input, "--algo", "dbscan", "--eps", "-1"],
            "--eps must be a positive",
        ),
        (
            vec![
                input,
                "--algo",
                "dbscan",
                "--eps",
                "0.5",
                "--min-points",
                "0",
            ],
            "--min-points must be at least 1",
        ),
        (vec![input, "--algo", "dbscan"], "dbscan needs --eps"),
        (
            vec![input, "--algo", "agglomerative", "--k", "500"],
            "only 83 points",
        ),
        (
            vec![input, "--algo", "agglomerative"],
            "needs --k N or --distance T",
        ),
        (
            vec![
                input,
                "--algo",
                "agglomerative",
                "--k",
                "2",
                "--distance",
                "3",
            ],
            "either --k or --distance",
        ),
        (
            vec![
                input,
                "--algo",
                "agglomerative",
                "--linkage",
                "median",
                "--k",
                "2",
            ],
            "invalid value 'median'",
        ),
        (
            vec![input, "--algo", "hdbscan", "--min-cluster-size", "1"],
            "--min-cluster-size must be at least 2",
        ),
        (
            vec![input, "--algo", "optics", "--xi", "1.5"],
            "--xi must lie strictly between 0 and 1",
        ),
        (
            vec![input, "--algo", "divisive", "--distance", "-2"],
            "--distance must be a finite number",
        ),
        (
            vec![
                demo,
                "--algo",
                "agglomerative",
                "--linkage",
                "complete",
                "--k",
                "3",
                "--memory-budget-mb",
                "1",
            ],
            "needs the full distance matrix of 2993 points: 34.2 MiB, over the budget of 1.0 MiB; use --linkage ward or --linkage single",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["cluster"];
        all.extend(&args);
        all.extend(["--out", out]);
        let output = clusterscope(&all);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{args:?}: expected '{expected}' in {stderr}"
        );
    }
}

#[test]
fn bench_commands_print_seconds() {
    for args in [
        vec!["bench", "dbscan", "--n", "2000", "--eps", "0.3"],
        vec!["bench", "hdbscan", "--n", "2000"],
        vec![
            "bench",
            "agglomerative",
            "--n",
            "1500",
            "--d",
            "4",
            "--linkage",
            "ward",
        ],
    ] {
        let stdout = run_ok(&args);
        assert!(stdout.contains("seconds: "), "{stdout}");
        assert!(stdout.contains("clusters: "), "{stdout}");
    }
}
