//! CPU twins of the k-medoids passes in `shaders/kmedoids/`, one function per pass with
//! the same name and the same float operations in the same order, so both backends make
//! the same choices. Also the CPU backend: candidates scored in parallel, distances from
//! the n × n matrix when the method keeps one, computed on the fly otherwise.

use std::sync::Arc;

use rayon::prelude::*;

use super::distance::{DistanceMatrix, Metric};
use super::steps::{MedoidSteps, NO_SLOT, Nearest, SwapGain, SwapState};
use crate::cluster::ClusterError;
use crate::matrix::Matrix;

/// Twin of `assign.wgsl` for point `o`: medoids in slot order, a strictly nearer one takes
/// over, a point that is a medoid is its own nearest.
pub fn assign(
    metric: Metric,
    row: &[f32],
    o: u32,
    medoid_rows: &Matrix,
    medoids: &[u32],
) -> Nearest {
    let mut near = 0u32;
    let mut near_d = metric.distance(row, medoid_rows.row(0));
    let (mut second, mut second_d) = (NO_SLOT, f32::INFINITY);
    for (m, &medoid) in medoids.iter().enumerate().skip(1) {
        let d = metric.distance(row, medoid_rows.row(m));
        if d < near_d || o == medoid {
            (second, second_d) = (near, near_d);
            (near, near_d) = (m as u32, d);
        } else if second == NO_SLOT || d < second_d {
            (second, second_d) = (m as u32, d);
        }
    }
    Nearest {
        near,
        near_distance: near_d,
        second,
        second_distance: second_d,
    }
}

/// Twin of `swap_gain.wgsl` for one candidate whose distances to every point are
/// `distances`: points in index order, each group's sums kept apart, so every sum runs in
/// the shader's order (its groups ascending).
pub fn swap_gain(
    distances: &[f32],
    state: &SwapState,
    loss: &mut [f32],
    gain: &mut [f32],
) -> SwapGain {
    loss.copy_from_slice(&state.removal);
    gain.fill(0.0);
    for (&dist, rec) in distances.iter().zip(&state.nearest) {
        let s = rec.near as usize;
        let (near, second) = (rec.near_distance, rec.second_distance);
        if dist < near {
            gain[s] += dist - near;
            loss[s] += near - second;
        } else if dist < second {
            loss[s] += dist - second;
        }
    }
    let mut shared = 0.0f32;
    let (mut best, mut slot) = (f32::INFINITY, 0u32);
    for s in 0..state.k {
        shared += gain[s];
        if loss[s] < best {
            (best, slot) = (loss[s], s as u32);
        }
    }
    SwapGain {
        change: best + shared,
        slot,
    }
}

/// Twin of `build_gain.wgsl` for candidate `j`: its total distance (first medoid), or the
/// loss change of adding it.
pub fn build_gain(j: usize, distances: &[f32], near: Option<&[f32]>) -> f32 {
    let mut gain = match near {
        Some(near) => -near[j],
        None => 0.0,
    };
    for (o, &dist) in distances.iter().enumerate() {
        if o == j {
            continue;
        }
        match near {
            None => gain += dist,
            Some(near) if dist < near[o] => gain += dist - near[o],
            Some(_) => {}
        }
    }
    gain
}

/// Twin of `neighbor_gain.wgsl`: the loss change of replacing slot `removed` by the row
/// whose distances to every point are `distances`.
pub fn neighbor_gain(removed: u32, distances: &[f32], nearest: &[Nearest]) -> f32 {
    let mut gain = 0.0f32;
    for (&dist, rec) in distances.iter().zip(nearest) {
        if rec.near == removed {
            gain += dist.min(rec.second_distance) - rec.near_distance;
        } else if dist < rec.near_distance {
            gain += dist - rec.near_distance;
        }
    }
    gain
}

/// [`neighbor_gain`] without the distances that cannot matter: a point whose nearest medoid
/// m stays contributes only when the candidate j is nearer than m, and
/// d(j, o) ≥ |d(j, m) − d(o, m)| (the triangle inequality) often rules that out; a point
/// whose medoid goes contributes `second − near` when the bound exceeds its second. Every
/// term kept is computed exactly as the twin does and every term skipped is one the twin
/// adds nothing for (or the same `second − near`), so the sum is the twin's, bit for bit.
/// The bound is taken with a margin far above the distances' rounding. Metrics only:
/// cosine distance has no triangle inequality.
#[allow(clippy::too_many_arguments)]
fn neighbor_gain_pruned(
    metric: Metric,
    points: &Matrix,
    row: &[f32],
    removed: u32,
    to_medoids: &[f32],
    nearest: &[Nearest],
) -> f32 {
    const MARGIN: f32 = 1e-4;
    let mut gain = 0.0f32;
    for (o, rec) in nearest.iter().enumerate() {
        // The bound less its worst rounding: both distances carry relative errors of a few
        // f32 ulps, far under MARGIN.
        let to_medoid = to_medoids[rec.near as usize];
        let bound =
            (to_medoid - rec.near_distance).abs() - MARGIN * (to_medoid + rec.near_distance);
        if rec.near == removed {
            if bound > rec.second_distance * (1.0 + MARGIN) {
                gain += rec.second_distance - rec.near_distance;
                continue;
            }
        } else if bound > rec.near_distance * (1.0 + MARGIN) {
            continue;
        }
        let dist = metric.distance(row, points.row(o));
        if rec.near == removed {
            gain += dist.min(rec.second_distance) - rec.near_distance;
        } else if dist < rec.near_distance {
            gain += dist - rec.near_distance;
        }
    }
    gain
}

