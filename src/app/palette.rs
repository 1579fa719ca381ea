//! Cluster colours: Tableau 10 first (distinguishable, colour-blind aware), then golden-angle
//! hues so any k up to thousands still gets distinct colours.

use eframe::egui::{Color32, ecolor::Hsva};

const TABLEAU: [Color32; 10] = [
    Color32::from_rgb(78, 121, 167),
    Color32::from_rgb(242, 142, 43),
    Color32::from_rgb(225, 87, 89),
    Color32::from_rgb(118, 183, 178),
    Color32::from_rgb(89, 161, 79),
    Color32::from_rgb(237, 201, 72),
    Color32::from_rgb(176, 122, 161),
    Color32::from_rgb(255, 157, 167),
    Color32::from_rgb(156, 117, 95),
    Color32::from_rgb(186, 176, 172),
];

/// Grey for rows that were left out of clustering.
pub const LEFT_OUT: Color32 = Color32::from_gray(120);

/// Noise points (DBSCAN, HDBSCAN, OPTICS): a light grey, drawn smaller.
pub const NOISE: Color32 = Color32::from_gray(170);

/// The colour of a label, noise included.
pub fn label_color(label: u32) -> Color32 {
    if label == crate::cluster::NOISE {
        NOISE
    } else {
        cluster_color(label as usize)
    }
}

/// The colour of cluster `index`.
pub fn cluster_color(index: usize) -> Color32 {
    if let Some(color) = TABLEAU.get(index) {
        return *color;
    }
    let hue = (index as f32 * 0.618_034).fract();
    let value = if index.is_multiple_of(2) { 0.85 } else { 0.65 };
    Hsva::new(hue, 0.65, value, 1.0).into()
}
