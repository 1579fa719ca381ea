//! A k-d tree over the rows of a matrix, with the queries the density algorithms need.
//! Queries are by row index of the indexed matrix (the algorithms ask about their own
//! points) and exclude the query row itself; ties are broken by row index so every query
//! has one answer.

use super::metric::Metric;
use super::{KD_TREE_MAX_DIMS, searched_sq};
use crate::matrix::Matrix;

/// Marks "no label" in label arrays handed to [`KdTree::min_label_within`].
pub const NO_LABEL: u32 = u32::MAX;

const LEAF_SIZE: usize = 24;
const NO_CHILD: u32 = u32::MAX;

/// Bounds are compared with a margin of a few ulps: the bound's gaps are rounded
/// differently from the distance's differences, and a node must never be skipped while it
/// may hold a point at exactly the best distance.
const PRUNE_SLACK: f32 = 1.0 - 4.0 * f32::EPSILON;

#[derive(Clone, Debug)]
pub struct Node {
    /// Range of tree-order positions under this node.
    pub start: u32,
    pub end: u32,
    pub left: u32,
    pub right: u32,
}

impl Node {
    pub fn is_leaf(&self) -> bool {
        self.left == NO_CHILD
    }
}

/// Rows reordered so that each node's rows are contiguous, with bounding boxes per node.
pub struct KdTree {
    pub dims: usize,
    /// Rows in tree order, row-major.
    pub points: Vec<f32>,
    /// Original row of each tree-order position.
    pub index: Vec<u32>,
    /// Tree-order position of each original row.
    pub position: Vec<u32>,
    pub nodes: Vec<Node>,
    /// `lo` then `hi` corner of each node's box, `2 × dims` values per node.
    bounds: Vec<f32>,
    /// Distances are Manhattan (squared, as [`super::squared_manhattan`]) rather than
    /// squared Euclidean; bounds to boxes follow.
    manhattan: bool,
}

impl KdTree {
    /// Builds the tree; above [`KD_TREE_MAX_DIMS`] columns it is a single leaf (a scan).
    pub fn build(matrix: &Matrix) -> Self {
        let leaf_size = if matrix.n_cols > KD_TREE_MAX_DIMS {
            usize::MAX
        } else {
            LEAF_SIZE
        };
        Self::build_with_leaf_size(matrix, leaf_size)
    }

    pub fn build_with_leaf_size(matrix: &Matrix, leaf_size: usize) -> Self {
        let n = matrix.n_rows;
        let dims = matrix.n_cols;
        let mut index: Vec<u32> = (0..n as u32).collect();
        let mut nodes = Vec::new();
        let mut bounds = Vec::new();
        if n > 0 {
            build_node(
                matrix,
                &mut index,
                0,
                n,
                leaf_size.max(1),
                &mut nodes,
                &mut bounds,
            );
        }
        let mut points = Vec::with_capacity(n * dims);
        let mut position = vec![0u32; n];
        for (pos, &row) in index.iter().enumerate() {
            points.extend_from_slice(matrix.row(row as usize));
            position[row as usize] = pos as u32;
        }
        Self {
            dims,
            points,
            index,
            position,
            nodes,
            bounds,
            manhattan: false,
        }
    }

    /// The tree that measures by `metric`: squared Manhattan distances for Manhattan,
    /// squared Euclidean otherwise (cosine rows come in unit length). Every distance the
    /// queries take and return is of that kind.
    pub fn build_for(matrix: &Matrix, metric: Metric) -> Self {
        let mut tree = Self::build(matrix);
        tree.manhattan = metric == Metric::Manhattan;
        tree
    }

    /// What the tree measures by: Manhattan, or Euclidean (cosine's unit rows too).
    pub fn metric(&self) -> Metric {
        if self.manhattan {
            Metric::Manhattan
        } else {
            Metric::Euclidean
        }
    }

