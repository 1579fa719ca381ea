//! CPU twin of `shaders/umap/epoch.wgsl`: the same names, the same loops, the same f32
//! arithmetic and the same hash, one row per rayon task.

use rayon::prelude::*;

use super::schedule::{EpochParams, Schedule};

const CLIP: f32 = 4.0;

/// PCG's output permutation of an LCG step, as `hash` in the shader.
#[inline(always)]
pub fn hash(x: u32) -> u32 {
    let state = x.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
    let word = ((state >> ((state >> 28) + 4)) ^ state).wrapping_mul(277_803_737);
    (word >> 22) ^ word
}

#[inline(always)]
fn negative_row(params: &EpochParams, edge: u32, sample: u32) -> u32 {
    hash(hash(hash(params.seed ^ params.epoch) ^ edge) ^ sample) % params.n_rows
}

#[inline(always)]
fn clip(v: [f32; 2]) -> [f32; 2] {
    [v[0].clamp(-CLIP, CLIP), v[1].clamp(-CLIP, CLIP)]
}

/// One epoch: every row's new position into `moved`, its edges' schedules advanced.
pub fn epoch(
    params: &EpochParams,
    schedule: &Schedule,
    next_sample: &mut [f32],
    next_negative: &mut [f32],
    positions: &[[f32; 2]],
    moved: &mut [[f32; 2]],
) {
    let starts = &schedule.row_starts;
    // Each row's edges are a contiguous run: split the schedules by row.
    let mut samples: Vec<&mut [f32]> = Vec::with_capacity(moved.len());
    let mut negatives: Vec<&mut [f32]> = Vec::with_capacity(moved.len());
    let (mut rest_s, mut rest_n) = (next_sample, next_negative);
    for row in 0..moved.len() {
        let len = (starts[row + 1] - starts[row]) as usize;
        let (s, tail_s) = rest_s.split_at_mut(len);
        let (n, tail_n) = rest_n.split_at_mut(len);
        samples.push(s);
        negatives.push(n);
        rest_s = tail_s;
        rest_n = tail_n;
    }
    moved
        .par_iter_mut()
        .zip(samples.into_par_iter().zip(negatives.into_par_iter()))
        .enumerate()
        .with_min_len(256)
        .for_each(|(row, (out, (next_sample, next_negative)))| {
            *out = epoch_row(params, schedule, row, next_sample, next_negative, positions);
        });
}

/// The shader's body for one row; `next_sample`/`next_negative` are the row's edges'.
#[inline(always)]
fn epoch_row(
    params: &EpochParams,
    schedule: &Schedule,
    row: usize,
    next_sample: &mut [f32],
    next_negative: &mut [f32],
    positions: &[[f32; 2]],
) -> [f32; 2] {
    let now = params.epoch as f32;
    let (a, b) = (params.a, params.b);
    let mut current = positions[row];
    let first = schedule.row_starts[row] as usize;
    for (i, (sample, negative)) in next_sample
        .iter_mut()
        .zip(next_negative.iter_mut())
        .enumerate()
    {
        let e = first + i;
        if *sample > now {
            continue;
        }
        let other = positions[schedule.columns[e] as usize];
        let diff = [current[0] - other[0], current[1] - other[1]];
        let d2 = diff[0] * diff[0] + diff[1] * diff[1];
        if d2 > 0.0 {
            let power = d2.powf(b);
            let coeff = -2.0 * a * b * (power / d2) / (a * power + 1.0);
            let step = clip([coeff * diff[0], coeff * diff[1]]);
            current[0] += 2.0 * step[0] * params.alpha;
            current[1] += 2.0 * step[1] * params.alpha;
        }
        *sample += schedule.epochs_per_sample[e];
        let per_negative = schedule.epochs_per_sample[e] / params.negative_rate;
        let n_negative = ((now - *negative) / per_negative).floor().max(0.0) as u32;
        for s in 0..n_negative {
            let other = negative_row(params, e as u32, s) as usize;
            if other == row {
                continue;
            }
            let p = positions[other];
            let away = [current[0] - p[0], current[1] - p[1]];
            let a2 = away[0] * away[0] + away[1] * away[1];
            if a2 > 0.0 {
                let coeff = 2.0 * params.gamma * b / ((0.001 + a2) * (a * a2.powf(b) + 1.0));
                let step = clip([coeff * away[0], coeff * away[1]]);
                current[0] += step[0] * params.alpha;
                current[1] += step[1] * params.alpha;
            }
        }
        *negative += n_negative as f32 * per_negative;
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_matches_the_shaders_constants() {
        // PCG hash of 0 and 1 (reference values of the published function).
        assert_eq!(hash(0), 129_708_002);
        assert_eq!(hash(1), 2_831_084_092);
        assert_eq!(hash(12_345), 4_099_845_390);
    }
}
