//! Pipelines and per-view GPU state of the point-cloud renderer.
//!
//! Normal mode draws round points with premultiplied alpha straight into the target.
//! Density mode first adds every point's colour and a count of one into a float texture
//! the size of the view, then tone-maps it into the target, so a million overlapping
//! points show where they pile up instead of a solid blob.

use std::collections::HashMap;
use std::num::NonZeroU64;
use std::sync::Arc;

use wgpu::util::DeviceExt;

use super::point_cloud::PointCloud;
use crate::gpu::wgpu;

const SHADER: &str = include_str!("../../shaders/points.wgsl");
const TONEMAP_SHADER: &str = include_str!("../../shaders/points_tonemap.wgsl");
const ACCUMULATION_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba16Float;

const FLAG_SELECTION: u32 = 1;
const FLAG_LABELS: u32 = 2;
const FLAG_SRGB: u32 = 4;

/// How points look. Colours are sRGB-encoded RGBA in 0..=1, one per label id; alpha 0
/// hides a cluster.
#[derive(Clone, Debug)]
pub struct PointStyle {
    pub point_size_px: f32,
    pub opacity: f32,
    pub density: bool,
    /// Density tone map: intensity = 1 - exp(-count * gain).
    pub gain: f32,
    pub colors: Arc<Vec<[f32; 4]>>,
    pub noise_color: [f32; 4],
    pub unlabeled_color: [f32; 4],
    /// One bit per row (bit `row % 32` of word `row / 32`); rows outside are faded.
    pub selection: Option<Arc<Vec<u32>>>,
}

/// One view to draw: which cloud, how, and where.
#[derive(Clone, Debug)]
pub struct ViewRequest {
    /// Views keep GPU state between frames under this id.
    pub view_id: u64,
    pub cloud: Arc<PointCloud>,
    pub style: PointStyle,
    /// Data coordinates at the view's edges: [x_min, y_min, x_max, y_max].
    pub bounds: [f64; 4],
    /// Size of the view in physical pixels.
    pub viewport_px: [u32; 2],
    /// Top-left corner of the view in the target, in physical pixels.
    pub viewport_origin_px: [f32; 2],
}

