//! Minimum spanning tree under mutual reachability distance, by Borůvka's algorithm.
//!
//! The mutual reachability distance of a and b is `max(core(a), core(b), d(a, b))`; with all
//! core distances 0 it is the Euclidean distance and the tree gives single linkage.
//! Everything is compared as squared `f32` distances (see [`crate::spatial`]), and edges
//! are ordered by `(weight, smaller end, larger end)`: a total order, so the tree is unique
//! and the CPU and GPU searches, which prune differently, pick the same edges.

use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

use crate::cluster::{ClusterError, RunContext};
use crate::spatial::KdTree;
use crate::spatial::radix::{sort_by_u64_key, sort_runs_by};

/// An edge of the spanning tree; `weight_sq` is the squared mutual reachability distance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MstEdge {
    pub a: u32,
    pub b: u32,
    pub weight_sq: f32,
}

impl MstEdge {
    pub fn new(a: u32, b: u32, weight_sq: f32) -> Self {
        Self {
            a: a.min(b),
            b: a.max(b),
            weight_sq,
        }
    }

    pub fn weight(&self) -> f64 {
        (self.weight_sq as f64).sqrt()
    }

    /// The tree's total order: weight, then the ends.
    pub fn key(&self) -> (u32, u32, u32) {
        (self.weight_sq.to_bits(), self.a, self.b)
    }
}

/// Sorts edges into the order the hierarchy is built in: by (weight, a, b). A radix sort
/// by the weight's bits (a non-negative float orders as its bits do), then runs of equal
/// weights, which are short, by (a, b).
pub fn sort_edges(edges: &mut Vec<MstEdge>) {
    if edges.is_sorted_by_key(MstEdge::key) {
        return;
    }
    sort_by_u64_key(edges, |e| e.weight_sq.to_bits() as u64);
    sort_runs_by(
        edges,
        |e| e.weight_sq.to_bits(),
        |x, y| x.key().cmp(&y.key()),
    );
}

/// The best edge found from one point: (squared weight, other point).
pub type Candidate = (f32, u32);
pub const NO_CANDIDATE: Candidate = (f32::INFINITY, u32::MAX);

/// Union-find over points with path halving; components are renumbered after each round.
pub struct Components {
    parent: Vec<u32>,
    pub count: usize,
}

impl Components {
    pub fn new(n: usize) -> Self {
        Self {
            parent: (0..n as u32).collect(),
            count: n,
        }
    }

    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            self.parent[x as usize] = self.parent[self.parent[x as usize] as usize];
            x = self.parent[x as usize];
        }
        x
    }

    /// Joins the components of a and b; false when they were already one.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (lo, hi) = (ra.min(rb), ra.max(rb));
        self.parent[hi as usize] = lo;
        self.count -= 1;
        true
    }

    /// Component of every point, as its root.
    pub fn labels(&mut self) -> Vec<u32> {
        (0..self.parent.len() as u32)
            .map(|x| self.find(x))
            .collect()
    }
}

/// One Borůvka step shared by both backends: from each point's best candidate, keep the
/// lightest edge leaving each component and join along those edges.
pub fn join_components(
    components: &mut Components,
    component: &[u32],
    candidates: &[Candidate],
    edges: &mut Vec<MstEdge>,
) -> Result<(), ClusterError> {
    let n = component.len();
    let mut best: Vec<Option<MstEdge>> = vec![None; n];
    for (point, &(weight_sq, other)) in candidates.iter().enumerate() {
        if other == u32::MAX {
            continue;
        }
        let edge = MstEdge::new(point as u32, other, weight_sq);
        let slot = &mut best[component[point] as usize];
        if slot.is_none_or(|current| edge.key() < current.key()) {
            *slot = Some(edge);
        }
    }
    let before = components.count;
    for edge in best.into_iter().flatten() {
        if components.union(edge.a, edge.b) {
            edges.push(edge);
        }
    }
    if components.count == before {
        return Err(ClusterError::Internal(
            "Borůvka round joined no components (non-finite distances?)".into(),
        ));
    }
    Ok(())
}

