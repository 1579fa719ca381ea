//! Per-pixel feature vectors: a colour space (each axis spanning about 0..100, so the
//! spaces weigh alike) and optionally the pixel's x/y scaled by a spatial weight.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::image_io::PixelImage;
use crate::color::{unit_srgb_to_hsv, unit_srgb_to_lab};
use crate::matrix::Matrix;

/// Colour coordinates a pixel is clustered in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ColorSpace {
    /// sRGB, each channel scaled to 0..100.
    #[default]
    Rgb,
    /// CIELAB (D65): L* 0..100, a*/b* about -100..100; distances follow perceived difference.
    Lab,
    /// HSV as a cylinder, (S·cos H, S·sin H, V) × 100, so hues 359° and 1° are neighbours.
    Hsv,
}

impl ColorSpace {
    pub const ALL: [ColorSpace; 3] = [ColorSpace::Rgb, ColorSpace::Lab, ColorSpace::Hsv];

    pub fn name(self) -> &'static str {
        match self {
            ColorSpace::Rgb => "rgb",
            ColorSpace::Lab => "lab",
            ColorSpace::Hsv => "hsv",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ColorSpace::Rgb => "RGB",
            ColorSpace::Lab => "CIELAB",
            ColorSpace::Hsv => "HSV",
        }
    }

    /// Names of the three colour features, in order.
    pub fn axis_names(self) -> [&'static str; 3] {
        match self {
            ColorSpace::Rgb => ["R", "G", "B"],
            ColorSpace::Lab => ["L*", "a*", "b*"],
            ColorSpace::Hsv => ["S·cos H", "S·sin H", "V"],
        }
    }

    /// One pixel (sRGB components in 0..=1) in this space.
    pub fn convert(self, rgb: [f32; 3]) -> [f32; 3] {
        match self {
            ColorSpace::Rgb => rgb.map(|c| c * 100.0),
            ColorSpace::Lab => unit_srgb_to_lab(rgb),
            ColorSpace::Hsv => {
                let [hue, saturation, value] = unit_srgb_to_hsv(rgb);
                let radians = hue.to_radians();
                [
                    100.0 * saturation * radians.cos(),
                    100.0 * saturation * radians.sin(),
                    100.0 * value,
                ]
            }
        }
    }
}

/// How x/y join the features.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spatial {
    /// Feature units per pixel; 0 leaves x/y out.
    pub scale: f32,
}

impl Spatial {
    /// k-means' spatial weight: at weight 1 the image's longer side spans 100 units, the
    /// range of one colour axis.
    pub fn from_weight(weight: f64, width: u32, height: u32) -> Self {
        Self {
            scale: (weight * 100.0 / width.max(height).max(1) as f64) as f32,
        }
    }

    pub fn is_used(self) -> bool {
        self.scale > 0.0
    }
}

/// The pixels of `image` as rows of `[colour; 3]` or `[colour; 3, x, y]` (x/y at pixel
/// centres times `spatial.scale`), row-major over the image.
pub fn pixel_features(image: &PixelImage, space: ColorSpace, spatial: Spatial) -> Matrix {
    let d = if spatial.is_used() { 5 } else { 3 };
    let width = image.width as usize;
    let mut values = vec![0f32; image.n_pixels() * d];
    values
        .par_chunks_mut(width * d)
        .enumerate()
        .for_each(|(y, row)| {
            for (x, out) in row.chunks_exact_mut(d).enumerate() {
                let colour = space.convert(image.unit_rgb(y * width + x));
                out[..3].copy_from_slice(&colour);
                if d == 5 {
                    out[3] = (x as f32 + 0.5) * spatial.scale;
                    out[4] = (y as f32 + 0.5) * spatial.scale;
                }
            }
        });
    Matrix::new(image.n_pixels(), d, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hsv_cylinder_puts_wrapped_hues_together() {
        let red_low = ColorSpace::Hsv.convert([1.0, 0.0, 0.02]);
        let red_high = ColorSpace::Hsv.convert([1.0, 0.02, 0.0]);
        let distance: f32 = red_low
            .iter()
            .zip(&red_high)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f32>()
            .sqrt();
        assert!(distance < 5.0, "{distance}");
        assert!((ColorSpace::Hsv.convert([0.0, 0.0, 0.0])[2]).abs() < 1e-6);
    }

    #[test]
    fn features_carry_colour_then_scaled_position() {
        let image = PixelImage::from_rgb8(2, 1, &[[255, 0, 0], [0, 0, 255]]);
        let plain = pixel_features(&image, ColorSpace::Rgb, Spatial { scale: 0.0 });
        assert_eq!(plain.n_cols, 3);
        assert_eq!(plain.row(0), &[100.0, 0.0, 0.0]);
        let spatial = Spatial::from_weight(1.0, 2, 1);
        let with_xy = pixel_features(&image, ColorSpace::Rgb, spatial);
        assert_eq!(with_xy.n_cols, 5);
        assert_eq!(with_xy.row(1), &[0.0, 0.0, 100.0, 75.0, 25.0]);
        let lab = pixel_features(&image, ColorSpace::Lab, Spatial { scale: 0.0 });
        assert!((lab.row(0)[0] - 53.24).abs() < 0.05);
    }
}