/// Counters for tests and benchmarks.
#[derive(Clone, Copy, Debug, Default)]
pub struct RenderStats {
    pub frames: u64,
    pub points_drawn: u64,
    /// Bind groups rebuilt because a new cloud (new buffers) was given.
    pub cloud_rebinds: u64,
    /// Palette uploads (a few hundred bytes each).
    pub color_uploads: u64,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ViewUniform {
    scale: [f32; 2],
    offset: [f32; 2],
    half_size: [f32; 2],
    size_px: f32,
    opacity: f32,
    flags: u32,
    n_colors: u32,
    viewport_origin: [f32; 2],
    noise_color: [f32; 4],
    unlabeled_color: [f32; 4],
    gain: f32,
    _pad: [f32; 3],
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct BatchUniform {
    first_row: u32,
    n_rows: u32,
    _pad: [u32; 2],
}

struct ViewState {
    cloud: Option<Arc<PointCloud>>,
    uniform: wgpu::Buffer,
    colors: wgpu::Buffer,
    colors_source: Option<Arc<Vec<[f32; 4]>>>,
    selection: wgpu::Buffer,
    selection_source: Option<Arc<Vec<u32>>>,
    view_group: Option<wgpu::BindGroup>,
    batch_groups: Vec<(wgpu::BindGroup, u32)>,
    accumulation: Option<Accumulation>,
    flags: u32,
}

struct Accumulation {
    size: [u32; 2],
    view: wgpu::TextureView,
    group: wgpu::BindGroup,
}

/// Pipelines (built once) and the GPU state of each view.
pub struct PointRenderer {
    target_format: wgpu::TextureFormat,
    view_layout: wgpu::BindGroupLayout,
    batch_layout: wgpu::BindGroupLayout,
    texture_layout: wgpu::BindGroupLayout,
    points: wgpu::RenderPipeline,
    accumulate: wgpu::RenderPipeline,
    tonemap: wgpu::RenderPipeline,
    views: HashMap<u64, ViewState>,
    pub stats: RenderStats,
}

fn storage_entry(binding: u32, visibility: wgpu::ShaderStages) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only: true },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

fn uniform_entry(binding: u32, visibility: wgpu::ShaderStages) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

fn premultiplied_blend() -> wgpu::BlendState {
    wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING
}

fn additive_blend() -> wgpu::BlendState {
    let add = wgpu::BlendComponent {
        src_factor: wgpu::BlendFactor::One,
        dst_factor: wgpu::BlendFactor::One,
        operation: wgpu::BlendOperation::Add,
    };
    wgpu::BlendState {
        color: add,
        alpha: add,
    }
}

impl PointRenderer {
    /// Builds the pipelines for drawing into `target_format` (no MSAA, no depth: as egui).
    pub fn new(device: &wgpu::Device, target_format: wgpu::TextureFormat) -> Self {
        let both = wgpu::ShaderStages::VERTEX | wgpu::ShaderStages::FRAGMENT;
        let view_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("points::view"),
            entries: &[
                uniform_entry(0, both),
                storage_entry(1, wgpu::ShaderStages::VERTEX),
                storage_entry(2, wgpu::ShaderStages::VERTEX),
            ],
        });
        let batch_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("points::batch"),
            entries: &[
                uniform_entry(0, wgpu::ShaderStages::VERTEX),
                storage_entry(1, wgpu::ShaderStages::VERTEX),
                storage_entry(2, wgpu::ShaderStages::VERTEX),
            ],
        });
        let texture_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("points::accumulated"),
            entries: &[wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Texture {
                    sample_type: wgpu::TextureSampleType::Float { filterable: false },
                    view_dimension: wgpu::TextureViewDimension::D2,
                    multisampled: false,
                },
                count: None,
            }],
        });
        let points_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("points"),
            bind_group_layouts: &[Some(&view_layout), Some(&batch_layout)],
            immediate_size: 0,
        });
        let tonemap_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("points::tonemap"),
            bind_group_layouts: &[Some(&view_layout), None, Some(&texture_layout)],
            immediate_size: 0,
        });
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("points"),
            source: wgpu::ShaderSource::Wgsl(SHADER.into()),
        });
        let tonemap_module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("points::tonemap"),
            source: wgpu::ShaderSource::Wgsl(format!("{SHADER}\n{TONEMAP_SHADER}").into()),
        });
        let pipeline = |label: &str,
                        layout: &wgpu::PipelineLayout,
                        module: &wgpu::ShaderModule,
                        vertex: &str,
                        fragment: &str,
                        format: wgpu::TextureFormat,
                        blend: wgpu::BlendState| {
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(label),
                layout: Some(layout),
                vertex: wgpu::VertexState {
                    module,
                    entry_point: Some(vertex),
                    compilation_options: Default::default(),
                    buffers: &[],
                },
                primitive: wgpu::PrimitiveState::default(),
                depth_stencil: None,
                multisample: wgpu::MultisampleState::default(),
                fragment: Some(wgpu::FragmentState {
                    module,
                    entry_point: Some(fragment),
                    compilation_options: Default::default(),
                    targets: &[Some(wgpu::ColorTargetState {
                        format,
                        blend: Some(blend),
                        write_mask: wgpu::ColorWrites::ALL,
                    })],
                }),
                multiview_mask: None,
                cache: None,
            })
        };
        let points = pipeline(
            "points::draw",
            &points_layout,
            &module,
            "vs_main",
            "fs_points",
            target_format,
            premultiplied_blend(),
        );
        let accumulate = pipeline(
            "points::accumulate",
            &points_layout,
            &module,
            "vs_main",
            "fs_accumulate",
            ACCUMULATION_FORMAT,
            additive_blend(),
        );
        let tonemap = pipeline(
            "points::tonemap",
            &tonemap_layout,
            &tonemap_module,
            "vs_fullscreen",
            "fs_tonemap",
            target_format,
            premultiplied_blend(),
        );
        Self {
            target_format,
            view_layout,
            batch_layout,
            texture_layout,
            points,
            accumulate,
            tonemap,
            views: HashMap::new(),
            stats: RenderStats::default(),
        }
    }

    /// Brings the view's GPU state up to date with `request` and, in density mode, records
    /// the accumulation pass into `encoder`. Call once per frame before [`Self::paint`].
    pub fn prepare(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        request: &ViewRequest,
    ) {
        let state = self
            .views
            .entry(request.view_id)
            .or_insert_with(|| ViewState::new(device));
        let style = &request.style;
        let mut rebind = false;
        // Colours: re-uploaded only when the palette (an Arc) changes.
        if !state
            .colors_source
            .as_ref()
            .is_some_and(|c| Arc::ptr_eq(c, &style.colors))
        {
            let bytes = (style.colors.len().max(1) * 16) as u64;
            if state.colors.size() < bytes {
                state.colors = buffer(device, "points::colors", bytes.next_power_of_two());
                rebind = true;
            }
            if !style.colors.is_empty() {
                queue.write_buffer(&state.colors, 0, bytemuck::cast_slice(&style.colors));
            }
            state.colors_source = Some(Arc::clone(&style.colors));
            self.stats.color_uploads += 1;
        }
        match &style.selection {
            Some(bits)
                if !state
                    .selection_source
                    .as_ref()
                    .is_some_and(|s| Arc::ptr_eq(s, bits)) =>
            {
                let bytes = (bits.len().max(1) * 4) as u64;
                if state.selection.size() < bytes {
                    state.selection = buffer(device, "points::selection", bytes);
                    rebind = true;
                }
                if !bits.is_empty() {
                    queue.write_buffer(&state.selection, 0, bytemuck::cast_slice(bits));
                }
                state.selection_source = Some(Arc::clone(bits));
            }
            _ => {}
        }
        if rebind || state.view_group.is_none() {
            state.view_group = Some(device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("points::view"),
                layout: &self.view_layout,
                entries: &[
                    entry(0, &state.uniform),
                    entry(1, &state.colors),
                    entry(2, &state.selection),
                ],
            }));
        }
        if !state
            .cloud
            .as_ref()
            .is_some_and(|c| Arc::ptr_eq(c, &request.cloud))
        {
            state.batch_groups = batch_groups(device, &self.batch_layout, &request.cloud);
            state.flags = if request.cloud.batches.iter().all(|b| b.labels.is_some()) {
                FLAG_LABELS
            } else {
                0
            };
            state.cloud = Some(Arc::clone(&request.cloud));
            self.stats.cloud_rebinds += 1;
        }
        let uniform = view_uniform(request, state.flags, self.target_format.is_srgb());
        queue.write_buffer(&state.uniform, 0, bytemuck::bytes_of(&uniform));
        if style.density {
            let size = [request.viewport_px[0].max(1), request.viewport_px[1].max(1)];
            if state.accumulation.as_ref().is_none_or(|a| a.size != size) {
                state.accumulation = Some(Accumulation::new(device, &self.texture_layout, size));
            }
            let accumulation = state.accumulation.as_ref().expect("just made");
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("points::accumulate"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: &accumulation.view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color::TRANSPARENT),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                ..Default::default()
            });
            pass.set_pipeline(&self.accumulate);
            pass.set_bind_group(0, state.view_group.as_ref(), &[]);
            for (group, n_rows) in &state.batch_groups {
                pass.set_bind_group(1, group, &[]);
                pass.draw(0..6, 0..*n_rows);
            }
        } else {
            state.accumulation = None;
        }
        self.stats.frames += 1;
        self.stats.points_drawn += request.cloud.n_points as u64;
    }

    /// Draws the view into `pass`, whose viewport must already be the view's rectangle.
    pub fn paint(&self, pass: &mut wgpu::RenderPass<'_>, request: &ViewRequest) {
        let Some(state) = self.views.get(&request.view_id) else {
            return;
        };
        let Some(view_group) = &state.view_group else {
            return;
        };
        pass.set_bind_group(0, view_group, &[]);
        match (&state.accumulation, request.style.density) {
            (Some(accumulation), true) => {
                pass.set_pipeline(&self.tonemap);
                pass.set_bind_group(2, &accumulation.group, &[]);
                pass.draw(0..3, 0..1);
            }
            _ => {
                pass.set_pipeline(&self.points);
                for (group, n_rows) in &state.batch_groups {
                    pass.set_bind_group(1, group, &[]);
                    pass.draw(0..6, 0..*n_rows);
                }
            }
        }
    }

    /// Forgets a view's GPU state (its window closed, its data went away).
    pub fn forget(&mut self, view_id: u64) {
        self.views.remove(&view_id);
    }
}

