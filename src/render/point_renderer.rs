//! Pipelines and per-view GPU state of the point-cloud renderer.
//!
//! Small clouds are drawn as quads: round points with premultiplied alpha straight into the
//! target. Large clouds are splatted: a compute pass writes each point's footprint into
//! four words per view pixel (the last row covering a pixel wins, as blending in row order
//! would show), and one triangle over the view resolves them. On a software rasteriser
//! (lavapipe) setting up two triangles per point dominates a frame; the splat costs a few
//! stores per point instead. Density mode always splats: colour and weight sums per pixel,
//! tone-mapped, so a million overlapping points show where they pile up.

use std::collections::HashMap;
use std::num::NonZeroU64;
use std::sync::Arc;

use wgpu::util::DeviceExt;

use super::footprint::ResolveShape;
use super::point_cloud::PointCloud;
use crate::gpu::wgpu;

const SHADER: &str = include_str!("../../shaders/points.wgsl");
const SPLAT_SHADER: &str = include_str!("../../shaders/points_splat.wgsl");
const RESOLVE_SHADER: &str = include_str!("../../shaders/points_resolve.wgsl");
/// Words per view pixel in the splat buffer: one for plain points, four for density.
const CELL_WORDS: u64 = 4;
/// Invocations per splat workgroup (as in points_splat.wgsl).
const SPLAT_WORKGROUP: u32 = 64;
/// Most workgroups per dispatch dimension (WebGPU's default limit).
const MAX_GROUPS_PER_DIMENSION: u32 = 65_535;
/// From this many points, [`Rasterization::Auto`] splats.
pub const SPLAT_MIN_POINTS: usize = 100_000;

const FLAG_SELECTION: u32 = 1;
const FLAG_LABELS: u32 = 2;
const FLAG_SRGB: u32 = 4;
const FLAG_HIDDEN: u32 = 8;
/// Colour slots a splat key can carry (16 bits), less the unlabeled and noise slots.
const MAX_KEY_SLOTS: usize = (1 << 16) - 2;

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
    pub rasterization: Rasterization,
}

/// How plain (non-density) points reach the target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Rasterization {
    /// Quads below [`SPLAT_MIN_POINTS`], splats from there.
    #[default]
    Auto,
    /// Two triangles per point: soft edges, translucent points blend over each other.
    Quads,
    /// A compute pass per frame: hard edges, the last row on a pixel wins.
    Splats,
}

/// What a view draws this frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DrawKind {
    Quads,
    SplatPoints,
    SplatDensity,
}

impl DrawKind {
    fn of(request: &ViewRequest) -> Self {
        let style = &request.style;
        if style.density {
            return DrawKind::SplatDensity;
        }
        match style.rasterization {
            Rasterization::Quads => DrawKind::Quads,
            Rasterization::Splats => DrawKind::SplatPoints,
            Rasterization::Auto if request.cloud.n_points >= SPLAT_MIN_POINTS => {
                DrawKind::SplatPoints
            }
            Rasterization::Auto => DrawKind::Quads,
        }
    }
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
    /// Frames whose splat compute pass ran (the others reused the last one's pixels).
    pub splat_passes: u64,
}

#[repr(C)]
#[derive(Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
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
    priority_shift: u32,
    viewport_size: [f32; 2],
    splat_pad: u32,
    splat_stride: u32,
    key_slots: u32,
    _pad: u32,
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
    /// Bumped whenever the palette or the selection is uploaded again, so caches keyed
    /// on them never mistake a new allocation at an old address for the old contents.
    palette_generation: u64,
    selection_generation: u64,
    selection: wgpu::Buffer,
    selection_source: Option<Arc<Vec<u32>>>,
    /// Finished colours of the splat key slots, and what they were built from.
    resolved: wgpu::Buffer,
    resolved_source: Option<ResolvedSource>,
    view_group: Option<wgpu::BindGroup>,
    batch_groups: Vec<(wgpu::BindGroup, u32)>,
    splat: Option<SplatTarget>,
    /// What the splat buffer holds, so an unchanged view is not splatted again.
    splatted: Option<SplatKey>,
    /// Flags of the bound cloud (labels or not).
    flags: u32,
    /// Some resolved colour is transparent (a hidden cluster).
    hidden: bool,
    /// The footprint the resolve pass draws with.
    resolve_shape: ResolveShape,
}

