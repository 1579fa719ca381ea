//! A binary merge tree in scipy's `linkage` layout: leaves are `0..n_leaves`, merge `i`
//! creates node `n_leaves + i`, merges are in non-decreasing height order.

/// One row of the linkage matrix.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Merge {
    /// The two nodes joined, smaller id first (scipy's convention).
    pub left: u32,
    pub right: u32,
    pub height: f64,
    /// Points under the new node.
    pub size: u32,
}

/// A merge tree over points, or over groups of points when a divisive run stopped early.
#[derive(Clone, Debug, Default)]
pub struct Dendrogram {
    pub n_leaves: usize,
    pub merges: Vec<Merge>,
    /// For trees whose leaves are groups: the leaf of each point. `None`: leaf = point.
    pub point_leaf: Option<Vec<u32>>,
    /// Points under each leaf (all 1 when leaves are points).
    pub leaf_sizes: Vec<u32>,
}

/// Union-find whose roots carry the id of the tree node they stand for.
struct NodeUnionFind {
    parent: Vec<u32>,
    node: Vec<u32>,
    size: Vec<u32>,
}

impl NodeUnionFind {
    fn new(n: usize, sizes: &[u32]) -> Self {
        Self {
            parent: (0..n as u32).collect(),
            node: (0..n as u32).collect(),
            size: sizes.to_vec(),
        }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        let mut root = x;
        while self.parent[root as usize] != root {
            root = self.parent[root as usize];
        }
        while self.parent[x as usize] != root {
            let next = self.parent[x as usize];
            self.parent[x as usize] = root;
            x = next;
        }
        root
    }
}

impl Dendrogram {
    /// Builds the tree from point pairs joined in order (scipy's `label` step): each pair
    /// merges the clusters its two points are in at that moment.
    pub fn from_sorted_pairs(
        n_leaves: usize,
        leaf_sizes: Vec<u32>,
        pairs: impl IntoIterator<Item = (u32, u32, f64)>,
    ) -> Self {
        let mut sets = NodeUnionFind::new(n_leaves, &leaf_sizes);
        let mut merges = Vec::with_capacity(n_leaves.saturating_sub(1));
        for (a, b, height) in pairs {
            let (ra, rb) = (sets.find(a), sets.find(b));
            if ra == rb {
                continue;
            }
            let (na, nb) = (sets.node[ra as usize], sets.node[rb as usize]);
            let size = sets.size[ra as usize] + sets.size[rb as usize];
            merges.push(Merge {
                left: na.min(nb),
                right: na.max(nb),
                height,
                size,
            });
            // Union by size; the root takes the new node's id.
            let (big, small) = if sets.size[ra as usize] >= sets.size[rb as usize] {
                (ra, rb)
            } else {
                (rb, ra)
            };
            sets.parent[small as usize] = big;
            sets.size[big as usize] = size;
            sets.node[big as usize] = (n_leaves + merges.len() - 1) as u32;
        }
        Self {
            n_leaves,
            merges,
            point_leaf: None,
            leaf_sizes,
        }
    }

    /// A tree whose leaves are single points.
    pub fn over_points(n_points: usize, pairs: impl IntoIterator<Item = (u32, u32, f64)>) -> Self {
        Self::from_sorted_pairs(n_points, vec![1; n_points], pairs)
    }

    pub fn n_points(&self) -> usize {
        self.point_leaf.as_ref().map_or(self.n_leaves, Vec::len)
    }

    /// Clusters left after applying every merge: 1 for a connected tree.
    pub fn n_roots(&self) -> usize {
        self.n_leaves - self.merges.len()
    }

    /// Labels with exactly `k` clusters: the last `k - 1` merges undone. (scipy's `fcluster`
    /// with `maxclust` may give fewer clusters when heights tie; scikit-learn's
    /// `AgglomerativeClustering(n_clusters=k)` gives exactly k, as this does.)
    pub fn labels_for_k(&self, k: usize) -> Vec<u32> {
        let keep = (self.n_leaves.saturating_sub(k)).min(self.merges.len());
        self.labels_after(keep)
    }

    /// Labels joining every merge of height ≤ `threshold` (scipy's `fcluster`, criterion
    /// `distance`).
    pub fn labels_at_height(&self, threshold: f64) -> Vec<u32> {
        let keep = self.merges.partition_point(|m| m.height <= threshold);
        self.labels_after(keep)
    }

    /// Number of clusters when cutting at `threshold`.
    pub fn clusters_at_height(&self, threshold: f64) -> usize {
        self.n_leaves - self.merges.partition_point(|m| m.height <= threshold)
    }

    /// A height that cuts the tree into `k` clusters: halfway between the merge that would
    /// join two of them and the last one kept. 0 when k equals the number of leaves.
    pub fn height_for_k(&self, k: usize) -> f64 {
        let keep = (self.n_leaves.saturating_sub(k)).min(self.merges.len());
        let below = if keep == 0 {
            0.0
        } else {
            self.merges[keep - 1].height
        };
        match self.merges.get(keep) {
            Some(next) => (below + next.height) / 2.0,
            None => below * 1.05 + f64::EPSILON,
        }
    }

