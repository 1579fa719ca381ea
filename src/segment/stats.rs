//! Per-segment figures: size, mean colour, centroid and bounding box.

use std::io::Write;
use std::path::Path;

use super::{PixelImage, Segmentation};
use crate::data::{DataError, write_atomically};

/// One segment's figures. Colours are 8-bit sRGB means whatever the source depth.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentStats {
    pub id: u32,
    pub pixel_count: u64,
    pub mean_rgb: [f64; 3],
    /// Mean pixel position (pixel centres at +0.5).
    pub centroid: [f64; 2],
    /// Inclusive `x_min, y_min, x_max, y_max`.
    pub bbox: [u32; 4],
}

/// Figures of every segment `0..n_segments` (an unused id gets a zero count).
pub fn segment_stats(image: &PixelImage, segmentation: &Segmentation) -> Vec<SegmentStats> {
    label_stats(image, &segmentation.labels, segmentation.n_segments)
}

/// [`segment_stats`] for labels `0..n` given directly (one per pixel).
pub fn label_stats(image: &PixelImage, labels: &[u32], n: usize) -> Vec<SegmentStats> {
    let mut count = vec![0u64; n];
    let mut colour = vec![[0f64; 3]; n];
    let mut position = vec![[0f64; 2]; n];
    let mut bbox = vec![[u32::MAX, u32::MAX, 0, 0]; n];
    let width = image.width as usize;
    for (p, &label) in labels.iter().enumerate() {
        let s = label as usize;
        if s >= n {
            continue;
        }
        let (x, y) = ((p % width) as u32, (p / width) as u32);
        count[s] += 1;
        for (c, &v) in image.pixels[p].iter().enumerate() {
            colour[s][c] += v as f64;
        }
        position[s][0] += x as f64 + 0.5;
        position[s][1] += y as f64 + 0.5;
        let b = &mut bbox[s];
        b[0] = b[0].min(x);
        b[1] = b[1].min(y);
        b[2] = b[2].max(x);
        b[3] = b[3].max(y);
    }
    (0..n)
        .map(|s| {
            let size = count[s].max(1) as f64;
            SegmentStats {
                id: s as u32,
                pixel_count: count[s],
                mean_rgb: colour[s].map(|v| v / size / 257.0),
                centroid: position[s].map(|v| v / size),
                bbox: if count[s] == 0 { [0; 4] } else { bbox[s] },
            }
        })
        .collect()
}

/// The per-segment CSV header.
pub const CSV_HEADER: &str = "segment,pixel_count,mean_r,mean_g,mean_b,centroid_x,centroid_y,\
                              bbox_x_min,bbox_y_min,bbox_x_max,bbox_y_max";

/// Writes one row per segment to `output`, atomically, never over `input`.
/// With `record`, a `.clusterscope.json` beside it says how it was made.
pub fn write_segments_csv(
    stats: &[SegmentStats],
    output: &Path,
    input: Option<&Path>,
    record: Option<&super::provenance::SegmentRecord>,
) -> Result<(), DataError> {
    if let Some(record) = record {
        let json = record.for_output("segments").to_json();
        write_atomically(&crate::data::sidecar_path(output), input, |file| {
            use std::io::Write;
            file.write_all(json.as_bytes()).map_err(|e| e.to_string())
        })?;
    }
    write_atomically(output, input, |file| {
        let mut out = std::io::BufWriter::new(file);
        let result = (|| -> std::io::Result<()> {
            writeln!(out, "{CSV_HEADER}")?;
            for s in stats {
                writeln!(
                    out,
                    "{},{},{:.3},{:.3},{:.3},{:.3},{:.3},{},{},{},{}",
                    s.id,
                    s.pixel_count,
                    s.mean_rgb[0],
                    s.mean_rgb[1],
                    s.mean_rgb[2],
                    s.centroid[0],
                    s.centroid[1],
                    s.bbox[0],
                    s.bbox[1],
                    s.bbox[2],
                    s.bbox[3]
                )?;
            }
            out.flush()
        })();
        result.map_err(|e| e.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Backend, RunDiagnostics};

    #[test]
    fn figures_match_a_hand_computed_case() {
        // 3 × 2: segment 0 = the left column, segment 1 = the rest.
        let image = PixelImage::from_rgb8(
            3,
            2,
            &[
                [10, 20, 30],
                [200, 0, 0],
                [100, 0, 0],
                [30, 40, 50],
                [0, 200, 0],
                [0, 100, 0],
            ],
        );
        let segmentation = Segmentation {
            width: 3,
            height: 2,
            labels: vec![0, 1, 1, 0, 1, 1],
            n_segments: 2,
            inertia: None,
            diagnostics: RunDiagnostics {
                backend: Backend::Cpu,
                adapter: String::new(),
                iterations: 0,
                converged: true,
                elapsed_ms: 0.0,
            },
        };
        let stats = segment_stats(&image, &segmentation);
        assert_eq!(stats[0].pixel_count, 2);
        assert_eq!(stats[0].mean_rgb, [20.0, 30.0, 40.0]);
        assert_eq!(stats[0].centroid, [0.5, 1.0]);
        assert_eq!(stats[0].bbox, [0, 0, 0, 1]);
        assert_eq!(stats[1].pixel_count, 4);
        assert_eq!(stats[1].mean_rgb, [75.0, 75.0, 0.0]);
        assert_eq!(stats[1].centroid, [2.0, 1.0]);
        assert_eq!(stats[1].bbox, [1, 0, 2, 1]);
    }
}
