//! Communities of a graph: Leiden ([`leiden`]), Louvain ([`louvain`]) and label
//! propagation ([`label_propagation`]) on an edge list (`clusterscope graph`), or on a
//! table's k-nearest-neighbour graph through the registry (`cluster --algo leiden`).
//! All three run on the CPU: each move depends on the one before it, and a 10⁶-edge graph
//! takes about a second (BENCHMARKS.md), less than reading it.

pub mod label_propagation;
pub mod leiden;
pub mod louvain;
pub mod network;
pub mod partition;
pub mod quality;
mod registry;

use std::time::Instant;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

pub use quality::{Objective, Quality, modularity};
pub use registry::{LabelPropagation, Leiden, Louvain};

use network::Network;

use super::{ClusterError, ParamsError, RunContext};
use crate::graph::Graph;

/// Leiden passes at most when iterating until the quality stops rising.
pub const MAX_PASSES: usize = 50;

/// Which search, with its settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "method")]
pub enum Method {
    Leiden {
        objective: Objective,
        resolution: f64,
        /// Passes, each from the last one's result; 0: until the quality stops rising.
        n_iterations: usize,
    },
    Louvain {
        objective: Objective,
        resolution: f64,
    },
    LabelPropagation {
        max_iterations: usize,
    },
}

impl Method {
    pub fn id(&self) -> &'static str {
        match self {
            Method::Leiden { .. } => "leiden",
            Method::Louvain { .. } => "louvain",
            Method::LabelPropagation { .. } => "label-propagation",
        }
    }

    /// Checks the settings (the resolution positive and finite).
    pub fn check(&self) -> Result<(), ParamsError> {
        let resolution = match self {
            Method::Leiden { resolution, .. } | Method::Louvain { resolution, .. } => *resolution,
            Method::LabelPropagation { max_iterations } => {
                if *max_iterations == 0 {
                    return Err(ParamsError::new(
                        "max_iterations",
                        "{max_iterations} must be at least 1",
                    ));
                }
                return Ok(());
            }
        };
        if !(resolution.is_finite() && resolution > 0.0) {
            return Err(ParamsError::new(
                "resolution",
                format!("{{resolution}} must be a positive number, not {resolution}"),
            ));
        }
        Ok(())
    }
}

/// What a community search found.
#[derive(Clone, Debug)]
pub struct Communities {
    /// Community per node, numbered by size (0 the largest).
    pub labels: Vec<u32>,
    pub n_communities: usize,
    /// Nodes per community, by label.
    pub sizes: Vec<usize>,
    /// Modularity at resolution 1 (networkx's `modularity`), whatever was maximised.
    pub modularity: f64,
    /// The objective maximised, at the resolution asked (equal to `modularity` for
    /// modularity at resolution 1; CPM's H; None for label propagation).
    pub quality: Option<f64>,
    /// Leiden passes, Louvain levels or propagation sweeps.
    pub iterations: usize,
    pub converged: bool,
    /// Communities made of several disconnected pieces in the search's own result
    /// (Leiden's final split makes its output's count 0; Louvain can leave some).
    pub disconnected: usize,
    pub elapsed_ms: f64,
    pub warnings: Vec<String>,
}

