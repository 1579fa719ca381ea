//! Jobs that obey: a request superseded by a new one never holds the new one up, even when
//! the old run is slow to notice its cancellation.

mod common;

use std::time::{Duration, Instant};

use clusterscope::app::{ClusterscopeApp, Command, Settings};
use clusterscope::cluster::Engine;
use common::run_until;
use eframe::egui;
use egui_kittest::Harness;

/// 60 000 rows of 6 columns in 4 loose groups: seconds of HDBSCAN, a fraction of one of
/// k-means.
fn large_table(dir: &std::path::Path) -> std::path::PathBuf {
    let mut text = String::from("a,b,c,d,e,f\n");
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..60_000 {
        let centre = (i % 4) as f64 * 3.0;
        let row: Vec<String> = (0..6).map(|_| format!("{:.4}", centre + next())).collect();
        text.push_str(&row.join(","));
        text.push('\n');
    }
    let path = dir.join("large.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn ready(app: &ClusterscopeApp, algorithm: &str) -> bool {
    !app.clustering_pending
        && app
            .clustering
            .as_ref()
            .is_some_and(|c| c.params.algorithm == algorithm)
}

#[test]
fn a_superseded_run_releases_the_worker() {
    let dir = tempfile::tempdir().unwrap();
    let path = large_table(dir.path());
    let mut settings = Settings::default();
    settings.set_param("kmeans", "n_clusters", 4);
    let app = ClusterscopeApp::new(
        egui::Context::default(),
        Engine::cpu_only("jobs test"),
        None,
        settings,
        Some(path),
    );
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut ClusterscopeApp| app.show(ui), app);
    // How long k-means takes here on its own (the first run, on opening).
    run_until(&mut harness, "the first k-means", |app| {
        ready(app, "kmeans")
    });
    let started = Instant::now();
    harness.state_mut().command(Command::Cluster);
    harness.step();
    run_until(&mut harness, "k-means again", |app| ready(app, "kmeans"));
    let kmeans_time = started.elapsed();

    // HDBSCAN, stuck for 20 s in a phase that does not look at its cancel token. Let
    // it get going, then ask for k-means.
    harness.state_mut().settings.algorithm = "hdbscan".into();
    harness
        .state_mut()
        .stall_next_clustering(Duration::from_secs(20));
    harness.state_mut().command(Command::Cluster);
    harness.step();
    std::thread::sleep(Duration::from_millis(300));
    harness.step();
    assert!(
        harness.state().clustering_pending,
        "HDBSCAN is still running"
    );
    harness.state_mut().settings.algorithm = "kmeans".into();
    let switched = Instant::now();
    harness.state_mut().command(Command::Cluster);
    harness.step();
    run_until(&mut harness, "k-means after HDBSCAN", |app| {
        ready(app, "kmeans")
    });
    let waited = switched.elapsed();
    eprintln!("k-means alone {kmeans_time:?}; after a stuck HDBSCAN {waited:?}");
    assert!(
        waited < kmeans_time + Duration::from_secs(1),
        "k-means arrived {waited:?} after the switch; alone it takes {kmeans_time:?}"
    );
    assert_eq!(harness.state().clustering.as_ref().unwrap().n_clusters(), 4);
    assert_eq!(
        harness.state().abandoned_workers(),
        1,
        "the stuck worker was left behind"
    );
}

#[test]
fn a_run_that_stops_when_cancelled_keeps_its_worker() {
    let dir = tempfile::tempdir().unwrap();
    let path = large_table(dir.path());
    let app = ClusterscopeApp::new(
        egui::Context::default(),
        Engine::cpu_only("jobs test"),
        None,
        Settings {
            algorithm: "hdbscan".into(),
            ..Settings::default()
        },
        Some(path),
    );
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut ClusterscopeApp| app.show(ui), app);
    harness.step();
    std::thread::sleep(Duration::from_millis(200));
    harness.step();
    harness.state_mut().settings.algorithm = "kmeans".into();
    harness.state_mut().command(Command::Cluster);
    run_until(&mut harness, "k-means after HDBSCAN", |app| {
        ready(app, "kmeans")
    });
    assert_eq!(harness.state().abandoned_workers(), 0);
}
