//! What a run will cost before it starts: seconds on the CPU and peak working memory, from
//! n, d and the parameters. Each algorithm states its cost through the helpers here, whose
//! constants were fitted to release-build runs on the 2-core reference machine of
//! BENCHMARKS.md (2.5 GHz Xeon, 2026-11/12). The figures are for asking, not for promising:
//! they aim at the right order of magnitude ("about 3 min", not "40 ms"). The window asks
//! before work estimated above its threshold or above the free memory; the command line
//! prints the estimate of long runs.

/// An estimate of one run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// On this machine's CPU backend (a GPU run is usually much faster).
    pub cpu_seconds: f64,
    /// Peak memory beyond the input matrix.
    pub bytes: u64,
}

impl Estimate {
    pub fn new(cpu_seconds: f64, bytes: f64) -> Self {
        Self {
            cpu_seconds: cpu_seconds.max(0.0),
            bytes: bytes.clamp(0.0, u64::MAX as f64) as u64,
        }
    }

    /// "about 3 min", "about 40 s", "under a second".
    pub fn duration_text(&self) -> String {
        duration_text(self.cpu_seconds)
    }
}

/// Rounded words for a duration.
pub fn duration_text(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "longer than anyone would wait".into();
    }
    match seconds {
        s if s < 1.0 => "under a second".into(),
        s if s < 90.0 => format!("about {:.0} s", s),
        s if s < 5400.0 => format!("about {:.0} min", s / 60.0),
        s if s < 172_800.0 => format!("about {:.0} h", s / 3600.0),
        s => format!("about {:.0} days", s / 86_400.0),
    }
}

/// Seconds per multiply-add in vectorised, parallel distance loops (k-means' Lloyd pass:
/// 0.035 s per iteration on 10⁶ × 16, k = 64).
const BLOCKED_MULTIPLY_ADD: f64 = 3.4e-11;
/// Seconds per multiply-add in sequential scans (k-means++ seeding: 5.9 s for 10⁶ × 16,
/// k = 64).
const SCALAR_MULTIPLY_ADD: f64 = 5.8e-9;
/// Seconds per multiply-add of the nearest-neighbour chain and matrix builds (Ward on
/// 20,000 × 8: 2.6 s).
const PAIRWISE_MULTIPLY_ADD: f64 = 8.0e-10;
/// k-d tree work per row and level at d = 2 (HDBSCAN on 100,000 × 2: 0.66 s).
const TREE_STEP: f64 = 1.5e-7;

fn f(n: usize) -> f64 {
    n as f64
}

/// Lloyd-style iterations over n × d rows and k centres, after k-means++ seeding.
pub fn centroid_iterations(
    n: usize,
    d: usize,
    k: usize,
    iterations: usize,
    restarts: usize,
) -> Estimate {
    // Most runs converge long before a large iteration cap.
    let iterations = iterations.clamp(1, 50) as f64;
    let per_pass = f(n) * f(d) * f(k);
    let seconds = restarts.max(1) as f64
        * per_pass
        * (SCALAR_MULTIPLY_ADD + iterations * BLOCKED_MULTIPLY_ADD);
    Estimate::new(seconds, f(n) * 8.0 + f(k) * f(d) * 16.0)
}

/// Work on every pair of rows (a distance matrix, a nearest-neighbour chain): `passes`
/// sweeps of n²/2 pairs, with the matrix kept when `matrix_bytes` is given.
pub fn all_pairs(n: usize, d: usize, passes: f64, matrix_bytes: Option<u64>) -> Estimate {
    let pairs = f(n) * f(n) / 2.0;
    let seconds = pairs * (f(d) + passes) * PAIRWISE_MULTIPLY_ADD;
    let bytes = matrix_bytes.map_or(f(n) * 32.0, |b| b as f64 + f(n) * 32.0);
    Estimate::new(seconds, bytes)
}

/// Neighbour queries through a k-d tree (core distances, Borůvka, radius queries) for
/// `neighbours` neighbours each. Trees lose their pruning as d grows, so the cost grows
/// by √2 per dimension until it meets the all-pairs scan, which bounds it.
pub fn tree_queries(n: usize, d: usize, neighbours: usize) -> Estimate {
    let levels = f(n.max(2)).log2();
    let growth = 2f64.powf(d.min(40) as f64 / 2.0);
    let tree = TREE_STEP * f(n) * levels * growth * (1.0 + neighbours as f64 / 16.0);
    let scan = all_pairs(n, d, 2.0, None).cpu_seconds * 3.0;
    let bytes = f(n) * (64.0 + 12.0 * neighbours.max(1) as f64) + f(n) * f(d) * 4.0;
    Estimate::new(tree.min(scan), bytes)
}

