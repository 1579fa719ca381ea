// Splatting (appended to points.wgsl): for large clouds and density mode, a compute pass
// marks the pixel under each point's centre; a full-view triangle then grows every mark
// into the point's disc while resolving the pixels (points_resolve.wgsl). A software
// rasteriser spends far more on setting up two tiny triangles per point, or on looping
// over each point's footprint, than on one store per point and a neighbourhood read per
// pixel.
//
// Plain points: one word per pixel, the highest point key landing there (see
// `point_key`); density: four words per pixel, [r, g, b, weight] sums.

@group(2) @binding(0) var<storage, read_write> cells: array<atomic<u32>>;

// Density weights are fixed point: 8 per fully opaque point.
const DENSITY_UNIT: f32 = 8.0;

struct Mark {
    // Row-major pixel index in the view.
    pixel: u32,
    row: u32,
    label: u32,
    color: vec4<f32>,
    visible: bool,
};

fn mark(gid: vec3<u32>, groups: vec3<u32>) -> Mark {
    var m: Mark;
    m.visible = false;
    let index = gid.y * groups.x * 64u + gid.x;
    if index >= batch.n_rows {
        return m;
    }
    m.row = batch.first_row + index;
    m.label = 0u;
    if (view.flags & FLAG_LABELS) != 0u {
        m.label = labels[index];
    }
    m.color = point_color(m.row, m.label);
    let clip = positions[index] * view.scale + view.offset;
    if !(m.color.a > 0.0) || !all(abs(clip) < vec2<f32>(1e30)) {
        return m;
    }
    let size = view.viewport_size;
    let pixel = floor(vec2<f32>((clip.x + 1.0) * 0.5 * size.x, (1.0 - clip.y) * 0.5 * size.y));
    // Centres off the view are not marked; their discs' edges inside it are lost (at most
    // the radius, a pixel or two).
    if any(pixel < vec2<f32>(0.0)) || any(pixel >= size) {
        return m;
    }
    m.pixel = u32(pixel.y) * u32(size.x) + u32(pixel.x);
    m.visible = true;
    return m;
}

// Plain points: one u32 per point that orders them as drawing in row order would (later
// rows on top, by the top 14 bits of the row), selected points above unselected ones of
// the same rank, and carries the label so the resolve pass can colour the pixel.
fn point_key(row: u32, label: u32) -> u32 {
    let rank = (row >> view.priority_shift) + 1u;
    var selected = 1u;
    if (view.flags & FLAG_SELECTION) != 0u {
        selected = (selected_bits_word(row) >> (row % 32u)) & 1u;
    }
    var short_label = KEY_UNLABELED;
    if (view.flags & FLAG_LABELS) != 0u {
        if label == NOISE {
            short_label = KEY_NOISE;
        } else {
            short_label = min(label, KEY_UNLABELED);
        }
    }
    return (rank << 17u) | (selected << 16u) | short_label;
}

fn selected_bits_word(row: u32) -> u32 {
    return selected[row / 32u];
}

@compute @workgroup_size(64)
fn cs_points(@builtin(global_invocation_id) gid: vec3<u32>,
             @builtin(num_workgroups) groups: vec3<u32>) {
    let m = mark(gid, groups);
    if m.visible {
        atomicMax(&cells[m.pixel], point_key(m.row, m.label));
    }
}

@compute @workgroup_size(64)
fn cs_density(@builtin(global_invocation_id) gid: vec3<u32>,
              @builtin(num_workgroups) groups: vec3<u32>) {
    let m = mark(gid, groups);
    if !m.visible {
        return;
    }
    let weight = u32(round(m.color.a * DENSITY_UNIT));
    if weight == 0u {
        return;
    }
    let rgb = vec3<u32>(round(clamp(m.color.rgb, vec3<f32>(0.0), vec3<f32>(1.0)) * 255.0)) * weight;
    let c = m.pixel * 4u;
    atomicAdd(&cells[c], rgb.r);
    atomicAdd(&cells[c + 1u], rgb.g);
    atomicAdd(&cells[c + 2u], rgb.b);
    atomicAdd(&cells[c + 3u], weight);
}
