//! UMAP (McInnes, Healy & Melville 2018) as umap-learn computes it: the fuzzy k-NN graph
//! (`fuzzy.rs`), a spectral start (`init.rs`), the output kernel's a and b (`curve.rs`),
//! then epochs of attraction along sampled edges and repulsion from negative samples
//! (`schedule.rs`), each epoch one WGSL pass (`gpu.rs`, `shaders/umap/epoch.wgsl`) or its
//! CPU twin (`cpu.rs`).
//!
//! One difference from umap-learn, for a result that does not depend on thread timing: in
//! an epoch each row moves itself along its own edges while the others' positions are
//! those the epoch started from (umap-learn moves both ends of an edge in place, in
//! parallel without locks). Each pair is still pulled from both ends: the pull on a row is
//! applied twice, once for each direction of its edge.

mod cpu;
mod curve;
mod fuzzy;
pub mod gpu;
mod init;
mod schedule;

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use curve::fit_ab;
pub use fuzzy::{FuzzyGraph, fuzzy_graph, smooth_distances};
pub use init::UmapInit;
pub use schedule::{EpochParams, Schedule};

use super::map::{Map, MapFrame, MapSteps, neighbours, run_steps};
use crate::cluster::{Backend, BackendChoice, ClusterError, Engine, ParamsError, RunContext};
use crate::matrix::Matrix;
use crate::spatial::metric::Metric;

/// UMAP's parameters, named as umap-learn's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UmapParams {
    /// Neighbours per row, the row itself counted (umap-learn's convention).
    pub n_neighbors: usize,
    pub min_dist: f64,
    pub spread: f64,
    /// Epochs; None: 500 up to 10,000 rows (as umap-learn), else 300 (umap-learn: 200).
    pub n_epochs: Option<usize>,
    pub metric: Metric,
    pub learning_rate: f64,
    pub negative_sample_rate: usize,
    pub repulsion_strength: f64,
    pub init: UmapInit,
    pub seed: u64,
}

impl Default for UmapParams {
    fn default() -> Self {
        Self {
            n_neighbors: 15,
            min_dist: 0.1,
            spread: 1.0,
            n_epochs: None,
            metric: Metric::Euclidean,
            learning_rate: 1.0,
            negative_sample_rate: 5,
            repulsion_strength: 1.0,
            init: UmapInit::Spectral,
            seed: 42,
        }
    }
}

impl UmapParams {
    /// Checks every field against `n_rows` rows.
    pub fn check(&self, n_rows: usize) -> Result<(), ParamsError> {
        if self.n_neighbors < 2 {
            return Err(ParamsError::new(
                "n_neighbors",
                "{n_neighbors} must be at least 2 (the row itself and one other)",
            ));
        }
        if self.n_neighbors > n_rows {
            return Err(ParamsError::new(
                "n_neighbors",
                format!(
                    "{{n_neighbors}} = {} is more than the {n_rows} rows",
                    self.n_neighbors
                ),
            ));
        }
        if !(self.spread > 0.0 && self.spread.is_finite()) {
            return Err(ParamsError::new("spread", "{spread} must be above 0"));
        }
        if !(self.min_dist >= 0.0 && self.min_dist <= self.spread) {
            return Err(ParamsError::new(
                "min_dist",
                "{min_dist} must be between 0 and {spread}",
            ));
        }
        if self.n_epochs == Some(0) {
            return Err(ParamsError::new("n_epochs", "{n_epochs} cannot be 0"));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(ParamsError::new(
                "learning_rate",
                "{learning_rate} must be above 0",
            ));
        }
        if !(self.repulsion_strength >= 0.0 && self.repulsion_strength.is_finite()) {
            return Err(ParamsError::new(
                "repulsion_strength",
                "{repulsion_strength} cannot be negative",
            ));
        }
        Ok(())
    }

    /// The epochs a run on `n` rows takes. Above 10,000 rows umap-learn runs 200; ours
    /// move each row from where the others began the epoch, which settles a little slower
    /// than umap-learn's in-place moves: 300 gave its trustworthiness on 70,000 × 784
    /// (BENCHMARKS.md) for 11 % more time.
    pub fn epochs(&self, n: usize) -> usize {
        self.n_epochs.unwrap_or(if n <= 10_000 { 500 } else { 300 })
    }
}

