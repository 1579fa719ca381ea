#!/usr/bin/env python3
"""The workbook fixtures of tests/cli.rs: tests/fixtures/book.xlsx and book.ods, each with a
header-only sheet "notes", a sheet "customers" (two groups in x, y; a text column; an empty
cell and an "NA") and a sheet "other". Run from the repository root:

    python3 -m venv /tmp/xv && /tmp/xv/bin/pip install openpyxl odfpy pandas
    /tmp/xv/bin/python scripts/make_workbooks.py
"""
import pathlib

import pandas as pd

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures"

notes = pd.DataFrame({"written by": []})
customers = pd.DataFrame(
    {
        "x": [0.0, 0.1, 0.2, 0.1, 0.0, None, 10.0, 10.1, 10.2, 10.1, 10.0, 10.2],
        "y": [0.0, 0.2, 0.1, 0.0, 0.1, 0.3, 10.0, 10.2, 10.1, 10.0, 10.1, "NA"],
        "segment": ["a"] * 6 + ["b"] * 6,
    }
)
other = pd.DataFrame({"u": [1, 2, 3, 50, 51, 52], "v": [1, 1, 2, 40, 41, 40]})

for name, engine in [("book.xlsx", "openpyxl"), ("book.ods", "odf")]:
    with pd.ExcelWriter(OUT / name, engine=engine) as writer:
        notes.to_excel(writer, sheet_name="notes", index=False)
        customers.to_excel(writer, sheet_name="customers", index=False)
        other.to_excel(writer, sheet_name="other", index=False)
    print("wrote", name)
