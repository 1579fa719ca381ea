//! `clusterscope bench render`: the point renderer on an offscreen target of a headless
//! device, so frame times can be measured without a window.

use std::sync::Arc;
use std::time::Instant;

use super::{PointCloud, PointRenderer, PointStyle, ViewRequest};
use crate::cluster::kmeans::{KMeans, KMeansParams};
use crate::cluster::{AlgorithmParams, BackendChoice, Engine, RunContext};
use crate::gpu::{GpuContext, upload_positions, upload_u32_rows, wgpu};
use crate::palette;

pub struct RenderBench {
    pub n: usize,
    pub frames: usize,
    pub density: bool,
    pub size: [u32; 2],
    pub k: usize,
    pub backend: BackendChoice,
    pub seed: u64,
    pub rasterization: super::Rasterization,
    pub point_size: f32,
}

const FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

pub fn run(bench: &RenderBench) -> anyhow::Result<()> {
    anyhow::ensure!(
        bench.n > 0 && bench.frames > 0,
        "--n and --frames must be at least 1"
    );
    let context = GpuContext::new_headless()?;
    let device = context.device.clone();
    let queue = context.queue.clone();
    let points = Arc::new(
        crate::synthetic::gaussian_blobs(bench.n, 2, bench.k.max(1), 0.8, bench.seed).points,
    );
    let coordinates: Vec<[f32; 2]> = points
        .values
        .chunks_exact(2)
        .map(|p| [p[0], p[1]])
        .collect();
    let bounds = crate::projection::finite_bounds(&coordinates);
    let positions = upload_positions(&device, &coordinates);
    let mut engine = Engine::with_gpu(context.clone());
    let params = AlgorithmParams::of::<KMeans>(&KMeansParams::new(bench.k).seed(bench.seed));
    let first = crate::cluster::run(
        &mut engine,
        &points,
        &params,
        BackendChoice::Cpu,
        &RunContext::default(),
    )?;
    let labels = upload_u32_rows(&device, "bench::labels", &first.labels);
    let cloud = PointCloud::new(&positions, Some(&labels)).map_err(anyhow::Error::msg)?;
    let colors: Vec<[f32; 4]> = (0..bench.k.max(1))
        .map(|i| {
            let [r, g, b, _] = palette::cluster_color(i).to_array();
            [r as f32 / 255.0, g as f32 / 255.0, b as f32 / 255.0, 1.0]
        })
        .collect();
    let style = PointStyle {
        point_size_px: bench.point_size,
        opacity: 0.8,
        density: bench.density,
        gain: 0.15,
        colors: Arc::new(colors),
        noise_color: [0.6, 0.6, 0.6, 1.0],
        unlabeled_color: [0.5, 0.5, 0.5, 1.0],
        selection: None,
        rasterization: bench.rasterization,
    };
    let mut request = ViewRequest {
        view_id: 1,
        cloud,
        style,
        bounds,
        viewport_px: bench.size,
        viewport_origin_px: [0.0, 0.0],
    };
    let mut renderer = PointRenderer::new(&device, FORMAT);
    let target = device.create_texture(&wgpu::TextureDescriptor {
        label: Some("bench::target"),
        size: wgpu::Extent3d {
            width: bench.size[0],
            height: bench.size[1],
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: FORMAT,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
        view_formats: &[],
    });
    let view = target.create_view(&Default::default());
    // `paint: false` measures the floor: the same target cleared and stored, nothing drawn.
    let frame_with = |renderer: &mut PointRenderer,
                      request: &ViewRequest,
                      prepare: bool,
                      paint: bool|
     -> anyhow::Result<()> {
        let mut encoder = device.create_command_encoder(&Default::default());
        if prepare {
            renderer.prepare(&device, &queue, &mut encoder, request);
        }
        if paint || !prepare {
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("bench::frame"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: &view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                ..Default::default()
            });
            if paint {
                renderer.paint(&mut pass, request);
            }
        }
        queue.submit([encoder.finish()]);
        device.poll(wgpu::PollType::wait_indefinitely())?;
        Ok(())
    };
    let frame = |renderer: &mut PointRenderer, request: &ViewRequest| {
        frame_with(renderer, request, true, true)
    };
    // Warm-up: pipelines, bind groups, first touch of the buffers.
    frame(&mut renderer, &request)?;
    frame(&mut renderer, &request)?;
    // Panning: the bounds move every frame, so every frame draws every point again.
    let base = request.bounds;
    let step = (base[2] - base[0]) * 1e-3;
    let started = Instant::now();
    for i in 0..bench.frames {
        let shift = step * (i % 2) as f64;
        request.bounds = [base[0] + shift, base[1], base[2] + shift, base[3]];
        frame(&mut renderer, &request)?;
    }
    let frame_ms = started.elapsed().as_secs_f64() * 1000.0 / bench.frames as f64;
    // Still: the same view again (a hover elsewhere repaints the window); splats are kept.
    request.bounds = base;
    frame(&mut renderer, &request)?;
    let started = Instant::now();
    for _ in 0..bench.frames {
        frame(&mut renderer, &request)?;
    }
    let still_ms = started.elapsed().as_secs_f64() * 1000.0 / bench.frames as f64;
    // Where a panning frame goes: the splat pass alone (no render pass), and an empty
    // frame (the target cleared and stored).
    let started = Instant::now();
    for i in 0..bench.frames {
        let shift = step * (i % 2) as f64;
        request.bounds = [base[0] + shift, base[1], base[2] + shift, base[3]];
        frame_with(&mut renderer, &request, true, false)?;
    }
    let prepare_ms = started.elapsed().as_secs_f64() * 1000.0 / bench.frames as f64;
    request.bounds = base;
    let started = Instant::now();
    for _ in 0..bench.frames {
        frame_with(&mut renderer, &request, false, false)?;
    }
    let empty_ms = started.elapsed().as_secs_f64() * 1000.0 / bench.frames as f64;

    // Slider to frame: a new k-means request (k changes, fresh initialisation), its labels
    // handed to the renderer (shared buffers on the GPU backend, an upload on the CPU one),
    // one frame drawn and finished.
    let other = AlgorithmParams::of::<KMeans>(&KMeansParams::new(bench.k + 1).seed(bench.seed));
    crate::cluster::run(
        &mut engine,
        &points,
        &other,
        bench.backend,
        &RunContext::default(),
    )?;
    let started = Instant::now();
    let result = crate::cluster::run(
        &mut engine,
        &points,
        &params,
        bench.backend,
        &RunContext::default(),
    )?;
    let clustered_ms = started.elapsed().as_secs_f64() * 1000.0;
    let labels = match &result.gpu_labels {
        Some(shared) => shared.chunks.clone(),
        None => upload_u32_rows(&device, "bench::labels", &result.labels),
    };
    request.cloud = PointCloud::new(&positions, Some(&labels)).map_err(anyhow::Error::msg)?;
    frame(&mut renderer, &request)?;
    let slider_ms = started.elapsed().as_secs_f64() * 1000.0;
    println!(
        "render adapter=\"{}\" n={} size={}x{} point_size={} density={} draw={:?} backend={}",
        context.adapter_name(),
        bench.n,
        bench.size[0],
        bench.size[1],
        bench.point_size,
        bench.density,
        bench.rasterization,
        result.diagnostics.backend.name()
    );
    println!(
        "frame_ms: {frame_ms:.2} fps: {:.1} (panning: every point drawn each frame)",
        1000.0 / frame_ms
    );
    println!("still_frame_ms: {still_ms:.2} (same view again)");
    println!(
        "breakdown_ms: splat_pass {prepare_ms:.2}, empty_frame {empty_ms:.2} (target cleared, nothing drawn)"
    );
    println!(
        "slider_to_frame_ms: {slider_ms:.1} (k-means k={} {} iterations {clustered_ms:.1} ms)",
        bench.k, result.diagnostics.iterations
    );
    Ok(())
}
