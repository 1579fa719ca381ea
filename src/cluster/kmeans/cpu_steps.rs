//! The CPU backend of Lloyd's loop: assignment and block reduction fused per block.

use rayon::prelude::*;

use super::cpu::{self, BLOCK_POINTS, CentroidPanel};
use super::lloyd::LloydSteps;
use crate::cluster::ClusterError;
use crate::matrix::Matrix;

pub(crate) struct CpuSteps<'a> {
    points: &'a Matrix,
    point_norms: Vec<f32>,
    n_clusters: usize,
    spherical: bool,
    centroids: Vec<f32>,
    centroid_norms: Vec<f32>,
    labels: Vec<u32>,
    min_distances: Vec<f32>,
    partial_sums: Vec<f32>,
    partial_counts: Vec<u32>,
}

impl<'a> CpuSteps<'a> {
    pub fn new(points: &'a Matrix, n_clusters: usize, spherical: bool) -> Self {
        let n_blocks = points.n_rows.div_ceil(BLOCK_POINTS);
        Self {
            points,
            point_norms: cpu::squared_norms(&points.values, points.n_cols),
            n_clusters,
            spherical,
            centroids: Vec::new(),
            centroid_norms: Vec::new(),
            labels: vec![0; points.n_rows],
            min_distances: vec![0.0; points.n_rows],
            partial_sums: vec![0.0; n_blocks * n_clusters * points.n_cols],
            partial_counts: vec![0; n_blocks * n_clusters],
        }
    }

    fn panel(&self) -> CentroidPanel {
        CentroidPanel::new(&self.centroids, &self.centroid_norms, self.points.n_cols)
    }
}

impl LloydSteps for CpuSteps<'_> {
    fn load_centroids(&mut self, centroids: &[f32], norms: &[f32]) -> Result<(), ClusterError> {
        self.centroids = centroids.to_vec();
        self.centroid_norms = norms.to_vec();
        Ok(())
    }

    fn iterate(&mut self) -> Result<(Vec<u32>, Vec<f32>), ClusterError> {
        let d = self.points.n_cols;
        let k = self.n_clusters;
        let panel = self.panel();
        let points = &self.points.values;
        let point_norms = &self.point_norms;
        // assign + reduce, fused per block so each block's rows are read while in cache.
        self.labels
            .par_chunks_mut(BLOCK_POINTS)
            .zip(self.min_distances.par_chunks_mut(BLOCK_POINTS))
            .zip(self.partial_sums.par_chunks_mut((k * d).max(1)))
            .zip(self.partial_counts.par_chunks_mut(k))
            .enumerate()
            .for_each(|(block, (((labels, min_distances), sums), counts))| {
                let start = block * BLOCK_POINTS;
                let rows = &points[start * d..(start + labels.len()) * d];
                let norms = &point_norms[start..start + labels.len()];
                cpu::assign_block(rows, norms, &panel, labels, min_distances);
                cpu::reduce_block(rows, labels, d, sums, counts);
            });
        let mut sums = vec![0f32; k * d];
        let mut counts = vec![0u32; k];
        cpu::accumulate(
            &self.partial_sums,
            &self.partial_counts,
            &mut sums,
            &mut counts,
        );
        let mut shift = vec![0f32; k];
        cpu::finalize(
            &sums,
            &counts,
            d,
            self.spherical,
            &mut self.centroids,
            &mut self.centroid_norms,
            &mut shift,
        );
        Ok((counts, shift))
    }

    fn assign_only(&mut self) -> Result<(), ClusterError> {
        let panel = self.panel();
        cpu::assign(
            &self.points.values,
            &self.point_norms,
            &panel,
            &mut self.labels,
            &mut self.min_distances,
        );
        Ok(())
    }

    fn centroids(&mut self) -> Result<Vec<f32>, ClusterError> {
        Ok(self.centroids.clone())
    }

    fn labels(&mut self) -> Result<Vec<u32>, ClusterError> {
        Ok(self.labels.clone())
    }

    fn min_distances(&mut self) -> Result<Vec<f32>, ClusterError> {
        Ok(self.min_distances.clone())
    }
}
