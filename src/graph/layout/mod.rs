//! The force-directed layout of the graph view: repulsion k²/d between all nodes
//! (Fruchterman–Reingold's) and LinLog springs w·ln(1 + d)/k along edges (Noack's energy,
//! ForceAtlas2's LinLog mode), which pull communities apart far better than
//! Fruchterman–Reingold's d²/k or linear springs: on the 3,000-node demo network (LFR,
//! mixing 0.25) 0.88 of nodes end nearest their own planted community's centre, against
//! 0.30 with linear springs. The repulsion is read from a pyramid of grid cells, so a step costs about 150 cell visits per node instead of n,
//! plus a pull towards the origin that keeps separate components in view. Each step's
//! move is capped by a temperature that cools towards a floor: the picture settles, and
//! a reheat shakes it again. Steps run as WGSL passes ([`gpu`]) or on the CPU ([`cpu`]),
//! the same stages under the same names.

pub mod cpu;
pub mod gpu;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::Graph;
use crate::gpu::{GpuContext, GpuError};

/// The finest level of the cell pyramid has 2^FINEST cells per axis. Keep in sync with
/// `FINEST` in `shaders/layout/forces.wgsl`.
pub const FINEST: u32 = 6;
/// The temperature is multiplied by this after each step.
pub const COOLING: f32 = 0.99;
/// The pull towards the origin per unit of distance: enough to keep separate components
/// in view, weak enough not to press communities together (0.5 left the 3,000-node demo
/// network a disc: 0.30 of nodes nearest their own planted community's centre; 0.05,
/// with LinLog springs and slower cooling, 0.88).
const GRAVITY: f32 = 0.05;
/// The temperature's floor, in units of k: where the layout counts as settled.
const SETTLED: f32 = 0.02;

/// Cells of the levels above `level` (level l has 4^l cells).
pub fn level_offset(level: u32) -> u32 {
    ((1u32 << (2 * level)) - 1) / 3
}

/// The graph as the layout reads it: compressed rows, weights scaled to a mean of 1.
#[derive(Clone, Debug)]
pub struct LayoutGraph {
    pub offsets: Vec<u32>,
    pub neighbours: Vec<u32>,
    pub weights: Vec<f32>,
}

impl LayoutGraph {
    pub fn new(graph: &Graph) -> Self {
        let mean = if graph.weights.is_empty() {
            1.0
        } else {
            graph.weights.iter().sum::<f64>() / graph.weights.len() as f64
        };
        Self {
            offsets: graph.offsets.iter().map(|&o| o as u32).collect(),
            neighbours: graph.neighbours.clone(),
            weights: graph.weights.iter().map(|&w| (w / mean) as f32).collect(),
        }
    }

    pub fn n_nodes(&self) -> usize {
        self.offsets.len() - 1
    }
}

/// What one step needs besides the positions (the shader's uniforms).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepParams {
    /// The grid's lower corner and side (a square over the nodes).
    pub lo: [f32; 2],
    pub side: f32,
    pub temperature: f32,
    /// The natural edge length.
    pub k: f32,
    pub gravity: f32,
}

impl StepParams {
    /// The grid over `positions` (a square with a 5 % margin) for a step at `temperature`.
    pub fn around(positions: &[[f32; 2]], temperature: f32, gravity: f32) -> Self {
        let mut lo = [f32::INFINITY; 2];
        let mut hi = [f32::NEG_INFINITY; 2];
        for p in positions {
            for a in 0..2 {
                lo[a] = lo[a].min(p[a]);
                hi[a] = hi[a].max(p[a]);
            }
        }
        if !lo[0].is_finite() {
            lo = [0.0; 2];
            hi = [1.0; 2];
        }
        let side = (hi[0] - lo[0]).max(hi[1] - lo[1]).max(1e-3) * 1.05;
        let centre = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0];
        Self {
            lo: [centre[0] - side / 2.0, centre[1] - side / 2.0],
            side,
            temperature,
            k: 1.0,
            gravity,
        }
    }
}

