//! CLIQUE's bottom-up search for dense units and their clusters, subspace by subspace.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use crate::cluster::{ClusterError, NOISE, RunContext};
use crate::matrix::Matrix;

/// A subspace's axes, its dense units and their row counts.
type DenseUnits = (Vec<usize>, Vec<Vec<u16>>, Vec<usize>);

/// Candidate units counted per level at most; past it the search stops with a warning.
const MAX_CANDIDATES: usize = 1 << 21;

/// Dense units and clusters of one subspace.
#[derive(Clone, Debug)]
pub struct Subspace {
    /// The axes, ascending.
    pub dims: Vec<usize>,
    /// The dense units (an interval per axis), in lexicographic order.
    pub units: Vec<Vec<u16>>,
    /// Rows in each unit.
    pub counts: Vec<usize>,
    /// The cluster of each unit (within this subspace).
    pub unit_cluster: Vec<u32>,
    /// Rows in each cluster.
    pub cluster_rows: Vec<usize>,
}

impl Subspace {
    pub fn n_clusters(&self) -> usize {
        self.cluster_rows.len()
    }

    /// Rows covered by the dense units.
    pub fn coverage(&self) -> usize {
        self.counts.iter().sum()
    }
}

/// Every subspace with dense units, the interval grid and how the search went.
#[derive(Clone, Debug)]
pub struct SubspaceClusters {
    pub intervals: usize,
    /// Per axis: the lower end of the first interval and the interval width.
    pub lo: Vec<f64>,
    pub width: Vec<f64>,
    /// A unit is dense above this many rows.
    pub threshold_rows: f64,
    /// Subspaces by dimension, then axes.
    pub subspaces: Vec<Subspace>,
    /// The highest dimension searched.
    pub levels: usize,
    pub warnings: Vec<String>,
    /// The data's dimension.
    pub dims: usize,
    /// Each row's interval per axis (n × dims).
    cells: Vec<u16>,
}

/// Bits per axis of a packed unit key.
fn key_bits(intervals: usize) -> u32 {
    (usize::BITS - (intervals.max(2) - 1).leading_zeros()).max(1)
}

impl SubspaceClusters {
    /// The row's key in subspace `dims`.
    fn key(&self, row: usize, dims: &[usize]) -> u128 {
        let bits = key_bits(self.intervals);
        let cells = &self.cells[row * self.dims..(row + 1) * self.dims];
        dims.iter()
            .fold(0u128, |k, &j| (k << bits) | cells[j] as u128)
    }

    /// The interval of `x` along `axis`.
    pub fn interval(&self, axis: usize, x: f32) -> usize {
        interval_of(x as f64, self.lo[axis], self.width[axis], self.intervals)
    }

    /// Each row labelled by its highest-dimensional subspace cluster (ties: the larger
    /// cluster); rows in no dense unit are noise. Labels are numbered by first use.
    pub fn highest_labels(&self, n: usize) -> (Vec<u32>, usize) {
        let maps = self.unit_maps();
        let offsets = self.offsets();
        let mut by_level: Vec<Vec<usize>> = Vec::new();
        for (s, subspace) in self.subspaces.iter().enumerate() {
            let level = subspace.dims.len();
            if by_level.len() < level {
                by_level.resize(level, Vec::new());
            }
            by_level[level - 1].push(s);
        }
        let global: Vec<u32> = (0..n)
            .into_par_iter()
            .map(|row| {
                for level in by_level.iter().rev() {
                    let mut best: Option<(usize, u32)> = None;
                    for &s in level {
                        let subspace = &self.subspaces[s];
                        if let Some(&unit) = maps[s].get(&self.key(row, &subspace.dims)) {
                            let cluster = subspace.unit_cluster[unit];
                            let rows = subspace.cluster_rows[cluster as usize];
                            if best.is_none_or(|(r, _)| rows > r) {
                                best = Some((rows, offsets[s] + cluster));
                            }
                        }
                    }
                    if let Some((_, id)) = best {
                        return id;
                    }
                }
                NOISE
            })
            .collect();
        compact(global)
    }

