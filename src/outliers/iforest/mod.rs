//! Isolation forest (Liu, Ting & Zhou 2008) grown as scikit-learn's `IsolationForest`
//! grows it: each tree on `sample_size` rows drawn without replacement, split on a
//! feature drawn among those not constant in the node at a threshold drawn uniformly in
//! its range (rows ≤ threshold go left), down to depth ⌈log₂ sample_size⌉. A row's path
//! length in a tree is the depth of its leaf plus c(rows left in the leaf), the average
//! path length of an unsuccessful search in a binary search tree; the score is
//! 2^(−mean path length / c(sample_size)): near 1 for rows isolated at once, about 0.5 or
//! less for ordinary rows (scikit-learn's `-score_samples`).
//!
//! The trees are grown on the CPU (a few hundred rows each); scoring every row against
//! them is the heavy part and runs as `shaders/outliers/iforest.wgsl` on the GPU.

pub mod gpu;

use rand::Rng;
use rand::SeedableRng;
use rand::seq::index::sample;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{DetectInput, Detector, DetectorInfo, Scored};
use crate::cluster::params::ParamSpec;
use crate::cluster::{Backend, ClusterError, Engine, ParamsError, RunContext};
use crate::matrix::Matrix;

pub const PARAMETERS: &[ParamSpec] = &[
    ParamSpec::count(
        "trees",
        100,
        "trees in the forest (scikit-learn's n_estimators)",
    )
    .slider(10, 500),
    ParamSpec::count(
        "sample_size",
        256,
        "rows each tree is grown on (scikit-learn's max_samples; the row count when fewer)",
    )
    .at_least(2)
    .slider(16, 1024),
    ParamSpec::seed(),
];

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForestParams {
    pub trees: usize,
    pub sample_size: usize,
    pub seed: u64,
}

/// The registry's isolation forest.
pub struct IsolationForest;

impl Detector for IsolationForest {
    type Params = ForestParams;

    const INFO: DetectorInfo = DetectorInfo {
        id: "iforest",
        name: "Isolation forest",
        summary: "how few random splits isolate a row (near 1: at once; 0.5 or less: ordinary)",
        parameters: PARAMETERS,
        gpu_passes: &[&gpu::SCORE],
    };

    fn check(_: &ForestParams, _: Option<usize>) -> Result<(), ParamsError> {
        Ok(())
    }

    fn score(
        params: &ForestParams,
        input: &DetectInput<'_>,
        engine: &mut Engine,
        context: &RunContext,
    ) -> Result<Scored, ClusterError> {
        let forest = Forest::grow(input.points, params, context)?;
        match engine.resolve(input.backend)? {
            Backend::Gpu => match engine.gpu().and_then(|gpu| {
                let scores = gpu::score(&gpu, input.points, &forest)?;
                Ok((scores, gpu.adapter_name()))
            }) {
                Ok((scores, adapter)) => {
                    return Ok(Scored {
                        scores,
                        backend: Backend::Gpu,
                        adapter,
                        notes: Vec::new(),
                    });
                }
                Err(error) if input.backend == crate::cluster::BackendChoice::Gpu => {
                    return Err(error);
                }
                Err(error) => tracing::info!("isolation forest scores on the CPU: {error}"),
            },
            Backend::Cpu => {}
        }
        context.check_cancelled()?;
        Ok(Scored::cpu(forest.score(input.points)))
    }
}

/// A node's `feature` when it is a leaf.
pub const LEAF: u32 = u32::MAX;

/// One node, as the GPU reads it: the split feature (or [`LEAF`]), the threshold (a
/// leaf: its path length, depth + c(rows)) as f32 bits, and the children.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Node {
    pub feature: u32,
    pub value_bits: u32,
    pub left: u32,
    pub right: u32,
}

impl Node {
    fn value(&self) -> f32 {
        f32::from_bits(self.value_bits)
    }
}

/// Every tree's nodes in one array.
pub struct Forest {
    pub nodes: Vec<Node>,
    pub roots: Vec<u32>,
    /// c(sample size): the mean path length scores are normalised by.
    pub normaliser: f64,
}

/// c(n): the average path length of an unsuccessful search among n keys, as
/// scikit-learn's `_average_path_length`.
pub fn average_path_length(n: usize) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        _ => {
            let n = n as f64;
            2.0 * ((n - 1.0).ln() + 0.577_215_664_901_532_9) - 2.0 * (n - 1.0) / n
        }
    }
}

