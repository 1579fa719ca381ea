//! t-SNE (van der Maaten & Hinton 2008) by Barnes–Hut (van der Maaten 2014), as
//! scikit-learn's `TSNE(method="barnes_hut")` runs it: affinities over ⌊3·perplexity⌋ + 1
//! neighbours (`affinities.rs`), a PCA start scaled to a standard deviation of 10⁻⁴,
//! 250 iterations of early exaggeration at momentum 0.5, then momentum 0.8, gains, and the
//! learning rate max(n / exaggeration / 4, 50). Each iteration's quadtree is built on the
//! CPU (`quadtree.rs`); the forces, Z and the update run as WGSL passes (`gpu.rs`,
//! `shaders/tsne/gradient.wgsl`) or their CPU twins (`cpu.rs`). Leaves of up to eight
//! points are summed point by point, so the repulsion is at least as exact as
//! scikit-learn's one-point leaves.

pub mod affinities;
mod cpu;
pub mod gpu;
pub mod quadtree;

use std::sync::Arc;
use std::time::Instant;

use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

pub use affinities::{Affinities, joint, neighbours_for};
pub use cpu::GradientParams;
pub use quadtree::{QuadTree, quadtree};

use super::Pca;
use super::map::{Map, MapFrame, MapSteps, neighbours, run_steps};
use crate::cluster::{Backend, BackendChoice, ClusterError, Engine, ParamsError, RunContext};
use crate::matrix::Matrix;
use crate::spatial::metric::Metric;

/// Iterations of early exaggeration (scikit-learn's `_EXPLORATION_MAX_ITER`).
pub const EXPLORATION_ITERATIONS: usize = 250;
const MIN_GAIN: f32 = 0.01;

/// Where the map starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TsneInit {
    #[default]
    Pca,
    Random,
}

/// t-SNE's parameters, named as scikit-learn's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TsneParams {
    pub perplexity: f64,
    pub early_exaggeration: f64,
    /// None: "auto", max(n / early_exaggeration / 4, 50).
    pub learning_rate: Option<f64>,
    pub max_iter: usize,
    /// Barnes–Hut's θ: a node counts as one mass when width < θ · distance.
    pub angle: f64,
    pub metric: Metric,
    pub init: TsneInit,
    pub seed: u64,
}

impl Default for TsneParams {
    fn default() -> Self {
        Self {
            perplexity: 30.0,
            early_exaggeration: 12.0,
            learning_rate: None,
            max_iter: 1000,
            angle: 0.5,
            metric: Metric::Euclidean,
            init: TsneInit::Pca,
            seed: 42,
        }
    }
}

impl TsneParams {
    /// Checks every field against `n_rows` rows.
    pub fn check(&self, n_rows: usize) -> Result<(), ParamsError> {
        if !(self.perplexity > 0.0 && self.perplexity.is_finite()) {
            return Err(ParamsError::new(
                "perplexity",
                "{perplexity} must be above 0",
            ));
        }
        if self.perplexity >= n_rows as f64 {
            return Err(ParamsError::new(
                "perplexity",
                format!(
                    "{{perplexity}} = {} must be below the number of rows ({n_rows})",
                    self.perplexity
                ),
            ));
        }
        if n_rows < 3 {
            return Err(ParamsError::new(
                "perplexity",
                format!("t-SNE needs at least 3 rows; there are {n_rows}"),
            ));
        }
        if !(self.early_exaggeration >= 1.0 && self.early_exaggeration.is_finite()) {
            return Err(ParamsError::new(
                "early_exaggeration",
                "{early_exaggeration} must be at least 1",
            ));
        }
        if let Some(rate) = self.learning_rate
            && !(rate > 0.0 && rate.is_finite())
        {
            return Err(ParamsError::new(
                "learning_rate",
                "{learning_rate} must be above 0 (or auto)",
            ));
        }
        if self.max_iter == 0 {
            return Err(ParamsError::new("max_iter", "{max_iter} cannot be 0"));
        }
        if !(0.0..=1.0).contains(&self.angle) {
            return Err(ParamsError::new("angle", "{angle} must be between 0 and 1"));
        }
        Ok(())
    }

    /// The learning rate on `n` rows.
    pub fn rate(&self, n: usize) -> f64 {
        self.learning_rate
            .unwrap_or_else(|| (n as f64 / self.early_exaggeration / 4.0).max(50.0))
    }

    /// Iteration `i`'s exaggeration and momentum.
    pub fn phase(&self, i: usize) -> (f32, f32) {
        if i < EXPLORATION_ITERATIONS {
            (self.early_exaggeration as f32, 0.5)
        } else {
            (1.0, 0.8)
        }
    }
}

