//! Leiden (Traag, Waltman & van Eck 2019): fast local moving from a queue, then a
//! refinement inside each community that only merges a node into a well-connected
//! sub-community it has edges to, then aggregation on the refined partition with the
//! unrefined one as the aggregate's start. Refined communities are connected by
//! construction, which is what keeps Leiden's communities connected where Louvain's
//! can fall apart. Iterated from its own result until the quality stops rising.

use std::collections::VecDeque;

use rand::Rng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::network::Network;
use super::partition::{Gather, Partition};
use super::quality::Quality;
use crate::cluster::{ClusterError, Progress, RunContext};

/// The refinement's randomness θ (the paper's default): merges are drawn with weight
/// exp(gain / θ), on gains in edge-weight units, so the best merge nearly always wins
/// and ties are broken at random.
const THETA: f64 = 0.01;

/// One Leiden pass from `start` (None: singletons); the labels on the network's nodes
/// and the levels aggregated.
pub fn pass(
    network: &Network,
    quality: &Quality,
    start: Option<Vec<u32>>,
    rng: &mut Xoshiro256PlusPlus,
    context: &RunContext,
) -> Result<(Vec<u32>, usize), ClusterError> {
    let n = network.n_nodes();
    // Which node of the current level each input node is inside.
    let mut node_of: Vec<u32> = (0..n as u32).collect();
    let mut level_network = network.clone();
    let mut partition = Partition::new(&level_network, start);
    let mut levels = 0;
    loop {
        context.check_cancelled()?;
        move_nodes_fast(&level_network, quality, &mut partition, rng, context)?;
        if partition.n_communities() == level_network.n_nodes() {
            break;
        }
        let (refined, n_refined) = refine(&level_network, quality, &partition, rng);
        // No merge inside any community: aggregate on the communities themselves (as
        // leidenalg does), so every level shrinks the network.
        let (group, n_groups) = if n_refined < level_network.n_nodes() {
            (refined, n_refined)
        } else {
            partition.dense()
        };
        let (communities, _) = partition.dense();
        let mut start = vec![0u32; n_groups];
        for u in 0..level_network.n_nodes() {
            start[group[u] as usize] = communities[u];
        }
        for node in node_of.iter_mut() {
            *node = group[*node as usize];
        }
        level_network = level_network.aggregate(&group, n_groups);
        partition = Partition::new(&level_network, Some(start));
        levels += 1;
    }
    let (labels, _) = partition.dense();
    Ok((
        node_of.iter().map(|&u| labels[u as usize]).collect(),
        levels,
    ))
}

/// The paper's fast local moving: every node queued once in random order; a node that
/// moves queues those neighbours outside its new community that are not queued yet.
fn move_nodes_fast(
    network: &Network,
    quality: &Quality,
    partition: &mut Partition,
    rng: &mut Xoshiro256PlusPlus,
    context: &RunContext,
) -> Result<usize, ClusterError> {
    let n = network.n_nodes();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.shuffle(rng);
    let mut queue: VecDeque<u32> = order.into();
    let mut queued = vec![true; n];
    let mut gather = Gather::new(n);
    let mut moves = 0usize;
    let mut popped = 0usize;
    while let Some(v) = queue.pop_front() {
        let v = v as usize;
        queued[v] = false;
        popped += 1;
        if popped.is_multiple_of(65_536) {
            context.check_cancelled()?;
            context.report(Progress {
                phase: "leiden: moving nodes",
                iteration: popped,
                max_iterations: popped + queue.len(),
                shift: moves as f64,
            });
        }
        if let Some(to) = partition.move_greedily(network, quality, &mut gather, v) {
            moves += 1;
            for (u, _) in network.row(v) {
                if !queued[u] && partition.community[u] != to {
                    queued[u] = true;
                    queue.push_back(u as u32);
                }
            }
        }
    }
    Ok(moves)
}

/// The refinement: inside each community S, starting from singletons, each node still
/// alone and well connected to S (its edges into S at least the expected) may join a
/// sub-community C of S it has edges to and which is itself well connected to S,
/// choosing among the non-negative gains at random with weight exp(gain / θ).
/// Returns the refined label of every node (dense) and their count.
fn refine(
    network: &Network,
    quality: &Quality,
    partition: &Partition,
    rng: &mut Xoshiro256PlusPlus,
) -> (Vec<u32>, usize) {
    let n = network.n_nodes();
    let community = &partition.community;
    let mut refined: Vec<u32> = (0..n as u32).collect();
    let mut strength = network.strengths.clone();
    let mut size = network.sizes.clone();
    let mut count = vec![1u32; n];
    // Edge weight from each refined community to the rest of its community S.
    let mut external: Vec<f64> = (0..n)
        .map(|v| {
            network
                .row(v)
                .filter(|&(u, _)| community[u] == community[v])
                .map(|(_, w)| w)
                .sum()
        })
        .collect();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.shuffle(rng);
    let mut gather = Gather::new(n);
    let mut candidates: Vec<(u32, f64)> = Vec::new();
    for &v in &order {
        let v = v as usize;
        let own = refined[v];
        if count[own as usize] > 1 {
            continue;
        }
        let s = community[v] as usize;
        let (k, nv) = (network.strengths[v], network.sizes[v]);
        let (s_strength, s_size) = (partition.strength[s], partition.size[s]);
        if external[v] < quality.expected(k, nv, s_strength - k, s_size - nv) {
            continue;
        }
        gather.collect(network, &refined, v, |u| community[u] as usize == s);
        candidates.clear();
        candidates.push((own, 0.0));
        for &c in &gather.touched {
            let ci = c as usize;
            if c == own {
                continue;
            }
            let connected = external[ci]
                >= quality.expected(
                    strength[ci],
                    size[ci],
                    s_strength - strength[ci],
                    s_size - size[ci],
                );
            if !connected {
                continue;
            }
            let gain = gather.weight(c) - quality.expected(k, nv, strength[ci], size[ci]);
            if gain >= 0.0 {
                candidates.push((c, gain));
            }
        }
        let best = candidates.iter().map(|&(_, g)| g).fold(f64::MIN, f64::max);
        let total: f64 = candidates
            .iter()
            .map(|&(_, g)| ((g - best) / THETA).exp())
            .sum();
        let mut draw = rng.r#gen::<f64>() * total;
        let mut chosen = own;
        for &(c, g) in &candidates {
            draw -= ((g - best) / THETA).exp();
            chosen = c;
            if draw <= 0.0 {
                break;
            }
        }
        if chosen != own {
            let ci = chosen as usize;
            let to_c = gather.weight(chosen);
            refined[v] = chosen;
            strength[ci] += k;
            size[ci] += nv;
            count[ci] += 1;
            count[own as usize] = 0;
            external[ci] += external[v] - 2.0 * to_c;
        }
        gather.clear();
    }
    let mut map = vec![u32::MAX; n];
    let mut next = 0u32;
    for label in refined.iter_mut() {
        if map[*label as usize] == u32::MAX {
            map[*label as usize] = next;
            next += 1;
        }
        *label = map[*label as usize];
    }
    (refined, next as usize)
}
