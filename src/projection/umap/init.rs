//! Where the layout starts (umap-learn's `spectral_layout`, `multi_component_layout` and
//! `simplicial_set_embedding`): the 2nd and 3rd smallest eigenvectors of the fuzzy graph's
//! normalised Laplacian, each separate part of the graph laid out on its own and placed
//! by the principal components of its rows' mean; then every axis rescaled to [0, 10].
//! Random starts (or a solver that did not converge) use uniform [−10, 10]².

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::fuzzy::FuzzyGraph;
use crate::cluster::spectral::affinity::WeightedGraph;
use crate::cluster::spectral::laplacian_eigenpairs;
use crate::cluster::{ClusterError, RunContext};
use crate::matrix::Matrix;
use crate::projection::Pca;

/// Eigen-solver tolerance and passes (umap-learn asks scipy for 1e-4).
const TOLERANCE: f64 = 1e-4;
const MAX_PASSES: usize = 200;

/// How the layout starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UmapInit {
    #[default]
    Spectral,
    Random,
}

/// The starting positions, and a note when the spectral start fell back to random.
pub fn initial_positions(
    graph: &FuzzyGraph,
    points: &Matrix,
    init: UmapInit,
    seed: u64,
    context: &RunContext,
) -> Result<(Vec<[f32; 2]>, Option<String>), ClusterError> {
    let n = graph.n_rows();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let random = |rng: &mut Xoshiro256PlusPlus| -> Vec<[f64; 2]> {
        (0..n)
            .map(|_| [rng.gen_range(-10.0..10.0), rng.gen_range(-10.0..10.0)])
            .collect()
    };
    let (raw, note) = match init {
        UmapInit::Random => (random(&mut rng), None),
        UmapInit::Spectral => match spectral(graph, points, seed, context)? {
            Some(layout) => (layout, None),
            None => (
                random(&mut rng),
                Some("the spectral start did not converge; the layout started at random".into()),
            ),
        },
    };
    // umap-learn: scale so the largest coordinate is 10, add N(0, 10⁻⁴) noise, then
    // stretch each axis onto [0, 10].
    let largest = raw
        .iter()
        .flat_map(|p| p.iter().map(|v| v.abs()))
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let noise = Normal::new(0.0, 1e-4).unwrap_or_else(|_| unreachable!("a valid normal"));
    let jittered: Vec<[f64; 2]> = raw
        .iter()
        .map(|p| {
            [
                p[0] * 10.0 / largest + noise.sample(&mut rng),
                p[1] * 10.0 / largest + noise.sample(&mut rng),
            ]
        })
        .collect();
    let mut positions = vec![[0.0f32; 2]; n];
    for axis in 0..2 {
        let (lo, hi) = jittered
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
                (lo.min(p[axis]), hi.max(p[axis]))
            });
        let span = (hi - lo).max(f64::MIN_POSITIVE);
        for (out, p) in positions.iter_mut().zip(&jittered) {
            out[axis] = (10.0 * (p[axis] - lo) / span) as f32;
        }
    }
    Ok((positions, note))
}

/// The graph's rows in connected parts (breadth first), each part's rows ascending.
fn components(graph: &FuzzyGraph) -> Vec<Vec<u32>> {
    let n = graph.n_rows();
    let mut part = vec![u32::MAX; n];
    let mut parts = Vec::new();
    for start in 0..n {
        if part[start] != u32::MAX {
            continue;
        }
        let id = parts.len() as u32;
        let mut members = vec![start as u32];
        part[start] = id;
        let mut head = 0;
        while head < members.len() {
            let row = members[head] as usize;
            head += 1;
            for (other, _) in graph.row(row) {
                if part[other as usize] == u32::MAX {
                    part[other as usize] = id;
                    members.push(other);
                }
            }
        }
        members.sort_unstable();
        parts.push(members);
    }
    parts
}

