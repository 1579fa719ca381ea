//! CLARANS (Ng & Han, VLDB 1994): a randomized search over the graph whose nodes are medoid
//! sets and whose edges are single swaps. From random medoids, random neighbours (a medoid
//! and a non-medoid to swap) are tried until `max_neighbor` in a row fail to lower the loss;
//! the best of `num_local` such local minima is kept. Neighbours are scored in batches (in
//! parallel, or in one GPU dispatch) but taken in the order they were drawn, so the search
//! is the sequential one whatever the backend.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::params::{CLARANS_PARAMETERS, ClaransParams};
use super::search::Searched;
use super::steps::{MedoidSteps, Nearest, loss};
use super::{Backing, CpuDistances, KMedoidsResult, gpu, steps_for};
use crate::cluster::{
    Algorithm, AlgorithmInfo, BackendChoice, ClusterError, Clustering, Engine, Family, Input,
    ParamsError, Progress, RunContext, RunDiagnostics, StructureKind,
};
use crate::matrix::Matrix;

/// The registry's CLARANS.
pub struct Clarans;

impl Algorithm for Clarans {
    type Params = ClaransParams;
    type Valid = ClaransParams;

    const INFO: AlgorithmInfo = AlgorithmInfo {
        id: "clarans",
        name: "CLARANS (randomized k-medoids)",
        family: Family::Medoid,
        summary: "k-medoids by randomized search: random swaps tried until max_neighbor in a row fail, the best of num_local searches kept",
        parameters: CLARANS_PARAMETERS,
        gpu_passes: gpu::NEIGHBOR_PASSES,
        structures: &[StructureKind::Medoids],
    };

    fn estimate(valid: &ClaransParams, n: usize, d: usize) -> crate::cluster::cost::Estimate {
        let tries = valid.num_local.max(1) as f64 * valid.neighbours_per_search(n) as f64;
        crate::cluster::cost::medoid_swaps(n, d, valid.n_clusters, tries, 2)
    }

    fn check(params: &ClaransParams, n_rows: Option<usize>) -> Result<ClaransParams, ParamsError> {
        params.check(n_rows)?;
        Ok(params.clone())
    }

    fn run(
        valid: &ClaransParams,
        input: &Input<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Clustering, ClusterError> {
        Ok(fit(engine, input.points, valid, input.backend, context)?.into_clustering())
    }
}

/// The `r`-th row (in index order) that is not a medoid; `sorted` holds the medoids sorted.
fn non_medoid(mut r: u32, sorted: &[u32]) -> u32 {
    for &m in sorted {
        if m <= r {
            r += 1;
        }
    }
    r
}

/// One local search from `medoids`.
fn local_search(
    steps: &mut dyn MedoidSteps,
    mut medoids: Vec<u32>,
    max_neighbor: usize,
    rng: &mut Xoshiro256PlusPlus,
    context: &RunContext,
) -> Result<Searched, ClusterError> {
    let (n, k) = (steps.n_rows(), medoids.len());
    let mut nearest: Vec<Nearest> = steps.assign(&medoids)?;
    steps.load_nearest(&medoids, &nearest)?;
    let mut draws: VecDeque<(u32, u32)> = VecDeque::new();
    let (mut failures, mut swaps, mut tried) = (0usize, 0usize, 0usize);
    let start_batch = steps.batch();
    let mut batch = start_batch;
    if n == k {
        // Every row is a medoid: there is no neighbour.
        return Ok(Searched {
            loss: loss(&nearest),
            medoids,
            nearest,
            iterations: 0,
            swaps: 0,
            converged: true,
        });
    }
    while failures < max_neighbor {
        context.check_cancelled()?;
        let count = batch.min(max_neighbor - failures);
        while draws.len() < count {
            draws.push_back((rng.gen_range(0..k as u32), rng.gen_range(0..(n - k) as u32)));
        }
        let mut sorted = medoids.clone();
        sorted.sort_unstable();
        let pairs: Vec<[u32; 2]> = draws
            .iter()
            .take(count)
            .map(|&(slot, r)| [slot, non_medoid(r, &sorted)])
            .collect();
        let gains = steps.neighbor_gains(&pairs)?;
        match gains.iter().position(|&g| g < 0.0) {
            Some(t) => {
                // Neighbours scored after the improving one are drawn again next time.
                tried += t + 1;
                let [slot, row] = pairs[t];
                medoids[slot as usize] = row;
                nearest = steps.assign(&medoids)?;
                steps.load_nearest(&medoids, &nearest)?;
                draws.drain(..=t);
                failures = 0;
                swaps += 1;
                batch = start_batch;
            }
            None => {
                tried += count;
                draws.drain(..count);
                failures += count;
                batch = (batch * 2).min(1 << 14);
            }
        }
    }
    Ok(Searched {
        loss: loss(&nearest),
        medoids,
        nearest,
        iterations: tried,
        swaps,
        converged: true,
    })
}

pub fn fit(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    params: &ClaransParams,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<KMedoidsResult, ClusterError> {
    let started = Instant::now();
    params.check(Some(points.n_rows))?;
    let (n, k) = (points.n_rows, params.n_clusters);
    let Backing {
        mut steps,
        backend,
        adapter,
        ..
    } = steps_for(
        engine,
        points,
        params.metric,
        backend,
        CpuDistances::OnTheFly,
        context,
    )?;
    let max_neighbor = params.neighbours_per_search(n);
    let mut starts = Xoshiro256PlusPlus::seed_from_u64(params.seed);
    let mut best: Option<Searched> = None;
    for local in 0..params.num_local {
        let start: Vec<u32> = sample(&mut starts, n, k)
            .into_iter()
            .map(|r| r as u32)
            .collect();
        // Each search draws its neighbours from a stream of its own, so a search's draws
        // never depend on how many the previous one scored ahead.
        let mut neighbours = Xoshiro256PlusPlus::seed_from_u64(
            params.seed ^ (local as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        let found = local_search(
            steps.as_mut(),
            start,
            max_neighbor,
            &mut neighbours,
            context,
        )?;
        context.report(Progress {
            phase: "local searches",
            iteration: local + 1,
            max_iterations: params.num_local,
            shift: found.loss,
        });
        if best.as_ref().is_none_or(|b| found.loss < b.loss) {
            best = Some(found);
        }
    }
    let best = best.ok_or_else(|| ClusterError::Internal("CLARANS ran no search".into()))?;
    let diagnostics = RunDiagnostics {
        backend,
        adapter,
        iterations: best.iterations,
        converged: true,
        elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
    };
    Ok(KMedoidsResult::new(best, diagnostics))
}
