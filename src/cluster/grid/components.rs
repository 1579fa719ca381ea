//! Connected groups of marked cells: what turns dense (STING, WaveCluster) or dense-unit
//! (CLIQUE) cells into clusters.

use super::super::NOISE;

/// Which cells touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adjacency {
    /// Cells sharing a face (CLIQUE's rule: units differing by one in one dimension).
    Face,
    /// Cells sharing a face, an edge or a corner (3^d − 1 neighbours).
    Full,
}

/// The component of each marked cell, numbered by first cell in flat order (axis 0
/// fastest); unmarked cells get [`NOISE`]. Returns the labels and the component count.
pub fn label_components(
    cells: &[usize],
    marked: &[bool],
    adjacency: Adjacency,
) -> (Vec<u32>, usize) {
    let axes = cells.len();
    let total: usize = cells.iter().product();
    debug_assert_eq!(marked.len(), total);
    // The half of the neighbourhood that comes earlier in flat order: unions with those
    // alone connect every pair once.
    let mut offsets: Vec<[i64; 3]> = Vec::new();
    let span = |a: usize| if a < axes { -1i64..=1 } else { 0..=0 };
    for dz in span(2) {
        for dy in span(1) {
            for dx in span(0) {
                let offset = [dx, dy, dz];
                let nonzero = offset.iter().filter(|&&v| v != 0).count();
                let earlier = (dz, dy, dx) < (0, 0, 0);
                let allowed = match adjacency {
                    Adjacency::Face => nonzero == 1,
                    Adjacency::Full => nonzero >= 1,
                };
                if allowed && earlier {
                    offsets.push(offset);
                }
            }
        }
    }
    let mut parent: Vec<u32> = (0..total as u32).collect();
    fn root(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let grand = parent[parent[x as usize] as usize];
            parent[x as usize] = grand;
            x = grand;
        }
        x
    }
    let size = [
        cells[0],
        *cells.get(1).unwrap_or(&1),
        *cells.get(2).unwrap_or(&1),
    ];
    for z in 0..size[2] {
        for y in 0..size[1] {
            for x in 0..size[0] {
                let here = x + size[0] * (y + size[1] * z);
                if !marked[here] {
                    continue;
                }
                for offset in &offsets {
                    let (nx, ny, nz) = (
                        x as i64 + offset[0],
                        y as i64 + offset[1],
                        z as i64 + offset[2],
                    );
                    if nx < 0
                        || ny < 0
                        || nz < 0
                        || nx >= size[0] as i64
                        || ny >= size[1] as i64
                        || nz >= size[2] as i64
                    {
                        continue;
                    }
                    let there = nx as usize + size[0] * (ny as usize + size[1] * nz as usize);
                    if marked[there] {
                        let (a, b) = (
                            root(&mut parent, here as u32),
                            root(&mut parent, there as u32),
                        );
                        if a != b {
                            // The earlier cell stays the root, so numbering follows first cells.
                            parent[a.max(b) as usize] = a.min(b);
                        }
                    }
                }
            }
        }
    }
    let mut labels = vec![NOISE; total];
    let mut count = 0usize;
    for cell in 0..total {
        if !marked[cell] {
            continue;
        }
        let r = root(&mut parent, cell as u32) as usize;
        if r == cell {
            labels[cell] = count as u32;
            count += 1;
        } else {
            labels[cell] = labels[r];
        }
    }
    (labels, count)
}

/// Border cells: an occupied cell left out (label [`NOISE`]) that touches kept cells
/// (sharing a face, edge or corner) joins the cluster of its fullest kept neighbour, as
/// DBSCAN's border points join a neighbouring core; one ring of cells, so sparse noise
/// away from the clusters stays noise. `count` is the rows per cell.
pub fn attach_border_cells(cells: &[usize], labels: &[u32], count: &[u32]) -> Vec<u32> {
    let axes = cells.len();
    let size = [
        cells[0],
        *cells.get(1).unwrap_or(&1),
        *cells.get(2).unwrap_or(&1),
    ];
    let reach = |a: usize| if a < axes { -1i64..=1 } else { 0..=0 };
    let mut out = labels.to_vec();
    for z in 0..size[2] {
        for y in 0..size[1] {
            for x in 0..size[0] {
                let here = x + size[0] * (y + size[1] * z);
                if labels[here] != NOISE || count[here] == 0 {
                    continue;
                }
                let mut best: Option<(u32, u32)> = None;
                for dz in reach(2) {
                    for dy in reach(1) {
                        for dx in reach(0) {
                            let (nx, ny, nz) = (x as i64 + dx, y as i64 + dy, z as i64 + dz);
                            if nx < 0
                                || ny < 0
                                || nz < 0
                                || nx >= size[0] as i64
                                || ny >= size[1] as i64
                                || nz >= size[2] as i64
                            {
                                continue;
                            }
                            let there =
                                nx as usize + size[0] * (ny as usize + size[1] * nz as usize);
                            let label = labels[there];
                            if label != NOISE && best.is_none_or(|(c, _)| count[there] > c) {
                                best = Some((count[there], label));
                            }
                        }
                    }
                }
                if let Some((_, label)) = best {
                    out[here] = label;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagonal_cells_join_only_under_full_adjacency() {
        // 1 0 0
        // 0 1 0
        // 0 0 1, and a lone cell apart from nothing else.
        let marked = [true, false, false, false, true, false, false, false, true];
        let (face, n_face) = label_components(&[3, 3], &marked, Adjacency::Face);
        assert_eq!(n_face, 3);
        assert_eq!(face[0], 0);
        assert_eq!(face[8], 2);
        let (full, n_full) = label_components(&[3, 3], &marked, Adjacency::Full);
        assert_eq!(n_full, 1);
        assert_eq!(full[8], 0);
        assert_eq!(full[1], NOISE);
    }

    #[test]
    fn a_u_shape_is_one_component_in_three_dimensions() {
        let cells = [3, 2, 2];
        let mut marked = vec![false; 12];
        for at in [
            [0, 0, 0],
            [0, 0, 1],
            [1, 0, 1],
            [2, 0, 1],
            [2, 0, 0],
            [2, 1, 0],
        ] {
            marked[at[0] + 3 * (at[1] + 2 * at[2])] = true;
        }
        let (_, n) = label_components(&cells, &marked, Adjacency::Face);
        assert_eq!(n, 1);
    }
}
