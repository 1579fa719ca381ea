//! Drives the real window contents with egui_kittest: load the demo table, move k, wait for
//! the worker, and read the legend.

mod common;

use clusterscope::app::{ClusterscopeApp, Settings, demo_table_path};
use clusterscope::cluster::Engine;
use common::run_until;
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

#[test]
fn moving_k_reclusters_and_the_legend_follows() {
    let mut settings = Settings::default();
    settings.set_param("kmeans", "n_clusters", 5);
    let app = ClusterscopeApp::new(
        egui::Context::default(),
        Engine::cpu_only("ui test"),
        None,
        settings,
        Some(demo_table_path()),
    );
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut ClusterscopeApp| app.show(ui), app);
    run_until(&mut harness, "the first clustering", |app| {
        app.clustering.is_some() && !app.clustering_pending
    });
    harness.get_by_label("Clusters: 5");
    assert!(
        harness.query_by_label_contains("rows left out").is_some(),
        "the warning about 7 incomplete rows is shown"
    );

    // Move the k slider to 8 (as assistive technology or a drag would).
    // The first slider in the tree: the left panel is built before the scatter's own.
    harness
        .get_all_by_role(egui::accesskit::Role::Slider)
        .next()
        .expect("a slider")
        .set_value_accesskit(8.0);
    harness.step();
    assert_eq!(
        harness.state().settings.count("kmeans", "n_clusters"),
        Some(8)
    );
    run_until(&mut harness, "the re-clustering", |app| {
        !app.clustering_pending && app.clustering.as_ref().is_some_and(|c| c.n_clusters() == 8)
    });
    harness.get_by_label("Clusters: 8");
    assert!(harness.query_by_label("Clusters: 5").is_none());
}

fn app_with(settings: Settings) -> Harness<'static, ClusterscopeApp> {
    let app = ClusterscopeApp::new(
        egui::Context::default(),
        Engine::cpu_only("ui test"),
        None,
        settings,
        Some(demo_table_path()),
    );
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut ClusterscopeApp| app.show(ui), app)
}

#[test]
fn the_dendrogram_cut_follows_the_cluster_count() {
    let mut settings = Settings {
        algorithm: "agglomerative".into(),
        ..Settings::default()
    };
    settings.set_param("agglomerative", "n_clusters", 4);
    let mut harness = app_with(settings);
    run_until(&mut harness, "the tree", |app| {
        app.clustering.is_some() && !app.clustering_pending
    });
    harness.get_by_label("Clusters: 4");
    assert!(
        harness.query_by_label_contains("2993 leaves").is_some(),
        "the dendrogram is drawn"
    );
    assert!(
        harness
            .query_by_label_contains("gives 4 clusters")
            .is_some()
    );

    // The slider re-cuts; the legend and the dendrogram's cut follow.
    // The first slider in the tree: the left panel is built before the scatter's own.
    harness
        .get_all_by_role(egui::accesskit::Role::Slider)
        .next()
        .expect("a slider")
        .set_value_accesskit(7.0);
    harness.step();
    run_until(&mut harness, "the new cut", |app| {
        !app.clustering_pending && app.clustering.as_ref().is_some_and(|c| c.n_clusters() == 7)
    });
    harness.get_by_label("Clusters: 7");
    assert!(
        harness
            .query_by_label_contains("gives 7 clusters")
            .is_some()
    );
}

#[test]
fn dbscan_shows_noise_in_the_legend_and_a_k_distance_plot() {
    let mut settings = Settings {
        algorithm: "dbscan".into(),
        ..Settings::default()
    };
    settings.set_param("dbscan", "eps", 0.25);
    settings.set_param("dbscan", "min_points", 8);
    let mut harness = app_with(settings);
    run_until(&mut harness, "DBSCAN", |app| {
        app.clustering.is_some() && !app.clustering_pending
    });
    let noise = harness
        .state()
        .clustering
        .as_ref()
        .unwrap()
        .result
        .n_noise();
    assert!(noise > 0, "the demo has outliers at this eps");
    harness.get_by_label("Noise");
    assert!(harness.query_all_by_label_contains("k-distance").count() >= 1);
}

#[test]
fn dragging_the_cut_line_recuts_without_a_rerun() {
    let mut settings = Settings {
        algorithm: "agglomerative".into(),
        ..Settings::default()
    };
    settings.set_param("agglomerative", "n_clusters", 3);
    let mut harness = app_with(settings);
    run_until(&mut harness, "the tree", |app| {
        app.clustering.is_some() && !app.clustering_pending && app.draggable_line().is_some()
    });
    harness.get_by_label("Clusters: 3");
    let generation = harness.state().clustering.as_ref().unwrap().generation;
    let (line_y, rect) = harness.state().draggable_line().unwrap();
    let x = rect.center().x;
    // Grab the dashed line and pull it down, towards the leaves: more clusters.
    harness.hover_at(egui::pos2(x, line_y));
    harness.step();
    harness.drag_at(egui::pos2(x, line_y));
    harness.step();
    let target = (line_y + rect.bottom()) / 2.0 + 0.3 * (rect.bottom() - line_y);
    for step in 1..=5 {
        let y = line_y + (target - line_y) * step as f32 / 5.0;
        harness.hover_at(egui::pos2(x, y));
        harness.step();
    }
    harness.drop_at(egui::pos2(x, target));
    harness.step();
    harness.step();
    let clustering = harness.state().clustering.as_ref().unwrap();
    let clusters = clustering.n_clusters();
    assert!(
        clusters > 3,
        "the lower cut gives more clusters, got {clusters}"
    );
    assert_eq!(clustering.generation, generation, "a cut, not a re-run");
    assert!(clustering.revision > 0);
    // A lower cut only splits clusters: the larger part of each keeps its colour slot,
    // the new parts take the next slots; ids stay 0..k−1 by size.
    assert_eq!(clustering.sizes.len(), clusters);
    assert!(clustering.sizes.iter().all(|&s| s > 0));
    assert!(
        clustering.sizes.windows(2).all(|w| w[0] >= w[1]),
        "ids by size"
    );
    let mut slots = clustering.slot_of.clone();
    slots.sort_unstable();
    assert_eq!(slots, (0..clusters as u32).collect::<Vec<_>>());
    assert_eq!(
        harness
            .state()
            .settings
            .count("agglomerative", "n_clusters"),
        Some(clusters.min(64) as u64)
    );
    harness.get_by_label(&format!("Clusters: {clusters}"));
}