    /// Only the full-space clusters label rows; the rest are noise.
    pub fn full_space_labels(&self, n: usize) -> (Vec<u32>, usize) {
        let Some(s) = self
            .subspaces
            .iter()
            .position(|s| s.dims.len() == self.dims)
        else {
            return (vec![NOISE; n], 0);
        };
        let subspace = &self.subspaces[s];
        let map = &self.unit_maps()[s];
        let labels = (0..n)
            .into_par_iter()
            .map(|row| {
                map.get(&self.key(row, &subspace.dims))
                    .map_or(NOISE, |&u| subspace.unit_cluster[u])
            })
            .collect();
        (labels, subspace.n_clusters())
    }

    /// The subspace of `dims`, if it has dense units.
    pub fn subspace(&self, dims: &[usize]) -> Option<&Subspace> {
        self.subspaces.iter().find(|s| s.dims == dims)
    }

    fn unit_maps(&self) -> Vec<HashMap<u128, usize>> {
        let bits = key_bits(self.intervals);
        self.subspaces
            .iter()
            .map(|s| {
                s.units
                    .iter()
                    .enumerate()
                    .map(|(i, u)| (pack(u, bits), i))
                    .collect()
            })
            .collect()
    }

    fn offsets(&self) -> Vec<u32> {
        let mut next = 0u32;
        self.subspaces
            .iter()
            .map(|s| {
                let at = next;
                next += s.n_clusters() as u32;
                at
            })
            .collect()
    }
}

fn pack(unit: &[u16], bits: u32) -> u128 {
    unit.iter().fold(0u128, |k, &i| (k << bits) | i as u128)
}

/// Labels renumbered 0.. in order of first appearance.
fn compact(global: Vec<u32>) -> (Vec<u32>, usize) {
    let mut map: HashMap<u32, u32> = HashMap::new();
    let labels = global
        .into_iter()
        .map(|g| {
            if g == NOISE {
                return NOISE;
            }
            let next = map.len() as u32;
            *map.entry(g).or_insert(next)
        })
        .collect();
    (labels, map.len())
}

/// The interval of `x`: ⌈(x − lo) / width⌉ − 1 clamped to the intervals, so a value on a
/// boundary belongs to the lower interval and the minimum to the first.
pub fn interval_of(x: f64, lo: f64, width: f64, intervals: usize) -> usize {
    if width <= 0.0 {
        return 0;
    }
    let t = ((x - lo) / width).ceil() - 1.0;
    if t > 0.0 {
        (t as usize).min(intervals - 1)
    } else {
        0
    }
}

/// The bottom-up search over all subspaces of `points`.
pub fn find_subspaces(
    points: &Matrix,
    intervals: usize,
    density_threshold: f64,
    context: &RunContext,
) -> Result<SubspaceClusters, ClusterError> {
    let (n, d) = (points.n_rows, points.n_cols);
    let mut lo = vec![f64::INFINITY; d];
    let mut hi = vec![f64::NEG_INFINITY; d];
    for row in points.values.chunks_exact(d.max(1)) {
        for j in 0..d {
            lo[j] = lo[j].min(row[j] as f64);
            hi[j] = hi[j].max(row[j] as f64);
        }
    }
    let width: Vec<f64> = (0..d)
        .map(|j| ((hi[j] - lo[j]) / intervals as f64).max(0.0))
        .collect();
    let cells: Vec<u16> = points
        .values
        .par_chunks_exact(d.max(1))
        .flat_map_iter(|row| {
            (0..d).map(|j| interval_of(row[j] as f64, lo[j], width[j], intervals) as u16)
        })
        .collect();
    let threshold_rows = density_threshold * n as f64;
    let bits = key_bits(intervals);
    let max_level = (128 / bits as usize).min(d);
    let mut found = SubspaceClusters {
        intervals,
        lo,
        width,
        threshold_rows,
        subspaces: Vec::new(),
        levels: 0,
        warnings: Vec::new(),
        dims: d,
        cells,
    };
    // Level 1: every axis's intervals.
    let mut level: Vec<(Vec<usize>, Vec<Vec<u16>>)> = (0..d)
        .map(|j| {
            let candidates = (0..intervals as u16).map(|i| vec![i]).collect();
            (vec![j], candidates)
        })
        .collect();
    let mut k = 1;
    while !level.is_empty() {
        context.check_cancelled()?;
        let dense = count_and_keep(&found, &level, bits, threshold_rows);
        if dense.is_empty() {
            break;
        }
        found.levels = k;
        let next = if k < max_level {
            candidates(&dense, &mut found.warnings)
        } else {
            if k < d {
                found.warnings.push(format!(
                    "subspaces of more than {k} axes were not searched ({intervals} intervals pack {max_level} axes into a unit key)"
                ));
            }
            Vec::new()
        };
        for (dims, units, counts) in dense {
            found.subspaces.push(connect(dims, units, counts, bits));
        }
        level = next;
        k += 1;
    }
    Ok(found)
}

