//! The grid of a grid-based result under the scatter: cells shaded by their rows, the
//! cells the algorithm kept outlined (STING's relevant cells at the chosen level,
//! WaveCluster's significant ones), or the dense units of the CLIQUE subspace chosen in
//! the bottom panel. Drawn only in the Columns view of the grid's own columns: the grid
//! spans each scaled column's [min, max], and the scalings are increasing affine maps, so
//! it spans the shown columns' data range too.

use eframe::egui;

use super::super::{ClusterscopeApp, ScatterAxes};
use crate::cluster::Structure;

/// One rectangle in data coordinates [x0, y0, x1, y1], its shade (0..1) and whether it is
/// outlined.
pub struct OverlayCell {
    pub rect: [f64; 4],
    pub shade: f32,
    pub kept: bool,
    /// The sides to outline (left, right, bottom, top): where a kept region ends.
    pub edges: [bool; 4],
}

/// The sides of cell (i, j) of an nx × ny grid of kept flags that border an unkept cell.
fn region_edges(kept: &dyn Fn(i64, i64) -> bool, i: i64, j: i64) -> [bool; 4] {
    if !kept(i, j) {
        return [false; 4];
    }
    [
        !kept(i - 1, j),
        !kept(i + 1, j),
        !kept(i, j - 1),
        !kept(i, j + 1),
    ]
}

impl ClusterscopeApp {
    /// The feature indices the Columns view shows, if it shows feature columns.
    fn shown_feature_axes(&self) -> Option<(usize, usize)> {
        let ScatterAxes::Columns { x, y } = &self.axes else {
            return None;
        };
        let columns = &self.prepared.as_ref()?.features.columns;
        let at = |name: &String| columns.iter().position(|c| c == name);
        Some((at(x)?, at(y)?))
    }

    /// The cells to draw for the current result and view; `bounds` is the shown columns'
    /// data range [x_min, y_min, x_max, y_max].
    pub(super) fn grid_overlay(&self, bounds: [f64; 4]) -> Vec<OverlayCell> {
        let Some(clustering) = &self.clustering else {
            return Vec::new();
        };
        let Some((ax, ay)) = self.shown_feature_axes() else {
            return Vec::new();
        };
        let span = |axis: usize, from: f64, to: f64, of: f64| -> (f64, f64) {
            let (lo, hi) = if axis == 0 {
                (bounds[0], bounds[2])
            } else {
                (bounds[1], bounds[3])
            };
            (lo + from / of * (hi - lo), lo + to / of * (hi - lo))
        };
        for structure in &clustering.result.structures {
            match structure {
                Structure::Grid(view) if view.axes_are_columns => {
                    let g = view.lo.len();
                    if ax >= g || ay >= g || ax == ay {
                        return Vec::new();
                    }
                    let level = self.structure_view.grid_level.min(view.levels.len() - 1);
                    let bottom = &view.levels[0];
                    let cells = &view.levels[level];
                    // Marginal over a third axis: the cell's rows summed, kept if any is.
                    let (nx, ny) = (cells.cells[ax], cells.cells[ay]);
                    let mut value = vec![0.0f64; nx * ny];
                    let mut kept = vec![false; nx * ny];
                    let total: usize = cells.cells.iter().product();
                    for cell in 0..total {
                        let mut index = cell;
                        let mut at = [0usize; 3];
                        for (a, &c) in cells.cells.iter().enumerate() {
                            at[a] = index % c;
                            index /= c;
                        }
                        let flat = at[ax] + nx * at[ay];
                        value[flat] += cells.value[cell].max(0.0);
                        kept[flat] |= cells.kept[cell];
                    }
                    let most = value.iter().copied().fold(0.0, f64::max).max(1e-12);
                    // Each cell's share of the whole span, from the bottom level's cells.
                    let fx = cells.width[ax] / bottom.width[ax];
                    let fy = cells.width[ay] / bottom.width[ay];
                    let (bx, by) = (bottom.cells[ax] as f64, bottom.cells[ay] as f64);
                    let is_kept = |i: i64, j: i64| {
                        i >= 0
                            && j >= 0
                            && (i as usize) < nx
                            && (j as usize) < ny
                            && kept[i as usize + nx * j as usize]
                    };
                    let mut out = Vec::new();
                    for j in 0..ny {
                        for i in 0..nx {
                            let v = value[i + nx * j];
                            if v <= 0.0 && !kept[i + nx * j] {
                                continue;
                            }
                            let (x0, x1) =
                                span(0, i as f64 * fx, ((i + 1) as f64 * fx).min(bx), bx);
                            let (y0, y1) =
                                span(1, j as f64 * fy, ((j + 1) as f64 * fy).min(by), by);
                            out.push(OverlayCell {
                                rect: [x0, y0, x1, y1],
                                // Square root: sparse cells stay visible beside dense ones.
                                shade: (v / most).sqrt() as f32,
                                kept: kept[i + nx * j],
                                edges: region_edges(&is_kept, i as i64, j as i64),
                            });
                        }
                    }
                    return out;
                }
                Structure::Subspaces(found) => {
                    let Some(dims) = &self.structure_view.subspace else {
                        return Vec::new();
                    };
                    let Some(subspace) = found.subspace(dims) else {
                        return Vec::new();
                    };
                    let position = |axis: usize| dims.iter().position(|&d| d == axis);
                    let (px, py) = (position(ax), position(ay));
                    if px.is_none() && py.is_none() {
                        return Vec::new();
                    }
                    let of = found.intervals as f64;
                    let at = |unit: &Vec<u16>| {
                        (
                            px.map_or(0, |p| unit[p] as i64),
                            py.map_or(0, |p| unit[p] as i64),
                        )
                    };
                    let occupied: std::collections::HashSet<(i64, i64)> =
                        subspace.units.iter().map(at).collect();
                    let is_kept = |i: i64, j: i64| occupied.contains(&(i, j));
                    let most = subspace.counts.iter().copied().max().unwrap_or(1).max(1) as f64;
                    return subspace
                        .units
                        .iter()
                        .zip(&subspace.counts)
                        .map(|(unit, &count)| {
                            // An axis outside the subspace: the unit spans all of it.
                            let (x0, x1) = px.map_or((bounds[0], bounds[2]), |p| {
                                span(0, unit[p] as f64, unit[p] as f64 + 1.0, of)
                            });
                            let (y0, y1) = py.map_or((bounds[1], bounds[3]), |p| {
                                span(1, unit[p] as f64, unit[p] as f64 + 1.0, of)
                            });
                            let (i, j) = at(unit);
                            OverlayCell {
                                rect: [x0, y0, x1, y1],
                                shade: (count as f64 / most).sqrt() as f32,
                                kept: true,
                                edges: region_edges(&is_kept, i, j),
                            }
                        })
                        .collect();
                }
                _ => {}
            }
        }
        Vec::new()
    }
}

