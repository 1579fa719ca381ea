use super::{GpuError, wgpu};

/// A wgpu device and queue with what we know about the adapter behind them.
#[derive(Clone, Debug)]
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter_info: wgpu::AdapterInfo,
}

impl GpuContext {
    /// Creates a device of its own (command line, tests). Honours `WGPU_BACKEND`,
    /// `WGPU_ADAPTER_NAME` and `WGPU_POWER_PREF`; prefers a hardware adapter.
    pub fn new_headless() -> Result<Self, GpuError> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
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
        Ok(Self {
            device,
            queue,
            adapter_info,
        })
    }

    /// Wraps a device created elsewhere (eframe's, so compute buffers can be drawn from).
    pub fn from_device(
        device: wgpu::Device,
        queue: wgpu::Queue,
        adapter_info: wgpu::AdapterInfo,
    ) -> Self {
        Self {
            device,
            queue,
            adapter_info,
        }
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
}
