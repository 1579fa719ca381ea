//! Binning rows into grid cells, and the statistics per cell. The CPU twin of
//! `shaders/grid/bin.wgsl`: both scale each coordinate once in f32 to a 16.16 fixed-point
//! position (cell above, position in the cell below), then add whole numbers, so the two
//! give the same counts and sums to the bit.

use rayon::prelude::*;

use super::super::Backend;
use crate::matrix::Matrix;

/// Fixed-point steps per cell.
pub const STEPS: u32 = 1 << 16;

/// Where the cells lie: per axis the lower edge, the cell count and the fixed-point
/// scale (`STEPS` per cell width).
#[derive(Clone, Debug, PartialEq)]
pub struct GridShape {
    pub lo: Vec<f32>,
    /// Fixed-point steps per unit of the coordinate (cells · STEPS / range).
    pub scale: Vec<f32>,
    pub cells: Vec<usize>,
}

impl GridShape {
    /// Cells spanning the finite range of each column of `coordinates`; a column with one
    /// value gets a unit range, so all its rows fall in its first cell.
    pub fn spanning(coordinates: &Matrix, cells: &[usize]) -> Self {
        let d = coordinates.n_cols;
        let (lo, hi) = coordinates
            .values
            .par_chunks_exact(d.max(1))
            .fold(
                || (vec![f32::INFINITY; d], vec![f32::NEG_INFINITY; d]),
                |(mut lo, mut hi), row| {
                    for j in 0..d {
                        if row[j].is_finite() {
                            lo[j] = lo[j].min(row[j]);
                            hi[j] = hi[j].max(row[j]);
                        }
                    }
                    (lo, hi)
                },
            )
            .reduce(
                || (vec![f32::INFINITY; d], vec![f32::NEG_INFINITY; d]),
                |(a_lo, a_hi), (b_lo, b_hi)| {
                    (
                        a_lo.iter().zip(&b_lo).map(|(a, b)| a.min(*b)).collect(),
                        a_hi.iter().zip(&b_hi).map(|(a, b)| a.max(*b)).collect(),
                    )
                },
            );
        let mut scale = Vec::with_capacity(d);
        let mut lows = Vec::with_capacity(d);
        for j in 0..d {
            let (l, h) = if lo[j] <= hi[j] {
                (lo[j], hi[j])
            } else {
                (0.0, 1.0)
            };
            let range = (h as f64 - l as f64).max(f32::MIN_POSITIVE as f64);
            let range = if h > l { range } else { 1.0 };
            lows.push(l);
            scale.push((cells[j] as f64 * STEPS as f64 / range) as f32);
        }
        Self {
            lo: lows,
            scale,
            cells: cells.to_vec(),
        }
    }

    pub fn axes(&self) -> usize {
        self.cells.len()
    }

    pub fn n_cells(&self) -> usize {
        self.cells.iter().product()
    }

    /// The width of a cell along `axis`, in coordinate units.
    pub fn width(&self, axis: usize) -> f64 {
        STEPS as f64 / self.scale[axis] as f64
    }

    /// The lower edge of cell `i` along `axis`.
    pub fn edge(&self, axis: usize, i: usize) -> f64 {
        self.lo[axis] as f64 + i as f64 * self.width(axis)
    }

    /// The fixed-point position of `x` along `axis`: cell · STEPS + step within it. The
    /// WGSL pass computes the same f32 product.
    #[inline]
    pub fn position(&self, axis: usize, x: f32) -> u32 {
        let t = (x - self.lo[axis]) * self.scale[axis];
        let top = (self.cells[axis] as u32) * STEPS - 1;
        // `as` saturates as WGSL's u32() does; NaN and negatives go to the first step.
        if t > 0.0 {
            (t.floor() as u32).min(top)
        } else {
            0
        }
    }

    /// The flat index of the cell with per-axis indices `at` (axis 0 fastest).
    #[inline]
    pub fn flat(&self, at: &[usize]) -> usize {
        let mut index = 0;
        for a in (0..self.axes()).rev() {
            index = index * self.cells[a] + at[a];
        }
        index
    }

    /// The per-axis indices of flat cell `index`.
    pub fn unflat(&self, mut index: usize) -> [usize; 3] {
        let mut at = [0; 3];
        for (a, cells) in self.cells.iter().enumerate() {
            at[a] = index % cells;
            index /= cells;
        }
        at
    }
}

/// Whole-number sums per cell, as the GPU pass leaves them: count; then per cell and axis
/// the sum of steps, the sum of squared steps, and the min and max coordinate.
#[derive(Clone, Debug, PartialEq)]
pub struct RawCells {
    pub count: Vec<u32>,
    /// cells × axes.
    pub steps: Vec<u64>,
    /// cells × axes.
    pub steps_sq: Vec<u64>,
    /// cells × axes; +inf in an empty cell.
    pub min: Vec<f32>,
    /// cells × axes; -inf in an empty cell.
    pub max: Vec<f32>,
}

