//! The point-cloud renderer: pipelines and the GPU state of each view.
//!
//! Small clouds are drawn as quads: round points with premultiplied alpha straight into the
//! target. Large clouds, and density mode, are splatted ([`super::splat`]): a compute pass
//! marks the cell under each point (the latest row on a pixel wins, as drawing in row order
//! would show; density sums colour and weight) and one triangle over the view grows the
//! marks into discs. On a software rasteriser (lavapipe) setting up two triangles per
//! point dominates a frame; a splat costs one store per point and a few reads per pixel.

use std::collections::HashMap;
use std::sync::Arc;

use wgpu::util::DeviceExt;

use super::footprint::ResolveShape;
use super::point_cloud::PointCloud;
use super::splat::{
    MAX_KEY_SLOTS, ResolvePipelines, SplatPipelines, SplatTarget, priority_shift, resolved_colors,
};
use super::wgpu_helpers::{
    buffer, entry, range_entry, render_pipeline, shader_module, storage_access_entry,
    storage_entry, uniform_entry,
};
use crate::gpu::wgpu;

pub(super) const SHADER: &str = include_str!("../../shaders/points/quads.wgsl");
/// From this many points, [`Rasterization::Auto`] splats.
pub const SPLAT_MIN_POINTS: usize = 100_000;

const FLAG_SELECTION: u32 = 1;
const FLAG_LABELS: u32 = 2;
const FLAG_SRGB: u32 = 4;
const FLAG_HIDDEN: u32 = 8;
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

/// Keep in sync with `View` in `shaders/points/quads.wgsl`.
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

const _: () = assert!(std::mem::size_of::<ViewUniform>() == 112);

/// Keep in sync with `Batch` in `shaders/points/quads.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct BatchUniform {
    first_row: u32,
    n_rows: u32,
    _pad: [u32; 2],
}

const _: () = assert!(std::mem::size_of::<BatchUniform>() == 16);

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
            splat: SplatPipelines::new(device, &splat_layout),
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
                if let (Some(target), Some(view_group)) = (&state.splat, &state.view_group) {
                    let density = kind == DrawKind::SplatDensity;
                    self.splat
                        .record(encoder, target, view_group, &state.batch_groups, density);
                }
                state.splatted = Some(key);
                self.stats.splat_passes += 1;
            }
        }
        self.stats.frames += 1;
        self.stats.points_drawn += request.cloud.n_points as u64;
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
    // As radius_px/reach_px in points/resolve.wgsl: the border holds a whole radius.
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
