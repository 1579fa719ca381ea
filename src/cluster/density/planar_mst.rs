//! The Euclidean minimum spanning tree of 2-D points from their Delaunay triangulation:
//! the tree is a subgraph of the triangulation (every tree edge has an empty lune, so an
//! empty circle), whose ≤ 3n edges Kruskal's algorithm then sorts and joins. That is a few
//! times faster than Borůvka over the k-d tree in the plane, where most tables analysts
//! cluster by Genie or single linkage live.
//!
//! Edges are weighed by [`squared_distance`] on the f32 rows and ordered by the same
//! total order as Borůvka's ([`MstEdge`]), so both give the same tree except where two
//! distances that differ in exact arithmetic round to the same f32 (then either tree is
//! a minimum one under the rounded weights). The triangulations are our radial sweep
//! ([`crate::spatial::delaunay`]), one per vertical strip of rows and thread
//! ([`super::strips`]).

use super::mst::{Components, MstEdge, sort_edges};
use super::strips::{MIN_ROWS_PER_STRIP, spanning_candidates};
use crate::cluster::{ClusterError, RunContext};
use crate::matrix::Matrix;

/// The spanning tree of the rows of a 2-column matrix (Euclidean distance), sorted by
/// (weight, a, b). None when a triangulation could not place every row (a rounding case
/// exact arithmetic rules out); the caller then builds the tree another way.
pub fn planar_mst(
    points: &Matrix,
    context: &RunContext,
) -> Result<Option<Vec<MstEdge>>, ClusterError> {
    let strips = rayon::current_num_threads().min(points.n_rows / MIN_ROWS_PER_STRIP);
    tree_from_strips(points, strips, context)
}

/// [`planar_mst`] from `strips` triangulations.
fn tree_from_strips(
    points: &Matrix,
    strips: usize,
    context: &RunContext,
) -> Result<Option<Vec<MstEdge>>, ClusterError> {
    debug_assert_eq!(points.n_cols, 2);
    let n = points.n_rows;
    let Some(mut candidates) = spanning_candidates(points, strips, context)? else {
        return Ok(None);
    };
    context.check_cancelled()?;
    sort_edges(&mut candidates);
    context.check_cancelled()?;
    let mut components = Components::new(n);
    let mut edges = Vec::with_capacity(n.saturating_sub(1));
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
    Ok(Some(edges))
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
        let planar = sorted(
            planar_mst(&points, &RunContext::default())
                .unwrap()
                .unwrap(),
        );
        assert_eq!(planar.len(), points.n_rows - 1);
        assert_eq!(planar, boruvka(&points));
    }

    #[test]
    fn strips_give_the_same_tree() {
        // Three blobs, uniform noise, repeated rows, a vertical run at one x (it lands in
        // one strip whole) and a horizontal run across every strip.
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(19);
        let mut values: Vec<f32> = Vec::new();
        for centre in [10.0f32, 50.0, 80.0] {
            for _ in 0..2500 {
                let (u, v): (f32, f32) = (rng.r#gen(), rng.r#gen());
                values.extend_from_slice(&[centre + 8.0 * (u - 0.5) * u, centre + 5.0 * v * v]);
            }
        }
        for _ in 0..1000 {
            values.extend_from_slice(&[rng.r#gen::<f32>() * 100.0, rng.r#gen::<f32>() * 100.0]);
        }
        values.extend_from_within(0..200);
        for i in 0..200 {
            values.extend_from_slice(&[50.0, i as f32 * 0.25]);
            values.extend_from_slice(&[i as f32 * 0.5, -3.0]);
        }
        let points = Matrix::new(values.len() / 2, 2, values);
        let expected = boruvka(&points);
        for strips in [2, 3, 5, 8] {
            let planar = tree_from_strips(&points, strips, &RunContext::default())
                .unwrap()
                .unwrap();
            assert_eq!(planar, expected, "{strips} strips");
        }
        // A strip that is one vertical line (collinear: all of it is seam).
        let mut values: Vec<f32> = (0..600).flat_map(|i| [0.0, i as f32 * 0.1]).collect();
        for _ in 0..600 {
            values
                .extend_from_slice(&[10.0 + rng.r#gen::<f32>() * 10.0, rng.r#gen::<f32>() * 60.0]);
        }
        let points = Matrix::new(values.len() / 2, 2, values);
        let tree = tree_from_strips(&points, 2, &RunContext::default())
            .unwrap()
            .unwrap();
        assert_eq!(tree, boruvka(&points));
        // A table with one x value cannot be cut: one strip does it all.
        let column = Matrix::new(3, 2, vec![1.0, 0.0, 1.0, 2.0, 1.0, 1.0]);
        let tree = tree_from_strips(&column, 4, &RunContext::default())
            .unwrap()
            .unwrap();
        assert_eq!(tree, boruvka(&column));
    }

    #[test]
    fn a_cancelled_run_stops_in_the_triangulation() {
        let points = crate::synthetic::uniform(3000, 2, 5);
        let token = crate::cluster::CancelToken::new();
        token.cancel();
        let context = RunContext::new(token);
        for strips in [1, 2] {
            let result = tree_from_strips(&points, strips, &context);
            assert!(
                matches!(result, Err(ClusterError::Cancelled)),
                "{strips} strips"
            );
        }
    }

    #[test]
    fn collinear_and_tiny_inputs() {
        for values in [
            vec![0.0, 0.0, 1.0, 1.0],
            vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            vec![0.0, 0.0, 1.0, 0.0, 3.0, 0.0, 6.0, 0.0],
        ] {
            let points = Matrix::new(values.len() / 2, 2, values);
            let planar = sorted(
                planar_mst(&points, &RunContext::default())
                    .unwrap()
                    .unwrap(),
            );
            assert_eq!(planar, boruvka(&points));
        }
    }
}
