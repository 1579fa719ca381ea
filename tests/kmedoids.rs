//! The k-medoids family: losses against the `kmedoids` Python package (fixtures from
//! scripts/make_fixtures.py), PAM against the brute-force optimum, CLARA and CLARANS
//! against FasterPAM, every GPU pass against its CPU twin on lavapipe, and the command
//! line's forms and errors.

mod common;

use std::sync::Arc;

use clusterscope::cluster::kmedoids::cpu::CpuSteps;
use clusterscope::cluster::kmedoids::gpu::GpuSteps;
use clusterscope::cluster::kmedoids::steps::{MedoidSteps, SwapState};
use clusterscope::cluster::kmedoids::{
    self, ClaraParams, ClaransParams, DistanceMatrix, Init, KMedoidsParams, KMedoidsResult, Method,
    Metric,
};
use clusterscope::cluster::{BackendChoice, Engine, RunContext};
use clusterscope::matrix::Matrix;
use clusterscope::synthetic::gaussian_blobs;
use common::{clusterscope, expect_error};
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/kmedoids.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn metric(name: &str) -> Metric {
    match name {
        "euclidean" => Metric::Euclidean,
        "manhattan" => Metric::Manhattan,
        "cosine" => Metric::Cosine,
        other => panic!("metric {other}"),
    }
}

fn method(name: &str) -> Method {
    match name {
        "fasterpam" => Method::Fasterpam,
        "pam" => Method::Pam,
        "alternate" => Method::Alternate,
        other => panic!("method {other}"),
    }
}

fn run(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &KMedoidsParams,
    backend: BackendChoice,
) -> KMedoidsResult {
    kmedoids::fit(engine, points, params, backend, &RunContext::default()).unwrap()
}

fn sorted(mut medoids: Vec<u32>) -> Vec<u32> {
    medoids.sort_unstable();
    medoids
}

