//! DBSCAN for a single eps on rows of at most three columns, through a grid of cells of
//! side just under eps/√d: any two rows in one cell are within eps, so a cell holding
//! `min_points` rows makes them all core and the core rows of a cell form one cluster
//! without a distance; the rest are f32 distances (the same [`squared_distance`] as the
//! tree path) to rows in the cells at most eps away. The labels equal the hierarchy
//! cut's ([`super::dbscan::cut`]): core clusters numbered by their lowest core row, a
//! border row joining the lowest-numbered cluster among its core rows within eps. It
//! builds no spanning tree, so it serves one eps (the command line); the window keeps
//! the tree, which every eps is a cut of.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::cluster::{ClusterError, NOISE, RunContext};
use crate::matrix::Matrix;
use crate::spatial::squared_distance;

/// Bits per axis of a cell key.
const KEY_BITS: u32 = 21;
/// Shrinks the cell side below eps/√d by far more than f32 rounding can move a distance
/// (a correctly rounded difference, square and sum each err by 2⁻²⁴ relative), so rows
/// sharing a cell are within eps in f32 too.
const MARGIN: f64 = 1e-5;

/// Labels (`NOISE` for noise), the cluster count and core flags.
pub type GridLabels = (Vec<u32>, usize, Vec<bool>);