/// The PCA (or random) start, as scikit-learn's.
pub fn initial_positions(points: &Matrix, params: &TsneParams) -> Vec<[f32; 2]> {
    let n = points.n_rows;
    let pca = match params.init {
        TsneInit::Pca if points.n_cols >= 2 => Pca::fit_cpu(points).ok(),
        _ => None,
    };
    match pca {
        Some(pca) => {
            let projected = pca.project(points, 0, 1);
            let mean = projected.iter().map(|p| p[0] as f64).sum::<f64>() / n as f64;
            let std = (projected
                .iter()
                .map(|p| (p[0] as f64 - mean).powi(2))
                .sum::<f64>()
                / n as f64)
                .sqrt()
                .max(f64::MIN_POSITIVE);
            projected
                .iter()
                .map(|p| {
                    [
                        (p[0] as f64 / std * 1e-4) as f32,
                        (p[1] as f64 / std * 1e-4) as f32,
                    ]
                })
                .collect()
        }
        None => {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(params.seed);
            let normal = Normal::new(0.0f32, 1e-4).unwrap_or_else(|_| unreachable!("valid"));
            (0..n)
                .map(|_| [normal.sample(&mut rng), normal.sample(&mut rng)])
                .collect()
        }
    }
}

/// The CPU twin's state.
pub struct CpuGradient {
    affinities: Affinities,
    positions: Vec<[f32; 2]>,
    gains: Vec<[f32; 2]>,
    updates: Vec<[f32; 2]>,
    forces: Vec<[f32; 4]>,
    z_rows: Vec<f32>,
}

impl CpuGradient {
    pub fn new(affinities: Affinities, start: Vec<[f32; 2]>) -> Self {
        let n = start.len();
        Self {
            affinities,
            positions: start,
            gains: vec![[1.0; 2]; n],
            updates: vec![[0.0; 2]; n],
            forces: vec![[0.0; 4]; n],
            z_rows: vec![0.0; n],
        }
    }

    /// One iteration over `tree` (built from [`Self::positions`]).
    pub fn iterate(&mut self, tree: &QuadTree, params: &GradientParams) {
        cpu::forces(
            tree,
            &self.positions,
            &self.affinities,
            params.theta2,
            &mut self.forces,
            &mut self.z_rows,
        );
        let z = cpu::sum(&self.z_rows);
        cpu::update(
            params,
            &self.forces,
            z,
            &mut self.gains,
            &mut self.updates,
            &mut self.positions,
        );
    }

    pub fn positions(&self) -> &[[f32; 2]] {
        &self.positions
    }
}

enum Gradient {
    Cpu(CpuGradient),
    Gpu(Box<gpu::GpuGradient>),
}

struct TsneSteps {
    params: TsneParams,
    rate: f32,
    gradient: Gradient,
}

impl TsneSteps {
    fn gradient_params(&self, step: usize) -> GradientParams {
        let (exaggeration, momentum) = self.params.phase(step);
        GradientParams {
            theta2: (self.params.angle * self.params.angle) as f32,
            exaggeration,
            momentum,
            learning_rate: self.rate,
            min_gain: MIN_GAIN,
        }
    }
}

impl MapSteps for TsneSteps {
    fn step(&mut self, step: usize, _: usize) -> Result<(), ClusterError> {
        let params = self.gradient_params(step);
        match &mut self.gradient {
            Gradient::Cpu(cpu) => {
                let tree = quadtree(cpu.positions());
                cpu.iterate(&tree, &params);
            }
            Gradient::Gpu(gpu) => {
                let tree = quadtree(&gpu.positions()?);
                gpu.iterate(&tree, &params)?;
            }
        }
        Ok(())
    }

    fn positions(&mut self) -> Result<Vec<[f32; 2]>, ClusterError> {
        match &self.gradient {
            Gradient::Cpu(cpu) => Ok(cpu.positions().to_vec()),
            Gradient::Gpu(gpu) => Ok(gpu.positions()?),
        }
    }
}

