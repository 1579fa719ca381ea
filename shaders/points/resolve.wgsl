// Resolving splats (appended to points.wgsl): one triangle over the view; each pixel
// looks at the marks within a point's radius (points_splat.wgsl) and takes the highest
// point key (plain points) or the sums (density). The cells' border is at least the
// radius wide, so no read needs a bounds check.

@group(2) @binding(0) var<storage, read> cells: array<u32>;

// Must match points_splat.wgsl.
const DENSITY_UNIT_RESOLVE: f32 = 8.0;

@vertex
fn vs_fullscreen(@builtin(vertex_index) vertex: u32) -> @builtin(position) vec4<f32> {
    let x = f32((vertex << 1u) & 2u) * 2.0 - 1.0;
    let y = f32(vertex & 2u) * 2.0 - 1.0;
    return vec4<f32>(x, y, 0.0, 1.0);
}

fn view_pixel(position: vec4<f32>) -> vec2<i32> {
    return vec2<i32>(floor(position.xy - view.viewport_origin));
}

fn in_view(p: vec2<i32>) -> bool {
    return all(p >= vec2<i32>(0)) && all(p < vec2<i32>(view.viewport_size));
}

fn cell_index(p: vec2<i32>) -> i32 {
    let pad = i32(view.splat_pad);
    return (p.y + pad) * i32(view.splat_stride) + p.x + pad;
}

// A point's radius in pixels; marks sit at pixel centres, so a neighbour dx, dy away is
// inside the disc when dx² + dy² <= radius².
fn radius_px(noise: bool) -> f32 {
    var size = 1.0;
    if noise {
        size = 0.6;
    }
    return max(view.size_px * size * 0.5, 0.5);
}

// How far a disc reaches, within the border.
fn reach_px(radius: f32) -> i32 {
    return min(i32(floor(radius)), i32(view.splat_pad));
}

// Half the width of a disc's row `dy` pixels from its centre: |dx| <= half_width is
// inside; -1 when the row misses the disc.
fn half_width(radius: f32, dy: i32) -> i32 {
    let h2 = radius * radius - f32(dy * dy);
    let w = min(i32(floor(sqrt(max(h2, 0.0)) + 1e-4)), reach_px(radius));
    return select(-1, w, h2 >= 0.0);
}

fn premultiplied(rgb_srgb: vec3<f32>, alpha: f32) -> vec4<f32> {
    var rgb = rgb_srgb;
    if (view.flags & FLAG_SRGB) != 0u {
        rgb = to_linear(rgb);
    }
    return vec4<f32>(rgb * alpha, alpha);
}

fn take_unless_noise(best: u32, key: u32, noise_slot: u32) -> u32 {
    return select(best, max(best, key), (key & 0xffffu) != noise_slot);
}

// The same cells seen as density sums, one 16-byte load each.
@group(2) @binding(0) var<storage, read> density_cells: array<vec4<u32>>;

fn cell_sums(cell: i32) -> vec4<u32> {
    return density_cells[cell];
}

// `footprint_key` and `footprint_sum` are appended per point size (src/render/footprint.rs):
// the disc unrolled for the sizes people use, or these loops for larger points.

fn disc_key_looped(centre: i32) -> u32 {
    let stride = i32(view.splat_stride);
    let radius = radius_px(false);
    let noise_radius = radius_px(true);
    let noise_slot = view.key_slots + 1u;
    let reach = reach_px(radius);
    var best = 0u;
    for (var dy = -reach; dy <= reach; dy++) {
        let row = centre + dy * stride;
        let w = half_width(radius, dy);
        let w_noise = half_width(noise_radius, dy);
        for (var dx = -w; dx <= w; dx++) {
            let key = cells[row + dx];
            // Noise is drawn smaller: its marks count only within the noise radius.
            if abs(dx) <= w_noise {
                best = max(best, key);
            } else {
                best = take_unless_noise(best, key, noise_slot);
            }
        }
    }
    return best;
}

fn disc_sum_looped(centre: i32) -> vec4<u32> {
    let stride = i32(view.splat_stride);
    let radius = radius_px(false);
    let reach = reach_px(radius);
    var sum = vec4<u32>(0u);
    for (var dy = -reach; dy <= reach; dy++) {
        let row = centre + dy * stride;
        let w = half_width(radius, dy);
        for (var dx = -w; dx <= w; dx++) {
            sum += cell_sums(row + dx);
        }
    }
    return sum;
}

// Colours come finished from `resolved` (built on the CPU): a pixel costs its
// neighbourhood reads and one lookup.
@fragment
fn fs_resolve_points(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let here = view_pixel(position);
    if !in_view(here) {
        discard;
    }
    let best = footprint_key(cell_index(here));
    if best == 0u {
        discard;
    }
    return resolved[key_color_index(best)];
}

// Mean colour of the points within a radius, at an intensity that grows with their
// weight: 1 - exp(-count * gain).
@fragment
fn fs_resolve_density(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let here = view_pixel(position);
    if !in_view(here) {
        discard;
    }
    let sum = footprint_sum(cell_index(here));
    if sum.a == 0u {
        discard;
    }
    let total = vec4<f32>(sum);
    let rgb = total.rgb / (total.a * 255.0);
    let count = total.a / DENSITY_UNIT_RESOLVE;
    return premultiplied(rgb, (1.0 - exp(-count * view.gain)) * view.opacity);
}