impl RawCells {
    fn empty(cells: usize, axes: usize, stats: bool) -> Self {
        let per = if stats { cells * axes } else { 0 };
        Self {
            count: vec![0; cells],
            steps: vec![0; per],
            steps_sq: vec![0; per],
            min: vec![f32::INFINITY; per],
            max: vec![f32::NEG_INFINITY; per],
        }
    }

    fn add(&mut self, other: &RawCells) {
        self.count
            .iter_mut()
            .zip(&other.count)
            .for_each(|(a, b)| *a += b);
        self.steps
            .iter_mut()
            .zip(&other.steps)
            .for_each(|(a, b)| *a += b);
        self.steps_sq
            .iter_mut()
            .zip(&other.steps_sq)
            .for_each(|(a, b)| *a += b);
        self.min
            .iter_mut()
            .zip(&other.min)
            .for_each(|(a, b)| *a = a.min(*b));
        self.max
            .iter_mut()
            .zip(&other.max)
            .for_each(|(a, b)| *a = a.max(*b));
    }
}

/// Rows binned: each row's cell and each cell's sums.
pub struct BinnedGrid {
    pub shape: GridShape,
    /// The flat cell of every row.
    pub cell_of_row: Vec<u32>,
    pub raw: RawCells,
    /// Whether `raw` holds the per-axis sums (or only counts).
    pub has_stats: bool,
    pub backend: Backend,
    pub adapter: String,
}

impl BinnedGrid {
    /// The bottom level's statistics in coordinate units.
    pub fn stats(&self) -> CellStats {
        CellStats::from_raw(&self.shape, &self.raw)
    }
}

/// The CPU twin of the binning pass.
pub fn bin_cpu(coordinates: &Matrix, shape: &GridShape, stats: bool) -> BinnedGrid {
    let axes = shape.axes();
    let cells = shape.n_cells();
    let n = coordinates.n_rows;
    let mut cell_of_row = vec![0u32; n];
    let threads = rayon::current_num_threads().max(1);
    let block = n.div_ceil(threads).max(1);
    let parts: Vec<RawCells> = cell_of_row
        .par_chunks_mut(block)
        .enumerate()
        .map(|(part, out)| {
            let mut raw = RawCells::empty(cells, axes, stats);
            let first = part * block;
            let mut at = [0usize; 3];
            let mut steps = [0u32; 3];
            for (i, cell) in out.iter_mut().enumerate() {
                let row = coordinates.row(first + i);
                for a in 0..axes {
                    let p = shape.position(a, row[a]);
                    at[a] = (p / STEPS) as usize;
                    steps[a] = p % STEPS;
                }
                let flat = shape.flat(&at[..axes]);
                *cell = flat as u32;
                raw.count[flat] += 1;
                if stats {
                    for a in 0..axes {
                        let k = flat * axes + a;
                        let s = steps[a] as u64;
                        raw.steps[k] += s;
                        raw.steps_sq[k] += s * s;
                        let x = row[a];
                        raw.min[k] = raw.min[k].min(x);
                        raw.max[k] = raw.max[k].max(x);
                    }
                }
            }
            raw
        })
        .collect();
    let mut raw = RawCells::empty(cells, axes, stats);
    for part in &parts {
        raw.add(part);
    }
    BinnedGrid {
        shape: shape.clone(),
        cell_of_row,
        raw,
        has_stats: stats,
        backend: Backend::Cpu,
        adapter: super::super::cpu_name(),
    }
}

/// STING's statistics per cell: count, and per axis the mean, the sum of squared
/// deviations (so levels merge exactly by Chan's rule), min and max.
#[derive(Clone, Debug)]
pub struct CellStats {
    pub axes: usize,
    pub count: Vec<u64>,
    /// cells × axes.
    pub mean: Vec<f64>,
    /// cells × axes: Σ (x − mean)².
    pub m2: Vec<f64>,
    pub min: Vec<f32>,
    pub max: Vec<f32>,
}