/// What the resolved colour table was built from.
#[derive(Clone, PartialEq)]
struct ResolvedSource {
    palette_generation: u64,
    noise: [f32; 4],
    unlabeled: [f32; 4],
    opacity: f32,
    srgb: bool,
}

/// Up to four words per cell, written by the splat pass and read by the resolve pass;
/// cells cover the view and a border of `pad` pixels.
struct SplatTarget {
    size: [u32; 2],
    pad: u32,
    cells: wgpu::Buffer,
    write_group: wgpu::BindGroup,
    read_group: wgpu::BindGroup,
}

/// Everything a splat depends on: the cloud, the view uniform (bounds, sizes, flags,
/// colours of noise), the palette and the selection.
#[derive(Clone, PartialEq)]
struct SplatKey {
    kind: DrawKind,
    cloud: u64,
    uniform: ViewUniform,
    palette_generation: u64,
    selection_generation: Option<u64>,
}

/// Pipelines (built once) and the GPU state of each view.
pub struct PointRenderer {
    target_format: wgpu::TextureFormat,
    view_layout: wgpu::BindGroupLayout,
    batch_layout: wgpu::BindGroupLayout,
    splat_write_layout: wgpu::BindGroupLayout,
    splat_read_layout: wgpu::BindGroupLayout,
    points: wgpu::RenderPipeline,
    splat: SplatPipelines,
    resolve_layout: wgpu::PipelineLayout,
    /// Resolve pipelines per point footprint, built when a size is first drawn.
    resolve: HashMap<ResolveShape, ResolvePipelines>,
    views: HashMap<u64, ViewState>,
    pub stats: RenderStats,
}

fn storage_entry(binding: u32, visibility: wgpu::ShaderStages) -> wgpu::BindGroupLayoutEntry {
    storage_access_entry(binding, visibility, true)
}

fn storage_access_entry(
    binding: u32,
    visibility: wgpu::ShaderStages,
    read_only: bool,
) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
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

fn shader_module(device: &wgpu::Device, label: &str, source: String) -> wgpu::ShaderModule {
    device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    })
}

/// A pipeline drawing with premultiplied alpha into `target_format` (no MSAA, no depth,
/// as egui); `entry_points` are the vertex and fragment shaders.
fn render_pipeline(
    device: &wgpu::Device,
    target_format: wgpu::TextureFormat,
    label: &str,
    layout: &wgpu::PipelineLayout,
    module: &wgpu::ShaderModule,
    [vertex, fragment]: [&str; 2],
) -> wgpu::RenderPipeline {
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
                format: target_format,
                blend: Some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING),
                write_mask: wgpu::ColorWrites::ALL,
            })],
        }),
        multiview_mask: None,
        cache: None,
    })
}

/// The resolve pass for one point footprint: plain points and density.
struct ResolvePipelines {
    points: wgpu::RenderPipeline,
    density: wgpu::RenderPipeline,
}

impl ResolvePipelines {
    fn new(
        device: &wgpu::Device,
        target_format: wgpu::TextureFormat,
        layout: &wgpu::PipelineLayout,
        shape: ResolveShape,
    ) -> Self {
        let source = format!("{SHADER}\n{RESOLVE_SHADER}\n{}", shape.wgsl());
        let module = shader_module(device, "points::resolve", source);
        let pipeline = |label, fragment| {
            render_pipeline(
                device,
                target_format,
                label,
                layout,
                &module,
                ["vs_fullscreen", fragment],
            )
        };
        Self {
            points: pipeline("points::resolve", "fs_resolve_points"),
            density: pipeline("points::resolve_density", "fs_resolve_density"),
        }
    }
}

