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

/// Rows of a JSON fixture (`[[x, y, …], …]`) as a shared matrix.
pub fn json_points(value: &serde_json::Value) -> Arc<Matrix> {
    let rows: Vec<Vec<f32>> = value
        .as_array()
        .expect("an array of rows")
        .iter()
        .map(|r| {
            r.as_array()
                .expect("a row")
                .iter()
                .map(|v| v.as_f64().expect("a number") as f32)
                .collect()
        })
        .collect();
    Arc::new(Matrix::from_rows(&rows))
}
