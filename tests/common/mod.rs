//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::Arc;

use clusterscope::cluster::Engine;
use clusterscope::matrix::Matrix;

/// An engine with a wgpu adapter. Fails loudly when there is none: a GPU test that passes
/// without a GPU would prove nothing. `scripts/test` installs lavapipe.
pub fn gpu_engine() -> Engine {
    let mut engine = Engine::headless();
    let name = engine.gpu_context().map(|c| c.adapter_name());
    assert!(
        name.is_some(),
        "no wgpu adapter found: install Mesa's software Vulkan driver (apt-get install mesa-vulkan-drivers libvulkan1), \
         or run scripts/test, which does"
    );
    engine
}

pub fn shared(matrix: Matrix) -> Arc<Matrix> {
    Arc::new(matrix)
}