impl PointRenderer {
    /// Builds the pipelines for drawing into `target_format` (no MSAA, no depth: as egui).
    pub fn new(device: &wgpu::Device, target_format: wgpu::TextureFormat) -> Self {
        let all = wgpu::ShaderStages::VERTEX_FRAGMENT | wgpu::ShaderStages::COMPUTE;
        let points_data = wgpu::ShaderStages::VERTEX | wgpu::ShaderStages::COMPUTE;
        let view_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("points::view"),
            entries: &[
                uniform_entry(0, all),
                // Palette, selection and finished colours: the resolve pass colours
                // splatted pixels.
                storage_entry(1, all),
                storage_entry(2, all),
                storage_entry(3, all),
            ],
        });
        let batch_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("points::batch"),
            entries: &[
                uniform_entry(0, points_data),
                storage_entry(1, points_data),
                storage_entry(2, points_data),
            ],
        });
        let splat_write_layout =
            device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("points::splat"),
                entries: &[storage_access_entry(0, wgpu::ShaderStages::COMPUTE, false)],
            });
        let splat_read_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("points::resolve"),
            entries: &[storage_entry(0, wgpu::ShaderStages::FRAGMENT)],
        });
        let points_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("points"),
            bind_group_layouts: &[Some(&view_layout), Some(&batch_layout)],
            immediate_size: 0,
        });
        let splat_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("points::splat"),
            bind_group_layouts: &[
                Some(&view_layout),
                Some(&batch_layout),
                Some(&splat_write_layout),
            ],
            immediate_size: 0,
        });
        let resolve_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("points::resolve"),
            bind_group_layouts: &[Some(&view_layout), None, Some(&splat_read_layout)],
            immediate_size: 0,
        });
        let points_module = shader_module(device, "points", SHADER.to_string());
        let splat_module =
            shader_module(device, "points::splat", format!("{SHADER}\n{SPLAT_SHADER}"));
        let compute = |entry_point: &str| {
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry_point),
                layout: Some(&splat_layout),
                module: &splat_module,
                entry_point: Some(entry_point),
                compilation_options: Default::default(),
                cache: None,
            })
        };
        Self {
            target_format,
            points: render_pipeline(
                device,
                target_format,
                "points::draw",
                &points_layout,
                &points_module,
                ["vs_main", "fs_points"],
            ),
            splat: SplatPipelines {
                points: compute("cs_points"),
                density: compute("cs_density"),
            },
            resolve_layout,
            resolve: HashMap::new(),
            view_layout,
            batch_layout,
            splat_write_layout,
            splat_read_layout,
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
            state.palette_generation += 1;
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
                state.selection_generation += 1;
            }
            _ => {}
        }
        let srgb = self.target_format.is_srgb();
        let resolved_source = ResolvedSource {
            palette_generation: state.palette_generation,
            noise: style.noise_color,
            unlabeled: style.unlabeled_color,
            opacity: style.opacity,
            srgb,
        };
        if state.resolved_source.as_ref() != Some(&resolved_source) {
            let table = resolved_colors(style, srgb);
            let bytes = (table.len() * 16) as u64;
            if state.resolved.size() < bytes {
                state.resolved = buffer(device, "points::resolved", bytes.next_power_of_two());
                rebind = true;
            }
            queue.write_buffer(&state.resolved, 0, bytemuck::cast_slice(&table));
            state.hidden = table.iter().any(|c| c[3].is_nan() || c[3] <= 0.0);
            state.resolved_source = Some(resolved_source);
        }
        if rebind || state.view_group.is_none() {
            state.view_group = Some(device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("points::view"),
                layout: &self.view_layout,
                entries: &[
                    entry(0, &state.uniform),
                    entry(1, &state.colors),
                    entry(2, &state.selection),
                    entry(3, &state.resolved),
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
        let mut flags = state.flags;
        if state.hidden {
            flags |= FLAG_HIDDEN;
        }
        let uniform = view_uniform(request, flags, srgb);
        queue.write_buffer(&state.uniform, 0, bytemuck::bytes_of(&uniform));
        let kind = DrawKind::of(request);
        if kind == DrawKind::Quads {
            state.splat = None;
            state.splatted = None;
        } else {
            let key = SplatKey {
                kind,
                cloud: request.cloud.id,
                uniform,
                palette_generation: state.palette_generation,
                selection_generation: style.selection.as_ref().map(|_| state.selection_generation),
            };
            let size = [request.viewport_px[0].max(1), request.viewport_px[1].max(1)];
            let shape = ResolveShape::of_size(uniform.size_px);
            let (format, layout) = (self.target_format, &self.resolve_layout);
            self.resolve
                .entry(shape)
                .or_insert_with(|| ResolvePipelines::new(device, format, layout, shape));
            state.resolve_shape = shape;
            let pad = uniform.splat_pad;
            if state
                .splat
                .as_ref()
                .is_none_or(|t| t.size != size || t.pad != pad)
            {
                state.splat = Some(SplatTarget::new(
                    device,
                    &self.splat_write_layout,
                    &self.splat_read_layout,
                    size,
                    pad,
                ));
                state.splatted = None;
            }
            // An unchanged view (a hover, another panel repainting) keeps its pixels.
            if state.splatted.as_ref() != Some(&key) {
                self.splat.record(encoder, state, kind);
                state.splatted = Some(key);
                self.stats.splat_passes += 1;
            }
        }
        self.stats.frames += 1;
        self.stats.points_drawn += request.cloud.n_points as u64;
    }
}

/// The compute pipelines of splatting.
struct SplatPipelines {
    points: wgpu::ComputePipeline,
    density: wgpu::ComputePipeline,
}

impl SplatPipelines {
    /// Records the splat of every batch: clear, then one mark per point.
    fn record(&self, encoder: &mut wgpu::CommandEncoder, state: &ViewState, kind: DrawKind) {
        let (Some(target), Some(view_group)) = (&state.splat, &state.view_group) else {
            return;
        };
        let words_per_pixel = match kind {
            DrawKind::SplatDensity => CELL_WORDS,
            _ => 1,
        };
        encoder.clear_buffer(
            &target.cells,
            0,
            Some(target.n_cells() * words_per_pixel * 4),
        );
        let pipeline = match kind {
            DrawKind::SplatDensity => &self.density,
            _ => &self.points,
        };
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("points::splat"),
            timestamp_writes: None,
        });
        pass.set_bind_group(0, view_group, &[]);
        pass.set_bind_group(2, &target.write_group, &[]);
        pass.set_pipeline(pipeline);
        // Last batch first, as each batch is marked from its last row (points_splat.wgsl).
        for (group, n_rows) in state.batch_groups.iter().rev() {
            pass.set_bind_group(1, group, &[]);
            let groups = n_rows.div_ceil(SPLAT_WORKGROUP);
            let x = groups.clamp(1, MAX_GROUPS_PER_DIMENSION);
            pass.dispatch_workgroups(x, groups.div_ceil(x).max(1), 1);
        }
    }
}

