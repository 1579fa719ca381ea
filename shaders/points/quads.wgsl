// Point cloud: each point becomes a screen-aligned quad (6 vertices, one instance per
// point). Positions and labels are read from the storage buffers the compute passes
// wrote; colours come from a palette indexed by label. Large clouds and density mode are
// splatted by a compute pass instead (points_splat.wgsl, points_resolve.wgsl).

struct View {
    // clip = position * scale + offset
    scale: vec2<f32>,
    offset: vec2<f32>,
    // Half the point's size in clip units (x, y), and its size in pixels.
    half_size: vec2<f32>,
    size_px: f32,
    opacity: f32,
    // Bit 0: a selection is active; bit 1: labels are bound; bit 2: sRGB target.
    flags: u32,
    n_colors: u32,
    // Top-left corner of the viewport in framebuffer pixels (tone map pass).
    viewport_origin: vec2<f32>,
    noise_color: vec4<f32>,
    unlabeled_color: vec4<f32>,
    // Density tone map: intensity = 1 - exp(-count * gain).
    gain: f32,
    // Splatting: point keys rank rows by `row >> priority_shift` (14 bits).
    priority_shift: u32,
    // The view's size in pixels (splatting).
    viewport_size: vec2<f32>,
    // Splat cells: a border of `splat_pad` pixels around the view, `splat_stride` cells a row.
    splat_pad: u32,
    splat_stride: u32,
    // Colour slots in splat keys: labels below this are palette slots; this one is the
    // unlabeled colour (also labels past the palette), the next one noise.
    key_slots: u32,
    _pad: u32,
};

struct Batch {
    first_row: u32,
    n_rows: u32,
    _pad0: u32,
    _pad1: u32,
};

const NOISE: u32 = 0xffffffffu;
const FLAG_SELECTION: u32 = 1u;
const FLAG_LABELS: u32 = 2u;
const FLAG_SRGB: u32 = 4u;
// Some colour slot is transparent (a hidden cluster): splats must skip its points.
const FLAG_HIDDEN: u32 = 8u;

@group(0) @binding(0) var<uniform> view: View;
@group(0) @binding(1) var<storage, read> colors: array<vec4<f32>>;
// One bit per row of the whole cloud.
@group(0) @binding(2) var<storage, read> selected: array<u32>;
// Splats: the finished colour of each key's slot, premultiplied in the target's encoding,
// faded (even index) and as is (odd index). See `key_color_index`.
@group(0) @binding(3) var<storage, read> resolved: array<vec4<f32>>;

@group(1) @binding(0) var<uniform> batch: Batch;
@group(1) @binding(1) var<storage, read> positions: array<vec2<f32>>;
@group(1) @binding(2) var<storage, read> labels: array<u32>;

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) color: vec4<f32>,
    @location(1) corner: vec2<f32>,
    @location(2) radius_px: f32,
};

fn to_linear(c: vec3<f32>) -> vec3<f32> {
    let low = c / 12.92;
    let high = pow((c + 0.055) / 1.055, vec3<f32>(2.4));
    return select(high, low, c <= vec3<f32>(0.04045));
}

// Outside the selection: faded, so the selected rows stand out.
fn faded(color: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(mix(color.rgb, vec3<f32>(0.5), 0.6), color.a * 0.25);
}

// Splat point keys: rank << 17 | selected << 16 | colour slot (see points_splat.wgsl).
fn key_color_index(key: u32) -> u32 {
    return ((key & 0xffffu) << 1u) | ((key >> 16u) & 1u);
}

fn point_color(row: u32, label: u32) -> vec4<f32> {
    var color = view.unlabeled_color;
    var scale = 1.0;
    if (view.flags & FLAG_LABELS) != 0u {
        if label == NOISE {
            color = view.noise_color;
        } else if label < view.n_colors {
            color = colors[label];
        }
    }
    if (view.flags & FLAG_SELECTION) != 0u {
        let bit = (selected[row / 32u] >> (row % 32u)) & 1u;
        if bit == 0u {
            color = faded(color);
        }
    }
    return color;
}

@vertex
fn vs_main(@builtin(vertex_index) vertex: u32, @builtin(instance_index) index: u32) -> VertexOut {
    var out: VertexOut;
    let row = batch.first_row + index;
    var label = 0u;
    if (view.flags & FLAG_LABELS) != 0u {
        label = labels[index];
    }
    let color = point_color(row, label);
    let p = positions[index];
    // Corners of two triangles: (-1,-1) (1,-1) (-1,1) / (-1,1) (1,-1) (1,1).
    var corners = array<vec2<f32>, 6>(
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, -1.0), vec2<f32>(-1.0, 1.0),
        vec2<f32>(-1.0, 1.0), vec2<f32>(1.0, -1.0), vec2<f32>(1.0, 1.0),
    );
    let corner = corners[vertex];
    // Noise is drawn smaller, as in the egui_plot view.
    var size = 1.0;
    if (view.flags & FLAG_LABELS) != 0u && label == NOISE {
        size = 0.6;
    }
    let center = p * view.scale + view.offset;
    // Hidden clusters (alpha 0) and non-finite positions are moved outside the clip volume.
    let visible = color.a > 0.0 && all(abs(center) < vec2<f32>(1e30));
    out.position = select(vec4<f32>(2.0, 2.0, 2.0, 1.0),
        vec4<f32>(center + corner * view.half_size * size, 0.0, 1.0), visible);
    out.color = color;
    out.corner = corner;
    out.radius_px = max(view.size_px * size * 0.5, 0.5);
    return out;
}

// Coverage of a round point with a one-pixel soft edge.
fn coverage(in: VertexOut) -> f32 {
    let r = length(in.corner);
    return clamp((1.0 - r) * in.radius_px + 0.5, 0.0, 1.0);
}

// Normal mode: premultiplied alpha over the egui frame.
@fragment
fn fs_points(in: VertexOut) -> @location(0) vec4<f32> {
    let alpha = in.color.a * view.opacity * coverage(in);
    if alpha <= 0.0 {
        discard;
    }
    var rgb = in.color.rgb;
    if (view.flags & FLAG_SRGB) != 0u {
        rgb = to_linear(rgb);
    }
    return vec4<f32>(rgb * alpha, alpha);
}
