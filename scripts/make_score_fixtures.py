#!/usr/bin/env python3
"""Reference scores for tests/scores.rs, from scikit-learn.

Writes tests/fixtures/scores.json: small tables (float32-exact points, cluster labels with
-1 as noise, known classes) with scikit-learn's silhouette_score, davies_bouldin_score and
calinski_harabasz_score on the rows that are not noise, and adjusted_rand_score,
adjusted_mutual_info_score, normalized_mutual_info_score and fowlkes_mallows_score of the
labels (noise included, as one more label) against the classes. Run from the repository
root:

    python3 -m venv .venv && .venv/bin/pip install numpy scikit-learn
    .venv/bin/python scripts/make_score_fixtures.py
"""
import json
import pathlib

import numpy as np
import sklearn
from sklearn import metrics
from sklearn.datasets import make_blobs

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "scores.json"


def f32(x):
    """Values a Rust f32 parses back exactly, used in float64 by scikit-learn."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def case(name, x, labels, truth):
    x = f32(x)
    labels = np.asarray(labels, dtype=np.int64)
    truth = np.asarray(truth, dtype=np.int64)
    kept = labels != -1
    internal = {}
    if len(np.unique(labels[kept])) >= 2:
        internal = {
            "silhouette": metrics.silhouette_score(x[kept], labels[kept]),
            "davies_bouldin": metrics.davies_bouldin_score(x[kept], labels[kept]),
            "calinski_harabasz": metrics.calinski_harabasz_score(x[kept], labels[kept]),
        }
    return {
        "name": name,
        "points": [[float(v) for v in row] for row in x],
        "labels": labels.tolist(),
        "truth": truth.tolist(),
        **{k: float(v) for k, v in internal.items()},
        "adjusted_rand": float(metrics.adjusted_rand_score(truth, labels)),
        "adjusted_mutual_info": float(metrics.adjusted_mutual_info_score(truth, labels)),
        "normalized_mutual_info": float(metrics.normalized_mutual_info_score(truth, labels)),
        "fowlkes_mallows": float(metrics.fowlkes_mallows_score(truth, labels)),
    }


def main():
    rng = np.random.default_rng(15)
    cases = []
    # Well separated blobs, labelled by their own generator: high silhouette, ARI 1.
    x, y = make_blobs(n_samples=300, centers=3, n_features=4, cluster_std=0.8, random_state=1)
    cases.append(case("blobs, true labels", x, y, y))
    # The same points with a fifth of the labels shuffled, against the truth.
    noisy = y.copy()
    flip = rng.choice(len(y), size=60, replace=False)
    noisy[flip] = rng.integers(0, 4, size=60)
    cases.append(case("blobs, a fifth relabelled, 4 clusters", x, noisy, y))
    # Noise rows (-1) left out of the internal scores, one more label for the external.
    with_noise = y.copy()
    with_noise[rng.choice(len(y), size=25, replace=False)] = -1
    cases.append(case("blobs with noise", x, with_noise, y))
    # Overlapping blobs in 2-D, many small clusters against few classes: AMI's expected
    # mutual information matters here.
    x, y = make_blobs(n_samples=600, centers=5, n_features=2, cluster_std=2.5, random_state=7)
    fine = (np.floor(x[:, 0]) + 40 * np.floor(x[:, 1] / 3)).astype(np.int64)
    _, fine = np.unique(fine, return_inverse=True)
    cases.append(case("overlapping blobs, fine grid labels", x, fine, y))
    # Random labels: scores near chance (ARI, AMI about 0).
    x = rng.normal(size=(400, 3))
    cases.append(case("random labels", x, rng.integers(0, 6, size=400), rng.integers(0, 3, size=400)))
    OUT.write_text(
        json.dumps(
            {
                "versions": {"numpy": np.__version__, "scikit-learn": sklearn.__version__},
                "cases": cases,
            }
        )
    )
    print("wrote", OUT, len(cases), "cases")


if __name__ == "__main__":
    main()
