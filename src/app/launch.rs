//! Opening the window: eframe with its wgpu renderer, whose device the engine and the
//! point renderer share. The only place in the window that sees eframe's wgpu objects.

use std::path::PathBuf;

use eframe::egui;

use super::{ClusterscopeApp, Settings, demo_table_path};
use crate::cluster::Engine;
use crate::gpu::GpuContext;
use crate::render::RenderDevice;

/// Opens the window on `path` (or the demo table) and runs until it is closed.
pub fn run_window(path: Option<PathBuf>, attach: Option<PathBuf>) -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        renderer: eframe::Renderer::Wgpu,
        viewport: egui::ViewportBuilder::default()
            .with_title("Clusterscope")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([720.0, 480.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    // Without a file: the demo table, with the last session offered.
    let offer_last_session = path.is_none();
    let path = path.unwrap_or_else(demo_table_path);
    eframe::run_native(
        "Clusterscope",
        options,
        Box::new(move |cc| {
            let settings: Settings = cc
                .storage
                .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
                .unwrap_or_default();
            let layout = cc
                .storage
                .and_then(|s| eframe::get_value(s, super::LAYOUT_KEY));
            let (engine, render_device) = match &cc.wgpu_render_state {
                Some(render_state) => {
                    crate::render::install(render_state);
                    let gpu = GpuContext::from_device(
                        render_state.device.clone(),
                        render_state.queue.clone(),
                        render_state.adapter.get_info(),
                    );
                    (Engine::with_gpu(gpu), Some(RenderDevice::new(render_state)))
                }
                None => (Engine::cpu_only("the window has no wgpu renderer"), None),
            };
            let last_session = settings
                .last_session
                .clone()
                .filter(|p| offer_last_session && p.is_file());
            let mut app = ClusterscopeApp::new(
                cc.egui_ctx.clone(),
                engine,
                render_device,
                settings,
                Some(path),
            );
            app.offer_session = last_session;
            app.attach_after_load = attach;
            if let Some(layout) = layout {
                app.set_layout(layout);
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}
