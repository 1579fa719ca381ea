//! The egui side: a paint callback that hands one view to the [`PointRenderer`] kept in
//! egui-wgpu's callback resources (rerun's pattern: pipelines built once, per-frame data
//! carried by the callback).

use eframe::egui_wgpu;

use super::edge_lines::{EdgeRenderer, EdgeRequest};
use super::{PointRenderer, ViewRequest};
use crate::gpu::wgpu;

/// One frame of one point view.
pub struct PointCloudCallback {
    pub request: ViewRequest,
}

impl egui_wgpu::CallbackTrait for PointCloudCallback {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen: &egui_wgpu::ScreenDescriptor,
        encoder: &mut wgpu::CommandEncoder,
        resources: &mut egui_wgpu::CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        if let Some(renderer) = resources.get_mut::<PointRenderer>() {
            renderer.prepare(device, queue, encoder, &self.request);
        }
        Vec::new()
    }

    fn paint(
        &self,
        _info: eframe::egui::PaintCallbackInfo,
        pass: &mut wgpu::RenderPass<'static>,
        resources: &egui_wgpu::CallbackResources,
    ) {
        if let Some(renderer) = resources.get::<PointRenderer>() {
            renderer.paint(pass, &self.request);
        }
    }
}

/// One frame of one graph's edges.
pub struct EdgeLinesCallback {
    pub request: EdgeRequest,
}

impl egui_wgpu::CallbackTrait for EdgeLinesCallback {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen: &egui_wgpu::ScreenDescriptor,
        _encoder: &mut wgpu::CommandEncoder,
        resources: &mut egui_wgpu::CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        if let Some(renderer) = resources.get_mut::<EdgeRenderer>() {
            renderer.prepare(device, queue, &self.request);
        }
        Vec::new()
    }

    fn paint(
        &self,
        _info: eframe::egui::PaintCallbackInfo,
        pass: &mut wgpu::RenderPass<'static>,
        resources: &egui_wgpu::CallbackResources,
    ) {
        if let Some(renderer) = resources.get::<EdgeRenderer>() {
            renderer.paint(pass, &self.request);
        }
    }
}

impl EdgeLinesCallback {
    /// The paint callback as a shape for `rect`.
    pub fn shape(self, rect: eframe::egui::Rect) -> eframe::egui::Shape {
        egui_wgpu::Callback::new_paint_callback(rect, self).into()
    }
}

/// Builds the renderers for eframe's (or a test's) render state and stores them where the
/// paint callbacks find them.
pub fn install(render_state: &egui_wgpu::RenderState) {
    let points = PointRenderer::new(&render_state.device, render_state.target_format);
    let edges = EdgeRenderer::new(&render_state.device, render_state.target_format);
    let mut renderer = render_state.renderer.write();
    renderer.callback_resources.insert(points);
    renderer.callback_resources.insert(edges);
}

impl PointCloudCallback {
    /// The paint callback as a shape for `rect` (the window adds it to its painter).
    pub fn shape(self, rect: eframe::egui::Rect) -> eframe::egui::Shape {
        egui_wgpu::Callback::new_paint_callback(rect, self).into()
    }
}

/// The window's render device, as the worker sees it: uploads of positions and labels for
/// the point renderer, without the window holding wgpu objects.
#[derive(Clone)]
pub struct RenderDevice {
    device: wgpu::Device,
}

impl RenderDevice {
    /// The device of eframe's (or a test's) render state.
    pub fn new(render_state: &egui_wgpu::RenderState) -> Self {
        Self {
            device: render_state.device.clone(),
        }
    }

    /// Uploads 2-D positions.
    pub fn upload_positions(&self, positions: &[[f32; 2]]) -> crate::gpu::RowChunks {
        crate::gpu::upload_positions(&self.device, positions)
    }

    /// Uploads one label per row.
    pub fn upload_labels(&self, labels: &[u32]) -> crate::gpu::RowChunks {
        crate::gpu::upload_u32_rows(&self.device, "points::labels", labels)
    }

    /// True when `gpu` computes on this device, so its buffers can be drawn directly.
    pub fn is_device_of(&self, gpu: &crate::gpu::GpuContext) -> bool {
        gpu.device == self.device
    }
}
