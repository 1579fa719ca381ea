//! A partition of a [`Network`]'s nodes with the sums a move needs (each community's
//! strength and size), the greedy move both Louvain and Leiden make, and the per-node
//! gathering of edge weight by neighbouring community.

use super::network::Network;
use super::quality::Quality;

/// Gains closer than this (relative to the total strength) to the current one are not
/// worth a move: rounding would otherwise move nodes back and forth forever.
const GAIN_EPSILON: f64 = 1e-12;

/// Communities of a network's nodes; ids are in 0..n_nodes, some of them empty.
pub struct Partition {
    pub community: Vec<u32>,
    pub strength: Vec<f64>,
    pub size: Vec<f64>,
    /// Nodes per community.
    pub count: Vec<u32>,
    /// Empty community ids, for moves to a community of one's own.
    empty: Vec<u32>,
}

impl Partition {
    /// `labels` (each in 0..n) on `network`; None: every node alone.
    pub fn new(network: &Network, labels: Option<Vec<u32>>) -> Self {
        let n = network.n_nodes();
        let community = labels.unwrap_or_else(|| (0..n as u32).collect());
        let mut strength = vec![0.0; n];
        let mut size = vec![0.0; n];
        let mut count = vec![0u32; n];
        for (u, &c) in community.iter().enumerate() {
            let c = c as usize;
            strength[c] += network.strengths[u];
            size[c] += network.sizes[u];
            count[c] += 1;
        }
        let empty = (0..n as u32)
            .rev()
            .filter(|&c| count[c as usize] == 0)
            .collect();
        Self {
            community,
            strength,
            size,
            count,
            empty,
        }
    }

    /// Non-empty communities.
    pub fn n_communities(&self) -> usize {
        self.count.iter().filter(|&&c| c > 0).count()
    }

    fn take_out(&mut self, network: &Network, v: usize) {
        let c = self.community[v] as usize;
        self.strength[c] -= network.strengths[v];
        self.size[c] -= network.sizes[v];
        self.count[c] -= 1;
        if self.count[c] == 0 {
            self.empty.push(c as u32);
        }
    }

    fn put_in(&mut self, network: &Network, v: usize, c: u32) {
        let i = c as usize;
        if self.count[i] == 0
            && let Some(at) = self.empty.iter().rposition(|&e| e == c)
        {
            self.empty.swap_remove(at);
        }
        self.community[v] = c;
        self.strength[i] += network.strengths[v];
        self.size[i] += network.sizes[v];
        self.count[i] += 1;
    }

    /// Moves `v` to the community where it adds most to the quality (an empty one
    /// counting as gain 0), staying unless another is strictly better; returns the new
    /// community when it moved.
    pub fn move_greedily(
        &mut self,
        network: &Network,
        quality: &Quality,
        gather: &mut Gather,
        v: usize,
    ) -> Option<u32> {
        gather.collect(network, &self.community, v, |_| true);
        let old = self.community[v];
        self.take_out(network, v);
        let (k, n) = (network.strengths[v], network.sizes[v]);
        let gain = |c: u32, weight: f64, partition: &Partition| {
            weight
                - quality.expected(
                    k,
                    n,
                    partition.strength[c as usize],
                    partition.size[c as usize],
                )
        };
        let mut best = old;
        let mut best_gain = gain(old, gather.weight(old), self);
        let epsilon = GAIN_EPSILON * quality.total_strength;
        for &c in &gather.touched {
            if c == old {
                continue;
            }
            let g = gain(c, gather.weight(c), self);
            if g > best_gain + epsilon {
                best = c;
                best_gain = g;
            }
        }
        if best_gain < -epsilon
            && let Some(&alone) = self.empty.last()
        {
            best = alone;
        }
        gather.clear();
        self.put_in(network, v, best);
        (best != old).then_some(best)
    }

    /// The labels renumbered 0..k in order of first appearance, with k.
    pub fn dense(&self) -> (Vec<u32>, usize) {
        let mut map = vec![u32::MAX; self.community.len()];
        let mut next = 0u32;
        let labels = self
            .community
            .iter()
            .map(|&c| {
                if map[c as usize] == u32::MAX {
                    map[c as usize] = next;
                    next += 1;
                }
                map[c as usize]
            })
            .collect();
        (labels, next as usize)
    }
}

/// Edge weight from one node to each neighbouring community: a dense array indexed by
/// community with the list of entries touched, so clearing costs the node's degree.
pub struct Gather {
    sum: Vec<f64>,
    pub touched: Vec<u32>,
}

impl Gather {
    pub fn new(n: usize) -> Self {
        Self {
            sum: vec![0.0; n],
            touched: Vec::new(),
        }
    }

    /// Sums v's edges by the community (in `labels`) of their other end, for the
    /// neighbours `keep` accepts. Self-loops are left out: they move with the node.
    pub fn collect(
        &mut self,
        network: &Network,
        labels: &[u32],
        v: usize,
        keep: impl Fn(usize) -> bool,
    ) {
        for (u, w) in network.row(v) {
            if !keep(u) {
                continue;
            }
            let c = labels[u];
            if self.sum[c as usize] == 0.0 {
                self.touched.push(c);
            }
            self.sum[c as usize] += w;
        }
    }

    pub fn weight(&self, c: u32) -> f64 {
        self.sum[c as usize]
    }

    pub fn clear(&mut self) {
        for &c in &self.touched {
            self.sum[c as usize] = 0.0;
        }
        self.touched.clear();
    }
}