#[test]
fn an_image_opens_segments_and_exports_its_mask() {
    use clusterscope::app::ImageExport;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("bands.png");
    // Three vertical bands, 40 px wide.
    image::RgbImage::from_fn(120, 50, |x, _| match x / 40 {
        0 => image::Rgb([220, 40, 40]),
        1 => image::Rgb([40, 200, 60]),
        _ => image::Rgb([30, 40, 210]),
    })
    .save(&photo)
    .unwrap();
    let mut settings = Settings::default();
    settings.segment.k = 3;
    let app = ClusterscopeApp::new(
        egui::Context::default(),
        Engine::cpu_only("ui test"),
        None,
        settings,
        Some(photo.clone()),
    );
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut ClusterscopeApp| app.show(ui), app);
    run_until(&mut harness, "the segmentation", |app| {
        app.clustering.is_some() && !app.clustering_pending
    });
    harness.get_by_label("Clusters: 3");
    harness.get_by_label_contains("120 × 50 8-bit");
    let labels = harness
        .state()
        .clustering
        .as_ref()
        .unwrap()
        .result
        .labels
        .clone();
    let bands: Vec<u32> = (0..120 * 50).map(|p| (p % 120) / 40).collect();
    assert!(clusterscope::metrics::same_partition(&labels, &bands));

    let mask = dir.path().join("mask.png");
    harness
        .state_mut()
        .export_image_to(mask.clone(), ImageExport::Mask);
    run_until(&mut harness, "the mask export", |app| {
        app.notices
            .info
            .as_deref()
            .is_some_and(|i| i.starts_with("Exported"))
    });
    let written = image::open(&mask).unwrap().to_luma8();
    let written: Vec<u32> = written.pixels().map(|p| p[0] as u32).collect();
    assert_eq!(written, labels, "the mask holds the legend's ids");

    // Another engine algorithm through superpixels, chosen in the panel: Ward cut at 3.
    harness
        .state_mut()
        .settings
        .set_param("agglomerative", "n_clusters", 3);
    harness
        .get_by_label("Another algorithm on superpixels")
        .click();
    run_until(&mut harness, "the superpixel segmentation", |app| {
        app.clustering
            .as_ref()
            .is_some_and(|c| c.result.diagnostics.adapter.contains("superpixels"))
            && !app.clustering_pending
    });
    assert!(
        harness
            .query_all_by_label_contains("superpixels (about)")
            .next()
            .is_some()
    );
    let clustering = harness.state().clustering.as_ref().unwrap();
    assert!(
        clustering
            .result
            .diagnostics
            .adapter
            .starts_with("agglomerative on"),
        "{}",
        clustering.result.diagnostics.adapter
    );
    assert!(clusterscope::metrics::same_partition(
        &clustering.result.labels,
        &bands
    ));
}

#[test]
fn the_algorithm_picker_and_widgets_come_from_the_registry() {
    let mut harness = app_with(Settings::default());
    run_until(&mut harness, "k-means", |app| {
        app.clustering.is_some() && !app.clustering_pending
    });
    // Every registered algorithm is offered by name.
    harness.get_by_label("Method").click();
    harness.step();
    harness.step();
    for info in clusterscope::cluster::infos() {
        assert!(
            harness.query_all_by_label(info.name).next().is_some(),
            "{} is not in the picker",
            info.name
        );
    }
    harness.get_by_label("k-medoids (FasterPAM, PAM)").click();
    harness.step();
    run_until(&mut harness, "k-medoids", |app| {
        !app.clustering_pending
            && app
                .clustering
                .as_ref()
                .is_some_and(|c| c.result.medoids().is_some())
    });
    assert_eq!(harness.state().settings.algorithm, "kmedoids");
    // Its declared parameters have widgets: the metric's choices as radio buttons.
    harness.get_by_label("manhattan");
    harness.get_by_label("fasterpam");
    // The medoids are listed in the legend, one per cluster.
    let n_medoids = harness.query_all_by_label_contains("medoid: row").count();
    assert_eq!(n_medoids, 5);
    // Choosing another metric re-runs with it.
    harness.get_by_label("manhattan").click();
    harness.step();
    run_until(&mut harness, "the manhattan run", |app| {
        !app.clustering_pending && app.settings.values("kmedoids")["metric"] == "manhattan"
    });
}

