//! A Gaussian mixture's components drawn over the scatter: the 1σ and 2σ ellipses of each
//! component's covariance carried through the view's linear map (a PCA projection, or two
//! feature columns with their scaling undone).

use crate::cluster::gmm::FittedMixture;
use crate::matrix::Matrix;
use crate::projection::Pca;

/// View coordinates as an affine function of the clustered features: view = P x + offset.
pub struct ViewMap {
    /// 2 × d, row-major.
    p: Vec<f64>,
    offset: [f64; 2],
    d: usize,
}

impl ViewMap {
    /// PCA components `a` and `b` of `pca` (view = Cᵀ (x − mean)).
    pub fn pca(pca: &Pca, a: usize, b: usize) -> Option<Self> {
        let (ca, cb) = (pca.components.get(a)?, pca.components.get(b)?);
        let d = pca.mean.len();
        let mut p = Vec::with_capacity(2 * d);
        p.extend_from_slice(ca);
        p.extend_from_slice(cb);
        let offset = [-dot(ca, &pca.mean), -dot(cb, &pca.mean)];
        Some(Self { p, offset, d })
    }

    /// Two table columns drawn as they are, when both are feature columns: each feature
    /// column is an affine rescaling of its table column (none, standard, min–max and
    /// robust scaling all are), recovered here by least squares over the drawn rows.
    pub fn columns(
        features: &Matrix,
        feature_names: &[String],
        axes: (&str, &str),
        coordinates: &[[f32; 2]],
    ) -> Option<Self> {
        let d = features.n_cols;
        let mut p = vec![0.0; 2 * d];
        let mut offset = [0.0; 2];
        for (axis, name) in [axes.0, axes.1].into_iter().enumerate() {
            let j = feature_names.iter().position(|c| c == name)?;
            let (scale, shift) = affine_fit(
                (0..features.n_rows).map(|r| features.values[r * d + j] as f64),
                coordinates.iter().map(|c| c[axis] as f64),
            )?;
            p[axis * d + j] = scale;
            offset[axis] = shift;
        }
        Some(Self { p, offset, d })
    }

    fn row(&self, axis: usize) -> &[f64] {
        &self.p[axis * self.d..(axis + 1) * self.d]
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// (scale, shift) with y ≈ scale · x + shift by least squares; None when x is constant.
fn affine_fit(x: impl Iterator<Item = f64>, y: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (x, y) in x.zip(y).filter(|(x, y)| x.is_finite() && y.is_finite()) {
        n += 1.0;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    let var = sxx - sx * sx / n;
    if n < 2.0 || var <= 0.0 {
        return None;
    }
    let scale = (sxy - sx * sy / n) / var;
    Some((scale, (sy - scale * sx) / n))
}

/// One outline: the cluster it belongs to and its points in view coordinates.
pub struct Outline {
    pub cluster: u32,
    pub sigma: f64,
    pub points: Vec<[f64; 2]>,
}

/// Points on each outline.
const SEGMENTS: usize = 72;

/// The 1σ and 2σ ellipses of every assigned component of `model`, in the view.
pub fn outlines(model: &FittedMixture, map: &ViewMap, n_clusters: usize) -> Vec<Outline> {
    let mixture = &model.mixture;
    let d = mixture.n_dims;
    if d != map.d {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (cluster, &component) in model.component_order.iter().enumerate().take(n_clusters) {
        let mean = mixture.mean(component);
        let cov = mixture.covariance(component);
        let centre = [
            dot(map.row(0), mean) + map.offset[0],
            dot(map.row(1), mean) + map.offset[1],
        ];
        // Σ' = P Σ Pᵀ, 2 × 2.
        let projected = |a: usize, b: usize| -> f64 {
            let (ra, rb) = (map.row(a), map.row(b));
            let mut s = 0.0;
            for i in 0..d {
                if ra[i] == 0.0 {
                    continue;
                }
                for j in 0..d {
                    s += ra[i] * cov[i * d + j] * rb[j];
                }
            }
            s
        };
        let (sxx, sxy, syy) = (projected(0, 0), projected(0, 1), projected(1, 1));
        let Some(axes) = principal_axes(sxx, sxy, syy) else {
            continue;
        };
        for sigma in [1.0, 2.0] {
            let points = (0..=SEGMENTS)
                .map(|i| {
                    let t = i as f64 / SEGMENTS as f64 * std::f64::consts::TAU;
                    let (u, v) = (sigma * t.cos(), sigma * t.sin());
                    [
                        centre[0] + u * axes[0][0] + v * axes[1][0],
                        centre[1] + u * axes[0][1] + v * axes[1][1],
                    ]
                })
                .collect();
            out.push(Outline {
                cluster: cluster as u32,
                sigma,
                points,
            });
        }
    }
    out
}

/// The half-axes (eigenvectors scaled by √eigenvalue) of the 2 × 2 covariance
/// [[sxx, sxy], [sxy, syy]]; None when it is not positive semi-definite or not finite.
fn principal_axes(sxx: f64, sxy: f64, syy: f64) -> Option<[[f64; 2]; 2]> {
    let half_trace = (sxx + syy) / 2.0;
    let root = (((sxx - syy) / 2.0).powi(2) + sxy * sxy).sqrt();
    let (l1, l2) = (half_trace + root, (half_trace - root).max(0.0));
    if !(l1.is_finite() && l1 > 0.0) {
        return None;
    }
    let angle = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    let (c, s) = (angle.cos(), angle.sin());
    Some([
        [c * l1.sqrt(), s * l1.sqrt()],
        [-s * l2.sqrt(), c * l2.sqrt()],
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_of_a_rotated_covariance() {
        // Variances 4 along (1, 1)/√2 and 1 along (−1, 1)/√2: Σ = [[2.5, 1.5], [1.5, 2.5]].
        let axes = principal_axes(2.5, 1.5, 2.5).unwrap();
        let r = std::f64::consts::FRAC_1_SQRT_2;
        assert!((axes[0][0] - 2.0 * r).abs() < 1e-12 && (axes[0][1] - 2.0 * r).abs() < 1e-12);
        assert!((axes[1][0] + r).abs() < 1e-12 && (axes[1][1] - r).abs() < 1e-12);
        assert!(principal_axes(f64::NAN, 0.0, 1.0).is_none());
    }

    #[test]
    fn a_column_view_undoes_the_scaling() {
        // Feature = (raw − 10) / 2 on both columns.
        let raw = [[10.0f32, 12.0], [14.0, 10.0], [12.0, 16.0]];
        let features = Matrix::new(
            3,
            2,
            raw.iter()
                .flat_map(|r| [(r[0] - 10.0) / 2.0, (r[1] - 10.0) / 2.0])
                .collect(),
        );
        let names = vec!["a".to_string(), "b".to_string()];
        let map =
            ViewMap::columns(&features, &names, ("b", "a"), &raw.map(|r| [r[1], r[0]])).unwrap();
        // Feature point (1, 2) is raw (12, 14), drawn as (b, a) = (14, 12).
        let x = [1.0, 2.0];
        assert!((dot(map.row(0), &x) + map.offset[0] - 14.0).abs() < 1e-9);
        assert!((dot(map.row(1), &x) + map.offset[1] - 12.0).abs() < 1e-9);
        assert!(ViewMap::columns(&features, &names, ("a", "z"), &raw).is_none());
    }
}
