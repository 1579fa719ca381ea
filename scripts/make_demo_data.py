#!/usr/bin/env python3
"""Writes assets/demo.csv: a synthetic customer table with five segments.

Deterministic (fixed seed), standard library only. Five numeric columns, one text
column and a handful of missing values, so the demo shows every part of the window.
Run: python3 scripts/make_demo_data.py
"""
import csv
import random
from pathlib import Path

SEED = 20261121
ROWS = 3000
SEGMENTS = [
    # name, age, income (k), annual spend (k), visits per month, tenure (years)
    ("students", (22, 2.5), (18, 5), (2.0, 0.8), (10, 2.0), (1.5, 0.8)),
    ("young professionals", (32, 3.5), (64, 9), (10.0, 2.0), (5, 1.5), (3.5, 1.2)),
    ("families", (44, 4), (95, 12), (19.0, 3.0), (2.5, 1.0), (9.0, 2.0)),
    ("affluent", (53, 5), (190, 25), (36.0, 5.0), (3, 1.0), (14.0, 3.0)),
    ("retirees", (72, 4), (40, 8), (7.0, 2.0), (12, 2.5), (24.0, 4.0)),
]
REGIONS = ["north", "south", "east", "west"]


def main() -> None:
    rng = random.Random(SEED)
    out = Path(__file__).resolve().parent.parent / "assets" / "demo.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["region", "age", "income_k", "annual_spend_k", "visits_per_month", "tenure_years"])
        for i in range(ROWS):
            _, age, income, spend, visits, tenure = SEGMENTS[i % len(SEGMENTS)]
            values = [
                max(18.0, rng.gauss(*age)),
                max(5.0, rng.gauss(*income)),
                max(0.2, rng.gauss(*spend)),
                max(0.0, rng.gauss(*visits)),
                max(0.1, rng.gauss(*tenure)),
            ]
            row = [rng.choice(REGIONS)] + [f"{v:.2f}" for v in values]
            # A few customers did not give their income: the window shows they are left out.
            if i % 431 == 17:
                row[2] = ""
            writer.writerow(row)
    print(f"wrote {ROWS} rows to {out}")


if __name__ == "__main__":
    main()