/// Spectral positions, or None when the solver did not converge.
fn spectral(
    graph: &FuzzyGraph,
    points: &Matrix,
    seed: u64,
    context: &RunContext,
) -> Result<Option<Vec<[f64; 2]>>, ClusterError> {
    let parts = components(graph);
    let n = graph.n_rows();
    if parts.len() == 1 {
        return part_layout(graph, &parts[0], seed, context);
    }
    // Each part around its place among the parts: the principal components of the parts'
    // mean rows, spread over [−10, 10]², each part scaled to a cell of that spread.
    let d = points.n_cols;
    let mut means = vec![0.0f32; parts.len() * d];
    for (p, members) in parts.iter().enumerate() {
        for &row in members {
            for (m, &v) in means[p * d..(p + 1) * d]
                .iter_mut()
                .zip(points.row(row as usize))
            {
                *m += v / members.len() as f32;
            }
        }
    }
    let means = Matrix::new(parts.len(), d, means);
    let centres: Vec<[f64; 2]> = match Pca::fit_cpu(&means) {
        Ok(pca) if parts.len() > 2 => {
            let projected = pca.project(&means, 0, 1.min(pca.components.len() - 1));
            spread(&projected)
        }
        _ => (0..parts.len())
            .map(|p| {
                let angle = std::f64::consts::TAU * p as f64 / parts.len() as f64;
                [10.0 * angle.cos(), 10.0 * angle.sin()]
            })
            .collect(),
    };
    let cell = 10.0 / (parts.len() as f64).sqrt();
    let mut layout = vec![[0.0f64; 2]; n];
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x5EED);
    for (members, centre) in parts.iter().zip(&centres) {
        let own = if members.len() > 3 {
            part_layout(graph, members, seed, context)?
        } else {
            None
        };
        let own = own.unwrap_or_else(|| {
            members
                .iter()
                .map(|_| [rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0)])
                .collect()
        });
        let scale = own
            .iter()
            .flat_map(|p| p.iter().map(|v| v.abs()))
            .fold(0.0f64, f64::max)
            .max(f64::MIN_POSITIVE);
        for (&row, p) in members.iter().zip(&own) {
            layout[row as usize] = [
                centre[0] + p[0] / scale * cell / 2.0,
                centre[1] + p[1] / scale * cell / 2.0,
            ];
        }
    }
    Ok(Some(layout))
}

/// Points spread onto [−10, 10]² along each axis.
fn spread(points: &[[f32; 2]]) -> Vec<[f64; 2]> {
    let mut out = vec![[0.0f64; 2]; points.len()];
    for axis in 0..2 {
        let (lo, hi) = points
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), p| {
                (lo.min(p[axis]), hi.max(p[axis]))
            });
        let span = ((hi - lo) as f64).max(f64::MIN_POSITIVE);
        for (o, p) in out.iter_mut().zip(points) {
            o[axis] = 20.0 * (p[axis] - lo) as f64 / span - 10.0;
        }
    }
    out
}

/// The 2nd and 3rd eigenvectors of one connected part's normalised Laplacian.
fn part_layout(
    graph: &FuzzyGraph,
    members: &[u32],
    seed: u64,
    context: &RunContext,
) -> Result<Option<Vec<[f64; 2]>>, ClusterError> {
    let mut local = vec![u32::MAX; graph.n_rows()];
    for (i, &row) in members.iter().enumerate() {
        local[row as usize] = i as u32;
    }
    let rows: Vec<Vec<(u32, f64)>> = members
        .iter()
        .map(|&row| {
            graph
                .row(row as usize)
                .filter(|&(c, _)| local[c as usize] != u32::MAX)
                .map(|(c, w)| (local[c as usize], w as f64))
                .collect()
        })
        .collect();
    let weighted = WeightedGraph::from_rows(rows);
    if members.len() < 4 {
        return Ok(None);
    }
    let (pairs, _) = laplacian_eigenpairs(&weighted, 3, TOLERANCE, MAX_PASSES, seed, context)?;
    let converged = pairs.residuals[..3.min(pairs.residuals.len())]
        .iter()
        .all(|&r| r <= 1e-2);
    if !converged {
        return Ok(None);
    }
    let b = pairs.block;
    Ok(Some(
        (0..members.len())
            .map(|i| [pairs.vectors[i * b + 1], pairs.vectors[i * b + 2]])
            .collect(),
    ))
}
