//! Box and lasso selection on the projected coordinates (rayon over all rows; the lasso
//! is thinned to at most 256 vertices first, so a long drag stays cheap).

use rayon::prelude::*;

const MAX_LASSO_VERTICES: usize = 256;

/// Rows whose point lies in the axis-aligned box with corners `a` and `b`.
pub fn rows_in_box(
    coordinates: &[[f32; 2]],
    a: [f64; 2],
    b: [f64; 2],
    accept: impl Fn(u32) -> bool + Sync,
) -> Vec<u32> {
    let (x0, x1) = (a[0].min(b[0]), a[0].max(b[0]));
    let (y0, y1) = (a[1].min(b[1]), a[1].max(b[1]));
    coordinates
        .par_iter()
        .enumerate()
        .filter(|(row, p)| {
            let (x, y) = (p[0] as f64, p[1] as f64);
            x >= x0 && x <= x1 && y >= y0 && y <= y1 && accept(*row as u32)
        })
        .map(|(row, _)| row as u32)
        .collect()
}

/// Rows whose point lies inside the closed polygon `path` (even-odd rule).
pub fn rows_in_polygon(
    coordinates: &[[f32; 2]],
    path: &[[f64; 2]],
    accept: impl Fn(u32) -> bool + Sync,
) -> Vec<u32> {
    if path.len() < 3 {
        return Vec::new();
    }
    let step = path.len().div_ceil(MAX_LASSO_VERTICES).max(1);
    let polygon: Vec<[f64; 2]> = path.iter().step_by(step).copied().collect();
    let mut min = [f64::MAX; 2];
    let mut max = [f64::MIN; 2];
    for p in &polygon {
        for a in 0..2 {
            min[a] = min[a].min(p[a]);
            max[a] = max[a].max(p[a]);
        }
    }
    coordinates
        .par_iter()
        .enumerate()
        .filter(|(row, p)| {
            let (x, y) = (p[0] as f64, p[1] as f64);
            x >= min[0]
                && x <= max[0]
                && y >= min[1]
                && y <= max[1]
                && inside(&polygon, x, y)
                && accept(*row as u32)
        })
        .map(|(row, _)| row as u32)
        .collect()
}

fn inside(polygon: &[[f64; 2]], x: f64, y: f64) -> bool {
    let mut inside = false;
    let mut j = polygon.len() - 1;
    for i in 0..polygon.len() {
        let (a, b) = (polygon[i], polygon[j]);
        if (a[1] > y) != (b[1] > y) && x < (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]) + a[0] {
            inside = !inside;
        }
        j = i;
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_and_lasso_pick_the_enclosed_points() {
        let points: Vec<[f32; 2]> = (0..100)
            .map(|i| [(i % 10) as f32, (i / 10) as f32])
            .collect();
        let boxed = rows_in_box(&points, [1.5, 1.5], [3.5, 2.5], |_| true);
        assert_eq!(boxed, vec![22, 23]);
        // A triangle (0,0) (9,0) (0,9): points with x + y < 9 strictly inside, plus edges
        // decided by the even-odd rule; check a few clear cases.
        let lasso = rows_in_polygon(&points, &[[-0.5, -0.5], [9.6, -0.5], [-0.5, 9.6]], |_| true);
        assert!(
            lasso.contains(&0)
                && lasso.contains(&44)
                && !lasso.contains(&99)
                && !lasso.contains(&55)
        );
        assert_eq!(lasso.len(), 55);
        // Hidden rows are never selected.
        let filtered = rows_in_box(&points, [1.5, 1.5], [3.5, 2.5], |r| r != 22);
        assert_eq!(filtered, vec![23]);
    }
}