    /// The squared distance between two rows as this tree measures it.
    #[inline(always)]
    pub fn measure(&self, a: &[f32], b: &[f32]) -> f32 {
        searched_sq(self.manhattan, a, b)
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Coordinates at tree-order position `pos`.
    #[inline(always)]
    pub fn point_at(&self, pos: usize) -> &[f32] {
        &self.points[pos * self.dims..(pos + 1) * self.dims]
    }

    /// Coordinates of original row `row`.
    #[inline(always)]
    pub fn row(&self, row: usize) -> &[f32] {
        self.point_at(self.position[row] as usize)
    }

    /// A lower bound on the squared distance (as [`Self::measure`]) from `query` to
    /// anything in node `node`.
    #[inline(always)]
    pub fn box_distance(&self, node: usize, query: &[f32]) -> f32 {
        let lo = &self.bounds[node * 2 * self.dims..node * 2 * self.dims + self.dims];
        let hi = &self.bounds[node * 2 * self.dims + self.dims..(node + 1) * 2 * self.dims];
        let gaps = query.iter().zip(lo).zip(hi).map(|((&q, &l), &h)| {
            if q < l {
                l - q
            } else if q > h {
                q - h
            } else {
                0.0
            }
        });
        let bound = if self.manhattan {
            let sum: f32 = gaps.sum();
            sum * sum
        } else {
            gaps.map(|gap| gap * gap).sum()
        };
        bound * PRUNE_SLACK
    }

    /// Squared distance from row `row` to its `k`-th nearest other row (`k ≥ 1`; duplicates
    /// count as neighbours at distance 0). Infinite when there are fewer than `k` others.
    #[inline(always)]
    pub fn kth_neighbour_distance(&self, row: usize, k: usize) -> f32 {
        debug_assert!(k >= 1);
        let query = self.row(row);
        // The k smallest distances so far, ascending.
        let mut best: Vec<f32> = Vec::with_capacity(k + 1);
        let mut worst = f32::INFINITY;
        let mut stack = vec![0u32];
        while let Some(node) = stack.pop() {
            let node = node as usize;
            if self.box_distance(node, query) > worst {
                continue;
            }
            let n = &self.nodes[node];
            if n.is_leaf() {
                for pos in n.start as usize..n.end as usize {
                    if self.index[pos] as usize == row {
                        continue;
                    }
                    let distance = self.measure(query, self.point_at(pos));
                    if best.len() < k || distance < worst {
                        let at = best.partition_point(|&b| b <= distance);
                        best.insert(at, distance);
                        best.truncate(k);
                        if best.len() == k {
                            worst = best[k - 1];
                        }
                    }
                }
            } else {
                self.push_children(&mut stack, n, query);
            }
        }
        if best.len() == k {
            best[k - 1]
        } else {
            f32::INFINITY
        }
    }

    /// The `k` nearest other rows of row `row` as (squared distance, row), nearest first,
    /// equal distances by row index; fewer when there are fewer other rows. `best` is
    /// reused between calls.
    pub fn k_nearest(&self, row: usize, k: usize, best: &mut Vec<(f32, u32)>) {
        best.clear();
        if k == 0 {
            return;
        }
        let query = self.row(row);
        let mut worst = (f32::INFINITY, u32::MAX);
        let mut stack = vec![0u32];
        while let Some(node) = stack.pop() {
            let node = node as usize;
            if self.box_distance(node, query) > worst.0 {
                continue;
            }
            let n = &self.nodes[node];
            if n.is_leaf() {
                for pos in n.start as usize..n.end as usize {
                    let other = self.index[pos];
                    if other as usize == row {
                        continue;
                    }
                    let candidate = (self.measure(query, self.point_at(pos)), other);
                    if best.len() < k || candidate < worst {
                        let at = best.partition_point(|b| *b < candidate);
                        best.insert(at, candidate);
                        best.truncate(k);
                        if best.len() == k {
                            worst = best[k - 1];
                        }
                    }
                }
            } else {
                self.push_children(&mut stack, n, query);
            }
        }
    }

    /// The smallest label among rows within squared distance `radius_sq` (inclusive) of
    /// row `row` whose label is not [`NO_LABEL`].
    #[inline(always)]
    pub fn min_label_within(&self, row: usize, radius_sq: f32, labels: &[u32]) -> u32 {
        let query = self.row(row);
        let mut found = NO_LABEL;
        let mut stack = vec![0u32];
        while let Some(node) = stack.pop() {
            let node = node as usize;
            if self.box_distance(node, query) > radius_sq {
                continue;
            }
            let n = &self.nodes[node];
            if n.is_leaf() {
                for pos in n.start as usize..n.end as usize {
                    let other = self.index[pos] as usize;
                    let label = labels[other];
                    if label >= found || other == row {
                        continue;
                    }
                    if self.measure(query, self.point_at(pos)) <= radius_sq {
                        found = label;
                    }
                }
            } else {
                stack.push(n.left);
                stack.push(n.right);
            }
        }
        found
    }

    /// Calls `visit(other_row, squared_distance)` for each other row within `radius_sq`
    /// (inclusive) of row `row`, in no particular order.
    #[inline(always)]
    pub fn for_each_within(&self, row: usize, radius_sq: f32, mut visit: impl FnMut(usize, f32)) {
        let query = self.row(row);
        let mut stack = vec![0u32];
        while let Some(node) = stack.pop() {
            let node = node as usize;
            if self.box_distance(node, query) > radius_sq {
                continue;
            }
            let n = &self.nodes[node];
            if n.is_leaf() {
                for pos in n.start as usize..n.end as usize {
                    let other = self.index[pos] as usize;
                    if other == row {
                        continue;
                    }
                    let distance = self.measure(query, self.point_at(pos));
                    if distance <= radius_sq {
                        visit(other, distance);
                    }
                }
            } else {
                stack.push(n.left);
                stack.push(n.right);
            }
        }
    }

    /// The count and the f64 coordinate sums of the rows within `radius` (inclusive,
    /// compared in f64) of an arbitrary `query` point: mean shift's step.
    pub fn sum_within(&self, query: &[f64], radius: f64, sums: &mut [f64]) -> usize {
        debug_assert!(!self.manhattan, "mean shift's flat kernel is Euclidean");
        let radius_sq = radius * radius;
        let query32: Vec<f32> = query.iter().map(|&q| q as f32).collect();
        // The f32 box bound, loosened so rounding never prunes a node with a point inside.
        let prune = (radius_sq * (1.0 + 1e-5) + 1e-30) as f32;
        sums.iter_mut().for_each(|s| *s = 0.0);
        let mut count = 0;
        let mut stack = vec![0u32];
        while let Some(node) = stack.pop() {
            let node = node as usize;
            if self.box_distance(node, &query32) > prune {
                continue;
            }
            let n = &self.nodes[node];
            if n.is_leaf() {
                for pos in n.start as usize..n.end as usize {
                    let point = self.point_at(pos);
                    let distance: f64 = point
                        .iter()
                        .zip(query)
                        .map(|(&p, &q)| (p as f64 - q) * (p as f64 - q))
                        .sum();
                    if distance <= radius_sq {
                        count += 1;
                        for (s, &p) in sums.iter_mut().zip(point) {
                            *s += p as f64;
                        }
                    }
                }
            } else {
                stack.push(n.left);
                stack.push(n.right);
            }
        }
        count
    }

    /// Pushes the farther child first so that the nearer one is searched first.
    #[inline(always)]
    pub fn push_children(&self, stack: &mut Vec<u32>, node: &Node, query: &[f32]) {
        let left = self.box_distance(node.left as usize, query);
        let right = self.box_distance(node.right as usize, query);
        if left <= right {
            stack.push(node.right);
            stack.push(node.left);
        } else {
            stack.push(node.left);
            stack.push(node.right);
        }
    }
}

fn build_node(
    matrix: &Matrix,
    index: &mut [u32],
    start: usize,
    end: usize,
    leaf_size: usize,
    nodes: &mut Vec<Node>,
    bounds: &mut Vec<f32>,
) -> u32 {
    let dims = matrix.n_cols;
    let id = nodes.len();
    nodes.push(Node {
        start: start as u32,
        end: end as u32,
        left: NO_CHILD,
        right: NO_CHILD,
    });
    let mut lo = vec![f32::INFINITY; dims];
    let mut hi = vec![f32::NEG_INFINITY; dims];
    for &row in &index[start..end] {
        for (dim, &value) in matrix.row(row as usize).iter().enumerate() {
            lo[dim] = lo[dim].min(value);
            hi[dim] = hi[dim].max(value);
        }
    }
    bounds.extend_from_slice(&lo);
    bounds.extend_from_slice(&hi);
    if end - start <= leaf_size {
        return id as u32;
    }
    let (split_dim, spread) = (0..dims)
        .map(|dim| (dim, hi[dim] - lo[dim]))
        .fold((0, -1.0f32), |best, c| if c.1 > best.1 { c } else { best });
    if spread <= 0.0 {
        // All rows identical: nothing to split on.
        return id as u32;
    }
    let middle = start + (end - start) / 2;
    index[start..end].select_nth_unstable_by(middle - start, |&a, &b| {
        let va = matrix.values[a as usize * dims + split_dim];
        let vb = matrix.values[b as usize * dims + split_dim];
        va.total_cmp(&vb).then(a.cmp(&b))
    });
    let left = build_node(matrix, index, start, middle, leaf_size, nodes, bounds);
    let right = build_node(matrix, index, middle, end, leaf_size, nodes, bounds);
    nodes[id].left = left;
    nodes[id].right = right;
    id as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spatial::{squared_distance, squared_manhattan};
    use crate::synthetic;

    fn brute_kth(matrix: &Matrix, row: usize, k: usize) -> f32 {
        let mut distances: Vec<f32> = (0..matrix.n_rows)
            .filter(|&o| o != row)
            .map(|o| squared_distance(matrix.row(row), matrix.row(o)))
            .collect();
        distances.sort_by(f32::total_cmp);
        distances.get(k - 1).copied().unwrap_or(f32::INFINITY)
    }

    #[test]
    fn kth_neighbour_matches_a_scan() {
        let matrix = synthetic::uniform(700, 3, 5);
        let tree = KdTree::build(&matrix);
        for row in (0..700).step_by(13) {
            for k in [1, 4, 17] {
                assert_eq!(
                    tree.kth_neighbour_distance(row, k),
                    brute_kth(&matrix, row, k)
                );
            }
        }
    }

    #[test]
    fn k_nearest_matches_a_scan_ties_by_row() {
        // A grid has many equal distances: the order must still be one answer.
        let values: Vec<f32> = (0..400)
            .flat_map(|i| [(i % 20) as f32, (i / 20) as f32])
            .collect();
        let matrix = Matrix::new(400, 2, values);
        let tree = KdTree::build(&matrix);
        let mut found = Vec::new();
        for row in (0..400).step_by(11) {
            let mut expected: Vec<(f32, u32)> = (0..400)
                .filter(|&o| o != row)
                .map(|o| (squared_distance(matrix.row(row), matrix.row(o)), o as u32))
                .collect();
            expected.sort_by(|a, b| a.partial_cmp(b).unwrap());
            for k in [1, 9, 30] {
                tree.k_nearest(row, k, &mut found);
                assert_eq!(found, expected[..k]);
            }
        }
        tree.k_nearest(0, 500, &mut found);
        assert_eq!(found.len(), 399);
    }

    #[test]
    fn radius_queries_match_a_scan() {
        let matrix = synthetic::uniform(500, 2, 9);
        let tree = KdTree::build(&matrix);
        let labels: Vec<u32> = (0..500).map(|i| (i * 7919 % 101) as u32).collect();
        let radius_sq = 0.004;
        for row in (0..500).step_by(7) {
            let expected: Vec<usize> = (0..500)
                .filter(|&o| {
                    o != row && squared_distance(matrix.row(row), matrix.row(o)) <= radius_sq
                })
                .collect();
            let mut found = Vec::new();
            tree.for_each_within(row, radius_sq, |o, _| found.push(o));
            found.sort();
            assert_eq!(found, expected);
            let min_label = expected
                .iter()
                .map(|&o| labels[o])
                .min()
                .unwrap_or(NO_LABEL);
            assert_eq!(tree.min_label_within(row, radius_sq, &labels), min_label);
        }
    }

    #[test]
    fn duplicates_are_neighbours_at_zero() {
        let matrix = Matrix::new(4, 1, vec![1.0, 1.0, 1.0, 5.0]);
        let tree = KdTree::build(&matrix);
        assert_eq!(tree.kth_neighbour_distance(0, 2), 0.0);
        assert_eq!(tree.kth_neighbour_distance(3, 1), 16.0);
        assert_eq!(tree.kth_neighbour_distance(3, 4), f32::INFINITY);
    }

    #[test]
    fn a_manhattan_tree_answers_as_a_manhattan_scan() {
        let matrix = synthetic::gaussian_blobs(600, 3, 4, 1.0, 7).points;
        let tree = KdTree::build_for(&matrix, Metric::Manhattan);
        let mut best = Vec::new();
        for row in (0..matrix.n_rows).step_by(37) {
            let mut scan: Vec<(f32, u32)> = (0..matrix.n_rows)
                .filter(|&o| o != row)
                .map(|o| (squared_manhattan(matrix.row(row), matrix.row(o)), o as u32))
                .collect();
            scan.sort_by(|a, b| a.partial_cmp(b).unwrap());
            tree.k_nearest(row, 9, &mut best);
            assert_eq!(best, scan[..9]);
            assert_eq!(tree.kth_neighbour_distance(row, 5), scan[4].0);
            let radius_sq = scan[20].0;
            let mut within = 0;
            tree.for_each_within(row, radius_sq, |_, d| {
                assert!(d <= radius_sq);
                within += 1;
            });
            assert_eq!(within, scan.iter().filter(|c| c.0 <= radius_sq).count());
        }
    }
}