#[test]
fn losses_equal_the_kmedoids_package_with_build_starts() {
    let fixture = fixture();
    let mut engine = Engine::cpu_only("reference test");
    let mut compared = 0;
    for dataset in fixture["datasets"].as_array().unwrap() {
        let points = common::json_points(&dataset["points"]);
        for case in dataset["cases"].as_array().unwrap() {
            let params = KMedoidsParams::new(case["k"].as_u64().unwrap() as usize)
                .method(method(case["method"].as_str().unwrap()))
                .metric(metric(case["metric"].as_str().unwrap()))
                .init(Init::Build);
            let ours = run(&mut engine, &points, &params, BackendChoice::Cpu);
            let theirs = case["loss"].as_f64().unwrap();
            let relative = (ours.loss - theirs).abs() / theirs.abs().max(1e-12);
            assert!(
                relative < 1e-5,
                "{case}: loss {} against the package's {theirs} (relative {relative:e})",
                ours.loss
            );
            let medoids: Vec<u32> = case["medoids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_u64().unwrap() as u32)
                .collect();
            assert_eq!(sorted(ours.medoids), medoids, "{case}");
            compared += 1;
        }
    }
    assert_eq!(compared, 81);
}

/// Twelve points in three tight, well-separated groups of four, each group shaped
/// differently (no two medoid sets tie).
fn twelve_points() -> Arc<Matrix> {
    let mut rows = Vec::new();
    for (g, (cx, cy)) in [(0.0f32, 0.0f32), (10.0, 0.0), (5.0, 9.0)]
        .into_iter()
        .enumerate()
    {
        let s = 1.0 + 0.37 * g as f32;
        for (dx, dy) in [(0.3f32, 0.1f32), (-0.2, 0.45), (0.15, -0.5), (-0.6, -0.25)] {
            rows.push(vec![cx + s * dx, cy + dy / s]);
        }
    }
    Arc::new(Matrix::from_rows(&rows))
}

#[test]
fn pam_reaches_the_brute_force_optimum_on_twelve_points() {
    let points = twelve_points();
    let distance = |i: usize, j: usize| Metric::Euclidean.distance(points.row(i), points.row(j));
    let loss_of = |medoids: &[usize]| -> f64 {
        (0..12)
            .map(|o| {
                medoids
                    .iter()
                    .map(|&m| distance(o, m) as f64)
                    .fold(f64::INFINITY, f64::min)
            })
            .sum()
    };
    let mut optimum = f64::INFINITY;
    let mut sets = 0;
    for a in 0..12 {
        for b in a + 1..12 {
            for c in b + 1..12 {
                optimum = optimum.min(loss_of(&[a, b, c]));
                sets += 1;
            }
        }
    }
    assert_eq!(sets, 220);
    let mut engine = Engine::cpu_only("test");
    for method in [Method::Pam, Method::Fasterpam] {
        // From a poor start too: medoids all in one group.
        for init in [Init::Build, Init::Random] {
            let params = KMedoidsParams::new(3).method(method).init(init).seed(3);
            let result = run(&mut engine, &points, &params, BackendChoice::Cpu);
            // Gains are f32 sums: equal to the optimum at f32 precision.
            assert!(
                (result.loss - optimum).abs() < 1e-6 * optimum,
                "{method:?} from {init:?}: {} against the optimum {optimum}",
                result.loss
            );
        }
    }
}

#[test]
fn labels_point_at_the_nearest_medoid() {
    let points = twelve_points();
    let result = run(
        &mut Engine::cpu_only("test"),
        &points,
        &KMedoidsParams::new(3),
        BackendChoice::Cpu,
    );
    for (o, &label) in result.labels.iter().enumerate() {
        let own = Metric::Euclidean.distance(
            points.row(o),
            points.row(result.medoids[label as usize] as usize),
        );
        for &m in &result.medoids {
            assert!(own <= Metric::Euclidean.distance(points.row(o), points.row(m as usize)));
        }
    }
    assert_eq!(result.labels[0..4], [result.labels[0]; 4]);
}

fn blobs(n: usize, d: usize, centers: usize, seed: u64) -> Arc<Matrix> {
    Arc::new(gaussian_blobs(n, d, centers, 1.0, seed).points)
}

#[test]
fn clarans_is_within_five_percent_of_fasterpam_on_blobs() {
    let points = blobs(3000, 4, 6, 21);
    let mut engine = Engine::cpu_only("test");
    let fasterpam = run(
        &mut engine,
        &points,
        &KMedoidsParams::new(6),
        BackendChoice::Cpu,
    );
    let clarans = kmedoids::clarans::fit(
        &mut engine,
        &points,
        &ClaransParams::new(6),
        BackendChoice::Cpu,
        &RunContext::default(),
    )
    .unwrap();
    assert!(
        clarans.loss <= 1.05 * fasterpam.loss,
        "CLARANS {} against FasterPAM {}",
        clarans.loss,
        fasterpam.loss
    );
    let clara = kmedoids::clara::fit(
        &mut engine,
        &points,
        &ClaraParams::new(6),
        BackendChoice::Cpu,
        &RunContext::default(),
    )
    .unwrap();
    assert!(
        clara.loss <= 1.10 * fasterpam.loss,
        "CLARA {} against FasterPAM {}",
        clara.loss,
        fasterpam.loss
    );
}

#[test]
fn the_same_seed_gives_the_same_clarans() {
    let points = blobs(800, 3, 4, 5);
    let mut engine = Engine::cpu_only("test");
    let once = |engine: &mut Engine| {
        kmedoids::clarans::fit(
            engine,
            &points,
            &ClaransParams::new(4),
            BackendChoice::Cpu,
            &RunContext::default(),
        )
        .unwrap()
    };
    let (a, b) = (once(&mut engine), once(&mut engine));
    assert_eq!(a.medoids, b.medoids);
    assert_eq!(a.loss, b.loss);
}

#[test]
fn a_matrix_over_the_budget_is_refused_with_the_estimate_and_the_alternatives() {
    let points = blobs(2000, 2, 3, 1);
    let mut params = KMedoidsParams::new(3);
    params.memory_budget_mb = 1;
    let error = kmedoids::fit(
        &mut Engine::cpu_only("test"),
        &points,
        &params,
        BackendChoice::Cpu,
        &RunContext::default(),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        error.contains("15.3 MiB") && error.contains("clara or clarans"),
        "{error}"
    );
}

// --- GPU against CPU (lavapipe) ---

/// Every pass on both backends from the same state: bit-identical results.
#[test]
fn every_pass_on_the_gpu_equals_its_cpu_twin() {
    let mut engine = common::gpu_engine();
    let gpu = engine.gpu().unwrap();
    // 37 columns take the shaders' untiled path, 5 the tiled one.
    for (d, metric) in [
        (5, Metric::Euclidean),
        (5, Metric::Manhattan),
        (5, Metric::Cosine),
        (37, Metric::Euclidean),
    ] {
        let points = metric.prepare(&blobs(517, d, 5, 8));
        let n = points.n_rows;
        let matrix = DistanceMatrix::build(&points, metric, || false).unwrap();
        let mut cpu = CpuSteps::new(Arc::clone(&points), metric, Some(matrix));
        let mut on_the_fly = CpuSteps::new(Arc::clone(&points), metric, None);
        let mut gpu = GpuSteps::new(&gpu, &points, metric).unwrap();
        let medoids = [3u32, 100, 250, 499, 7];
        let nearest = cpu.assign(&medoids).unwrap();
        assert_eq!(
            gpu.assign(&medoids).unwrap(),
            nearest,
            "{metric:?} d={d}: assign"
        );
        assert_eq!(on_the_fly.assign(&medoids).unwrap(), nearest);
        let state = SwapState::new(&nearest, medoids.len());
        for steps in [&mut cpu as &mut dyn MedoidSteps, &mut gpu, &mut on_the_fly] {
            steps.load_swap_state(&state).unwrap();
            steps.load_nearest(&medoids, &nearest).unwrap();
        }
        let bits =
            |gains: Vec<clusterscope::cluster::kmedoids::steps::SwapGain>| -> Vec<(u32, u32)> {
                gains.iter().map(|g| (g.change.to_bits(), g.slot)).collect()
            };
        let expected = bits(cpu.swap_gains(0, n).unwrap());
        assert_eq!(
            bits(gpu.swap_gains(0, n).unwrap()),
            expected,
            "{metric:?} d={d}: swap"
        );
        assert_eq!(bits(on_the_fly.swap_gains(0, n).unwrap()), expected);
        // A range that does not start at 0.
        assert_eq!(bits(gpu.swap_gains(101, 77).unwrap()), expected[101..178]);
        let near: Vec<f32> = nearest.iter().map(|r| r.near_distance).collect();
        for near in [None, Some(near.as_slice())] {
            let to_bits = |v: Vec<f32>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                to_bits(gpu.build_gains(near, 0, n).unwrap()),
                to_bits(cpu.build_gains(near, 0, n).unwrap()),
                "{metric:?} d={d}: build"
            );
        }
        let pairs: Vec<[u32; 2]> = (0..300u32)
            .map(|p| [p % 5, (p * 7919) % n as u32])
            .collect();
        let to_bits = |v: Vec<f32>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let expected = to_bits(cpu.neighbor_gains(&pairs).unwrap());
        assert_eq!(
            to_bits(gpu.neighbor_gains(&pairs).unwrap()),
            expected,
            "{metric:?} d={d}: neighbours"
        );
        // Without a matrix the CPU skips the distances the triangle inequality rules out:
        // still the same bits.
        assert_eq!(
            to_bits(on_the_fly.neighbor_gains(&pairs).unwrap()),
            expected,
            "{metric:?} d={d}: pruned"
        );
    }
}

