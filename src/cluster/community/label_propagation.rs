//! Label propagation (Raghavan, Albert & Kumara 2007), asynchronous: every node starts
//! with a label of its own; sweeps in random order give each node the label with the
//! most edge weight among its neighbours (ties drawn at random, its own label kept when
//! it is among the best) until every node holds a best label. Linear per sweep and
//! free of parameters; the communities it settles on depend on the seed.

use rand::Rng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::network::Network;
use super::partition::Gather;
use crate::cluster::{ClusterError, Progress, RunContext};

/// The labels and the sweeps made; `converged` false when `max_sweeps` ran out first.
pub fn run(
    network: &Network,
    max_sweeps: usize,
    rng: &mut Xoshiro256PlusPlus,
    context: &RunContext,
) -> Result<(Vec<u32>, usize, bool), ClusterError> {
    let n = network.n_nodes();
    let mut labels: Vec<u32> = (0..n as u32).collect();
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut gather = Gather::new(n);
    let mut best: Vec<u32> = Vec::new();
    for sweep in 1..=max_sweeps {
        context.check_cancelled()?;
        order.shuffle(rng);
        let mut changes = 0usize;
        for &v in &order {
            let v = v as usize;
            gather.collect(network, &labels, v, |_| true);
            let top = gather
                .touched
                .iter()
                .map(|&c| gather.weight(c))
                .fold(0.0, f64::max);
            best.clear();
            best.extend(
                gather
                    .touched
                    .iter()
                    .copied()
                    .filter(|&c| gather.weight(c) >= top * (1.0 - 1e-12)),
            );
            gather.clear();
            if best.is_empty() || best.contains(&labels[v]) {
                continue;
            }
            labels[v] = best[rng.gen_range(0..best.len())];
            changes += 1;
        }
        context.report(Progress {
            phase: "label propagation",
            iteration: sweep,
            max_iterations: max_sweeps,
            shift: changes as f64,
        });
        if changes == 0 {
            return Ok((labels, sweep, true));
        }
    }
    Ok((labels, max_sweeps, false))
}
