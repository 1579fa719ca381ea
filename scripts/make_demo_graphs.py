"""Writes the demo graphs in assets/: Zachary's karate club (Zachary 1977, as networkx
ships it: 34 members, 78 friendships, the club each joined after the split) as GraphML,
and a generated social network (an LFR benchmark graph: 3,000 people in communities of
20 to 150, mixing 0.25) as a whitespace edge list with its planted communities beside it.
Run with the fixture venv: .venv/bin/python scripts/make_demo_graphs.py"""
from pathlib import Path

import networkx as nx

ASSETS = Path(__file__).resolve().parent.parent / "assets"

karate = nx.karate_club_graph()
for u, v in karate.edges():
    karate[u][v].pop("weight", None)
nx.write_graphml(karate, ASSETS / "karate_club.graphml")

social = nx.LFR_benchmark_graph(3000, 2.5, 1.5, 0.25, average_degree=12, max_degree=80,
                                min_community=20, max_community=150, seed=4)
social.remove_edges_from(nx.selfloop_edges(social))
with open(ASSETS / "social_network.edges", "w") as out:
    out.write("# A generated social network: LFR benchmark graph (networkx), n=3000, mu=0.25, seed 4\n")
    for u, v in social.edges():
        out.write(f"{u} {v}\n")
blocks = {}
with open(ASSETS / "social_network_communities.csv", "w") as out:
    out.write("node,planted_community\n")
    for node in sorted(social.nodes()):
        key = min(social.nodes[node]["community"])
        out.write(f"{node},{blocks.setdefault(key, len(blocks))}\n")
