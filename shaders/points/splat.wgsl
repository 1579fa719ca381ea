// Splatting (appended to points.wgsl): for large clouds and density mode, a compute pass
// marks the pixel under each point's centre; a full-view triangle then grows every mark
// into the point's disc while resolving the pixels (points_resolve.wgsl). A software
// rasteriser spends far more on setting up two tiny triangles per point, or on looping
// over each point's footprint, than on one store per point and a neighbourhood read per
// pixel.
//
// Cells cover the view plus a border of `splat_pad` pixels (at least a point's radius),
// so points just off the view still show their edges and the resolve never bounds-checks.
// Plain points: one word per cell, the highest point key landing there (see
// `point_key`); density: four words per cell, [r, g, b, weight] sums.

@group(2) @binding(0) var<storage, read_write> cells: array<atomic<u32>>;

// Density weights are fixed point: 8 per fully opaque point.
const DENSITY_UNIT: f32 = 8.0;

fn point_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return gid.y * groups.x * 64u + gid.x;
}

// The cell under point `index`, or -1 when it lies beyond the border (or is not finite:
// every comparison with NaN fails).
fn cell_of(index: u32) -> i32 {
    let clip = positions[index] * view.scale + view.offset;
    let size = view.viewport_size;
    let pixel = floor(vec2<f32>((clip.x + 1.0) * 0.5 * size.x, (1.0 - clip.y) * 0.5 * size.y));
    let pad = f32(view.splat_pad);
    if !(all(pixel >= vec2<f32>(-pad)) && all(pixel < size + pad)) {
        return -1;
    }
    let cell = vec2<i32>(pixel) + i32(view.splat_pad);
    return cell.y * i32(view.splat_stride) + cell.x;
}

fn label_of(index: u32) -> u32 {
    if (view.flags & FLAG_LABELS) != 0u {
        return labels[index];
    }
    return 0u;
}

fn color_slot(label: u32) -> u32 {
    if (view.flags & FLAG_LABELS) == 0u {
        return view.key_slots;
    }
    if label == NOISE {
        return view.key_slots + 1u;
    }
    return min(label, view.key_slots);
}

// Plain points: one u32 per point that orders them as drawing in row order would (later
// rows on top, by the top 14 bits of the row), selected points above unselected ones of
// the same rank, and carries the colour slot so the resolve pass can colour the pixel.
fn point_key(row: u32, slot: u32) -> u32 {
    let rank = (row >> view.priority_shift) + 1u;
    var selected = 1u;
    if (view.flags & FLAG_SELECTION) != 0u {
        selected = (selected_bits_word(row) >> (row % 32u)) & 1u;
    }
    return (rank << 17u) | (selected << 16u) | slot;
}

fn selected_bits_word(row: u32) -> u32 {
    return selected[row / 32u];
}

// Points are marked from the last row down: the winning (latest) mark on a pixel usually
// lands first, so the earlier rows under it only load and skip the atomic.
@compute @workgroup_size(64)
fn cs_points(@builtin(global_invocation_id) gid: vec3<u32>,
             @builtin(num_workgroups) groups: vec3<u32>) {
    let from_end = point_index(gid, groups);
    if from_end >= batch.n_rows {
        return;
    }
    let index = batch.n_rows - 1u - from_end;
    let cell = cell_of(index);
    if cell < 0 {
        return;
    }
    let key = point_key(batch.first_row + index, color_slot(label_of(index)));
    // Only read colours when some cluster is hidden: the lookup costs as much as the mark.
    if (view.flags & FLAG_HIDDEN) != 0u && !(resolved[key_color_index(key)].a > 0.0) {
        return;
    }
    // A plain load first: a mark that would lose skips the (costlier) atomic.
    if atomicLoad(&cells[cell]) < key {
        atomicMax(&cells[cell], key);
    }
}

@compute @workgroup_size(64)
fn cs_density(@builtin(global_invocation_id) gid: vec3<u32>,
              @builtin(num_workgroups) groups: vec3<u32>) {
    let index = point_index(gid, groups);
    if index >= batch.n_rows {
        return;
    }
    let cell = cell_of(index);
    if cell < 0 {
        return;
    }
    let color = point_color(batch.first_row + index, label_of(index));
    let weight = u32(round(clamp(color.a, 0.0, 1.0) * DENSITY_UNIT));
    if weight == 0u {
        return;
    }
    let rgb = vec3<u32>(round(clamp(color.rgb, vec3<f32>(0.0), vec3<f32>(1.0)) * 255.0)) * weight;
    let c = u32(cell) * 4u;
    atomicAdd(&cells[c], rgb.r);
    atomicAdd(&cells[c + 1u], rgb.g);
    atomicAdd(&cells[c + 2u], rgb.b);
    atomicAdd(&cells[c + 3u], weight);
}