#[test]
fn every_method_gives_the_same_medoids_and_loss_on_both_backends() {
    let points = blobs(1500, 3, 5, 13);
    let mut gpu_engine = common::gpu_engine();
    let mut cpu_engine = Engine::cpu_only("test");
    for metric in [Metric::Euclidean, Metric::Manhattan, Metric::Cosine] {
        for method in [Method::Fasterpam, Method::Pam, Method::Alternate] {
            for init in [Init::Build, Init::KMeansPlusPlus] {
                let params = KMedoidsParams::new(5)
                    .method(method)
                    .metric(metric)
                    .init(init);
                let cpu = run(&mut cpu_engine, &points, &params, BackendChoice::Cpu);
                let gpu = run(&mut gpu_engine, &points, &params, BackendChoice::Gpu);
                assert_eq!(gpu.diagnostics.backend, clusterscope::cluster::Backend::Gpu);
                let what = format!("{method:?} {metric:?} {init:?}");
                assert_eq!(gpu.medoids, cpu.medoids, "{what}");
                assert_eq!(gpu.labels, cpu.labels, "{what}");
                assert_eq!(gpu.loss, cpu.loss, "{what}");
            }
        }
    }
    let clara = |engine: &mut Engine, backend| {
        kmedoids::clara::fit(
            engine,
            &points,
            &ClaraParams::new(5),
            backend,
            &RunContext::default(),
        )
        .unwrap()
    };
    let (a, b) = (
        clara(&mut cpu_engine, BackendChoice::Cpu),
        clara(&mut gpu_engine, BackendChoice::Gpu),
    );
    assert_eq!((a.medoids, a.loss), (b.medoids, b.loss), "CLARA");
    let clarans = |engine: &mut Engine, backend| {
        kmedoids::clarans::fit(
            engine,
            &points,
            &ClaransParams::new(5),
            backend,
            &RunContext::default(),
        )
        .unwrap()
    };
    let (a, b) = (
        clarans(&mut cpu_engine, BackendChoice::Cpu),
        clarans(&mut gpu_engine, BackendChoice::Gpu),
    );
    assert_eq!((a.medoids, a.loss), (b.medoids, b.loss), "CLARANS");
}

// --- The command line ---

