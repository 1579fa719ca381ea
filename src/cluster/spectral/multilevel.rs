//! A ladder of ever coarser graphs, so the eigensolver can start each level from the
//! level below's answer: rows paired by heavy-edge matching (each with the unpaired
//! neighbour it is most strongly tied to), weights between pairs summed (W_c = Pᵀ W P,
//! the weight inside a pair kept as a self-loop so degrees are preserved). Smooth
//! eigenvectors — the ones clustering needs — survive coarsening; on the full graph the
//! filter then only has to clean up local detail, which it damps fast, instead of
//! building the slow global shape from random vectors.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use super::affinity::{NormalisedGraph, WeightedGraph, summed_by_column};

/// Coarsening stops at this many rows (the coarsest level is then solved densely).
pub const COARSEST_ROWS: usize = 500;
/// A level that shrinks by less than this fraction ends the ladder (matching is stuck).
const MIN_SHRINK: f64 = 0.1;

/// One rung below the full graph: its graph and which of the finer level's rows each of
/// its rows holds.
pub struct Level {
    pub graph: WeightedGraph,
    pub normalised: NormalisedGraph,
    /// For each row of the finer level: its row here.
    pub aggregate_of_finer: Vec<u32>,
}

/// Coarser and coarser levels below `fine`, down to [`COARSEST_ROWS`] rows, never
/// coarser than `min_rows` (the solver's block must fit); the coarsest last.
pub fn ladder(fine: &WeightedGraph, min_rows: usize, seed: u64) -> Vec<Level> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x5EED_C0A5);
    let mut levels: Vec<Level> = Vec::new();
    loop {
        let current = levels.last().map_or(fine, |l| &l.graph);
        let n = current.n_rows();
        if n <= COARSEST_ROWS {
            return levels;
        }
        let (aggregate, count) = heavy_edge_matching(current, &mut rng);
        if (count as f64) > (1.0 - MIN_SHRINK) * n as f64 || count < min_rows {
            return levels;
        }
        let graph = coarsen(current, &aggregate, count);
        let normalised = graph.normalised();
        levels.push(Level {
            graph,
            normalised,
            aggregate_of_finer: aggregate,
        });
    }
}

/// Pairs rows, visited in a seeded random order, each with its unpaired neighbour of the
/// largest normalised weight w / √(d_r d_c); rows left alone stay single.
fn heavy_edge_matching(graph: &WeightedGraph, rng: &mut Xoshiro256PlusPlus) -> (Vec<u32>, usize) {
    let n = graph.n_rows();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.shuffle(rng);
    let mut aggregate = vec![u32::MAX; n];
    let mut count = 0u32;
    for &r in &order {
        let r = r as usize;
        if aggregate[r] != u32::MAX {
            continue;
        }
        let range = graph.row_starts[r] as usize..graph.row_starts[r + 1] as usize;
        let mut best: Option<(usize, f64)> = None;
        for (&c, &w) in graph.columns[range.clone()]
            .iter()
            .zip(&graph.weights[range])
        {
            let c = c as usize;
            if c == r || aggregate[c] != u32::MAX {
                continue;
            }
            let strength = w / (graph.degrees[r] * graph.degrees[c]).sqrt();
            if best.is_none_or(|(_, s)| strength > s) {
                best = Some((c, strength));
            }
        }
        aggregate[r] = count;
        if let Some((c, _)) = best {
            aggregate[c] = count;
        }
        count += 1;
    }
    (aggregate, count as usize)
}

/// Pᵀ W P for the aggregation `aggregate` (fine row → coarse row).
fn coarsen(graph: &WeightedGraph, aggregate: &[u32], count: usize) -> WeightedGraph {
    let mut starts = vec![0usize; count + 1];
    for &a in aggregate {
        starts[a as usize + 1] += 1;
    }
    for a in 0..count {
        starts[a + 1] += starts[a];
    }
    let mut members = vec![0u32; aggregate.len()];
    let mut fill = starts.clone();
    for (r, &a) in aggregate.iter().enumerate() {
        members[fill[a as usize]] = r as u32;
        fill[a as usize] += 1;
    }
    let rows: Vec<Vec<(u32, f64)>> = (0..count)
        .into_par_iter()
        .map(|a| {
            let mut entries = Vec::new();
            for &r in &members[starts[a]..starts[a + 1]] {
                let r = r as usize;
                let range = graph.row_starts[r] as usize..graph.row_starts[r + 1] as usize;
                for (&c, &w) in graph.columns[range.clone()]
                    .iter()
                    .zip(&graph.weights[range])
                {
                    entries.push((aggregate[c as usize], w));
                }
            }
            summed_by_column(entries)
        })
        .collect();
    WeightedGraph::from_rows(rows)
}

/// A block of normalised-Laplacian eigenvectors on `coarse` carried to `fine`: each
/// coarse row's random-walk value (x / √d) copied to the rows it holds, then scaled back
/// by their own √d.
pub fn prolong(
    block: &[f64],
    b: usize,
    coarse: &NormalisedGraph,
    fine: &NormalisedGraph,
    aggregate: &[u32],
) -> Vec<f64> {
    let mut out = vec![0.0; fine.n_rows() * b];
    out.par_chunks_mut(b)
        .enumerate()
        .with_min_len(1024)
        .for_each(|(r, row)| {
            let a = aggregate[r] as usize;
            let scale = fine.sqrt_degrees[r] / coarse.sqrt_degrees[a];
            for (o, &v) in row.iter_mut().zip(&block[a * b..(a + 1) * b]) {
                *o = v * scale;
            }
        });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A path of `n` rows with unit weights.
    fn path(n: usize) -> WeightedGraph {
        let mut row_starts = vec![0u32];
        let mut columns = Vec::new();
        for r in 0..n {
            if r > 0 {
                columns.push(r as u32 - 1);
            }
            if r + 1 < n {
                columns.push(r as u32 + 1);
            }
            row_starts.push(columns.len() as u32);
        }
        let weights = vec![1.0; columns.len()];
        WeightedGraph::new(row_starts, columns, weights)
    }

    #[test]
    fn coarsening_keeps_total_weight_and_degrees() {
        let fine = path(2000);
        let levels = ladder(&fine, 10, 1);
        assert!(levels.len() > 1);
        assert!(levels.last().unwrap().graph.n_rows() <= COARSEST_ROWS);
        let total = |g: &WeightedGraph| g.weights.iter().sum::<f64>();
        let mut finer = &fine;
        for level in &levels {
            let coarser = &level.graph;
            assert!((total(finer) - total(coarser)).abs() < 1e-9);
            let aggregate = &level.aggregate_of_finer;
            let mut sums = vec![0.0; coarser.n_rows()];
            for (r, &a) in aggregate.iter().enumerate() {
                sums[a as usize] += finer.degrees[r];
            }
            for (s, d) in sums.iter().zip(&coarser.degrees) {
                assert!((s - d).abs() < 1e-9);
            }
            finer = coarser;
        }
    }

    #[test]
    fn a_constant_random_walk_vector_prolongs_to_one() {
        // x = √d (normalised) is L's null vector at every level; it must stay so.
        let graph = path(1200);
        let levels = ladder(&graph, 10, 4);
        let (fine, coarse) = (&graph.normalised(), &levels[0].normalised);
        let block: Vec<f64> = coarse.sqrt_degrees.clone();
        let out = prolong(&block, 1, coarse, fine, &levels[0].aggregate_of_finer);
        for (v, d) in out.iter().zip(&fine.sqrt_degrees) {
            assert!((v - d).abs() < 1e-12);
        }
    }
}
