// Graph edges as one-pixel lines: two vertices per edge, no vertex buffers. Each vertex
// looks up its end's node in the edge list and that node's position, so moving the layout
// re-uploads positions only, never the edges.

struct View {
    // clip = position * scale + offset
    scale: vec2<f32>,
    offset: vec2<f32>,
    // Premultiplied, in the target's encoding.
    colour: vec4<f32>,
};

@group(0) @binding(0) var<uniform> view: View;
@group(0) @binding(1) var<storage, read> positions: array<vec2<f32>>;
// Node ids, two per edge.
@group(0) @binding(2) var<storage, read> ends: array<u32>;

@vertex
fn vs_main(@builtin(vertex_index) vertex: u32) -> @builtin(position) vec4<f32> {
    let node = ends[vertex];
    let clip = positions[node] * view.scale + view.offset;
    return vec4<f32>(clip, 0.0, 1.0);
}

@fragment
fn fs_main() -> @location(0) vec4<f32> {
    return view.colour;
}
