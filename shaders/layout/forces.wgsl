// One step of the force-directed graph layout (repulsion k²/d as Fruchterman & Reingold,
// ForceAtlas2's linear springs, a grid pyramid for the repulsion): `bin` counts each node into the finest cell of a
// square grid over the layout (whole-number sums of the 16-bit offset within the cell, so
// the sums do not depend on the order the atomics land in), `pyramid` turns the counts
// into mass and centre of every cell of every level, and `forces` moves each node:
// repulsion k²/d from the cells of each level that a coarser level did not already
// cover (the 27 cells around its own cell's parent's neighbourhood, as a fast multipole
// interaction list), attraction w·d/k along its edges, a pull towards the origin, the
// step capped by the temperature.
// CPU twin: src/graph/layout/cpu.rs (same names, same loops).

const WORKGROUP: u32 = 256u;
const STEPS: f32 = 65536.0;
// Keep in sync with FINEST in src/graph/layout/mod.rs: the finest level's cells per axis
// are 2^FINEST.
const FINEST: u32 = 6u;

// Keep in sync with `StepUniforms` in src/graph/layout/gpu.rs.
struct Params {
    n_nodes: u32,
    groups_x: u32,
    n_cells: u32,
    _pad0: u32,
    lo: vec2<f32>,
    side: f32,
    temperature: f32,
    k: f32,
    gravity: f32,
    _pad1: f32,
    _pad2: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> positions: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> fine_counts: array<atomic<u32>>;
// Per finest cell: x steps (low, high), y steps (low, high).
@group(0) @binding(3) var<storage, read_write> fine_sums: array<atomic<u32>>;

fn index(group: vec3<u32>, local: u32) -> u32 {
    return (group.y * params.groups_x + group.x) * WORKGROUP + local;
}

fn fine_cells() -> u32 {
    return 1u << FINEST;
}

fn cell_width() -> f32 {
    return params.side / f32(fine_cells());
}

// The finest cell holding p (nodes outside the grid are counted in its border cells) and
// p's offset in it, in steps of 1/65536 of a cell.
fn fine_cell(p: vec2<f32>) -> vec4<u32> {
    let t = (p - params.lo) / cell_width();
    let top = f32(fine_cells()) - 1.0;
    let c = clamp(floor(t), vec2<f32>(0.0), vec2<f32>(top));
    let s = clamp((t - c) * STEPS, vec2<f32>(0.0), vec2<f32>(STEPS - 1.0));
    return vec4<u32>(u32(c.x), u32(c.y), u32(s.x), u32(s.y));
}

fn add64(i: u32, value: u32) {
    let before = atomicAdd(&fine_sums[i], value);
    if (before + value < before) {
        atomicAdd(&fine_sums[i + 1u], 1u);
    }
}

@compute @workgroup_size(WORKGROUP)
fn bin(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) local: u32) {
    let i = index(group, local);
    if (i >= params.n_nodes) {
        return;
    }
    let at = fine_cell(positions[i]);
    let cell = at.y * fine_cells() + at.x;
    atomicAdd(&fine_counts[cell], 1u);
    add64(cell * 4u, at.z);
    add64(cell * 4u + 2u, at.w);
}

// Per cell of every level (level l's 4^l cells after those of the levels above it):
// mass, centre x, centre y, unused.
@group(0) @binding(4) var<storage, read_write> pyramid: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> offsets: array<u32>;
@group(0) @binding(6) var<storage, read> neighbours: array<u32>;
@group(0) @binding(7) var<storage, read> weights: array<f32>;
@group(0) @binding(8) var<storage, read_write> next: array<vec2<f32>>;

fn level_offset(level: u32) -> u32 {
    return ((1u << (2u * level)) - 1u) / 3u;
}

fn wide(i: u32) -> f32 {
    return f32(atomicLoad(&fine_sums[i + 1u])) * 4294967296.0 + f32(atomicLoad(&fine_sums[i]));
}