impl ViewState {
    fn new(device: &wgpu::Device) -> Self {
        Self {
            cloud: None,
            uniform: device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("points::view"),
                size: std::mem::size_of::<ViewUniform>() as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
            colors: buffer(device, "points::colors", 64 * 16),
            colors_source: None,
            selection: buffer(device, "points::selection", 4),
            selection_source: None,
            view_group: None,
            batch_groups: Vec::new(),
            accumulation: None,
            flags: 0,
        }
    }
}

impl Accumulation {
    fn new(device: &wgpu::Device, layout: &wgpu::BindGroupLayout, size: [u32; 2]) -> Self {
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("points::accumulation"),
            size: wgpu::Extent3d {
                width: size[0],
                height: size[1],
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: ACCUMULATION_FORMAT,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING,
            view_formats: &[],
        });
        let view = texture.create_view(&Default::default());
        let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("points::accumulated"),
            layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::TextureView(&view),
            }],
        });
        Self { size, view, group }
    }
}

fn buffer(device: &wgpu::Device, label: &str, size: u64) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: size.max(4),
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

fn entry(binding: u32, buffer: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding,
        resource: buffer.as_entire_binding(),
    }
}

fn range_entry(
    binding: u32,
    buffer: &wgpu::Buffer,
    offset: u64,
    size: u64,
) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding,
        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer,
            offset,
            size: NonZeroU64::new(size.max(4)),
        }),
    }
}

