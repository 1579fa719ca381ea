//! Graphs: undirected weighted networks read from edge lists or GraphML ([`read`]), or
//! built from a table's rows as a k-nearest-neighbour graph ([`knn`]), and the
//! force-directed layout that places their nodes for the graph view ([`layout`]).
//! Communities are found by `cluster::community`.
//!
//! What the readers promise (README "Graphs"): edges are undirected (a→b and b→a are the
//! same edge); duplicate edges add their weights, as a multigraph collapsed; a self-loop
//! is kept and counts twice in its node's degree (networkx's and igraph's convention);
//! weights must be finite and non-negative, and an edge of weight 0 links nothing.

pub mod knn;
pub mod layout;
pub mod read;

use std::collections::HashMap;

/// An undirected weighted graph in compressed rows: each edge {u, v} with u ≠ v appears
/// in both rows; self-loops are kept apart.
#[derive(Clone, Debug, PartialEq)]
pub struct Graph {
    /// Node ids as the input spelled them (text or integers as text).
    pub nodes: Vec<String>,
    /// Row u's neighbours are `neighbours[offsets[u]..offsets[u + 1]]`, ascending.
    pub offsets: Vec<usize>,
    pub neighbours: Vec<u32>,
    pub weights: Vec<f64>,
    /// The weight of each node's self-loop (0 without one), counted once.
    pub self_loops: Vec<f64>,
    /// Edge lines read, before duplicates were merged.
    pub input_edges: usize,
}

/// A problem with a graph's content (the readers add the file's name).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GraphError {
    #[error("the graph has no edges")]
    NoEdges,
    #[error("the graph has {0} node; communities need at least 2")]
    TooFewNodes(usize),
    #[error("edge {edge} (0-based) has weight {weight}: weights must be finite and not negative")]
    BadWeight { edge: usize, weight: f64 },
    #[error("the graph has {0} nodes, more than the 4,294,967,294 a node index can hold")]
    TooManyNodes(usize),
}

impl Graph {
    /// The graph of `edges` (node indices into `nodes`, weight), merged and symmetrised.
    pub fn from_edges(nodes: Vec<String>, edges: &[(u32, u32, f64)]) -> Result<Self, GraphError> {
        let n = nodes.len();
        if n >= u32::MAX as usize {
            return Err(GraphError::TooManyNodes(n));
        }
        if let Some((edge, &(_, _, weight))) = edges
            .iter()
            .enumerate()
            .find(|(_, (_, _, w))| !w.is_finite() || *w < 0.0)
        {
            return Err(GraphError::BadWeight { edge, weight });
        }
        let mut self_loops = vec![0.0; n];
        let mut degree = vec![0usize; n + 1];
        for &(u, v, w) in edges {
            if w == 0.0 {
                continue;
            }
            if u == v {
                self_loops[u as usize] += w;
            } else {
                degree[u as usize] += 1;
                degree[v as usize] += 1;
            }
        }
        let mut offsets = vec![0usize; n + 1];
        for u in 0..n {
            offsets[u + 1] = offsets[u] + degree[u];
        }
        let mut fill = offsets.clone();
        let mut pairs = vec![(0u32, 0.0f64); offsets[n]];
        for &(u, v, w) in edges {
            if w == 0.0 || u == v {
                continue;
            }
            pairs[fill[u as usize]] = (v, w);
            fill[u as usize] += 1;
            pairs[fill[v as usize]] = (u, w);
            fill[v as usize] += 1;
        }
        // Sort each row and merge duplicates (their weights add).
        let mut neighbours = Vec::with_capacity(pairs.len());
        let mut weights = Vec::with_capacity(pairs.len());
        let mut merged_offsets = vec![0usize; n + 1];
        for u in 0..n {
            let row = &mut pairs[offsets[u]..offsets[u + 1]];
            row.sort_unstable_by_key(|&(v, _)| v);
            for &(v, w) in row.iter() {
                if neighbours.len() > merged_offsets[u] && neighbours.last() == Some(&v) {
                    *weights.last_mut().expect("a weight per neighbour") += w;
                } else {
                    neighbours.push(v);
                    weights.push(w);
                }
            }
            merged_offsets[u + 1] = neighbours.len();
        }
        Ok(Self {
            nodes,
            offsets: merged_offsets,
            neighbours,
            weights,
            self_loops,
            input_edges: edges.len(),
        })
    }