/// The spanning tree on the CPU: each round, every point searches the k-d tree for its
/// nearest point in another component, pruning whole nodes that lie in its own component
/// or cannot beat the best edge its component has found so far.
pub fn boruvka_cpu(
    tree: &KdTree,
    core_sq: &[f32],
    context: &RunContext,
) -> Result<Vec<MstEdge>, ClusterError> {
    let n = tree.len();
    let mut components = Components::new(n);
    let mut edges = Vec::with_capacity(n.saturating_sub(1));
    // Smallest core distance under each node: a lower bound on any mutual reachability
    // distance to a point in it. Children come after parents in `nodes`.
    let mut node_min_core = vec![f32::INFINITY; tree.nodes.len()];
    for (id, node) in tree.nodes.iter().enumerate().rev() {
        node_min_core[id] = if node.is_leaf() {
            (node.start..node.end)
                .map(|pos| core_sq[tree.index[pos as usize] as usize])
                .fold(f32::INFINITY, f32::min)
        } else {
            node_min_core[node.left as usize].min(node_min_core[node.right as usize])
        };
    }
    let rounds = expected_rounds(n);
    let mut round = 0;
    while components.count > 1 {
        context.check_cancelled()?;
        report_round(context, round, rounds);
        round += 1;
        let component = components.labels();
        let node_component = node_components(tree, &component);
        let bounds: Vec<AtomicU32> = (0..n).map(|_| AtomicU32::new(u32::MAX)).collect();
        let mut candidates = vec![NO_CANDIDATE; n];
        // Work in tree order for locality.
        let found: Vec<(usize, Candidate)> = (0..n)
            .into_par_iter()
            .with_min_len(256)
            .map(|pos| {
                let row = tree.index[pos] as usize;
                if context.cancel.is_cancelled() {
                    return (row, NO_CANDIDATE);
                }
                let candidate = nearest_other_component(
                    tree,
                    pos,
                    core_sq,
                    &component,
                    &node_component,
                    &node_min_core,
                    &bounds[component[row] as usize],
                );
                (row, candidate)
            })
            .collect();
        context.check_cancelled()?;
        for (row, candidate) in found {
            candidates[row] = candidate;
        }
        join_components(&mut components, &component, &candidates, &mut edges)?;
    }
    Ok(edges)
}

/// Borůvka at least halves the components each round.
pub fn expected_rounds(n: usize) -> usize {
    (usize::BITS - n.max(1).leading_zeros()) as usize
}

/// Rounds done so far, as progress.
pub fn report_round(context: &RunContext, round: usize, rounds: usize) {
    context.report(crate::cluster::Progress {
        phase: "spanning tree (Borůvka rounds)",
        iteration: round,
        max_iterations: rounds,
        shift: 0.0,
    });
}

const MIXED: u32 = u32::MAX;

/// The component every point of a node shares, or MIXED.
fn node_components(tree: &KdTree, component: &[u32]) -> Vec<u32> {
    let mut result = vec![MIXED; tree.nodes.len()];
    for (id, node) in tree.nodes.iter().enumerate().rev() {
        result[id] = if node.is_leaf() {
            let first = component[tree.index[node.start as usize] as usize];
            let uniform = (node.start..node.end)
                .all(|pos| component[tree.index[pos as usize] as usize] == first);
            if uniform { first } else { MIXED }
        } else {
            let (l, r) = (result[node.left as usize], result[node.right as usize]);
            if l == r { l } else { MIXED }
        };
    }
    result
}

#[inline(always)]
fn nearest_other_component(
    tree: &KdTree,
    pos: usize,
    core_sq: &[f32],
    component: &[u32],
    node_component: &[u32],
    node_min_core: &[f32],
    component_bound: &AtomicU32,
) -> Candidate {
    let row = tree.index[pos] as usize;
    let own = component[row];
    let own_core = core_sq[row];
    let query = tree.point_at(pos);
    let mut best = NO_CANDIDATE;
    let bound =
        |best: Candidate| f32::from_bits(component_bound.load(Ordering::Relaxed)).min(best.0);
    if own_core > bound(best) {
        return best;
    }
    let mut stack = vec![0u32];
    while let Some(node) = stack.pop() {
        let id = node as usize;
        if node_component[id] == own {
            continue;
        }
        let lower = tree
            .box_distance(id, query)
            .max(node_min_core[id])
            .max(own_core);
        if lower > bound(best) {
            continue;
        }
        let n = &tree.nodes[id];
        if n.is_leaf() {
            for other_pos in n.start as usize..n.end as usize {
                let other = tree.index[other_pos] as usize;
                if component[other] == own {
                    continue;
                }
                let weight = tree
                    .measure(query, tree.point_at(other_pos))
                    .max(own_core)
                    .max(core_sq[other]);
                if weight < best.0 || (weight == best.0 && (other as u32) < best.1) {
                    best = (weight, other as u32);
                    component_bound.fetch_min(weight.to_bits(), Ordering::Relaxed);
                }
            }
        } else {
            tree.push_children(&mut stack, n, query);
        }
    }
    best
}

