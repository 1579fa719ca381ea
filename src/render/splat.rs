//! Splatting: the GPU state and passes that draw large clouds and density mode. A compute
//! pass marks the cell under each point (points/splat.wgsl); a full-view pass grows the
//! marks into discs and colours them from a table built here (points/resolve.wgsl, with
//! the disc unrolled per point size by [`ResolveShape`]).

use super::footprint::ResolveShape;
use super::point_renderer::{PointStyle, SHADER};
use super::wgpu_helpers::{entry, render_pipeline, shader_module};
use crate::gpu::wgpu;

const SPLAT_SHADER: &str = include_str!("../../shaders/points/splat.wgsl");

const RESOLVE_SHADER: &str = include_str!("../../shaders/points/resolve.wgsl");

/// Words per view pixel in the splat buffer: one for plain points, four for density.
const CELL_WORDS: u64 = 4;

/// Invocations per splat workgroup (as in points/splat.wgsl).
const SPLAT_WORKGROUP: u32 = 64;

/// Most workgroups per dispatch dimension (WebGPU's default limit).
const MAX_GROUPS_PER_DIMENSION: u32 = 65_535;

/// Colour slots a splat key can carry (16 bits), less the unlabeled and noise slots.
pub(super) const MAX_KEY_SLOTS: usize = (1 << 16) - 2;

/// Up to four words per cell, written by the splat pass and read by the resolve pass;
/// cells cover the view and a border of `pad` pixels.
pub(super) struct SplatTarget {
    pub size: [u32; 2],
    pub pad: u32,
    cells: wgpu::Buffer,
    write_group: wgpu::BindGroup,
    pub read_group: wgpu::BindGroup,
}

/// The resolve pass for one point footprint: plain points and density.
pub(super) struct ResolvePipelines {
    pub points: wgpu::RenderPipeline,
    pub density: wgpu::RenderPipeline,
}

impl ResolvePipelines {
    pub fn new(
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

/// The compute pipelines of splatting.
pub(super) struct SplatPipelines {
    points: wgpu::ComputePipeline,
    density: wgpu::ComputePipeline,
}

impl SplatPipelines {
    /// Builds the mark passes (`cs_points`, `cs_density`) on `layout`: view, batch and
    /// writable cells groups.
    pub fn new(device: &wgpu::Device, layout: &wgpu::PipelineLayout) -> Self {
        let module = shader_module(device, "points::splat", format!("{SHADER}\n{SPLAT_SHADER}"));
        let compute = |entry_point: &str| {
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry_point),
                layout: Some(layout),
                module: &module,
                entry_point: Some(entry_point),
                compilation_options: Default::default(),
                cache: None,
            })
        };
        Self {
            points: compute("cs_points"),
            density: compute("cs_density"),
        }
    }

    /// Records the splat of every batch into `target`: clear, then one mark per point.
    pub fn record(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        target: &SplatTarget,
        view_group: &wgpu::BindGroup,
        batch_groups: &[(wgpu::BindGroup, u32)],
        density: bool,
    ) {
        let words_per_pixel = if density { CELL_WORDS } else { 1 };
        encoder.clear_buffer(
            &target.cells,
            0,
            Some(target.n_cells() * words_per_pixel * 4),
        );
        let pipeline = if density { &self.density } else { &self.points };
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("points::splat"),
            timestamp_writes: None,
        });
        pass.set_bind_group(0, view_group, &[]);
        pass.set_bind_group(2, &target.write_group, &[]);
        pass.set_pipeline(pipeline);
        // Last batch first, as each batch is marked from its last row (points/splat.wgsl).
        for (group, n_rows) in batch_groups.iter().rev() {
            pass.set_bind_group(1, group, &[]);
            let groups = n_rows.div_ceil(SPLAT_WORKGROUP);
            let x = groups.clamp(1, MAX_GROUPS_PER_DIMENSION);
            pass.dispatch_workgroups(x, groups.div_ceil(x).max(1), 1);
        }
    }
}

impl SplatTarget {
    pub fn new(
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
    pub fn n_cells(&self) -> u64 {
        padded_cells(self.size, self.pad)
    }
}

pub(super) fn padded_cells(size: [u32; 2], pad: u32) -> u64 {
    (size[0] as u64 + 2 * pad as u64) * (size[1] as u64 + 2 * pad as u64)
}

/// The colour each splat key slot resolves to, premultiplied by its alpha and the
/// opacity, linear when the target is sRGB: per slot (palette colours, then unlabeled,
/// then noise) the faded colour and the colour as is, in `key_color_index` order.
pub(super) fn resolved_colors(style: &PointStyle, srgb: bool) -> Vec<[f32; 4]> {
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

/// As `faded` in points/quads.wgsl: rows outside the selection.
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
pub(super) fn priority_shift(n_points: usize) -> u32 {
    let mut shift = 0;
    while (n_points >> shift) >= 1 << 14 {
        shift += 1;
    }
    shift
}