    pub fn n_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Distinct edges, self-loops included, each counted once.
    pub fn n_edges(&self) -> usize {
        self.neighbours.len() / 2 + self.self_loops.iter().filter(|&&w| w > 0.0).count()
    }

    /// Node u's neighbours with the weights of the edges to them.
    pub fn row(&self, u: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let span = self.offsets[u]..self.offsets[u + 1];
        self.neighbours[span.clone()]
            .iter()
            .zip(&self.weights[span])
            .map(|(&v, &w)| (v as usize, w))
    }

    /// Edges at node u (self-loop excluded).
    pub fn degree(&self, u: usize) -> usize {
        self.offsets[u + 1] - self.offsets[u]
    }

    /// Weighted degree: the weights of u's edges, its self-loop twice.
    pub fn strength(&self, u: usize) -> f64 {
        self.row(u).map(|(_, w)| w).sum::<f64>() + 2.0 * self.self_loops[u]
    }

    /// The total edge weight m (each edge once, self-loops once).
    pub fn total_weight(&self) -> f64 {
        self.weights.iter().sum::<f64>() / 2.0 + self.self_loops.iter().sum::<f64>()
    }

    /// The connected component of each node (numbered from 0 in node order) and their count.
    pub fn components(&self) -> (Vec<u32>, usize) {
        let n = self.n_nodes();
        let mut component = vec![u32::MAX; n];
        let mut count = 0u32;
        let mut stack = Vec::new();
        for start in 0..n {
            if component[start] != u32::MAX {
                continue;
            }
            component[start] = count;
            stack.push(start);
            while let Some(u) = stack.pop() {
                for (v, _) in self.row(u) {
                    if component[v] == u32::MAX {
                        component[v] = count;
                        stack.push(v);
                    }
                }
            }
            count += 1;
        }
        (component, count as usize)
    }

    /// Checks the graph can hold communities: at least 2 nodes and one edge.
    pub fn check_clusterable(&self) -> Result<(), GraphError> {
        if self.n_nodes() == 0 || self.n_edges() == 0 || self.total_weight() <= 0.0 {
            return Err(GraphError::NoEdges);
        }
        if self.n_nodes() < 2 {
            return Err(GraphError::TooFewNodes(self.n_nodes()));
        }
        Ok(())
    }
}

/// Node ids in the order first seen, each mapped to its index.
#[derive(Default)]
pub struct NodeIds {
    pub names: Vec<String>,
    index: HashMap<String, u32>,
}

impl NodeIds {
    /// The index of `name`, adding it when new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        i
    }

    /// The index of `name`, if seen.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| i.to_string()).collect()
    }

    #[test]
    fn duplicates_add_their_weights_and_self_loops_count_twice_in_the_strength() {
        let edges = [(0, 1, 1.0), (1, 0, 2.0), (1, 2, 1.5), (2, 2, 4.0)];
        let graph = Graph::from_edges(names(3), &edges).unwrap();
        assert_eq!(graph.n_edges(), 3);
        assert_eq!(graph.row(0).collect::<Vec<_>>(), vec![(1, 3.0)]);
        assert_eq!(graph.strength(1), 4.5);
        assert_eq!(graph.strength(2), 1.5 + 8.0);
        assert_eq!(graph.total_weight(), 3.0 + 1.5 + 4.0);
    }

    #[test]
    fn negative_and_nan_weights_are_refused_naming_the_edge() {
        let error = Graph::from_edges(names(2), &[(0, 1, 1.0), (0, 1, -1.0)]).unwrap_err();
        assert_eq!(
            error,
            GraphError::BadWeight {
                edge: 1,
                weight: -1.0
            }
        );
        assert!(matches!(
            Graph::from_edges(names(2), &[(0, 1, f64::NAN)]),
            Err(GraphError::BadWeight { edge: 0, .. })
        ));
    }

    #[test]
    fn components_follow_the_edges() {
        let graph = Graph::from_edges(names(5), &[(0, 1, 1.0), (3, 4, 1.0)]).unwrap();
        let (component, count) = graph.components();
        assert_eq!(count, 3);
        assert_eq!(component, vec![0, 0, 1, 2, 2]);
    }
}
