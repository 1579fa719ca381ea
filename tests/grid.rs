//! The grid family (STING, CLIQUE, WaveCluster) and DBSCAN's grid path: binning GPU = CPU,
//! statistics against a direct group-by, CLIQUE against pyclustering, the wavelet pass
//! GPU = CPU, quality against the truth on noisy shapes, the grid path against the tree
//! cut, re-clustering without a pass over the rows, and bad parameters.

mod common;

use std::sync::Arc;

use clusterscope::cluster::grid::{self, GridShape, bin_cpu};
use clusterscope::cluster::params::ParamValues;
use clusterscope::cluster::{AlgorithmParams, BackendChoice, Engine, NOISE, RunContext, Structure};
use clusterscope::matrix::Matrix;
use clusterscope::metrics::{adjusted_rand_index, same_partition};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde_json::{Value, json};

use common::{fixture, gpu_engine, json_points};

/// A noisy shape: rows with their true class, 2 % uniform background rows as class NOISE.
fn shape(name: &str, n: usize, seed: u64) -> (Arc<Matrix>, Vec<u32>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut rows = Vec::new();
    let mut truth = Vec::new();
    let normal = Normal::new(0.0f64, 1.0).unwrap();
    for i in 0..n {
        let class = (i % if name == "blobs" { 4 } else { 2 }) as u32;
        let t = rng.r#gen::<f64>() * std::f64::consts::PI;
        let (x, y, jitter) = match name {
            "moons" if class == 0 => (t.cos(), t.sin(), 0.06),
            "moons" => (1.0 - t.cos(), 0.5 - t.sin(), 0.06),
            "rings" => {
                let r = if class == 0 { 1.0 } else { 0.5 };
                let a = 2.0 * t;
                (r * a.cos(), r * a.sin(), 0.04)
            }
            _ => {
                let centres = [(-4.0, -4.0), (4.0, -4.0), (-4.0, 4.0), (4.0, 4.0)];
                let (cx, cy) = centres[class as usize];
                (cx, cy, 0.8)
            }
        };
        rows.push(vec![
            (x + jitter * normal.sample(&mut rng)) as f32,
            (y + jitter * normal.sample(&mut rng)) as f32,
        ]);
        truth.push(class);
    }
    let (lo, hi) = rows
        .iter()
        .fold(([f32::MAX; 2], [f32::MIN; 2]), |(lo, hi), r| {
            (
                [lo[0].min(r[0]), lo[1].min(r[1])],
                [hi[0].max(r[0]), hi[1].max(r[1])],
            )
        });
    for _ in 0..n / 50 {
        rows.push(vec![
            rng.gen_range(lo[0]..hi[0]),
            rng.gen_range(lo[1]..hi[1]),
        ]);
        truth.push(NOISE);
    }
    (Arc::new(Matrix::from_rows(&rows)), truth)
}

fn run(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    algorithm: &str,
    values: Value,
    backend: BackendChoice,
) -> clusterscope::cluster::Clustering {
    let values: ParamValues = serde_json::from_value(values).unwrap();
    clusterscope::cluster::run(
        engine,
        points,
        &AlgorithmParams::new(algorithm, values),
        backend,
        &RunContext::default(),
    )
    .unwrap_or_else(|e| panic!("{algorithm}: {e}"))
}

#[test]
fn binning_on_the_gpu_equals_the_cpu_twin_exactly() {
    let mut engine = gpu_engine();
    let gpu = engine.gpu().unwrap();
    for (axes, cells) in [(2usize, 64usize), (3, 16), (1, 300)] {
        let rows: Vec<Vec<f32>> = (0..20_000)
            .map(|i| {
                (0..axes)
                    .map(|a| ((i * (a + 3)) as f32 * 0.618).sin() * (a + 1) as f32 * 10.0)
                    .collect()
            })
            .collect();
        let points = Arc::new(Matrix::from_rows(&rows));
        let shape = GridShape::spanning(&points, &vec![cells; axes]);
        let cpu = bin_cpu(&points, &shape, true);
        // A small binding limit splits the rows into several chunks.
        let small = gpu.with_max_binding_bytes(64 * 1024);
        let on_gpu = grid::gpu::bin(&small, &points, &shape, true).unwrap();
        assert_eq!(on_gpu.cell_of_row, cpu.cell_of_row, "{axes} axes");
        assert_eq!(on_gpu.raw, cpu.raw, "{axes} axes");
        assert_eq!(
            cpu.raw.count.iter().map(|&c| c as usize).sum::<usize>(),
            20_000
        );
    }
}

