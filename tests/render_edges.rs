//! The graph view's edge lines, drawn offscreen on the wgpu adapter (lavapipe in CI):
//! lines land where their nodes are, in the requested colour, and moving the nodes
//! re-uploads positions only.

use std::sync::Arc;

use clusterscope::gpu::GpuContext;
use clusterscope::render::{EdgeRenderer, EdgeRequest};
use eframe::egui_wgpu::wgpu;

const SIZE: u32 = 64;
const FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

/// Draws `request` on a transparent SIZE × SIZE target and reads the pixels back
/// (row-major, row 0 at the top).
fn draw(context: &GpuContext, renderer: &mut EdgeRenderer, request: &EdgeRequest) -> Vec<[u8; 4]> {
    let (device, queue) = (&context.device, &context.queue);
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
        format: FORMAT,
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
    renderer.prepare(device, queue, request);
    let mut encoder = device.create_command_encoder(&Default::default());
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
        renderer.paint(&mut pass, request);
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

/// The drawn pixels as (x, y).
fn lit(pixels: &[[u8; 4]]) -> Vec<(u32, u32)> {
    (0..pixels.len())
        .filter(|&i| pixels[i][3] > 0)
        .map(|i| (i as u32 % SIZE, i as u32 / SIZE))
        .collect()
}

#[test]
fn lines_join_their_nodes_and_follow_them_when_they_move() {
    let context =
        GpuContext::new_headless().expect("a wgpu adapter (scripts/test installs lavapipe)");
    let mut renderer = EdgeRenderer::new(&context.device, FORMAT);
    // Bounds 0..64 in both axes: data coordinates are pixel centres (y up). Three nodes;
    // one horizontal edge 0–1 and no edge touches node 2.
    let mut request = EdgeRequest {
        view_id: 1,
        positions: Arc::new(vec![[8.5, 40.5], [56.5, 40.5], [32.5, 8.5]]),
        ends: Arc::new(vec![0, 1]),
        colour: [1.0, 0.0, 0.0, 0.5],
        bounds: [0.0, 0.0, SIZE as f64, SIZE as f64],
    };
    let pixels = draw(&context, &mut renderer, &request);
    let drawn = lit(&pixels);
    // y = 40.5 up is row 64 - 40.5 = 23.5 from the top: row 23.
    assert!(
        drawn.len() >= 46 && drawn.len() <= 50,
        "{} pixels",
        drawn.len()
    );
    assert!(
        drawn.iter().all(|&(x, y)| y == 23 && (8..=56).contains(&x)),
        "{drawn:?}"
    );
    // Premultiplied half-transparent red.
    let [r, g, b, a] = pixels[(23 * SIZE + 32) as usize];
    assert!((126..=129).contains(&r) && g == 0 && b == 0 && (126..=129).contains(&a));

    // Node 1 moves to the top: the same edge list, new positions, a diagonal line.
    request.positions = Arc::new(vec![[8.5, 40.5], [8.5, 60.5], [32.5, 8.5]]);
    let drawn = lit(&draw(&context, &mut renderer, &request));
    assert!(
        drawn.iter().all(|&(x, y)| x == 8 && (3..=23).contains(&y)),
        "{drawn:?}"
    );
    assert!(drawn.len() >= 19, "{} pixels", drawn.len());
    assert_eq!(
        renderer.edge_uploads, 1,
        "moving nodes re-uploads positions only"
    );

    // A new graph's edges are uploaded again; an empty edge list draws nothing.
    request.ends = Arc::new(Vec::new());
    assert!(lit(&draw(&context, &mut renderer, &request)).is_empty());
    assert_eq!(renderer.edge_uploads, 2);
}
