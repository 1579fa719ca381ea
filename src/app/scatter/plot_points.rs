//! egui_plot series for small data (and, without a GPU renderer, an even subsample of
//! large data): one series per cluster, built once per (coordinates, labels, styles).

use std::sync::Arc;

use eframe::egui::Color32;

use super::super::{ClusterStyles, Clustering, ColumnColours, palette};
use crate::cluster::NOISE;

/// Most points drawn through egui_plot (it tessellates every point on the CPU).
pub const MAX_PLOT_POINTS: usize = 200_000;

pub struct Series {
    pub name: String,
    pub color: Color32,
    pub points: Vec<[f64; 2]>,
    /// Noise is drawn smaller.
    pub radius_factor: f32,
}

#[derive(Default)]
pub struct PlotSeries {
    key: Option<(usize, u64, u64, u64, usize)>,
    pub series: Vec<Series>,
    /// Rows drawn (for the "showing n of m" note).
    pub drawn: usize,
}

impl PlotSeries {
    pub fn refresh(
        &mut self,
        coordinates: &Arc<Vec<[f32; 2]>>,
        clustering: Option<&Clustering>,
        styles: &ClusterStyles,
        column: Option<&Arc<ColumnColours>>,
    ) {
        let key = (
            Arc::as_ptr(coordinates) as usize,
            clustering.map_or(0, |c| c.generation),
            clustering.map_or(0, |c| c.revision),
            styles.version,
            column.map_or(0, |c| Arc::as_ptr(c) as usize),
        );
        if self.key == Some(key) {
            return;
        }
        self.key = Some(key);
        let step = coordinates.len().div_ceil(MAX_PLOT_POINTS).max(1);
        if let Some(column) = column {
            self.refresh_by_column(coordinates, clustering, styles, column, step);
            return;
        }
        // Slot per shown id, then one for noise.
        let n_ids = clustering.map_or(0, |c| c.sizes.len());
        let mut per_id: Vec<Vec<[f64; 2]>> = vec![Vec::new(); n_ids + 1];
        let mut drawn = 0;
        for (row, p) in coordinates.iter().enumerate().step_by(step) {
            if !(p[0].is_finite() && p[1].is_finite()) {
                continue;
            }
            let slot = match clustering.map(|c| c.result.labels[row]) {
                Some(NOISE) => n_ids,
                Some(label) => label as usize,
                None => 0,
            };
            per_id[slot].push([p[0] as f64, p[1] as f64]);
            drawn += 1;
        }
        let mut series: Vec<Series> = per_id
            .into_iter()
            .enumerate()
            .filter(|(_, points)| !points.is_empty())
            .filter_map(|(slot, points)| match clustering {
                Some(_) if slot == n_ids => styles.visible(NOISE).then(|| Series {
                    name: format!("Noise ({})", points.len()),
                    color: palette::NOISE,
                    points,
                    radius_factor: 0.6,
                }),
                Some(c) => styles.visible(slot as u32).then(|| Series {
                    name: format!("{} ({})", styles.name(slot as u32), c.sizes[slot]),
                    color: styles.color(slot as u32),
                    points,
                    radius_factor: 1.0,
                }),
                None => Some(Series {
                    name: "Not clustered yet".into(),
                    color: palette::LEFT_OUT,
                    points,
                    radius_factor: 1.0,
                }),
            })
            .collect();
        // Noise first, so clusters draw over it.
        series.sort_by_key(|s| s.radius_factor == 1.0);
        self.series = series;
        self.drawn = drawn;
    }
}

impl PlotSeries {
    /// One series per code of a column colouring; hidden clusters stay hidden.
    fn refresh_by_column(
        &mut self,
        coordinates: &[[f32; 2]],
        clustering: Option<&Clustering>,
        styles: &ClusterStyles,
        column: &ColumnColours,
        step: usize,
    ) {
        let mut per_code: Vec<Vec<[f64; 2]>> = vec![Vec::new(); column.colours.len() + 1];
        let mut drawn = 0;
        for (row, p) in coordinates.iter().enumerate().step_by(step) {
            let hidden = clustering
                .and_then(|c| c.result.labels.get(row))
                .is_some_and(|&label| !styles.visible(label));
            if hidden || !(p[0].is_finite() && p[1].is_finite()) {
                continue;
            }
            let code = column.codes.get(row).copied().unwrap_or(u32::MAX) as usize;
            per_code[code.min(column.colours.len())].push([p[0] as f64, p[1] as f64]);
            drawn += 1;
        }
        self.series = per_code
            .into_iter()
            .enumerate()
            .filter(|(_, points)| !points.is_empty())
            .map(|(code, points)| Series {
                name: column.describe(code as u32),
                color: column.colour(code as u32),
                points,
                radius_factor: 1.0,
            })
            .collect();
        self.drawn = drawn;
    }
}