impl Forest {
    /// Grows `params.trees` trees on samples of `points`.
    pub fn grow(
        points: &Matrix,
        params: &ForestParams,
        context: &RunContext,
    ) -> Result<Self, ClusterError> {
        let n = points.n_rows;
        let psi = params.sample_size.min(n);
        let max_depth = (psi.max(2) as f64).log2().ceil() as usize;
        let trees: Vec<Vec<Node>> = (0..params.trees)
            .into_par_iter()
            .map(|t| {
                if context.cancel.is_cancelled() {
                    return Vec::new();
                }
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(
                    params.seed ^ (t as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                );
                let mut rows: Vec<u32> = sample(&mut rng, n, psi)
                    .into_iter()
                    .map(|i| i as u32)
                    .collect();
                grow_tree(points, &mut rows, max_depth, &mut rng)
            })
            .collect();
        context.check_cancelled()?;
        let mut nodes = Vec::new();
        let mut roots = Vec::with_capacity(trees.len());
        for tree in trees {
            let offset = nodes.len() as u32;
            roots.push(offset);
            nodes.extend(tree.into_iter().map(|mut node| {
                if node.feature != LEAF {
                    node.left += offset;
                    node.right += offset;
                }
                node
            }));
        }
        Ok(Self {
            nodes,
            roots,
            normaliser: average_path_length(psi),
        })
    }

    /// The path length of row `x` in the tree rooted at `root`.
    fn path_length(&self, root: u32, x: &[f32]) -> f32 {
        let mut node = &self.nodes[root as usize];
        while node.feature != LEAF {
            let next = if x[node.feature as usize] <= node.value() {
                node.left
            } else {
                node.right
            };
            node = &self.nodes[next as usize];
        }
        node.value()
    }

    /// Every row's score (the GPU pass's twin).
    pub fn score(&self, points: &Matrix) -> Vec<f64> {
        let trees = self.roots.len().max(1) as f64;
        (0..points.n_rows)
            .into_par_iter()
            .with_min_len(1024)
            .map(|row| {
                let x = points.row(row);
                let total: f64 = self
                    .roots
                    .iter()
                    .map(|&root| self.path_length(root, x) as f64)
                    .sum();
                2f64.powf(-(total / trees) / self.normaliser)
            })
            .collect()
    }
}

/// One tree on the sample `rows` (reordered in place), nodes numbered from 0.
fn grow_tree(
    points: &Matrix,
    rows: &mut [u32],
    max_depth: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> Vec<Node> {
    let d = points.n_cols;
    let leaf_node = Node {
        feature: LEAF,
        value_bits: 0,
        left: 0,
        right: 0,
    };
    let mut nodes = vec![leaf_node];
    // (node, first row, end row, depth)
    let mut stack = vec![(0usize, 0usize, rows.len(), 0usize)];
    let mut ranges = vec![(f32::INFINITY, f32::NEG_INFINITY); d];
    let mut varying = Vec::with_capacity(d);
    while let Some((id, start, end, depth)) = stack.pop() {
        let size = end - start;
        let leaf = |nodes: &mut Vec<Node>| {
            let value = depth as f64 + average_path_length(size);
            nodes[id].value_bits = (value as f32).to_bits();
        };
        if depth >= max_depth || size <= 1 {
            leaf(&mut nodes);
            continue;
        }
        ranges
            .iter_mut()
            .for_each(|r| *r = (f32::INFINITY, f32::NEG_INFINITY));
        for &row in &rows[start..end] {
            for (range, &v) in ranges.iter_mut().zip(points.row(row as usize)) {
                range.0 = range.0.min(v);
                range.1 = range.1.max(v);
            }
        }
        varying.clear();
        varying.extend((0..d).filter(|&j| ranges[j].1 > ranges[j].0));
        if varying.is_empty() {
            leaf(&mut nodes);
            continue;
        }
        let feature = varying[rng.gen_range(0..varying.len())];
        let (low, high) = ranges[feature];
        let mut threshold = (low as f64 + rng.r#gen::<f64>() * (high as f64 - low as f64)) as f32;
        // Rounding up to the maximum would send every row left.
        if threshold >= high {
            threshold = low;
        }
        let mut middle = start;
        for i in start..end {
            if points.row(rows[i] as usize)[feature] <= threshold {
                rows.swap(i, middle);
                middle += 1;
            }
        }
        let left = nodes.len();
        nodes.push(leaf_node);
        nodes.push(leaf_node);
        nodes[id] = Node {
            feature: feature as u32,
            value_bits: threshold.to_bits(),
            left: left as u32,
            right: left as u32 + 1,
        };
        stack.push((left + 1, middle, end, depth + 1));
        stack.push((left, start, middle, depth + 1));
    }
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_path_lengths_match_scikit_learn() {
        // sklearn.ensemble._iforest._average_path_length([1, 2, 3, 256]).
        assert_eq!(average_path_length(1), 0.0);
        assert_eq!(average_path_length(2), 1.0);
        assert!((average_path_length(3) - 1.207_392_357_589_623).abs() < 1e-12);
        assert!((average_path_length(256) - 10.244_770_920_119_917).abs() < 1e-9);
    }

    #[test]
    fn an_isolated_row_scores_highest() {
        let mut values: Vec<f32> = (0..400).map(|i| ((i * 37) % 101) as f32 / 100.0).collect();
        values.extend_from_slice(&[25.0, 25.0]);
        let points = Matrix::new(201, 2, values);
        let params = ForestParams {
            trees: 50,
            sample_size: 64,
            seed: 1,
        };
        let forest = Forest::grow(&points, &params, &RunContext::default()).unwrap();
        let scores = forest.score(&points);
        let best = scores
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0;
        assert_eq!(best, 200);
        assert!(scores[200] > 0.6, "{}", scores[200]);
    }
}
