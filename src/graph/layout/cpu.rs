//! CPU twin of `shaders/layout/forces.wgsl`: the same three stages under the same names,
//! with the same loops in the same order, so the two backends place nodes alike.

use rayon::prelude::*;

use super::{FINEST, LayoutGraph, StepParams, level_offset};

const STEPS: f32 = 65536.0;

fn fine_cells() -> u32 {
    1 << FINEST
}

fn cell_width(params: &StepParams) -> f32 {
    params.side / fine_cells() as f32
}

/// The finest cell holding p and p's offset in it, in 1/65536 of a cell.
fn fine_cell(params: &StepParams, p: [f32; 2]) -> [u32; 4] {
    let w = cell_width(params);
    let top = fine_cells() as f32 - 1.0;
    let mut out = [0u32; 4];
    for a in 0..2 {
        let t = (p[a] - params.lo[a]) / w;
        let c = t.floor().clamp(0.0, top);
        let s = ((t - c) * STEPS).clamp(0.0, STEPS - 1.0);
        out[a] = c as u32;
        out[2 + a] = s as u32;
    }
    out
}

/// Counts and whole-number offset sums per finest cell.
pub struct FineCells {
    pub counts: Vec<u32>,
    /// Per cell: x steps, y steps.
    pub sums: Vec<[u64; 2]>,
}

pub fn bin(params: &StepParams, positions: &[[f32; 2]]) -> FineCells {
    let n_fine = (fine_cells() * fine_cells()) as usize;
    let mut cells = FineCells {
        counts: vec![0; n_fine],
        sums: vec![[0; 2]; n_fine],
    };
    for &p in positions {
        let at = fine_cell(params, p);
        let cell = (at[1] * fine_cells() + at[0]) as usize;
        cells.counts[cell] += 1;
        cells.sums[cell][0] += at[2] as u64;
        cells.sums[cell][1] += at[3] as u64;
    }
    cells
}

/// The u64 sum as the shader rebuilds it from its two words.
fn wide(value: u64) -> f32 {
    (value >> 32) as u32 as f32 * 4294967296.0 + value as u32 as f32
}

pub fn build_pyramid(params: &StepParams, fine: &FineCells) -> Vec<[f32; 4]> {
    let n_cells = level_offset(FINEST + 1) as usize;
    (0..n_cells as u32)
        .into_par_iter()
        .map(|c| {
            let mut level = 0;
            while level < FINEST && level_offset(level + 1) <= c {
                level += 1;
            }
            let side = 1u32 << level;
            let at = c - level_offset(level);
            let (x, y) = (at % side, at / side);
            let span = 1u32 << (FINEST - level);
            let w = cell_width(params);
            let (mut mass, mut sx, mut sy) = (0.0f32, 0.0f32, 0.0f32);
            for fy in y * span..(y + 1) * span {
                for fx in x * span..(x + 1) * span {
                    let f = (fy * fine_cells() + fx) as usize;
                    let count = fine.counts[f];
                    if count == 0 {
                        continue;
                    }
                    let m = count as f32;
                    mass += m;
                    sx += m * (params.lo[0] + fx as f32 * w) + w * (wide(fine.sums[f][0]) / STEPS);
                    sy += m * (params.lo[1] + fy as f32 * w) + w * (wide(fine.sums[f][1]) / STEPS);
                }
            }
            if mass > 0.0 {
                [mass, sx / mass, sy / mass, 0.0]
            } else {
                [0.0; 4]
            }
        })
        .collect()
}

pub fn forces(
    params: &StepParams,
    graph: &LayoutGraph,
    pyramid: &[[f32; 4]],
    positions: &[[f32; 2]],
) -> Vec<[f32; 2]> {
    (0..positions.len())
        .into_par_iter()
        .map(|i| {
            let p = positions[i];
            let own = fine_cell(params, p);
            let k2 = params.k * params.k;
            let soft = k2 * 1e-4;
            let mut force = [0.0f32; 2];
            for level in 1..=FINEST {
                let mine = [own[0] >> (FINEST - level), own[1] >> (FINEST - level)];
                let parent = [mine[0] >> 1, mine[1] >> 1];
                let side = 1i32 << level;
                let x0 = (parent[0] as i32 * 2 - 2).max(0);
                let x1 = (parent[0] as i32 * 2 + 3).min(side - 1);
                let y0 = (parent[1] as i32 * 2 - 2).max(0);
                let y1 = (parent[1] as i32 * 2 + 3).min(side - 1);
                for y in y0..=y1 {
                    for x in x0..=x1 {
                        let near =
                            (x - mine[0] as i32).abs() <= 1 && (y - mine[1] as i32).abs() <= 1;
                        if near && level < FINEST {
                            continue;
                        }
                        let cell = pyramid[(level_offset(level) + (y * side + x) as u32) as usize];
                        let mut mass = cell[0];
                        let mut centre = [cell[1], cell[2]];
                        if level == FINEST && x == mine[0] as i32 && y == mine[1] as i32 {
                            if mass <= 1.0 {
                                continue;
                            }
                            centre = [
                                (centre[0] * mass - p[0]) / (mass - 1.0),
                                (centre[1] * mass - p[1]) / (mass - 1.0),
                            ];
                            mass -= 1.0;
                        }
                        if mass == 0.0 {
                            continue;
                        }
                        let d = [p[0] - centre[0], p[1] - centre[1]];
                        let dist2 = (d[0] * d[0] + d[1] * d[1]).max(soft);
                        let scale = mass * k2 / dist2;
                        force[0] += d[0] * scale;
                        force[1] += d[1] * scale;
                    }
                }
            }
            for e in graph.offsets[i] as usize..graph.offsets[i + 1] as usize {
                let q = positions[graph.neighbours[e] as usize];
                // LinLog attraction (Noack; ForceAtlas2's LinLog mode): w·ln(1 + d).
                let d = [q[0] - p[0], q[1] - p[1]];
                let dist = (d[0] * d[0] + d[1] * d[1]).sqrt().max(1e-6);
                let scale = graph.weights[e] * (1.0 + dist).ln() / dist / params.k;
                force[0] += d[0] * scale;
                force[1] += d[1] * scale;
            }
            force[0] -= p[0] * params.gravity;
            force[1] -= p[1] * params.gravity;
            let len = (force[0] * force[0] + force[1] * force[1]).sqrt();
            if len > 0.0 && len < 3.0e38 {
                let step = len.min(params.temperature) / len;
                [p[0] + force[0] * step, p[1] + force[1] * step]
            } else {
                p
            }
        })
        .collect()
}