/// DBSCAN through the grid: [`GridLabels`]; None when the grid
/// would need more than 2²¹ cells along an axis (eps tiny against the data's range).
pub fn grid_dbscan(
    points: &Matrix,
    eps: f64,
    min_points: usize,
    context: &RunContext,
) -> Result<Option<GridLabels>, ClusterError> {
    let (n, d) = (points.n_rows, points.n_cols);
    if n == 0 || d == 0 || d > 3 {
        return Ok(None);
    }
    let side = eps / (d as f64).sqrt() * (1.0 - MARGIN);
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for row in points.values.chunks_exact(d) {
        for j in 0..d {
            lo[j] = lo[j].min(row[j] as f64);
            hi[j] = hi[j].max(row[j] as f64);
        }
    }
    let limit = ((1u64 << KEY_BITS) - 3) as f64;
    if (0..d).any(|j| {
        let cells = (hi[j] - lo[j]) / side;
        cells.is_nan() || cells >= limit
    }) {
        return Ok(None);
    }
    let cell_at = |row: &[f32]| -> [i64; 3] {
        let mut at = [0i64; 3];
        for j in 0..d {
            at[j] = ((row[j] as f64 - lo[j]) / side).floor() as i64;
        }
        at
    };
    let key = |at: [i64; 3]| -> u64 {
        at.iter().fold(0u64, |k, &v| {
            (k << KEY_BITS) | (v as u64 & ((1 << KEY_BITS) - 1))
        })
    };
    // Rows sorted by cell; each cell a range of `order`.
    let keys: Vec<u64> = points
        .values
        .par_chunks_exact(d)
        .map(|row| key(cell_at(row)))
        .collect();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.par_sort_unstable_by_key(|&i| (keys[i as usize], i));
    let mut starts: Vec<usize> = Vec::new();
    let mut cell_keys: Vec<u64> = Vec::new();
    for (pos, &i) in order.iter().enumerate() {
        let k = keys[i as usize];
        if cell_keys.last() != Some(&k) {
            cell_keys.push(k);
            starts.push(pos);
        }
    }
    starts.push(n);
    let n_cells = cell_keys.len();
    let cell_index: HashMap<u64, u32> = cell_keys
        .iter()
        .enumerate()
        .map(|(c, &k)| (k, c as u32))
        .collect();
    let cell_of_row: Vec<u32> = keys.par_iter().map(|k| cell_index[k]).collect();
    // The cell offsets that can hold a row within eps: the gap between the cells is
    // at most eps.
    let reach = (d as f64).sqrt().ceil() as i64 + 1;
    let mut offsets: Vec<[i64; 3]> = Vec::new();
    let span = |j: usize| if j < d { -reach..=reach } else { 0..=0 };
    for dz in span(2) {
        for dy in span(1) {
            for dx in span(0) {
                let o = [dx, dy, dz];
                let gap: f64 = o
                    .iter()
                    .map(|&v| ((v.abs() - 1).max(0) as f64 * side).powi(2))
                    .sum();
                if gap <= eps * eps * (1.0 + 1e-6) {
                    offsets.push(o);
                }
            }
        }
    }
    let gap_of = |o: &[i64; 3]| o.iter().map(|&v| (v.abs() - 1).max(0).pow(2)).sum::<i64>();
    offsets.sort_by_key(|o| (gap_of(o), o.iter().map(|v| v.abs()).sum::<i64>()));
    let cell_coordinates: Vec<[i64; 3]> = (0..n_cells)
        .map(|c| cell_at(points.row(order[starts[c]] as usize)))
        .collect();
    // Offsets with no gap (touching cells) come first in each list; `touching[c]` counts them.
    let touching_offsets = offsets.iter().filter(|o| gap_of(o) == 0).count();
    let neighbours: Vec<Vec<u32>> = cell_coordinates
        .par_iter()
        .map(|&at| {
            offsets
                .iter()
                .enumerate()
                .filter_map(|(index, o)| {
                    let there = [at[0] + o[0], at[1] + o[1], at[2] + o[2]];
                    if there.iter().any(|&v| v < 0) {
                        return None;
                    }
                    // Marks the touching ones by the top bit, cleared below.
                    let touching = if index < touching_offsets {
                        1u32 << 31
                    } else {
                        0
                    };
                    cell_index.get(&key(there)).map(|&c| c | touching)
                })
                .collect()
        })
        .collect();
    let touching: Vec<usize> = neighbours
        .iter()
        .map(|list| list.iter().filter(|&&c| c >> 31 == 1).count())
        .collect();
    let neighbours: Vec<Vec<u32>> = neighbours
        .into_iter()
        .map(|list| list.into_iter().map(|c| c & !(1u32 << 31)).collect())
        .collect();
    context.check_cancelled()?;
    let eps_sq = (eps * eps) as f32;
    let rows_of = |c: u32| &order[starts[c as usize]..starts[c as usize + 1]];
    // Core rows: min_points rows within eps, the row itself counted.
    let is_core: Vec<bool> = (0..n)
        .into_par_iter()
        .with_min_len(256)
        .map(|i| {
            let cell = cell_of_row[i];
            if rows_of(cell).len() >= min_points {
                return true;
            }
            let x = points.row(i);
            let mut within = 0usize;
            for &c in &neighbours[cell as usize] {
                for &j in rows_of(c) {
                    if squared_distance(x, points.row(j as usize)) <= eps_sq {
                        within += 1;
                        if within >= min_points {
                            return true;
                        }
                    }
                }
            }
            false
        })
        .collect();
    context.check_cancelled()?;
    // Cells with core rows joined when a core pair across them is within eps.
    let core_rows: Vec<Vec<u32>> = (0..n_cells)
        .into_par_iter()
        .map(|c| {
            rows_of(c as u32)
                .iter()
                .copied()
                .filter(|&j| is_core[j as usize])
                .collect()
        })
        .collect();
    let mut parent: Vec<u32> = (0..n_cells as u32).collect();
    fn root(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let grand = parent[parent[x as usize] as usize];
            parent[x as usize] = grand;
            x = grand;
        }
        x
    }
    // Touching cells in a first sweep, the farther ones in a second, and no distance for a
    // pair of cells already joined: in dense regions the first sweep joins almost all, and
    // the far pairs (mostly beyond eps, so scanned in full) are skipped.
    for sweep in 0..2 {
        for c in 0..n_cells as u32 {
            let mine = &core_rows[c as usize];
            if mine.is_empty() {
                continue;
            }
            let list = &neighbours[c as usize];
            let part = if sweep == 0 {
                &list[..touching[c as usize]]
            } else {
                &list[touching[c as usize]..]
            };
            for &other in part {
                let theirs = &core_rows[other as usize];
                if other <= c || theirs.is_empty() {
                    continue;
                }
                let (ra, rb) = (root(&mut parent, c), root(&mut parent, other));
                if ra == rb {
                    continue;
                }
                let touch = mine.iter().any(|&a| {
                    let x = points.row(a as usize);
                    theirs
                        .iter()
                        .any(|&b| squared_distance(x, points.row(b as usize)) <= eps_sq)
                });
                if touch {
                    parent[ra.max(rb) as usize] = ra.min(rb);
                }
            }
        }
    }
    // Clusters numbered by their lowest core row, as the hierarchy cut numbers them.
    let mut number = vec![NOISE; n_cells];
    let mut next = 0u32;
    let mut core_labels = vec![NOISE; n];
    for i in 0..n {
        if !is_core[i] {
            continue;
        }
        let r = root(&mut parent, cell_of_row[i]) as usize;
        if number[r] == NOISE {
            number[r] = next;
            next += 1;
        }
        core_labels[i] = number[r];
    }
    let labels: Vec<u32> = (0..n)
        .into_par_iter()
        .with_min_len(256)
        .map(|i| {
            if is_core[i] {
                return core_labels[i];
            }
            let x = points.row(i);
            let mut best = NOISE;
            for &c in &neighbours[cell_of_row[i] as usize] {
                for &j in &core_rows[c as usize] {
                    let label = core_labels[j as usize];
                    if label < best && squared_distance(x, points.row(j as usize)) <= eps_sq {
                        best = label;
                    }
                }
            }
            best
        })
        .collect();
    Ok(Some((labels, next as usize, is_core)))
}