/// Counts every candidate unit in one pass over the rows per subspace and keeps the dense
/// ones (in lexicographic order).
fn count_and_keep(
    found: &SubspaceClusters,
    level: &[(Vec<usize>, Vec<Vec<u16>>)],
    bits: u32,
    threshold_rows: f64,
) -> Vec<DenseUnits> {
    let n = found.cells.len() / found.dims.max(1);
    level
        .par_iter()
        .filter_map(|(dims, units)| {
            let index: HashMap<u128, usize> = units
                .iter()
                .enumerate()
                .map(|(i, u)| (pack(u, bits), i))
                .collect();
            let counts = (0..n)
                .into_par_iter()
                .fold(
                    || vec![0usize; units.len()],
                    |mut counts, row| {
                        if let Some(&u) = index.get(&found.key(row, dims)) {
                            counts[u] += 1;
                        }
                        counts
                    },
                )
                .reduce(
                    || vec![0usize; units.len()],
                    |mut a, b| {
                        a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                        a
                    },
                );
            let mut kept: Vec<(Vec<u16>, usize)> = units
                .iter()
                .cloned()
                .zip(counts)
                .filter(|&(_, c)| c as f64 > threshold_rows)
                .collect();
            if kept.is_empty() {
                return None;
            }
            kept.sort();
            let (units, counts) = kept.into_iter().unzip();
            Some((dims.clone(), units, counts))
        })
        .collect()
}

/// The next level's candidates: joins of dense units of two subspaces that share all but
/// their last axis, kept when every face one axis smaller is dense.
fn candidates(
    dense: &[DenseUnits],
    warnings: &mut Vec<String>,
) -> Vec<(Vec<usize>, Vec<Vec<u16>>)> {
    let lookup: HashMap<&[usize], HashSet<&[u16]>> = dense
        .iter()
        .map(|(dims, units, _)| {
            (
                dims.as_slice(),
                units.iter().map(|u| u.as_slice()).collect(),
            )
        })
        .collect();
    let mut out = Vec::new();
    let mut total = 0usize;
    for (a, (dims_a, units_a, _)) in dense.iter().enumerate() {
        for (dims_b, units_b, _) in &dense[a + 1..] {
            let k = dims_a.len();
            if dims_a[..k - 1] != dims_b[..k - 1] || dims_a[k - 1] >= dims_b[k - 1] {
                continue;
            }
            let mut dims = dims_a.clone();
            dims.push(dims_b[k - 1]);
            let mut joined = Vec::new();
            for ua in units_a {
                for ub in units_b {
                    if ua[..k - 1] != ub[..k - 1] {
                        continue;
                    }
                    let mut unit = ua.clone();
                    unit.push(ub[k - 1]);
                    if faces_dense(&dims, &unit, &lookup) {
                        joined.push(unit);
                    }
                }
            }
            if !joined.is_empty() {
                total += joined.len();
                out.push((dims, joined));
            }
        }
    }
    if total > MAX_CANDIDATES {
        warnings.push(format!(
            "{total} candidate units of {} axes: the search stopped below them; raise the density threshold",
            out.first().map_or(0, |(d, _)| d.len())
        ));
        return Vec::new();
    }
    out
}

