//! Reading the Python packages' answers out of the JSON fixtures, and comparing OPTICS
//! with scikit-learn's, as the density tests on either metric need.

use clusterscope::cluster::NOISE;
use clusterscope::cluster::density::hdbscan::HdbscanResult;
use clusterscope::cluster::density::optics::OpticsResult;
use clusterscope::metrics::same_partition;
use serde_json::Value;

/// scikit-learn's labels with −1 → NOISE.
pub fn labels(value: &Value) -> Vec<u32> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let l = v.as_i64().unwrap();
            if l < 0 { NOISE } else { l as u32 }
        })
        .collect()
}

/// The rows labelled noise.
pub fn noise_of(labels: &[u32]) -> Vec<usize> {
    (0..labels.len()).filter(|&i| labels[i] == NOISE).collect()
}

/// Numbers where JSON's null (Python's inf) is infinite.
pub fn optional(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap_or(f64::INFINITY))
        .collect()
}

/// OPTICS against a fixture case of scikit-learn's: the same ordering, reachability and
/// core distances within a relative 1e-5 (plus `absolute`), and the same ξ noise and
/// clusters. `what` names the case in failures.
pub fn assert_optics_matches(result: &OpticsResult, case: &Value, absolute: f64, what: &str) {
    let ordering: Vec<u32> = case["ordering"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect();
    assert_eq!(result.ordering.ordering, ordering, "{what}: ordering");
    for (name, ours, theirs) in [
        (
            "reachability",
            &result.ordering.reachability,
            optional(&case["reachability"]),
        ),
        (
            "core distance",
            &result.ordering.core_distances,
            optional(&case["core_distances"]),
        ),
    ] {
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert!(
                a == b || (a - b).abs() <= 1e-5 * b.abs() + absolute,
                "{what}: {name} of point {i}: {a} vs {b}"
            );
        }
    }
    let expected = labels(&case["labels"]);
    assert_eq!(
        noise_of(&result.labels),
        noise_of(&expected),
        "{what}: ξ noise"
    );
    assert!(
        same_partition(&result.labels, &expected),
        "{what}: ξ clusters"
    );
}

/// Two HDBSCAN runs (the GPU's and the CPU's) built the same core distances, spanning tree
/// and labels, bit for bit.
pub fn assert_same_hdbscan(a: &HdbscanResult, b: &HdbscanResult, what: &str) {
    assert_eq!(
        a.hierarchy.core_sq, b.hierarchy.core_sq,
        "{what}: core distances"
    );
    assert_eq!(
        a.hierarchy.edges, b.hierarchy.edges,
        "{what}: spanning tree"
    );
    assert_eq!(a.labels, b.labels, "{what}: labels");
}
