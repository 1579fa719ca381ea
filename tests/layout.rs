//! The window's layout at 1280 × 800, the smallest size we promise to lay out without
//! clipping: each main layout (table, image, every structure view) is rendered by
//! egui_kittest's wgpu renderer and compared with its snapshot in `tests/snapshots/`
//! (`UPDATE_SNAPSHOTS=1` rewrites them after a deliberate change), and the sizes that
//! used to collapse are checked as numbers.

mod common;

use std::path::PathBuf;

use clusterscope::app::{ClusterscopeApp, Pane, Settings, demo_table_path};
use clusterscope::cluster::Engine;
use common::run_until;
use eframe::egui;
use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotOptions, SnapshotResults};

const WINDOW: egui::Vec2 = egui::vec2(1280.0, 800.0);

fn harness(settings: Settings, path: PathBuf) -> Harness<'static, ClusterscopeApp> {
    let app = ClusterscopeApp::new(
        egui::Context::default(),
        Engine::cpu_only("layout test"),
        None,
        settings,
        Some(path),
    );
    Harness::builder()
        .with_size(WINDOW)
        .wgpu()
        .build_ui_state(|ui, app: &mut ClusterscopeApp| app.show(ui), app)
}

fn clustered(harness: &mut Harness<'static, ClusterscopeApp>, what: &str) {
    run_until(harness, what, |app| {
        app.clustering.is_some()
            && !app.clustering_pending
            && app.projection.is_some()
            && app.scores_ready()
    });
}

/// The status bar's timings differ between runs; a few thousand pixels of ~1 M may.
fn snapshot(harness: &mut Harness<'static, ClusterscopeApp>, name: &str) {
    harness.snapshot_options(
        name,
        &SnapshotOptions::new()
            .threshold(1.0)
            .max_failed_pixels(6_000),
    );
}

fn pane(harness: &Harness<'static, ClusterscopeApp>, pane: Pane) -> egui::Rect {
    harness
        .state()
        .pane_rect(pane)
        .unwrap_or_else(|| panic!("the {pane:?} pane is shown"))
}

fn assert_inside(what: &str, rect: egui::Rect, within: egui::Rect) {
    assert!(
        within.expand(1.0).contains_rect(rect),
        "{what} at {rect:?} is cut off by {within:?}"
    );
}

/// Every pane keeps a usable size, and all of them fit the window.
fn assert_panes_hold(harness: &Harness<'static, ClusterscopeApp>, panes: &[Pane]) {
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, WINDOW);
    for &p in panes {
        let rect = pane(harness, p);
        assert_inside(&format!("the {p:?} pane"), rect, window);
        assert!(
            rect.width() >= 140.0 && rect.height() >= 120.0,
            "the {p:?} pane is squeezed to {:?}",
            rect.size()
        );
    }
}

#[test]
fn the_table_layout_holds() {
    let mut harness = harness(Settings::default(), demo_table_path());
    clustered(&mut harness, "k-means on the demo");
    assert_panes_hold(
        &harness,
        &[
            Pane::Controls,
            Pane::Scatter,
            Pane::Legend,
            Pane::Silhouette,
        ],
    );
    assert!(harness.state().pane_rect(Pane::Structure).is_none());
    // The silhouette shares the bottom strip's tabs; the scatter keeps the most room.
    let scatter = pane(&harness, Pane::Scatter);
    assert!(
        scatter.width() >= 600.0 && scatter.height() >= 400.0,
        "{scatter:?}"
    );
    snapshot(&mut harness, "layout_table");
}

#[test]
fn the_image_layout_keeps_the_scatter_wide() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quadrants.png");
    image::RgbImage::from_fn(160, 120, |x, y| match (x / 80, y / 60) {
        (0, 0) => image::Rgb([200, 40, 40]),
        (1, 0) => image::Rgb([40, 180, 60]),
        (0, _) => image::Rgb([30, 40, 190]),
        _ => image::Rgb([220, 210, 50]),
    })
    .save(&path)
    .unwrap();
    let mut harness = harness(Settings::default(), path);
    clustered(&mut harness, "the segmentation");
    assert_panes_hold(
        &harness,
        &[Pane::Controls, Pane::Image, Pane::Scatter, Pane::Legend],
    );
    // Was squeezed to ~60 px beside the image.
    let scatter = pane(&harness, Pane::Scatter);
    assert!(scatter.width() >= 300.0, "{scatter:?}");
    snapshot(&mut harness, "layout_image");
}

