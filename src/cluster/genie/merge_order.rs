//! Genie's merge order over a spanning tree (Gagolewski, Bartoszuk & Cena 2016).
//!
//! Start from singletons and consume the tree's edges lightest first, as single linkage
//! does, except while the Gini index of the cluster sizes is above the threshold: then the
//! next merge is the lightest unused edge that touches a cluster of the smallest size. In a
//! tree every unused edge joins two different clusters, so each edge is one merge and the
//! whole hierarchy is n − 1 merges; any cluster count is a prefix of it.

use crate::cluster::density::mst::{Components, MstEdge};
use crate::cluster::{ClusterError, RunContext};

/// One merge of the Genie hierarchy: the tree edge it used.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GenieMerge {
    pub a: u32,
    pub b: u32,
    /// The edge's length (not squared).
    pub distance: f64,
}

/// How many clusters there are of each size, and the normalised Gini index of the sizes,
/// kept up to date in O(log n) per merge: the sum of |s_i − s_j| over pairs changes by a
/// cluster's distances to all others, Σ_j |x − s_j|, which the count and total size of
/// the clusters at or below x give. Those come from a Fenwick tree over blocks of
/// [`BLOCK`] sizes (small enough to stay in cache) plus a scan within x's block.
pub(crate) struct SizeCensus {
    clusters_of_size: Vec<u32>,
    /// Fenwick tree over blocks of sizes: (clusters, their total size) per block.
    blocks: Vec<[i64; 2]>,
    n_points: usize,
    n_clusters: usize,
    /// Σ_{i<j} |s_i − s_j|, exact.
    pair_differences: i128,
    /// The total size of the clusters counted (n_points between merges).
    total: i64,
    smallest: u32,
    gini: f64,
}

/// Sizes per block of the census's Fenwick tree.
const BLOCK: usize = 64;

impl SizeCensus {
    /// `n_points` singletons: every size equal, Gini 0.
    pub(crate) fn singletons(n_points: usize) -> Self {
        let mut census = Self {
            clusters_of_size: vec![0; n_points + 1],
            blocks: vec![[0; 2]; n_points / BLOCK + 2],
            n_points,
            n_clusters: 0,
            pair_differences: 0,
            total: 0,
            smallest: 1,
            gini: 0.0,
        };
        if n_points > 0 {
            census.count(1, n_points as i64);
        }
        census
    }

    pub(crate) fn gini(&self) -> f64 {
        self.gini
    }

    pub(crate) fn smallest(&self) -> u32 {
        self.smallest
    }

    /// (clusters, total size) of the clusters of size ≤ `size`.
    fn at_or_below(&self, size: u32) -> [i64; 2] {
        let size = size as usize;
        let block = size / BLOCK;
        let mut acc = [0i64; 2];
        for s in block * BLOCK..=size {
            let count = self.clusters_of_size[s] as i64;
            acc[0] += count;
            acc[1] += count * s as i64;
        }
        // Fenwick positions are blocks + 1: the prefix of the blocks before this one.
        let mut i = block;
        while i > 0 {
            acc[0] += self.blocks[i][0];
            acc[1] += self.blocks[i][1];
            i &= i - 1;
        }
        acc
    }

    /// Σ_j |size − s_j| over the clusters counted now.
    fn distances_to_all(&self, size: u32) -> i128 {
        let [count, sum] = self.at_or_below(size);
        let size = size as i64;
        let above = self.n_clusters as i64 - count;
        ((size * count - sum) + (self.total - sum - size * above)) as i128
    }

    /// Adds (`sign` > 0) or removes (< 0) `sign.abs()` clusters of `size`.
    fn count(&mut self, size: u32, sign: i64) {
        let mut i = size as usize / BLOCK + 1;
        while i < self.blocks.len() {
            self.blocks[i][0] += sign;
            self.blocks[i][1] += sign * size as i64;
            i += i & i.wrapping_neg();
        }
        self.clusters_of_size[size as usize] =
            (self.clusters_of_size[size as usize] as i64 + sign) as u32;
        self.n_clusters = (self.n_clusters as i64 + sign) as usize;
        self.total += sign * size as i64;
    }

    /// Two clusters of these sizes became one.
    pub(crate) fn merge(&mut self, size_a: u32, size_b: u32) {
        for size in [size_a, size_b] {
            debug_assert!(self.clusters_of_size[size as usize] > 0);
            self.pair_differences -= self.distances_to_all(size);
            self.count(size, -1);
        }
        let joined = size_a + size_b;
        self.pair_differences += self.distances_to_all(joined);
        self.count(joined, 1);
        // Sizes only grow, so the smallest one only moves up.
        while (self.smallest as usize) < self.n_points
            && self.clusters_of_size[self.smallest as usize] == 0
        {
            self.smallest += 1;
        }
        self.gini = if self.n_clusters < 2 {
            0.0
        } else {
            let k = self.n_clusters as f64;
            (self.pair_differences as f64 / (self.n_points as f64 * (k - 1.0))).clamp(0.0, 1.0)
        };
    }
}

