//! Cluster ids as analysts read them: `0..k−1` with no gaps, cluster 0 the largest. Every
//! result leaves [`super::run`] numbered so (and so does every cut of a tree in the
//! window), whatever order the algorithm found its clusters in; the structures that are
//! indexed by cluster (centres, medoids, the condensed tree's selection) follow.

use std::sync::Arc;

use super::NOISE;
use super::result::{Clustering, Structure};
use crate::matrix::Matrix;

/// For labels in `0..n_labels` (or noise): the id each label takes when clusters are
/// numbered by size, largest first, ties kept in the labels' order. Labels no point
/// carries map to [`NOISE`] (they are dropped). Returns the map and the count of ids.
pub fn by_size(labels: &[u32], n_labels: usize) -> (Vec<u32>, usize) {
    let mut sizes = vec![0usize; n_labels];
    for &label in labels {
        if label != NOISE {
            if label as usize >= sizes.len() {
                sizes.resize(label as usize + 1, 0);
            }
            sizes[label as usize] += 1;
        }
    }
    let mut order: Vec<usize> = (0..sizes.len()).filter(|&l| sizes[l] > 0).collect();
    // Stable sort: equal sizes keep the algorithm's order, so numbering is deterministic.
    order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]));
    let mut to_id = vec![NOISE; sizes.len()];
    for (id, &label) in order.iter().enumerate() {
        to_id[label] = id as u32;
    }
    (to_id, order.len())
}

/// `labels` with each label replaced by `to_id[label]` (noise kept).
pub fn apply(labels: &mut [u32], to_id: &[u32]) {
    for label in labels.iter_mut().filter(|l| **l != NOISE) {
        *label = to_id[*label as usize];
    }
}

/// `labels` renumbered in place by size; returns the cluster count.
pub fn renumber_by_size(labels: &mut [u32]) -> usize {
    let (to_id, n) = by_size(labels, 0);
    apply(labels, &to_id);
    n
}

impl Clustering {
    /// This result with clusters numbered `0..k−1` by size and the per-cluster structures
    /// reordered to match. Clusters no point belongs to (k above the number of distinct
    /// points) are dropped, and a warning says how many were asked for.
    pub fn numbered_by_size(mut self) -> Self {
        let (to_id, n_clusters) = by_size(&self.labels, self.n_clusters);
        apply(&mut self.labels, &to_id);
        // The label each new id came from.
        let mut from = vec![0usize; n_clusters];
        for (label, &id) in to_id.iter().enumerate() {
            if id != NOISE {
                from[id as usize] = label;
            }
        }
        for structure in &mut self.structures {
            match structure {
                Structure::Centres(centres) if centres.n_rows == to_id.len() => {
                    let cols = centres.n_cols;
                    let mut values = Vec::with_capacity(n_clusters * cols);
                    for &label in &from {
                        values.extend_from_slice(centres.row(label));
                    }
                    *centres = Arc::new(Matrix::new(n_clusters, cols, values));
                }
                Structure::Medoids(rows) if rows.len() == to_id.len() => {
                    *rows = Arc::new(from.iter().map(|&label| rows[label]).collect());
                }
                Structure::Mixture(model) if model.component_order.len() == to_id.len() => {
                    let old = &model.component_order;
                    let mut order: Vec<usize> = from.iter().map(|&label| old[label]).collect();
                    order.extend(
                        (0..old.len())
                            .filter(|&l| to_id[l] == NOISE)
                            .map(|l| old[l]),
                    );
                    let mut renumbered = (**model).clone();
                    renumbered.component_order = order;
                    *model = Arc::new(renumbered);
                }
                Structure::CondensedTree { selected, .. } if selected.len() == to_id.len() => {
                    *selected = from.iter().map(|&label| selected[label]).collect();
                }
                _ => {}
            }
        }
        if n_clusters < self.n_clusters {
            self.warnings.push(format!(
                "{} clusters were asked for but only {n_clusters} have points (the data has \
                 fewer distinct points than clusters); they are numbered 0..{}",
                self.n_clusters,
                n_clusters.saturating_sub(1)
            ));
        }
        if let Some(gpu) = &mut self.gpu_labels {
            // The device buffers keep the algorithm's labels; the renderer maps them.
            gpu.to_id = to_id;
        }
        self.n_clusters = n_clusters;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::RunDiagnostics;

    #[test]
    fn ids_follow_size_and_ties_keep_order() {
        let mut labels = vec![2, 0, 2, 1, 2, NOISE, 1, 3];
        // Sizes: 0→1, 1→2, 2→3, 3→1: ids 2→0, 1→1, 0→2, 3→3.
        assert_eq!(renumber_by_size(&mut labels), 4);
        assert_eq!(labels, vec![0, 2, 0, 1, 0, NOISE, 1, 3]);
    }

    #[test]
    fn gaps_close_and_empty_clusters_are_dropped_with_a_warning() {
        let labels = vec![5, 5, 1, 5, 1, 3];
        let centres = Matrix::new(6, 1, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        let clustering = Clustering::new(labels, 6, RunDiagnostics::cpu(1, true))
            .with(Structure::Centres(Arc::new(centres)))
            .with(Structure::Medoids(Arc::new(vec![10, 11, 12, 13, 14, 15])))
            .numbered_by_size();
        assert_eq!(clustering.labels, vec![0, 0, 1, 0, 1, 2]);
        assert_eq!(clustering.n_clusters, 3);
        match clustering.structure(crate::cluster::StructureKind::Centres) {
            Some(Structure::Centres(c)) => assert_eq!(c.values, vec![5.0, 1.0, 3.0]),
            _ => panic!("centres kept"),
        }
        assert_eq!(**clustering.medoids().unwrap(), vec![15, 11, 13]);
        assert_eq!(clustering.warnings.len(), 1);
        assert!(clustering.warnings[0].contains("6 clusters were asked for but only 3"));
    }

    #[test]
    fn all_noise_has_no_clusters() {
        let mut labels = vec![NOISE; 4];
        assert_eq!(renumber_by_size(&mut labels), 0);
        assert_eq!(labels, vec![NOISE; 4]);
    }
}