/// Everything the epochs need, built once per (rows, neighbour graph parameters).
pub struct UmapGraph {
    pub graph: FuzzyGraph,
    pub neighbours_exact: bool,
}

/// The fuzzy graph of `points` under `params`.
pub fn umap_graph(
    points: &Matrix,
    params: &UmapParams,
    context: &RunContext,
) -> Result<UmapGraph, ClusterError> {
    params.check(points.n_rows)?;
    let knn = neighbours(
        points,
        params.n_neighbors - 1,
        params.metric,
        params.seed,
        context,
    )?;
    context.check_cancelled()?;
    Ok(UmapGraph {
        graph: fuzzy_graph(&knn),
        neighbours_exact: knn.exact,
    })
}

/// The CPU twin's state.
pub struct CpuEpochs {
    schedule: Schedule,
    next_sample: Vec<f32>,
    next_negative: Vec<f32>,
    positions: Vec<[f32; 2]>,
    moved: Vec<[f32; 2]>,
}

impl CpuEpochs {
    pub fn new(schedule: Schedule, start: Vec<[f32; 2]>, negative_rate: f32) -> Self {
        let (next_sample, next_negative) = schedule.first_samples(negative_rate);
        let moved = start.clone();
        Self {
            schedule,
            next_sample,
            next_negative,
            positions: start,
            moved,
        }
    }

    pub fn epoch(&mut self, params: &EpochParams) {
        cpu::epoch(
            params,
            &self.schedule,
            &mut self.next_sample,
            &mut self.next_negative,
            &self.positions,
            &mut self.moved,
        );
        std::mem::swap(&mut self.positions, &mut self.moved);
    }

    pub fn positions(&self) -> &[[f32; 2]] {
        &self.positions
    }

    pub fn schedules(&self) -> (&[f32], &[f32]) {
        (&self.next_sample, &self.next_negative)
    }
}

/// The per-epoch values of a run.
#[derive(Clone, Copy, Debug)]
pub struct EpochPlan {
    pub n_rows: usize,
    pub a: f32,
    pub b: f32,
    pub learning_rate: f32,
    pub gamma: f32,
    pub negative_rate: f32,
    pub seed: u32,
}

impl EpochPlan {
    pub fn new(params: &UmapParams, n_rows: usize) -> Self {
        let (a, b) = fit_ab(params.spread, params.min_dist);
        Self {
            n_rows,
            a: a as f32,
            b: b as f32,
            learning_rate: params.learning_rate as f32,
            gamma: params.repulsion_strength as f32,
            negative_rate: params.negative_sample_rate as f32,
            seed: (params.seed ^ (params.seed >> 32)) as u32,
        }
    }

    /// Epoch `epoch` of `n_epochs`: the learning rate falls linearly to 0.
    pub fn epoch(&self, epoch: usize, n_epochs: usize) -> EpochParams {
        EpochParams {
            n_rows: self.n_rows as u32,
            epoch: epoch as u32,
            seed: self.seed,
            alpha: self.learning_rate * (1.0 - epoch as f32 / n_epochs as f32),
            a: self.a,
            b: self.b,
            gamma: self.gamma,
            negative_rate: self.negative_rate,
        }
    }
}

enum Epochs {
    Cpu(CpuEpochs),
    Gpu(Box<gpu::GpuEpochs>),
}

struct UmapSteps {
    plan: EpochPlan,
    epochs: Epochs,
}

impl MapSteps for UmapSteps {
    fn step(&mut self, step: usize, n_steps: usize) -> Result<(), ClusterError> {
        let params = self.plan.epoch(step, n_steps);
        match &mut self.epochs {
            Epochs::Cpu(cpu) => cpu.epoch(&params),
            Epochs::Gpu(gpu) => gpu.epoch(&params),
        }
        Ok(())
    }

    fn positions(&mut self) -> Result<Vec<[f32; 2]>, ClusterError> {
        match &self.epochs {
            Epochs::Cpu(cpu) => Ok(cpu.positions().to_vec()),
            Epochs::Gpu(gpu) => Ok(gpu.positions()?),
        }
    }
}

