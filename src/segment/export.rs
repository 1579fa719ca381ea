//! Images out of a segmentation: the label mask (8-bit up to 256 segments, else 16-bit)
//! and the image with segment colours over it. Written atomically, never over the source.

use std::path::Path;

use super::provenance::{PNG_KEYWORD, SegmentRecord};
use super::{PixelImage, Segmentation};
use crate::data::{DataError, write_atomically};

/// How the overlay is drawn.
#[derive(Clone, Debug)]
pub struct OverlayStyle {
    /// 0 = the image only, 1 = segment colours only.
    pub opacity: f32,
    /// Draw a line where neighbouring pixels belong to different segments.
    pub boundaries: bool,
    /// Colour of each segment id (8-bit sRGB); `None` leaves the segment uncoloured.
    pub colours: Vec<Option<[u8; 3]>>,
}

impl OverlayStyle {
    /// Palette colours for `n` segments.
    pub fn palette(n: usize, opacity: f32, boundaries: bool) -> Self {
        Self {
            opacity,
            boundaries,
            colours: (0..n)
                .map(|s| {
                    let [r, g, b, _] = crate::palette::cluster_color(s).to_array();
                    Some([r, g, b])
                })
                .collect(),
        }
    }
}

/// Colour of boundary lines.
pub const BOUNDARY: [u8; 3] = [255, 255, 255];

/// Pixels whose right or lower neighbour is in another segment.
pub fn boundaries(segmentation: &Segmentation) -> Vec<bool> {
    let (width, height) = (segmentation.width as usize, segmentation.height as usize);
    let labels = &segmentation.labels;
    (0..labels.len())
        .map(|p| {
            let (x, y) = (p % width, p / width);
            (x + 1 < width && labels[p + 1] != labels[p])
                || (y + 1 < height && labels[p + width] != labels[p])
        })
        .collect()
}

/// The image with segment colours blended in, as 8-bit RGB rows.
pub fn overlay_rgb(
    image: &PixelImage,
    segmentation: &Segmentation,
    style: &OverlayStyle,
) -> Vec<u8> {
    let edges = style.boundaries.then(|| boundaries(segmentation));
    let alpha = style.opacity.clamp(0.0, 1.0);
    let mut out = Vec::with_capacity(image.n_pixels() * 3);
    for (p, &label) in segmentation.labels.iter().enumerate() {
        let base = image.rgb8(p);
        let pixel = if edges.as_ref().is_some_and(|e| e[p]) {
            BOUNDARY
        } else {
            match style.colours.get(label as usize).copied().flatten() {
                Some(colour) => std::array::from_fn(|c| {
                    (base[c] as f32 * (1.0 - alpha) + colour[c] as f32 * alpha).round() as u8
                }),
                None => base,
            }
        };
        out.extend_from_slice(&pixel);
    }
    out
}

/// Bits per mask pixel: 8 while every id fits in a byte, else 16. Noise (pixels of no
/// segment) takes the largest value, 255 or 65535, so it needs one id more.
pub fn mask_bits(segmentation: &Segmentation) -> u8 {
    let ids = segmentation.n_segments + super::superpixels::has_noise(segmentation) as usize;
    if ids <= 256 { 8 } else { 16 }
}

fn write_png(
    output: &Path,
    input: Option<&Path>,
    bytes: &[u8],
    (width, height): (u32, u32),
    (colour, depth): (png::ColorType, png::BitDepth),
    record: Option<&SegmentRecord>,
) -> Result<(), DataError> {
    write_atomically(output, input, |file| {
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
        encoder.set_color(colour);
        encoder.set_depth(depth);
        if let Some(record) = record {
            encoder
                .add_itxt_chunk(PNG_KEYWORD.into(), record.to_json())
                .map_err(|e| e.to_string())?;
        }
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(bytes).map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())
    })
}

/// Writes the label mask: pixel value = segment id; noise 255 (8-bit) or 65535 (16-bit).
/// `record`, when given, is stored in the file (see [`super::provenance`]).
pub fn write_mask(
    segmentation: &Segmentation,
    output: &Path,
    input: Option<&Path>,
    record: Option<&SegmentRecord>,
) -> Result<(), DataError> {
    let size = (segmentation.width, segmentation.height);
    let record = record.map(|r| r.for_output("mask"));
    // `NOISE` (u32::MAX) truncates to the largest value of either depth.
    if mask_bits(segmentation) == 8 {
        let bytes: Vec<u8> = segmentation.labels.iter().map(|&l| l as u8).collect();
        let format = (png::ColorType::Grayscale, png::BitDepth::Eight);
        write_png(output, input, &bytes, size, format, record.as_ref())
    } else {
        // PNG stores 16-bit samples big-endian.
        let bytes: Vec<u8> = segmentation
            .labels
            .iter()
            .flat_map(|&l| (l as u16).to_be_bytes())
            .collect();
        let format = (png::ColorType::Grayscale, png::BitDepth::Sixteen);
        write_png(output, input, &bytes, size, format, record.as_ref())
    }
}

/// Writes the coloured overlay.
pub fn write_overlay(
    image: &PixelImage,
    segmentation: &Segmentation,
    style: &OverlayStyle,
    output: &Path,
    input: Option<&Path>,
    record: Option<&SegmentRecord>,
) -> Result<(), DataError> {
    let rgb = overlay_rgb(image, segmentation, style);
    write_png(
        output,
        input,
        &rgb,
        (segmentation.width, segmentation.height),
        (png::ColorType::Rgb, png::BitDepth::Eight),
        record.map(|r| r.for_output("overlay")).as_ref(),
    )
}
