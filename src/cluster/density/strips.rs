//! The planar spanning tree's candidate edges from several triangulations at once, one
//! per CPU thread: the rows are cut into vertical strips by x and each strip is
//! triangulated on its own thread.
//!
//! Why that loses no tree edge:
//! - A tree edge inside a strip is an edge of the strip's triangulation: an edge of the
//!   whole triangulation keeps its empty circle when the other strips' rows are removed.
//! - A tree edge between strips joins two *seam* rows. A row gains a neighbour from
//!   another strip only as a corner of a triangle that neighbour destroys when it is
//!   inserted (Bowyer–Watson): a triangle of its own strip whose circumcircle holds a row
//!   beyond the strip's edge, or an edge of its strip's hull. The seam rows are the
//!   corners of every triangle whose circle crosses a strip edge, and every hull point.
//! - The seam rows of all strips are triangulated together. A tree edge's diametral disk
//!   holds no other row (else both ends would be closer to that row than to each other),
//!   so it is an edge of the triangulation of any set of rows that holds both its ends.
//!
//! Each triangulation also drops the longest side of every triangle: it is the heaviest
//! edge of a cycle (in the tree's total order), which no minimum spanning tree uses. That
//! leaves about half the triangulation's edges for the sort and Kruskal.

use rayon::prelude::*;

use super::mst::MstEdge;
use crate::cluster::{ClusterError, RunContext};
use crate::matrix::Matrix;
use crate::spatial::delaunay::{NONE, circumcircle, next_halfedge, triangulate_unless};
use crate::spatial::squared_distance;

/// Below this many rows per strip one triangulation is faster than the seams cost.
pub const MIN_ROWS_PER_STRIP: usize = 25_000;

/// Edges that hold every minimum spanning tree of the rows of a 2-column matrix, with
/// their squared lengths, from `strips` triangulations in parallel (fewer when x takes
/// too few values); None when a triangulation could not place a row.
pub fn spanning_candidates(
    points: &Matrix,
    strips: usize,
    context: &RunContext,
) -> Result<Option<Vec<MstEdge>>, ClusterError> {
    let x = |row: u32| points.row(row as usize)[0];
    let bounds = strip_bounds(points, strips);
    let strip_of = |row: u32| bounds.partition_point(|&t| t <= x(row));
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); bounds.len() + 1];
    for row in 0..points.n_rows as u32 {
        members[strip_of(row)].push(row);
    }
    let last = members.len() - 1;
    let parts: Vec<Result<Option<Triangulated>, ClusterError>> = members
        .par_iter()
        .enumerate()
        .map(|(strip, rows)| {
            // Rows of the strips on either side lie at x < left and x ≥ right.
            let left = if strip == 0 {
                f64::NEG_INFINITY
            } else {
                bounds[strip - 1] as f64
            };
            let right = if strip == last {
                f64::INFINITY
            } else {
                bounds[strip] as f64
            };
            triangulate_rows(points, rows, Some((left, right)), context)
        })
        .collect();
    let mut edges = Vec::new();
    let mut seam = Vec::new();
    for part in parts {
        let Some(part) = part? else {
            return Ok(None);
        };
        edges.extend(part.edges);
        seam.extend(part.seam);
    }
    if last > 0 {
        let Some(across) = triangulate_rows(points, &seam, None, context)? else {
            return Ok(None);
        };
        edges.extend(
            across
                .edges
                .into_iter()
                .filter(|e| strip_of(e.a) != strip_of(e.b)),
        );
    }
    Ok(Some(edges))
}

/// Up to `strips − 1` increasing x values that cut the rows into parts of about equal
/// size (quantiles of a sample); repeated values collapse, so there may be fewer.
fn strip_bounds(points: &Matrix, strips: usize) -> Vec<f32> {
    if strips < 2 || points.n_rows == 0 {
        return Vec::new();
    }
    let step = (points.n_rows / 4096).max(1);
    let mut sample: Vec<f32> = (0..points.n_rows)
        .step_by(step)
        .map(|row| points.row(row)[0])
        .collect();
    sample.sort_unstable_by(f32::total_cmp);
    let mut bounds: Vec<f32> = (1..strips)
        .map(|s| sample[s * sample.len() / strips])
        .filter(|&t| t > sample[0])
        .collect();
    bounds.dedup_by(|a, b| a == b);
    bounds
}

/// One triangulation's candidate edges, and its seam rows when it is a strip.
struct Triangulated {
    edges: Vec<MstEdge>,
    seam: Vec<u32>,
}

