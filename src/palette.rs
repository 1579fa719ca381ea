//! Cluster colours: Tableau 10 first (distinguishable, colour-blind aware), then 54 more
//! picked greedily for the largest CIELAB distance to every colour already chosen (64 in
//! all), then golden-angle hues so any k up to thousands still gets a colour.

use std::sync::OnceLock;

use eframe::egui::{Color32, ecolor::Hsva};

use crate::color::{delta_e, srgb_to_lab};

/// Colours in the fixed palette.
pub const PALETTE_SIZE: usize = 64;

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

/// The fixed palette: Tableau 10, then farthest-point picks in CIELAB from an sRGB grid,
/// leaving out greys (noise is grey) and near-black/near-white.
pub fn palette() -> &'static [Color32; PALETTE_SIZE] {
    static PALETTE: OnceLock<[Color32; PALETTE_SIZE]> = OnceLock::new();
    PALETTE.get_or_init(|| {
        let levels = [0u8, 40, 80, 120, 160, 200, 240];
        let mut grid = Vec::new();
        for r in levels {
            for g in levels {
                for b in levels {
                    grid.push([r, g, b]);
                }
            }
        }
        let candidates: Vec<([u8; 3], [f32; 3])> = grid
            .into_iter()
            .map(|rgb| (rgb, srgb_to_lab(rgb)))
            .filter(|(_, lab)| {
                let chroma = (lab[1] * lab[1] + lab[2] * lab[2]).sqrt();
                chroma > 25.0 && (25.0..=92.0).contains(&lab[0])
            })
            .collect();
        let mut chosen: Vec<[f32; 3]> = TABLEAU
            .iter()
            .map(|c| srgb_to_lab([c.r(), c.g(), c.b()]))
            .collect();
        let mut colors = TABLEAU.to_vec();
        // Distance from each candidate to its nearest chosen colour.
        let mut nearest: Vec<f32> = candidates
            .iter()
            .map(|(_, lab)| {
                chosen
                    .iter()
                    .map(|c| delta_e(*c, *lab))
                    .fold(f32::MAX, f32::min)
            })
            .collect();
        while colors.len() < PALETTE_SIZE {
            let (best, _) = nearest
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .expect("candidates");
            let (rgb, lab) = candidates[best];
            colors.push(Color32::from_rgb(rgb[0], rgb[1], rgb[2]));
            chosen.push(lab);
            for (distance, (_, candidate)) in nearest.iter_mut().zip(&candidates) {
                *distance = distance.min(delta_e(lab, *candidate));
            }
        }
        colors.try_into().expect("64 colours")
    })
}

/// The colour of cluster `index`.
pub fn cluster_color(index: usize) -> Color32 {
    if let Some(color) = palette().get(index) {
        return *color;
    }
    let hue = (index as f32 * 0.618_034).fract();
    let value = if index.is_multiple_of(2) { 0.85 } else { 0.65 };
    Hsva::new(hue, 0.65, value, 1.0).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixty_four_colours_are_distinct_and_not_grey() {
        let labs: Vec<[f32; 3]> = palette()
            .iter()
            .map(|c| srgb_to_lab([c.r(), c.g(), c.b()]))
            .collect();
        let mut closest = f32::MAX;
        for i in 0..labs.len() {
            for j in 0..i {
                closest = closest.min(delta_e(labs[i], labs[j]));
            }
        }
        // The Tableau 10 pair (light red, pink) is the closest at ~12 ΔE; the picks add none closer.
        assert!(closest > 10.0, "closest pair ΔE {closest}");
        let noise = srgb_to_lab([NOISE.r(), NOISE.g(), NOISE.b()]);
        // Tableau's own grey (index 9) is the exception; none of the picks is grey.
        assert!(labs[10..].iter().all(|l| delta_e(*l, noise) > 15.0));
    }
}
