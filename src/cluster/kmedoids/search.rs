//! The searches, written once over [`MedoidSteps`]: BUILD and the other starts, FasterPAM's
//! eager swaps, PAM's best swap, the alternating method. Candidates are scored in batches
//! (in parallel, or in one GPU dispatch) but taken in scan order, so every backend and
//! batch size makes exactly the swaps the sequential algorithm makes.

use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use super::distance::{DistanceMatrix, Metric};
use super::params::Init;
use super::steps::{MedoidSteps, Nearest, SwapState, loss};
use crate::cluster::{ClusterError, Progress, RunContext};
use crate::matrix::Matrix;

/// Candidates scored per batch at most: more would only waste work after an early swap.
const MAX_BATCH: usize = 1 << 16;

/// Where a search ended.
pub struct Searched {
    pub medoids: Vec<u32>,
    pub nearest: Vec<Nearest>,
    pub loss: f64,
    pub iterations: usize,
    pub swaps: usize,
    pub converged: bool,
}

/// Index of the smallest value, the lowest index on ties; None when every value is NaN
/// or excluded.
fn first_min(values: impl Iterator<Item = f32>) -> Option<(usize, f32)> {
    let mut best: Option<(usize, f32)> = None;
    for (i, v) in values.enumerate() {
        if best.is_none_or(|(_, b)| v < b) && !v.is_nan() {
            best = Some((i, v));
        }
    }
    best
}

/// Scores every row as a BUILD candidate, batch by batch.
fn build_scores(
    steps: &mut dyn MedoidSteps,
    n: usize,
    near: Option<&[f32]>,
    context: &RunContext,
) -> Result<Vec<f32>, ClusterError> {
    let mut scores = Vec::with_capacity(n);
    let batch = (steps.batch() * 64).clamp(1, MAX_BATCH);
    let mut first = 0;
    while first < n {
        context.check_cancelled()?;
        let count = batch.min(n - first);
        scores.extend(steps.build_gains(near, first, count)?);
        first += count;
    }
    Ok(scores)
}

/// PAM's BUILD: the row of least total distance, then each row that lowers the loss most
/// (lowest row on ties; rows already chosen are not candidates).
pub fn build(
    steps: &mut dyn MedoidSteps,
    n: usize,
    k: usize,
    context: &RunContext,
) -> Result<Vec<u32>, ClusterError> {
    let totals = build_scores(steps, n, None, context)?;
    let (first, _) = first_min(totals.into_iter())
        .ok_or_else(|| ClusterError::Internal("no BUILD candidate".into()))?;
    let mut medoids = vec![first as u32];
    while medoids.len() < k {
        let nearest = steps.assign(&medoids)?;
        let near: Vec<f32> = nearest.iter().map(|n| n.near_distance).collect();
        let mut gains = build_scores(steps, n, Some(&near), context)?;
        for &m in &medoids {
            gains[m as usize] = f32::INFINITY;
        }
        let (next, _) = first_min(gains.into_iter())
            .ok_or_else(|| ClusterError::Internal("no BUILD candidate".into()))?;
        medoids.push(next as u32);
    }
    Ok(medoids)
}

/// k distinct rows at random, or k-means++ on the metric (D² sampling); seeded.
pub fn seeded_start(points: &Matrix, metric: Metric, k: usize, init: Init, seed: u64) -> Vec<u32> {
    let n = points.n_rows;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    if init != Init::KMeansPlusPlus {
        return sample(&mut rng, n, k)
            .into_iter()
            .map(|i| i as u32)
            .collect();
    }
    let mut medoids = vec![rng.gen_range(0..n) as u32];
    let mut closest = vec![f32::INFINITY; n];
    while medoids.len() < k {
        let newest = points.row(*medoids.last().unwrap_or(&0) as usize);
        closest.par_iter_mut().enumerate().for_each(|(o, c)| {
            *c = c.min(metric.distance(points.row(o), newest));
        });
        let weights: Vec<f64> = closest.iter().map(|&d| (d as f64) * (d as f64)).collect();
        let total: f64 = weights.iter().sum();
        let next = if total > 0.0 {
            let mut target = rng.gen_range(0.0..total);
            let mut chosen = n - 1;
            for (o, &w) in weights.iter().enumerate() {
                if target < w {
                    chosen = o;
                    break;
                }
                target -= w;
            }
            chosen
        } else {
            // Every row sits on a medoid: take the first that is not one.
            (0..n)
                .find(|o| !medoids.contains(&(*o as u32)))
                .unwrap_or(0)
        };
        medoids.push(next as u32);
    }
    medoids
}