/// Runs `method` on `graph` from `seed`.
pub fn detect(
    graph: &Graph,
    method: &Method,
    seed: u64,
    context: &RunContext,
) -> Result<Communities, ClusterError> {
    method.check()?;
    graph
        .check_clusterable()
        .map_err(|e| ClusterError::Params(ParamsError::new("graph", e.to_string())))?;
    let started = Instant::now();
    let network = Network::of_graph(graph);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut warnings = Vec::new();
    let (raw, iterations, converged, quality) = match *method {
        Method::Leiden {
            objective,
            resolution,
            n_iterations,
        } => {
            let quality = Quality::new(objective, resolution, &network);
            let limit = if n_iterations == 0 {
                MAX_PASSES
            } else {
                n_iterations
            };
            let mut labels: Option<Vec<u32>> = None;
            let mut value = f64::NEG_INFINITY;
            let mut passes = 0;
            let mut stable = false;
            while passes < limit {
                let (next, _) =
                    leiden::pass(&network, &quality, labels.clone(), &mut rng, context)?;
                passes += 1;
                let next_value = quality.value(&network, &next);
                let rising = passes == 1 || next_value > value + 1e-12 * value.abs().max(1e-12);
                // A pass that found nothing better leaves the last result standing.
                if next_value >= value {
                    labels = Some(next);
                    value = next_value;
                }
                if !rising {
                    stable = true;
                    break;
                }
            }
            if n_iterations == 0 && !stable {
                warnings.push(format!(
                    "the quality was still rising after {MAX_PASSES} Leiden passes"
                ));
            }
            let labels = labels.unwrap_or_default();
            (labels, passes, stable || n_iterations != 0, Some(quality))
        }
        Method::Louvain {
            objective,
            resolution,
        } => {
            let quality = Quality::new(objective, resolution, &network);
            let (labels, levels) = louvain::run(&network, &quality, &mut rng, context)?;
            (labels, levels + 1, true, Some(quality))
        }
        Method::LabelPropagation { max_iterations } => {
            let (labels, sweeps, converged) =
                label_propagation::run(&network, max_iterations, &mut rng, context)?;
            if !converged {
                warnings.push(format!(
                    "labels still changed after {max_iterations} sweeps (--max-iterations); the communities are where they stood"
                ));
            }
            (labels, sweeps, converged, None)
        }
    };
    let pieces = split_disconnected(graph, &raw);
    let disconnected = pieces.1;
    // Leiden's guarantee, kept even where the last pass aggregated on the unrefined
    // partition: a community in pieces is split (which never lowers modularity or CPM).
    let labels = if matches!(method, Method::Leiden { .. }) && disconnected > 0 {
        pieces.0
    } else {
        raw
    };
    let (labels, sizes) = by_size(&labels);
    let modularity = quality::modularity(graph, &labels, 1.0);
    Ok(Communities {
        n_communities: sizes.len(),
        quality: quality.map(|q| q.value(&network, &labels)),
        labels,
        sizes,
        modularity,
        iterations,
        converged,
        disconnected,
        elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        warnings,
    })
}

/// Each community's connected pieces as communities of their own, and how many
/// communities were in more than one piece.
pub fn split_disconnected(graph: &Graph, labels: &[u32]) -> (Vec<u32>, usize) {
    let n = graph.n_nodes();
    let mut piece = vec![u32::MAX; n];
    let mut pieces_of: std::collections::HashMap<u32, u32> = Default::default();
    let mut next = 0u32;
    let mut stack = Vec::new();
    for start in 0..n {
        if piece[start] != u32::MAX {
            continue;
        }
        piece[start] = next;
        *pieces_of.entry(labels[start]).or_default() += 1;
        stack.push(start);
        while let Some(u) = stack.pop() {
            for (v, _) in graph.row(u) {
                if piece[v] == u32::MAX && labels[v] == labels[u] {
                    piece[v] = next;
                    stack.push(v);
                }
            }
        }
        next += 1;
    }
    let disconnected = pieces_of.values().filter(|&&p| p > 1).count();
    (piece, disconnected)
}

/// Labels renumbered by community size (0 the largest; ties by first node), with sizes.
fn by_size(labels: &[u32]) -> (Vec<u32>, Vec<usize>) {
    let dense = quality::dense_labels(labels);
    let k = dense.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
    let mut sizes = vec![0usize; k];
    for &l in &dense {
        sizes[l as usize] += 1;
    }
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by_key(|&c| std::cmp::Reverse(sizes[c]));
    let mut rank = vec![0u32; k];
    for (r, &c) in order.iter().enumerate() {
        rank[c] = r as u32;
    }
    let relabelled = dense.iter().map(|&l| rank[l as usize]).collect();
    let sorted = order.iter().map(|&c| sizes[c]).collect();
    (relabelled, sorted)
}
