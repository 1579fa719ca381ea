//! What a backend does for the k-medoids searches (the `LloydSteps` pattern): assign
//! points to their nearest and second-nearest medoids, and score candidates — swaps
//! (FasterPAM, PAM), BUILD additions, CLARANS neighbours — many at once. The searches in
//! `search.rs`, `clara.rs` and `clarans.rs` are written once over these steps; the CPU
//! twins are in `cpu.rs`, the WGSL passes in `gpu.rs`.

use crate::cluster::ClusterError;

/// "No slot": the second nearest medoid when there is only one.
pub const NO_SLOT: u32 = u32::MAX;

/// A point's nearest and second-nearest medoid (slots into the medoid list) and their
/// distances. Keep in sync with the `vec4<u32>` records of `shaders/kmedoids/assign.wgsl`
/// (slot, distance bits, slot, distance bits).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Nearest {
    pub near: u32,
    pub near_distance: f32,
    pub second: u32,
    pub second_distance: f32,
}

const _: () = assert!(std::mem::size_of::<Nearest>() == 16);

/// The best swap for one candidate: the loss change and the slot it replaces.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SwapGain {
    pub change: f32,
    pub slot: u32,
}

/// An assignment arranged for the swap scan: points grouped by nearest medoid (stable, so
/// ascending within a group), with each medoid's removal loss.
pub struct SwapState {
    pub k: usize,
    /// `group_start[s]..group_start[s + 1]` are slot s's positions in `order` (k + 1).
    pub group_start: Vec<u32>,
    pub order: Vec<u32>,
    pub near_sorted: Vec<f32>,
    pub second_sorted: Vec<f32>,
    /// Per slot: Σ (second − nearest) over its points, in index order.
    pub removal: Vec<f32>,
    /// The assignment in index order (the CPU scans it so).
    pub nearest: Vec<Nearest>,
}

impl SwapState {
    pub fn new(nearest: &[Nearest], k: usize) -> Self {
        let mut group_start = vec![0u32; k + 1];
        for n in nearest {
            group_start[n.near as usize + 1] += 1;
        }
        for s in 0..k {
            group_start[s + 1] += group_start[s];
        }
        let mut next = group_start.clone();
        let n = nearest.len();
        let (mut order, mut near_sorted, mut second_sorted) =
            (vec![0u32; n], vec![0f32; n], vec![0f32; n]);
        let mut removal = vec![0f32; k];
        for (o, rec) in nearest.iter().enumerate() {
            let s = rec.near as usize;
            let t = next[s] as usize;
            next[s] += 1;
            order[t] = o as u32;
            near_sorted[t] = rec.near_distance;
            second_sorted[t] = rec.second_distance;
            removal[s] += rec.second_distance - rec.near_distance;
        }
        Self {
            k,
            group_start,
            order,
            near_sorted,
            second_sorted,
            removal,
            nearest: nearest.to_vec(),
        }
    }
}

/// What one backend provides for the k-medoids searches.
pub trait MedoidSteps {
    /// Rows scored per call that keep the backend busy.
    fn batch(&self) -> usize;
    /// Rows the steps work on.
    fn n_rows(&self) -> usize;
    /// The n × n distance matrix, when the backend keeps one.
    fn distance_matrix(&self) -> Option<&super::distance::DistanceMatrix> {
        None
    }
    /// Nearest and second-nearest of every point among the medoid rows `medoids`.
    fn assign(&mut self, medoids: &[u32]) -> Result<Vec<Nearest>, ClusterError>;
    /// Makes `state` the assignment the following [`Self::swap_gains`] calls score against.
    fn load_swap_state(&mut self, state: &SwapState) -> Result<(), ClusterError>;
    /// The best swap for each candidate row `first..first + count`.
    fn swap_gains(&mut self, first: usize, count: usize) -> Result<Vec<SwapGain>, ClusterError>;
    /// BUILD: the loss change of adding each candidate row `first..first + count` as a
    /// medoid, given each point's nearest distance so far (None: the first medoid, whose
    /// score is its total distance).
    fn build_gains(
        &mut self,
        near: Option<&[f32]>,
        first: usize,
        count: usize,
    ) -> Result<Vec<f32>, ClusterError>;
    /// Makes `nearest`, the assignment to `medoids`, the one the following
    /// [`Self::neighbor_gains`] calls use.
    fn load_nearest(&mut self, medoids: &[u32], nearest: &[Nearest]) -> Result<(), ClusterError>;
    /// CLARANS: the loss change of each (slot, candidate row) swap.
    fn neighbor_gains(&mut self, pairs: &[[u32; 2]]) -> Result<Vec<f32>, ClusterError>;
}

/// Σ nearest distance in f64, the loss every method reports.
pub fn loss(nearest: &[Nearest]) -> f64 {
    nearest.iter().map(|n| n.near_distance as f64).sum()
}
