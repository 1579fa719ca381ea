//! The nearest-neighbour chain algorithm (Murtagh; scipy's `nn_chain`) for reducible
//! linkages. Two forms: on vectors for Ward (distances computed on the fly, O(n·d)
//! memory), and on a condensed distance matrix for complete and average linkage.
//!
//! Both follow scipy's bookkeeping exactly: a merged cluster lives in the larger of its
//! two slots, scans go in slot order with strict `<`, and the chain's previous element
//! wins ties. With that, tied data merges in the same order as scipy does.

use rayon::prelude::*;

use super::Linkage;
use crate::cluster::{ClusterError, RunContext};
use crate::matrix::Matrix;
use crate::spatial::metric::Metric;

/// A merge of two slots, before the final sort and relabelling.
pub type SlotMerge = (u32, u32, f64);

/// Slots scanned per parallel task.
const SCAN_CHUNK: usize = 4096;

/// Ward distances this close (relative) count as tied. Computed on vectors they round
/// differently from scipy's Lance–Williams update, so a tie scipy sees exactly shows up
/// here as a difference in the last bits; treating those as ties lets scipy's tie rule
/// decide, and tied data merges as it does in scipy.
const WARD_TIE: f64 = 1e-10;

/// `a` beats `b` by more than a rounding difference.
#[inline(always)]
fn clearly_less(a: f64, b: f64) -> bool {
    a < b && (b.is_infinite() || b - a > WARD_TIE * b)
}

/// Ward linkage on vectors: the distance of clusters A and B is
/// `sqrt(2·|A|·|B| / (|A|+|B|)) · ‖c_A − c_B‖`, which is what the Lance–Williams update
/// gives from Euclidean point distances.
pub fn ward_on_vectors(
    points: &Matrix,
    context: &RunContext,
) -> Result<Vec<SlotMerge>, ClusterError> {
    let n = points.n_rows;
    let mut centroids = WardCentroids::new(points);
    let mut merges = Vec::with_capacity(n.saturating_sub(1));
    let mut chain: Vec<u32> = Vec::with_capacity(n);
    for step in 0..n.saturating_sub(1) {
        if step % 256 == 0 {
            context.check_cancelled()?;
            report_merges(context, step, n);
        }
        if chain.is_empty() {
            chain.push(centroids.first_live());
        }
        let (x, y, distance_sq) = loop {
            let x = *chain.last().expect("chain is not empty");
            let previous = chain.len().checked_sub(2).map(|i| chain[i]);
            let initial = previous.map(|y| (centroids.distance_sq(x, y), y));
            let (best_sq, best) = centroids.nearest(x, initial);
            if Some(best) == previous {
                break (x, best, best_sq);
            }
            chain.push(best);
        };
        chain.truncate(chain.len() - 2);
        let (x, y) = (x.min(y), x.max(y));
        centroids.merge(x, y);
        merges.push((x, y, distance_sq.sqrt()));
    }
    Ok(merges)
}

/// Cluster centroids in struct-of-arrays layout (one array per dimension) so the scan over
/// slots vectorises; compacted when half the slots are dead.
struct WardCentroids {
    d: usize,
    /// `coords[dim * len + pos]`.
    coords: Vec<f64>,
    sizes: Vec<f64>,
    /// Original slot of each position, ascending.
    slot: Vec<u32>,
    /// Position of each original slot (stale for dead slots).
    position: Vec<u32>,
    live: usize,
}

impl WardCentroids {
    fn new(points: &Matrix) -> Self {
        let n = points.n_rows;
        let d = points.n_cols;
        let mut coords = vec![0f64; n * d];
        for row in 0..n {
            for (dim, &value) in points.row(row).iter().enumerate() {
                coords[dim * n + row] = value as f64;
            }
        }
        Self {
            d,
            coords,
            sizes: vec![1.0; n],
            slot: (0..n as u32).collect(),
            position: (0..n as u32).collect(),
            live: n,
        }
    }

    fn len(&self) -> usize {
        self.slot.len()
    }

    fn first_live(&self) -> u32 {
        let pos = self.sizes.iter().position(|&s| s > 0.0).unwrap_or(0);
        self.slot[pos]
    }

