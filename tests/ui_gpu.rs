//! The GPU point renderer inside the real window contents, rendered by egui_kittest's wgpu
//! renderer on the same device the engine computes on (lavapipe here).

mod common;

use std::path::PathBuf;

use clusterscope::app::{ClusterscopeApp, Command, RendererChoice, Settings};
use clusterscope::cluster::{BackendChoice, Engine};
use clusterscope::gpu::{GpuContext, readback_count};
use common::run_until;
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::wgpu::{WgpuTestRenderer, create_render_state, default_wgpu_setup};
use image::RgbaImage;

const SIZE: egui::Vec2 = egui::vec2(1100.0, 700.0);

/// Three tight blobs in 2-D: clusters are unambiguous, so any k-means run agrees.
/// The blob of row `i` of [`blobs_csv`].
fn blob_of(i: usize) -> usize {
    match i {
        0..400 => 0,
        400..700 => 1,
        _ => 2,
    }
}

fn blobs_csv() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blobs.csv");
    let mut text = String::from("x,y\n");
    let centers = [(-6.0, -4.0), (0.0, 5.0), (7.0, -2.0)];
    // 400, 300 and 200 rows: ids by size are the same whatever order k-means found them in.
    for i in 0..900 {
        let (cx, cy) = centers[blob_of(i)];
        let a = (i as f64 * 0.618).fract() * std::f64::consts::TAU;
        let r = (i as f64 * 0.377).fract() * 1.2;
        text.push_str(&format!("{},{}\n", cx + r * a.cos(), cy + r * a.sin()));
    }
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn harness(settings: Settings, path: PathBuf) -> Harness<'static, ClusterscopeApp> {
    let render_state = create_render_state(
        default_wgpu_setup(),
        eframe::egui_wgpu::RendererOptions::PREDICTABLE,
    );
    clusterscope::render::install(&render_state);
    let engine = Engine::with_gpu(GpuContext::from_device(
        render_state.device.clone(),
        render_state.queue.clone(),
        render_state.adapter.get_info(),
    ));
    let app = ClusterscopeApp::new(
        egui::Context::default(),
        engine,
        Some(clusterscope::render::RenderDevice::new(&render_state)),
        settings,
        Some(path),
    );
    Harness::builder()
        .with_size(SIZE)
        .renderer(WgpuTestRenderer::from_render_state(render_state))
        .build_ui_state(|ui, app: &mut ClusterscopeApp| app.show(ui), app)
}

fn ready(app: &ClusterscopeApp, k: usize) -> bool {
    app.projection.is_some()
        && !app.clustering_pending
        && app.clustering.as_ref().is_some_and(|c| c.n_clusters() == k)
}

fn settings(renderer: RendererChoice, backend: BackendChoice, k: usize) -> Settings {
    let mut settings = Settings::default();
    settings.set_param("kmeans", "n_clusters", k);
    settings.backend = backend;
    settings.view.renderer = renderer;
    settings.view.point_size = 4.0;
    settings.view.opacity = 1.0;
    settings
}

/// Centroid and count of the pixels within `tolerance` of `color` (per channel).
fn color_blob(image: &RgbaImage, color: egui::Color32, tolerance: i32) -> (f64, f64, usize) {
    let (mut sx, mut sy, mut n) = (0.0, 0.0, 0usize);
    for (x, y, p) in image.enumerate_pixels() {
        let close = (0..3).all(|c| (p[c] as i32 - color.to_array()[c] as i32).abs() <= tolerance);
        if close {
            sx += x as f64;
            sy += y as f64;
            n += 1;
        }
    }
    (sx / n.max(1) as f64, sy / n.max(1) as f64, n)
}

#[test]
fn gpu_renderer_draws_the_same_points_in_the_same_places_and_colours_as_egui_plot() {
    let (_dir, path) = blobs_csv();
    let mut images = Vec::new();
    for renderer in [RendererChoice::Plot, RendererChoice::Gpu] {
        let mut harness = harness(settings(renderer, BackendChoice::Cpu, 3), path.clone());
        run_until(&mut harness, "clustering", |app| ready(app, 3));
        // Every pane in place (the bottom strip's panes arrive with the result and its
        // scores) before the scatter is compared.
        run_until(&mut harness, "the scores", |app| app.scores_ready());
        harness.run_steps(3);
        assert_eq!(
            harness.state().scatter_drew_with_gpu(),
            renderer == RendererChoice::Gpu
        );
        let image = harness.render().expect("render");
        let out = std::env::temp_dir().join(format!("clusterscope-{renderer:?}.png"));
        image.save(&out).unwrap();
        images.push(image);
    }
    for id in 0..3u32 {
        let color = clusterscope::app::palette::cluster_color(id as usize);
        let (px, py, pn) = color_blob(&images[0], color, 12);
        let (gx, gy, gn) = color_blob(&images[1], color, 12);
        assert!(
            pn > 200 && gn > 200,
            "cluster {id}: {pn} egui_plot pixels, {gn} GPU pixels"
        );
        assert!(
            (px - gx).abs() < 3.0 && (py - gy).abs() < 3.0,
            "cluster {id}: centroid ({px:.1}, {py:.1}) vs ({gx:.1}, {gy:.1})"
        );
        let ratio = gn as f64 / pn as f64;
        assert!(
            (0.5..2.0).contains(&ratio),
            "cluster {id}: {pn} vs {gn} pixels"
        );
    }
}

