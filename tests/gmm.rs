//! Gaussian mixtures against scikit-learn's `GaussianMixture` started from the same
//! parameters (fixtures from scripts/make_fixtures.py), and through the command line.

mod common;

use clusterscope::cluster::gmm::{self, CovarianceType, GmmParams, Mixture};
use clusterscope::cluster::{BackendChoice, Engine, RunContext};
use serde_json::Value;

fn fixture() -> Value {
    common::fixture("gmm")
}

fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

fn shape(name: &str) -> CovarianceType {
    match name {
        "full" => CovarianceType::Full,
        "tied" => CovarianceType::Tied,
        "diag" => CovarianceType::Diag,
        "spherical" => CovarianceType::Spherical,
        other => panic!("unknown covariance {other}"),
    }
}

#[test]
fn em_from_the_same_start_equals_scikit_learn() {
    let fixture = fixture();
    for case in fixture["cases"].as_array().unwrap() {
        let data = case["data"].as_str().unwrap();
        let covariance = shape(case["covariance"].as_str().unwrap());
        let what = format!("{data}/{covariance:?}");
        let points = common::json_points(&fixture["datasets"][data]);
        let k = case["k"].as_u64().unwrap() as usize;
        let start: Vec<usize> = numbers(&case["start_labels"])
            .iter()
            .map(|&l| l as usize)
            .collect();
        let mut resp = vec![0.0; points.n_rows * k];
        for (row, &label) in start.iter().enumerate() {
            resp[row * k + label] = 1.0;
        }
        let params = GmmParams::new(k).covariance(covariance);
        let initial =
            Mixture::from_responsibilities(&points, &resp, k, covariance, params.reg_covar)
                .unwrap();
        let run = gmm::fit_from(&points, initial, &params, &RunContext::default()).unwrap();
        assert_eq!(
            run.iterations,
            case["n_iter"].as_u64().unwrap() as usize,
            "{what}: iterations"
        );
        let lower_bound = case["lower_bound"].as_f64().unwrap();
        assert!(
            (run.lower_bound - lower_bound).abs() < 1e-4,
            "{what}: lower bound {} vs {lower_bound}",
            run.lower_bound
        );
        let fit = gmm::finish(&points, run);
        let labels: Vec<u32> = numbers(&case["labels"]).iter().map(|&l| l as u32).collect();
        // Started from the same parameters, components keep their indices: equal labels.
        assert_eq!(fit.labels, labels, "{what}: labels");
        for (ours, theirs, name) in [
            (
                fit.model.log_likelihood,
                case["score"].as_f64().unwrap(),
                "score",
            ),
            (fit.model.bic, case["bic"].as_f64().unwrap(), "bic"),
            (fit.model.aic, case["aic"].as_f64().unwrap(), "aic"),
        ] {
            assert!(
                (ours - theirs).abs() <= 1e-4 * theirs.abs().max(1.0),
                "{what}: {name} {ours} vs {theirs}"
            );
        }
        let means = fit.model.mixture.means.clone();
        let theirs: Vec<f64> = case["means"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(numbers)
            .collect();
        for (a, b) in means.iter().zip(&theirs) {
            assert!(
                (a - b).abs() < 1e-4,
                "{what}: means {means:?} vs {theirs:?}"
            );
        }
        let probability = numbers(&case["probability"]);
        let worst = fit
            .probabilities
            .iter()
            .zip(&probability)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-4, "{what}: probability off by {worst}");
    }
}