    fn centroid(&self, pos: usize) -> Vec<f64> {
        (0..self.d)
            .map(|dim| self.coords[dim * self.len() + pos])
            .collect()
    }

    fn distance_sq(&self, a: u32, b: u32) -> f64 {
        let (pa, pb) = (
            self.position[a as usize] as usize,
            self.position[b as usize] as usize,
        );
        let len = self.len();
        let mut sum = 0.0;
        for dim in 0..self.d {
            let diff = self.coords[dim * len + pb] - self.coords[dim * len + pa];
            sum += diff * diff;
        }
        let (na, nb) = (self.sizes[pa], self.sizes[pb]);
        2.0 * na * nb / (na + nb) * sum
    }

    /// Nearest live slot to `x` by Ward distance, scanning in slot order with strict `<`
    /// from `initial` (the chain's previous element).
    fn nearest(&self, x: u32, initial: Option<(f64, u32)>) -> (f64, u32) {
        let px = self.position[x as usize] as usize;
        let cx = self.centroid(px);
        let nx = self.sizes[px];
        let len = self.len();
        let scan = |start: usize, end: usize| -> (f64, u32) {
            let slots = SlotScan {
                coords: &self.coords,
                len,
                centroid: &cx,
                sizes: &self.sizes,
                slots: &self.slot,
                nx,
                px,
            };
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU was just checked to support AVX2.
                return unsafe { slots.nearest_avx2(start, end) };
            }
            slots.nearest(start, end)
        };
        let chunks: Vec<(f64, u32)> = if len >= 2 * SCAN_CHUNK {
            (0..len.div_ceil(SCAN_CHUNK))
                .into_par_iter()
                .map(|c| scan(c * SCAN_CHUNK, ((c + 1) * SCAN_CHUNK).min(len)))
                .collect()
        } else {
            vec![scan(0, len)]
        };
        let mut best = initial.unwrap_or((f64::INFINITY, u32::MAX));
        for candidate in chunks {
            if clearly_less(candidate.0, best.0) {
                best = candidate;
            }
        }
        best
    }

    /// Merges slot `x` into slot `y` (x < y), as scipy does.
    fn merge(&mut self, x: u32, y: u32) {
        let len = self.len();
        let (px, py) = (
            self.position[x as usize] as usize,
            self.position[y as usize] as usize,
        );
        let (nx, ny) = (self.sizes[px], self.sizes[py]);
        for dim in 0..self.d {
            let a = self.coords[dim * len + px];
            let b = self.coords[dim * len + py];
            self.coords[dim * len + py] = (nx * a + ny * b) / (nx + ny);
        }
        self.sizes[py] = nx + ny;
        self.sizes[px] = 0.0;
        self.live -= 1;
        if self.live * 2 < len && len > 64 {
            self.compact();
        }
    }

    fn compact(&mut self) {
        let len = self.len();
        let keep: Vec<usize> = (0..len).filter(|&pos| self.sizes[pos] > 0.0).collect();
        let new_len = keep.len();
        let mut coords = vec![0f64; new_len * self.d];
        for dim in 0..self.d {
            for (new_pos, &pos) in keep.iter().enumerate() {
                coords[dim * new_len + new_pos] = self.coords[dim * len + pos];
            }
        }
        self.coords = coords;
        self.sizes = keep.iter().map(|&pos| self.sizes[pos]).collect();
        self.slot = keep.iter().map(|&pos| self.slot[pos]).collect();
        for (new_pos, &slot) in self.slot.iter().enumerate() {
            self.position[slot as usize] = new_pos as u32;
        }
    }
}

/// Merges done so far, as progress (the status bar shows it for long trees).
fn report_merges(context: &RunContext, step: usize, n: usize) {
    context.report(crate::cluster::Progress {
        phase: "merging (nearest-neighbour chain)",
        iteration: step,
        max_iterations: n.saturating_sub(1),
        shift: 0.0,
    });
}

