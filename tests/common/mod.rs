//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod reference;

use std::sync::Arc;
use std::time::{Duration, Instant};

use clusterscope::cluster::Engine;
use clusterscope::matrix::Matrix;
use egui_kittest::Harness;

/// An engine with a wgpu adapter. Fails loudly when there is none: a GPU test that passes
/// without a GPU would prove nothing. `scripts/test` installs lavapipe.
pub fn gpu_engine() -> Engine {
    let mut engine = Engine::headless();
    let name = engine.gpu_context().map(|c| c.adapter_name());
    assert!(
        name.is_some(),
        "no wgpu adapter found: install Mesa's software Vulkan driver (apt-get install mesa-vulkan-drivers libvulkan1), \
         or run scripts/test, which does"
    );
    engine
}

pub fn shared(matrix: Matrix) -> Arc<Matrix> {
    Arc::new(matrix)
}

/// Rows of a JSON fixture (`[[x, y, …], …]`) as a shared matrix.
pub fn json_points(value: &serde_json::Value) -> Arc<Matrix> {
    let rows: Vec<Vec<f32>> = value
        .as_array()
        .expect("an array of rows")
        .iter()
        .map(|r| {
            r.as_array()
                .expect("a row")
                .iter()
                .map(|v| v.as_f64().expect("a number") as f32)
                .collect()
        })
        .collect();
    Arc::new(Matrix::from_rows(&rows))
}

/// Runs the built binary with `args`, which must succeed (its stderr in the failure).
pub fn expect_success(args: &[&str]) -> std::process::Output {
    let output = clusterscope(args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs the built binary with `args` (lavapipe through Vulkan for GPU runs).
pub fn clusterscope(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_clusterscope"))
        .args(args)
        .env("WGPU_BACKEND", "vulkan")
        .output()
        .expect("the binary runs")
}

/// Runs a command that must fail, and returns its stderr after checking it is a clean error.
pub fn expect_error(args: &[&str]) -> String {
    let output = clusterscope(args);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(
        !output.status.success(),
        "{args:?} succeeded; stderr: {stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal error"),
        "{args:?} panicked: {stderr}"
    );
    assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    stderr
}

/// Steps the window until `done` holds, sleeping between frames so worker threads can
/// finish; then two more frames, so what the last result changed is drawn.
pub fn run_until(
    harness: &mut Harness<'_, clusterscope::app::ClusterscopeApp>,
    what: &str,
    done: impl Fn(&clusterscope::app::ClusterscopeApp) -> bool,
) {
    let started = Instant::now();
    while !done(harness.state()) {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "timed out waiting for {what}"
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.step();
    harness.step();
}

/// A JSON fixture of tests/fixtures/ (written by scripts/make_fixtures.py).
pub fn fixture(name: &str) -> serde_json::Value {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// Writes fixture rows (`[[x, y, …], …]`) as a CSV with `header` into `dir`.
pub fn rows_csv(
    dir: &std::path::Path,
    name: &str,
    header: &str,
    rows: &serde_json::Value,
) -> std::path::PathBuf {
    let mut text = format!("{header}\n");
    for row in rows.as_array().expect("an array of rows") {
        let values: Vec<String> = row
            .as_array()
            .expect("a row")
            .iter()
            .map(|v| v.to_string())
            .collect();
        text += &values.join(",");
        text.push('\n');
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Each of `cases` (extra flags, a text the error must contain) appended to `base` must
/// fail cleanly with that text.
pub fn expect_refusals(base: &[&str], cases: &[(&[&str], &str)]) {
    for (extra, expected) in cases {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let stderr = expect_error(&args);
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
    }
}

/// Labels of an exported CSV's last column (noise, -1, as u32::MAX).
pub fn last_column_labels(path: &std::path::Path) -> Vec<u32> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| {
            let value: i64 = line.rsplit(',').next().unwrap().parse().unwrap();
            if value < 0 { u32::MAX } else { value as u32 }
        })
        .collect()
}
