//! What a partition into communities is worth. Modularity with resolution γ (Newman;
//! networkx's `modularity`): Q = Σ_c [L_c / m − γ (K_c / 2m)²], L_c the weight of the
//! edges inside c (self-loops once), K_c the weighted degrees of its nodes, m the total
//! weight. The constant Potts model (CPM, Traag 2011; leidenalg's `CPMVertexPartition`):
//! H = Σ_c [L_c − γ · n_c (n_c − 1) / 2], n_c its node count. Both compare "edges inside"
//! with "edges expected", so one expectation term serves the moves of every search.

use serde::{Deserialize, Serialize};

use super::network::Network;
use crate::cluster::NOISE;
use crate::graph::Graph;

/// What the community search maximises.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Objective {
    /// Newman's modularity: the resolution scales the expected edges of a random graph
    /// with the same degrees (1: the usual modularity; higher: smaller communities).
    #[default]
    Modularity,
    /// The constant Potts model: the resolution is a density that each community's
    /// internal edges must exceed; no resolution limit.
    Cpm,
}

/// The objective with its resolution, on one network.
#[derive(Clone, Copy, Debug)]
pub struct Quality {
    pub objective: Objective,
    pub resolution: f64,
    /// 2m of the input graph (aggregates keep it).
    pub total_strength: f64,
}

impl Quality {
    pub fn new(objective: Objective, resolution: f64, network: &Network) -> Self {
        Self {
            objective,
            resolution,
            total_strength: network.total_strength,
        }
    }

    /// The edge weight expected between two disjoint sets of (strength, size): a move's
    /// gain is the weight it brings inside less this.
    #[inline]
    pub fn expected(&self, strength_a: f64, size_a: f64, strength_b: f64, size_b: f64) -> f64 {
        match self.objective {
            Objective::Modularity => {
                self.resolution * strength_a * strength_b / self.total_strength
            }
            Objective::Cpm => self.resolution * size_a * size_b,
        }
    }

    /// The objective of `labels` on `network` (modularity normalised as networkx; CPM
    /// as leidenalg's `quality()`).
    pub fn value(&self, network: &Network, labels: &[u32]) -> f64 {
        let n_groups = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
        let mut inside = vec![0.0; n_groups];
        let mut strength = vec![0.0; n_groups];
        let mut size = vec![0.0; n_groups];
        for u in 0..network.n_nodes() {
            let c = labels[u] as usize;
            inside[c] += network.self_loops[u];
            strength[c] += network.strengths[u];
            size[c] += network.sizes[u];
            for (v, w) in network.row(u) {
                if labels[v] as usize == c {
                    inside[c] += w / 2.0;
                }
            }
        }
        let m = self.total_strength / 2.0;
        (0..n_groups)
            .map(|c| match self.objective {
                Objective::Modularity => {
                    inside[c] / m - self.resolution * (strength[c] / self.total_strength).powi(2)
                }
                // leidenalg's CPM quality sums over ordered pairs: twice the usual H.
                Objective::Cpm => 2.0 * inside[c] - self.resolution * size[c] * (size[c] - 1.0),
            })
            .sum()
    }
}

/// Modularity of `labels` on `graph` at `resolution`, as networkx's
/// `community.modularity(G, communities, weight="weight", resolution=γ)`; nodes labelled
/// [`NOISE`] count as one community each.
pub fn modularity(graph: &Graph, labels: &[u32], resolution: f64) -> f64 {
    let network = Network::of_graph(graph);
    let dense = dense_labels(labels);
    Quality::new(Objective::Modularity, resolution, &network).value(&network, &dense)
}

/// Labels renumbered 0.. in order of first appearance, noise made singletons.
pub fn dense_labels(labels: &[u32]) -> Vec<u32> {
    let mut map = std::collections::HashMap::new();
    let mut next = 0u32;
    labels
        .iter()
        .map(|&l| {
            if l == NOISE {
                next += 1;
                return next - 1;
            }
            *map.entry(l).or_insert_with(|| {
                next += 1;
                next - 1
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two triangles joined by one edge: m = 7, each side K = 7, L = 3.
    fn two_triangles() -> Graph {
        let edges = [
            (0, 1, 1.0),
            (1, 2, 1.0),
            (0, 2, 1.0),
            (3, 4, 1.0),
            (4, 5, 1.0),
            (3, 5, 1.0),
            (2, 3, 1.0),
        ];
        Graph::from_edges((0..6).map(|i| i.to_string()).collect(), &edges).unwrap()
    }

    #[test]
    fn modularity_of_two_triangles_is_computed_by_hand() {
        // Q = 2 · (3/7 − (7/14)²) = 6/7 − 1/2.
        let q = modularity(&two_triangles(), &[0, 0, 0, 1, 1, 1], 1.0);
        assert!((q - (6.0 / 7.0 - 0.5)).abs() < 1e-12, "{q}");
        // One community: L = m, K = 2m: Q = 1 − 1 = 0.
        assert!(modularity(&two_triangles(), &[0; 6], 1.0).abs() < 1e-12);
        // Resolution 2: 6/7 − 2 · 1/2.
        let q2 = modularity(&two_triangles(), &[0, 0, 0, 1, 1, 1], 2.0);
        assert!((q2 - (6.0 / 7.0 - 1.0)).abs() < 1e-12);
    }

    #[test]
    fn cpm_counts_pairs_inside_each_community() {
        let network = Network::of_graph(&two_triangles());
        let quality = Quality::new(Objective::Cpm, 0.5, &network);
        // Each triangle: 3 edges − 0.5 · 3 pairs, doubled as leidenalg reports it.
        let h = quality.value(&network, &[0, 0, 0, 1, 1, 1]);
        assert!((h - 6.0).abs() < 1e-12, "{h}");
    }
}