impl PointRenderer {
    /// Draws the view into `pass`, whose viewport must already be the view's rectangle.
    pub fn paint(&self, pass: &mut wgpu::RenderPass<'_>, request: &ViewRequest) {
        let Some(state) = self.views.get(&request.view_id) else {
            return;
        };
        let Some(view_group) = &state.view_group else {
            return;
        };
        pass.set_bind_group(0, view_group, &[]);
        match (&state.splat, DrawKind::of(request)) {
            (Some(target), kind @ (DrawKind::SplatPoints | DrawKind::SplatDensity)) => {
                let Some(resolve) = self.resolve.get(&state.resolve_shape) else {
                    return;
                };
                pass.set_pipeline(match kind {
                    DrawKind::SplatDensity => &resolve.density,
                    _ => &resolve.points,
                });
                pass.set_bind_group(2, &target.read_group, &[]);
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
            palette_generation: 0,
            selection_generation: 0,
            selection: buffer(device, "points::selection", 4),
            selection_source: None,
            resolved: buffer(device, "points::resolved", 64 * 2 * 16),
            resolved_source: None,
            hidden: false,
            resolve_shape: ResolveShape::Loop,
            view_group: None,
            batch_groups: Vec::new(),
            splat: None,
            splatted: None,
            flags: 0,
        }
    }
}

impl SplatTarget {
    fn new(
        device: &wgpu::Device,
        write_layout: &wgpu::BindGroupLayout,
        read_layout: &wgpu::BindGroupLayout,
        size: [u32; 2],
        pad: u32,
    ) -> Self {
        let n_cells = padded_cells(size, pad);
        let cells = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("points::cells"),
            size: n_cells * CELL_WORDS * 4,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let group = |label, layout| {
            device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(label),
                layout,
                entries: &[entry(0, &cells)],
            })
        };
        Self {
            size,
            pad,
            write_group: group("points::splat", write_layout),
            read_group: group("points::resolve", read_layout),
            cells,
        }
    }
}

