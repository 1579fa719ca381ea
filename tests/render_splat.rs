//! The splatting path of the point renderer (large clouds, density mode) against the quad
//! path on the same points, offscreen on the wgpu adapter (lavapipe in CI).

use std::sync::Arc;

use clusterscope::gpu::{GpuContext, upload_positions, upload_u32_rows};
use clusterscope::render::{PointCloud, PointRenderer, PointStyle, Rasterization, ViewRequest};
use eframe::egui_wgpu::wgpu;

const SIZE: u32 = 256;
const FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;
const COLORS: [[f32; 4]; 3] = [
    [1.0, 0.0, 0.0, 1.0],
    [0.0, 1.0, 0.0, 1.0],
    [0.0, 0.0, 1.0, 1.0],
];

struct Scene {
    context: GpuContext,
    format: wgpu::TextureFormat,
    renderer: PointRenderer,
    request: ViewRequest,
}

/// Three well separated blobs of 3,000 points each, labelled 0, 1, 2.
fn scene() -> Scene {
    let blobs = clusterscope::synthetic::gaussian_blobs(9_000, 2, 3, 0.6, 4);
    let positions: Vec<[f32; 2]> = blobs
        .points
        .values
        .chunks_exact(2)
        .map(|p| [p[0], p[1]])
        .collect();
    let bounds = clusterscope::app::finite_bounds(&positions);
    scene_of(&positions, &blobs.labels, bounds)
}

fn scene_of(positions: &[[f32; 2]], labels: &[u32], bounds: [f64; 4]) -> Scene {
    let context =
        GpuContext::new_headless().expect("a wgpu adapter (scripts/test installs lavapipe)");
    let cloud = PointCloud::new(
        &upload_positions(&context.device, positions),
        Some(&upload_u32_rows(&context.device, "test::labels", labels)),
    )
    .unwrap();
    let renderer = PointRenderer::new(&context.device, FORMAT);
    let request = ViewRequest {
        view_id: 1,
        cloud,
        style: PointStyle {
            point_size_px: 3.0,
            opacity: 1.0,
            density: false,
            gain: 0.5,
            colors: Arc::new(COLORS.to_vec()),
            noise_color: [0.5, 0.5, 0.5, 1.0],
            unlabeled_color: [0.5, 0.5, 0.5, 1.0],
            selection: None,
            rasterization: Rasterization::Quads,
        },
        bounds,
        viewport_px: [SIZE, SIZE],
        viewport_origin_px: [0.0, 0.0],
    };
    Scene {
        context,
        format: FORMAT,
        renderer,
        request,
    }
}

/// Draws `scene` and reads the pixels back (RGBA, row-major).
fn draw(scene: &mut Scene) -> Vec<[u8; 4]> {
    let device = &scene.context.device;
    let queue = &scene.context.queue;
    let target = device.create_texture(&wgpu::TextureDescriptor {
        label: Some("test::target"),
        size: wgpu::Extent3d {
            width: SIZE,
            height: SIZE,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: scene.format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let readback = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("test::readback"),
        size: (SIZE * SIZE * 4) as u64,
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    });
    let view = target.create_view(&Default::default());
    let mut encoder = device.create_command_encoder(&Default::default());
    scene
        .renderer
        .prepare(device, queue, &mut encoder, &scene.request);
    {
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("test::frame"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: &view,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(wgpu::Color::TRANSPARENT),
                    store: wgpu::StoreOp::Store,
                },
            })],
            ..Default::default()
        });
        scene.renderer.paint(&mut pass, &scene.request);
    }
    encoder.copy_texture_to_buffer(
        target.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &readback,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(SIZE * 4),
                rows_per_image: None,
            },
        },
        wgpu::Extent3d {
            width: SIZE,
            height: SIZE,
            depth_or_array_layers: 1,
        },
    );
    queue.submit([encoder.finish()]);
    readback
        .slice(..)
        .map_async(wgpu::MapMode::Read, |r| r.unwrap());
    device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    let pixels = readback
        .slice(..)
        .get_mapped_range()
        .unwrap()
        .chunks_exact(4)
        .map(|p| [p[0], p[1], p[2], p[3]])
        .collect();
    readback.unmap();
    pixels
}