#[test]
fn new_gpu_labels_recolour_the_view_without_readback_or_upload() {
    let (_dir, path) = blobs_csv();
    let mut harness = harness(settings(RendererChoice::Gpu, BackendChoice::Gpu, 2), path);
    run_until(&mut harness, "k = 2", |app| ready(app, 2));
    let first = harness.render().expect("render");
    let labels = harness
        .state()
        .clustering
        .as_ref()
        .unwrap()
        .render_labels
        .as_ref()
        .expect("GPU labels");
    assert!(
        labels.shared_with_compute,
        "the renderer reads the k-means labels buffer itself"
    );
    let buffer = labels.chunks.chunks[0].buffer.clone();

    harness
        .state_mut()
        .settings
        .set_param("kmeans", "n_clusters", 3);
    harness.state_mut().command(Command::Cluster);
    run_until(&mut harness, "k = 3", |app| ready(app, 3));
    let clustering = harness.state().clustering.as_ref().unwrap();
    let slot_of = clustering.slot_of.clone();
    let labels = clustering.render_labels.as_ref().unwrap();
    assert!(labels.shared_with_compute);
    assert_eq!(
        labels.chunks.chunks[0].buffer, buffer,
        "the same buffer, rewritten by the assign pass"
    );
    let maps_before = readback_count();
    let second = harness.render().expect("render");
    assert_eq!(readback_count(), maps_before, "drawing mapped no buffer");
    // k = 2 showed colour slots 0 and 1; the stable matching keeps those for two of the
    // three new clusters and gives the third the fresh slot 2, a colour k = 2 did not have.
    let new_id = 2u32;
    assert!(slot_of.contains(&new_id));
    let color = clusterscope::app::palette::cluster_color(new_id as usize);
    let (_, _, before) = color_blob(&first, color, 12);
    let (_, _, after) = color_blob(&second, color, 12);
    assert!(
        before < 20 && after > 200,
        "colour of cluster {new_id}: {before} pixels before, {after} after"
    );
}

/// Colouring by a column draws through both renderers alike: the blob whose `z` is lowest
/// in viridis' purple, the highest in its yellow, wherever each renderer puts them.
#[test]
fn both_renderers_colour_by_a_column_on_the_continuous_map() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blobs_z.csv");
    let (_blobs_dir, blobs) = blobs_csv();
    let text = std::fs::read_to_string(&blobs).unwrap();
    let mut out = String::from("x,y,z\n");
    for (i, line) in text.lines().skip(1).enumerate() {
        // Many distinct values: a continuous column.
        out.push_str(&format!(
            "{line},{}\n",
            blob_of(i) as f64 * 10.0 + (i % 7) as f64 * 0.01
        ));
    }
    std::fs::write(&path, out).unwrap();
    let low = clusterscope::app::colour_by::viridis(0.5 / 64.0);
    let high = clusterscope::app::colour_by::viridis(63.5 / 64.0);
    let mut centroids = Vec::new();
    for renderer in [RendererChoice::Plot, RendererChoice::Gpu] {
        let mut settings = settings(renderer, BackendChoice::Cpu, 3);
        settings.set_param("kmeans", "n_clusters", 3);
        let mut harness = harness(settings, path.clone());
        run_until(&mut harness, "the table", |app| app.table.is_some());
        // Features: x and y only; z colours.
        harness.state_mut().selected_columns = vec!["x".into(), "y".into()];
        harness.state_mut().command(Command::Prepare);
        harness.state_mut().colour_by = clusterscope::app::ColourBy::Column("z".into());
        // The columns themselves as axes: no PCA sign to differ between the backends.
        harness.state_mut().axes = clusterscope::app::ScatterAxes::Columns {
            x: "x".into(),
            y: "y".into(),
        };
        run_until(&mut harness, "clustering", |app| ready(app, 3));
        harness.state_mut().command(Command::Project);
        run_until(&mut harness, "the x/y projection", |app| {
            app.projection
                .as_ref()
                .is_some_and(|p| p.axis_labels.0 == "x" && p.axis_labels.1 == "y")
                && app.prepared.as_ref().is_some_and(|f| f.points.n_cols == 2)
        });
        run_until(&mut harness, "the colour codes", |app| {
            renderer == RendererChoice::Plot || app.colour_codes_on_gpu()
        });
        let image = harness.render().expect("render");
        let (lx, ly, ln) = color_blob(&image, low, 10);
        let (hx, hy, hn) = color_blob(&image, high, 10);
        assert!(
            ln > 40 && hn > 40,
            "{renderer:?}: {ln} purple and {hn} yellow pixels"
        );
        centroids.push([lx, ly, hx, hy]);
    }
    for i in 0..4 {
        assert!(
            (centroids[0][i] - centroids[1][i]).abs() < 3.0,
            "egui_plot {:?} vs GPU {:?}",
            centroids[0],
            centroids[1]
        );
    }
}