/// Whether every face of `unit` one axis smaller is a dense unit.
fn faces_dense(dims: &[usize], unit: &[u16], lookup: &HashMap<&[usize], HashSet<&[u16]>>) -> bool {
    (0..dims.len()).all(|drop| {
        let face_dims: Vec<usize> = dims
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != drop)
            .map(|(_, &j)| j)
            .collect();
        let face: Vec<u16> = unit
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != drop)
            .map(|(_, &v)| v)
            .collect();
        lookup
            .get(face_dims.as_slice())
            .is_some_and(|units| units.contains(face.as_slice()))
    })
}

/// Clusters of a subspace: dense units that share a face, numbered by first unit.
fn connect(dims: Vec<usize>, units: Vec<Vec<u16>>, counts: Vec<usize>, bits: u32) -> Subspace {
    let index: HashMap<u128, usize> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (pack(u, bits), i))
        .collect();
    let mut parent: Vec<usize> = (0..units.len()).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for (i, unit) in units.iter().enumerate() {
        for axis in 0..unit.len() {
            // The lower neighbour along each axis: each face is seen once.
            if unit[axis] == 0 {
                continue;
            }
            let mut neighbour = unit.clone();
            neighbour[axis] -= 1;
            if let Some(&j) = index.get(&pack(&neighbour, bits)) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
    }
    let mut unit_cluster = vec![0u32; units.len()];
    let mut cluster_rows: Vec<usize> = Vec::new();
    let mut id_of_root: HashMap<usize, u32> = HashMap::new();
    for i in 0..units.len() {
        let r = root(&mut parent, i);
        let next = id_of_root.len() as u32;
        let id = *id_of_root.entry(r).or_insert(next);
        if id as usize == cluster_rows.len() {
            cluster_rows.push(0);
        }
        unit_cluster[i] = id;
        cluster_rows[id as usize] += counts[i];
    }
    Subspace {
        dims,
        units,
        counts,
        unit_cluster,
        cluster_rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_fall_in_the_lower_interval() {
        assert_eq!(interval_of(0.0, 0.0, 0.1, 10), 0);
        assert_eq!(interval_of(0.1, 0.0, 0.1, 10), 0);
        assert_eq!(interval_of(0.15, 0.0, 0.1, 10), 1);
        assert_eq!(interval_of(1.0, 0.0, 0.1, 10), 9);
        assert_eq!(interval_of(5.0, 5.0, 0.0, 10), 0);
    }

    #[test]
    fn two_squares_in_two_dimensions_are_two_full_space_clusters() {
        // 50 rows near (0.05, 0.05), 50 near (0.95, 0.95), 10 intervals, dense > 10 rows.
        let mut rows = Vec::new();
        for i in 0..50 {
            let jitter = i as f32 * 0.0005;
            rows.push(vec![0.02 + jitter, 0.03 + jitter]);
            rows.push(vec![0.96 + jitter * 0.1, 0.97 + jitter * 0.1]);
        }
        rows.push(vec![0.0, 0.0]);
        rows.push(vec![1.0, 1.0]);
        let points = Matrix::from_rows(&rows);
        let found = find_subspaces(&points, 10, 0.1, &RunContext::default()).unwrap();
        let full = found.subspace(&[0, 1]).unwrap();
        assert_eq!(full.n_clusters(), 2);
        assert_eq!(full.units, vec![vec![0, 0], vec![9, 9]]);
        let (labels, n) = found.full_space_labels(points.n_rows);
        assert_eq!(n, 2);
        assert_eq!(labels[0], 0);
        assert_eq!(labels[1], 1);
    }
}