#[test]
fn sting_statistics_equal_a_direct_group_by_at_every_level() {
    let (points, _) = shape("blobs", 4000, 3);
    let shape = GridShape::spanning(&points, &[16, 16]);
    let binned = bin_cpu(&points, &shape, true);
    let mut cells = vec![16usize, 16];
    let mut stats = binned.stats();
    for level in 0..4 {
        let side = 1usize << level;
        // Group the rows by their cell at this level directly, in f64.
        let per = cells[0] * cells[1];
        let mut groups: Vec<Vec<[f64; 2]>> = vec![Vec::new(); per];
        for (row, &cell) in binned.cell_of_row.iter().enumerate() {
            let (x, y) = (cell as usize % 16 / side, cell as usize / 16 / side);
            let r = points.row(row);
            groups[x + cells[0] * y].push([r[0] as f64, r[1] as f64]);
        }
        for (cell, rows) in groups.iter().enumerate() {
            assert_eq!(
                stats.count[cell],
                rows.len() as u64,
                "level {level} cell {cell}"
            );
            if rows.is_empty() {
                continue;
            }
            for a in 0..2 {
                let step = shape.width(a) / 65536.0;
                let mean = rows.iter().map(|r| r[a]).sum::<f64>() / rows.len() as f64;
                let var =
                    rows.iter().map(|r| (r[a] - mean).powi(2)).sum::<f64>() / rows.len() as f64;
                let min = rows.iter().map(|r| r[a]).fold(f64::MAX, f64::min);
                let max = rows.iter().map(|r| r[a]).fold(f64::MIN, f64::max);
                assert!(
                    (stats.mean[cell * 2 + a] - mean).abs() <= step,
                    "mean, level {level}"
                );
                assert!(
                    (stats.std(cell, a) - var.sqrt()).abs() <= 2.0 * step,
                    "std, level {level}"
                );
                assert_eq!(stats.min[cell * 2 + a] as f64, min);
                assert_eq!(stats.max[cell * 2 + a] as f64, max);
            }
        }
        let (up, above) = stats.coarser(&cells);
        cells = up;
        stats = above;
    }
}

#[test]
fn clique_full_space_clusters_equal_pyclustering() {
    let cases = fixture("clique");
    for case in cases["cases"].as_array().unwrap() {
        let points = json_points(&case["points"]);
        let theirs: Vec<u32> = case["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                l.as_i64()
                    .map_or(NOISE, |v| if v < 0 { NOISE } else { v as u32 })
            })
            .collect();
        let mut engine = Engine::cpu_only("test");
        let result = run(
            &mut engine,
            &points,
            "clique",
            json!({"intervals": case["intervals"], "density_threshold": case["density_threshold"], "subspace_labels": "full"}),
            BackendChoice::Cpu,
        );
        assert_eq!(
            result.n_clusters as u64,
            case["n_clusters"].as_u64().unwrap()
        );
        assert!(
            same_partition(&result.labels, &theirs),
            "d = {}",
            points.n_cols
        );
        // The highest-subspace labels keep the full-space clusters and label more rows.
        let Some(Structure::Subspaces(found)) = result.structures.first() else {
            panic!("CLIQUE leaves its subspaces")
        };
        let full = found
            .subspace(&(0..points.n_cols).collect::<Vec<_>>())
            .unwrap();
        assert_eq!(
            full.n_clusters() as u64,
            case["n_clusters"].as_u64().unwrap()
        );
        assert!(found.subspaces.iter().any(|s| s.dims.len() == 1));
        let highest = run(
            &mut engine,
            &points,
            "clique",
            json!({"intervals": case["intervals"], "density_threshold": case["density_threshold"]}),
            BackendChoice::Cpu,
        );
        let noise = |l: &[u32]| l.iter().filter(|&&v| v == NOISE).count();
        assert!(noise(&highest.labels) <= noise(&result.labels));
    }
}

