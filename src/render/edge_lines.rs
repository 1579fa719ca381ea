//! Graph edges drawn as lines on the GPU: the edge list is uploaded once per graph, the
//! node positions once per layout update, and a frame is one draw of two vertices per edge
//! (the Graph pane's edges; a million edges are one buffer of 8 MB).

use std::collections::HashMap;
use std::sync::Arc;

use super::wgpu_helpers::{buffer, entry, shader_module, storage_entry, uniform_entry};
use crate::gpu::wgpu;

const SHADER: &str = include_str!("../../shaders/points/edge_lines.wgsl");

/// One frame of one edge view.
#[derive(Clone, Debug)]
pub struct EdgeRequest {
    /// Views keep their buffers between frames under this id.
    pub view_id: u64,
    /// One position per node.
    pub positions: Arc<Vec<[f32; 2]>>,
    /// Node ids, two per edge.
    pub ends: Arc<Vec<u32>>,
    /// sRGB-encoded RGBA in 0..=1, straight alpha; the same for every edge.
    pub colour: [f32; 4],
    /// Data coordinates at the view's edges: [x_min, y_min, x_max, y_max].
    pub bounds: [f64; 4],
}

/// Keep in sync with `View` in `shaders/points/edge_lines.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ViewUniform {
    scale: [f32; 2],
    offset: [f32; 2],
    colour: [f32; 4],
}

/// What one view has on the GPU. The request's vectors are kept so a new upload is told
/// apart by identity (a freed vector's address could come back).
struct ViewState {
    positions: Arc<Vec<[f32; 2]>>,
    ends: Arc<Vec<u32>>,
    positions_buffer: wgpu::Buffer,
    uniform: wgpu::Buffer,
    group: wgpu::BindGroup,
    /// Edges drawn: all of them unless the list passes the device's binding limit.
    n_edges: u32,
}

/// The pipeline and the GPU state of each edge view.
pub struct EdgeRenderer {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    srgb: bool,
    views: HashMap<u64, ViewState>,
    /// Edge-list uploads so far (tests: moving nodes must not re-upload the edges).
    pub edge_uploads: u64,
}

impl EdgeRenderer {
    pub fn new(device: &wgpu::Device, target_format: wgpu::TextureFormat) -> Self {
        let module = shader_module(device, "edges::lines", SHADER.to_string());
        let stages = wgpu::ShaderStages::VERTEX | wgpu::ShaderStages::FRAGMENT;
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("edges::layout"),
            entries: &[
                uniform_entry(0, stages),
                storage_entry(1, wgpu::ShaderStages::VERTEX),
                storage_entry(2, wgpu::ShaderStages::VERTEX),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("edges::pipeline_layout"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("edges::pipeline"),
            layout: Some(&pipeline_layout),
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            primitive: wgpu::PrimitiveState {
                topology: wgpu::PrimitiveTopology::LineList,
                ..Default::default()
            },
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("fs_main"),
                compilation_options: Default::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format: target_format,
                    blend: Some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING),
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            multiview_mask: None,
            cache: None,
        });
        Self {
            pipeline,
            layout,
            srgb: target_format.is_srgb(),
            views: HashMap::new(),
            edge_uploads: 0,
        }
    }

    /// Brings the view's buffers up to date with `request`. Call once per frame before
    /// [`Self::paint`].
    pub fn prepare(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, request: &EdgeRequest) {
        let limit = device.limits().max_storage_buffer_binding_size as usize;
        let n_edges = (request.ends.len() / 2).min(limit / 8);
        let fresh = match self.views.get(&request.view_id) {
            Some(state) => {
                state.positions.len() != request.positions.len()
                    || !Arc::ptr_eq(&state.ends, &request.ends)
            }
            None => true,
        };
        if fresh {
            let positions_buffer = buffer(
                device,
                "edges::positions",
                (request.positions.len() * 8) as u64,
            );
            let ends_buffer = buffer(device, "edges::ends", (n_edges * 8) as u64);
            queue.write_buffer(
                &ends_buffer,
                0,
                bytemuck::cast_slice(&request.ends[..n_edges * 2]),
            );
            self.edge_uploads += 1;
            let uniform = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("edges::view"),
                size: std::mem::size_of::<ViewUniform>() as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("edges::group"),
                layout: &self.layout,
                entries: &[
                    entry(0, &uniform),
                    entry(1, &positions_buffer),
                    entry(2, &ends_buffer),
                ],
            });
            queue.write_buffer(
                &positions_buffer,
                0,
                bytemuck::cast_slice(&request.positions),
            );
            self.views.insert(
                request.view_id,
                ViewState {
                    positions: Arc::clone(&request.positions),
                    ends: Arc::clone(&request.ends),
                    positions_buffer,
                    uniform,
                    group,
                    n_edges: n_edges as u32,
                },
            );
        }
        let Some(state) = self.views.get_mut(&request.view_id) else {
            return;
        };
        if !Arc::ptr_eq(&state.positions, &request.positions) {
            queue.write_buffer(
                &state.positions_buffer,
                0,
                bytemuck::cast_slice(&request.positions),
            );
            state.positions = Arc::clone(&request.positions);
        }
        queue.write_buffer(
            &state.uniform,
            0,
            bytemuck::bytes_of(&view_uniform(request, self.srgb)),
        );
    }

    /// Draws the view into `pass`, whose viewport must already be the view's rectangle.
    pub fn paint(&self, pass: &mut wgpu::RenderPass<'_>, request: &EdgeRequest) {
        let Some(state) = self.views.get(&request.view_id) else {
            return;
        };
        if state.n_edges == 0 {
            return;
        }
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &state.group, &[]);
        pass.draw(0..state.n_edges * 2, 0..1);
    }
}

fn view_uniform(request: &EdgeRequest, srgb: bool) -> ViewUniform {
    let [x_min, y_min, x_max, y_max] = request.bounds;
    let span = |low: f64, high: f64| if high > low { high - low } else { 1.0 };
    let scale = [2.0 / span(x_min, x_max), 2.0 / span(y_min, y_max)];
    let offset = [-x_min * scale[0] - 1.0, -y_min * scale[1] - 1.0];
    let [r, g, b, a] = request.colour;
    let encode = |c: f32| if srgb { srgb_to_linear(c) } else { c };
    let a = a.clamp(0.0, 1.0);
    ViewUniform {
        scale: [scale[0] as f32, scale[1] as f32],
        offset: [offset[0] as f32, offset[1] as f32],
        colour: [encode(r) * a, encode(g) * a, encode(b) * a, a],
    }
}

fn srgb_to_linear(c: f32) -> f32 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}
