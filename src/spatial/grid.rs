//! A uniform grid over 2-D points (counting sort by cell) for "which point is under the
//! pointer" at any size: a query scans only the cells within the pick radius.

/// Points per cell aimed for.
const POINTS_PER_CELL: usize = 8;
const MAX_CELLS_PER_AXIS: usize = 2048;

pub struct GridIndex {
    min: [f32; 2],
    cell_size: [f32; 2],
    cells: [usize; 2],
    /// Start of each cell's rows in `rows` (prefix sums, one extra at the end).
    starts: Vec<u32>,
    rows: Vec<u32>,
    points: std::sync::Arc<Vec<[f32; 2]>>,
}

impl GridIndex {
    /// Indexes the finite points of `points` (others are never found).
    pub fn new(points: std::sync::Arc<Vec<[f32; 2]>>) -> Self {
        let finite = |p: &[f32; 2]| p[0].is_finite() && p[1].is_finite();
        let mut min = [f32::MAX; 2];
        let mut max = [f32::MIN; 2];
        for p in points.iter().filter(|p| finite(p)) {
            for a in 0..2 {
                min[a] = min[a].min(p[a]);
                max[a] = max[a].max(p[a]);
            }
        }
        if min[0] > max[0] {
            min = [0.0; 2];
            max = [1.0; 2];
        }
        let per_axis = ((points.len() / POINTS_PER_CELL) as f64)
            .sqrt()
            .ceil()
            .clamp(1.0, MAX_CELLS_PER_AXIS as f64) as usize;
        let cells = [per_axis, per_axis];
        let cell_size =
            [0, 1].map(|a| ((max[a] - min[a]) / per_axis as f32).max(f32::MIN_POSITIVE));
        let mut index = Self {
            min,
            cell_size,
            cells,
            starts: vec![0; cells[0] * cells[1] + 1],
            rows: Vec::new(),
            points: std::sync::Arc::clone(&points),
        };
        let cell_of: Vec<u32> = points
            .iter()
            .map(|p| {
                if finite(p) {
                    index.cell(p) as u32
                } else {
                    u32::MAX
                }
            })
            .collect();
        for &c in cell_of.iter().filter(|&&c| c != u32::MAX) {
            index.starts[c as usize + 1] += 1;
        }
        for i in 1..index.starts.len() {
            index.starts[i] += index.starts[i - 1];
        }
        let mut next = index.starts.clone();
        index.rows = vec![0; *index.starts.last().unwrap_or(&0) as usize];
        for (row, &c) in cell_of.iter().enumerate() {
            if c != u32::MAX {
                index.rows[next[c as usize] as usize] = row as u32;
                next[c as usize] += 1;
            }
        }
        index
    }

    fn axis_cell(&self, value: f32, axis: usize) -> usize {
        (((value - self.min[axis]) / self.cell_size[axis])
            .floor()
            .max(0.0) as usize)
            .min(self.cells[axis] - 1)
    }

    fn cell(&self, p: &[f32; 2]) -> usize {
        self.axis_cell(p[1], 1) * self.cells[0] + self.axis_cell(p[0], 0)
    }

    /// The nearest accepted point to `at` within the ellipse of radii `radius` (data units
    /// per axis, so a pixel radius can be given on axes of different scales).
    pub fn nearest(
        &self,
        at: [f64; 2],
        radius: [f64; 2],
        accept: impl Fn(u32) -> bool,
    ) -> Option<u32> {
        let lo = [0, 1].map(|a| self.axis_cell((at[a] - radius[a]) as f32, a));
        let hi = [0, 1].map(|a| self.axis_cell((at[a] + radius[a]) as f32, a));
        let mut best: Option<(f64, u32)> = None;
        for cy in lo[1]..=hi[1] {
            for cx in lo[0]..=hi[0] {
                let cell = cy * self.cells[0] + cx;
                for &row in &self.rows[self.starts[cell] as usize..self.starts[cell + 1] as usize] {
                    let p = self.points[row as usize];
                    let dx = (p[0] as f64 - at[0]) / radius[0];
                    let dy = (p[1] as f64 - at[1]) / radius[1];
                    let d = dx * dx + dy * dy;
                    if d <= 1.0 && best.is_none_or(|(b, _)| d < b) && accept(row) {
                        best = Some((d, row));
                    }
                }
            }
        }
        best.map(|(_, row)| row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_nearest_point_within_the_radius_only() {
        let points: Vec<[f32; 2]> = (0..10_000)
            .map(|i| [(i % 100) as f32, (i / 100) as f32])
            .collect();
        let index = GridIndex::new(std::sync::Arc::new(points));
        assert_eq!(index.nearest([3.2, 5.1], [0.5, 0.5], |_| true), Some(503));
        assert_eq!(index.nearest([3.5, 5.5], [0.3, 0.3], |_| true), None);
        // A filter (hidden clusters) skips rows: next nearest to (3.2, 5.1) is (4, 5) = 504
        // at 0.806 before (3, 4) = 403 at 1.118.
        assert_eq!(
            index.nearest([3.2, 5.1], [1.5, 1.5], |r| r != 503),
            Some(504)
        );
    }
}