/// Centroid and count of the pixels whose channel `c` dominates.
fn blob(pixels: &[[u8; 4]], c: usize) -> (f64, f64, usize) {
    let (mut x, mut y, mut n) = (0.0, 0.0, 0);
    for (i, p) in pixels.iter().enumerate() {
        let others = (0..3).filter(|&o| o != c).map(|o| p[o]).max().unwrap();
        if p[3] > 0 && p[c] > 128 && others < 64 {
            x += (i as u32 % SIZE) as f64;
            y += (i as u32 / SIZE) as f64;
            n += 1;
        }
    }
    (x / n.max(1) as f64, y / n.max(1) as f64, n)
}

#[test]
fn splats_put_the_same_points_in_the_same_places_and_colours_as_quads() {
    let mut scene = scene();
    let quads = draw(&mut scene);
    scene.request.style.rasterization = Rasterization::Splats;
    let splats = draw(&mut scene);
    for c in 0..3 {
        let (qx, qy, qn) = blob(&quads, c);
        let (sx, sy, sn) = blob(&splats, c);
        assert!(qn > 200, "cluster {c}: only {qn} pixels drawn by quads");
        assert!(
            (qx - sx).abs() < 1.0 && (qy - sy).abs() < 1.0,
            "cluster {c}: centroid quads ({qx:.1}, {qy:.1}) vs splats ({sx:.1}, {sy:.1})"
        );
        let ratio = sn as f64 / qn as f64;
        assert!(
            (0.75..1.33).contains(&ratio),
            "cluster {c}: {sn} vs {qn} pixels"
        );
    }
    // Nothing drawn where neither path draws.
    let stray = quads
        .iter()
        .zip(&splats)
        .filter(|(q, s)| q[3] == 0 && s[3] > 0)
        .count();
    assert!(
        stray < splats.len() / 100,
        "{stray} pixels drawn by splats only"
    );
}

#[test]
fn density_mode_shows_each_cluster_in_its_colour() {
    let mut scene = scene();
    let quads = draw(&mut scene);
    scene.request.style.density = true;
    let density = draw(&mut scene);
    for c in 0..3 {
        let (qx, qy, _) = blob(&quads, c);
        let (dx, dy, dn) = blob(&density, c);
        assert!(dn > 100, "cluster {c}: {dn} pixels");
        assert!(
            (qx - dx).abs() < 2.0 && (qy - dy).abs() < 2.0,
            "cluster {c}: ({qx:.1}, {qy:.1}) vs ({dx:.1}, {dy:.1})"
        );
    }
}

#[test]
fn an_unchanged_view_is_not_splatted_again() {
    let mut scene = scene();
    scene.request.style.rasterization = Rasterization::Splats;
    let first = draw(&mut scene);
    let again = draw(&mut scene);
    assert_eq!(
        scene.renderer.stats.splat_passes, 1,
        "the same view twice: one splat"
    );
    assert_eq!(first, again);
    // Panning changes the bounds: splatted again, and the picture moves.
    let [x0, y0, x1, y1] = scene.request.bounds;
    let shift = (x1 - x0) * 0.1;
    scene.request.bounds = [x0 + shift, y0, x1 + shift, y1];
    let panned = draw(&mut scene);
    assert_eq!(scene.renderer.stats.splat_passes, 2);
    let (before, _, _) = blob(&first, 0);
    let (after, _, _) = blob(&panned, 0);
    let expected = SIZE as f64 * 0.1;
    assert!(
        (before - after - expected).abs() < 1.5,
        "moved {:.1} px, expected {expected:.1}",
        before - after
    );
}

/// Pixels of exactly `color` (opaque), as (x, y).
fn pixels_of(pixels: &[[u8; 4]], color: [u8; 4]) -> Vec<(i32, i32)> {
    (0..pixels.len())
        .filter(|&i| pixels[i] == color)
        .map(|i| ((i as u32 % SIZE) as i32, (i as u32 / SIZE) as i32))
        .collect()
}

