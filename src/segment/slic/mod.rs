//! SLIC superpixels (Achanta et al. 2012) in the pixel-centric form that suits a GPU
//! (gSLICr): each pixel picks the nearest of the 3 × 3 grid cells' centres around its own
//! cell; each centre moves to the mean of its pixels. The CPU steps here are the GPU
//! passes' twins: same candidate order, same f32 sums in the same order, so labels are
//! identical. Connectivity is enforced afterwards on the CPU (small fragments merged into
//! a neighbour), as in the original.

mod gpu;

use rayon::prelude::*;

use crate::cluster::{ClusterError, Progress, RunContext};
use crate::matrix::Matrix;

pub use gpu::GpuSlicSteps;

/// Threads that share one centre's sums (GPU workgroup size; the CPU keeps as many
/// partial sums so the additions happen in the same order).
pub const SUM_LANES: usize = 64;

/// Largest feature count the GPU passes hold per thread.
pub const MAX_FEATURES: usize = 8;

/// The regular grid of initial centres: `nx × ny` cells of about `S × S` pixels, S =
/// sqrt(pixels / k). Cell membership uses integer arithmetic so both sides agree exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlicGrid {
    pub width: u32,
    pub height: u32,
    pub nx: u32,
    pub ny: u32,
}

impl SlicGrid {
    /// The grid for about `k` superpixels.
    pub fn new(width: u32, height: u32, k: usize) -> Self {
        let pixels = width as f64 * height as f64;
        let step = (pixels / k.max(1) as f64).sqrt().max(1.0);
        let cells = |side: u32| ((side as f64 / step).round() as u32).clamp(1, side.max(1));
        Self {
            width,
            height,
            nx: cells(width),
            ny: cells(height),
        }
    }

    pub fn n_clusters(&self) -> usize {
        self.nx as usize * self.ny as usize
    }

    /// Grid spacing S in pixels (geometric mean of the two cell sides).
    pub fn step(&self) -> f64 {
        ((self.width as f64 / self.nx as f64) * (self.height as f64 / self.ny as f64)).sqrt()
    }

    fn cell(coordinate: u32, cells: u32, side: u32) -> u32 {
        (coordinate as u64 * cells as u64 / side as u64) as u32
    }

    /// First pixel whose cell is at least `cell` (`ceil(cell × side / cells)`).
    fn first_pixel(cell: u32, cells: u32, side: u32) -> u32 {
        (cell as u64 * side as u64).div_ceil(cells as u64) as u32
    }

    /// Pixel range `[start, end)` whose cells are within one of `cell`.
    fn window(cell: u32, cells: u32, side: u32) -> (u32, u32) {
        let start = if cell == 0 {
            0
        } else {
            Self::first_pixel(cell - 1, cells, side)
        };
        let end = if cell + 2 >= cells {
            side
        } else {
            Self::first_pixel(cell + 2, cells, side)
        };
        (start, end)
    }

    /// Pixels `(x0, x1, y0, y1)` (half-open) that may be assigned to `cluster`.
    pub fn cluster_window(&self, cluster: usize) -> (u32, u32, u32, u32) {
        let (cx, cy) = (cluster as u32 % self.nx, cluster as u32 / self.nx);
        let (x0, x1) = Self::window(cx, self.nx, self.width);
        let (y0, y1) = Self::window(cy, self.ny, self.height);
        (x0, x1, y0, y1)
    }

    /// Initial centres: the features of each cell's middle pixel.
    pub fn initial_centres(&self, features: &Matrix) -> Vec<f32> {
        let d = features.n_cols;
        let mut centres = Vec::with_capacity(self.n_clusters() * d);
        for cy in 0..self.ny as u64 {
            for cx in 0..self.nx as u64 {
                let x = (2 * cx + 1) * self.width as u64 / (2 * self.nx as u64);
                let y = (2 * cy + 1) * self.height as u64 / (2 * self.ny as u64);
                centres.extend_from_slice(features.row((y * self.width as u64 + x) as usize));
            }
        }
        centres
    }
}

