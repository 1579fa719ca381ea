//! Per-row quantities resident on the GPU (positions, labels), split into buffers that
//! each fit one storage binding.

use wgpu::util::DeviceExt;

use super::{rows_per_chunk, wgpu};

/// Rows `first_row..first_row + n_rows` of a per-row quantity, stored from the start of
/// `buffer`.
#[derive(Clone, Debug)]
pub struct BufferChunk {
    pub buffer: wgpu::Buffer,
    pub first_row: usize,
    pub n_rows: usize,
}

/// A per-row quantity spread over chunks in row order.
#[derive(Clone, Debug, Default)]
pub struct RowChunks {
    pub chunks: Vec<BufferChunk>,
}

impl RowChunks {
    pub fn n_rows(&self) -> usize {
        self.chunks.iter().map(|c| c.n_rows).sum()
    }
}

/// Uploads 2-D positions (non-finite ones are kept; the shader skips them).
pub fn upload_positions(device: &wgpu::Device, positions: &[[f32; 2]]) -> RowChunks {
    upload_rows(
        device,
        "points::positions",
        bytemuck::cast_slice(positions),
        2,
    )
}

/// Uploads one u32 per row (labels computed on the CPU).
pub fn upload_u32_rows(device: &wgpu::Device, label: &str, values: &[u32]) -> RowChunks {
    upload_rows(device, label, values, 1)
}

fn upload_rows(
    device: &wgpu::Device,
    label: &str,
    words: &[u32],
    words_per_row: usize,
) -> RowChunks {
    let limits = device.limits();
    let max_binding = limits
        .max_storage_buffer_binding_size
        .min(limits.max_buffer_size);
    let n_rows = words.len() / words_per_row;
    let per_chunk =
        rows_per_chunk(max_binding, 4 * words_per_row as u64).unwrap_or(super::CHUNK_ROW_MULTIPLE);
    let mut chunks = Vec::new();
    let mut first_row = 0;
    while first_row < n_rows || chunks.is_empty() {
        let rows = per_chunk.min(n_rows - first_row);
        let contents = &words[first_row * words_per_row..(first_row + rows) * words_per_row];
        // Bindings must not be empty.
        let contents: &[u32] = if contents.is_empty() {
            &[0, 0]
        } else {
            contents
        };
        chunks.push(BufferChunk {
            buffer: device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: bytemuck::cast_slice(contents),
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            }),
            first_row,
            n_rows: rows,
        });
        first_row += rows;
        if rows == 0 {
            break;
        }
    }
    RowChunks { chunks }
}
