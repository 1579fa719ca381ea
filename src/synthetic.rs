//! Seeded synthetic data with known labels: for the demo table, tests and benchmarks.

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::matrix::Matrix;

/// Points drawn around known centres.
pub struct Blobs {
    pub points: Matrix,
    pub labels: Vec<u32>,
    pub centers: Matrix,
}

/// `n` points in `d` dimensions around `k` centres drawn uniformly in [-10, 10]^d, with
/// isotropic Gaussian noise of standard deviation `spread`; points cycle through clusters.
pub fn gaussian_blobs(n: usize, d: usize, k: usize, spread: f32, seed: u64) -> Blobs {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let centers: Vec<f32> = (0..k * d).map(|_| rng.gen_range(-10.0..10.0)).collect();
    let noise = Normal::new(0.0f32, spread.max(f32::MIN_POSITIVE)).unwrap_or_else(|_| {
        Normal::new(0.0, 1.0).unwrap_or_else(|_| unreachable!("unit normal is valid"))
    });
    let mut values = Vec::with_capacity(n * d);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let cluster = i % k.max(1);
        labels.push(cluster as u32);
        for j in 0..d {
            values.push(centers[cluster * d + j] + noise.sample(&mut rng));
        }
    }
    Blobs {
        points: Matrix::new(n, d, values),
        labels,
        centers: Matrix::new(k, d, centers),
    }
}

/// Uniform random points in [0, 1)^d (benchmarks: no structure to exploit).
pub fn uniform(n: usize, d: usize, seed: u64) -> Matrix {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    Matrix::new(n, d, (0..n * d).map(|_| rng.r#gen::<f32>()).collect())
}

/// An image of `regions` Voronoi cells, each a random colour, with Gaussian noise of
/// `noise` (8-bit units) on every channel; returns the image and each pixel's cell.
pub fn regions_image(
    width: u32,
    height: u32,
    regions: usize,
    noise: f32,
    seed: u64,
) -> (crate::segment::PixelImage, Vec<u32>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let regions = regions.max(1);
    let sites: Vec<[f32; 2]> = (0..regions)
        .map(|_| {
            [
                rng.gen_range(0.0..width as f32),
                rng.gen_range(0.0..height as f32),
            ]
        })
        .collect();
    let colours: Vec<[f32; 3]> = (0..regions)
        .map(|_| [0; 3].map(|_: i32| rng.gen_range(20.0..235.0)))
        .collect();
    let noise = Normal::new(0.0f32, noise.max(f32::MIN_POSITIVE))
        .unwrap_or_else(|_| Normal::new(0.0, 1.0).unwrap_or_else(|_| unreachable!()));
    let mut pixels = Vec::with_capacity(width as usize * height as usize);
    let mut truth = Vec::with_capacity(pixels.capacity());
    for y in 0..height {
        for x in 0..width {
            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
            let cell = (0..regions)
                .min_by(|&a, &b| {
                    let d = |s: [f32; 2]| (s[0] - px).powi(2) + (s[1] - py).powi(2);
                    d(sites[a]).total_cmp(&d(sites[b]))
                })
                .unwrap_or(0);
            truth.push(cell as u32);
            pixels
                .push(colours[cell].map(|c| (c + noise.sample(&mut rng)).clamp(0.0, 255.0) as u8));
        }
    }
    (
        crate::segment::PixelImage::from_rgb8(width, height, &pixels),
        truth,
    )
}
