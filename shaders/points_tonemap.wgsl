// Density mode, pass 2: the accumulated (colour sum, count) per pixel becomes the mean
// colour at an intensity that grows with the count: 1 - exp(-count * gain).

@group(2) @binding(0) var accumulated: texture_2d<f32>;

@vertex
fn vs_fullscreen(@builtin(vertex_index) vertex: u32) -> @builtin(position) vec4<f32> {
    // One triangle covering the viewport.
    let x = f32((vertex << 1u) & 2u) * 2.0 - 1.0;
    let y = f32(vertex & 2u) * 2.0 - 1.0;
    return vec4<f32>(x, y, 0.0, 1.0);
}

@fragment
fn fs_tonemap(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let size = vec2<i32>(textureDimensions(accumulated));
    let pixel = vec2<i32>(floor(position.xy - view.viewport_origin));
    if any(pixel < vec2<i32>(0)) || any(pixel >= size) {
        discard;
    }
    let sum = textureLoad(accumulated, pixel, 0);
    if sum.a <= 0.0 {
        discard;
    }
    var rgb = sum.rgb / sum.a;
    if (view.flags & FLAG_SRGB) != 0u {
        rgb = to_linear(rgb);
    }
    let alpha = (1.0 - exp(-sum.a * view.gain)) * view.opacity;
    return vec4<f32>(rgb * alpha, alpha);
}