/// The CPU backend.
pub struct CpuSteps {
    points: Arc<Matrix>,
    metric: Metric,
    matrix: Option<DistanceMatrix>,
    swap: Option<SwapState>,
    nearest: Vec<Nearest>,
    /// The medoids `nearest` assigns to.
    medoids: Vec<u32>,
}

impl CpuSteps {
    /// Over prepared rows (see [`Metric::prepare`]); distances from `matrix` when given.
    pub fn new(points: Arc<Matrix>, metric: Metric, matrix: Option<DistanceMatrix>) -> Self {
        Self {
            points,
            metric,
            matrix,
            swap: None,
            nearest: Vec::new(),
            medoids: Vec::new(),
        }
    }

    /// Runs `score` on each item with the distances of its row (`row_of`) to every point,
    /// in parallel; results in the order of `items`.
    fn score<I: Send, T: Send>(
        &self,
        items: impl IndexedParallelIterator<Item = I>,
        row_of: impl Fn(&I) -> usize + Sync,
        score: impl Fn(I, &[f32]) -> T + Sync,
    ) -> Vec<T> {
        let n = self.points.n_rows;
        items
            .map_init(
                || vec![0f32; if self.matrix.is_some() { 0 } else { n }],
                |scratch, item| {
                    let j = row_of(&item);
                    match &self.matrix {
                        Some(matrix) => score(item, matrix.row(j)),
                        None => {
                            self.metric.distances_from(
                                self.points.row(j),
                                &self.points,
                                0,
                                scratch,
                            );
                            score(item, scratch)
                        }
                    }
                },
            )
            .collect()
    }
}

impl MedoidSteps for CpuSteps {
    fn batch(&self) -> usize {
        (4 * rayon::current_num_threads()).max(8)
    }

    fn n_rows(&self) -> usize {
        self.points.n_rows
    }

    fn distance_matrix(&self) -> Option<&DistanceMatrix> {
        self.matrix.as_ref()
    }

    fn assign(&mut self, medoids: &[u32]) -> Result<Vec<Nearest>, ClusterError> {
        let d = self.points.n_cols;
        let mut rows = Vec::with_capacity(medoids.len() * d);
        for &m in medoids {
            rows.extend_from_slice(self.points.row(m as usize));
        }
        let medoid_rows = Matrix::new(medoids.len(), d, rows);
        let (points, metric) = (&self.points, self.metric);
        Ok((0..points.n_rows)
            .into_par_iter()
            .with_min_len(1024)
            .map(|o| assign(metric, points.row(o), o as u32, &medoid_rows, medoids))
            .collect())
    }

    fn load_swap_state(&mut self, state: &SwapState) -> Result<(), ClusterError> {
        self.swap = Some(SwapState {
            k: state.k,
            group_start: Vec::new(),
            order: Vec::new(),
            near_sorted: Vec::new(),
            second_sorted: Vec::new(),
            removal: state.removal.clone(),
            nearest: state.nearest.clone(),
        });
        Ok(())
    }

    fn swap_gains(&mut self, first: usize, count: usize) -> Result<Vec<SwapGain>, ClusterError> {
        let Some(state) = &self.swap else {
            return Err(ClusterError::Internal(
                "swap scan before an assignment".into(),
            ));
        };
        let k = state.k;
        let rows = (first..first + count).into_par_iter();
        Ok(self.score(
            rows,
            |&j| j,
            |_, distances| {
                let (mut loss, mut gain) = (vec![0f32; k], vec![0f32; k]);
                swap_gain(distances, state, &mut loss, &mut gain)
            },
        ))
    }

    fn build_gains(
        &mut self,
        near: Option<&[f32]>,
        first: usize,
        count: usize,
    ) -> Result<Vec<f32>, ClusterError> {
        let rows = (first..first + count).into_par_iter();
        Ok(self.score(rows, |&j| j, |j, distances| build_gain(j, distances, near)))
    }

    fn load_nearest(&mut self, medoids: &[u32], nearest: &[Nearest]) -> Result<(), ClusterError> {
        self.nearest = nearest.to_vec();
        self.medoids = medoids.to_vec();
        Ok(())
    }

    fn neighbor_gains(&mut self, pairs: &[[u32; 2]]) -> Result<Vec<f32>, ClusterError> {
        let nearest = &self.nearest;
        if self.matrix.is_none() && self.metric != Metric::Cosine {
            let (points, metric, medoids) = (&self.points, self.metric, &self.medoids);
            return Ok(pairs
                .par_iter()
                .map(|&[removed, j]| {
                    let row = points.row(j as usize);
                    let to_medoids: Vec<f32> = medoids
                        .iter()
                        .map(|&m| metric.distance(row, points.row(m as usize)))
                        .collect();
                    neighbor_gain_pruned(metric, points, row, removed, &to_medoids, nearest)
                })
                .collect());
        }
        Ok(self.score(
            pairs.par_iter(),
            |pair| pair[1] as usize,
            |pair, distances| neighbor_gain(pair[0], distances, nearest),
        ))
    }
}
