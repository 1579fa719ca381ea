"""Leiden on a 10^6-edge graph: leidenalg/igraph beside `clusterscope graph`, in one run.
A planted partition (igraph's SBM: 100,000 nodes in 200 blocks, ~10^6 edges, mixing
~0.2), written as a whitespace edge list; both read the same file. Also times the layout
(`--layout`, 50 steps) at 10^5 nodes. Run: .venv/bin/python benches/issue19_graph.py [BINARY]"""
import json
import os
import subprocess
import sys
import tempfile
import time

import igraph as ig
import leidenalg
import numpy as np

binary = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser(
    "~/.cache/clusterscope/target/release/clusterscope")
n, blocks = 100_000, 200
size = n // blocks
p_in, p_out = 16.0 / size, 4.0 / n
rng = np.random.default_rng(1)
g = ig.Graph.SBM((np.full((blocks, blocks), p_out) + np.eye(blocks) * (p_in - p_out)).tolist(),
                 [size] * blocks)
print(f"graph: {g.vcount()} nodes, {g.ecount()} edges")
folder = tempfile.mkdtemp()
edges = os.path.join(folder, "sbm.edges")
with open(edges, "w") as out:
    for u, v in g.get_edgelist():
        out.write(f"{u} {v}\n")

started = time.perf_counter()
g2 = ig.Graph.Read_Edgelist(edges, directed=False)
read = time.perf_counter() - started
started = time.perf_counter()
part = leidenalg.find_partition(g2, leidenalg.ModularityVertexPartition, seed=42)
leiden = time.perf_counter() - started
print(f"leidenalg {leidenalg.version}: read {read:.2f} s, Leiden {leiden:.2f} s, "
      f"modularity {g2.modularity(part.membership):.4f}, {len(set(part.membership))} communities")

started = time.perf_counter()
out = subprocess.run([binary, "graph", edges, "--algo", "leiden", "--out",
                      os.path.join(folder, "nodes.csv"), "--summary-json"],
                     capture_output=True, text=True, check=True)
whole = time.perf_counter() - started
summary = json.loads(out.stdout)
print(f"clusterscope: whole command {whole:.2f} s (read + Leiden + write), modularity "
      f"{summary['modularity']:.4f}, {summary['n_communities']} communities, "
      f"{summary['iterations']} passes")

started = time.perf_counter()
subprocess.run([binary, "graph", edges, "--algo", "label-propagation", "--out",
                os.path.join(folder, "nodes2.csv"), "--layout", os.path.join(folder, "layout.csv"),
                "--layout-steps", "50", "--backend", os.environ.get("LAYOUT_BACKEND", "auto")],
               check=True)
print(f"clusterscope: 50 layout steps at 10^5 nodes + label propagation: "
      f"{time.perf_counter() - started:.2f} s")
