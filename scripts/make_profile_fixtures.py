#!/usr/bin/env python3
"""Reference cluster profiles for tests/profile.rs, from numpy and scipy group-bys.

Writes tests/fixtures/profile.json: a small labelled table (numbers with gaps, a text
column, a cluster column with -1 as noise) and, per cluster, numpy's count, mean,
std (ddof=1), min, percentiles 25/50/75 (linear) and max of each numeric column, the
category counts of the text column, scipy's one-way ANOVA F (f_oneway) and Pearson's chi2
(chi2_contingency, no correction) over the clusters with noise left out, and the
standardised difference (mean in - mean out) / std of the column. Run from the repository
root:

    python3 -m venv .venv && .venv/bin/pip install numpy scipy
    .venv/bin/python scripts/make_profile_fixtures.py
"""
import json
import pathlib

import numpy as np
from scipy import stats

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "profile.json"

rng = np.random.default_rng(7)
n = 240
cluster = rng.choice([0, 1, 2, -1], size=n, p=[0.4, 0.3, 0.25, 0.05])
spend = np.round(rng.normal(50 + 20 * np.maximum(cluster, 0), 8), 3)
visits = rng.integers(0, 30, size=n).astype(float) + 3 * (cluster == 1)
age = np.round(rng.normal(40 - 5 * np.maximum(cluster, 0), 10), 2)
age[rng.choice(n, 12, replace=False)] = np.nan
regions = np.array(["north", "south", "east", "west"])
region = np.where(
    cluster == 2,
    rng.choice(regions, size=n, p=[0.7, 0.1, 0.1, 0.1]),
    rng.choice(regions, size=n),
)

columns = {"spend": spend, "visits": visits, "age": age}
groups = sorted(set(cluster.tolist()))  # -1 first, then 0, 1, 2: the order ids() gives
clusters = [g for g in groups if g != -1]

numeric = {}
for name, values in columns.items():
    per_group = []
    for g in groups:
        v = values[(cluster == g) & ~np.isnan(values)]
        per_group.append(
            {
                "group": int(g),
                "count": int(v.size),
                "mean": float(v.mean()),
                "std": float(v.std(ddof=1)),
                "min": float(v.min()),
                "q1": float(np.percentile(v, 25)),
                "median": float(np.percentile(v, 50)),
                "q3": float(np.percentile(v, 75)),
                "max": float(v.max()),
            }
        )
    samples = [values[(cluster == g) & ~np.isnan(values)] for g in clusters]
    pooled = np.concatenate(samples)
    diffs = {}
    for g, inside in zip(clusters, samples):
        outside = np.concatenate([s for h, s in zip(clusters, samples) if h != g])
        diffs[str(g)] = float((inside.mean() - outside.mean()) / pooled.std(ddof=1))
    numeric[name] = {
        "groups": per_group,
        "f": float(stats.f_oneway(*samples).statistic),
        "standardised_difference": diffs,
    }

table = np.array([[np.sum((cluster == g) & (region == r)) for r in regions] for g in clusters])
chi2 = stats.chi2_contingency(table, correction=False)
categorical = {
    "region": {
        "chi_squared": float(chi2.statistic),
        "counts": {
            str(int(g)): {r: int(np.sum((cluster == g) & (region == r))) for r in regions}
            for g in groups
        },
    }
}

rows = []
for i in range(n):
    rows.append(
        {
            "spend": float(spend[i]),
            "visits": float(visits[i]),
            "age": None if np.isnan(age[i]) else float(age[i]),
            "region": str(region[i]),
            "cluster": int(cluster[i]),
        }
    )

OUT.write_text(
    json.dumps(
        {
            "made_by": "scripts/make_profile_fixtures.py (numpy %s, scipy %s)"
            % (np.__version__, __import__("scipy").__version__),
            "rows": rows,
            "numeric": numeric,
            "categorical": categorical,
        },
        indent=1,
    )
)
print("wrote", OUT)