/// Nearest of the 3 × 3 candidate centres for every pixel (ties: the first candidate in
/// row-major cell order), into `labels`.
pub fn assign_cpu(features: &Matrix, grid: &SlicGrid, centres: &[f32], labels: &mut [u32]) {
    let d = features.n_cols;
    let width = grid.width as usize;
    labels
        .par_chunks_mut(width)
        .enumerate()
        .for_each(|(y, row)| {
            let cy = SlicGrid::cell(y as u32, grid.ny, grid.height) as i64;
            for (x, label) in row.iter_mut().enumerate() {
                let cx = SlicGrid::cell(x as u32, grid.nx, grid.width) as i64;
                let pixel = features.row(y * width + x);
                let mut best = u32::MAX;
                let mut best_distance = 0f32;
                for gy in (cy - 1).max(0)..=(cy + 1).min(grid.ny as i64 - 1) {
                    for gx in (cx - 1).max(0)..=(cx + 1).min(grid.nx as i64 - 1) {
                        let c = (gy * grid.nx as i64 + gx) as usize;
                        let centre = &centres[c * d..(c + 1) * d];
                        let mut acc = 0f32;
                        for j in 0..d {
                            let diff = pixel[j] - centre[j];
                            acc += diff * diff;
                        }
                        if best == u32::MAX || acc < best_distance {
                            best = c as u32;
                            best_distance = acc;
                        }
                    }
                }
                *label = best;
            }
        });
}

/// Per-centre feature sums (`n_clusters × d`) and pixel counts of the current labels, each
/// summed as the GPU does: lane `t` adds rows `y0 + t, y0 + t + 64, …` left to right, then
/// the 64 lane totals are added in lane order.
pub fn sums_cpu(features: &Matrix, grid: &SlicGrid, labels: &[u32]) -> (Vec<f32>, Vec<u32>) {
    let d = features.n_cols;
    let width = grid.width as usize;
    let per_cluster: Vec<(Vec<f32>, u32)> = (0..grid.n_clusters())
        .into_par_iter()
        .map(|c| {
            let (x0, x1, y0, y1) = grid.cluster_window(c);
            let mut total = vec![0f32; d];
            let mut count = 0u32;
            for lane in 0..SUM_LANES as u32 {
                let mut acc = [0f32; MAX_FEATURES];
                let mut lane_count = 0u32;
                let mut y = y0 + lane;
                while y < y1 {
                    for x in x0..x1 {
                        let p = y as usize * width + x as usize;
                        if labels[p] == c as u32 {
                            lane_count += 1;
                            for (j, &v) in features.row(p).iter().enumerate() {
                                acc[j] += v;
                            }
                        }
                    }
                    y += SUM_LANES as u32;
                }
                count += lane_count;
                for j in 0..d {
                    total[j] += acc[j];
                }
            }
            (total, count)
        })
        .collect();
    let mut sums = Vec::with_capacity(grid.n_clusters() * d);
    let mut counts = Vec::with_capacity(grid.n_clusters());
    for (total, count) in per_cluster {
        sums.extend(total);
        counts.push(count);
    }
    (sums, counts)
}

/// Moves each centre with pixels to their mean; returns the total squared movement.
pub fn move_centres(centres: &mut [f32], sums: &[f32], counts: &[u32], d: usize) -> f64 {
    let mut shift = 0f64;
    for (c, &count) in counts.iter().enumerate() {
        if count == 0 {
            continue;
        }
        for j in 0..d {
            let moved = sums[c * d + j] / count as f32;
            shift += ((moved - centres[c * d + j]) as f64).powi(2);
            centres[c * d + j] = moved;
        }
    }
    shift
}

/// What a backend provides for SLIC's loop.
pub trait SlicSteps {
    fn assign(&mut self, centres: &[f32]) -> Result<(), ClusterError>;
    fn sums(&mut self) -> Result<(Vec<f32>, Vec<u32>), ClusterError>;
    fn labels(&mut self) -> Result<Vec<u32>, ClusterError>;
}

/// The CPU backend.
pub struct CpuSlic<'a> {
    features: &'a Matrix,
    grid: SlicGrid,
    labels: Vec<u32>,
}

