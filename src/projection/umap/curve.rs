//! UMAP's output kernel 1 / (1 + a·d^2b), fitted (as umap-learn's `find_ab_params` does
//! with scipy's `curve_fit`) to 1 below `min_dist` and exp(−(d − min_dist)/spread) above,
//! on 300 points of [0, 3·spread], by Levenberg–Marquardt from a = b = 1.

const SAMPLES: usize = 300;

fn kernel(x: f64, a: f64, b: f64) -> f64 {
    1.0 / (1.0 + a * x.powf(2.0 * b))
}

/// (a, b) for `spread` and `min_dist`.
pub fn fit_ab(spread: f64, min_dist: f64) -> (f64, f64) {
    let xs: Vec<f64> = (0..SAMPLES)
        .map(|i| 3.0 * spread * i as f64 / (SAMPLES - 1) as f64)
        .collect();
    let ys: Vec<f64> = xs
        .iter()
        .map(|&x| {
            if x < min_dist {
                1.0
            } else {
                (-(x - min_dist) / spread).exp()
            }
        })
        .collect();
    let cost = |a: f64, b: f64| -> f64 {
        xs.iter()
            .zip(&ys)
            .map(|(&x, &y)| (kernel(x, a, b) - y).powi(2))
            .sum()
    };
    let (mut a, mut b) = (1.0f64, 1.0f64);
    let mut lambda = 1e-3;
    let mut current = cost(a, b);
    for _ in 0..500 {
        // Normal equations JᵀJ δ = −Jᵀr for the residuals r = f − y.
        let (mut jtj, mut jtr) = ([[0.0f64; 2]; 2], [0.0f64; 2]);
        for (&x, &y) in xs.iter().zip(&ys) {
            let f = kernel(x, a, b);
            let (da, db) = if x > 0.0 {
                let p = x.powf(2.0 * b);
                let g = -f * f;
                (g * p, g * a * p * 2.0 * x.ln())
            } else {
                (0.0, 0.0)
            };
            let r = f - y;
            let j = [da, db];
            for u in 0..2 {
                jtr[u] += j[u] * r;
                for v in 0..2 {
                    jtj[u][v] += j[u] * j[v];
                }
            }
        }
        let mut improved = false;
        for _ in 0..20 {
            let m = [
                [jtj[0][0] * (1.0 + lambda), jtj[0][1]],
                [jtj[1][0], jtj[1][1] * (1.0 + lambda)],
            ];
            let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
            if det.abs() < 1e-300 {
                lambda *= 10.0;
                continue;
            }
            let da = -(m[1][1] * jtr[0] - m[0][1] * jtr[1]) / det;
            let db = -(m[0][0] * jtr[1] - m[1][0] * jtr[0]) / det;
            let (na, nb) = (a + da, b + db);
            let next = if na > 0.0 && nb > 0.0 {
                cost(na, nb)
            } else {
                f64::INFINITY
            };
            if next < current {
                let step = (da.abs() + db.abs()) / (a.abs() + b.abs());
                a = na;
                b = nb;
                lambda = (lambda / 10.0).max(1e-12);
                improved = current - next > 1e-15 * current && step > 1e-12;
                current = next;
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    (a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_give_umap_learns_a_and_b() {
        // umap-learn 0.5: find_ab_params(1.0, 0.1) = (1.5769434604035284, 0.8950608781603849).
        let (a, b) = fit_ab(1.0, 0.1);
        assert!((a - 1.576_943_46).abs() < 1e-4, "a {a}");
        assert!((b - 0.895_060_88).abs() < 1e-4, "b {b}");
        // min_dist 0.5: (0.5830300199950147, 1.334166992455648).
        let (a, b) = fit_ab(1.0, 0.5);
        assert!((a - 0.583_030_02).abs() < 1e-3, "a {a}");
        assert!((b - 1.334_166_99).abs() < 1e-3, "b {b}");
    }
}
