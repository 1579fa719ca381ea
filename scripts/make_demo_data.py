#!/usr/bin/env python3
"""Writes assets/demo.csv: a synthetic customer table with five segments.

Deterministic (fixed seed), standard library only. Several numeric columns, one text
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
    ("students", (22, 3), (18, 6), (2.0, 0.8), (9, 2.5), (1.5, 1.0)),
    ("young professionals", (31, 4), (62, 12), (9.0, 2.0), (6, 2.0), (3.0, 1.5)),
    ("families", (42, 5), (85, 15), (16.0, 3.0), (4, 1.5), (8.0, 3.0)),
    ("affluent", (51, 7), (190, 35), (34.0, 6.0), (3, 1.2), (12.0, 4.0)),
    ("retirees", (70, 5), (40, 10), (7.0, 2.0), (11, 3.0), (20.0, 5.0)),
]
REGIONS = ["north", "south", "east", "west"]


def main() -> None:
    rng = random.Random(SEED)
    out = Path(__file__).resolve().parent.parent / "assets" / "demo.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["customer_id", "region", "age", "income_k", "annual_spend_k", "visits_per_month", "tenure_years"]
        )
        for i in range(ROWS):
            _, age, income, spend, visits, tenure = SEGMENTS[i % len(SEGMENTS)]
            values = [
                max(18.0, rng.gauss(*age)),
                max(5.0, rng.gauss(*income)),
                max(0.2, rng.gauss(*spend)),
                max(0.0, rng.gauss(*visits)),
                max(0.1, rng.gauss(*tenure)),
            ]
            row = [f"C{i:05d}", rng.choice(REGIONS)] + [f"{v:.2f}" for v in values]
            # A few customers did not give their income: the window shows they are left out.
            if i % 431 == 17:
                row[3] = ""
            writer.writerow(row)
    print(f"wrote {ROWS} rows to {out}")


if __name__ == "__main__":
    main()