/// One scan for the nearest slot, in a form the compiler vectorises.
struct SlotScan<'a> {
    coords: &'a [f64],
    len: usize,
    centroid: &'a [f64],
    sizes: &'a [f64],
    slots: &'a [u32],
    nx: f64,
    px: usize,
}

impl SlotScan<'_> {
    /// Three passes: squared distances dimension by dimension, the Ward weighting (dead
    /// slots and x itself become ∞), then the argmin in slot order.
    #[inline(always)]
    fn nearest(&self, start: usize, end: usize) -> (f64, u32) {
        let len = self.len;
        let nx = self.nx;
        let mut values = vec![0f64; end - start];
        for (dim, &c) in self.centroid.iter().enumerate() {
            let column = &self.coords[dim * len + start..dim * len + end];
            for (sum, &value) in values.iter_mut().zip(column) {
                let diff = value - c;
                *sum += diff * diff;
            }
        }
        for (value, &ni) in values.iter_mut().zip(&self.sizes[start..end]) {
            let weighted = 2.0 * nx * ni / (nx + ni) * *value;
            *value = if ni > 0.0 { weighted } else { f64::INFINITY };
        }
        if (start..end).contains(&self.px) {
            values[self.px - start] = f64::INFINITY;
        }
        // Lane-wise argmin (four independent minima, lowest position on exact ties),
        // which vectorises where a running minimum would not.
        const LANES: usize = 4;
        let mut lane_value = [f64::INFINITY; LANES];
        let mut lane_position = [usize::MAX; LANES];
        let chunks = values.chunks_exact(LANES);
        let tail_start = values.len() - chunks.remainder().len();
        for (chunk_index, chunk) in chunks.enumerate() {
            for lane in 0..LANES {
                let take = chunk[lane] < lane_value[lane];
                lane_value[lane] = if take { chunk[lane] } else { lane_value[lane] };
                lane_position[lane] = if take {
                    chunk_index * LANES + lane
                } else {
                    lane_position[lane]
                };
            }
        }
        let mut best = (f64::INFINITY, usize::MAX);
        for lane in 0..LANES {
            if (lane_value[lane], lane_position[lane]) < best {
                best = (lane_value[lane], lane_position[lane]);
            }
        }
        for (offset, &value) in values[tail_start..].iter().enumerate() {
            if value < best.0 {
                best = (value, tail_start + offset);
            }
        }
        match best.1 {
            usize::MAX => (f64::INFINITY, u32::MAX),
            position => (best.0, self.slots[start + position]),
        }
    }

    /// The same code compiled for AVX2 (4 doubles per instruction). No FMA: results are
    /// bit-identical to [`Self::nearest`].
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn nearest_avx2(&self, start: usize, end: usize) -> (f64, u32) {
        self.nearest(start, end)
    }
}

/// Bytes the condensed distance matrix of `n` points takes (f64 entries, as scipy's).
pub fn condensed_matrix_bytes(n: usize) -> u64 {
    let n = n as u128;
    let bytes = n * n.saturating_sub(1) / 2 * 8;
    bytes.min(u64::MAX as u128) as u64
}

/// Up to this many points Ward runs on the condensed matrix with scipy's exact arithmetic
/// (so ties resolve as in scipy); above, on vectors with no matrix.
pub const WARD_MATRIX_MAX_POINTS: usize = 4096;

#[inline(always)]
fn condensed_index(n: usize, i: usize, j: usize) -> usize {
    let (i, j) = if i < j { (i, j) } else { (j, i) };
    n * i - i * (i + 1) / 2 + (j - i - 1)
}

