//! The two label assignments from the spectral embedding that are not k-means, as
//! scikit-learn's `discretize` (Yu & Shi 2003: the rotation of the embedding nearest to a
//! partition matrix, by alternating SVDs) and `cluster_qr` (Damle, Minden & Ying 2019:
//! the k rows a column-pivoted QR picks fix the rotation; no iteration, no seed).

use linfa_linalg::svd::SVDInto;
use ndarray::{Array2, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::super::ClusterError;

/// Restarts from a new random row when an SVD fails, as scikit-learn.
const MAX_SVD_RESTARTS: usize = 30;
/// Rotation updates per restart at most.
const MAX_ROTATIONS: usize = 20;

/// The closest partition to the embedding `maps` (n × k).
pub fn discretize(maps: ArrayView2<'_, f64>, seed: u64) -> Result<Vec<u32>, ClusterError> {
    let (n, k) = maps.dim();
    let mut vectors = maps.to_owned();
    // Columns scaled to norm √n, signs fixed by the first row; then rows to unit length.
    let root_n = (n as f64).sqrt();
    for mut column in vectors.columns_mut() {
        let norm = column.dot(&column).sqrt();
        if norm > 0.0 {
            column.mapv_inplace(|v| v / norm * root_n);
        }
        if column[0] != 0.0 {
            let sign = column[0].signum();
            column.mapv_inplace(|v| -v * sign);
        }
    }
    for mut row in vectors.rows_mut() {
        let norm = row.dot(&row).sqrt();
        if norm > 0.0 {
            row.mapv_inplace(|v| v / norm);
        }
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    for _ in 0..MAX_SVD_RESTARTS {
        // Start from a random row and the rows most orthogonal to those chosen.
        let mut rotation = Array2::<f64>::zeros((k, k));
        rotation
            .column_mut(0)
            .assign(&vectors.row(rng.gen_range(0..n)));
        let mut overlap = vec![0.0; n];
        for j in 1..k {
            let previous = rotation.column(j - 1).to_owned();
            for (o, row) in overlap.iter_mut().zip(vectors.rows()) {
                *o += row.dot(&previous).abs();
            }
            let least = first_min(&overlap);
            rotation.column_mut(j).assign(&vectors.row(least));
        }
        let mut last_objective = 0.0;
        let mut labels = Vec::new();
        let mut failed = false;
        for iteration in 1.. {
            let projected = vectors.dot(&rotation);
            labels = projected
                .rows()
                .into_iter()
                .map(|r| first_max(r.iter()))
                .collect();
            // Partition matrixᵀ · vectors: the rows of each cluster summed.
            let mut t = Array2::<f64>::zeros((k, k));
            for (row, &label) in vectors.rows().into_iter().zip(&labels) {
                let mut target = t.row_mut(label as usize);
                target += &row;
            }
            let Ok((Some(u), singular, Some(vt))) = t.svd_into(true, true) else {
                failed = true;
                break;
            };
            let objective = 2.0 * (n as f64 - singular.sum());
            if (objective - last_objective).abs() < f64::EPSILON || iteration > MAX_ROTATIONS {
                break;
            }
            last_objective = objective;
            rotation = vt.t().dot(&u.t());
        }
        if !failed {
            return Ok(labels);
        }
    }
    Err(ClusterError::Internal(
        "discretize: the SVD did not converge in 30 restarts; try --assign kmeans".into(),
    ))
}

/// Labels from the column-pivoted QR of the embedding (n × k).
pub fn cluster_qr(maps: ArrayView2<'_, f64>) -> Result<Vec<u32>, ClusterError> {
    let (n, k) = maps.dim();
    // Pivoted Gram–Schmidt over the rows: each step picks the row with the largest part
    // outside the span of those picked (LAPACK's geqp3 order, first of equals).
    let mut residual = maps.to_owned();
    let mut pivots = Vec::with_capacity(k);
    let mut first_norm = 0.0;
    for _ in 0..k.min(n) {
        let norms: Vec<f64> = residual.rows().into_iter().map(|r| r.dot(&r)).collect();
        let pivot = first_max(norms.iter());
        let norm = norms[pivot as usize].sqrt();
        if pivots.is_empty() {
            first_norm = norm;
        }
        // What is left is rounding: the embedding has no further direction.
        if norm <= 1e-10 * first_norm || norm == 0.0 {
            break;
        }
        pivots.push(pivot as usize);
        let direction = residual.row(pivot as usize).mapv(|v| v / norm);
        for mut row in residual.rows_mut() {
            let along = row.dot(&direction);
            row.scaled_add(-along, &direction);
        }
    }
    if pivots.len() < k {
        return Err(ClusterError::Internal(format!(
            "cluster-qr: the embedding has rank {} < k = {k}; try --assign kmeans",
            pivots.len()
        )));
    }
    let picked = Array2::from_shape_fn((k, k), |(i, j)| maps[[pivots[j], i]]);
    let (Some(u), _, Some(vt)) = picked
        .svd_into(true, true)
        .map_err(|e| ClusterError::Internal(format!("cluster-qr: SVD failed: {e}")))?
    else {
        return Err(ClusterError::Internal("cluster-qr: SVD failed".into()));
    };
    let rotated = maps.dot(&u.dot(&vt)).mapv(f64::abs);
    Ok(rotated
        .rows()
        .into_iter()
        .map(|r| first_max(r.iter()))
        .collect())
}

fn first_max<'a>(values: impl Iterator<Item = &'a f64>) -> u32 {
    let mut best = (0u32, f64::NEG_INFINITY);
    for (i, &v) in values.enumerate() {
        if v > best.1 {
            best = (i as u32, v);
        }
    }
    best.0
}

fn first_min(values: &[f64]) -> usize {
    let mut best = (0, f64::INFINITY);
    for (i, &v) in values.iter().enumerate() {
        if v < best.1 {
            best = (i, v);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An embedding whose rows are a rotated partition matrix plus a little noise.
    fn rotated_partition() -> (Array2<f64>, Vec<u32>) {
        let truth: Vec<u32> = (0..90).map(|i| (i % 3) as u32).collect();
        let angle = 0.4f64;
        let (c, s) = (angle.cos(), angle.sin());
        let rotation = ndarray::arr2(&[[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]);
        let maps = Array2::from_shape_fn((90, 3), |(r, j)| {
            let noise = ((r * 7 + j * 13) % 11) as f64 * 1e-3;
            (0..3)
                .map(|i| f64::from(truth[r] == i as u32) * rotation[[i, j]])
                .sum::<f64>()
                + noise
        });
        (maps, truth)
    }

    fn same_partition(a: &[u32], b: &[u32]) -> bool {
        let mut map = std::collections::HashMap::new();
        a.iter()
            .zip(b)
            .all(|(x, y)| *map.entry(*x).or_insert(*y) == *y)
            && map.values().collect::<std::collections::HashSet<_>>().len() == map.len()
    }

    #[test]
    fn both_recover_a_rotated_partition() {
        let (maps, truth) = rotated_partition();
        assert!(same_partition(&cluster_qr(maps.view()).unwrap(), &truth));
        assert!(same_partition(&discretize(maps.view(), 0).unwrap(), &truth));
    }

    #[test]
    fn cluster_qr_refuses_a_rank_deficient_embedding() {
        let maps = Array2::from_shape_fn((10, 2), |(r, _)| r as f64);
        assert!(cluster_qr(maps.view()).is_err());
    }
}
