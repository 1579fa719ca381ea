//! What the GPU point renderer needs each frame, cached between frames: the point cloud
//! (positions from the projection, labels as the clustering left them on the GPU), the
//! palette indexed by raw label, and the selection as a bit mask.

use std::sync::Arc;

use eframe::egui::Color32;

use super::super::{ClusterStyles, Clustering, ColumnColours, Projection, Selection, palette};
use crate::cluster::NOISE;
use crate::render::{PointCloud, PointStyle};

#[derive(Default)]
pub struct GpuPoints {
    cloud_key: Option<(usize, u64, u64)>,
    cloud: Option<Arc<PointCloud>>,
    colors_key: Option<(u64, u64, u64, usize)>,
    colors: Arc<Vec<[f32; 4]>>,
    selection_key: Option<u64>,
    selection: Option<Arc<Vec<u32>>>,
    pub error: Option<String>,
}

fn rgba(color: Color32, visible: bool) -> [f32; 4] {
    let [r, g, b, _] = color.to_array();
    [
        r as f32 / 255.0,
        g as f32 / 255.0,
        b as f32 / 255.0,
        if visible { 1.0 } else { 0.0 },
    ]
}

impl GpuPoints {
    /// The cloud for `projection`, labelled by a column colouring's uploaded codes
    /// (`codes`, with their upload's key) or else by `clustering` when it belongs to the
    /// same points. None when the projection has no GPU positions.
    pub fn cloud(
        &mut self,
        projection: &Projection,
        clustering: Option<&Clustering>,
        codes: Option<(u64, &crate::gpu::RowChunks)>,
    ) -> Option<Arc<PointCloud>> {
        let positions = projection.gpu_positions.as_ref()?;
        let (labels, key) = match codes {
            Some((upload, chunks)) => (
                Some(chunks),
                (
                    Arc::as_ptr(&projection.coordinates) as usize,
                    u64::MAX,
                    upload,
                ),
            ),
            None => (
                clustering.and_then(|c| c.render_labels.as_ref().map(|l| &l.chunks)),
                (
                    Arc::as_ptr(&projection.coordinates) as usize,
                    clustering.map_or(0, |c| c.generation),
                    clustering.map_or(0, |c| c.render_revision),
                ),
            ),
        };
        if self.cloud_key != Some(key) {
            self.cloud_key = Some(key);
            match PointCloud::new(positions, labels) {
                Ok(cloud) => {
                    self.cloud = Some(cloud);
                    self.error = None;
                }
                Err(error) => {
                    self.error = Some(error);
                    self.cloud = PointCloud::new(positions, None).ok();
                }
            }
        }
        self.cloud.clone()
    }

    /// Point style for this frame: palette by raw label (after the stable matching and the
    /// user's colours), hidden clusters transparent, the selection mask; or the colours of
    /// a column colouring's codes.
    #[allow(clippy::too_many_arguments)]
    pub fn style(
        &mut self,
        clustering: Option<&Clustering>,
        styles: &ClusterStyles,
        column: Option<&Arc<ColumnColours>>,
        selection: Option<&Selection>,
        n_points: usize,
        view: &super::super::ViewSettings,
        pixels_per_point: f32,
    ) -> PointStyle {
        let colors_key = (
            clustering.map_or(0, |c| c.generation),
            clustering.map_or(0, |c| c.render_revision),
            styles.version,
            column.map_or(0, |c| Arc::as_ptr(c) as usize),
        );
        if self.colors_key != Some(colors_key) {
            self.colors_key = Some(colors_key);
            self.colors = Arc::new(match column {
                Some(column) => column.colours.iter().map(|&c| rgba(c, true)).collect(),
                None => clustering
                    .map(|c| {
                        c.render_slots
                            .iter()
                            .map(|&slot| rgba(styles.slot_color(slot), styles.slot_visible(slot)))
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
        match selection {
            Some(selection) if self.selection_key != Some(selection.id) => {
                let mut bits = vec![0u32; n_points.div_ceil(32).max(1)];
                for &row in &selection.rows {
                    if let Some(word) = bits.get_mut(row as usize / 32) {
                        *word |= 1 << (row % 32);
                    }
                }
                self.selection = Some(Arc::new(bits));
                self.selection_key = Some(selection.id);
            }
            None => {
                self.selection = None;
                self.selection_key = None;
            }
            _ => {}
        }
        PointStyle {
            point_size_px: view.point_size * pixels_per_point,
            opacity: view.opacity,
            density: view.density,
            gain: view.density_gain,
            colors: Arc::clone(&self.colors),
            noise_color: rgba(palette::NOISE, styles.visible(NOISE)),
            unlabeled_color: rgba(palette::LEFT_OUT, true),
            selection: self.selection.clone(),
            rasterization: Default::default(),
        }
    }
}
