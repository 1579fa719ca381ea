//! The Euclidean minimum spanning tree of 2-D points from their Delaunay triangulation:
//! the tree is a subgraph of the triangulation (every tree edge has an empty lune, so an
//! empty circle), whose ≤ 3n edges Kruskal's algorithm then sorts and joins. That is a few
//! times faster than Borůvka over the k-d tree in the plane, where most tables analysts
//! cluster by Genie or single linkage live.
//!
//! Edges are weighed by [`squared_distance`] on the f32 rows and ordered by the same
//! total order as Borůvka's ([`MstEdge`]), so both give the same tree except where two
//! distances that differ in exact arithmetic round to the same f32 (then either tree is
//! a minimum one under the rounded weights).

use rayon::prelude::*;
use spade::{DelaunayTriangulation, HasPosition, Point2, Triangulation};

use super::mst::{Components, MstEdge, sort_edges};
use crate::cluster::{ClusterError, RunContext};
use crate::matrix::Matrix;
use crate::spatial::squared_distance;

/// A distinct position and the first row that has it.
struct Site {
    position: Point2<f64>,
    row: u32,
}

impl HasPosition for Site {
    type Scalar = f64;

    fn position(&self) -> Point2<f64> {
        self.position
    }
}

/// The spanning tree of the rows of a 2-column matrix (Euclidean distance), unsorted.
pub fn planar_mst(points: &Matrix, context: &RunContext) -> Result<Vec<MstEdge>, ClusterError> {
    debug_assert_eq!(points.n_cols, 2);
    let n = points.n_rows;
    let row = |i: u32| points.row(i as usize);
    // Equal positions join at distance 0 to the first row with that position; only
    // distinct positions go into the triangulation (it keeps one of each).
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.par_sort_unstable_by(|&a, &b| {
        let (pa, pb) = (row(a), row(b));
        pa[0]
            .total_cmp(&pb[0])
            .then(pa[1].total_cmp(&pb[1]))
            .then(a.cmp(&b))
    });
    let mut edges = Vec::with_capacity(n.saturating_sub(1));
    let mut sites = Vec::with_capacity(n);
    for (pos, &i) in order.iter().enumerate() {
        if pos > 0 && row(order[pos - 1]) == row(i) {
            let first = sites.last().map_or(i, |site: &Site| site.row);
            edges.push(MstEdge::new(first, i, 0.0));
            continue;
        }
        let x = row(i);
        sites.push(Site {
            position: Point2::new(x[0] as f64, x[1] as f64),
            row: i,
        });
    }
    context.check_cancelled()?;
    let mut candidates: Vec<MstEdge> = if sites.len() == 2 {
        vec![MstEdge::new(
            sites[0].row,
            sites[1].row,
            squared_distance(row(sites[0].row), row(sites[1].row)),
        )]
    } else {
        let triangulation = DelaunayTriangulation::<Site>::bulk_load(sites)
            .map_err(|e| ClusterError::Internal(format!("Delaunay triangulation: {e:?}")))?;
        context.check_cancelled()?;
        triangulation
            .undirected_edges()
            .map(|edge| {
                let [a, b] = edge.vertices().map(|v| v.data().row);
                MstEdge::new(a, b, squared_distance(row(a), row(b)))
            })
            .collect()
    };
    sort_edges(&mut candidates);
    let mut components = Components::new(n);
    for edge in &edges {
        components.union(edge.a, edge.b);
    }
    for edge in candidates {
        if components.count == 1 {
            break;
        }
        if components.union(edge.a, edge.b) {
            edges.push(edge);
        }
    }
    if components.count > 1 {
        return Err(ClusterError::Internal(format!(
            "the Delaunay triangulation left {} parts unjoined",
            components.count
        )));
    }
    Ok(edges)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::density::mst::{boruvka_cpu, core_distances_cpu};
    use crate::spatial::KdTree;
    use rand::{Rng, SeedableRng};

    fn sorted(mut edges: Vec<MstEdge>) -> Vec<MstEdge> {
        sort_edges(&mut edges);
        edges
    }

    fn boruvka(points: &Matrix) -> Vec<MstEdge> {
        let context = RunContext::default();
        let tree = KdTree::build(points);
        let core = core_distances_cpu(&tree, 0, &context).unwrap();
        sorted(boruvka_cpu(&tree, &core, &context).unwrap())
    }

    #[test]
    fn equals_boruvka_on_random_points_with_duplicates_and_a_grid() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        let mut values: Vec<f32> = (0..2 * 3000).map(|_| rng.r#gen::<f32>() * 100.0).collect();
        // Repeated rows (one three times) and a collinear run.
        values.extend_from_slice(&[5.0, 5.0, 5.0, 5.0, 5.0, 5.0]);
        values.extend_from_within(0..4);
        for i in 0..50 {
            values.extend_from_slice(&[200.0 + i as f32, 7.0]);
        }
        let points = Matrix::new(values.len() / 2, 2, values);
        let planar = sorted(planar_mst(&points, &RunContext::default()).unwrap());
        assert_eq!(planar.len(), points.n_rows - 1);
        assert_eq!(planar, boruvka(&points));
    }

    #[test]
    fn collinear_and_tiny_inputs() {
        for values in [
            vec![0.0, 0.0, 1.0, 1.0],
            vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            vec![0.0, 0.0, 1.0, 0.0, 3.0, 0.0, 6.0, 0.0],
        ] {
            let points = Matrix::new(values.len() / 2, 2, values);
            let planar = sorted(planar_mst(&points, &RunContext::default()).unwrap());
            assert_eq!(planar, boruvka(&points));
        }
    }
}
