#!/usr/bin/env python3
"""The bundled embedding demo: vectors of the docstrings of Python's standard library.

Each public function, class and method of a list of standard modules that has a
docstring of at least 40 characters becomes one row: its text embedded by TF-IDF
(words and word pairs, sublinear counts) and a truncated SVD to 48 dimensions (latent
semantic analysis), rows scaled to unit length. No downloaded model: the corpus is the
docstrings of the interpreter that runs this script (Python Software Foundation
License), so the demo can be shipped and rebuilt anywhere.

Writes assets/docstrings.npy (float32, rows × 48) and assets/docstrings.csv (the same
rows: name, module, area, kind, text) — open the .npy in the window and attach the CSV
(File > Attach columns…), or run `clusterscope project assets/docstrings.npy --method
umap --metric cosine --out map.csv`.

    .venv/bin/pip install numpy scikit-learn
    .venv/bin/python scripts/make_embedding_demo.py
"""
import csv
import importlib
import inspect
import pathlib
import sys

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

ASSETS = pathlib.Path(__file__).resolve().parent.parent / "assets"

# Modules by area: the area is the demo's "known class" to colour by.
AREAS = {
    "text": ["string", "re", "textwrap", "difflib", "unicodedata", "codecs", "html", "html.parser"],
    "numbers": ["math", "cmath", "statistics", "random", "decimal", "fractions", "numbers"],
    "files": ["os", "os.path", "pathlib", "shutil", "glob", "fnmatch", "tempfile", "io", "filecmp"],
    "archives": ["zipfile", "tarfile", "gzip", "bz2", "lzma", "zlib"],
    "data formats": ["json", "csv", "pickle", "struct", "base64", "binascii", "plistlib", "configparser"],
    "time": ["datetime", "time", "calendar", "zoneinfo", "sched"],
    "containers": ["collections", "heapq", "bisect", "array", "queue", "copy", "weakref"],
    "functional": ["itertools", "functools", "operator", "contextlib"],
    "concurrency": ["threading", "multiprocessing", "concurrent.futures", "asyncio", "subprocess", "signal"],
    "network": ["socket", "ssl", "selectors", "http.client", "http.server", "urllib.parse", "urllib.request", "ipaddress", "smtplib", "ftplib", "imaplib", "poplib"],
    "email": ["email.message", "email.utils", "email.parser", "mailbox", "mimetypes"],
    "xml": ["xml.etree.ElementTree", "xml.dom.minidom", "xml.sax"],
    "security": ["hashlib", "hmac", "secrets", "uuid"],
    "language": ["inspect", "ast", "dis", "tokenize", "types", "typing", "abc", "enum", "dataclasses", "traceback", "warnings", "importlib"],
    "testing": ["unittest", "doctest", "pdb", "timeit", "cProfile", "pstats"],
    "cli and logs": ["argparse", "logging", "getopt", "shlex", "cmd", "gettext", "locale"],
    "storage": ["sqlite3", "dbm", "shelve"],
}


def first_paragraph(doc):
    text = inspect.cleandoc(doc).split("\n\n")[0]
    return " ".join(text.split())


def members(module_name):
    try:
        module = importlib.import_module(module_name)
    except Exception:
        return
    for name, value in sorted(vars(module).items()):
        if name.startswith("_"):
            continue
        if getattr(value, "__module__", None) not in (module.__name__, module_name):
            continue
        if inspect.isclass(value):
            yield f"{module_name}.{name}", "class", value
            for method_name, method in sorted(vars(value).items()):
                if method_name.startswith("_") or not callable(method):
                    continue
                yield f"{module_name}.{name}.{method_name}", "method", method
        elif inspect.isfunction(value) or inspect.isbuiltin(value):
            yield f"{module_name}.{name}", "function", value


def main():
    rows = []
    seen = set()
    for area, modules in AREAS.items():
        for module_name in modules:
            for name, kind, value in members(module_name):
                doc = inspect.getdoc(value)
                if not doc or len(doc) < 40:
                    continue
                text = first_paragraph(doc)
                if len(text) < 40 or text in seen:
                    continue
                seen.add(text)
                rows.append({"name": name, "module": module_name, "area": area, "kind": kind, "text": text[:400]})
    full_texts = [r["name"].replace(".", " ").replace("_", " ") + " " + r["text"] for r in rows]
    tfidf = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, stop_words="english")
    matrix = tfidf.fit_transform(full_texts)
    svd = TruncatedSVD(n_components=48, random_state=0)
    vectors = svd.fit_transform(matrix)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    np.save(ASSETS / "docstrings.npy", vectors.astype(np.float32))
    with open(ASSETS / "docstrings.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["name", "module", "area", "kind", "text"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} docstrings of Python {sys.version.split()[0]}, {matrix.shape[1]} terms, "
          f"{svd.explained_variance_ratio_.sum():.2f} of the variance in 48 dimensions")


if __name__ == "__main__":
    main()
