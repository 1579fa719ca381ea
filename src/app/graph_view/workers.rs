//! The graph view's background work: reading the graph, finding communities (newest
//! request wins: an older search is cancelled), and the layout thread, which steps while
//! running and sends its positions after every batch. The window only sends requests and
//! draws what arrives.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::time::Instant;

use eframe::egui;

use crate::cluster::community::{self, Communities, Method};
use crate::cluster::{BackendChoice, CancelToken, Engine, RunContext};
use crate::graph::layout::{Layout, LayoutGraph};
use crate::graph::read::{EdgeColumns, GraphInput, read_graph};

/// Steps per batch: a frame's worth at 10⁵ nodes on the CPU.
const STEPS_PER_BATCH: usize = 3;

/// Reads `path` as a graph on a thread; the result arrives on the receiver.
pub fn read_in_background(
    path: PathBuf,
    nodes: Option<PathBuf>,
    ctx: egui::Context,
) -> Receiver<Result<GraphInput, String>> {
    let (send, receive) = channel();
    std::thread::spawn(move || {
        let nodes = nodes.as_deref().map(|nodes| (nodes, None));
        let result = read_graph(&path, &EdgeColumns::default(), nodes).map_err(|e| e.to_string());
        let _ = send.send(result);
        ctx.request_repaint();
    });
    receive
}

/// Community searches on a thread each, the newest one kept.
pub struct CommunityJobs {
    generation: u64,
    cancel: Option<CancelToken>,
    send: Sender<(u64, Result<Communities, String>)>,
    receive: Receiver<(u64, Result<Communities, String>)>,
    pub running: bool,
}

impl Default for CommunityJobs {
    fn default() -> Self {
        let (send, receive) = channel();
        Self {
            generation: 0,
            cancel: None,
            send,
            receive,
            running: false,
        }
    }
}

impl CommunityJobs {
    /// Starts a search of `graph`, cancelling the one before.
    pub fn request(
        &mut self,
        graph: Arc<crate::graph::Graph>,
        method: Method,
        seed: u64,
        ctx: egui::Context,
    ) {
        if let Some(cancel) = self.cancel.take() {
            cancel.cancel();
        }
        self.generation += 1;
        let generation = self.generation;
        let cancel = CancelToken::new();
        self.cancel = Some(cancel.clone());
        self.running = true;
        let send = self.send.clone();
        std::thread::spawn(move || {
            let context = RunContext::new(cancel);
            let result =
                community::detect(&graph, &method, seed, &context).map_err(|e| e.to_string());
            let _ = send.send((generation, result));
            ctx.request_repaint();
        });
    }

    /// The newest finished search, if one arrived (older ones are dropped).
    pub fn poll(&mut self) -> Option<Result<Communities, String>> {
        let mut latest = None;
        while let Ok((generation, result)) = self.receive.try_recv() {
            if generation == self.generation {
                self.running = false;
                latest = Some(result);
            }
        }
        latest
    }
}

/// What the layout thread is told.
pub enum LayoutCommand {
    Run(bool),
    Reheat,
}

/// What the layout thread reports after each batch.
#[derive(Clone)]
pub struct LayoutUpdate {
    pub positions: Arc<Vec<[f32; 2]>>,
    pub steps: usize,
    pub settled: bool,
    pub backend: String,
    /// Time per step of the last batch.
    pub step_ms: f64,
}

/// The layout thread; dropping the handle ends it.
pub struct LayoutWorker {
    commands: Sender<LayoutCommand>,
    updates: Receiver<LayoutUpdate>,
}

impl LayoutWorker {
    pub fn start(
        graph: LayoutGraph,
        seed: u64,
        backend: BackendChoice,
        ctx: egui::Context,
    ) -> Self {
        let (commands, command_receiver) = channel();
        let (update_sender, updates) = channel();
        std::thread::spawn(move || {
            let mut engine = Engine::headless();
            let gpu = match engine.resolve(backend) {
                Ok(crate::cluster::Backend::Gpu) => engine.gpu().ok(),
                _ => None,
            };
            let mut layout = Layout::new(graph, seed, gpu.as_ref());
            let mut running = true;
            let send = |layout: &Layout, step_ms: f64| {
                let update = LayoutUpdate {
                    positions: Arc::new(layout.positions.clone()),
                    steps: layout.steps,
                    settled: layout.settled(),
                    backend: layout.backend_name(),
                    step_ms,
                };
                let sent = update_sender.send(update).is_ok();
                ctx.request_repaint();
                sent
            };
            if !send(&layout, 0.0) {
                return;
            }
            loop {
                let command = if running && !layout.settled() {
                    match command_receiver.try_recv() {
                        Ok(command) => Some(command),
                        Err(TryRecvError::Empty) => None,
                        Err(TryRecvError::Disconnected) => return,
                    }
                } else {
                    match command_receiver.recv() {
                        Ok(command) => Some(command),
                        Err(_) => return,
                    }
                };
                match command {
                    Some(LayoutCommand::Run(run)) => running = run,
                    Some(LayoutCommand::Reheat) => {
                        layout.reheat();
                        running = true;
                    }
                    None => {}
                }
                if running && !layout.settled() {
                    let started = Instant::now();
                    let before = layout.steps;
                    if let Err(error) = layout.run(STEPS_PER_BATCH) {
                        tracing::warn!("graph layout stopped: {error}");
                        return;
                    }
                    let steps = (layout.steps - before).max(1);
                    let step_ms = started.elapsed().as_secs_f64() * 1e3 / steps as f64;
                    if !send(&layout, step_ms) {
                        return;
                    }
                }
            }
        });
        Self { commands, updates }
    }

    pub fn send(&self, command: LayoutCommand) {
        let _ = self.commands.send(command);
    }

    /// The newest update, if any arrived.
    pub fn poll(&self) -> Option<LayoutUpdate> {
        self.updates.try_iter().last()
    }
}
