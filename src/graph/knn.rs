//! A table's rows as a graph: each row joined to its `n_neighbors` nearest other rows
//! (the shared k-NN pass: the GPU all-pairs pass or the k-d tree), the links made
//! undirected and each pair counted once with weight 1 (the union of the k-NN lists, as
//! single-cell tools build theirs before Leiden). Node ids are the 0-based row numbers.

use std::sync::Arc;

use super::Graph;
use crate::cluster::{Backend, BackendChoice, ClusterError, Engine, RunContext};
use crate::matrix::Matrix;
use crate::outliers::neighbours;
use crate::spatial::metric::Metric;

/// The k-NN graph of `points` under `metric` (cosine for embeddings, as single-cell tools
/// build theirs on), with the backend the neighbour pass ran on.
pub fn knn_graph(
    engine: &mut Engine,
    points: &Arc<Matrix>,
    n_neighbors: usize,
    metric: Metric,
    backend: BackendChoice,
    context: &RunContext,
) -> Result<(Graph, Backend, String), ClusterError> {
    let n = points.n_rows;
    let k = n_neighbors.min(n.saturating_sub(1));
    if k == 0 {
        return Err(ClusterError::Params(crate::cluster::ParamsError::new(
            "n_neighbors",
            format!("a neighbour graph needs at least 2 rows; there are {n}"),
        )));
    }
    let found = neighbours::nearest_under(engine, points, k, metric, backend, context)?;
    // Each pair once, from its smaller end; a pair both rows list is still one edge.
    let mut edges = Vec::with_capacity(n * k);
    for row in 0..n {
        let (others, _) = found.of(row);
        for &other in others {
            let (u, v) = (row as u32, other);
            let listed_back = found.of(other as usize).0.contains(&u);
            if u < v || !listed_back {
                edges.push((u.min(v), u.max(v), 1.0));
            }
        }
    }
    let names = (0..n).map(|i| i.to_string()).collect();
    let graph = Graph::from_edges(names, &edges)
        .map_err(|e| ClusterError::Internal(format!("the neighbour graph: {e}")))?;
    Ok((graph, found.backend, found.adapter))
}