/// Swap searches over medoids with `candidates` rows tried per pass, each costing a scan
/// of the n rows (FasterPAM on a matrix, CLARANS on the fly).
pub fn medoid_swaps(n: usize, d: usize, k: usize, candidates: f64, passes: usize) -> Estimate {
    let per_pass = candidates * f(n) * (f(d) + f(k).sqrt());
    Estimate::new(
        per_pass * passes.clamp(1, 20) as f64 * PAIRWISE_MULTIPLY_ADD,
        f(n) * 16.0,
    )
}

/// Two estimates one after the other (the larger memory of the two).
pub fn then(first: Estimate, second: Estimate) -> Estimate {
    Estimate {
        cpu_seconds: first.cpu_seconds + second.cpu_seconds,
        bytes: first.bytes.max(second.bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fitted_runs_come_back_near_their_measurements() {
        // k-means 10⁶ × 16, k = 64: 5.9 s seeding + about 0.035 s per iteration.
        let kmeans = centroid_iterations(1_000_000, 16, 64, 20, 1).cpu_seconds;
        assert!((5.0..10.0).contains(&kmeans), "{kmeans}");
        // HDBSCAN 10⁵ × 2: 0.66 s; 10⁶ × 2 single linkage: 16.7 s.
        let small = tree_queries(100_000, 2, 5).cpu_seconds;
        assert!((0.3..1.5).contains(&small), "{small}");
        let large = tree_queries(1_000_000, 2, 5).cpu_seconds;
        assert!((5.0..40.0).contains(&large), "{large}");
        // Ward on 20,000 × 8: 2.6 s.
        let ward = all_pairs(20_000, 8, 2.0, None).cpu_seconds;
        assert!((1.0..6.0).contains(&ward), "{ward}");
    }

    #[test]
    fn costs_grow_as_the_algorithms_do() {
        let pairs = |n| all_pairs(n, 4, 2.0, None).cpu_seconds;
        assert!((pairs(20_000) / pairs(10_000) - 4.0).abs() < 1e-9);
        let lloyd = |n| centroid_iterations(n, 4, 8, 10, 1).cpu_seconds;
        assert!((lloyd(20_000) / lloyd(10_000) - 2.0).abs() < 1e-9);
        // Higher dimensions make trees slower, never slower than scanning every pair.
        assert!(tree_queries(100_000, 9, 5).cpu_seconds > tree_queries(100_000, 2, 5).cpu_seconds);
        assert!(
            tree_queries(100_000, 40, 5).cpu_seconds
                <= all_pairs(100_000, 40, 2.0, None).cpu_seconds * 3.0
        );
    }

    #[test]
    fn every_registered_algorithm_states_a_cost_that_grows_with_the_rows() {
        for info in crate::cluster::infos() {
            let params = crate::cluster::AlgorithmParams::new(info.id, info.window_values());
            let small = params.estimate(10_000, 8).unwrap();
            let large = params.estimate(40_000, 8).unwrap();
            assert!(
                small.cpu_seconds.is_finite() && small.cpu_seconds > 0.0 && small.bytes > 0,
                "{}: {small:?}",
                info.id
            );
            assert!(
                large.cpu_seconds > small.cpu_seconds && large.bytes >= small.bytes,
                "{}: {small:?} then {large:?}",
                info.id
            );
        }
    }

    #[test]
    fn the_issue_s_slow_case_is_flagged_and_a_quick_one_is_not() {
        let estimate = |id: &str, n, d| {
            let info = crate::cluster::find(id).unwrap().info();
            crate::cluster::AlgorithmParams::new(id, info.window_values())
                .estimate(n, d)
                .unwrap()
        };
        // HDBSCAN on 10⁶ × 9 ran for minutes with only a spinner.
        assert!(estimate("hdbscan", 1_000_000, 9).cpu_seconds > 60.0);
        assert!(estimate("kmeans", 100_000, 8).cpu_seconds < 10.0);
        // Complete linkage keeps the condensed matrix: 1.6 GB at 20,000 rows.
        let info = crate::cluster::find("agglomerative").unwrap().info();
        let mut values = info.window_values();
        values.insert("linkage".into(), serde_json::json!("complete"));
        let matrix = crate::cluster::AlgorithmParams::new("agglomerative", values)
            .estimate(20_000, 4)
            .unwrap();
        assert!(matrix.bytes > 1_599_000_000, "{matrix:?}");
    }

    #[test]
    fn durations_read_as_words() {
        assert_eq!(duration_text(0.2), "under a second");
        assert_eq!(duration_text(42.4), "about 42 s");
        assert_eq!(duration_text(600.0), "about 10 min");
        assert_eq!(duration_text(7200.0), "about 2 h");
        assert_eq!(
            duration_text(f64::INFINITY),
            "longer than anyone would wait"
        );
    }
}