/// Where the steps run.
pub enum Stepper {
    Cpu,
    Gpu(Box<gpu::GpuLayout>),
}

/// A layout in progress.
pub struct Layout {
    pub graph: LayoutGraph,
    pub positions: Vec<[f32; 2]>,
    pub temperature: f32,
    pub steps: usize,
    pub gravity: f32,
    stepper: Stepper,
}

impl Layout {
    /// Nodes scattered at random over a square of side √n (seeded), hot; steps on the GPU
    /// when `gpu` is given and the passes build there, otherwise on the CPU.
    pub fn new(graph: LayoutGraph, seed: u64, gpu: Option<&GpuContext>) -> Self {
        let n = graph.n_nodes();
        let half = (n as f32).sqrt().max(1.0) / 2.0;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let positions = (0..n)
            .map(|_| [rng.gen_range(-half..half), rng.gen_range(-half..half)])
            .collect();
        let stepper = match gpu.map(|gpu| gpu::GpuLayout::new(gpu, &graph)) {
            Some(Ok(device)) => Stepper::Gpu(Box::new(device)),
            Some(Err(error)) => {
                tracing::info!("graph layout on the CPU: {error}");
                Stepper::Cpu
            }
            None => Stepper::Cpu,
        };
        Self {
            graph,
            positions,
            temperature: half / 5.0,
            steps: 0,
            gravity: GRAVITY,
            stepper,
        }
    }

    /// The backend the steps run on ("GPU: adapter" or "CPU").
    pub fn backend_name(&self) -> String {
        match &self.stepper {
            Stepper::Cpu => "CPU".into(),
            Stepper::Gpu(device) => format!("GPU: {}", device.adapter_name()),
        }
    }

    /// True once the temperature has reached its floor.
    pub fn settled(&self) -> bool {
        self.temperature <= SETTLED
    }

    /// Heats the layout again (the view's "Reheat").
    pub fn reheat(&mut self) {
        let n = self.graph.n_nodes();
        self.temperature = self.temperature.max((n as f32).sqrt().max(1.0) / 20.0);
    }

    /// Runs `count` steps (fewer once settled); the positions are current afterwards.
    pub fn run(&mut self, count: usize) -> Result<(), GpuError> {
        let mut temperatures = Vec::with_capacity(count);
        let mut t = self.temperature;
        for _ in 0..count {
            if t <= SETTLED {
                break;
            }
            temperatures.push(t);
            t = (t * COOLING).max(SETTLED);
        }
        if temperatures.is_empty() {
            return Ok(());
        }
        // One grid for the whole batch: the nodes move at most Σ temperatures, and those
        // beyond it count in its border cells.
        let params = StepParams::around(&self.positions, temperatures[0], self.gravity);
        match &mut self.stepper {
            Stepper::Cpu => {
                for &temperature in &temperatures {
                    let step = StepParams {
                        temperature,
                        ..params
                    };
                    self.positions = step_cpu(&step, &self.graph, &self.positions);
                }
            }
            Stepper::Gpu(device) => {
                self.positions = device.run(&params, &temperatures, &self.positions)?;
            }
        }
        self.steps += temperatures.len();
        self.temperature = t;
        Ok(())
    }

    /// The positions as `node,x,y` CSV text (node ids from `graph`).
    pub fn to_csv(&self, graph: &Graph) -> String {
        let mut out = String::from("node,x,y\n");
        for (name, p) in graph.nodes.iter().zip(&self.positions) {
            out.push_str(&csv_field(name));
            out.push_str(&format!(",{},{}\n", p[0], p[1]));
        }
        out
    }
}

/// One step on the CPU: bin, pyramid, forces.
pub fn step_cpu(params: &StepParams, graph: &LayoutGraph, positions: &[[f32; 2]]) -> Vec<[f32; 2]> {
    let fine = cpu::bin(params, positions);
    let pyramid = cpu::build_pyramid(params, &fine);
    cpu::forces(params, graph, &pyramid, positions)
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
