//! CPU twin of `shaders/silhouette/cluster_sums.wgsl`: for each row, its summed distances
//! to every cluster's rows, in f32 with one compensated sum walking the rows (sorted by
//! cluster) in order, as the shader does.

/// Sums for rows `first..first + count` of `points` (n × `d`, sorted by cluster so each
/// cluster is one run of `labels`): `count × k` values, row-major; clusters with no rows
/// stay 0.
pub fn cluster_sums(
    points: &[f32],
    labels: &[u32],
    d: usize,
    k: usize,
    first: usize,
    count: usize,
) -> Vec<f32> {
    let n = labels.len();
    let mut sums = vec![0f32; count * k];
    if n == 0 {
        return sums;
    }
    for (local, out) in sums.chunks_mut(k).enumerate() {
        let own = &points[(first + local) * d..(first + local + 1) * d];
        let mut cluster = labels[0];
        let (mut total, mut compensation) = (0f32, 0f32);
        for j in 0..n {
            let other = &points[j * d..(j + 1) * d];
            let acc = own.iter().zip(other).fold(0f32, |acc, (a, b)| {
                let diff = a - b;
                acc + diff * diff
            });
            if labels[j] != cluster {
                out[cluster as usize] = total;
                cluster = labels[j];
                total = 0.0;
                compensation = 0.0;
            }
            let y = acc.sqrt() - compensation;
            let t = total + y;
            compensation = (t - total) - y;
            total = t;
        }
        out[cluster as usize] = total;
    }
    sums
}
