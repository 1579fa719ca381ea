//! CPU twin of `shaders/tsne/gradient.wgsl`: `forces`, `sum` and `update` with the same
//! loops, the same walk and the same order of sums.

use rayon::prelude::*;

use super::affinities::Affinities;
use super::quadtree::{NONE, QuadTree};

/// Rows the shader's `sum` pass spreads the rows over (its workgroup size).
const LANES: usize = 256;

/// What one iteration's update needs besides the state.
#[derive(Clone, Copy, Debug)]
pub struct GradientParams {
    pub theta2: f32,
    pub exaggeration: f32,
    pub momentum: f32,
    pub learning_rate: f32,
    pub min_gain: f32,
}

/// Per row: attraction and repulsion (`forces_out`) and Z_i (`z_rows`).
pub fn forces(
    tree: &QuadTree,
    positions: &[[f32; 2]],
    affinities: &Affinities,
    theta2: f32,
    forces_out: &mut [[f32; 4]],
    z_rows: &mut [f32],
) {
    forces_out
        .par_iter_mut()
        .zip(z_rows.par_iter_mut())
        .enumerate()
        .with_min_len(64)
        .for_each(|(row, (out, z_out))| {
            let y = positions[row];
            let mut attraction = [0.0f32; 2];
            for (column, p) in affinities.row(row) {
                let other = positions[column as usize];
                let d = [y[0] - other[0], y[1] - other[1]];
                let q = 1.0 / (1.0 + (d[0] * d[0] + d[1] * d[1]));
                attraction[0] += p * q * d[0];
                attraction[1] += p * q * d[1];
            }
            let mut repulsion = [0.0f32; 2];
            let mut z = 0.0f32;
            let mut node = 0u32;
            while node != NONE && !tree.nodes.is_empty() {
                let n = tree.nodes[node as usize];
                if n.count > 0 {
                    for point in &tree.points[n.first as usize..(n.first + n.count) as usize] {
                        if point.row as usize == row {
                            continue;
                        }
                        let d = [y[0] - point.position[0], y[1] - point.position[1]];
                        let q = 1.0 / (1.0 + (d[0] * d[0] + d[1] * d[1]));
                        z += q;
                        repulsion[0] += q * q * d[0];
                        repulsion[1] += q * q * d[1];
                    }
                    node = n.next;
                    continue;
                }
                let d = [y[0] - n.centre[0], y[1] - n.centre[1]];
                let dist2 = d[0] * d[0] + d[1] * d[1];
                if n.width * n.width < theta2 * dist2 {
                    let q = 1.0 / (1.0 + dist2);
                    z += n.mass * q;
                    repulsion[0] += n.mass * q * q * d[0];
                    repulsion[1] += n.mass * q * q * d[1];
                    node = n.next;
                } else {
                    node = n.first;
                }
            }
            *out = [attraction[0], attraction[1], repulsion[0], repulsion[1]];
            *z_out = z;
        });
}

/// Z = Σ Z_i: 256 strided partial sums, then halved pairwise, as the shader's `sum`.
pub fn sum(z_rows: &[f32]) -> f32 {
    let mut partial = [0.0f32; LANES];
    for (lane, slot) in partial.iter_mut().enumerate() {
        let mut total = 0.0f32;
        let mut i = lane;
        while i < z_rows.len() {
            total += z_rows[i];
            i += LANES;
        }
        *slot = total;
    }
    let mut stride = LANES / 2;
    while stride > 0 {
        for lane in 0..stride {
            partial[lane] += partial[lane + stride];
        }
        stride /= 2;
    }
    partial[0]
}

/// The gradient step with gains and momentum, in place.
pub fn update(
    params: &GradientParams,
    forces_out: &[[f32; 4]],
    z_total: f32,
    gains: &mut [[f32; 2]],
    updates: &mut [[f32; 2]],
    positions: &mut [[f32; 2]],
) {
    let z = z_total.max(1e-12);
    positions
        .par_iter_mut()
        .zip(gains.par_iter_mut().zip(updates.par_iter_mut()))
        .zip(forces_out.par_iter())
        .with_min_len(256)
        .for_each(|((position, (gain, step)), f)| {
            let gradient = [
                4.0 * (params.exaggeration * f[0] - f[2] / z),
                4.0 * (params.exaggeration * f[1] - f[3] / z),
            ];
            for a in 0..2 {
                if step[a] * gradient[a] < 0.0 {
                    gain[a] += 0.2;
                } else {
                    gain[a] *= 0.8;
                }
                gain[a] = gain[a].max(params.min_gain);
                step[a] =
                    params.momentum * step[a] - params.learning_rate * (gradient[a] * gain[a]);
            }
            position[0] += step[0];
            position[1] += step[1];
        });
}