#[test]
fn the_wavelet_pass_on_the_gpu_equals_the_cpu_twin() {
    let mut engine = gpu_engine();
    let gpu = engine.gpu().unwrap();
    for (sizes, axes, levels) in [
        ([37usize, 20, 1], 2usize, 2usize),
        ([9, 8, 7], 3, 1),
        ([101, 1, 1], 1, 3),
    ] {
        let total = sizes[0] * sizes[1] * sizes[2];
        let grid_values: Vec<f32> = (0..total).map(|i| ((i * 7919) % 13) as f32).collect();
        let (cpu_sizes, cpu) = clusterscope::cluster::wavecluster::transform::transform(
            &grid_values,
            sizes,
            axes,
            levels,
        );
        let (gpu_sizes, on_gpu) = clusterscope::cluster::wavecluster::gpu::transform(
            &gpu,
            &grid_values,
            sizes,
            axes,
            levels,
        )
        .unwrap();
        assert_eq!(gpu_sizes, cpu_sizes);
        for (a, b) in cpu.iter().zip(&on_gpu) {
            assert!((a - b).abs() <= 1e-5 * a.abs().max(1.0), "{a} vs {b}");
        }
    }
}

#[test]
fn each_grid_algorithm_finds_noisy_moons_rings_and_blobs() {
    let cases: [(&str, Value); 3] = [
        ("sting", json!({})),
        ("wavecluster", json!({})),
        (
            "clique",
            json!({"intervals": 20, "density_threshold": 0.0002, "subspace_labels": "full"}),
        ),
    ];
    for name in ["moons", "rings", "blobs"] {
        let (points, truth) = shape(name, 50_000, 7);
        for (algorithm, values) in &cases {
            let mut engine = Engine::cpu_only("test");
            let result = run(
                &mut engine,
                &points,
                algorithm,
                values.clone(),
                BackendChoice::Cpu,
            );
            let ari = adjusted_rand_index(&truth, &result.labels);
            assert!(
                ari >= 0.95,
                "{algorithm} on {name}: ARI {ari:.4}, {} clusters",
                result.n_clusters
            );
        }
    }
}

#[test]
fn sting_and_wavecluster_on_the_gpu_equal_the_cpu() {
    let (points, _) = shape("moons", 20_000, 5);
    for algorithm in ["sting", "wavecluster"] {
        let cpu = run(
            &mut Engine::cpu_only("test"),
            &points,
            algorithm,
            json!({}),
            BackendChoice::Cpu,
        );
        let gpu = run(
            &mut gpu_engine(),
            &points,
            algorithm,
            json!({}),
            BackendChoice::Gpu,
        );
        assert_eq!(gpu.diagnostics.backend, clusterscope::cluster::Backend::Gpu);
        assert!(same_partition(&cpu.labels, &gpu.labels), "{algorithm}");
    }
}

#[test]
fn re_clustering_after_a_threshold_change_reuses_the_binned_grid() {
    let (points, _) = shape("rings", 20_000, 9);
    let mut engine = Engine::cpu_only("test");
    let mut counts = Vec::new();
    for threshold in [2.0, 4.0, 8.0] {
        let result = run(
            &mut engine,
            &points,
            "sting",
            json!({"density_threshold": threshold}),
            BackendChoice::Cpu,
        );
        counts.push(result.labels.iter().filter(|&&l| l == NOISE).count());
    }
    for threshold in [0.5, 1.0] {
        run(
            &mut engine,
            &points,
            "wavecluster",
            json!({"threshold": threshold, "cells": 64}),
            BackendChoice::Cpu,
        );
    }
    assert!(
        counts[0] <= counts[1] && counts[1] <= counts[2],
        "{counts:?}"
    );
    // One pass for STING's cells (with statistics), which WaveCluster at 64 cells reuses.
    assert_eq!(engine.state::<grid::GridCache>().passes(), 1);
}

