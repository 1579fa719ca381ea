// Resolving splats (appended to points.wgsl): one triangle over the view; each pixel
// looks at the marks within a point's radius (points_splat.wgsl) and takes the highest
// point key (plain points) or the sums (density).

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

fn pixel_index(p: vec2<i32>) -> i32 {
    return p.y * i32(view.viewport_size.x) + p.x;
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

fn premultiplied(rgb_srgb: vec3<f32>, alpha: f32) -> vec4<f32> {
    var rgb = rgb_srgb;
    if (view.flags & FLAG_SRGB) != 0u {
        rgb = to_linear(rgb);
    }
    return vec4<f32>(rgb * alpha, alpha);
}

@fragment
fn fs_resolve_points(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let here = view_pixel(position);
    if !in_view(here) {
        discard;
    }
    let radius = radius_px(false);
    let reach = i32(floor(radius));
    let noise_r2 = radius_px(true) * radius_px(true);
    var best = 0u;
    for (var dy = -reach; dy <= reach; dy++) {
        for (var dx = -reach; dx <= reach; dx++) {
            let p = here + vec2<i32>(dx, dy);
            let d2 = f32(dx * dx + dy * dy);
            if d2 <= radius * radius && in_view(p) {
                let key = cells[pixel_index(p)];
                if key > best && ((key & 0xffffu) != KEY_NOISE || d2 <= noise_r2) {
                    best = key;
                }
            }
        }
    }
    if best == 0u {
        discard;
    }
    let short_label = best & 0xffffu;
    var color = view.unlabeled_color;
    if short_label == KEY_NOISE {
        color = view.noise_color;
    } else if short_label < KEY_UNLABELED && short_label < view.n_colors {
        color = colors[short_label];
    }
    if (view.flags & FLAG_SELECTION) != 0u && ((best >> 16u) & 1u) == 0u {
        color = faded(color);
    }
    return premultiplied(color.rgb, color.a * view.opacity);
}

// Mean colour of the points within a radius, at an intensity that grows with their
// weight: 1 - exp(-count * gain).
@fragment
fn fs_resolve_density(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let here = view_pixel(position);
    if !in_view(here) {
        discard;
    }
    let radius = radius_px(false);
    let reach = i32(floor(radius));
    var sum = vec4<f32>(0.0);
    for (var dy = -reach; dy <= reach; dy++) {
        for (var dx = -reach; dx <= reach; dx++) {
            let p = here + vec2<i32>(dx, dy);
            if f32(dx * dx + dy * dy) <= radius * radius && in_view(p) {
                let c = pixel_index(p) * 4;
                sum += vec4<f32>(f32(cells[c]), f32(cells[c + 1]), f32(cells[c + 2]),
                    f32(cells[c + 3]));
            }
        }
    }
    if sum.a <= 0.0 {
        discard;
    }
    let rgb = sum.rgb / (sum.a * 255.0);
    let count = sum.a / DENSITY_UNIT_RESOLVE;
    return premultiplied(rgb, (1.0 - exp(-count * view.gain)) * view.opacity);
}
