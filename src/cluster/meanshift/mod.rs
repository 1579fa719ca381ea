//! Mean shift with a flat kernel, as scikit-learn's `MeanShift`: every seed (each row, or
//! the occupied cells of a grid of bandwidth-sized bins) climbs to the mean of the rows
//! within the bandwidth until it moves less than 10⁻³ bandwidths; the modes, strongest
//! first, absorb weaker ones within a bandwidth; each row joins its nearest mode, or is
//! noise past a bandwidth from all of them when `cluster_all` is off. The number of
//! clusters is found, not given. On the CPU with the k-d tree (each seed's climb is
//! independent, so seeds run in parallel).

pub mod gpu;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::params::{ParamSpec, ParamsError, RealRange, real};
use super::{
    Algorithm, AlgorithmInfo, Backend, BackendChoice, ClusterError, Clustering, Engine, Family,
    Input, NOISE, Progress, RunContext, RunDiagnostics, Structure, StructureKind, cpu_name,
};
use crate::matrix::Matrix;
use crate::spatial::KdTree;

/// The declarations of [`MeanShiftParams`].
pub const PARAMETERS: &[ParamSpec] = &[
    ParamSpec::real(
        "bandwidth",
        0.0,
        RealRange::NON_NEGATIVE,
        "the flat kernel's radius, in the scaled feature space; 0 = estimated from the quantile",
    ),
    ParamSpec::real(
        "quantile",
        0.3,
        RealRange {
            min: 0.0,
            min_inclusive: false,
            max: 1.0,
            max_inclusive: true,
        },
        "for an estimated bandwidth: the mean distance to the nearest quantile × n rows (as scikit-learn)",
    )
    // scikit-learn's 0.3 merges all but the most separated groups; the window starts finer.
    .window_start(super::params::Literal::Real(0.1)),
    ParamSpec::switch(
        "bin_seeding",
        "seed from the occupied cells of a bandwidth-sized grid instead of every row (much faster)",
    ),
    ParamSpec::count(
        "min_bin_freq",
        1,
        "with bin seeding: only cells holding at least this many rows seed",
    ),
    ParamSpec::switch_on(
        "cluster_all",
        "every row joins its nearest mode; off: rows farther than the bandwidth from every mode are noise",
    ),
    ParamSpec::count("max_iterations", 300, "climbing steps per seed at most"),
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeanShiftParams {
    #[serde(with = "real")]
    pub bandwidth: f64,
    #[serde(with = "real")]
    pub quantile: f64,
    pub bin_seeding: bool,
    pub min_bin_freq: usize,
    pub cluster_all: bool,
    pub max_iterations: usize,
}

impl Default for MeanShiftParams {
    fn default() -> Self {
        Self {
            bandwidth: 0.0,
            quantile: 0.3,
            bin_seeding: false,
            min_bin_freq: 1,
            cluster_all: true,
            max_iterations: 300,
        }
    }
}

impl MeanShiftParams {
    pub fn bandwidth(mut self, bandwidth: f64) -> Self {
        self.bandwidth = bandwidth;
        self
    }

    pub fn bin_seeding(mut self, on: bool) -> Self {
        self.bin_seeding = on;
        self
    }

    pub fn cluster_all(mut self, on: bool) -> Self {
        self.cluster_all = on;
        self
    }

    pub fn check(&self) -> Result<(), ParamsError> {
        super::check_declared::<MeanShift>(self)
    }
}

/// The registry's mean shift.
pub struct MeanShift;

impl Algorithm for MeanShift {
    type Params = MeanShiftParams;
    type Valid = MeanShiftParams;

    const INFO: AlgorithmInfo = AlgorithmInfo {
        id: "meanshift",
        name: "Mean shift",
        family: Family::Density,
        summary: "seeds climb to the densest point within a bandwidth; the modes found are the clusters (no k to choose)",
        parameters: PARAMETERS,
        gpu_passes: gpu::PASSES,
        structures: &[StructureKind::Centres],
    };

    fn check(
        params: &MeanShiftParams,
        _n_rows: Option<usize>,
    ) -> Result<MeanShiftParams, ParamsError> {
        params.check()?;
        Ok(params.clone())
    }

    fn estimate(valid: &MeanShiftParams, n: usize, d: usize) -> super::cost::Estimate {
        let seeds = if valid.bin_seeding { n.min(10_000) } else { n };
        // Each climb takes a few dozen radius queries; the estimated bandwidth scans pairs.
        let climbs = super::cost::tree_queries(n, d, 32).cpu_seconds
            * (seeds as f64 / n.max(1) as f64)
            * 30.0;
        let estimate = if valid.bandwidth == 0.0 {
            super::cost::all_pairs(n, d, 2.0, None).cpu_seconds
        } else {
            0.0
        };
        super::cost::Estimate::new(climbs + estimate, (n * d * 8 + n * 16) as f64)
    }

    fn run(
        valid: &MeanShiftParams,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        let fit = fit_on(engine, input.points, valid, input.backend, context)?;
        let centres = Matrix::new(
            fit.modes.len(),
            input.points.n_cols,
            fit.modes.iter().flatten().map(|&v| v as f32).collect(),
        );
        Ok(
            Clustering::new(fit.labels, fit.modes.len(), fit.diagnostics)
                .with(Structure::Centres(Arc::new(centres))),
        )
    }
}

/// What [`fit`] finds.
pub struct MeanShiftFit {
    /// Mode of each row (or [`NOISE`]), modes numbered strongest first.
    pub labels: Vec<u32>,
    /// The modes, strongest (most rows within the bandwidth) first.
    pub modes: Vec<Vec<f64>>,
    /// The bandwidth used (given or estimated).
    pub bandwidth: f64,
    pub diagnostics: RunDiagnostics,
}

/// scikit-learn's `estimate_bandwidth`: the mean over rows of the distance to the
/// ⌊quantile · n⌋-th nearest row, the row itself counted first. All pairs, in parallel.
pub fn estimate_bandwidth(
    points: &Matrix,
    quantile: f64,
    context: &RunContext,
) -> Result<f64, ClusterError> {
    let n = points.n_rows;
    let neighbours = ((n as f64 * quantile) as usize).max(1);
    if neighbours <= 1 {
        return Ok(0.0);
    }
    let d = points.n_cols;
    let mut total = 0.0;
    for block in (0..n).collect::<Vec<_>>().chunks(4096) {
        context.check_cancelled()?;
        total += block
            .par_iter()
            .map_init(
                || vec![0.0f64; n],
                |distances, &row| {
                    let x = points.row(row);
                    for (other, slot) in distances.iter_mut().enumerate() {
                        let y = &points.values[other * d..(other + 1) * d];
                        *slot = x
                            .iter()
                            .zip(y)
                            .map(|(&a, &b)| (a as f64 - b as f64).powi(2))
                            .sum::<f64>();
                    }
                    // The point itself is the first of the `neighbours`.
                    let (_, kth, _) =
                        distances.select_nth_unstable_by(neighbours - 1, f64::total_cmp);
                    kth.sqrt()
                },
            )
            .sum::<f64>();
    }
    Ok(total / n as f64)
}

/// The seeds: every row, or the centres of the bins (side `bandwidth`) holding at least
/// `min_bin_freq` rows (every row when binning would not reduce them, as scikit-learn).
fn seeds(points: &Matrix, params: &MeanShiftParams, bandwidth: f64) -> Vec<Vec<f64>> {
    let rows = || {
        (0..points.n_rows)
            .map(|r| points.row(r).iter().map(|&v| v as f64).collect())
            .collect()
    };
    if !params.bin_seeding || bandwidth == 0.0 {
        return rows();
    }
    let mut bins: HashMap<Vec<i64>, usize> = HashMap::new();
    let mut order: Vec<Vec<i64>> = Vec::new();
    for r in 0..points.n_rows {
        let cell: Vec<i64> = points
            .row(r)
            .iter()
            .map(|&v| (v as f64 / bandwidth).round_ties_even() as i64)
            .collect();
        let count = bins.entry(cell.clone()).or_insert(0);
        if *count == 0 {
            order.push(cell);
        }
        *count += 1;
    }
    let kept: Vec<Vec<f64>> = order
        .into_iter()
        .filter(|cell| bins[cell] >= params.min_bin_freq)
        // scikit-learn stores the bin seeds as float32 before scaling them back.
        .map(|cell| {
            cell.iter()
                .map(|&c| (c as f32) as f64 * bandwidth)
                .collect()
        })
        .collect();
    if kept.len() == points.n_rows {
        return rows();
    }
    kept
}

/// Where the rows within a bandwidth of each seed are summed.
enum Stepper<'a> {
    Cpu(&'a KdTree),
    Gpu(&'a gpu::GpuShift),
}

impl Stepper<'_> {
    /// (coordinate sums, count) of the rows within `bandwidth` of each of `means`.
    fn sums(
        &self,
        means: &[&[f64]],
        bandwidth: f64,
    ) -> Result<Vec<(Vec<f64>, usize)>, ClusterError> {
        match self {
            Stepper::Cpu(tree) => Ok(means
                .par_iter()
                .with_min_len(16)
                .map(|mean| {
                    let mut sums = vec![0.0; mean.len()];
                    let within = tree.sum_within(mean, bandwidth, &mut sums);
                    (sums, within)
                })
                .collect()),
            Stepper::Gpu(device) => {
                let flat: Vec<f64> = means.iter().flat_map(|m| m.iter().copied()).collect();
                Ok(device.step(&flat, bandwidth)?)
            }
        }
    }
}

/// One seed's climb so far.
struct Climb {
    mean: Vec<f64>,
    /// Rows within the bandwidth of the mean before the last move.
    within: usize,
    steps: usize,
    done: bool,
}

/// Every seed's climb to its mode, in rounds over the seeds still moving: each moves to
/// the mean of the rows within the bandwidth until it moves at most 10⁻³ bandwidths, has
/// no rows around it, or has taken `max_iterations` steps (scikit-learn's rule).
fn climb_all(
    stepper: &Stepper<'_>,
    seeds: Vec<Vec<f64>>,
    bandwidth: f64,
    max_iterations: usize,
    context: &RunContext,
) -> Result<Vec<Climb>, ClusterError> {
    let stop = 1e-3 * bandwidth;
    let mut climbs: Vec<Climb> = seeds
        .into_iter()
        .map(|mean| Climb {
            mean,
            within: 0,
            steps: 0,
            done: false,
        })
        .collect();
    let mut round = 0;
    loop {
        context.check_cancelled()?;
        let active: Vec<usize> = (0..climbs.len()).filter(|&i| !climbs[i].done).collect();
        if active.is_empty() {
            return Ok(climbs);
        }
        round += 1;
        context.report(Progress {
            phase: "mean shift climbs",
            iteration: round,
            max_iterations: max_iterations + 1,
            shift: active.len() as f64,
        });
        let means: Vec<&[f64]> = active.iter().map(|&i| climbs[i].mean.as_slice()).collect();
        let sums = stepper.sums(&means, bandwidth)?;
        for (&i, (sums, within)) in active.iter().zip(sums) {
            let climb = &mut climbs[i];
            climb.within = within;
            if within == 0 {
                climb.done = true;
                continue;
            }
            let next: Vec<f64> = sums.iter().map(|s| s / within as f64).collect();
            let moved = next
                .iter()
                .zip(&climb.mean)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                .sqrt();
            climb.mean = next;
            if moved <= stop || climb.steps == max_iterations {
                climb.done = true;
            } else {
                climb.steps += 1;
            }
        }
    }
}

/// Runs mean shift on `points` on the CPU.
pub fn fit(
    points: &Matrix,
    params: &MeanShiftParams,
    context: &RunContext,
) -> Result<MeanShiftFit, ClusterError> {
    fit_with(points, params, None, context)
}

/// Runs mean shift with the climbs on the chosen backend: the GPU pass scans every row for
/// every seed, so `auto` takes it only on a hardware GPU and up to the all-pairs size.
pub fn fit_on(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &MeanShiftParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<MeanShiftFit, ClusterError> {
    let device = match engine.resolve_pairwise(backend, points.n_rows)? {
        Backend::Cpu => None,
        Backend::Gpu => match gpu::GpuShift::new(&engine.gpu()?, points) {
            Ok(device) => Some(device),
            Err(error) if backend == BackendChoice::Auto => {
                tracing::info!("mean shift on the CPU: {error}");
                None
            }
            Err(error) => return Err(error.into()),
        },
    };
    fit_with(points, params, device.as_ref(), context)
}

fn fit_with(
    points: &Matrix,
    params: &MeanShiftParams,
    device: Option<&gpu::GpuShift>,
    context: &RunContext,
) -> Result<MeanShiftFit, ClusterError> {
    let started = Instant::now();
    params.check()?;
    if points.n_rows == 0 {
        return Err(ParamsError::new("bandwidth", "there are no rows to cluster").into());
    }
    let bandwidth = if params.bandwidth > 0.0 {
        params.bandwidth
    } else {
        estimate_bandwidth(points, params.quantile, context)?
    };
    if !(bandwidth > 0.0 && bandwidth.is_finite()) {
        return Err(ParamsError::new(
            "bandwidth",
            format!(
                "the estimated bandwidth is {bandwidth}: at quantile {} the neighbours are duplicates; give {{bandwidth}} > 0 or raise {{quantile}}",
                params.quantile
            ),
        )
        .into());
    }
    let seeds = seeds(points, params, bandwidth);
    let tree;
    let stepper = match device {
        Some(device) => Stepper::Gpu(device),
        None => {
            tree = KdTree::build(points);
            Stepper::Cpu(&tree)
        }
    };
    let climbs = climb_all(&stepper, seeds, bandwidth, params.max_iterations, context)?;
    let steps = climbs.iter().map(|c| c.steps).max().unwrap_or(0);
    // One entry per distinct mode (identical climbs collapse), as scikit-learn's dict.
    let mut intensity: HashMap<Vec<u64>, (Vec<f64>, usize)> = HashMap::new();
    for Climb {
        mean: mode, within, ..
    } in climbs
    {
        if within > 0 {
            let key = mode.iter().map(|v| v.to_bits()).collect();
            intensity.insert(key, (mode, within));
        }
    }
    if intensity.is_empty() {
        return Err(ParamsError::new(
            "bandwidth",
            format!("no row lies within the bandwidth {bandwidth} of any seed; raise {{bandwidth}} or turn off {{bin_seeding}}"),
        )
        .into());
    }
    // Strongest first; equal counts by the mode's coordinates, descending (scikit-learn
    // sorts (count, coordinates) in reverse).
    let mut sorted: Vec<(Vec<f64>, usize)> = intensity.into_values().collect();
    sorted.sort_by(|a, b| {
        b.1.cmp(&a.1).then_with(|| {
            b.0.iter()
                .zip(&a.0)
                .map(|(x, y)| x.total_cmp(y))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        })
    });
    let within_bandwidth = |a: &[f64], b: &[f64]| {
        a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>() <= bandwidth * bandwidth
    };
    let mut unique = vec![true; sorted.len()];
    for i in 0..sorted.len() {
        if unique[i] {
            for j in 0..sorted.len() {
                if j != i && within_bandwidth(&sorted[i].0, &sorted[j].0) {
                    unique[j] = false;
                }
            }
        }
    }
    let modes: Vec<Vec<f64>> = sorted
        .into_iter()
        .zip(&unique)
        .filter(|(_, keep)| **keep)
        .map(|(m, _)| m.0)
        .collect();
    let labels: Vec<u32> = (0..points.n_rows)
        .into_par_iter()
        .map(|r| {
            let x = points.row(r);
            let (best, distance) = modes
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let d2: f64 = x.iter().zip(m).map(|(&a, b)| (a as f64 - b).powi(2)).sum();
                    (i, d2)
                })
                .fold(
                    (0, f64::INFINITY),
                    |acc, m| if m.1 < acc.1 { m } else { acc },
                );
            if !params.cluster_all && distance > bandwidth * bandwidth {
                NOISE
            } else {
                best as u32
            }
        })
        .collect();
    Ok(MeanShiftFit {
        labels,
        modes,
        bandwidth,
        diagnostics: RunDiagnostics {
            backend: if device.is_some() {
                Backend::Gpu
            } else {
                Backend::Cpu
            },
            adapter: device.map_or_else(cpu_name, |d| d.adapter_name()),
            iterations: steps,
            converged: true,
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        },
    })
}
