//! Genie against the `genieclust` package (fixtures from scripts/make_fixtures.py), on
//! both backends, and through the command line.

mod common;

use std::sync::Arc;

use clusterscope::cluster::genie::{self, GenieParams};
use clusterscope::cluster::{BackendChoice, Engine, RunContext};
use clusterscope::matrix::Matrix;
use clusterscope::metrics::{adjusted_rand_index, same_partition};
use serde_json::Value;

fn fixture() -> Value {
    common::fixture("genie")
}

fn labels(value: &Value) -> Vec<u32> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap() as u32)
        .collect()
}

struct Case {
    data: String,
    threshold: f64,
    m: usize,
    points: Arc<Matrix>,
    /// genieclust's labels for k = 2..=8.
    by_k: Vec<(usize, Vec<u32>)>,
    /// The total weight of genieclust's spanning tree.
    tree_weight: f64,
    /// The lowest ARI between genieclust's labels and its own on permuted rows.
    self_agreement: f64,
}

fn cases() -> Vec<Case> {
    let fixture = fixture();
    fixture["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            let data = case["data"].as_str().unwrap().to_string();
            let by_k = (2..=8)
                .map(|k| (k, labels(&case["labels"][k.to_string()])))
                .collect();
            Case {
                points: common::json_points(&fixture["datasets"][&data]),
                data,
                threshold: case["gini_threshold"].as_f64().unwrap(),
                m: case["M"].as_u64().unwrap() as usize,
                by_k,
                tree_weight: case["tree_weight"].as_f64().unwrap(),
                self_agreement: case["self_agreement_ari"].as_f64().unwrap(),
            }
        })
        .collect()
}

fn run(engine: &mut Engine, case: &Case, k: usize, backend: BackendChoice) -> Vec<u32> {
    let params = GenieParams::new(k)
        .gini_threshold(case.threshold)
        .mutual_reachability(case.m);
    genie::fit(
        engine,
        &case.points,
        &params,
        backend,
        &RunContext::default(),
    )
    .unwrap()
    .labels
}

#[test]
fn labels_equal_genieclust_for_every_cluster_count() {
    // On the Euclidean tree (continuous data: no tied edges, one minimum tree) the labels
    // are genieclust's exactly, for every k of one hierarchy.
    let mut engine = Engine::cpu_only("CPU reference test");
    for case in cases().into_iter().filter(|c| c.m <= 1) {
        for (k, theirs) in &case.by_k {
            let ours = run(&mut engine, &case, *k, BackendChoice::Cpu);
            assert!(
                same_partition(&ours, theirs),
                "{} gini {} M {} k {k}: ARI {}",
                case.data,
                case.threshold,
                case.m,
                adjusted_rand_index(&ours, theirs)
            );
        }
    }
}

#[test]
fn mutual_reachability_trees_weigh_genieclusts_and_agree_within_ties() {
    // With M > 1 many edges weigh exactly one core distance, so there are several minimum
    // trees: ours and genieclust's weigh the same, and the partitions built on them agree
    // at least as well as genieclust agrees with itself on the same rows in another order.
    let mut engine = Engine::cpu_only("CPU reference test");
    for case in cases().into_iter().filter(|c| c.m > 1) {
        let result = genie::fit(
            &mut engine,
            &case.points,
            &GenieParams::new(2)
                .gini_threshold(case.threshold)
                .mutual_reachability(case.m),
            BackendChoice::Cpu,
            &RunContext::default(),
        )
        .unwrap();
        let weight: f64 = result.merges.iter().map(|m| m.distance).sum();
        assert!(
            (weight - case.tree_weight).abs() <= 1e-5 * case.tree_weight,
            "M {}: tree weight {weight} vs genieclust {}",
            case.m,
            case.tree_weight
        );
        for (k, theirs) in &case.by_k {
            let ours = run(&mut engine, &case, *k, BackendChoice::Cpu);
            let ari = adjusted_rand_index(&ours, theirs);
            assert!(
                ari >= case.self_agreement.min(0.99),
                "{} gini {} M {} k {k}: ARI {ari}, genieclust against itself {}",
                case.data,
                case.threshold,
                case.m,
                case.self_agreement
            );
        }
    }
}

#[test]
fn the_gpu_tree_gives_the_cpu_labels() {
    let mut cpu = Engine::cpu_only("CPU reference test");
    let mut gpu = common::gpu_engine();
    for case in cases().into_iter().filter(|c| c.threshold == 0.3) {
        for k in [3, 6] {
            let on_cpu = run(&mut cpu, &case, k, BackendChoice::Cpu);
            let on_gpu = run(&mut gpu, &case, k, BackendChoice::Gpu);
            assert_eq!(on_cpu, on_gpu, "{} M {} k {k}", case.data, case.m);
        }
    }
}

#[test]
fn the_tree_cut_at_k_is_the_run_at_k() {
    // One hierarchy serves every k: the dendrogram's cut equals a run asked for that k,
    // and its heights never decrease.
    let case = cases().into_iter().find(|c| c.data == "uneven").unwrap();
    let mut engine = Engine::cpu_only("CPU reference test");
    let params = GenieParams::new(2).gini_threshold(case.threshold);
    let result = genie::fit(
        &mut engine,
        &case.points,
        &params,
        BackendChoice::Cpu,
        &RunContext::default(),
    )
    .unwrap();
    assert_eq!(result.tree.merges.len(), case.points.n_rows - 1);
    assert!(
        result
            .tree
            .merges
            .windows(2)
            .all(|w| w[0].height <= w[1].height)
    );
    for k in [2, 4, 7] {
        assert_eq!(
            result.tree.labels_for_k(k),
            run(&mut engine, &case, k, BackendChoice::Cpu)
        );
    }
}

#[test]
fn the_command_line_runs_genie_and_refuses_bad_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = fixture();
    let input = common::rows_csv(
        dir.path(),
        "uneven.csv",
        "x,y",
        &fixture["datasets"]["uneven"],
    );
    let input = input.to_str().unwrap();
    let out = dir.path().join("labels.csv");
    let out_str = out.to_str().unwrap();
    let output = common::clusterscope(&[
        "cluster",
        input,
        "--algo",
        "genie",
        "--k",
        "4",
        "--gini-threshold",
        "0.3",
        "--backend",
        "cpu",
        "--out",
        out_str,
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let written: Vec<u32> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| line.rsplit(',').next().unwrap().parse().unwrap())
        .collect();
    let case = cases()
        .into_iter()
        .find(|c| c.data == "uneven" && c.threshold == 0.3)
        .unwrap();
    assert!(same_partition(&written, &case.by_k[2].1));

    let refusals: &[(&[&str], &str)] = &[
        (
            &["--k", "4", "--gini-threshold", "1.5"],
            "--gini-threshold must lie in [0, 1]",
        ),
        (
            &["--k", "4", "--gini-threshold", "-0.1"],
            "--gini-threshold must lie in [0, 1]",
        ),
        (&["--k", "0"], "--k"),
        (&["--k", "9999"], "only 545 rows"),
        (
            &["--k", "3", "--mutual-reachability", "545"],
            "--mutual-reachability is 545",
        ),
        (&[], "--k"),
    ];
    common::expect_refusals(
        &["cluster", input, "--algo", "genie", "--out", out_str],
        refusals,
    );
}