/// The unused tree edges in weight order, as a linked list that drops edges in O(1).
struct UnusedEdges {
    next: Vec<usize>,
    prev: Vec<usize>,
    used: Vec<bool>,
    head: usize,
}

const END: usize = usize::MAX;

impl UnusedEdges {
    fn new(n: usize) -> Self {
        Self {
            next: (1..=n).map(|i| if i == n { END } else { i }).collect(),
            prev: (0..n).map(|i| if i == 0 { END } else { i - 1 }).collect(),
            used: vec![false; n],
            head: if n == 0 { END } else { 0 },
        }
    }

    fn remove(&mut self, edge: usize) {
        let (p, n) = (self.prev[edge], self.next[edge]);
        if p == END {
            self.head = n;
        } else {
            self.next[p] = n;
        }
        if n != END {
            self.prev[n] = p;
        }
        self.used[edge] = true;
    }
}

/// The Genie merges of a spanning tree whose `edges` are sorted lightest first (the density
/// hierarchy's order), in the order Genie makes them: all n − 1 of them for a connected
/// tree. `gini_threshold` 1 gives single linkage's order.
pub fn genie_merges(
    n_points: usize,
    edges: &[MstEdge],
    gini_threshold: f64,
    context: &RunContext,
) -> Result<Vec<GenieMerge>, ClusterError> {
    let mut components = Components::new(n_points);
    let mut size = vec![1u32; n_points];
    let mut joined = vec![false; n_points];
    let mut census = SizeCensus::singletons(n_points);
    let mut unused = UnusedEdges::new(edges.len());
    let mut merges = Vec::with_capacity(edges.len());
    // Where the last search for an edge touching a smallest cluster stopped. Sizes only
    // grow, so while the smallest size stays the same, edges before it still touch no
    // cluster of that size and the next search can resume there.
    let mut resume: Option<(u32, usize)> = None;
    while unused.head != END {
        if merges.len() % 4096 == 0 {
            context.check_cancelled()?;
        }
        let edge = if census.gini() > gini_threshold {
            let smallest = census.smallest();
            let mut at = match resume {
                Some((size_then, at)) if size_then == smallest && at != END && !unused.used[at] => {
                    at
                }
                _ => unused.head,
            };
            loop {
                if at == END {
                    return Err(ClusterError::Internal(
                        "Genie: no tree edge touches a smallest cluster (the tree is not connected)"
                            .into(),
                    ));
                }
                let e = edges[at];
                // A point is alone until an edge at it is used: for the singletons (most
                // of Genie's corrections) that is one byte, not a walk to the root.
                let touches = |p: u32, components: &mut Components| {
                    if smallest == 1 {
                        !joined[p as usize]
                    } else {
                        size[components.find(p) as usize] == smallest
                    }
                };
                if touches(e.a, &mut components) || touches(e.b, &mut components) {
                    break;
                }
                at = unused.next[at];
            }
            resume = Some((smallest, unused.next[at]));
            at
        } else {
            unused.head
        };
        unused.remove(edge);
        let e = edges[edge];
        let (ra, rb) = (components.find(e.a), components.find(e.b));
        let (sa, sb) = (size[ra as usize], size[rb as usize]);
        if !components.union(ra, rb) {
            return Err(ClusterError::Internal(
                "Genie: a tree edge joins a cluster to itself (the edges are not a tree)".into(),
            ));
        }
        size[components.find(ra) as usize] = sa + sb;
        joined[e.a as usize] = true;
        joined[e.b as usize] = true;
        census.merge(sa, sb);
        merges.push(GenieMerge {
            a: e.a,
            b: e.b,
            distance: e.weight(),
        });
    }
    Ok(merges)
}

/// Merge heights made non-decreasing as genieclust reports them (the minimum of each
/// height and every later one), so the tree draws and cuts like any dendrogram; Genie's
/// corrections can make an early merge longer than a later one.
pub fn monotone_heights(merges: &[GenieMerge]) -> Vec<f64> {
    let mut heights: Vec<f64> = merges.iter().map(|m| m.distance).collect();
    for i in (0..heights.len().saturating_sub(1)).rev() {
        heights[i] = heights[i].min(heights[i + 1]);
    }
    heights
}

#[cfg(test)]
mod tests {
    use super::*;

    fn census_of(sizes: &[u32]) -> f64 {
        // Build the census by merging singletons into the wanted sizes.
        let n: u32 = sizes.iter().sum();
        let mut census = SizeCensus::singletons(n as usize);
        for &s in sizes {
            let mut grown = 1;
            while grown < s {
                census.merge(grown, 1);
                grown += 1;
            }
        }
        census.gini()
    }