impl SplatTarget {
    fn n_cells(&self) -> u64 {
        padded_cells(self.size, self.pad)
    }
}

fn padded_cells(size: [u32; 2], pad: u32) -> u64 {
    (size[0] as u64 + 2 * pad as u64) * (size[1] as u64 + 2 * pad as u64)
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
    // As radius_px/reach_px in points_resolve.wgsl: the border holds a whole radius.
    let splat_pad = (size * 0.5).max(0.5).floor() as u32;
    let key_slots = style.colors.len().min(MAX_KEY_SLOTS) as u32;
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
        priority_shift: priority_shift(request.cloud.n_points),
        viewport_size: [
            request.viewport_px[0].max(1) as f32,
            request.viewport_px[1].max(1) as f32,
        ],
        splat_pad,
        splat_stride: request.viewport_px[0].max(1) + 2 * splat_pad,
        key_slots,
        _pad: 0,
    }
}

/// The colour each splat key slot resolves to, premultiplied by its alpha and the
/// opacity, linear when the target is sRGB: per slot (palette colours, then unlabeled,
/// then noise) the faded colour and the colour as is, in `key_color_index` order.
fn resolved_colors(style: &PointStyle, srgb: bool) -> Vec<[f32; 4]> {
    let slots = style.colors.len().min(MAX_KEY_SLOTS);
    let opacity = style.opacity.clamp(0.0, 1.0);
    let finish = |[r, g, b, a]: [f32; 4]| {
        let encode = |c: f32| if srgb { srgb_to_linear(c) } else { c };
        let alpha = a * opacity;
        [
            encode(r) * alpha,
            encode(g) * alpha,
            encode(b) * alpha,
            alpha,
        ]
    };
    style.colors[..slots]
        .iter()
        .chain([&style.unlabeled_color, &style.noise_color])
        .flat_map(|&color| [finish(faded(color)), finish(color)])
        .collect()
}

/// As `faded` in points.wgsl: rows outside the selection.
fn faded([r, g, b, a]: [f32; 4]) -> [f32; 4] {
    let mix = |c: f32| c + (0.5 - c) * 0.6;
    [mix(r), mix(g), mix(b), a * 0.25]
}

fn srgb_to_linear(c: f32) -> f32 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// Bits dropped from a row so that every row's rank fits the 14 bits of a splat key.
fn priority_shift(n_points: usize) -> u32 {
    let mut shift = 0;
    while (n_points >> shift) >= 1 << 14 {
        shift += 1;
    }
    shift
}
