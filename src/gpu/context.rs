use std::sync::Arc;

use super::pipelines::PipelineCache;
use super::resident::ResidentCache;
use super::{GpuError, wgpu};

/// A wgpu device and queue with what we know about the adapter behind them, and what every
/// kernel set shares on that device: compiled pipelines and the datasets made resident.
/// Clones share the caches.
#[derive(Clone)]
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter_info: wgpu::AdapterInfo,
    /// Largest storage binding a kernel may use: the device's limit, or less to exercise
    /// chunking in tests.
    max_binding_bytes: u64,
    pub(super) pipelines: Arc<PipelineCache>,
    pub(super) resident: Arc<ResidentCache>,
}

impl std::fmt::Debug for GpuContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuContext")
            .field("adapter", &self.adapter_name())
            .field("max_binding_bytes", &self.max_binding_bytes)
            .finish()
    }
}

impl GpuContext {
    /// Creates a device of its own (command line, tests). Honours `WGPU_BACKEND`,
    /// `WGPU_ADAPTER_NAME` and `WGPU_POWER_PREF`; prefers a hardware adapter.
    pub fn new_headless() -> Result<Self, GpuError> {
        // Without WGPU_BACKEND, the native APIs first: probing OpenGL through EGL prints
        // driver complaints (XDG_RUNTIME_DIR, DRI2) on machines with no display, so GL is
        // asked only when nothing else answers.
        let from_env = std::env::var_os("WGPU_BACKEND").is_some();
        let first = if from_env {
            wgpu::Backends::all()
        } else {
            wgpu::Backends::PRIMARY
        };
        match Self::headless_on(first) {
            Err(GpuError::NoAdapter(_)) if !from_env => Self::headless_on(wgpu::Backends::GL),
            other => other,
        }
    }

    fn headless_on(backends: wgpu::Backends) -> Result<Self, GpuError> {
        let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        descriptor.backends &= backends;
        let instance = wgpu::Instance::new(descriptor);
        let adapter = pollster::block_on(async {
            if std::env::var_os("WGPU_ADAPTER_NAME").is_some() {
                wgpu::util::initialize_adapter_from_env_or_default(&instance, None)
                    .await
                    .map_err(|e| GpuError::NoAdapter(e.to_string()))
            } else {
                instance
                    .request_adapter(&wgpu::RequestAdapterOptions {
                        power_preference: wgpu::PowerPreference::HighPerformance,
                        force_fallback_adapter: false,
                        compatible_surface: None,
                        ..Default::default()
                    })
                    .await
                    .map_err(|e| GpuError::NoAdapter(e.to_string()))
            }
        })?;
        let adapter_info = adapter.get_info();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("clusterscope::compute"),
            required_limits: adapter.limits(),
            ..Default::default()
        }))
        .map_err(|e| GpuError::RequestDevice(e.to_string()))?;
        tracing::info!(adapter = %adapter_info.name, backend = ?adapter_info.backend, "gpu ready");
        Ok(Self::from_device(device, queue, adapter_info))
    }

    /// Wraps a device created elsewhere (eframe's, so compute buffers can be drawn from).
    pub fn from_device(
        device: wgpu::Device,
        queue: wgpu::Queue,
        adapter_info: wgpu::AdapterInfo,
    ) -> Self {
        let limits = device.limits();
        let max_binding_bytes = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size);
        Self {
            device,
            queue,
            adapter_info,
            max_binding_bytes,
            pipelines: Arc::default(),
            resident: Arc::default(),
        }
    }

    /// The same device with storage bindings capped at `bytes` (at most the device's own
    /// limit) and caches of its own: tests use it to force many chunks.
    pub fn with_max_binding_bytes(&self, bytes: u64) -> Self {
        Self {
            max_binding_bytes: bytes.min(self.max_binding_bytes),
            pipelines: Arc::default(),
            resident: Arc::default(),
            ..self.clone()
        }
    }

    /// Largest storage binding, in bytes, that kernels on this context may use.
    pub fn max_binding_bytes(&self) -> u64 {
        self.max_binding_bytes
    }

    /// True for software rasterisers such as lavapipe/llvmpipe: fine for testing shaders,
    /// slower than the native CPU path for real work.
    pub fn is_software(&self) -> bool {
        self.adapter_info.device_type == wgpu::DeviceType::Cpu
    }

    /// Adapter name and API, e.g. "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan)".
    pub fn adapter_name(&self) -> String {
        format!(
            "{} ({:?})",
            self.adapter_info.name, self.adapter_info.backend
        )
    }

    /// A command encoder labelled `label`.
    pub fn encoder(&self, label: &str) -> wgpu::CommandEncoder {
        self.device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) })
    }

    /// Submits `encoder` and waits until the GPU has run it.
    pub fn submit_and_wait(&self, encoder: wgpu::CommandEncoder) -> Result<(), GpuError> {
        self.queue.submit([encoder.finish()]);
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Poll(e.to_string()))?;
        Ok(())
    }

    /// Runs `work` inside out-of-memory and validation error scopes, so that a buffer the
    /// device refuses comes back as [`GpuError::Allocation`] instead of a panic.
    pub fn allocating<T>(&self, work: impl FnOnce() -> Result<T, GpuError>) -> Result<T, GpuError> {
        let memory = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let outcome = work();
        let failure =
            pollster::block_on(validation.pop()).or_else(|| pollster::block_on(memory.pop()));
        match failure {
            Some(error) => Err(GpuError::Allocation(error.to_string())),
            None => outcome,
        }
    }
}
