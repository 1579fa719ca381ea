//! The Barnes–Hut quadtree over the current map, rebuilt each iteration on the CPU and
//! walked by the repulsion pass on either backend: nodes in depth-first order with their
//! mass, centre of mass and width; leaves hold up to [`LEAF_POINTS`] points, which the walk
//! visits one by one.

/// Points a leaf holds at most (more only where they coincide past [`MAX_DEPTH`]).
pub const LEAF_POINTS: usize = 8;
/// Levels below the root at most: points closer than width/2^32 share a leaf.
pub const MAX_DEPTH: usize = 32;
/// "No node" in [`TreeNode::next`].
pub const NONE: u32 = u32::MAX;

/// One node. Keep in sync with `Node` in `shaders/tsne/gradient.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct TreeNode {
    pub centre: [f32; 2],
    pub mass: f32,
    /// The side of the node's square.
    pub width: f32,
    /// Leaves: the first of their points in [`QuadTree::points`]; inner nodes: the first
    /// child (the next node in depth-first order).
    pub first: u32,
    /// Leaves: their point count; inner nodes: 0.
    pub count: u32,
    /// The node after this one's subtree in depth-first order ([`NONE`] at the end): the
    /// walk jumps there when the node is summarised or done.
    pub next: u32,
    pub _pad: u32,
}

const _: () = assert!(std::mem::size_of::<TreeNode>() == 32);

/// A point in a leaf. Keep in sync with `LeafPoint` in `shaders/tsne/gradient.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct LeafPoint {
    pub position: [f32; 2],
    pub row: u32,
    pub _pad: u32,
}

const _: () = assert!(std::mem::size_of::<LeafPoint>() == 16);

/// The tree, in the layout both backends walk.
#[derive(Clone, Debug, Default)]
pub struct QuadTree {
    pub nodes: Vec<TreeNode>,
    pub points: Vec<LeafPoint>,
}

impl QuadTree {
    /// The tree over `positions`.
    pub fn build(positions: &[[f32; 2]]) -> Self {
        let mut lo = [f32::INFINITY; 2];
        let mut hi = [f32::NEG_INFINITY; 2];
        for p in positions {
            for a in 0..2 {
                lo[a] = lo[a].min(p[a]);
                hi[a] = hi[a].max(p[a]);
            }
        }
        let width = (hi[0] - lo[0]).max(hi[1] - lo[1]).max(f32::MIN_POSITIVE) * (1.0 + 1e-5);
        let mut tree = QuadTree {
            nodes: Vec::with_capacity(positions.len() / 2 + 1),
            points: Vec::with_capacity(positions.len()),
        };
        let mut rows: Vec<u32> = (0..positions.len() as u32).collect();
        if !rows.is_empty() {
            tree.add(positions, &mut rows, lo, width, 0);
        }
        tree
    }

    /// Adds the node over `rows` (square at `corner` of side `width`) and its subtree;
    /// returns its index.
    fn add(
        &mut self,
        positions: &[[f32; 2]],
        rows: &mut [u32],
        corner: [f32; 2],
        width: f32,
        depth: usize,
    ) -> u32 {
        let index = self.nodes.len() as u32;
        let mass = rows.len() as f32;
        let mut centre = [0.0f64; 2];
        for &r in rows.iter() {
            centre[0] += positions[r as usize][0] as f64;
            centre[1] += positions[r as usize][1] as f64;
        }
        let centre = [
            (centre[0] / rows.len() as f64) as f32,
            (centre[1] / rows.len() as f64) as f32,
        ];
        self.nodes.push(TreeNode {
            centre,
            mass,
            width,
            first: 0,
            count: 0,
            next: NONE,
            _pad: 0,
        });
        if rows.len() <= LEAF_POINTS || depth >= MAX_DEPTH {
            let first = self.points.len() as u32;
            for &r in rows.iter() {
                self.points.push(LeafPoint {
                    position: positions[r as usize],
                    row: r,
                    _pad: 0,
                });
            }
            let node = &mut self.nodes[index as usize];
            node.first = first;
            node.count = rows.len() as u32;
            return index;
        }
        self.nodes[index as usize].first = index + 1;
        let half = width / 2.0;
        let middle = [corner[0] + half, corner[1] + half];
        // Stable partition into the four quadrants (x low/high, then y low/high).
        let quadrant = |r: u32| {
            let p = positions[r as usize];
            (p[0] >= middle[0]) as usize + 2 * (p[1] >= middle[1]) as usize
        };
        let mut sorted: Vec<u32> = Vec::with_capacity(rows.len());
        let mut bounds = [0usize; 5];
        for q in 0..4 {
            sorted.extend(rows.iter().copied().filter(|&r| quadrant(r) == q));
            bounds[q + 1] = sorted.len();
        }
        rows.copy_from_slice(&sorted);
        let mut last_child: Option<u32> = None;
        for q in 0..4 {
            let (start, end) = (bounds[q], bounds[q + 1]);
            if start == end {
                continue;
            }
            let child_corner = [
                corner[0] + half * (q % 2) as f32,
                corner[1] + half * (q / 2) as f32,
            ];
            let child = self.add(
                positions,
                &mut rows[start..end],
                child_corner,
                half,
                depth + 1,
            );
            if let Some(previous) = last_child {
                self.nodes[previous as usize].next = child;
            }
            last_child = Some(child);
        }
        index
    }

    /// Sets every node's `next`: a child's sibling was set while building; the last
    /// child, and the root, continue where their parent's subtree ends.
    pub fn link(&mut self) {
        fn fill(nodes: &mut [TreeNode], node: u32, after: u32) {
            let n = nodes[node as usize];
            if n.count == 0 && n.first != 0 {
                let mut child = n.first;
                loop {
                    let sibling = nodes[child as usize].next;
                    let next = if sibling == NONE { after } else { sibling };
                    fill(nodes, child, next);
                    if sibling == NONE {
                        break;
                    }
                    child = sibling;
                }
            }
            nodes[node as usize].next = after;
        }
        if !self.nodes.is_empty() {
            fill(&mut self.nodes, 0, NONE);
        }
    }
}

/// [`QuadTree::build`] then [`QuadTree::link`].
pub fn quadtree(positions: &[[f32; 2]]) -> QuadTree {
    let mut tree = QuadTree::build(positions);
    tree.link();
    tree
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_point_sits_in_one_leaf_and_masses_add_up() {
        let positions: Vec<[f32; 2]> = (0..200)
            .map(|i| {
                let t = i as f32 * 0.37;
                [t.cos() * (1.0 + i as f32 * 0.01), t.sin() * 2.0]
            })
            .collect();
        let tree = quadtree(&positions);
        let mut rows: Vec<u32> = tree.points.iter().map(|p| p.row).collect();
        rows.sort_unstable();
        assert_eq!(rows, (0..200).collect::<Vec<u32>>());
        assert_eq!(tree.nodes[0].mass, 200.0);
        // A walk that never summarises visits every leaf once.
        let (mut node, mut seen) = (0u32, 0u32);
        while node != NONE {
            let n = tree.nodes[node as usize];
            if n.count > 0 {
                seen += n.count;
                node = n.next;
            } else {
                node = n.first;
            }
        }
        assert_eq!(seen, 200);
    }

    #[test]
    fn coinciding_points_stop_at_the_depth_limit() {
        let positions = vec![[1.0f32, 1.0]; 50];
        let tree = quadtree(&positions);
        assert_eq!(tree.points.len(), 50);
        assert!(tree.nodes.len() <= MAX_DEPTH + 2);
    }
}