fn is_medoid(j: usize, medoids: &[u32], nearest: &[Nearest]) -> bool {
    medoids[nearest[j].near as usize] == j as u32
}

/// The assignment to `medoids`, its loss, and the swap scan loaded with it.
fn assign_for_swaps(
    steps: &mut dyn MedoidSteps,
    medoids: &[u32],
) -> Result<(Vec<Nearest>, f64), ClusterError> {
    let nearest = steps.assign(medoids)?;
    steps.load_swap_state(&SwapState::new(&nearest, medoids.len()))?;
    let total = loss(&nearest);
    Ok((nearest, total))
}

/// One medoid: the row of least total distance (PAM's answer for k = 1).
fn single_medoid(
    steps: &mut dyn MedoidSteps,
    n: usize,
    context: &RunContext,
) -> Result<Searched, ClusterError> {
    let medoids = build(steps, n, 1, context)?;
    let nearest = steps.assign(&medoids)?;
    Ok(Searched {
        loss: loss(&nearest),
        medoids,
        nearest,
        iterations: 1,
        swaps: 0,
        converged: true,
    })
}

/// FasterPAM (Schubert & Rousseeuw 2021): scan the rows in order, take the first swap
/// that lowers the loss at once, stop after a full pass without one.
pub fn fasterpam(
    steps: &mut dyn MedoidSteps,
    mut medoids: Vec<u32>,
    max_iterations: usize,
    context: &RunContext,
) -> Result<Searched, ClusterError> {
    let n = steps_rows(&medoids, steps)?;
    if medoids.len() == 1 {
        return single_medoid(steps, n, context);
    }
    let (mut nearest, mut total) = assign_for_swaps(steps, &medoids)?;
    let (mut last_swap, mut swaps, mut iterations, mut converged) = (n, 0, 0, false);
    let start_batch = steps.batch();
    let mut batch = start_batch;
    while iterations < max_iterations {
        iterations += 1;
        let (swaps_before, loss_before) = (swaps, total);
        let mut j = 0;
        while j < n && j != last_swap {
            context.check_cancelled()?;
            let stop = if last_swap > j { last_swap.min(n) } else { n };
            let count = batch.min(stop - j);
            let gains = steps.swap_gains(j, count)?;
            let found = gains
                .iter()
                .enumerate()
                .find(|(t, gain)| !is_medoid(j + t, &medoids, &nearest) && gain.change < 0.0);
            match found {
                Some((t, gain)) => {
                    let candidate = j + t;
                    medoids[gain.slot as usize] = candidate as u32;
                    (nearest, total) = assign_for_swaps(steps, &medoids)?;
                    swaps += 1;
                    last_swap = candidate;
                    j = candidate + 1;
                    batch = start_batch;
                }
                None => {
                    j += count;
                    batch = (batch * 2).min(MAX_BATCH);
                }
            }
        }
        context.report(Progress {
            phase: "swaps",
            iteration: iterations,
            max_iterations,
            shift: total,
        });
        if swaps == swaps_before || total >= loss_before {
            converged = true;
            break;
        }
    }
    Ok(Searched {
        medoids,
        nearest,
        loss: total,
        iterations,
        swaps,
        converged,
    })
}