#[test]
fn splatted_points_cover_their_discs_exactly() {
    // Data coordinates = pixels: the point at (x + 0.5, SIZE - y - 0.5) marks pixel (x, y).
    let at = |x: i32, y: i32| [x as f32 + 0.5, SIZE as f32 - y as f32 - 0.5];
    let noise = u32::MAX;
    let positions = [at(10, 10), at(30, 30), at(-1, 40), at(50, 50), at(50, 50)];
    // The last point is in a hidden cluster, drawn after (above) the one it sits on.
    let labels = [0, noise, 1, 0, 2];
    let size = SIZE as f64;
    let mut scene = scene_of(&positions, &labels, [0.0, 0.0, size, size]);
    scene.request.style.rasterization = Rasterization::Splats;
    scene.request.style.point_size_px = 4.0;
    let mut colors = COLORS.to_vec();
    colors[2][3] = 0.0;
    scene.request.style.colors = Arc::new(colors);
    let pixels = draw(&mut scene);
    let red = pixels_of(&pixels, [255, 0, 0, 255]);
    let green = pixels_of(&pixels, [0, 255, 0, 255]);
    let grey = pixels_of(&pixels, [128, 128, 128, 255]);
    // A 4-pixel point (r = 2): the 13 pixels with dx² + dy² <= 4, twice (the hidden point
    // on the second one hides nothing).
    let disc = |cx: i32, cy: i32| {
        let mut cells: Vec<(i32, i32)> = (-2..=2)
            .flat_map(|dy| (-2..=2).map(move |dx| (dx, dy)))
            .filter(|(dx, dy)| dx * dx + dy * dy <= 4)
            .map(|(dx, dy)| (cx + dx, cy + dy))
            .collect();
        cells.sort_by_key(|&(x, y)| (y, x));
        cells
    };
    let mut expected = disc(10, 10);
    expected.extend(disc(50, 50));
    assert_eq!(red, expected);
    assert!(pixels_of(&pixels, [0, 0, 255, 255]).is_empty());
    // Noise at 0.6 of the size (r = 1.2): the centre and its 4 neighbours.
    assert_eq!(grey, vec![(30, 29), (29, 30), (30, 30), (31, 30), (30, 31)]);
    // A point one pixel off the left edge still shows the part of its disc inside.
    assert_eq!(green, vec![(0, 39), (0, 40), (1, 40), (0, 41)]);

    // Past the unrolled sizes the disc is looped over: 12 px (r = 6), 113 pixels.
    scene.request.style.point_size_px = 12.0;
    let pixels = draw(&mut scene);
    let red = pixels_of(&pixels, [255, 0, 0, 255]);
    assert_eq!(red.iter().filter(|&&(x, _)| x < 20).count(), 113);

    // A selection of row 0 only: the other red point is faded, (1, 0, 0) mixed 60 % toward
    // grey at a quarter of its alpha, premultiplied: (0.175, 0.075, 0.075, 0.25).
    scene.request.style.point_size_px = 4.0;
    scene.request.style.selection = Some(Arc::new(vec![1]));
    let pixels = draw(&mut scene);
    assert_eq!(pixels_of(&pixels, [255, 0, 0, 255]), disc(10, 10));
    assert_eq!(pixels_of(&pixels, [45, 19, 19, 64]), disc(50, 50));

    // An sRGB target gets linear colours from the table and stores them encoded again:
    // the same colours for opaque points.
    scene.request.style.selection = None;
    let unorm = draw(&mut scene);
    scene.format = wgpu::TextureFormat::Rgba8UnormSrgb;
    scene.renderer = PointRenderer::new(&scene.context.device, scene.format);
    let srgb = draw(&mut scene);
    assert_eq!(pixels_of(&srgb, [255, 0, 0, 255]), expected);
    // Grey 0.5 round-trips to 127 (0.5 × 255 rounds up to 128 in a unorm target).
    let grey = pixels_of(&unorm, [128, 128, 128, 255]);
    assert_eq!(grey.len(), 5);
    assert_eq!(pixels_of(&srgb, [127, 127, 127, 255]), grey);
}
