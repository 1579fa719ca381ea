//! Scoring segmentations against human ones (`clusterscope eval segmentation`): Weizmann
//! horses by the best foreground IoU reachable by merging segments, BSDS500 by the
//! probabilistic Rand index against all five annotators. An evaluation, not a test: it
//! reads research-only data from outside the repository.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::{ColorSpace, SegmentAlgorithm, SegmentParams, load_image, segment};
use crate::cluster::hierarchy::{Agglomerative, AgglomerativeParams, Cut, Linkage};
use crate::cluster::{AlgorithmParams, BackendChoice, Engine, RunContext};

/// One way of segmenting that the evaluation scores.
#[derive(Clone, Debug)]
pub struct Setting {
    pub name: &'static str,
    pub algorithm: SegmentAlgorithm,
    pub space: ColorSpace,
    pub spatial_weight: Option<f64>,
}

pub const SETTINGS: [Setting; 5] = [
    Setting {
        name: "kmeans rgb",
        algorithm: SegmentAlgorithm::Kmeans,
        space: ColorSpace::Rgb,
        spatial_weight: None,
    },
    Setting {
        name: "kmeans lab",
        algorithm: SegmentAlgorithm::Kmeans,
        space: ColorSpace::Lab,
        spatial_weight: None,
    },
    Setting {
        name: "kmeans lab+xy0.5",
        algorithm: SegmentAlgorithm::Kmeans,
        space: ColorSpace::Lab,
        spatial_weight: Some(0.5),
    },
    Setting {
        name: "slic lab m10",
        algorithm: SegmentAlgorithm::Slic,
        space: ColorSpace::Lab,
        spatial_weight: None,
    },
    Setting {
        name: "ward on 2000 superpixels lab",
        algorithm: SegmentAlgorithm::Superpixels,
        space: ColorSpace::Lab,
        spatial_weight: None,
    },
];

impl Setting {
    fn params(&self, k: usize) -> SegmentParams {
        SegmentParams {
            algorithm: self.algorithm,
            k,
            space: self.space,
            spatial_weight: self.spatial_weight,
            // Superpixel settings: Ward on the superpixels' mean colours, cut at k.
            cluster: Some(AlgorithmParams::of::<Agglomerative>(
                &AgglomerativeParams::new(Linkage::Ward, Cut::Clusters(k)),
            )),
            ..SegmentParams::default()
        }
    }
}

/// Best IoU with `foreground` of any union of segments. The optimum of this linear-
/// fractional choice takes segments in decreasing order of their foreground share, so the
/// best prefix of that order is exact.
pub fn best_merged_iou(labels: &[u32], n_segments: usize, foreground: &[bool]) -> f64 {
    let mut inside = vec![0u64; n_segments];
    let mut size = vec![0u64; n_segments];
    for (&l, &f) in labels.iter().zip(foreground) {
        size[l as usize] += 1;
        inside[l as usize] += f as u64;
    }
    let total_foreground: u64 = inside.iter().sum();
    let mut order: Vec<usize> = (0..n_segments).filter(|&s| size[s] > 0).collect();
    order.sort_by(|&a, &b| {
        (inside[b] as f64 / size[b] as f64).total_cmp(&(inside[a] as f64 / size[a] as f64))
    });
    let (mut intersection, mut union, mut best) = (0u64, total_foreground, 0f64);
    for s in order {
        intersection += inside[s];
        union += size[s] - inside[s];
        if union > 0 {
            best = best.max(intersection as f64 / union as f64);
        }
    }
    best
}

/// Rand index between two labelings (fraction of pixel pairs on which they agree).
pub fn rand_index(a: &[u32], b: &[u32]) -> f64 {
    use std::collections::HashMap;
    let pairs = |n: u64| n as f64 * (n as f64 - 1.0) / 2.0;
    let mut joint: HashMap<(u32, u32), u64> = HashMap::new();
    let mut rows: HashMap<u32, u64> = HashMap::new();
    let mut columns: HashMap<u32, u64> = HashMap::new();
    for (&x, &y) in a.iter().zip(b) {
        *joint.entry((x, y)).or_default() += 1;
        *rows.entry(x).or_default() += 1;
        *columns.entry(y).or_default() += 1;
    }
    let n = a.len() as u64;
    let same_both: f64 = joint.values().map(|&c| pairs(c)).sum();
    let same_a: f64 = rows.values().map(|&c| pairs(c)).sum();
    let same_b: f64 = columns.values().map(|&c| pairs(c)).sum();
    let total = pairs(n);
    if total == 0.0 {
        return 1.0;
    }
    (total + 2.0 * same_both - same_a - same_b) / total
}

/// Probabilistic Rand index: the pair-agreement probability is linear in each annotator's
/// vote, so it equals the mean Rand index over the annotators.
pub fn probabilistic_rand_index(labels: &[u32], truths: &[Vec<u32>]) -> f64 {
    truths.iter().map(|t| rand_index(labels, t)).sum::<f64>() / truths.len().max(1) as f64
}