impl<'a> CpuSlic<'a> {
    pub fn new(features: &'a Matrix, grid: SlicGrid) -> Self {
        Self {
            features,
            grid,
            labels: vec![0; features.n_rows],
        }
    }
}

impl SlicSteps for CpuSlic<'_> {
    fn assign(&mut self, centres: &[f32]) -> Result<(), ClusterError> {
        assign_cpu(self.features, &self.grid, centres, &mut self.labels);
        Ok(())
    }

    fn sums(&mut self) -> Result<(Vec<f32>, Vec<u32>), ClusterError> {
        Ok(sums_cpu(self.features, &self.grid, &self.labels))
    }

    fn labels(&mut self) -> Result<Vec<u32>, ClusterError> {
        Ok(self.labels.clone())
    }
}

/// Raw SLIC labels (one per grid cell, before connectivity) and how the loop ended.
pub struct SlicOutcome {
    pub labels: Vec<u32>,
    pub centres: Vec<f32>,
    pub iterations: usize,
    pub converged: bool,
}

/// Assign/update until the squared centre movement falls to `tolerance × mean feature
/// variance` or `max_iterations`, then a final assignment to the last centres.
pub fn run_slic(
    steps: &mut dyn SlicSteps,
    features: &Matrix,
    grid: &SlicGrid,
    max_iterations: usize,
    tolerance: f64,
    context: &RunContext,
) -> Result<SlicOutcome, ClusterError> {
    let d = features.n_cols;
    let threshold = tolerance * features.mean_feature_variance();
    let mut centres = grid.initial_centres(features);
    let mut iterations = 0;
    let mut converged = false;
    for iteration in 1..=max_iterations {
        context.check_cancelled()?;
        steps.assign(&centres)?;
        let (sums, counts) = steps.sums()?;
        let shift = move_centres(&mut centres, &sums, &counts, d);
        iterations = iteration;
        context.report(Progress {
            phase: "SLIC iterations",
            iteration,
            max_iterations,
            shift,
        });
        if shift <= threshold {
            converged = true;
            break;
        }
    }
    steps.assign(&centres)?;
    Ok(SlicOutcome {
        labels: steps.labels()?,
        centres,
        iterations,
        converged,
    })
}

