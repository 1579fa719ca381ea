//! Pixel segmentation: GPU passes against their CPU twins on lavapipe, quality on images
//! with known regions.

mod common;

use clusterscope::cluster::{BackendChoice, RunContext};
use clusterscope::metrics::adjusted_rand_index;
use clusterscope::segment::{self, ColorSpace, SegmentAlgorithm, SegmentParams};
use clusterscope::synthetic::regions_image;

fn params(algorithm: SegmentAlgorithm, k: usize, space: ColorSpace) -> SegmentParams {
    SegmentParams {
        algorithm,
        k,
        space,
        ..SegmentParams::default()
    }
}

fn gpu_equals_cpu(width: u32, height: u32, params: &SegmentParams, what: &str) {
    let (image, _) = regions_image(width, height, 9, 12.0, 7);
    let mut engine = common::gpu_engine();
    let context = RunContext::default();
    let gpu = segment::segment(&mut engine, &image, params, BackendChoice::Gpu, &context)
        .unwrap_or_else(|e| panic!("{what}: GPU run failed: {e}"));
    let cpu = segment::segment(&mut engine, &image, params, BackendChoice::Cpu, &context)
        .unwrap_or_else(|e| panic!("{what}: CPU run failed: {e}"));
    assert_eq!(gpu.diagnostics.backend.name(), "gpu", "{what}");
    assert_eq!(gpu.n_segments, cpu.n_segments, "{what}");
    assert_eq!(
        gpu.diagnostics.iterations, cpu.diagnostics.iterations,
        "{what}"
    );
    let differing = gpu
        .labels
        .iter()
        .zip(&cpu.labels)
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(differing, 0, "{what}: {differing} pixels differ");
}

#[test]
fn slic_on_the_gpu_equals_the_cpu_twin() {
    // Widths that are not multiples of the workgroup, grids with 1..many cells.
    gpu_equals_cpu(
        203,
        117,
        &params(SegmentAlgorithm::Slic, 60, ColorSpace::Lab),
        "lab k=60",
    );
    gpu_equals_cpu(
        64,
        300,
        &params(SegmentAlgorithm::Slic, 6, ColorSpace::Rgb),
        "rgb k=6",
    );
    gpu_equals_cpu(
        31,
        17,
        &params(SegmentAlgorithm::Slic, 1, ColorSpace::Hsv),
        "hsv k=1",
    );
    let mut compact = params(SegmentAlgorithm::Slic, 400, ColorSpace::Lab);
    compact.spatial_weight = Some(40.0);
    gpu_equals_cpu(257, 129, &compact, "lab k=400 m=40");
}

#[test]
fn kmeans_on_pixels_on_the_gpu_equals_the_cpu() {
    gpu_equals_cpu(
        150,
        100,
        &params(SegmentAlgorithm::Kmeans, 5, ColorSpace::Rgb),
        "rgb",
    );
    let mut spatial = params(SegmentAlgorithm::Kmeans, 7, ColorSpace::Lab);
    spatial.spatial_weight = Some(0.5);
    gpu_equals_cpu(150, 100, &spatial, "lab + xy");
}

#[test]
fn kmeans_recovers_flat_coloured_regions() {
    let (image, truth) = regions_image(120, 90, 4, 6.0, 3);
    let mut engine = clusterscope::cluster::Engine::cpu_only("test");
    for space in ColorSpace::ALL {
        let result = segment::segment(
            &mut engine,
            &image,
            &params(SegmentAlgorithm::Kmeans, 4, space),
            BackendChoice::Cpu,
            &RunContext::default(),
        )
        .unwrap();
        let ari = adjusted_rand_index(&truth, &result.labels);
        assert!(ari > 0.99, "{space:?}: ARI {ari}");
    }
}

#[test]
fn slic_superpixels_are_connected_and_follow_region_edges() {
    let (image, truth) = regions_image(160, 120, 5, 6.0, 11);
    let mut engine = clusterscope::cluster::Engine::cpu_only("test");
    let result = segment::segment(
        &mut engine,
        &image,
        &params(SegmentAlgorithm::Slic, 48, ColorSpace::Lab),
        BackendChoice::Cpu,
        &RunContext::default(),
    )
    .unwrap();
    assert!(
        (30..=70).contains(&result.n_segments),
        "{}",
        result.n_segments
    );
    // Each superpixel lies (almost) inside one true region: purity over 97%.
    let mut majority = 0usize;
    for s in 0..result.n_segments as u32 {
        let mut counts = [0usize; 5];
        for (l, t) in result.labels.iter().zip(&truth) {
            if *l == s {
                counts[*t as usize] += 1;
            }
        }
        majority += counts.iter().max().unwrap();
    }
    let purity = majority as f64 / truth.len() as f64;
    assert!(purity > 0.97, "purity {purity}");
    // Connected: relabelling with no merging changes nothing.
    let (relabelled, count) = segment::slic::enforce_connectivity(
        &result.labels,
        image.width as usize,
        image.height as usize,
        0,
    );
    assert_eq!(count, result.n_segments);
    assert!(clusterscope::metrics::same_partition(
        &relabelled,
        &result.labels
    ));
}