/// The t-SNE map of `points` on `backend` (auto: a hardware GPU, else the CPU), positions
/// handed to `on_frame` as they refine.
pub fn tsne(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &TsneParams,
    backend: BackendChoice,
    context: &RunContext,
    on_frame: &mut dyn FnMut(MapFrame<'_>),
) -> Result<Map, ClusterError> {
    let started = Instant::now();
    let n = points.n_rows;
    params.check(n)?;
    let k = neighbours_for(params.perplexity, n);
    let knn = neighbours(points, k, params.metric, params.seed, context)?;
    context.check_cancelled()?;
    let affinities = joint(&knn, params.perplexity);
    let start = initial_positions(points, params);
    let resolved = engine.resolve(backend)?;
    let (gradient, used, adapter) = match resolved {
        Backend::Gpu => {
            let attempt = engine
                .gpu()
                .and_then(|gpu| Ok(gpu::GpuGradient::new(&gpu, &affinities, &start)?));
            match attempt {
                Ok(device) => {
                    let adapter = device.adapter_name();
                    (Gradient::Gpu(Box::new(device)), Backend::Gpu, adapter)
                }
                Err(error) if backend == BackendChoice::Gpu => return Err(error),
                Err(error) => {
                    tracing::info!("t-SNE on the CPU: {error}");
                    let cpu = CpuGradient::new(affinities, start);
                    (Gradient::Cpu(cpu), Backend::Cpu, crate::cluster::cpu_name())
                }
            }
        }
        Backend::Cpu => (
            Gradient::Cpu(CpuGradient::new(affinities, start)),
            Backend::Cpu,
            crate::cluster::cpu_name(),
        ),
    };
    let mut steps = TsneSteps {
        params: params.clone(),
        rate: params.rate(n) as f32,
        gradient,
    };
    let coordinates = run_steps(
        &mut steps,
        params.max_iter,
        "t-SNE iterations",
        context,
        on_frame,
    )?;
    Ok(Map {
        coordinates,
        method: "tsne",
        metric: params.metric,
        backend: used,
        adapter,
        elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        steps: params.max_iter,
        neighbours_exact: knn.exact,
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::gaussian_blobs;

    fn field(params: TsneParams, n: usize) -> &'static str {
        params.check(n).unwrap_err().field
    }

    #[test]
    fn one_test_per_rule() {
        let base = TsneParams::default();
        assert!(base.check(100).is_ok());
        assert_eq!(
            field(
                TsneParams {
                    perplexity: 0.0,
                    ..base.clone()
                },
                100
            ),
            "perplexity"
        );
        assert_eq!(
            field(
                TsneParams {
                    perplexity: 100.0,
                    ..base.clone()
                },
                100
            ),
            "perplexity"
        );
        assert_eq!(
            field(
                TsneParams {
                    early_exaggeration: 0.5,
                    ..base.clone()
                },
                100
            ),
            "early_exaggeration"
        );
        assert_eq!(
            field(
                TsneParams {
                    learning_rate: Some(0.0),
                    ..base.clone()
                },
                100
            ),
            "learning_rate"
        );
        assert_eq!(
            field(
                TsneParams {
                    max_iter: 0,
                    ..base.clone()
                },
                100
            ),
            "max_iter"
        );
        assert_eq!(
            field(
                TsneParams {
                    angle: 1.5,
                    ..base.clone()
                },
                100
            ),
            "angle"
        );
    }

    #[test]
    fn the_tree_walk_with_angle_zero_equals_every_pair() {
        let points = gaussian_blobs(300, 2, 3, 1.0, 5).points;
        let positions: Vec<[f32; 2]> = (0..300)
            .map(|i| [points.row(i)[0], points.row(i)[1]])
            .collect();
        let tree = quadtree(&positions);
        let empty = Affinities {
            row_starts: vec![0; 301],
            columns: Vec::new(),
            values: Vec::new(),
        };
        let mut forces = vec![[0.0f32; 4]; 300];
        let mut z = vec![0.0f32; 300];
        cpu::forces(&tree, &positions, &empty, 0.0, &mut forces, &mut z);
        for i in 0..300 {
            let (mut zi, mut fx, mut fy, mut scale) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
            for j in 0..300 {
                if i == j {
                    continue;
                }
                let dx = (positions[i][0] - positions[j][0]) as f64;
                let dy = (positions[i][1] - positions[j][1]) as f64;
                let q = 1.0 / (1.0 + dx * dx + dy * dy);
                zi += q;
                fx += q * q * dx;
                fy += q * q * dy;
                scale += q * q * (dx.abs() + dy.abs());
            }
            // f32 sums of terms of both signs: errors relative to the terms' size.
            assert!((z[i] as f64 - zi).abs() <= 1e-4 * zi);
            assert!((forces[i][2] as f64 - fx).abs() <= 1e-5 * scale);
            assert!((forces[i][3] as f64 - fy).abs() <= 1e-5 * scale);
        }
        // θ = 0.5 stays close to exact.
        let mut approximate = vec![[0.0f32; 4]; 300];
        let mut z_approx = vec![0.0f32; 300];
        cpu::forces(
            &tree,
            &positions,
            &empty,
            0.25,
            &mut approximate,
            &mut z_approx,
        );
        let total: f64 = z.iter().map(|&v| v as f64).sum();
        let total_approx: f64 = z_approx.iter().map(|&v| v as f64).sum();
        assert!((total - total_approx).abs() < 0.02 * total);
    }
}