/// Triangulates the given rows. With `strip = Some((left, right))`, also finds the seam
/// rows: corners of triangles whose circumcircle reaches x < left or x ≥ right, and hull
/// points.
fn triangulate_rows(
    points: &Matrix,
    rows: &[u32],
    strip: Option<(f64, f64)>,
    context: &RunContext,
) -> Result<Option<Triangulated>, ClusterError> {
    // `+ 0.0` turns -0 into 0, so rows equal as numbers are equal positions.
    let local: Vec<[f64; 2]> = rows
        .iter()
        .map(|&row| {
            let x = points.row(row as usize);
            [x[0] as f64 + 0.0, x[1] as f64 + 0.0]
        })
        .collect();
    let stop = || context.check_cancelled().is_err();
    let Some(delaunay) = triangulate_unless(&local, &stop) else {
        return Err(ClusterError::Cancelled);
    };
    drop(local);
    if !delaunay.skipped.is_empty() {
        return Ok(None);
    }
    let row_of = |v: u32| rows[delaunay.input[v as usize] as usize];
    // Weighed from the vertices (in sweep order, so near in memory): they hold the rows'
    // f32 values exactly, and squared_distance sees the same bits as on the rows.
    let length = |a: u32, b: u32| {
        let [pa, pb] = [a, b].map(|v| delaunay.vertices[v as usize].map(|c| c as f32));
        squared_distance(&pa, &pb)
    };
    let weigh = |a: u32, b: u32| MstEdge::new(row_of(a), row_of(b), length(a, b));
    // Equal positions join at distance 0 to the first row with that position.
    let mut edges: Vec<MstEdge> = Vec::with_capacity(delaunay.triangles.len() / 2);
    edges.extend(
        delaunay
            .duplicates
            .iter()
            .map(|&(repeat, first)| MstEdge::new(rows[first as usize], rows[repeat as usize], 0.0)),
    );
    let (triangles, halfedges) = (&delaunay.triangles, &delaunay.halfedges);
    if triangles.is_empty() {
        // Collinear: every point is on the hull.
        edges.extend(delaunay.edges().map(|(a, b)| weigh(a, b)));
        let seam = match strip {
            Some(_) => delaunay.line.iter().map(|&v| row_of(v)).collect(),
            None => Vec::new(),
        };
        return Ok(Some(Triangulated { edges, seam }));
    }
    let side = |h: usize| weigh(triangles[h], triangles[next_halfedge(h)]);
    // The heaviest side by length; only equal lengths need the rows for the tie-break.
    let longest: Vec<u8> = triangles
        .chunks_exact(3)
        .enumerate()
        .map(|(t, corners)| {
            let bits = [0, 1, 2].map(|k| length(corners[k], corners[(k + 1) % 3]).to_bits());
            let top = bits[0].max(bits[1]).max(bits[2]);
            let first = bits.iter().position(|&b| b == top).expect("a maximum") as u8;
            if bits.iter().filter(|&&b| b == top).count() == 1 {
                return first;
            }
            let keys = [0, 1, 2].map(|k| side(3 * t + k).key());
            (0..3u8)
                .max_by_key(|&k| keys[k as usize])
                .expect("three sides")
        })
        .collect();
    let is_longest = |h: usize| longest[h / 3] as usize == h % 3;
    for (h, &twin) in halfedges.iter().enumerate() {
        let kept = if twin == NONE {
            !is_longest(h)
        } else {
            (h as u32) < twin && !is_longest(h) && !is_longest(twin as usize)
        };
        if kept {
            edges.push(side(h));
        }
    }
    let seam = match strip {
        Some((left, right)) => {
            let mut on_seam = vec![false; delaunay.vertices.len()];
            for (t, corners) in triangles.chunks_exact(3).enumerate() {
                let [a, b, c] = [0, 1, 2].map(|k| delaunay.vertices[corners[k] as usize]);
                let (centre, radius_sq) = circumcircle(a, b, c);
                let radius = radius_sq.sqrt();
                // Generous for the rounding of the centre and radius: a row too many on
                // the seam costs nothing but time.
                let slack = 1e-9 * (centre[0].abs() + radius) + f64::MIN_POSITIVE;
                let crosses =
                    !(centre[0] - radius - slack > left && centre[0] + radius + slack < right);
                let on_hull = (0..3).any(|k| halfedges[3 * t + k] == NONE);
                if crosses || on_hull {
                    for &corner in corners {
                        on_seam[corner as usize] = true;
                    }
                }
            }
            (0..on_seam.len() as u32)
                .filter(|&v| on_seam[v as usize])
                .map(row_of)
                .collect()
        }
        None => Vec::new(),
    };
    Ok(Some(Triangulated { edges, seam }))
}
