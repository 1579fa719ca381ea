//! Pixel segmentation: GPU passes against their CPU twins on lavapipe, quality on images
//! with known regions.

mod common;

use std::sync::Arc;

use clusterscope::cluster::density::hdbscan::{Hdbscan, HdbscanParams};
use clusterscope::cluster::hierarchy::{Agglomerative, AgglomerativeParams, Cut, Linkage};
use clusterscope::cluster::{AlgorithmParams, BackendChoice, NOISE, RunContext};
use clusterscope::metrics::adjusted_rand_index;
use clusterscope::segment::superpixels::{SuperpixelCache, SuperpixelKey, superpixels};
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

fn on_superpixels(algorithm: AlgorithmParams, superpixels: usize) -> SegmentParams {
    SegmentParams {
        algorithm: SegmentAlgorithm::Superpixels,
        space: ColorSpace::Lab,
        superpixels,
        cluster: Some(algorithm),
        ..SegmentParams::default()
    }
}

#[test]
fn other_algorithms_on_superpixels_recover_flat_coloured_regions() {
    let (image, truth) = regions_image(160, 120, 5, 6.0, 11);
    let mut engine = clusterscope::cluster::Engine::cpu_only("test");
    let context = RunContext::default();
    let ward = AlgorithmParams::of::<Agglomerative>(&AgglomerativeParams::new(
        Linkage::Ward,
        Cut::Clusters(5),
    ));
    let result = segment::segment(
        &mut engine,
        &image,
        &on_superpixels(ward, 300),
        BackendChoice::Cpu,
        &context,
    )
    .unwrap();
    assert_eq!(result.n_segments, 5);
    let ari = adjusted_rand_index(&truth, &result.labels);
    assert!(ari > 0.97, "Ward on superpixels: ARI {ari}");
    // HDBSCAN finds the regions itself; superpixels of mixed colour on region edges may
    // be noise, but few.
    let hdbscan = AlgorithmParams::of::<Hdbscan>(&HdbscanParams::new(5));
    let result = segment::segment(
        &mut engine,
        &image,
        &on_superpixels(hdbscan, 300),
        BackendChoice::Cpu,
        &context,
    )
    .unwrap();
    let clustered: Vec<usize> = (0..truth.len())
        .filter(|&p| result.labels[p] != NOISE)
        .collect();
    let noise_share = 1.0 - clustered.len() as f64 / truth.len() as f64;
    assert!(noise_share < 0.05, "noise share {noise_share}");
    let ari = adjusted_rand_index(
        &clustered.iter().map(|&p| truth[p]).collect::<Vec<_>>(),
        &clustered
            .iter()
            .map(|&p| result.labels[p])
            .collect::<Vec<_>>(),
    );
    assert_eq!(result.n_segments, 5);
    assert!(ari > 0.97, "HDBSCAN on superpixels: ARI {ari}");
}

#[test]
fn superpixel_hdbscan_on_the_gpu_equals_the_cpu() {
    let hdbscan = AlgorithmParams::of::<Hdbscan>(&HdbscanParams::new(5));
    gpu_equals_cpu(
        203,
        117,
        &on_superpixels(hdbscan, 150),
        "superpixels + HDBSCAN",
    );
}

#[test]
fn superpixels_are_reused_while_only_their_clustering_changes() {
    let (image, _) = regions_image(80, 60, 4, 6.0, 5);
    let mut engine = clusterscope::cluster::Engine::cpu_only("test");
    let context = RunContext::default();
    let ward = |k| {
        AlgorithmParams::of::<Agglomerative>(&AgglomerativeParams::new(
            Linkage::Ward,
            Cut::Clusters(k),
        ))
    };
    let params = on_superpixels(ward(3), 40);
    let features = Arc::new(params.features(&image));
    let mut cache = SuperpixelCache::default();
    let mut computed = 0;
    let mut get = |params: &SegmentParams, features: &Arc<_>, computed: &mut usize| {
        let key = SuperpixelKey::new(params, 80, 60, BackendChoice::Cpu);
        cache
            .get_or_compute(features, key, || {
                *computed += 1;
                superpixels(
                    &mut engine,
                    features,
                    80,
                    60,
                    params,
                    BackendChoice::Cpu,
                    &context,
                )
            })
            .unwrap()
    };
    let first = get(&params, &features, &mut computed);
    // Another cut, another algorithm: the same superpixels, not recomputed.
    let again = get(&on_superpixels(ward(2), 40), &features, &mut computed);
    assert!(Arc::ptr_eq(&first, &again));
    assert_eq!(computed, 1);
    // More superpixels, or new features (another image or colour space): recomputed.
    let finer = on_superpixels(ward(3), 80);
    get(&finer, &Arc::new(finer.features(&image)), &mut computed);
    assert_eq!(computed, 2);
    let copy = Arc::new(params.features(&image));
    get(&params, &copy, &mut computed);
    assert_eq!(computed, 3);
    assert_eq!(first.means.n_rows, first.slic.n_segments);
}