fn read_labels(path: &Path) -> anyhow::Result<(u32, u32, Vec<u32>)> {
    let image = image::open(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .into_luma16();
    let (w, h) = image.dimensions();
    Ok((w, h, image.pixels().map(|p| p[0] as u32).collect()))
}

fn files_ending(folder: &Path, suffix: &str) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .with_context(|| format!("cannot list {}", folder.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    Ok(files)
}

/// Runs both evaluations on `data` (the `segmentation/` folder) and prints tables.
pub fn run(data: &Path, backend: BackendChoice) -> anyhow::Result<()> {
    let mut engine = Engine::headless();
    let context = RunContext::default();
    let horses = files_ending(&data.join("weizmann_horse"), "_rgb_small.png")?;
    let photos = files_ending(&data.join("bsds500"), ".jpg")?;
    if horses.is_empty() && photos.is_empty() {
        bail!(
            "no weizmann_horse/*_rgb_small.png or bsds500/*.jpg under {}",
            data.display()
        );
    }
    println!("## Weizmann horses: best foreground IoU by merging segments, k = 2..6");
    println!("| image | {} |", SETTINGS.map(|s| s.name).join(" | "));
    println!("|---|{}", "---|".repeat(SETTINGS.len()));
    let mut totals = vec![0f64; SETTINGS.len()];
    for photo in &horses {
        let mask_path = PathBuf::from(
            photo
                .to_string_lossy()
                .replace("_rgb_small.png", "_mask.png"),
        );
        let image = load_image(photo)?;
        let (w, h, mask) = read_labels(&mask_path)?;
        if (w, h) != (image.width, image.height) {
            bail!("{} and its mask differ in size", photo.display());
        }
        let foreground: Vec<bool> = mask.iter().map(|&m| m > 0).collect();
        let mut cells = Vec::new();
        for (i, setting) in SETTINGS.iter().enumerate() {
            let mut best = (0f64, 0usize);
            for k in 2..=6 {
                let result = segment(&mut engine, &image, &setting.params(k), backend, &context)?;
                let iou = best_merged_iou(&result.labels, result.n_segments, &foreground);
                if iou > best.0 {
                    best = (iou, k);
                }
            }
            totals[i] += best.0;
            cells.push(format!("{:.3} (k={})", best.0, best.1));
        }
        println!("| {} | {} |", image.name(), cells.join(" | "));
    }
    if !horses.is_empty() {
        let means: Vec<String> = totals
            .iter()
            .map(|t| format!("{:.3}", t / horses.len() as f64))
            .collect();
        println!("| **mean** | {} |", means.join(" | "));
    }

    let ks = [3usize, 6, 9];
    println!();
    println!("## BSDS500: probabilistic Rand index against the 5 human segmentations");
    let header: Vec<String> = SETTINGS
        .iter()
        .flat_map(|s| ks.map(|k| format!("{} k={k}", s.name)))
        .collect();
    println!("| image | {} |", header.join(" | "));
    println!("|---|{}", "---|".repeat(header.len()));
    let mut totals = vec![0f64; header.len()];
    for photo in &photos {
        let stem = photo.with_extension("");
        let truths: Vec<Vec<u32>> = (0..5)
            .map(|j| read_labels(Path::new(&format!("{}-{j}.png", stem.display()))).map(|t| t.2))
            .collect::<anyhow::Result<_>>()?;
        let image = load_image(photo)?;
        let mut cells = Vec::new();
        for setting in &SETTINGS {
            for k in ks {
                let result = segment(&mut engine, &image, &setting.params(k), backend, &context)?;
                let pri = probabilistic_rand_index(&result.labels, &truths);
                totals[cells.len()] += pri;
                cells.push(format!("{pri:.3}"));
            }
        }
        println!("| {} | {} |", image.name(), cells.join(" | "));
    }
    if !photos.is_empty() {
        let means: Vec<String> = totals
            .iter()
            .map(|t| format!("{:.3}", t / photos.len() as f64))
            .collect();
        println!("| **mean** | {} |", means.join(" | "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_iou_picks_the_best_union() {
        // Segment 0: all foreground; 1: half; 2: background.
        let labels = [0, 0, 1, 1, 2, 2];
        let foreground = [true, true, true, false, false, false];
        // {0}: 2/3; {0,1}: 3/4; {0,1,2}: 3/6.
        assert!((best_merged_iou(&labels, 3, &foreground) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn rand_index_by_hand() {
        assert_eq!(rand_index(&[0, 0, 1, 1], &[5, 5, 7, 7]), 1.0);
        // Pairs: (01) same/same, (02) diff/same, (03) diff/diff, (12) diff/same,
        // (13) diff/diff, (23) same/diff -> agreements 3 of 6.
        assert!((rand_index(&[0, 0, 1, 1], &[0, 0, 0, 1]) - 0.5).abs() < 1e-12);
        let truths = vec![vec![5, 5, 7, 7], vec![0, 0, 0, 1]];
        assert!((probabilistic_rand_index(&[0, 0, 1, 1], &truths) - 0.75).abs() < 1e-12);
    }
}