/// Each structure view in its pane, with the widgets that used to be cut off.
#[test]
fn every_structure_view_fits_at_1280_by_800() {
    // One harness per view; their snapshot results are checked together at the end.
    let mut results = SnapshotResults::new();
    for (algorithm, view_text, snapshot_name) in [
        ("agglomerative", "leaves", "layout_dendrogram"),
        ("dbscan", "k-distance", "layout_k_distance"),
        ("hdbscan", "Condensed tree", "layout_condensed_tree"),
        ("optics", "Reachability", "layout_reachability"),
    ] {
        let settings = Settings {
            algorithm: algorithm.into(),
            ..Settings::default()
        };
        let mut harness = harness(settings, demo_table_path());
        clustered(&mut harness, algorithm);
        assert_panes_hold(
            &harness,
            &[Pane::Controls, Pane::Scatter, Pane::Legend, Pane::Structure],
        );
        let structure = pane(&harness, Pane::Structure);
        assert!(
            structure.height() >= 220.0,
            "{algorithm}: the structure pane is {:?}",
            structure.size()
        );
        // The view's own text (the controls may mention it too) is whole inside the pane.
        let rects: Vec<egui::Rect> = harness
            .query_all_by_label_contains(view_text)
            .map(|node| node.rect())
            .collect();
        assert!(
            rects
                .iter()
                .any(|r| structure.expand(1.0).contains_rect(*r)),
            "{algorithm}: no {view_text:?} text whole inside the structure pane {structure:?}; \
             found at {rects:?}"
        );
        snapshot(&mut harness, snapshot_name);
        results.extend_harness(&mut harness);
    }
    results.unwrap();
}

#[test]
fn colouring_by_a_column_keeps_the_clusters_and_shows_a_colour_bar() {
    let mut harness = harness(Settings::default(), demo_table_path());
    clustered(&mut harness, "k-means on the demo");
    let before = harness
        .state()
        .clustering
        .as_ref()
        .unwrap()
        .result
        .labels
        .clone();
    let column = harness.state().table.as_ref().unwrap().info.columns[0]
        .name
        .clone();
    harness.state_mut().colour_by = clusterscope::app::ColourBy::Column(column.clone());
    harness.run_steps(3);
    harness.get_by_label(&format!("Points coloured by {column}"));
    harness.get_by_label("Colour by cluster");
    // Colouring is a view: the clustering is the same one.
    let after = &harness.state().clustering.as_ref().unwrap().result.labels;
    assert_eq!(&before, after);
    snapshot(&mut harness, "layout_coloured_by_column");
}

/// The selection and comparison tabs at 20 clusters: their buttons and headers whole
/// inside their pane (the compare table scrolls inside it).
#[test]
fn selection_and_compare_fit_at_20_clusters() {
    let mut settings = Settings {
        algorithm: "agglomerative".into(),
        ..Settings::default()
    };
    settings.set_param("agglomerative", "n_clusters", 20);
    let mut harness = harness(settings, demo_table_path());
    clustered(&mut harness, "20 clusters");
    harness.get_by_label("Clusters: 20");
    // The four linkages wrap inside the controls (the fourth was past the pane's edge).
    let controls = pane(&harness, Pane::Controls);
    for linkage in ["single", "complete", "average", "ward"] {
        let node = harness.get_by_label(linkage);
        assert_inside(linkage, node.rect(), controls);
    }
    harness.get_by_label("Pin for comparison").click();
    harness.run_steps(3);
    let compare = pane(&harness, Pane::Compare);
    for text in ["Pinned:", "Adjusted Rand index"] {
        let node = harness.get_by_label_contains(text);
        assert_inside(text, node.rect(), compare);
    }
    let rows: Vec<u32> = (0..400).collect();
    harness
        .state_mut()
        .set_selection(Some(clusterscope::app::Selection::new(rows, "test")));
    harness.run_steps(3);
    // The scatter's toolbar has a "Clear selection" too; the Selection pane's must fit.
    let selection = pane(&harness, Pane::Selection);
    let rects: Vec<egui::Rect> = harness
        .query_all_by_label("Clear selection")
        .map(|node| node.rect())
        .collect();
    assert!(
        rects
            .iter()
            .any(|r| selection.expand(1.0).contains_rect(*r)),
        "no \"Clear selection\" whole inside the Selection pane {selection:?}: {rects:?}"
    );
    snapshot(&mut harness, "layout_selection");
}