/// Ids shown and exported are 0..k−1 (largest first) after any sequence of re-runs, cuts
/// and method switches; colours follow the points through slots instead.
#[test]
fn cluster_ids_stay_contiguous_through_cuts_and_method_switches() {
    use clusterscope::app::Command;
    let mut settings = Settings::default();
    settings.set_param("kmeans", "n_clusters", 20);
    let mut harness = app_with(settings);
    let contiguous = |harness: &Harness<'_, ClusterscopeApp>, what: &str| {
        let clustering = harness.state().clustering.as_ref().unwrap();
        let k = clustering.n_clusters();
        let mut ids: Vec<u32> = clustering.result.labels.clone();
        ids.retain(|&l| l != clusterscope::cluster::NOISE);
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids, (0..k as u32).collect::<Vec<_>>(), "{what}: ids 0..{k}");
        assert!(
            clustering.sizes.windows(2).all(|w| w[0] >= w[1]),
            "{what}: by size"
        );
        for id in 0..k {
            let name = format!("Cluster {id}");
            assert!(
                harness.query_all_by_label(&name).next().is_some(),
                "{what}: {name} listed"
            );
        }
        let past = format!("Cluster {k}");
        assert!(
            harness.query_all_by_label(&past).next().is_none(),
            "{what}: no {past}"
        );
        k
    };
    let settle = |harness: &mut Harness<'_, ClusterscopeApp>, what: &str, k: usize| {
        harness.state_mut().command(Command::Cluster);
        run_until(harness, what, |app| {
            !app.clustering_pending && app.clustering.as_ref().is_some_and(|c| c.n_clusters() == k)
        });
    };
    run_until(&mut harness, "k = 20", |app| {
        !app.clustering_pending
            && app
                .clustering
                .as_ref()
                .is_some_and(|c| c.n_clusters() == 20)
    });
    contiguous(&harness, "k = 20");
    harness
        .state_mut()
        .settings
        .set_param("kmeans", "n_clusters", 3);
    settle(&mut harness, "k = 3", 3);
    contiguous(&harness, "k = 20 then 3");
    harness.state_mut().settings.algorithm = "agglomerative".into();
    harness
        .state_mut()
        .settings
        .set_param("agglomerative", "n_clusters", 6);
    settle(&mut harness, "Ward, 6", 6);
    contiguous(&harness, "Ward 6");
    // A cut of the same tree: fewer clusters, no re-run.
    let tree = match harness
        .state()
        .clustering
        .as_ref()
        .unwrap()
        .result
        .structure(clusterscope::cluster::StructureKind::Tree)
    {
        Some(clusterscope::cluster::Structure::Tree(tree)) => tree.clone(),
        _ => panic!("agglomerative leaves a tree"),
    };
    harness
        .state_mut()
        .command(Command::Recut(tree.labels_for_k(2)));
    harness.step();
    assert_eq!(contiguous(&harness, "cut at 2"), 2);
    // (The dendrogram view sets the count it cut at, as a drag would.)
    harness
        .state_mut()
        .settings
        .set_param("agglomerative", "n_clusters", 5);
    harness
        .state_mut()
        .command(Command::Recut(tree.labels_for_k(5)));
    harness.step();
    assert_eq!(contiguous(&harness, "cut at 5"), 5);

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("labeled.csv");
    harness
        .state_mut()
        .export_to(out.clone(), "cluster".into(), false);
    run_until(&mut harness, "the export", |app| {
        app.notices
            .info
            .as_deref()
            .is_some_and(|i| i.starts_with("Exported"))
    });
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = header.iter().position(|h| *h == "cluster").unwrap();
    let mut exported: Vec<u32> = lines
        .filter_map(|l| l.split(',').nth(column).and_then(|v| v.parse().ok()))
        .collect();
    exported.sort_unstable();
    exported.dedup();
    assert_eq!(exported, vec![0, 1, 2, 3, 4], "exported ids");

    // The export says how it was made, and the command line repeats it exactly.
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("labeled.csv.clusterscope.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["made_by"], "window");
    assert_eq!(record["algorithm"], "agglomerative");
    assert_eq!(record["params"]["n_clusters"], 5, "{record:#}");
    let again = dir.path().join("again.csv");
    let output = common::clusterscope(&[
        "rerun",
        out.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let column = |path: &std::path::Path| -> Vec<String> {
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let index = header.iter().position(|h| *h == "cluster").unwrap();
        lines
            .map(|l| l.split(',').nth(index).unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(column(&out), column(&again), "rerun of the window's export");
}

fn app_on(settings: Settings, path: std::path::PathBuf) -> Harness<'static, ClusterscopeApp> {
    let app = ClusterscopeApp::new(
        egui::Context::default(),
        Engine::cpu_only("ui test"),
        None,
        settings,
        Some(path),
    );
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut ClusterscopeApp| app.show(ui), app)
}

fn settled_with(harness: &mut Harness<'_, ClusterscopeApp>, what: &str, k: usize) {
    run_until(harness, what, |app| {
        !app.clustering_pending && app.clustering.as_ref().is_some_and(|c| c.n_clusters() == k)
    });
}

/// Save a session with renamed and recoloured clusters, a pinned comparison and changed
/// parameters; open it in a fresh window with other settings: the same features, scaling,
/// parameters, labels, names, colours and pin come back. Then undo and redo walk the
/// parameter changes, and a changed input is reported when the session is opened again.
#[test]
fn a_session_round_trips_and_undo_walks_the_choices() {
    use clusterscope::app::{Command, Session};
    use clusterscope::data::{InputRecord, Scaling};
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("customers.csv");
    std::fs::copy(demo_table_path(), &input).unwrap();
    let mut settings = Settings {
        scaling: Scaling::MinMax,
        ..Settings::default()
    };
    settings.set_param("kmeans", "n_clusters", 4);
    let mut harness = app_on(settings, input.clone());
    settled_with(&mut harness, "k = 4", 4);
    harness.state_mut().pin_clustering();
    let pinned = harness.state().pinned.as_ref().unwrap().labels.clone();
    harness
        .state_mut()
        .settings
        .set_param("kmeans", "n_clusters", 6);
    harness.state_mut().command(Command::Cluster);
    settled_with(&mut harness, "k = 6", 6);
    let first_columns = harness.state().selected_columns[0].clone();
    harness.state_mut().selected_columns.remove(0);
    // As the feature checkboxes do: the old matrix is gone until the new one is built.
    harness.state_mut().prepared = None;
    harness.state_mut().command(Command::Prepare);
    run_until(&mut harness, "features without the first column", |app| {
        !app.clustering_pending
            && app.prepared.is_some()
            && app
                .clustering
                .as_ref()
                .is_some_and(|c| Some(&c.points) == app.prepared.as_ref().map(|p| &p.points))
    });
    let labels = harness
        .state()
        .clustering
        .as_ref()
        .unwrap()
        .result
        .labels
        .clone();
    harness.state_mut().styles.rename(0, "largest".into());
    harness
        .state_mut()
        .styles
        .recolor(1, egui::Color32::from_rgb(10, 20, 30));
    harness.state_mut().styles.set_visible(2, false);
    let columns = harness.state().selected_columns.clone();
    assert!(!columns.contains(&first_columns));

    let session_path = dir.path().join("analysis.clusterscope");
    harness
        .state_mut()
        .command(Command::SaveSession(session_path.clone()));
    run_until(&mut harness, "the session saved", |app| {
        app.settings.last_session.as_ref() == Some(&session_path)
    });
    let saved = Session::read(&session_path).unwrap();
    assert_eq!(saved.input.sha256, InputRecord::of(&input).unwrap().sha256);
    assert_eq!(saved.algorithm, "kmeans");
    assert_eq!(saved.params["n_clusters"], 6);
    assert_eq!(saved.features, columns);
    assert_eq!(saved.pinned.as_ref().unwrap().labels, pinned);

    // A fresh window with other settings, on another table, opens the session.
    let mut other = Settings::default();
    other.set_param("kmeans", "n_clusters", 3);
    let mut restored = app_on(other, demo_table_path());
    settled_with(&mut restored, "the demo at k = 3", 3);
    restored
        .state_mut()
        .command(Command::Open(session_path.clone()));
    run_until(&mut restored, "the session restored", |app| {
        app.notices
            .info
            .as_deref()
            .is_some_and(|i| i.starts_with("Restored session"))
    });
    {
        let app = restored.state();
        assert_eq!(app.table.as_ref().unwrap().path, input);
        assert_eq!(app.selected_columns, columns);
        assert_eq!(app.settings.scaling, Scaling::MinMax);
        assert_eq!(app.settings.count("kmeans", "n_clusters"), Some(6));
        let back = &app.clustering.as_ref().unwrap().result.labels;
        let differing = back.iter().zip(&labels).filter(|(a, b)| a != b).count();
        assert_eq!(
            (back.len(), differing),
            (labels.len(), 0),
            "restored labels: length and rows that differ"
        );
        assert_eq!(app.styles.name(0), "largest");
        assert_eq!(app.styles.color(1), egui::Color32::from_rgb(10, 20, 30));
        assert!(!app.styles.visible(2) && app.styles.visible(3));
        assert_eq!(app.pinned.as_ref().unwrap().labels, pinned);
        assert!(app.notices.warning.is_none(), "{:?}", app.notices.warning);
    }
    restored.step();
    restored.get_by_label("largest");

    // Undo and redo: k 6 → 7, undo back to 6 (same labels), redo to 7.
    restored
        .state_mut()
        .settings
        .set_param("kmeans", "n_clusters", 7);
    restored.state_mut().command(Command::Cluster);
    settled_with(&mut restored, "k = 7", 7);
    restored.state_mut().command(Command::Undo);
    settled_with(&mut restored, "undone to k = 6", 6);
    let undone = &restored.state().clustering.as_ref().unwrap().result.labels;
    assert!(*undone == labels, "undo gives the session's labels again");
    restored.state_mut().command(Command::Redo);
    settled_with(&mut restored, "redone to k = 7", 7);

    // The input changes: the session still opens, and says so.
    let mut text = std::fs::read_to_string(&input).unwrap();
    let last = text.lines().last().unwrap().to_string();
    text.push_str(&last);
    text.push('\n');
    std::fs::write(&input, text).unwrap();
    restored.state_mut().command(Command::Open(session_path));
    run_until(&mut restored, "the changed input reported", |app| {
        !app.clustering_pending
            && app
                .notices
                .warning
                .as_deref()
                .is_some_and(|w| w.contains("changed since the session was saved"))
    });
}

/// On a new table DBSCAN's eps moves to the knee of the k-distance curve: the declared
/// 0.5 leaves most of the standardised demo as noise; the knee leaves little.
#[test]
fn dbscan_eps_starts_at_the_knee_of_the_new_tables_curve() {
    let settings = Settings {
        algorithm: "dbscan".into(),
        ..Settings::default()
    };
    let mut harness = app_with(settings);
    run_until(&mut harness, "eps from the knee", |app| {
        !app.clustering_pending
            && app
                .notices
                .info
                .as_deref()
                .is_some_and(|i| i.starts_with("eps ="))
            && app.clustering.as_ref().is_some_and(|c| {
                c.params.values.get("eps").and_then(|e| e.as_f64())
                    == app.settings.real("dbscan", "eps")
            })
    });
    let app = harness.state();
    let eps = app.settings.real("dbscan", "eps").unwrap();
    let result = &app.clustering.as_ref().unwrap().result;
    let noise = result.n_noise() as f64 / result.labels.len() as f64;
    println!(
        "knee eps {eps:.4}: {} clusters, {:.1} % noise",
        result.n_clusters,
        noise * 100.0
    );
    assert!((eps - 0.5).abs() > 1e-6, "eps moved from the declared 0.5");
    assert!(noise < 0.2, "{:.1} % noise at the knee", noise * 100.0);
    assert!(result.n_clusters >= 1);
}

/// Work estimated above the threshold waits for "Run anyway"; once agreed, runs of about
/// the same cost go ahead, and a costlier algorithm asks again.
#[test]
fn long_runs_wait_for_a_yes_and_similar_ones_then_go_ahead() {
    let mut settings = Settings::default();
    settings.set_param("kmeans", "n_clusters", 5);
    // Every run is "long" at this threshold.
    settings.ask_above_seconds = 1e-9;
    let mut harness = app_with(settings);
    run_until(&mut harness, "the question", |app| app.held_run.is_some());
    assert!(harness.state().clustering.is_none(), "nothing ran yet");
    assert!(!harness.state().clustering_pending);
    harness.get_by_label_contains("is estimated to take");
    harness.get_by_label("Run anyway").click();
    harness.step();
    run_until(&mut harness, "the agreed run", |app| {
        app.clustering.is_some() && !app.clustering_pending
    });
    harness.get_by_label("Clusters: 5");

    // k = 6 costs 6/5 as much: no question.
    harness
        .state_mut()
        .settings
        .set_param("kmeans", "n_clusters", 6);
    harness
        .state_mut()
        .command(clusterscope::app::Command::Cluster);
    run_until(&mut harness, "k = 6", |app| {
        !app.clustering_pending && app.clustering.as_ref().is_some_and(|c| c.n_clusters() == 6)
    });
    assert!(harness.state().held_run.is_none());

    // Another algorithm asks again; "Don't run" leaves the shown result alone.
    harness.state_mut().settings.algorithm = "agglomerative".into();
    harness
        .state_mut()
        .command(clusterscope::app::Command::Cluster);
    run_until(&mut harness, "the second question", |app| {
        app.held_run.is_some()
    });
    harness.get_by_label("Don't run").click();
    harness.step();
    harness.step();
    assert!(harness.state().held_run.is_none());
    assert!(!harness.state().clustering_pending);
    assert_eq!(harness.state().clustering.as_ref().unwrap().n_clusters(), 6);
}

/// The legend shows the result's scores, the silhouette equal to the metric's own.
#[test]
fn the_legend_scores_every_result() {
    let mut settings = Settings::default();
    settings.set_param("kmeans", "n_clusters", 4);
    let mut harness = app_with(settings);
    run_until(&mut harness, "the first clustering", |app| {
        app.clustering.is_some() && !app.clustering_pending
    });
    run_until(&mut harness, "the scores", |app| app.scores_ready());
    let clustering = harness.state().clustering.as_ref().unwrap();
    let exact = clusterscope::metrics::internal::silhouette(
        &clustering.points,
        &clustering.result.labels,
        clustering.n_clusters(),
        &|| false,
    )
    .unwrap();
    harness.get_by_label(&format!("Silhouette {exact:.4}"));
    harness.get_by_label_contains("Davies–Bouldin");
    harness.get_by_label_contains("Calinski–Harabasz");
}

/// The silhouette plot holds every scored row by cluster; the Profiles tab profiles the
/// shown result; a sweep over k from the Sweep tab runs off the UI thread, and showing one
/// of its values makes that clustering the shown one, with the controls following.
#[test]
fn the_silhouette_profiles_and_sweep_panes_work_from_the_window() {
    let mut settings = Settings::default();
    settings.set_param("kmeans", "n_clusters", 4);
    let mut harness = app_with(settings);
    run_until(&mut harness, "the first clustering", |app| {
        app.clustering.is_some() && !app.clustering_pending
    });
    run_until(&mut harness, "the scores", |app| app.scores_ready());
    let (rows, groups) = harness
        .state()
        .silhouette_bars()
        .expect("a silhouette plot");
    let clustering = harness.state().clustering.as_ref().unwrap();
    let scored = clustering
        .result
        .labels
        .iter()
        .filter(|&&l| l != clusterscope::cluster::NOISE)
        .count();
    assert_eq!((rows, groups), (scored, 4));

    harness.get_by_label("Profiles").click();
    run_until(&mut harness, "the profile", |app| app.profile_ready());
    harness.get_by_label_contains("most separating first");

    harness.get_by_label("Sweep").click();
    for _ in 0..3 {
        harness.step();
    }
    harness.get_by_label("Run sweep").click();
    run_until(&mut harness, "the sweep", |app| {
        app.sweep_values().is_some()
    });
    let values = harness.state().sweep_values().unwrap();
    assert_eq!(values, (2..=12).map(|k| k as f64).collect::<Vec<_>>());
    harness.get_by_label_contains("Suggested: k (clusters) =");
    // Value 7 (index 5) is shown at once: it was computed by the sweep.
    harness.state_mut().show_sweep_value(5);
    harness.step();
    let shown = harness.state().clustering.as_ref().unwrap();
    assert_eq!(shown.n_clusters(), 7);
    assert!(!harness.state().clustering_pending);
    assert_eq!(
        harness.state().settings.count("kmeans", "n_clusters"),
        Some(7)
    );
}

/// The Outliers pane scores the rows (LOF by default), flags the contamination share,
/// selects the flagged rows for every view, and exports carry the scores.
#[test]
fn the_outliers_pane_scores_selects_and_exports() {
    let mut harness = app_with(Settings::default());
    run_until(&mut harness, "the first clustering", |app| {
        app.clustering.is_some() && !app.clustering_pending
    });
    harness.get_by_label("Outliers").click();
    run_until(&mut harness, "the outlier scores", |app| {
        app.outliers_flagged().is_some()
    });
    let rows = harness.state().prepared.as_ref().unwrap().points.n_rows;
    let flagged = harness.state().outliers_flagged().unwrap();
    // 5 % of the rows lie above the 95th percentile (ties aside).
    assert!(
        flagged.abs_diff(rows / 20) <= 1,
        "{flagged} of {rows} flagged"
    );
    harness
        .get_by_label(&format!("Select the {flagged} outliers"))
        .click();
    harness.step();
    let selection = harness.state().selection.as_ref().expect("a selection");
    assert_eq!(selection.rows.len(), flagged);
    // A wider share: the selection follows.
    harness.state_mut().set_outlier_share(0.1);
    harness.step();
    harness.step();
    let wider = harness.state().outliers_flagged().unwrap();
    assert!(wider > flagged);
    assert_eq!(
        harness.state().selection.as_ref().unwrap().rows.len(),
        wider
    );
    let request = harness
        .state()
        .export_request(
            std::env::temp_dir().join("unused.csv"),
            "cluster".into(),
            false,
        )
        .expect("an export");
    let columns = request.outliers.expect("score columns in the export");
    assert_eq!(
        columns.flags.iter().filter(|f| **f == Some(true)).count(),
        wider
    );
    assert_eq!(columns.scores.iter().filter(|s| s.is_some()).count(), rows);
}

/// Dragging over the bottom of the silhouette plot selects the last cluster's rows with
/// the lowest silhouettes (exact values from the metric), and only those.
#[test]
fn dragging_over_the_lowest_silhouette_bars_selects_those_rows() {
    let mut settings = Settings::default();
    settings.set_param("kmeans", "n_clusters", 4);
    let mut harness = app_with(settings);
    run_until(&mut harness, "the first clustering", |app| {
        app.clustering.is_some() && !app.clustering_pending
    });
    run_until(&mut harness, "the silhouette plot", |app| {
        app.scores_ready() && app.silhouette_bars_rect().is_some()
    });
    let bars = harness.state().silhouette_bars_rect().unwrap();
    let x = bars.center().x;
    // From a few points above the bottom edge to past it: the last group's lowest bars.
    let (from, to) = (bars.bottom() - 8.0, bars.bottom() + 4.0);
    harness.hover_at(egui::pos2(x, from));
    harness.step();
    harness.drag_at(egui::pos2(x, from));
    harness.step();
    for step in 1..=4 {
        harness.hover_at(egui::pos2(x, from + (to - from) * step as f32 / 4.0));
        harness.step();
    }
    harness.drop_at(egui::pos2(x, to));
    harness.step();
    harness.step();
    let app = harness.state();
    let selection = app.selection.as_ref().expect("the drag selects rows");
    assert_eq!(selection.source, "silhouette plot");
    let clustering = app.clustering.as_ref().unwrap();
    let labels = &clustering.result.labels;
    let all: Vec<usize> = (0..labels.len()).collect();
    let values = clusterscope::metrics::internal::row_silhouettes(
        &clustering.points,
        labels,
        clustering.n_clusters(),
        &all,
        &|| false,
    )
    .unwrap();
    let last = clustering.n_clusters() as u32 - 1;
    assert!(
        selection.rows.iter().all(|&r| labels[r as usize] == last),
        "only the bottom group's rows"
    );
    let mut in_cluster: Vec<f64> = (0..labels.len())
        .filter(|&r| labels[r] == last)
        .map(|r| values[r])
        .collect();
    in_cluster.sort_by(f64::total_cmp);
    let n = selection.rows.len();
    assert!(
        n >= 1 && n < in_cluster.len() / 4,
        "{n} of {}",
        in_cluster.len()
    );
    // The selected rows are the cluster's lowest (one bar of slack at the band's edge).
    let limit = in_cluster[(n + 1).min(in_cluster.len() - 1)] + 1e-6;
    for &r in &selection.rows {
        assert!(
            values[r as usize] <= limit,
            "row {r}: {}",
            values[r as usize]
        );
    }
}

/// STING on two columns: the Structure tab offers the grid, the Columns view of those
/// columns draws it under the points, a coarser level draws fewer cells, and a CLIQUE
/// subspace clicked in the list draws its dense units.
#[test]
fn the_grid_is_drawn_under_the_scatter_and_clique_lists_its_subspaces() {
    use clusterscope::app::Command;
    let settings = Settings {
        algorithm: "sting".into(),
        ..Settings::default()
    };
    let mut harness = app_with(settings);
    run_until(&mut harness, "the table", |app| app.prepared.is_some());
    harness.state_mut().selected_columns = vec!["income_k".into(), "annual_spend_k".into()];
    harness.state_mut().prepared = None;
    harness.state_mut().command(Command::Prepare);
    run_until(&mut harness, "STING on two columns", |app| {
        !app.clustering_pending
            && app.prepared.as_ref().is_some_and(|p| p.points.n_cols == 2)
            && app
                .clustering
                .as_ref()
                .is_some_and(|c| Some(&c.points) == app.prepared.as_ref().map(|p| &p.points))
    });
    harness.get_by_label("Structure").click();
    harness.step();
    harness
        .get_by_label("Show the grid under income_k x annual_spend_k")
        .click();
    run_until(&mut harness, "the grid under the columns", |app| {
        app.grid_cells_drawn().0 > 0
    });
    let (bottom, kept) = harness.state().grid_cells_drawn();
    assert!(kept > 0 && kept <= bottom, "{kept} of {bottom}");
    harness.state_mut().set_grid_level(3);
    harness.step();
    let (coarse, _) = harness.state().grid_cells_drawn();
    assert!(
        coarse < bottom,
        "level 3 draws {coarse}, the bottom {bottom}"
    );
    harness.state_mut().settings.algorithm = "clique".into();
    harness.state_mut().command(Command::Cluster);
    run_until(&mut harness, "CLIQUE", |app| {
        !app.clustering_pending
            && app.clustering.as_ref().is_some_and(|c| {
                c.result
                    .structures
                    .iter()
                    .any(|s| s.kind() == clusterscope::cluster::StructureKind::Subspaces)
            })
    });
    harness.step();
    let full = harness
        .query_all_by(|node| {
            node.label()
                .is_some_and(|l| l.starts_with("(income_k, annual_spend_k):"))
        })
        .next()
        .expect("the 2-D subspace in the list");
    full.click();
    harness.step();
    harness.step();
    let (units, _) = harness.state().grid_cells_drawn();
    assert!(units > 0, "the subspace's dense units are drawn");
}

/// The karate club's nodes open as the window's table (node, degree, community, club), and
/// the two views share one selection: nodes lassoed in the graph are the selected rows;
/// rows selected elsewhere are ringed in the graph. A node table joined to the demo edge
/// list brings its columns.
#[test]
fn graph_nodes_open_as_a_linked_table() {
    use clusterscope::app::graph_view::link::LassoOutcome;
    use clusterscope::app::{Command, Selection};
    let graph = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/karate_club.graphml");
    let mut harness = app_on(Settings::default(), graph);
    run_until(&mut harness, "the communities and a layout", |app| {
        app.graph_view
            .as_ref()
            .is_some_and(|v| v.communities.is_some() && v.last_layout.is_some())
    });
    harness.get_by_label("Nodes as a table").click();
    // Settled: the first clustering of new features starts without a selection, so one
    // made before it lands would be dropped.
    run_until(
        &mut harness,
        "the node table's features, clustered",
        |app| {
            app.prepared.is_some()
                && app.graph_linked()
                && !app.clustering_pending
                && app.clustering.is_some()
        },
    );
    {
        let app = harness.state();
        let frame = &app.table.as_ref().unwrap().frame;
        assert_eq!(frame.height(), 34);
        let names: Vec<String> = frame
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(&names[..3], ["node", "degree", "community"]);
        assert!(names.iter().any(|n| n == "club"), "{names:?}");
        // Node 0 (Mr Hi) has 16 friends; the community column is the graph's.
        let degree = frame.column("degree").unwrap().u32().unwrap().get(0);
        assert_eq!(degree, Some(16));
        let view = app.graph_view.as_ref().unwrap();
        let community: Vec<u32> = frame
            .column("community")
            .unwrap()
            .u32()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(community, view.communities.as_ref().unwrap().labels);
        assert!(
            !app.selected_columns.contains(&"community".to_string()),
            "the community column is a label, not a feature: {:?}",
            app.selected_columns
        );
    }
    // Graph → table: nodes 0, 1 and 33 lassoed are the selected rows.
    harness
        .state_mut()
        .publish_graph_lasso(LassoOutcome::Selected(vec![0, 1, 33]));
    harness.step();
    let rows = harness.state().selection.as_ref().unwrap().rows.clone();
    let table_rows = harness
        .state()
        .prepared
        .as_ref()
        .unwrap()
        .features
        .table_rows
        .clone();
    let nodes: Vec<u32> = rows.iter().map(|&r| table_rows[r as usize]).collect();
    assert_eq!(nodes, [0, 1, 33]);
    assert_eq!(
        harness.state().selection.as_ref().unwrap().source,
        "graph lasso"
    );
    // Table → graph: a selection made elsewhere rings those nodes.
    harness
        .state_mut()
        .set_selection(Some(Selection::new(vec![2, 3, 4, 5], "scatter lasso")));
    harness.step();
    harness.step();
    let view = harness.state().graph_view.as_ref().unwrap();
    let ringed: Vec<usize> = (0..34).filter(|&u| view.selected[u]).collect();
    let expected: Vec<usize> = [2, 3, 4, 5]
        .iter()
        .map(|&r| table_rows[r] as usize)
        .collect();
    assert_eq!(ringed, expected);
    // A click on empty ground in the graph clears the shared selection.
    harness
        .state_mut()
        .publish_graph_lasso(LassoOutcome::Cleared);
    harness.step();
    assert!(harness.state().selection.is_none());

    // Joining a node table: the demo network's planted communities come in by id.
    let nodes = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/social_network_communities.csv");
    let edges =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/social_network.edges");
    harness.state_mut().command(Command::OpenGraph(edges));
    harness.step();
    run_until(&mut harness, "the demo network", |app| {
        app.pending_graph.is_none()
            && app
                .graph_view
                .as_ref()
                .is_some_and(|v| v.graph.n_nodes() == 3000)
    });
    harness.state_mut().command(Command::JoinNodeTable(nodes));
    harness.step();
    run_until(&mut harness, "the joined network", |app| {
        app.pending_graph.is_none()
            && app
                .graph_view
                .as_ref()
                .is_some_and(|v| v.attributes.is_some() && v.communities.is_some())
    });
    assert!(
        !harness.state().graph_linked(),
        "a new graph is not linked to the old table"
    );
    harness.state_mut().command(Command::ShowNodesAsTable);
    run_until(&mut harness, "the joined node table", |app| {
        app.graph_linked() && app.prepared.is_some()
    });
    let frame = &harness.state().table.as_ref().unwrap().frame;
    assert_eq!(frame.height(), 3000);
    assert!(frame.column("planted_community").is_ok());
}

#[test]
fn an_embedding_opens_with_its_metadata_maps_and_finds_neighbours() {
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let mut settings = Settings::default();
    settings.set_param("kmeans", "n_clusters", 8);
    settings.set_param("kmeans", "metric", "cosine");
    // A short map keeps the test quick; the view and its frames are the same.
    settings.maps.umap.n_epochs = Some(60);
    settings.maps.umap.metric = clusterscope::spatial::metric::Metric::Cosine;
    let mut harness = app_on(settings, assets.join("docstrings.npy"));
    run_until(&mut harness, "the vectors", |app| {
        app.clustering.is_some() && !app.clustering_pending
    });
    assert_eq!(harness.state().table.as_ref().unwrap().frame.width(), 48);
    // The metadata goes beside the vectors, row by row.
    harness
        .state_mut()
        .attach_table(assets.join("docstrings.csv"));
    run_until(&mut harness, "the attached columns", |app| {
        app.table
            .as_ref()
            .is_some_and(|t| t.frame.column("text").is_ok())
            && app.clustering.is_some()
            && !app.clustering_pending
    });
    let table = harness.state().table.clone().unwrap();
    assert_eq!(table.frame.width(), 53);
    // Text columns are not features: the 48 dimensions are.
    assert_eq!(harness.state().selected_columns.len(), 48);
    // The UMAP view: drawn from frames, then the finished map.
    harness.get_by_label("UMAP").click();
    run_until(&mut harness, "the UMAP map", |app| {
        app.projection
            .as_ref()
            .is_some_and(|p| p.axis_labels.0 == "UMAP 1")
            && app.maps.progress_text().is_none()
    });
    let n = harness
        .state()
        .projection
        .as_ref()
        .unwrap()
        .coordinates
        .len();
    assert_eq!(n, table.frame.height());
    // A clicked row: its 10 nearest rows by cosine distance, selected and listed.
    harness.state_mut().pinned_row = Some(5);
    harness.state_mut().request_neighbours(5);
    run_until(&mut harness, "the neighbours", |app| {
        app.maps.neighbours.is_some()
    });
    let found = harness.state().maps.neighbours.clone().unwrap();
    assert_eq!(found.rows.len(), 10);
    assert_eq!(found.metric, clusterscope::spatial::metric::Metric::Cosine);
    let selection = harness.state().selection.clone().unwrap();
    assert_eq!(selection.rows.len(), 11);
    // Listed under the pinned row and named in the Selection pane.
    assert!(
        harness
            .get_all_by_label_contains("10 nearest (cosine)")
            .count()
            >= 2
    );
    // Search: rows whose text mentions "socket".
    harness.state_mut().maps.search = "socket".into();
    harness.state_mut().run_search();
    harness.step();
    let matches = harness.state().maps.search_matches.unwrap();
    assert!(matches > 5, "{matches} rows mention socket");
    let text = table.frame.column("text").unwrap().str().unwrap().clone();
    let names = table.frame.column("name").unwrap().str().unwrap().clone();
    for &row in &harness.state().selection.as_ref().unwrap().rows {
        let hit = [&text, &names].iter().any(|c| {
            c.get(row as usize)
                .is_some_and(|t| t.to_lowercase().contains("socket"))
        });
        assert!(hit, "row {row} was selected without the word");
    }
    // Cluster the map instead of the features: the algorithm sees 2 columns.
    harness.state_mut().maps.cluster_on_map = true;
    harness.get_by_label("Re-run").click();
    harness.step();
    run_until(&mut harness, "clustering the map", |app| {
        !app.clustering_pending && app.clustering.is_some()
    });
    assert_eq!(harness.state().clustering.as_ref().unwrap().n_clusters(), 8);
}