/// The UMAP map of `points`: the graph, the start, then the epochs on `backend` (auto: a
/// hardware GPU, else the CPU), positions handed to `on_frame` as they refine.
pub fn umap(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &UmapParams,
    backend: BackendChoice,
    context: &RunContext,
    on_frame: &mut dyn FnMut(MapFrame<'_>),
) -> Result<Map, ClusterError> {
    let started = Instant::now();
    let n = points.n_rows;
    let graph = umap_graph(points, params, context)?;
    let n_epochs = params.epochs(n);
    let schedule = Schedule::new(&graph.graph, n_epochs);
    let (start, note) =
        init::initial_positions(&graph.graph, points, params.init, params.seed, context)?;
    context.check_cancelled()?;
    let plan = EpochPlan::new(params, n);
    let resolved = engine.resolve(backend)?;
    let (epochs, used, adapter) = match resolved {
        Backend::Gpu => {
            let attempt = engine.gpu().and_then(|gpu| {
                Ok(gpu::GpuEpochs::new(
                    &gpu,
                    &schedule,
                    &start,
                    plan.negative_rate,
                )?)
            });
            match attempt {
                Ok(device) => {
                    let adapter = device.adapter_name();
                    (Epochs::Gpu(Box::new(device)), Backend::Gpu, adapter)
                }
                Err(error) if backend == BackendChoice::Gpu => return Err(error),
                Err(error) => {
                    tracing::info!("UMAP epochs on the CPU: {error}");
                    let cpu = CpuEpochs::new(schedule, start, plan.negative_rate);
                    (Epochs::Cpu(cpu), Backend::Cpu, crate::cluster::cpu_name())
                }
            }
        }
        Backend::Cpu => {
            let cpu = CpuEpochs::new(schedule, start, plan.negative_rate);
            (Epochs::Cpu(cpu), Backend::Cpu, crate::cluster::cpu_name())
        }
    };
    let mut steps = UmapSteps { plan, epochs };
    let coordinates = run_steps(&mut steps, n_epochs, "UMAP epochs", context, on_frame)?;
    Ok(Map {
        coordinates,
        method: "umap",
        metric: params.metric,
        backend: used,
        adapter,
        elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        steps: n_epochs,
        neighbours_exact: graph.neighbours_exact,
        notes: note.into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(params: UmapParams, n: usize) -> &'static str {
        params.check(n).unwrap_err().field
    }

    #[test]
    fn one_test_per_rule() {
        let base = UmapParams::default();
        assert!(base.check(100).is_ok());
        assert_eq!(
            field(
                UmapParams {
                    n_neighbors: 1,
                    ..base.clone()
                },
                100
            ),
            "n_neighbors"
        );
        assert_eq!(
            field(
                UmapParams {
                    n_neighbors: 101,
                    ..base.clone()
                },
                100
            ),
            "n_neighbors"
        );
        assert_eq!(
            field(
                UmapParams {
                    spread: 0.0,
                    ..base.clone()
                },
                100
            ),
            "spread"
        );
        assert_eq!(
            field(
                UmapParams {
                    min_dist: -0.1,
                    ..base.clone()
                },
                100
            ),
            "min_dist"
        );
        assert_eq!(
            field(
                UmapParams {
                    min_dist: 2.0,
                    ..base.clone()
                },
                100
            ),
            "min_dist"
        );
        assert_eq!(
            field(
                UmapParams {
                    n_epochs: Some(0),
                    ..base.clone()
                },
                100
            ),
            "n_epochs"
        );
        assert_eq!(
            field(
                UmapParams {
                    learning_rate: 0.0,
                    ..base.clone()
                },
                100
            ),
            "learning_rate"
        );
        assert_eq!(
            field(
                UmapParams {
                    repulsion_strength: -1.0,
                    ..base.clone()
                },
                100
            ),
            "repulsion_strength"
        );
    }

    #[test]
    fn epochs_default_to_500_then_300() {
        let params = UmapParams::default();
        assert_eq!(params.epochs(10_000), 500);
        assert_eq!(params.epochs(10_001), 300);
        assert_eq!(
            UmapParams {
                n_epochs: Some(7),
                ..params
            }
            .epochs(10),
            7
        );
    }
}