    fn gini_by_definition(sizes: &[u32]) -> f64 {
        let n: f64 = sizes.iter().map(|&s| s as f64).sum();
        let k = sizes.len() as f64;
        let mut sum = 0.0;
        for (i, &a) in sizes.iter().enumerate() {
            for &b in &sizes[i + 1..] {
                sum += (a as f64 - b as f64).abs();
            }
        }
        sum / (n * (k - 1.0))
    }

    #[test]
    fn the_census_gini_is_the_normalised_gini_of_the_sizes() {
        // Sizes 1, 1, 2, 4: pairs |1−1|+|1−2|+|1−4|+|1−2|+|1−4|+|2−4| = 10; n = 8, k = 4.
        assert!((census_of(&[1, 1, 2, 4]) - 10.0 / 24.0).abs() < 1e-12);
        for sizes in [&[3u32, 3, 3][..], &[1, 9], &[2, 5, 5, 7, 1, 1]] {
            let expected = gini_by_definition(sizes);
            assert!((census_of(sizes) - expected).abs() < 1e-12, "{sizes:?}");
        }
        assert_eq!(census_of(&[5]), 0.0);
    }

    fn edge(a: u32, b: u32, w: f32) -> MstEdge {
        MstEdge::new(a, b, w * w)
    }

    #[test]
    fn threshold_one_is_single_linkage_order() {
        let edges = [edge(0, 1, 1.0), edge(1, 2, 2.0), edge(2, 3, 3.0)];
        let merges = genie_merges(4, &edges, 1.0, &RunContext::default()).unwrap();
        let order: Vec<(u32, u32)> = merges.iter().map(|m| (m.a, m.b)).collect();
        assert_eq!(order, vec![(0, 1), (1, 2), (2, 3)]);
    }

    #[test]
    fn a_high_gini_merges_the_smallest_cluster_first() {
        // A chain 0–1–2–3–4 with edges 1, 1.1, 1.2, 5 and a singleton 5 hanging off 4 by 6.
        // After {0,1} and {0,1,2}, sizes are 3,1,1,1 (Gini 0.4 > 0.3): the lightest edge
        // touching a singleton is 2–3 (1.2), then sizes 4,1,1 (Gini 0.5): 3–4 (5.0), then
        // 5,1: the last edge.
        let edges = [
            edge(0, 1, 1.0),
            edge(1, 2, 1.1),
            edge(2, 3, 1.2),
            edge(3, 4, 5.0),
            edge(4, 5, 6.0),
        ];
        let merges = genie_merges(6, &edges, 0.3, &RunContext::default()).unwrap();
        assert_eq!(merges.len(), 5);
        // With threshold 0 every step after the first picks an edge at a singleton: the
        // 0–1 pair (Gini 0 → merge lightest), then sizes 2,1,1,1,1: Gini = 4/(6·4) > 0, so
        // the lightest edge touching a singleton is 1–2 (it touches 2).
        let strict = genie_merges(6, &edges, 0.0, &RunContext::default()).unwrap();
        assert_eq!((strict[0].a, strict[0].b), (0, 1));
        assert_eq!((strict[1].a, strict[1].b), (1, 2));
        // Sizes 3,1,1,1: edge 2–3 touches singleton 3, lightest of those.
        assert_eq!((strict[2].a, strict[2].b), (2, 3));
    }

    #[test]
    fn the_correction_skips_a_light_edge_between_big_clusters() {
        // Two pairs {0,1} {2,3} joined by a light edge 1–2 (0.5 after the pairs), and a
        // singleton 4 far off 3. Sizes 2,2,1 have Gini (0+1+1)/(5·2) = 0.2; with threshold
        // 0.1 the next merge must take the singleton (edge 3–4) before the light 1–2 edge.
        let edges = [
            edge(0, 1, 0.1),
            edge(2, 3, 0.2),
            edge(1, 2, 0.5),
            edge(3, 4, 9.0),
        ];
        let order = |t: f64| -> Vec<(u32, u32)> {
            genie_merges(5, &edges, t, &RunContext::default())
                .unwrap()
                .iter()
                .map(|m| (m.a, m.b))
                .collect()
        };
        assert_eq!(order(0.1)[2], (3, 4));
        assert_eq!(order(0.3)[2], (1, 2));
    }

    #[test]
    fn heights_become_non_decreasing_from_the_end() {
        let merges: Vec<GenieMerge> = [1.0, 5.0, 2.0, 3.0]
            .iter()
            .map(|&distance| GenieMerge {
                a: 0,
                b: 1,
                distance,
            })
            .collect();
        assert_eq!(monotone_heights(&merges), vec![1.0, 2.0, 2.0, 3.0]);
    }
}