/// Complete, average or (small) Ward linkage on the condensed Euclidean distance matrix,
/// with scipy's Lance–Williams updates operation for operation.
pub fn on_condensed_matrix(
    points: &Matrix,
    linkage: Linkage,
    metric: Metric,
    context: &RunContext,
) -> Result<Vec<SlotMerge>, ClusterError> {
    let n = points.n_rows;
    let mut distances = condensed_distances(points, metric);
    context.check_cancelled()?;
    let mut size = vec![1f64; n];
    let mut merges = Vec::with_capacity(n.saturating_sub(1));
    let mut chain: Vec<usize> = Vec::with_capacity(n);
    for step in 0..n.saturating_sub(1) {
        if step % 256 == 0 {
            context.check_cancelled()?;
            report_merges(context, step, n);
        }
        if chain.is_empty() {
            chain.push(size.iter().position(|&s| s > 0.0).unwrap_or(0));
        }
        let (x, y, current) = loop {
            let x = *chain.last().expect("chain is not empty");
            let previous = chain.len().checked_sub(2).map(|i| chain[i]);
            let (mut current, mut y) = match previous {
                Some(p) => (distances[condensed_index(n, x, p)], p),
                None => (f64::INFINITY, usize::MAX),
            };
            for (i, &s) in size.iter().enumerate() {
                if s == 0.0 || i == x {
                    continue;
                }
                let distance = distances[condensed_index(n, x, i)];
                if distance < current {
                    current = distance;
                    y = i;
                }
            }
            if previous == Some(y) {
                break (x, y, current);
            }
            chain.push(y);
        };
        chain.truncate(chain.len() - 2);
        let (x, y) = (x.min(y), x.max(y));
        let (nx, ny) = (size[x], size[y]);
        merges.push((x as u32, y as u32, current));
        size[x] = 0.0;
        size[y] = nx + ny;
        for i in 0..n {
            if size[i] == 0.0 || i == y {
                continue;
            }
            let d_xi = distances[condensed_index(n, i, x)];
            let d_yi = distances[condensed_index(n, i, y)];
            let ni = size[i];
            let updated = match linkage {
                Linkage::Complete => d_xi.max(d_yi),
                Linkage::Average => (nx * d_xi + ny * d_yi) / (nx + ny),
                Linkage::Single => d_xi.min(d_yi),
                Linkage::Ward => {
                    let t = 1.0 / (nx + ny + ni);
                    ((ni + nx) * t * d_xi * d_xi + (ni + ny) * t * d_yi * d_yi
                        - ni * t * current * current)
                        .sqrt()
                }
            };
            distances[condensed_index(n, i, y)] = updated;
        }
    }
    Ok(merges)
}

/// `metric`'s distances of all pairs in f64, row by row.
fn condensed_distances(points: &Matrix, metric: Metric) -> Vec<f64> {
    let n = points.n_rows;
    let mut distances = vec![0f64; n * n.saturating_sub(1) / 2];
    let mut rows: Vec<&mut [f64]> = Vec::with_capacity(n);
    let mut rest = distances.as_mut_slice();
    for i in 0..n {
        let (row, tail) = rest.split_at_mut(n - i - 1);
        rows.push(row);
        rest = tail;
    }
    rows.into_par_iter().enumerate().for_each(|(i, row)| {
        let a = points.row(i);
        for (offset, out) in row.iter_mut().enumerate() {
            *out = metric.distance(a, points.row(i + 1 + offset));
        }
    });
    distances
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic;

    #[test]
    fn ward_on_vectors_equals_ward_on_the_matrix() {
        let points = synthetic::gaussian_blobs(300, 4, 5, 1.0, 8).points;
        let context = RunContext::default();
        let mut on_vectors = ward_on_vectors(&points, &context).unwrap();
        let mut on_matrix =
            on_condensed_matrix(&points, Linkage::Ward, Metric::Euclidean, &context).unwrap();
        on_vectors.sort_by(|a, b| a.2.total_cmp(&b.2));
        on_matrix.sort_by(|a, b| a.2.total_cmp(&b.2));
        for (a, b) in on_vectors.iter().zip(&on_matrix) {
            assert_eq!((a.0, a.1), (b.0, b.1));
            assert!((a.2 - b.2).abs() <= 1e-9 * b.2, "{} vs {}", a.2, b.2);
        }
    }

    #[test]
    fn compaction_keeps_the_chain_order() {
        // Enough points to compact several times and to scan in parallel chunks.
        let points = synthetic::uniform(9000, 2, 4);
        let merges = ward_on_vectors(&points, &RunContext::default()).unwrap();
        assert_eq!(merges.len(), 8999);
        let total: f64 = merges.iter().map(|m| m.2).sum();
        assert!(total.is_finite() && total > 0.0);
    }
}
