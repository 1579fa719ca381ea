//! The network the community searches move nodes on: the input graph at first, then
//! each aggregate of it (one node per community, internal weight kept as a self-loop,
//! size the number of input nodes it holds, for CPM).

use crate::graph::Graph;

/// Compressed rows of an undirected weighted network, self-loops apart.
#[derive(Clone, Debug)]
pub struct Network {
    pub offsets: Vec<usize>,
    pub neighbours: Vec<u32>,
    pub weights: Vec<f64>,
    /// Self-loop weight per node, counted once (an aggregate's internal edge weight).
    pub self_loops: Vec<f64>,
    /// Input nodes per node.
    pub sizes: Vec<f64>,
    /// Weighted degree per node (self-loop twice).
    pub strengths: Vec<f64>,
    /// Σ strengths = 2m.
    pub total_strength: f64,
}

impl Network {
    pub fn of_graph(graph: &Graph) -> Self {
        let n = graph.n_nodes();
        Self::new(
            graph.offsets.clone(),
            graph.neighbours.clone(),
            graph.weights.clone(),
            graph.self_loops.clone(),
            vec![1.0; n],
        )
    }

    fn new(
        offsets: Vec<usize>,
        neighbours: Vec<u32>,
        weights: Vec<f64>,
        self_loops: Vec<f64>,
        sizes: Vec<f64>,
    ) -> Self {
        let n = sizes.len();
        let strengths: Vec<f64> = (0..n)
            .map(|u| weights[offsets[u]..offsets[u + 1]].iter().sum::<f64>() + 2.0 * self_loops[u])
            .collect();
        let total_strength = strengths.iter().sum();
        Self {
            offsets,
            neighbours,
            weights,
            self_loops,
            sizes,
            strengths,
            total_strength,
        }
    }

    pub fn n_nodes(&self) -> usize {
        self.sizes.len()
    }

    pub fn row(&self, u: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let span = self.offsets[u]..self.offsets[u + 1];
        self.neighbours[span.clone()]
            .iter()
            .zip(&self.weights[span])
            .map(|(&v, &w)| (v as usize, w))
    }

    /// The network with one node per group (`group[u]` in 0..n_groups): edges between
    /// groups summed, edges inside a group added to its self-loop.
    pub fn aggregate(&self, group: &[u32], n_groups: usize) -> Network {
        let mut self_loops = vec![0.0; n_groups];
        let mut sizes = vec![0.0; n_groups];
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); n_groups];
        for (u, &g) in group.iter().enumerate().take(self.n_nodes()) {
            let g = g as usize;
            sizes[g] += self.sizes[u];
            self_loops[g] += self.self_loops[u];
            members[g].push(u as u32);
        }
        let mut offsets = Vec::with_capacity(n_groups + 1);
        offsets.push(0);
        let mut neighbours = Vec::new();
        let mut weights = Vec::new();
        let mut sum = vec![0.0f64; n_groups];
        let mut touched: Vec<u32> = Vec::new();
        for g in 0..n_groups {
            for &u in &members[g] {
                for (v, w) in self.row(u as usize) {
                    let h = group[v] as usize;
                    if h == g {
                        // Each internal edge is seen from both ends.
                        self_loops[g] += w / 2.0;
                        continue;
                    }
                    if sum[h] == 0.0 {
                        touched.push(h as u32);
                    }
                    sum[h] += w;
                }
            }
            touched.sort_unstable();
            for &h in &touched {
                neighbours.push(h);
                weights.push(sum[h as usize]);
                sum[h as usize] = 0.0;
            }
            touched.clear();
            offsets.push(neighbours.len());
        }
        Network::new(offsets, neighbours, weights, self_loops, sizes)
    }
}