#[test]
fn the_full_fit_from_k_means_finds_the_components() {
    // Our own k-means start (not scikit-learn's) reaches the same optimum on the
    // well-separated 4-D set: the same partition and the same log-likelihood.
    let fixture = fixture();
    let case = fixture["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["data"] == "four" && c["covariance"] == "full")
        .unwrap();
    let points = common::json_points(&fixture["datasets"]["four"]);
    let mut engine = Engine::cpu_only("CPU reference test");
    let fit = gmm::fit(
        &mut engine,
        &points,
        &GmmParams::new(3),
        BackendChoice::Cpu,
        &RunContext::default(),
    )
    .unwrap();
    let theirs: Vec<u32> = numbers(&case["labels"]).iter().map(|&l| l as u32).collect();
    assert!(clusterscope::metrics::same_partition(&fit.labels, &theirs));
    let score = case["score"].as_f64().unwrap();
    assert!((fit.model.log_likelihood - score).abs() < 1e-4);
}

#[test]
fn restarts_keep_the_best_lower_bound() {
    let fixture = fixture();
    let points = common::json_points(&fixture["datasets"]["stretched"]);
    let mut engine = Engine::cpu_only("CPU reference test");
    let run = |n_init: usize, engine: &mut Engine| {
        gmm::fit(
            engine,
            &points,
            &GmmParams::new(3)
                .init(gmm::GmmInit::Random)
                .n_init(n_init)
                .seed(3),
            BackendChoice::Cpu,
            &RunContext::default(),
        )
        .unwrap()
        .model
        .lower_bound
    };
    let one = run(1, &mut engine);
    let five = run(5, &mut engine);
    // The first restart is the single run, so five can only be as good or better.
    assert!(five >= one, "{five} < {one}");
}

#[test]
fn the_command_line_writes_probabilities_and_information_criteria() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = fixture();
    let input = common::rows_csv(
        dir.path(),
        "four.csv",
        "a,b,c,d",
        &fixture["datasets"]["four"],
    );
    let input = input.to_str().unwrap();
    let out = dir.path().join("labels.csv");
    let out_str = out.to_str().unwrap();
    let output = common::clusterscope(&[
        "cluster",
        input,
        "--algo",
        "gmm",
        "--k",
        "3",
        "--covariance",
        "full",
        "--scores",
        "--summary-json",
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
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    let case = fixture["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["data"] == "four" && c["covariance"] == "full")
        .unwrap();
    for name in ["log_likelihood", "bic", "aic"] {
        let theirs = case[if name == "log_likelihood" {
            "score"
        } else {
            name
        }]
        .as_f64()
        .unwrap();
        let ours = summary[name]
            .as_f64()
            .unwrap_or_else(|| panic!("{name} in {summary}"));
        assert!(
            (ours - theirs).abs() <= 1e-4 * theirs.abs().max(1.0),
            "{name}: {ours} vs {theirs}"
        );
    }
    let written = std::fs::read_to_string(&out).unwrap();
    let header = written.lines().next().unwrap();
    assert_eq!(header, "a,b,c,d,cluster,cluster_probability");
    for line in written.lines().skip(1) {
        let p: f64 = line.rsplit(',').next().unwrap().parse().unwrap();
        assert!((1.0 / 3.0..=1.0).contains(&p), "{line}");
    }

    let refusals: &[(&[&str], &str)] = &[
        (&["--k", "501"], "only 500 rows"),
        (
            &["--k", "3", "--reg-covar", "-1"],
            "--reg-covar must be a finite number >= 0",
        ),
        (&["--k", "3", "--covariance", "round"], "round"),
        (&["--k", "3", "--init", "kmeans++"], "init"),
        (&["--k", "3", "--tol", "-0.5"], "--tol"),
        (&[], "--k"),
    ];
    common::expect_refusals(
        &["cluster", input, "--algo", "gmm", "--out", out_str],
        refusals,
    );
}

#[test]
fn a_singular_covariance_without_regularisation_names_reg_covar() {
    // A constant column has variance exactly 0 in every component: singular covariances.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("line.csv");
    std::fs::write(&input, "x,y\n0,1\n1,1\n2,1\n3,1\n10,1\n11,1\n").unwrap();
    let out = dir.path().join("labels.csv");
    let stderr = common::expect_error(&[
        "cluster",
        input.to_str().unwrap(),
        "--algo",
        "gmm",
        "--k",
        "2",
        "--columns",
        "x,y",
        "--reg-covar",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(stderr.contains("--reg-covar"), "{stderr}");
    assert!(!out.exists(), "no output after a failed fit");
}

#[test]
fn the_gpu_em_gives_the_cpu_fit() {
    // The same start on both backends: the f32 E-step and moment sums on the device
    // against the f64 ones on the host, through EM to convergence.
    let fixture = fixture();
    let engine = common::gpu_engine();
    let mut engine = engine;
    let gpu = engine.gpu().unwrap();
    for case in fixture["cases"].as_array().unwrap() {
        let data = case["data"].as_str().unwrap();
        let covariance = shape(case["covariance"].as_str().unwrap());
        let points = common::json_points(&fixture["datasets"][data]);
        let k = case["k"].as_u64().unwrap() as usize;
        let mut resp = vec![0.0; points.n_rows * k];
        for (row, label) in numbers(&case["start_labels"]).iter().enumerate() {
            resp[row * k + *label as usize] = 1.0;
        }
        let params = GmmParams::new(k).covariance(covariance);
        let start = Mixture::from_responsibilities(&points, &resp, k, covariance, params.reg_covar)
            .unwrap();
        let device = gmm::gpu::GpuExpectation::new(&gpu, &points, k).unwrap();
        let on = |estep: &gmm::EStep<'_>| {
            let run = gmm::fit_on(
                estep,
                &points,
                start.clone(),
                &params,
                &RunContext::default(),
            )
            .unwrap();
            gmm::finish_on(estep, &points, run).unwrap()
        };
        let cpu = on(&gmm::EStep::Cpu);
        let on_gpu = on(&gmm::EStep::Gpu(&device));
        assert_eq!(cpu.labels, on_gpu.labels, "{data}/{covariance:?}");
        let (a, b) = (cpu.model.log_likelihood, on_gpu.model.log_likelihood);
        assert!(
            (a - b).abs() <= 1e-5 * a.abs(),
            "{data}/{covariance:?}: {a} vs {b}"
        );
        let worst = cpu
            .probabilities
            .iter()
            .zip(&on_gpu.probabilities)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        assert!(
            worst < 1e-4,
            "{data}/{covariance:?}: probabilities off by {worst}"
        );
    }
}

#[test]
fn the_gpu_moments_pass_equals_the_cpu_sums() {
    // 1,300 rows: two whole blocks of the pass and a ragged third; columns far from 0 so
    // the centring matters; full and diagonal features; and a mixture with more
    // (component, feature) pairs than a block holds, summed on the host.
    let mut engine = common::gpu_engine();
    let gpu = engine.gpu().unwrap();
    for (d, k, full) in [(3, 4, true), (3, 4, false), (20, 32, true)] {
        let n = 1300;
        let mut rng = <rand_xoshiro::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(3);
        let values: Vec<f32> = (0..n * d)
            .map(|i| 1000.0 + rand::Rng::r#gen::<f32>(&mut rng) * 10.0 + (i % d) as f32)
            .collect();
        let points = std::sync::Arc::new(clusterscope::matrix::Matrix::new(n, d, values));
        let labels: Vec<usize> = (0..n).map(|i| (i * 31 % 97) % k).collect();
        let mut resp = vec![0.0; n * k];
        for (row, &label) in labels.iter().enumerate() {
            resp[row * k + label] = 1.0;
        }
        let covariance = if full {
            CovarianceType::Full
        } else {
            CovarianceType::Diag
        };
        let mixture = Mixture::from_responsibilities(&points, &resp, k, covariance, 1e-6).unwrap();
        let shift = gmm::blocked::column_means(&points);
        let step = gmm::expectation(&points, &mixture);
        let cpu = gmm::blocked::moments(&points, &step.resp, k, &shift, full);
        let device = gmm::gpu::GpuExpectation::new(&gpu, &points, k).unwrap();
        let (on_gpu, mean_ll) = device.moments(&mixture, &shift, full).unwrap();
        assert!((mean_ll - step.mean_log_likelihood).abs() < 1e-4 * mean_ll.abs());
        for (name, a, b) in [
            ("weight", &cpu.weight, &on_gpu.weight),
            ("first", &cpu.first, &on_gpu.first),
            ("second", &cpu.second, &on_gpu.second),
        ] {
            assert_eq!(a.len(), b.len());
            let scale = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (x, y) in a.iter().zip(b) {
                assert!(
                    (x - y).abs() <= 2e-4 * scale,
                    "d {d}, k {k}, {name}: {x} vs {y} (scale {scale})"
                );
            }
        }
    }
}

#[test]
fn auto_and_gpu_backends_run_the_whole_fit() {
    let fixture = fixture();
    let points = common::json_points(&fixture["datasets"]["four"]);
    let mut engine = common::gpu_engine();
    let fit = gmm::fit(
        &mut engine,
        &points,
        &GmmParams::new(3),
        BackendChoice::Gpu,
        &RunContext::default(),
    )
    .unwrap();
    assert_eq!(fit.diagnostics.backend, clusterscope::cluster::Backend::Gpu);
    let mut cpu = Engine::cpu_only("CPU reference test");
    let reference = gmm::fit(
        &mut cpu,
        &points,
        &GmmParams::new(3),
        BackendChoice::Cpu,
        &RunContext::default(),
    )
    .unwrap();
    assert!(clusterscope::metrics::same_partition(
        &fit.labels,
        &reference.labels
    ));
    // Wider than the pass holds: auto stays on the CPU, gpu says why.
    let wide = std::sync::Arc::new(clusterscope::matrix::Matrix::new(
        100,
        65,
        (0..6500)
            .map(|i| ((i * 7919) % 1000) as f32 / 100.0)
            .collect(),
    ));
    let auto = gmm::fit(
        &mut engine,
        &wide,
        &GmmParams::new(2),
        BackendChoice::Auto,
        &RunContext::default(),
    );
    assert!(auto.is_ok());
    let forced = gmm::fit(
        &mut engine,
        &wide,
        &GmmParams::new(2),
        BackendChoice::Gpu,
        &RunContext::default(),
    )
    .err()
    .unwrap();
    assert!(forced.to_string().contains("64 columns"), "{forced}");
}
