//! Agglomerative trees against scipy's `linkage` (fixtures from scripts/make_fixtures.py).

mod common;

use std::sync::Arc;

use clusterscope::cluster::hierarchy::{
    self, AgglomerativeParams, Cut, Dendrogram, Linkage, Merge,
};
use clusterscope::cluster::{BackendChoice, Engine, RunContext};
use clusterscope::matrix::Matrix;
use clusterscope::metrics::same_partition;
use serde_json::Value;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/linkage.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn points(value: &Value) -> Arc<Matrix> {
    common::json_points(value)
}

fn linkage_of(name: &str) -> Linkage {
    match name {
        "single" => Linkage::Single,
        "complete" => Linkage::Complete,
        "average" => Linkage::Average,
        "ward" => Linkage::Ward,
        other => panic!("unknown linkage {other}"),
    }
}

fn scipy_tree(rows: &Value, n: usize) -> Dendrogram {
    let merges = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let r: Vec<f64> = row
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            Merge {
                left: r[0] as u32,
                right: r[1] as u32,
                height: r[2],
                size: r[3] as u32,
            }
        })
        .collect();
    Dendrogram {
        n_leaves: n,
        merges,
        point_leaf: None,
        leaf_sizes: vec![1; n],
    }
}

fn tree_for(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    linkage: Linkage,
    backend: BackendChoice,
) -> Dendrogram {
    let params = AgglomerativeParams::new(linkage, Cut::Clusters(1));
    let result = hierarchy::fit(engine, points, &params, backend, &RunContext::default()).unwrap();
    (*result.tree).clone()
}

#[test]
fn merge_heights_and_cuts_equal_scipy() {
    let fixture = fixture();
    let mut engine = Engine::cpu_only("CPU reference test");
    for case in fixture["cases"].as_array().unwrap() {
        let data = case["data"].as_str().unwrap();
        let method = case["method"].as_str().unwrap();
        let points = points(&fixture["datasets"][data]);
        let n = points.n_rows;
        let ours = tree_for(&mut engine, &points, linkage_of(method), BackendChoice::Cpu);
        let theirs = scipy_tree(&case["linkage"], n);
        assert_eq!(ours.merges.len(), n - 1, "{data}/{method}");
        for (i, (a, b)) in ours.merges.iter().zip(&theirs.merges).enumerate() {
            let tolerance = 1e-5 * b.height.abs().max(1e-12);
            assert!(
                (a.height - b.height).abs() <= tolerance,
                "{data}/{method} merge {i}: height {} vs scipy {}",
                a.height,
                b.height
            );
        }
        // Every cut between distinct heights gives scipy's partition.
        for k in 1..=n {
            assert!(
                same_partition(&ours.labels_for_k(k), &theirs.labels_for_k(k))
                    || heights_tie_at(&theirs, k),
                "{data}/{method}: partitions into {k} clusters differ"
            );
        }
    }
}

/// True when the merge undone to get k clusters ties with its neighbour (the tree is then
/// not unique at that level).
fn heights_tie_at(tree: &Dendrogram, k: usize) -> bool {
    let keep = tree.n_leaves - k;
    let before = keep.checked_sub(1).map(|i| tree.merges[i].height);
    let after = tree.merges.get(keep).map(|m| m.height);
    matches!((before, after), (Some(a), Some(b)) if a == b)
}

#[test]
fn nn_chain_linkage_matrices_equal_scipy_row_for_row_including_ties() {
    // complete and average run the same chain on the same matrix as scipy: the tie rule
    // (chain predecessor first, then lowest slot) gives the same rows on the tied grid too.
    let fixture = fixture();
    let mut engine = Engine::cpu_only("CPU reference test");
    for case in fixture["cases"].as_array().unwrap() {
        let data = case["data"].as_str().unwrap();
        let method = case["method"].as_str().unwrap();
        if method == "single" {
            continue;
        }
        let points = points(&fixture["datasets"][data]);
        let ours = tree_for(&mut engine, &points, linkage_of(method), BackendChoice::Cpu);
        let theirs = scipy_tree(&case["linkage"], points.n_rows);
        for (i, (a, b)) in ours.merges.iter().zip(&theirs.merges).enumerate() {
            assert_eq!(
                (a.left, a.right, a.size),
                (b.left, b.right, b.size),
                "{data}/{method} row {i}"
            );
        }
    }
}

#[test]
fn single_linkage_on_the_gpu_equals_the_cpu() {
    let fixture = fixture();
    let mut gpu = common::gpu_engine();
    let mut cpu = Engine::cpu_only("CPU twin");
    for data in ["blobs", "grid", "wide"] {
        let points = points(&fixture["datasets"][data]);
        let on_gpu = tree_for(&mut gpu, &points, Linkage::Single, BackendChoice::Gpu);
        let on_cpu = tree_for(&mut cpu, &points, Linkage::Single, BackendChoice::Cpu);
        assert_eq!(on_gpu.merges, on_cpu.merges, "{data}");
    }
}