#[test]
fn the_summary_gives_the_loss_and_the_medoids_as_table_rows() {
    let dir = tempfile::tempdir().unwrap();
    // Row 1 has a missing value: medoids are numbered in the input table, not the matrix.
    let input = dir.path().join("t.csv");
    let mut text = String::from("x,y\n0,0\n,5\n");
    for (x, y) in [(0.1, 0.0), (0.0, 0.2), (9.0, 9.0), (9.1, 9.0), (9.0, 9.2)] {
        text.push_str(&format!("{x},{y}\n"));
    }
    std::fs::write(&input, text).unwrap();
    let out = dir.path().join("o.csv");
    for algo in ["kmedoids", "clara", "clarans"] {
        let output = clusterscope(&[
            "cluster",
            input.to_str().unwrap(),
            "--algo",
            algo,
            "--k",
            "2",
            "--out",
            out.to_str().unwrap(),
            "--summary-json",
            "--backend",
            "cpu",
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
        let mut medoids: Vec<u64> = summary["medoids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_u64().unwrap())
            .collect();
        medoids.sort_unstable();
        // The middle of each group: table rows 0..=3 hold group one (row 1 left out).
        assert!(
            medoids[0] <= 3 && medoids[0] != 1 && medoids[1] >= 4,
            "{algo}: {summary}"
        );
        let loss = summary["loss"].as_f64().unwrap();
        assert!(loss > 0.0 && loss < 1.5, "{algo}: {summary}");
        assert_eq!(summary["n_clusters"], 2);
        assert_eq!(summary["inertia"], Value::Null);
    }
}

#[test]
fn bad_parameters_through_the_command_line_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.csv");
    let out = out.to_str().unwrap();
    // A table with no missing value (no warning before the error).
    let table = dir.path().join("t.csv");
    let rows: String = (0..2993)
        .map(|i| format!("{},{}\n", i % 17, i % 29))
        .collect();
    std::fs::write(&table, format!("a,b\n{rows}")).unwrap();
    let demo = table.display().to_string();
    for (args, expected) in [
        (
            vec!["--algo", "kmedoids", "--k", "0"],
            "--k (n_clusters) must be at least 1",
        ),
        (
            vec!["--algo", "kmedoids", "--k", "5000"],
            "exceeds the 2993 usable rows",
        ),
        (vec!["--algo", "clarans", "--k", "0"], "--k (n_clusters)"),
        (
            vec!["--algo", "clara", "--k", "4000"],
            "exceeds the 2993 usable rows",
        ),
        (
            vec!["--algo", "kmedoids", "--k", "3", "--metric", "chebyshev"],
            "invalid value 'chebyshev'",
        ),
        (
            vec!["--algo", "kmedoids", "--k", "3", "--method", "clarans"],
            "invalid value 'clarans'",
        ),
        (vec!["--algo", "kmedoids"], "kmedoids needs --k N"),
        (
            vec!["--algo", "clara", "--k", "8", "--sample-size", "3"],
            "--sample-size",
        ),
        (
            vec![
                "--algo",
                "kmedoids",
                "--k",
                "3",
                "--memory-budget-mb",
                "1",
                "--backend",
                "cpu",
            ],
            "use clara or clarans",
        ),
    ] {
        let mut all = vec!["cluster", demo.as_str(), "--out", out];
        all.extend(args.iter().copied());
        let stderr = expect_error(&all);
        assert!(
            stderr.contains(expected),
            "{args:?}: expected '{expected}' in {stderr}"
        );
    }
    assert!(
        !std::path::Path::new(out).exists(),
        "nothing written on error"
    );
}

#[test]
fn algorithms_lists_the_family_with_flags_defaults_and_passes() {
    let output = clusterscope(&["algorithms", "--json"]);
    assert!(output.status.success());
    let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let find = |id: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .cloned()
            .unwrap()
    };
    let kmedoids = find("kmedoids");
    let parameter = |algo: &Value, name: &str| {
        algo["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(parameter(&kmedoids, "n_clusters")["flag"], "--k");
    assert_eq!(parameter(&kmedoids, "n_clusters")["required"], true);
    assert_eq!(parameter(&kmedoids, "method")["default"], "fasterpam");
    assert_eq!(parameter(&kmedoids, "max_iterations")["flag"], "--max-iter");
    assert_eq!(parameter(&kmedoids, "max_iterations")["default"], 100);
    let metric = parameter(&kmedoids, "metric");
    let metrics: Vec<&str> = metric["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert_eq!(metrics, ["euclidean", "manhattan", "cosine"]);
    assert!(
        kmedoids["gpu_passes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "kmedoids::swap_gain")
    );
    assert_eq!(parameter(&find("clarans"), "max_neighbor")["default"], 0);
    assert_eq!(parameter(&find("clara"), "samples")["default"], 5);
    assert_eq!(find("kmeans")["family"], "centroid");
    let text = clusterscope(&["algorithms"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("clarans") && text.contains("--num-local"),
        "{text}"
    );
}
