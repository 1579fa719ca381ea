use std::sync::atomic::{AtomicU64, Ordering};

use super::{GpuError, wgpu};

static READBACKS: AtomicU64 = AtomicU64::new(0);

/// Buffers mapped for reading so far in this process (tests check that drawing maps none).
pub fn readback_count() -> u64 {
    READBACKS.load(Ordering::Relaxed)
}

/// Copies `size` bytes at `offset` of `source` into a staging buffer and returns them as `T`s.
/// Blocks the calling (worker) thread until the GPU is done; never call it from the UI thread.
pub fn read_buffer<T: bytemuck::Pod>(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    source: &wgpu::Buffer,
    offset: u64,
    size: u64,
) -> Result<Vec<T>, GpuError> {
    if size == 0 {
        return Ok(Vec::new());
    }
    let staging = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback::staging"),
        size,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("readback::copy"),
    });
    encoder.copy_buffer_to_buffer(source, offset, &staging, 0, size);
    queue.submit([encoder.finish()]);
    READBACKS.fetch_add(1, Ordering::Relaxed);
    let slice = staging.slice(..);
    let (sender, receiver) = std::sync::mpsc::channel();
    slice.map_async(wgpu::MapMode::Read, move |result| {
        let _ = sender.send(result);
    });
    device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| GpuError::Poll(e.to_string()))?;
    receiver
        .recv()
        .map_err(|e| GpuError::Map(e.to_string()))?
        .map_err(|e| GpuError::Map(e.to_string()))?;
    let values = {
        let view = slice
            .get_mapped_range()
            .map_err(|e| GpuError::Map(e.to_string()))?;
        bytemuck::cast_slice::<u8, T>(&view).to_vec()
    };
    staging.unmap();
    Ok(values)
}