/// PAM's SWAP: each iteration the best swap of all (lowest row on ties), while it lowers
/// the loss.
pub fn pam(
    steps: &mut dyn MedoidSteps,
    mut medoids: Vec<u32>,
    max_iterations: usize,
    context: &RunContext,
) -> Result<Searched, ClusterError> {
    let n = steps_rows(&medoids, steps)?;
    if medoids.len() == 1 {
        return single_medoid(steps, n, context);
    }
    let (mut nearest, mut total) = assign_for_swaps(steps, &medoids)?;
    let (mut swaps, mut iterations, mut converged) = (0, 0, false);
    let batch = (steps.batch() * 64).min(MAX_BATCH);
    while iterations < max_iterations {
        iterations += 1;
        let mut best: Option<(usize, u32, f32)> = None;
        let mut j = 0;
        while j < n {
            context.check_cancelled()?;
            let count = batch.min(n - j);
            for (t, gain) in steps.swap_gains(j, count)?.into_iter().enumerate() {
                let candidate = j + t;
                if is_medoid(candidate, &medoids, &nearest) {
                    continue;
                }
                if gain.change < best.map_or(0.0, |b| b.2) {
                    best = Some((candidate, gain.slot, gain.change));
                }
            }
            j += count;
        }
        context.report(Progress {
            phase: "swaps",
            iteration: iterations,
            max_iterations,
            shift: total,
        });
        let Some((candidate, slot, _)) = best else {
            converged = true;
            break;
        };
        let previous = medoids[slot as usize];
        medoids[slot as usize] = candidate as u32;
        let (new_nearest, new_total) = assign_for_swaps(steps, &medoids)?;
        if new_total >= total {
            // Rounding: the swap looked better than it is. Keep what we had.
            medoids[slot as usize] = previous;
            (nearest, total) = assign_for_swaps(steps, &medoids)?;
            converged = true;
            break;
        }
        (nearest, total) = (new_nearest, new_total);
        swaps += 1;
    }
    Ok(Searched {
        medoids,
        nearest,
        loss: total,
        iterations,
        swaps,
        converged,
    })
}

/// The alternating method: assign every row to its nearest medoid, move each medoid to the
/// member of least total distance to its cluster, until no medoid moves.
pub fn alternate(
    steps: &mut dyn MedoidSteps,
    points: &Matrix,
    metric: Metric,
    mut medoids: Vec<u32>,
    max_iterations: usize,
    context: &RunContext,
) -> Result<Searched, ClusterError> {
    let mut nearest = steps.assign(&medoids)?;
    let (mut iterations, mut converged, mut swaps) = (0, false, 0);
    while iterations < max_iterations {
        iterations += 1;
        context.check_cancelled()?;
        let mut moved = false;
        let matrix = steps.distance_matrix();
        for (slot, medoid) in medoids.iter_mut().enumerate() {
            let members: Vec<u32> = (0..nearest.len() as u32)
                .filter(|&o| nearest[o as usize].near == slot as u32)
                .collect();
            let best = most_central(points, metric, matrix, *medoid, &members);
            if best != *medoid {
                *medoid = best;
                moved = true;
                swaps += 1;
            }
        }
        context.report(Progress {
            phase: "alternating",
            iteration: iterations,
            max_iterations,
            shift: loss(&nearest),
        });
        if !moved {
            converged = true;
            break;
        }
        nearest = steps.assign(&medoids)?;
    }
    Ok(Searched {
        loss: loss(&nearest),
        medoids,
        nearest,
        iterations,
        swaps,
        converged,
    })
}

/// The member of least total distance to the others; the current medoid unless another is
/// strictly better (lowest row among equals). Sums in f64, members in index order.
fn most_central(
    points: &Matrix,
    metric: Metric,
    matrix: Option<&DistanceMatrix>,
    current: u32,
    members: &[u32],
) -> u32 {
    let total = |j: u32| -> f64 {
        let row = points.row(j as usize);
        members
            .iter()
            .filter(|&&i| i != j)
            .map(|&i| match matrix {
                Some(matrix) => matrix.row(j as usize)[i as usize] as f64,
                None => metric.distance(row, points.row(i as usize)) as f64,
            })
            .sum()
    };
    let current_total = total(current);
    let best = members
        .par_iter()
        .filter(|&&j| j != current)
        .map(|&j| (total(j), j))
        .reduce_with(|a, b| {
            if b.0 < a.0 || (b.0 == a.0 && b.1 < a.1) {
                b
            } else {
                a
            }
        });
    match best {
        Some((sum, j)) if sum < current_total => j,
        _ => current,
    }
}

/// The row count the steps work on, checked against the medoids.
fn steps_rows(medoids: &[u32], steps: &dyn MedoidSteps) -> Result<usize, ClusterError> {
    if medoids.is_empty() {
        return Err(ClusterError::Internal("no medoids to start from".into()));
    }
    Ok(steps.n_rows())
}