/// Paints `cells` through the plot's transform (before the GPU points, so under them).
pub fn paint(
    painter: &egui::Painter,
    transform: &egui_plot::PlotTransform,
    cells: &[OverlayCell],
    colour: egui::Color32,
) {
    for cell in cells {
        let a =
            transform.position_from_point(&egui_plot::PlotPoint::new(cell.rect[0], cell.rect[1]));
        let b =
            transform.position_from_point(&egui_plot::PlotPoint::new(cell.rect[2], cell.rect[3]));
        let rect = egui::Rect::from_two_pos(a, b);
        painter.rect_filled(rect, 0.0, colour.gamma_multiply(0.03 + 0.17 * cell.shade));
        if cell.kept {
            let stroke = egui::Stroke::new(1.2, colour.gamma_multiply(0.8));
            let (l, r) = (rect.left(), rect.right());
            // Screen y grows downwards: the plot's bottom is the rect's max y.
            let (b, t) = (rect.bottom(), rect.top());
            let sides = [
                [egui::pos2(l, t), egui::pos2(l, b)],
                [egui::pos2(r, t), egui::pos2(r, b)],
                [egui::pos2(l, b), egui::pos2(r, b)],
                [egui::pos2(l, t), egui::pos2(r, t)],
            ];
            for (side, draw) in sides.into_iter().zip(cell.edges) {
                if draw {
                    painter.line_segment(side, stroke);
                }
            }
        }
    }
}

impl ClusterscopeApp {
    /// The cells drawn under the scatter now, and how many of them are kept (UI tests).
    pub fn grid_cells_drawn(&self) -> (usize, usize) {
        let Some(projection) = &self.projection else {
            return (0, 0);
        };
        let cells = self.grid_overlay(projection.bounds);
        let kept = cells.iter().filter(|c| c.kept).count();
        (cells.len(), kept)
    }

    /// Chooses the grid level drawn under the scatter (0 = the bottom level).
    pub fn set_grid_level(&mut self, level: usize) {
        self.structure_view.grid_level = level;
    }
}
