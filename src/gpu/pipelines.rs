//! Compute pipelines, compiled once per device and shared by every kernel set.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{GpuContext, GpuError, wgpu};

/// One compute entry point: WGSL sources concatenated in order (shared declarations
/// first), the entry point's name and the label wgpu reports in validation errors.
#[derive(Clone, Copy, Debug)]
pub struct ShaderEntry {
    /// "kmeans::assign": the algorithm, then the pass. Also the cache key.
    pub label: &'static str,
    pub sources: &'static [&'static str],
    pub entry_point: &'static str,
}

/// Pipelines by label.
#[derive(Default)]
pub(crate) struct PipelineCache {
    compiled: Mutex<HashMap<&'static str, wgpu::ComputePipeline>>,
}

impl GpuContext {
    /// The pipeline of `shader`, compiled on first use. The layout is derived from the
    /// shader, so bind groups take `pipeline.get_bind_group_layout(0)`. A shader the device
    /// rejects is an error, not a panic.
    pub fn pipeline(&self, shader: &ShaderEntry) -> Result<wgpu::ComputePipeline, GpuError> {
        let mut compiled = self
            .pipelines
            .compiled
            .lock()
            .map_err(|_| GpuError::Shader("the pipeline cache was poisoned".into()))?;
        if let Some(pipeline) = compiled.get(shader.label) {
            return Ok(pipeline.clone());
        }
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(shader.label),
                source: wgpu::ShaderSource::Wgsl(shader.sources.join("\n").into()),
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(shader.label),
                layout: None,
                module: &module,
                entry_point: Some(shader.entry_point),
                compilation_options: Default::default(),
                cache: None,
            });
        if let Some(error) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Shader(format!("{}: {error}", shader.label)));
        }
        compiled.insert(shader.label, pipeline.clone());
        Ok(pipeline)
    }
}