/// Squared distance to the `k`-th nearest other point of every row (0 when `k` is 0).
/// Stops within one row's search of a cancellation.
pub fn core_distances_cpu(
    tree: &KdTree,
    k: usize,
    context: &RunContext,
) -> Result<Vec<f32>, ClusterError> {
    let n = tree.len();
    if k == 0 {
        return Ok(vec![0.0; n]);
    }
    let mut core = vec![0f32; n];
    let found: Vec<(usize, f32)> = (0..n)
        .into_par_iter()
        .with_min_len(256)
        .map(|pos| {
            let row = tree.index[pos] as usize;
            if context.cancel.is_cancelled() {
                return (row, 0.0);
            }
            (row, tree.kth_neighbour_distance(row, k))
        })
        .collect();
    context.check_cancelled()?;
    for (row, value) in found {
        core[row] = value;
    }
    Ok(core)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::Matrix;
    use crate::spatial::metric::Metric;
    use crate::spatial::searched_sq;
    use crate::synthetic;

    /// Prim's algorithm on the full graph with the same weights and edge order.
    fn prim(points: &Matrix, core_sq: &[f32], manhattan: bool) -> f64 {
        let n = points.n_rows;
        let mut in_tree = vec![false; n];
        let mut best = vec![f32::INFINITY; n];
        best[0] = 0.0;
        let mut total = 0.0;
        for _ in 0..n {
            let next = (0..n)
                .filter(|&i| !in_tree[i])
                .min_by(|&a, &b| best[a].total_cmp(&best[b]))
                .unwrap();
            in_tree[next] = true;
            total += (best[next] as f64).sqrt();
            for other in 0..n {
                if !in_tree[other] {
                    let w = searched_sq(manhattan, points.row(next), points.row(other))
                        .max(core_sq[next])
                        .max(core_sq[other]);
                    best[other] = best[other].min(w);
                }
            }
        }
        total
    }

    #[test]
    fn boruvka_weight_equals_prim() {
        for metric in [Metric::Euclidean, Metric::Manhattan] {
            for (n, d, k) in [(400, 2, 0), (300, 3, 5), (250, 20, 3)] {
                let points = synthetic::uniform(n, d, 11);
                let tree = KdTree::build_for(&points, metric);
                let core = core_distances_cpu(&tree, k, &RunContext::default()).unwrap();
                let edges = boruvka_cpu(&tree, &core, &RunContext::default()).unwrap();
                assert_eq!(edges.len(), n - 1);
                let total: f64 = edges.iter().map(MstEdge::weight).sum();
                let expected = prim(&points, &core, metric == Metric::Manhattan);
                assert!(
                    (total - expected).abs() < 1e-9 * expected.max(1.0),
                    "{metric:?}: {total} vs {expected}"
                );
            }
        }
    }

    #[test]
    fn leaf_size_does_not_change_the_tree() {
        let points = synthetic::uniform(500, 2, 3);
        let mut all = Vec::new();
        for leaf_size in [1, 7, 1000] {
            let tree = KdTree::build_with_leaf_size(&points, leaf_size);
            let core = core_distances_cpu(&tree, 4, &RunContext::default()).unwrap();
            let mut edges = boruvka_cpu(&tree, &core, &RunContext::default()).unwrap();
            sort_edges(&mut edges);
            all.push(edges);
        }
        assert_eq!(all[0], all[1]);
        assert_eq!(all[0], all[2]);
    }
}