@compute @workgroup_size(WORKGROUP)
fn build_pyramid(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) local: u32) {
    let c = index(group, local);
    if (c >= params.n_cells) {
        return;
    }
    var level = 0u;
    while (level < FINEST && level_offset(level + 1u) <= c) {
        level += 1u;
    }
    let side = 1u << level;
    let at = c - level_offset(level);
    let x = at % side;
    let y = at / side;
    let span = 1u << (FINEST - level);
    let w = cell_width();
    var mass = 0.0;
    var sx = 0.0;
    var sy = 0.0;
    for (var fy = y * span; fy < (y + 1u) * span; fy += 1u) {
        for (var fx = x * span; fx < (x + 1u) * span; fx += 1u) {
            let f = fy * fine_cells() + fx;
            let count = atomicLoad(&fine_counts[f]);
            if (count == 0u) {
                continue;
            }
            let m = f32(count);
            mass += m;
            sx += m * (params.lo.x + f32(fx) * w) + w * (wide(f * 4u) / STEPS);
            sy += m * (params.lo.y + f32(fy) * w) + w * (wide(f * 4u + 2u) / STEPS);
        }
    }
    if (mass > 0.0) {
        pyramid[c] = vec4<f32>(mass, sx / mass, sy / mass, 0.0);
    } else {
        pyramid[c] = vec4<f32>(0.0);
    }
}

@compute @workgroup_size(WORKGROUP)
fn forces(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) local: u32) {
    let i = index(group, local);
    if (i >= params.n_nodes) {
        return;
    }
    let p = positions[i];
    let own = fine_cell(p).xy;
    let k2 = params.k * params.k;
    // Softening: two nodes on one spot push apart with a bounded force.
    let soft = k2 * 1e-4;
    var force = vec2<f32>(0.0);
    for (var level = 1u; level <= FINEST; level += 1u) {
        let mine = own >> vec2<u32>(FINEST - level);
        let parent = mine >> vec2<u32>(1u);
        let side = i32(1u << level);
        let x0 = max(i32(parent.x) * 2 - 2, 0);
        let x1 = min(i32(parent.x) * 2 + 3, side - 1);
        let y0 = max(i32(parent.y) * 2 - 2, 0);
        let y1 = min(i32(parent.y) * 2 + 3, side - 1);
        for (var y = y0; y <= y1; y += 1) {
            for (var x = x0; x <= x1; x += 1) {
                let near = abs(x - i32(mine.x)) <= 1 && abs(y - i32(mine.y)) <= 1;
                if (near && level < FINEST) {
                    continue;
                }
                let cell = pyramid[level_offset(level) + u32(y * side + x)];
                var mass = cell.x;
                var centre = cell.yz;
                if (level == FINEST && x == i32(mine.x) && y == i32(mine.y)) {
                    if (mass <= 1.0) {
                        continue;
                    }
                    centre = (centre * mass - p) / (mass - 1.0);
                    mass -= 1.0;
                }
                if (mass == 0.0) {
                    continue;
                }
                let d = p - centre;
                let dist2 = max(dot(d, d), soft);
                force += d * (mass * k2 / dist2);
            }
        }
    }
    for (var e = offsets[i]; e < offsets[i + 1u]; e += 1u) {
        // LinLog attraction (Noack; ForceAtlas2's LinLog mode): w·ln(1 + d) along the edge.
        let d = positions[neighbours[e]] - p;
        let dist = max(length(d), 1e-6);
        force += d * (weights[e] * log(1.0 + dist) / dist / params.k);
    }
    force -= p * params.gravity;
    let len = length(force);
    var moved = p;
    // A force past f32's range (nodes piled on one spot) moves nothing rather than NaN.
    if (len > 0.0 && len < 3.0e38) {
        moved = p + force * (min(len, params.temperature) / len);
    }
    next[i] = moved;
}
