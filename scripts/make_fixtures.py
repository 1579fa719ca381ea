#!/usr/bin/env python3
"""Reference outputs for the tests against reference packages (tests/reference_*.rs,
tests/kmedoids.rs).

Writes small JSON fixtures to tests/fixtures/: points (float32-exact values) with the
linkage matrices of scipy, DBSCAN labels of scikit-learn, HDBSCAN labels of the `hdbscan`
library, OPTICS orderings of scikit-learn k-medoids losses of the `kmedoids` package Genie labels of `genieclust` Gaussian mixtures and mean shift of scikit-learn.
Run from the repository root (names limit it to those fixtures):

    python3 -m venv .venv && .venv/bin/pip install numpy scipy scikit-learn hdbscan kmedoids genieclust pyclustering networkx leidenalg igraph umap-learn
    .venv/bin/python scripts/make_fixtures.py [linkage dbscan hdbscan optics kmedoids genie gmm meanshift spectral outliers clique graphs embeddings]
"""
import json
import pathlib
import sys

import hdbscan
import numpy as np
import scipy
import sklearn
from scipy.cluster.hierarchy import linkage
from sklearn.cluster import DBSCAN, OPTICS, cluster_optics_dbscan
from sklearn.datasets import make_blobs, make_moons

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def f32(x):
    """Values a Rust f32 parses back exactly, used in float64 by the references."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def points_json(x):
    return [[float(v) for v in row] for row in x]


def write(name, payload):
    payload["versions"] = {
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "hdbscan": getattr(hdbscan, "__version__", "0.8.x"),
    }
    (OUT / f"{name}.json").write_text(json.dumps(payload))
    print("wrote", name)


def linkage_fixtures():
    rng = np.random.default_rng(7)
    # Continuous data: no ties.
    blobs, _ = make_blobs(n_samples=80, n_features=3, centers=4, cluster_std=1.2, random_state=3)
    blobs = f32(blobs)
    # Integer grid with jitter-free duplicates and equal distances: many ties.
    grid = f32([[x, y] for x in range(6) for y in range(4)] + [[2, 2], [5, 0]])
    wide = f32(rng.normal(size=(50, 12)))
    cases = []
    for name, x in [("blobs", blobs), ("grid", grid), ("wide", wide)]:
        for method in ["single", "complete", "average", "ward"]:
            z = linkage(x, method=method, metric="euclidean")
            cases.append({"data": name, "method": method, "linkage": z.tolist()})
    write(
        "linkage",
        {
            "datasets": {
                "blobs": points_json(blobs),
                "grid": points_json(grid),
                "wide": points_json(wide),
            },
            "cases": cases,
        },
    )


def density_points():
    moons, _ = make_moons(n_samples=400, noise=0.06, random_state=1)
    blobs, _ = make_blobs(n_samples=300, centers=[[3, 2], [-1.5, 2]], cluster_std=0.25, random_state=2)
    rng = np.random.default_rng(3)
    noise = rng.uniform([-2, -1.5], [4, 3], size=(60, 2))
    return f32(np.vstack([moons, blobs, noise]))


def dbscan_fixtures():
    x = density_points()
    cases = []
    for eps, min_samples in [(0.1, 5), (0.15, 10), (0.2, 4), (0.05, 3), (0.3, 1)]:
        labels = DBSCAN(eps=eps, min_samples=min_samples).fit(x).labels_
        cases.append({"eps": eps, "min_samples": min_samples, "labels": labels.tolist()})
    write("dbscan", {"points": points_json(x), "cases": cases})


def hdbscan_fixtures():
    from sklearn.metrics import adjusted_rand_score

    x = density_points()
    cases = []
    for mcs, ms, method in [(15, None, "eom"), (10, 5, "eom"), (25, 10, "eom"), (10, 5, "leaf"), (5, 3, "eom")]:
        def fit(data):
            return hdbscan.HDBSCAN(
                min_cluster_size=mcs, min_samples=ms, cluster_selection_method=method,
                algorithm="generic", approx_min_span_tree=False,
            ).fit(data)

        clusterer = fit(x)
        # Mutual reachability distances tie (many edges weigh one core distance), and the
        # library orders tied merges as its sort happens to: the same points in another row
        # order can give another tree. Record how far the library disagrees with itself.
        floor, probability_gap, score_gap = 1.0, 0.0, 0.0
        for seed in range(6):
            order = np.random.default_rng(seed).permutation(len(x))
            other = fit(x[order])
            labels = np.empty_like(other.labels_)
            labels[order] = other.labels_
            probabilities = np.empty_like(other.probabilities_)
            probabilities[order] = other.probabilities_
            scores = np.empty_like(other.outlier_scores_)
            scores[order] = other.outlier_scores_
            floor = min(floor, adjusted_rand_score(clusterer.labels_, labels))
            probability_gap = max(probability_gap, float(np.abs(probabilities - clusterer.probabilities_).mean()))
            score_gap = max(score_gap, float(np.abs(scores - clusterer.outlier_scores_).mean()))
        cases.append({
            "self_agreement_ari": floor,
            "self_probability_gap": probability_gap,
            "self_outlier_score_gap": score_gap,
            "min_cluster_size": mcs,
            "min_samples": ms,
            "selection": method,
            "labels": clusterer.labels_.tolist(),
            "probabilities": clusterer.probabilities_.tolist(),
            "outlier_scores": clusterer.outlier_scores_.tolist(),
        })
    write("hdbscan", {"points": points_json(x), "cases": cases})


def optics_fixtures():
    blobs, _ = make_blobs(n_samples=250, centers=4, cluster_std=[0.3, 0.6, 0.2, 0.8], random_state=5)
    rng = np.random.default_rng(4)
    x = f32(np.vstack([blobs, rng.uniform(-12, 12, size=(30, 2))]))
    cases = []
    for min_samples, max_eps, xi in [(5, np.inf, 0.05), (10, np.inf, 0.1), (8, 3.0, 0.05)]:
        model = OPTICS(min_samples=min_samples, max_eps=max_eps, xi=xi).fit(x)
        threshold = 0.9
        threshold_labels = cluster_optics_dbscan(
            reachability=model.reachability_, core_distances=model.core_distances_,
            ordering=model.ordering_, eps=threshold,
        )
        inf_to_none = lambda a: [None if not np.isfinite(v) else float(v) for v in a]
        cases.append({
            "min_samples": min_samples,
            "max_eps": None if not np.isfinite(max_eps) else max_eps,
            "xi": xi,
            "ordering": model.ordering_.tolist(),
            "reachability": inf_to_none(model.reachability_),
            "core_distances": inf_to_none(model.core_distances_),
            "labels": model.labels_.tolist(),
            "threshold": threshold,
            "threshold_labels": threshold_labels.tolist(),
        })
    write("optics", {"points": points_json(x), "cases": cases})


def kmedoids_fixtures():
    """FasterPAM, PAM and the alternating method with BUILD starts (the `kmedoids`
    package, sequential: n_cpu=1) on blobs, on float32-exact points."""
    import kmedoids
    from sklearn.metrics import pairwise_distances

    datasets = []
    for seed, (n, d, centers, spread) in enumerate([(240, 2, 4, 1.0), (300, 5, 6, 1.5), (200, 3, 3, 3.0)]):
        x, _ = make_blobs(n_samples=n, n_features=d, centers=centers, cluster_std=spread, random_state=11 + seed)
        x = f32(x)
        cases = []
        for metric in ["euclidean", "manhattan", "cosine"]:
            diss = pairwise_distances(x, metric=metric)
            for k in [2, centers, centers + 3]:
                for method in ["fasterpam", "pam", "alternate"]:
                    if method == "fasterpam":
                        r = kmedoids.fasterpam(diss, k, max_iter=100, init="build", n_cpu=1)
                    elif method == "pam":
                        r = kmedoids.pam(diss, k, max_iter=100, init="build")
                    else:
                        r = kmedoids.alternating(diss, k, max_iter=100, init="build")
                    cases.append({
                        "metric": metric,
                        "k": k,
                        "method": method,
                        "loss": float(r.loss),
                        "medoids": sorted(int(m) for m in r.medoids),
                    })
        datasets.append({"points": points_json(x), "cases": cases})
    from importlib.metadata import version

    write("kmedoids", {"datasets": datasets, "kmedoids": version("kmedoids")})


def genie_fixtures():
    """Genie labels of the `genieclust` package for every cluster count of one hierarchy
    (`coarser=True`), on continuous data (no tied edges, so the tree is unique)."""
    import genieclust

    rng = np.random.default_rng(11)
    uneven, _ = make_blobs(n_samples=[300, 60, 25, 140], centers=[[0, 0], [4, 4], [-3, 5], [6, -2]],
                           cluster_std=[1.0, 0.5, 0.3, 0.8], random_state=4)
    outliers = rng.uniform([-8, -8], [10, 10], size=(20, 2))
    datasets = {
        "uneven": f32(np.vstack([uneven, outliers])),
        "moons": f32(make_moons(n_samples=500, noise=0.08, random_state=2)[0]),
        "wide": f32(make_blobs(n_samples=400, n_features=6, centers=5, cluster_std=1.5, random_state=9)[0]),
    }
    cases = []
    for name, x in datasets.items():
        for threshold in [0.1, 0.3, 0.5, 1.0]:
            for m in [1, 5]:
                if m > 1 and name != "moons":
                    continue
                g = genieclust.Genie(n_clusters=8, gini_threshold=threshold, M=m, coarser=True).fit(x)
                # Row k − 1 holds the k-partition.
                by_k = {str(k): g.labels_matrix_[k - 1].tolist() for k in range(2, 9)}
                # With M > 1 many tree edges weigh one core distance: several minimum trees
                # exist and genieclust picks one of them as its row order happens to give
                # (the total weight is the same). Record how far it disagrees with itself.
                floor = 1.0
                if m > 1:
                    from sklearn.metrics import adjusted_rand_score
                    for seed in range(6):
                        order = np.random.default_rng(seed).permutation(len(x))
                        other = genieclust.Genie(n_clusters=8, gini_threshold=threshold, M=m,
                                                 coarser=True).fit(x[order])
                        for k in range(2, 9):
                            labels = np.empty(len(x), dtype=int)
                            labels[order] = other.labels_matrix_[k - 1]
                            floor = min(floor, adjusted_rand_score(g.labels_matrix_[k - 1], labels))
                cases.append({"data": name, "gini_threshold": threshold, "M": m, "labels": by_k,
                              "tree_weight": float(np.sum(g._tree_d_)), "self_agreement_ari": floor})
    payload = {"datasets": {n: points_json(x) for n, x in datasets.items()}, "cases": cases}
    payload["genieclust"] = genieclust.__version__
    write("genie", payload)


def gmm_fixtures():
    """scikit-learn's GaussianMixture started from the parameters one k-means labelling
    gives (the M-step of one-hot responsibilities), so the test can start EM from the
    same place: every covariance shape on an anisotropic 2-D set and a 4-D set."""
    from sklearn.cluster import KMeans
    from sklearn.mixture import GaussianMixture
    from sklearn.mixture._gaussian_mixture import _estimate_gaussian_parameters

    rng = np.random.default_rng(5)
    blobs, _ = make_blobs(n_samples=[250, 200, 150], centers=[[0, 0], [5, 1], [1, 6]],
                          cluster_std=1.0, random_state=8)
    stretched = blobs @ np.array([[0.6, -0.64], [-0.41, 0.85]])
    four, _ = make_blobs(n_samples=500, n_features=4, centers=3, cluster_std=[1.0, 2.0, 0.7],
                         random_state=12)
    four = four + rng.normal(scale=0.3, size=four.shape)
    datasets = {"stretched": f32(stretched), "four": f32(four)}
    cases = []
    for name, x in datasets.items():
        k = 3
        start = KMeans(n_clusters=k, n_init=1, random_state=0).fit(x).labels_
        resp = np.zeros((len(x), k))
        resp[np.arange(len(x)), start] = 1.0
        for shape in ["full", "tied", "diag", "spherical"]:
            reg = 1e-6
            weights, means, covariances = _estimate_gaussian_parameters(x, resp, reg, shape)
            weights = weights / len(x)
            if shape == "full":
                precisions = np.array([np.linalg.inv(c) for c in covariances])
            elif shape == "tied":
                precisions = np.linalg.inv(covariances)
            else:
                precisions = 1.0 / covariances
            gm = GaussianMixture(n_components=k, covariance_type=shape, tol=1e-3, max_iter=100,
                                 reg_covar=reg, weights_init=weights, means_init=means,
                                 precisions_init=precisions, random_state=0).fit(x)
            cases.append({
                "data": name, "covariance": shape, "k": k, "start_labels": start.tolist(),
                "labels": gm.predict(x).tolist(), "lower_bound": float(gm.lower_bound_),
                "n_iter": int(gm.n_iter_), "score": float(gm.score(x)), "bic": float(gm.bic(x)),
                "aic": float(gm.aic(x)), "means": gm.means_.tolist(), "weights": gm.weights_.tolist(),
                "probability": gm.predict_proba(x).max(axis=1).tolist(),
            })
    write("gmm", {"datasets": {n: points_json(x) for n, x in datasets.items()}, "cases": cases})


def meanshift_fixtures():
    """scikit-learn's MeanShift (flat kernel): modes and labels with a given bandwidth,
    an estimated one, bin seeding, and far rows left as noise (cluster_all=False)."""
    from sklearn.cluster import MeanShift, estimate_bandwidth

    rng = np.random.default_rng(21)
    blobs, _ = make_blobs(n_samples=[150, 100, 60], centers=[[0, 0], [4, 3], [-3, 4]],
                          cluster_std=[0.8, 0.6, 0.5], random_state=6)
    outliers = rng.uniform([-9, -9], [9, 9], size=(12, 2))
    three_d, _ = make_blobs(n_samples=240, n_features=3, centers=4, cluster_std=0.7, random_state=3)
    datasets = {"blobs": f32(np.vstack([blobs, outliers])), "three_d": f32(three_d)}
    cases = []
    for name, x in datasets.items():
        estimated = float(estimate_bandwidth(x, quantile=0.3))
        for bandwidth, bin_seeding, cluster_all in [(None, False, True), (1.2, False, True),
                                                    (1.2, True, True), (1.0, False, False),
                                                    (None, True, False)]:
            ms = MeanShift(bandwidth=bandwidth, bin_seeding=bin_seeding, cluster_all=cluster_all).fit(x)
            cases.append({
                "data": name, "bandwidth": bandwidth, "bin_seeding": bin_seeding,
                "cluster_all": cluster_all, "estimated_bandwidth": estimated,
                "centers": ms.cluster_centers_.tolist(), "labels": ms.labels_.tolist(),
            })
    write("meanshift", {"datasets": {n: points_json(x) for n, x in datasets.items()}, "cases": cases})


def spectral_fixtures():
    """scikit-learn's SpectralClustering on k-nearest-neighbour graphs (the row itself
    counted, symmetrised as (A + Aᵀ)/2), every label assignment, and the smallest
    eigenvalues of the normalised Laplacian from a dense solve; the rbf affinity as a
    precomputed graph with Gaussian weights on the same neighbours."""
    from scipy.sparse.csgraph import laplacian
    from sklearn.cluster import SpectralClustering
    from sklearn.datasets import make_circles, make_moons
    from sklearn.neighbors import kneighbors_graph

    moons, _ = make_moons(n_samples=1200, noise=0.05, random_state=3)
    circles, _ = make_circles(n_samples=1200, factor=0.5, noise=0.05, random_state=4)
    blobs, _ = make_blobs(n_samples=900, n_features=3, centers=4, cluster_std=0.8, random_state=5)
    small, _ = make_moons(n_samples=300, noise=0.06, random_state=6)
    datasets = {"moons": f32(moons), "circles": f32(circles), "blobs": f32(blobs), "small": f32(small)}
    ks = {"moons": 2, "circles": 2, "blobs": 4, "small": 2}

    def eigenvalues(w, count=10):
        lap = laplacian(w.tocsr(), normed=True)
        values = np.linalg.eigvalsh(lap.toarray())
        return values[:count].tolist()

    cases = []
    for name, x in datasets.items():
        k = ks[name]
        for n_neighbors, assign in [(10, "kmeans"), (10, "discretize"), (10, "cluster_qr"), (15, "kmeans")]:
            model = SpectralClustering(n_clusters=k, affinity="nearest_neighbors",
                                       n_neighbors=n_neighbors, assign_labels=assign,
                                       random_state=0).fit(x)
            cases.append({
                "data": name, "k": k, "affinity": "knn", "n_neighbors": n_neighbors,
                "gamma": 1.0, "assign": assign.replace("_", "-"),
                "labels": model.labels_.tolist(),
                "eigenvalues": eigenvalues(model.affinity_matrix_),
            })
        gamma = 2.0
        distances = kneighbors_graph(x, 10, mode="distance", include_self=True)
        distances.data = np.exp(-gamma * distances.data ** 2)
        w = (0.5 * (distances + distances.T)).tolil()
        w.setdiag(0)
        w = w.tocsr()
        w.eliminate_zeros()
        model = SpectralClustering(n_clusters=k, affinity="precomputed", random_state=0).fit(w)
        cases.append({
            "data": name, "k": k, "affinity": "rbf", "n_neighbors": 10, "gamma": gamma,
            "assign": "kmeans", "labels": model.labels_.tolist(), "eigenvalues": eigenvalues(w),
        })
    write("spectral", {"datasets": {n: points_json(x) for n, x in datasets.items()}, "cases": cases})


def outlier_fixtures():
    """Local outlier factors of scikit-learn's LocalOutlierFactor (`-negative_outlier_factor_`)
    on blobs with planted outliers and repeated rows (one row 25 times, so some k-distances
    are 0), and the ROC-AUC of its IsolationForest against the planted outliers."""
    from sklearn.ensemble import IsolationForest
    from sklearn.metrics import roc_auc_score
    from sklearn.neighbors import LocalOutlierFactor

    rng = np.random.default_rng(11)
    blobs, _ = make_blobs(n_samples=600, n_features=3, centers=4, cluster_std=[0.5, 1.0, 1.5, 0.7],
                          random_state=12)
    planted = rng.uniform(blobs.min(axis=0) - 4, blobs.max(axis=0) + 4, size=(30, 3))
    repeated = np.vstack([blobs[:20], np.repeat(blobs[20:21], 25, axis=0), blobs[:5]])
    x = f32(np.vstack([blobs, planted, repeated]))
    truth = [0] * len(blobs) + [1] * len(planted) + [0] * len(repeated)
    lof = []
    for k in [5, 20, 35]:
        model = LocalOutlierFactor(n_neighbors=k).fit(x)
        lof.append({"k": k, "scores": (-model.negative_outlier_factor_).tolist()})
    forest = IsolationForest(n_estimators=100, max_samples=256, random_state=0).fit(x)
    auc = roc_auc_score(truth, -forest.score_samples(x))
    lof_auc = roc_auc_score(truth, lof[1]["scores"])
    write("outliers", {"points": points_json(x), "truth": truth, "lof": lof,
                       "iforest_auc": auc, "lof_auc": lof_auc})


def clique_fixtures():
    """pyclustering's CLIQUE (full-space clusters and noise) on 2-D and 3-D blobs over
    uniform noise; its density threshold is a row count, ours a share of the rows."""
    import pyclustering
    from pyclustering.cluster.clique import clique

    rng = np.random.default_rng(11)
    cases = []
    for d, intervals, share in [(2, 10, 0.01), (2, 16, 0.004), (3, 6, 0.01), (3, 8, 0.003)]:
        blobs, _ = make_blobs(n_samples=900, n_features=d, centers=3, cluster_std=0.5, random_state=d)
        noise = rng.uniform(blobs.min(0), blobs.max(0), size=(100, d))
        x = f32(np.vstack([blobs, noise]))
        model = clique(x.tolist(), intervals, int(round(share * len(x))))
        model.process()
        labels = [-1] * len(x)
        for c, members in enumerate(model.get_clusters()):
            for i in members:
                labels[i] = c
        cases.append({"points": points_json(x), "intervals": intervals, "density_threshold": share,
                      "labels": labels, "n_clusters": len(model.get_clusters())})
    write("clique", {"cases": cases, "pyclustering": pyclustering.__version__})


def graph_fixtures():
    """Community references on generated graphs (planted partitions, LFR benchmark graphs,
    one weighted): leidenalg's Leiden (modularity, default two iterations, seed 42) with
    its modularity and NMI against the planted truth, leidenalg's CPM quality at one
    resolution, networkx's Louvain, and networkx's `modularity` of given partitions at
    resolutions 1 and 0.5 (weighted where the graph is)."""
    import igraph as ig
    import leidenalg
    import networkx as nx
    from networkx.algorithms.community import louvain_communities, modularity
    from sklearn.metrics import normalized_mutual_info_score as nmi

    graphs = []
    graphs.append(("planted", nx.planted_partition_graph(6, 50, 0.25, 0.02, seed=1), None))
    graphs.append(("uneven", nx.random_partition_graph([20, 40, 80, 160], 0.3, 0.01, seed=2), None))
    for mu, seed in [(0.2, 7), (0.4, 11)]:
        g = nx.LFR_benchmark_graph(600, 3, 1.5, mu, average_degree=12, max_degree=50,
                                   min_community=20, max_community=100, seed=seed)
        g.remove_edges_from(nx.selfloop_edges(g))
        graphs.append((f"lfr_mu{mu}", g, "community"))
    rng = np.random.default_rng(5)
    weighted = nx.planted_partition_graph(4, 40, 0.3, 0.05, seed=3)
    for u, v in weighted.edges():
        same = u // 40 == v // 40
        weighted[u][v]["weight"] = float(f32(rng.uniform(1.0, 3.0) if same else rng.uniform(0.1, 1.0)))
    graphs.append(("weighted", weighted, None))
    cases = []
    for name, g, attribute in graphs:
        n = g.number_of_nodes()
        if attribute:
            blocks = {}
            truth = [0] * n
            for node in g.nodes():
                key = min(g.nodes[node][attribute])
                truth[node] = blocks.setdefault(key, len(blocks))
        else:
            truth = [0] * n
            for c, block in enumerate(g.graph["partition"]):
                for node in block:
                    truth[node] = c
        weighted_graph = nx.is_weighted(g)
        edges = [[u, v, g[u][v].get("weight", 1.0)] for u, v in g.edges()]
        ig_graph = ig.Graph(n=n, edges=[(u, v) for u, v, _ in edges])
        weights = [w for _, _, w in edges] if weighted_graph else None
        part = leidenalg.find_partition(ig_graph, leidenalg.ModularityVertexPartition,
                                        weights=weights, seed=42)
        leiden_labels = list(part.membership)
        cpm = leidenalg.find_partition(ig_graph, leidenalg.CPMVertexPartition, weights=weights,
                                       resolution_parameter=0.05, seed=42)
        louvain = louvain_communities(g, weight="weight", seed=42)
        communities = [set(np.flatnonzero(np.array(truth) == c)) for c in set(truth)]
        random_labels = rng.integers(0, 5, n)
        random_communities = [set(np.flatnonzero(random_labels == c)) for c in range(5)]
        random_communities = [c for c in random_communities if c]
        cases.append({
            "name": name,
            "n_nodes": n,
            "edges": edges,
            "weighted": weighted_graph,
            "truth": truth,
            # networkx's modularity of leidenalg's partition (leidenalg's own `modularity`
            # property ignores the weights).
            "leiden_modularity": modularity(
                g, [set(np.flatnonzero(np.array(leiden_labels) == c)) for c in set(leiden_labels)],
                weight="weight"),
            "leiden_nmi": nmi(truth, leiden_labels),
            "leiden_communities": len(set(leiden_labels)),
            "cpm_resolution": 0.05,
            "cpm_quality": cpm.quality(),
            "louvain_modularity": modularity(g, louvain, weight="weight"),
            "random_labels": random_labels.tolist(),
            "modularity_truth": modularity(g, communities, weight="weight"),
            "modularity_truth_half": modularity(g, communities, weight="weight", resolution=0.5),
            "modularity_random": modularity(g, random_communities, weight="weight"),
        })
    write("graphs", {"cases": cases, "leidenalg": leidenalg.version, "networkx": nx.__version__})


def embedding_fixtures():
    """Cosine distances of scikit-learn's `pairwise_distances`, DBSCAN with the cosine
    metric, and the trustworthiness (10 neighbours) of umap-learn's UMAP and scikit-learn's
    t-SNE on the digits images (scikit-learn's bundled copy of UCI optdigits, CC BY 4.0)
    with their default parameters and a fixed seed: the floors our maps are held to."""
    import umap
    from sklearn.datasets import load_digits
    from sklearn.manifold import TSNE, trustworthiness
    from sklearn.metrics import pairwise_distances

    rng = np.random.default_rng(11)
    rows = f32(rng.normal(size=(40, 16)) + rng.normal(size=(1, 16)))
    cosine = pairwise_distances(rows, metric="cosine")
    # Directions with lengths that vary: cosine DBSCAN sees the directions only.
    directions = rng.normal(size=(4, 8))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    parts = []
    for d in directions:
        members = d + rng.normal(scale=0.12, size=(70, 8))
        parts.append(members * rng.uniform(0.5, 20.0, size=(70, 1)))
    parts.append(rng.normal(size=(20, 8)) * 5.0)
    embedded = f32(np.vstack(parts))
    dbscan_cases = []
    for eps, min_samples in [(0.02, 5), (0.05, 5), (0.1, 10)]:
        labels = DBSCAN(eps=eps, min_samples=min_samples, metric="cosine").fit(embedded).labels_
        dbscan_cases.append({"eps": eps, "min_samples": min_samples, "labels": labels.tolist()})
    from sklearn.cluster import AgglomerativeClustering
    linkage_cases = []
    for linkage in ["single", "average", "complete"]:
        for metric in ["cosine", "manhattan"]:
            labels = AgglomerativeClustering(n_clusters=4, metric=metric, linkage=linkage).fit(embedded).labels_
            linkage_cases.append({"linkage": linkage, "metric": metric, "labels": labels.tolist()})
    digits = load_digits()
    x = digits.data.astype(np.float32)
    reference = {}
    mapped = umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=42).fit_transform(x)
    reference["umap"] = float(trustworthiness(x, mapped, n_neighbors=10))
    mapped = umap.UMAP(n_neighbors=15, min_dist=0.1, metric="cosine", random_state=42).fit_transform(x)
    reference["umap_cosine"] = float(trustworthiness(x, mapped, n_neighbors=10, metric="cosine"))
    mapped = TSNE(perplexity=30, random_state=42, init="pca").fit_transform(x)
    reference["tsne"] = float(trustworthiness(x, mapped, n_neighbors=10))
    write("embeddings", {
        "cosine_rows": points_json(rows),
        "cosine_distances": cosine.tolist(),
        "dbscan_points": points_json(embedded),
        "dbscan_cases": dbscan_cases,
        "linkage_cases": linkage_cases,
        "digits": digits.data.astype(int).tolist(),
        "digit_labels": digits.target.tolist(),
        "trustworthiness": reference,
        "umap-learn": umap.__version__,
    })


def metric_fixtures():
    """The density family under `metric="manhattan"` and `metric="cosine"`: scikit-learn's
    DBSCAN and OPTICS, the `hdbscan` library's HDBSCAN (generic algorithm) and genieclust's
    Genie (metric "l1" / "cosine") on the 2-D density points and on 5-D blobs with uniform
    noise (cosine: the 5-D blobs moved off the origin, so their directions differ)."""
    import genieclust
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(21)
    blobs, _ = make_blobs(n_samples=360, n_features=5, centers=4, cluster_std=0.6, random_state=21)
    five = f32(np.vstack([blobs, rng.uniform(-10, 10, size=(40, 5))]))
    sets = []
    for metric, name, x, dbscan_params, optics_params in [
        ("manhattan", "plane", density_points(), [(0.15, 5), (0.25, 10)], [(8, 0.05)]),
        ("manhattan", "five", five, [(1.2, 5), (2.0, 10)], [(10, 0.05)]),
        # OPTICS min_samples 8 is left out: there a row lies exactly at its predecessor's
        # core distance, a tie in exact arithmetic that scikit-learn's float64 rounding
        # breaks one way and ours (smaller row first) the other, reordering what follows.
        ("cosine", "five", five, [(0.01, 5), (0.03, 10)], [(5, 0.05), (12, 0.05)]),
    ]:
        # References in float64: scikit-learn computes 1 − cos in the input's precision, and
        # float32's rounding of values near 1 reorders OPTICS's near-ties.
        x64 = x.astype(np.float64)
        dbscan_cases = [
            {"eps": eps, "min_samples": ms,
             "labels": DBSCAN(eps=eps, min_samples=ms, metric=metric).fit(x64).labels_.tolist()}
            for eps, ms in dbscan_params
        ]
        optics_cases = []
        for ms, xi in optics_params:
            model = OPTICS(min_samples=ms, xi=xi, metric=metric).fit(x64)
            optics_cases.append({
                "min_samples": ms, "xi": xi,
                "reachability": [None if not np.isfinite(v) else float(v) for v in model.reachability_],
                "core_distances": model.core_distances_.tolist(),
                "labels": model.labels_.tolist(),
                "ordering": model.ordering_.tolist(),
            })

        def fit_hdbscan(data):
            return hdbscan.HDBSCAN(min_cluster_size=15, min_samples=5, metric=metric,
                                   algorithm="generic", approx_min_span_tree=False).fit(data.astype(np.float64))

        model = fit_hdbscan(x)
        floor = 1.0
        for seed in range(4):
            order = np.random.default_rng(seed).permutation(len(x))
            other = np.empty_like(model.labels_)
            other[order] = fit_hdbscan(x[order]).labels_
            floor = min(floor, adjusted_rand_score(model.labels_, other))
        genie_cases = []
        for k, threshold in [(3, 0.3), (4, 0.5)]:
            g = genieclust.Genie(n_clusters=k, gini_threshold=threshold,
                                 metric="l1" if metric == "manhattan" else metric).fit(x64)
            genie_cases.append({"k": k, "gini_threshold": threshold, "labels": g.labels_.tolist()})
        sets.append({
            "metric": metric,
            "name": name,
            "points": points_json(x),
            "dbscan": dbscan_cases,
            "optics": optics_cases,
            "hdbscan": {"min_cluster_size": 15, "min_samples": 5, "self_agreement_ari": floor,
                        "labels": model.labels_.tolist()},
            "genie": genie_cases,
        })
    write("metrics", {"sets": sets})

FIXTURES = {
    "linkage": linkage_fixtures,
    "dbscan": dbscan_fixtures,
    "hdbscan": hdbscan_fixtures,
    "optics": optics_fixtures,
    "kmedoids": kmedoids_fixtures,
    "genie": genie_fixtures,
    "gmm": gmm_fixtures,
    "meanshift": meanshift_fixtures,
    "spectral": spectral_fixtures,
    "outliers": outlier_fixtures,
    "clique": clique_fixtures,
    "graphs": graph_fixtures,
    "embeddings": embedding_fixtures,
    "metrics": metric_fixtures,
}

if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for name in sys.argv[1:] or FIXTURES:
        FIXTURES[name]()