#[test]
fn the_grid_path_of_dbscan_equals_the_tree_cut() {
    let (moons, _) = shape("moons", 30_000, 1);
    let one_d = Arc::new(Matrix::new(
        5000,
        1,
        (0..5000).map(|i| ((i * 37) % 1000) as f32 * 0.01).collect(),
    ));
    let three_d = Arc::new(Matrix::new(
        9000,
        3,
        (0..27_000)
            .map(|i| {
                ((i as f32) * 0.7548).sin()
                    + if i % 3 == 0 {
                        (i / 3 % 2) as f32 * 3.0
                    } else {
                        0.0
                    }
            })
            .collect(),
    ));
    let density = json_points(&fixture("dbscan")["points"]);
    for (points, eps, min_points) in [
        (&moons, 0.05, 10u64),
        (&moons, 0.02, 5),
        (&one_d, 0.015, 3),
        (&three_d, 0.2, 8),
        (&density, 0.3, 5),
        (&density, 0.15, 4),
    ] {
        let values = json!({"eps": eps, "min_points": min_points});
        let tree = run(
            &mut Engine::cpu_only("test"),
            points,
            "dbscan",
            values.clone(),
            BackendChoice::Cpu,
        );
        let mut single = Engine::cpu_only("test").for_single_runs();
        let grid = run(&mut single, points, "dbscan", values, BackendChoice::Cpu);
        // The grid path leaves no k-distance curve: that is how it is told apart.
        assert!(grid.structures.is_empty());
        assert!(!tree.structures.is_empty());
        assert_eq!(
            grid.labels, tree.labels,
            "eps {eps}, min points {min_points}, d {}",
            points.n_cols
        );
    }
}

#[test]
fn bad_grid_parameters_are_refused_by_name() {
    let (points, _) = shape("blobs", 1000, 1);
    let mut engine = Engine::cpu_only("test");
    for (algorithm, values, needle) in [
        ("sting", json!({"cells": 1}), "cells"),
        ("sting", json!({"cells": 8, "levels": 9}), "levels"),
        (
            "sting",
            json!({"density_threshold": -1.0}),
            "density_threshold",
        ),
        ("wavecluster", json!({"cells": 1}), "cells"),
        ("wavecluster", json!({"cells": 8, "levels": 4}), "levels"),
        ("wavecluster", json!({"cells": 8192}), "cells"),
        ("clique", json!({"intervals": 0}), "intervals"),
        (
            "clique",
            json!({"density_threshold": 1.0}),
            "density_threshold",
        ),
        (
            "clique",
            json!({"density_threshold": -0.1}),
            "density_threshold",
        ),
    ] {
        let values: ParamValues = serde_json::from_value(values.clone()).unwrap();
        let error = clusterscope::cluster::run(
            &mut engine,
            &points,
            &AlgorithmParams::new(algorithm, values),
            BackendChoice::Cpu,
            &RunContext::default(),
        )
        .err()
        .unwrap_or_else(|| panic!("{algorithm} accepted bad values"));
        assert!(error.to_string().contains(needle), "{algorithm}: {error}");
    }
}

#[test]
fn the_command_line_runs_the_grid_algorithms_with_their_flags() {
    let dir = tempfile::tempdir().unwrap();
    let (points, _) = shape("moons", 5000, 2);
    let input = dir.path().join("moons.csv");
    let mut text = String::from("x,y\n");
    for r in 0..points.n_rows {
        let row = points.row(r);
        text.push_str(&format!("{},{}\n", row[0], row[1]));
    }
    std::fs::write(&input, text).unwrap();
    let out = dir.path().join("out.csv");
    for args in [
        vec![
            "--algo",
            "sting",
            "--cells",
            "32",
            "--levels",
            "0",
            "--density-threshold",
            "0",
            "--min-cells",
            "1",
        ],
        vec![
            "--algo",
            "clique",
            "--intervals",
            "10",
            "--density-threshold",
            "0.01",
        ],
        vec![
            "--algo",
            "wavecluster",
            "--cells",
            "64",
            "--levels",
            "1",
            "--threshold",
            "0",
        ],
        vec!["--algo", "dbscan", "--eps", "0.1", "--min-points", "10"],
    ] {
        let mut full = vec![
            "cluster",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--summary-json",
        ];
        full.extend(&args);
        let output = common::clusterscope(&full);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let summary: Value = serde_json::from_str(
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .last()
                .unwrap(),
        )
        .unwrap();
        assert!(
            summary["n_clusters"].as_u64().unwrap() >= 2,
            "{args:?}: {summary}"
        );
    }
    let error = common::expect_error(&[
        "cluster",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--algo",
        "sting",
        "--cells",
        "1",
    ]);
    assert!(error.contains("--cells"), "{error}");
    let error = common::expect_error(&[
        "cluster",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--algo",
        "clique",
        "--intervals",
        "0",
    ]);
    assert!(error.contains("--intervals"), "{error}");
}
