//! Louvain (Blondel et al. 2008): sweep the nodes in random order, moving each to the
//! neighbouring community that raises the quality most, until a sweep moves none; then
//! aggregate each community into one node and repeat on the smaller network until no
//! node moves. Fast, but a community can end up badly connected or in pieces once a
//! node that held it together moves away; Leiden's refinement is the fix.

use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::network::Network;
use super::partition::{Gather, Partition};
use super::quality::Quality;
use crate::cluster::{ClusterError, Progress, RunContext};

/// Sweeps per level at most (each sweep visits every node once).
const MAX_SWEEPS: usize = 1_000;

/// Louvain from singletons; the labels and the levels aggregated.
pub fn run(
    network: &Network,
    quality: &Quality,
    rng: &mut Xoshiro256PlusPlus,
    context: &RunContext,
) -> Result<(Vec<u32>, usize), ClusterError> {
    let n = network.n_nodes();
    let mut node_of: Vec<u32> = (0..n as u32).collect();
    let mut level_network = network.clone();
    let mut levels = 0;
    loop {
        let mut partition = Partition::new(&level_network, None);
        let moved = sweep_until_still(
            &level_network,
            quality,
            &mut partition,
            rng,
            context,
            levels,
        )?;
        let (group, n_groups) = partition.dense();
        if !moved || n_groups == level_network.n_nodes() {
            break;
        }
        for node in node_of.iter_mut() {
            *node = group[*node as usize];
        }
        level_network = level_network.aggregate(&group, n_groups);
        levels += 1;
    }
    Ok((node_of, levels))
}

fn sweep_until_still(
    network: &Network,
    quality: &Quality,
    partition: &mut Partition,
    rng: &mut Xoshiro256PlusPlus,
    context: &RunContext,
    level: usize,
) -> Result<bool, ClusterError> {
    let n = network.n_nodes();
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut gather = Gather::new(n);
    let mut any = false;
    for sweep in 0..MAX_SWEEPS {
        context.check_cancelled()?;
        context.report(Progress {
            phase: "louvain: moving nodes",
            iteration: level,
            max_iterations: level + 1,
            shift: sweep as f64,
        });
        order.shuffle(rng);
        let mut moves = 0;
        for &v in &order {
            if partition
                .move_greedily(network, quality, &mut gather, v as usize)
                .is_some()
            {
                moves += 1;
            }
        }
        if moves == 0 {
            break;
        }
        any = true;
    }
    Ok(any)
}