    /// Labels per point after the first `keep` merges, numbered in order of each cluster's
    /// first point.
    pub fn labels_after(&self, keep: usize) -> Vec<u32> {
        let n = self.n_leaves;
        let mut parent: Vec<u32> = (0..n as u32).collect();
        fn find(parent: &mut [u32], mut x: u32) -> u32 {
            while parent[x as usize] != x {
                parent[x as usize] = parent[parent[x as usize] as usize];
                x = parent[x as usize];
            }
            x
        }
        // Representative leaf of every node created so far.
        let mut representative: Vec<u32> = (0..n as u32).collect();
        representative.reserve(keep);
        for merge in &self.merges[..keep] {
            let a = representative[merge.left as usize];
            let b = representative[merge.right as usize];
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            parent[rb as usize] = ra;
            representative.push(ra);
        }
        let mut numbering = vec![u32::MAX; n];
        let mut next = 0u32;
        let mut leaf_label = vec![0u32; n];
        let mut label_of_leaf = |leaf: u32, parent: &mut [u32]| {
            let root = find(parent, leaf) as usize;
            if numbering[root] == u32::MAX {
                numbering[root] = next;
                next += 1;
            }
            numbering[root]
        };
        match &self.point_leaf {
            None => (0..n as u32)
                .map(|leaf| label_of_leaf(leaf, &mut parent))
                .collect(),
            Some(point_leaf) => {
                let mut seen = vec![false; n];
                point_leaf
                    .iter()
                    .map(|&leaf| {
                        if !seen[leaf as usize] {
                            seen[leaf as usize] = true;
                            leaf_label[leaf as usize] = label_of_leaf(leaf, &mut parent);
                        }
                        leaf_label[leaf as usize]
                    })
                    .collect()
            }
        }
    }

    /// Children of internal node `node` (≥ n_leaves).
    pub fn children(&self, node: usize) -> (usize, usize) {
        let merge = &self.merges[node - self.n_leaves];
        (merge.left as usize, merge.right as usize)
    }

    pub fn height_of(&self, node: usize) -> f64 {
        if node < self.n_leaves {
            0.0
        } else {
            self.merges[node - self.n_leaves].height
        }
    }

    pub fn size_of(&self, node: usize) -> u32 {
        if node < self.n_leaves {
            self.leaf_sizes[node]
        } else {
            self.merges[node - self.n_leaves].size
        }
    }

    /// Top nodes: the roots of the forest (one for a connected tree).
    pub fn roots(&self) -> Vec<usize> {
        let total = self.n_leaves + self.merges.len();
        let mut has_parent = vec![false; total];
        for merge in &self.merges {
            has_parent[merge.left as usize] = true;
            has_parent[merge.right as usize] = true;
        }
        (0..total).filter(|&node| !has_parent[node]).collect()
    }

    /// Points under `node`, for selecting a branch.
    pub fn points_under(&self, node: usize) -> Vec<u32> {
        let mut leaves = Vec::new();
        let mut stack = vec![node];
        while let Some(current) = stack.pop() {
            if current < self.n_leaves {
                leaves.push(current as u32);
            } else {
                let (a, b) = self.children(current);
                stack.push(a);
                stack.push(b);
            }
        }
        match &self.point_leaf {
            None => leaves,
            Some(point_leaf) => {
                let mut wanted = vec![false; self.n_leaves];
                for &leaf in &leaves {
                    wanted[leaf as usize] = true;
                }
                (0..point_leaf.len() as u32)
                    .filter(|&p| wanted[point_leaf[p as usize] as usize])
                    .collect()
            }
        }
    }

    /// The linkage matrix as scipy prints it: `[left, right, height, size]` per merge.
    pub fn to_scipy(&self) -> Vec<[f64; 4]> {
        self.merges
            .iter()
            .map(|m| [m.left as f64, m.right as f64, m.height, m.size as f64])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points 0,1 at height 1; 2,3 at 2; then everything at 5.
    fn small() -> Dendrogram {
        Dendrogram::over_points(4, [(0, 1, 1.0), (2, 3, 2.0), (1, 3, 5.0)])
    }

    #[test]
    fn linkage_rows_follow_scipy() {
        assert_eq!(
            small().to_scipy(),
            vec![
                [0.0, 1.0, 1.0, 2.0],
                [2.0, 3.0, 2.0, 2.0],
                [4.0, 5.0, 5.0, 4.0]
            ]
        );
    }

    #[test]
    fn cuts_by_k_and_height() {
        let tree = small();
        assert_eq!(tree.labels_for_k(1), vec![0, 0, 0, 0]);
        assert_eq!(tree.labels_for_k(2), vec![0, 0, 1, 1]);
        assert_eq!(tree.labels_for_k(3), vec![0, 0, 1, 2]);
        assert_eq!(tree.labels_for_k(4), vec![0, 1, 2, 3]);
        assert_eq!(tree.labels_at_height(1.0), vec![0, 0, 1, 2]);
        assert_eq!(tree.labels_at_height(4.9), vec![0, 0, 1, 1]);
        assert_eq!(tree.clusters_at_height(0.5), 4);
        assert_eq!(tree.height_for_k(2), 3.5);
        assert_eq!(tree.points_under(5), vec![3, 2]);
        assert_eq!(tree.roots(), vec![6]);
    }

    #[test]
    fn group_leaves_spread_to_points() {
        let mut tree = Dendrogram::from_sorted_pairs(2, vec![2, 1], [(0, 1, 3.0)]);
        tree.point_leaf = Some(vec![1, 0, 0]);
        assert_eq!(tree.labels_for_k(2), vec![0, 1, 1]);
        assert_eq!(tree.merges[0].size, 3);
        assert_eq!(tree.points_under(0), vec![1, 2]);
    }
}