fn batch_groups(
    device: &wgpu::Device,
    layout: &wgpu::BindGroupLayout,
    cloud: &PointCloud,
) -> Vec<(wgpu::BindGroup, u32)> {
    cloud
        .batches
        .iter()
        .map(|batch| {
            let uniform = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("points::batch"),
                contents: bytemuck::bytes_of(&BatchUniform {
                    first_row: batch.first_row,
                    n_rows: batch.n_rows,
                    _pad: [0; 2],
                }),
                usage: wgpu::BufferUsages::UNIFORM,
            });
            let n = batch.n_rows as u64;
            let (positions, positions_offset) = &batch.positions;
            // Unlabelled clouds bind the positions again; the shader does not read them as labels.
            let (labels, labels_offset) = batch
                .labels
                .as_ref()
                .map_or((positions, *positions_offset), |(b, o)| (b, *o));
            let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("points::batch"),
                layout,
                entries: &[
                    entry(0, &uniform),
                    range_entry(1, positions, *positions_offset, n * 8),
                    range_entry(2, labels, labels_offset, n * 4),
                ],
            });
            (group, batch.n_rows)
        })
        .collect()
}

fn view_uniform(request: &ViewRequest, cloud_flags: u32, srgb: bool) -> ViewUniform {
    let [x_min, y_min, x_max, y_max] = request.bounds;
    let span = |low: f64, high: f64| if high > low { high - low } else { 1.0 };
    let scale = [2.0 / span(x_min, x_max), 2.0 / span(y_min, y_max)];
    let offset = [-x_min * scale[0] - 1.0, -y_min * scale[1] - 1.0];
    let style = &request.style;
    let size = style.point_size_px.max(1.0);
    let mut flags = cloud_flags;
    if style.selection.is_some() {
        flags |= FLAG_SELECTION;
    }
    if srgb {
        flags |= FLAG_SRGB;
    }
    ViewUniform {
        scale: [scale[0] as f32, scale[1] as f32],
        offset: [offset[0] as f32, offset[1] as f32],
        half_size: [
            size / request.viewport_px[0].max(1) as f32,
            size / request.viewport_px[1].max(1) as f32,
        ],
        size_px: size,
        opacity: style.opacity.clamp(0.0, 1.0),
        flags,
        n_colors: style.colors.len() as u32,
        viewport_origin: request.viewport_origin_px,
        noise_color: style.noise_color,
        unlabeled_color: style.unlabeled_color,
        gain: style.gain.max(1e-6),
        _pad: [0.0; 3],
    }
}