impl CellStats {
    /// From the fixed-point sums: a row at step s of cell i sits at lo + (i·STEPS + s +
    /// ½) / scale, to within half a step.
    pub fn from_raw(shape: &GridShape, raw: &RawCells) -> Self {
        let axes = shape.axes();
        let cells = shape.n_cells();
        let mut mean = vec![0.0; cells * axes];
        let mut m2 = vec![0.0; cells * axes];
        if raw.steps.len() == cells * axes {
            for cell in 0..cells {
                let n = raw.count[cell] as f64;
                if n == 0.0 {
                    continue;
                }
                let at = shape.unflat(cell);
                for (a, &at_a) in at.iter().enumerate().take(axes) {
                    let k = cell * axes + a;
                    let step = 1.0 / shape.scale[a] as f64;
                    let s = raw.steps[k] as f64 / n;
                    let s2 = raw.steps_sq[k] as f64 / n;
                    mean[k] = shape.lo[a] as f64 + (at_a as f64 * STEPS as f64 + s + 0.5) * step;
                    m2[k] = ((s2 - s * s).max(0.0)) * step * step * n;
                }
            }
        }
        Self {
            axes,
            count: raw.count.iter().map(|&c| c as u64).collect(),
            mean,
            m2,
            min: raw.min.clone(),
            max: raw.max.clone(),
        }
    }

    /// The standard deviation along `axis` in `cell` (population, as STING's).
    pub fn std(&self, cell: usize, axis: usize) -> f64 {
        let n = self.count[cell];
        if n == 0 {
            0.0
        } else {
            (self.m2[cell * self.axes + axis] / n as f64).sqrt()
        }
    }

    /// The level above: each cell merges the 2 × 2 (× 2) cells below it; `cells` are
    /// this level's cells per axis, the result's are half of them, rounded up.
    pub fn coarser(&self, cells: &[usize]) -> (Vec<usize>, CellStats) {
        let axes = self.axes;
        let up: Vec<usize> = cells.iter().map(|c| c.div_ceil(2)).collect();
        let total: usize = up.iter().product();
        let mut out = CellStats {
            axes,
            count: vec![0; total],
            mean: vec![0.0; total * axes],
            m2: vec![0.0; total * axes],
            min: vec![f32::INFINITY; total * axes],
            max: vec![f32::NEG_INFINITY; total * axes],
        };
        let n_cells: usize = cells.iter().product();
        for cell in 0..n_cells {
            let nb = self.count[cell];
            if nb == 0 {
                continue;
            }
            let mut index = cell;
            let mut parent = 0;
            let mut stride = 1;
            for a in 0..axes {
                let i = index % cells[a];
                index /= cells[a];
                parent += (i / 2) * stride;
                stride *= up[a];
            }
            let na = out.count[parent];
            let n = na + nb;
            for a in 0..axes {
                let (p, c) = (parent * axes + a, cell * axes + a);
                let delta = self.mean[c] - out.mean[p];
                out.mean[p] += delta * nb as f64 / n as f64;
                out.m2[p] += self.m2[c] + delta * delta * (na as f64 * nb as f64) / n as f64;
                out.min[p] = out.min[p].min(self.min[c]);
                out.max[p] = out.max[p].max(self.max[c]);
            }
            out.count[parent] = n;
        }
        (up, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_clamp_the_maximum_into_the_last_cell() {
        let points = Matrix::from_rows(&[vec![0.0], vec![0.5], vec![1.0]]);
        let shape = GridShape::spanning(&points, &[4]);
        assert_eq!(shape.position(0, 0.0) / STEPS, 0);
        assert_eq!(shape.position(0, 0.5) / STEPS, 2);
        assert_eq!(shape.position(0, 1.0) / STEPS, 3);
        let grid = bin_cpu(&points, &shape, true);
        assert_eq!(grid.cell_of_row, vec![0, 2, 3]);
        assert_eq!(grid.raw.count, vec![1, 0, 1, 1]);
    }

    #[test]
    fn merged_levels_keep_the_direct_statistics() {
        let rows: Vec<Vec<f32>> = (0..200)
            .map(|i| vec![(i as f32 * 0.37).sin() * 3.0, (i as f32 * 0.11).cos()])
            .collect();
        let points = Matrix::from_rows(&rows);
        let shape = GridShape::spanning(&points, &[8, 8]);
        let stats = bin_cpu(&points, &shape, true).stats();
        let (_, top) = stats.coarser(&[8, 8]);
        let (_, top) = top.coarser(&[4, 4]);
        let (_, top) = top.coarser(&[2, 2]);
        assert_eq!(top.count, vec![200]);
        let mean: f64 = rows.iter().map(|r| r[0] as f64).sum::<f64>() / 200.0;
        let var: f64 = rows
            .iter()
            .map(|r| (r[0] as f64 - mean).powi(2))
            .sum::<f64>()
            / 200.0;
        let step = shape.width(0) / STEPS as f64;
        assert!((top.mean[0] - mean).abs() < step, "{} {mean}", top.mean[0]);
        assert!((top.std(0, 0) - var.sqrt()).abs() < 2.0 * step);
        assert_eq!(
            top.min[0],
            rows.iter().map(|r| r[0]).fold(f32::MAX, f32::min)
        );
    }
}
