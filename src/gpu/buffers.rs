//! Buffer and bind-group builders every kernel set uses: labelled storage and uniform
//! buffers, bindings of whole buffers or row ranges, bind groups laid out by the pipeline.

use std::num::NonZeroU64;

use wgpu::util::DeviceExt;

use super::{GpuContext, wgpu};

impl GpuContext {
    /// A zeroed storage buffer kernels read and write, that can be copied to and from.
    pub fn storage(&self, label: &str, bytes: u64) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            // Bindings must not be empty; 4 bytes is the smallest useful size.
            size: bytes.max(4),
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_DST
                | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        })
    }

    /// A storage buffer holding `values` (one zero when empty: bindings must not be).
    pub fn storage_init<T: bytemuck::Pod + Default>(
        &self,
        label: &str,
        values: &[T],
    ) -> wgpu::Buffer {
        let zero = [T::default()];
        let values: &[T] = if values.is_empty() { &zero } else { values };
        self.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: bytemuck::cast_slice(values),
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_DST
                    | wgpu::BufferUsages::COPY_SRC,
            })
    }

    /// A uniform buffer holding `value`.
    pub fn uniform<T: bytemuck::Pod>(&self, label: &str, value: &T) -> wgpu::Buffer {
        self.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: bytemuck::bytes_of(value),
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            })
    }

    /// A bind group for group 0 of `pipeline`: `bindings[i]` goes to the binding number
    /// given beside it.
    pub fn bind_group(
        &self,
        label: &str,
        pipeline: &wgpu::ComputePipeline,
        bindings: &[(u32, wgpu::BufferBinding<'_>)],
    ) -> wgpu::BindGroup {
        let entries: Vec<wgpu::BindGroupEntry<'_>> = bindings
            .iter()
            .map(|(binding, buffer)| wgpu::BindGroupEntry {
                binding: *binding,
                resource: wgpu::BindingResource::Buffer(buffer.clone()),
            })
            .collect();
        self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(label),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        })
    }

    /// Runs `shader` over `count` items, one invocation each in workgroups of `workgroup`,
    /// in submissions of at most `per_submission` items (so no single submission runs for
    /// seconds: drivers reset devices that hang), waiting for each. `uniform(first, part,
    /// groups_x)` gives each part's uniform buffer (binding 0); `bindings` follow from
    /// binding 1 on.
    pub fn run_in_parts(
        &self,
        shader: &super::ShaderEntry,
        count: usize,
        per_submission: usize,
        workgroup: u32,
        uniform: impl Fn(usize, usize, u32) -> wgpu::Buffer,
        bindings: &[&wgpu::Buffer],
    ) -> Result<(), super::GpuError> {
        let pipeline = self.pipeline(shader)?;
        let per_submission = per_submission.max(workgroup as usize);
        let mut first = 0usize;
        while first < count {
            let part = per_submission.min(count - first);
            let (groups_x, groups_y) = super::dispatch_size((part as u32).div_ceil(workgroup));
            let uniform = uniform(first, part, groups_x);
            let mut entries = vec![(0, whole(&uniform))];
            for (offset, buffer) in bindings.iter().enumerate() {
                entries.push((1 + offset as u32, whole(buffer)));
            }
            let group = self.bind_group(shader.label, &pipeline, &entries);
            let mut encoder = self.encoder(shader.label);
            Self::dispatch(
                &mut encoder,
                shader.label,
                &pipeline,
                &group,
                (groups_x, groups_y),
            );
            self.submit_and_wait(encoder)?;
            first += part;
        }
        Ok(())
    }

    /// Encodes one dispatch of `pipeline` with `group` into `encoder`.
    pub fn dispatch(
        encoder: &mut wgpu::CommandEncoder,
        label: &str,
        pipeline: &wgpu::ComputePipeline,
        group: &wgpu::BindGroup,
        (x, y): (u32, u32),
    ) {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some(label),
            timestamp_writes: None,
        });
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, group, &[]);
        pass.dispatch_workgroups(x, y, 1);
    }
}

/// The whole of `buffer`.
pub fn whole(buffer: &wgpu::Buffer) -> wgpu::BufferBinding<'_> {
    wgpu::BufferBinding {
        buffer,
        offset: 0,
        size: None,
    }
}

/// `size` bytes of `buffer` from `offset` (at least 4: bindings must not be empty).
pub fn range(buffer: &wgpu::Buffer, offset: u64, size: u64) -> wgpu::BufferBinding<'_> {
    wgpu::BufferBinding {
        buffer,
        offset,
        size: NonZeroU64::new(size.max(4)),
    }
}