/// Relabels 4-connected regions; a region of at most `min_size` pixels joins its largest
/// neighbouring region (ties: the one met first in raster order). Returns labels
/// `0..count` numbered in raster order of first appearance.
pub fn enforce_connectivity(
    labels: &[u32],
    width: usize,
    height: usize,
    min_size: usize,
) -> (Vec<u32>, usize) {
    const UNSET: u32 = u32::MAX;
    let mut component = vec![UNSET; labels.len()];
    let mut sizes: Vec<usize> = Vec::new();
    let mut stack = Vec::new();
    for start in 0..labels.len() {
        if component[start] != UNSET {
            continue;
        }
        let id = sizes.len() as u32;
        let original = labels[start];
        component[start] = id;
        stack.push(start);
        let mut size = 0;
        while let Some(p) = stack.pop() {
            size += 1;
            let (x, y) = (p % width, p / width);
            let neighbours = [
                (x > 0).then(|| p - 1),
                (y > 0).then(|| p - width),
                (x + 1 < width).then(|| p + 1),
                (y + 1 < height).then(|| p + width),
            ];
            for q in neighbours.into_iter().flatten() {
                if component[q] == UNSET && labels[q] == original {
                    component[q] = id;
                    stack.push(q);
                }
            }
        }
        sizes.push(size);
    }
    // Each small region points at its largest neighbour when that one is larger than
    // itself; following the pointers strictly increases
    // (size, -id), so chains of small regions end.
    let better = |a: u32, b: u32| {
        (sizes[a as usize], std::cmp::Reverse(a)) > (sizes[b as usize], std::cmp::Reverse(b))
    };
    let mut target: Vec<u32> = (0..sizes.len() as u32).collect();
    let consider = |small: u32, other: u32, target: &mut Vec<u32>| {
        if sizes[small as usize] <= min_size {
            let current = target[small as usize];
            if better(other, small) && (current == small || better(other, current)) {
                target[small as usize] = other;
            }
        }
    };
    for p in 0..labels.len() {
        let (x, y) = (p % width, p / width);
        for q in [
            (x + 1 < width).then(|| p + 1),
            (y + 1 < height).then(|| p + width),
        ]
        .into_iter()
        .flatten()
        {
            let (a, b) = (component[p], component[q]);
            if a != b {
                consider(a, b, &mut target);
                consider(b, a, &mut target);
            }
        }
    }
    let root = |mut c: u32| {
        while target[c as usize] != c {
            c = target[c as usize];
        }
        c
    };
    let mut number = vec![UNSET; sizes.len()];
    let mut count = 0u32;
    let out = component
        .iter()
        .map(|&c| {
            let r = root(c) as usize;
            if number[r] == UNSET {
                number[r] = count;
                count += 1;
            }
            number[r]
        })
        .collect();
    (out, count as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_exactly_the_pixels_of_neighbouring_cells() {
        let grid = SlicGrid::new(103, 47, 12);
        for c in 0..grid.n_clusters() {
            let (x0, x1, y0, y1) = grid.cluster_window(c);
            let (cx, cy) = ((c as u32 % grid.nx) as i64, (c as u32 / grid.nx) as i64);
            for x in 0..grid.width {
                let cell = SlicGrid::cell(x, grid.nx, grid.width) as i64;
                assert_eq!((x0..x1).contains(&x), (cell - cx).abs() <= 1, "x {x} c {c}");
            }
            for y in 0..grid.height {
                let cell = SlicGrid::cell(y, grid.ny, grid.height) as i64;
                assert_eq!((y0..y1).contains(&y), (cell - cy).abs() <= 1, "y {y} c {c}");
            }
        }
    }

    #[test]
    fn grid_has_about_k_cells() {
        let grid = SlicGrid::new(400, 300, 12);
        assert_eq!((grid.nx, grid.ny), (4, 3));
        assert_eq!(SlicGrid::new(10, 10, 1000).n_clusters(), 100);
        assert_eq!(SlicGrid::new(1, 1, 6).n_clusters(), 1);
    }

    #[test]
    fn small_fragments_join_their_neighbour() {
        // A 4 × 3 image: label 1 has a stray single pixel inside label 0's area.
        #[rustfmt::skip]
        let labels = [
            0, 0, 1, 1,
            0, 1, 1, 1,
            0, 0, 1, 1,
        ];
        let (out, count) = enforce_connectivity(&labels, 4, 3, 1);
        assert_eq!(count, 2);
        // The pixel at (1, 1) is connected to label 1's region (right neighbour): kept.
        assert_eq!(out, [0, 0, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1]);
        #[rustfmt::skip]
        let split = [
            2, 0, 0,
            0, 0, 2,
        ];
        let (out, count) = enforce_connectivity(&split, 3, 2, 1);
        assert_eq!(count, 1, "both lone 2s merge into the 0 region");
        assert_eq!(out, [0; 6]);
        let (out, count) = enforce_connectivity(&split, 3, 2, 0);
        assert_eq!(count, 3);
        assert_eq!(out, [0, 1, 1, 1, 1, 2]);
    }

    #[test]
    fn two_flat_halves_become_two_superpixels() {
        let (width, height) = (40usize, 20usize);
        let mut values = Vec::new();
        for _y in 0..height {
            for x in 0..width {
                values.extend_from_slice(&[if x < 20 { 10.0 } else { 90.0 }, 0.0, 0.0]);
            }
        }
        let features = Matrix::new(width * height, 3, values);
        let grid = SlicGrid::new(width as u32, height as u32, 2);
        assert_eq!(grid.n_clusters(), 2);
        let mut steps = CpuSlic::new(&features, grid);
        let outcome = run_slic(
            &mut steps,
            &features,
            &grid,
            10,
            1e-4,
            &RunContext::default(),
        )
        .unwrap();
        assert!(outcome.converged);
        for y in 0..height {
            for x in 0..width {
                assert_eq!(outcome.labels[y * width + x], u32::from(x >= 20));
            }
        }
    }
}
