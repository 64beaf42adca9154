"""Precedents at scale: index 1,000,000 generated items, answer 10,000 new disputes, check the search.

Data: the true items of generated letters (:func:`imrml.synth.corpus.generate_letters`, labelled as
``imrml synth`` labels them), made once into ``data/bench-precedents/``: 5 seeds x 97,000 letters (about
1,020,000 items; the first N are used) and 5,000 letters of another seed, whose first 10,000 items are the
queries (new disputes: no letter of theirs is indexed). Tables are read back with their text columns
dictionary-encoded (one Python string per distinct text, as a corpus store's Parquet gives them).

Two steps, each in its own process so that its peak RSS is its own:

- ``scale``, N = 1,000,000: build the index (:class:`~imrml.learn.precedents.PrecedentIndex` fit: vocabulary,
  SVD, every item's vector, the class partitions) and what each precedent shows
  (:func:`~imrml.learn.precedent_table.decided_table`); 10,000 queries within their treatment class (the
  default), then widened to every class (no target; how much the filter saves).
- ``check``, N = 100,000: the per-class search against a brute-force scan of every item's vector (recall@10:
  the engine is exact, so 1.0 is expected, and anything less is a bug), and against exact search on the sparse
  TF-IDF rows that the SVD reduces (what the reduction changes), with the outcome ROC-AUC of the neighbours'
  overturned share both ways.

- ``engines``, N = 100,000 (and at --n for the build): the approximate engines an index of this size might use
  instead (faiss IVF-Flat, hnswlib HNSW, usearch HNSW, each one index per treatment class, as the exact search
  partitions), timed to build and to answer the queries, their recall@10 against the exact per-class search.
  Only the engines installed are measured (``pip install faiss-cpu hnswlib usearch``; none is an imrml
  dependency): this is the measurement behind shipping exact search (README, "Why exact search").

Targets (issue 17): index 1,000,000 items in under 3 minutes and 4 GB; 10,000 queries in under 30 s; recall@10
>= 0.95 against exact search at 100,000 items.

    python benchmarks/bench_precedents.py [--n 1000000] [--check-n 100000] [--queries 10000] [--engines-n 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")  # freed Arrow memory goes back to the system

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from _common import ROOT, own_peak_rss_mb, save

WORK = ROOT / "data" / "bench-precedents"
SEEDS = (100, 101, 102, 103, 104)
LETTERS_PER_SEED = 97_000
QUERY_SEED, QUERY_LETTERS = 999, 5_000
COLUMNS = (
    "case_id",
    "item_index",
    "item",
    "case_summary",
    "claims_guideline_text",
    "claims_guideline_family",
    "claims_guideline_topic",
    "decision",
    "decision_date",
    "guideline_family",
    "guideline_topic",
    "rationale",
    # the request as the parser reads it into fields (letters/requested.py), body parts "; "-joined as in a frame
    "request_kind",
    "drug_generic",
    "drug_class",
    "service_type",
    "body_parts",
)
K = 10


# ---------------------------------------------------------------- data


def _generate(seed: int, letters: int, path: Path) -> str:
    """Items as parsing the letters would give them: labelled, the request read into fields."""
    from imrml.learn.precedents import read_request
    from imrml.letters.labels import label_item
    from imrml.synth.corpus import generate_letters

    t0 = time.perf_counter()
    rows = []
    for letter in generate_letters(letters, seed):
        for rec in letter.items:
            label_item(rec)
            d = dict(rec.__dict__)
            fields = ("request_kind", "drug_generic", "drug_class", "service_type", "body_parts")
            d.update({f: v or None for f, v in zip(fields, read_request(rec.item), strict=True)})
            rows.append({c: d[c] for c in COLUMNS})
    tmp = path.with_suffix(".part")
    pq.write_table(pa.Table.from_pylist(rows), tmp)
    os.replace(tmp, path)
    return f"seed {seed}: {letters} letters, {len(rows)} items, {time.perf_counter() - t0:.0f} s"


def make_data() -> None:
    """The generated items, made once (two processes; about 10 minutes on 2 cores)."""
    WORK.mkdir(parents=True, exist_ok=True)
    todo = [(s, LETTERS_PER_SEED, WORK / f"items-seed{s}.parquet") for s in SEEDS]
    todo.append((QUERY_SEED, QUERY_LETTERS, WORK / f"queries-seed{QUERY_SEED}.parquet"))
    todo = [t for t in todo if not t[2].exists() or "request_kind" not in pq.read_schema(t[2]).names]
    if todo:
        with ProcessPoolExecutor(2) as pool:
            for line in pool.map(_generate, *zip(*todo, strict=True)):
                print(line, flush=True)


def read_items(paths: list[Path], n: int) -> pd.DataFrame:
    """The first ``n`` rows of ``paths``, every text column a pandas Categorical from the Parquet dictionaries."""
    need, have = [], 0
    for p in paths:
        need.append(str(p))
        have += pq.ParquetFile(p).metadata.num_rows
        if have >= n:
            break
    text = [c for c in COLUMNS if c != "item_index"]
    table = pq.read_table(need, columns=list(COLUMNS), read_dictionary=text)
    if len(table) < n:
        raise SystemExit(f"only {len(table)} items in {need}, asked for {n}")
    table = table.slice(0, n).unify_dictionaries()
    frame = {}
    for c in COLUMNS:
        column = table.column(c)
        if c == "item_index":
            frame[c] = column.to_numpy()
            continue
        categories = pd.Index(column.chunks[0].dictionary.to_pylist(), dtype=object)
        codes = np.concatenate([ch.indices.fill_null(-1).to_numpy(zero_copy_only=False) for ch in column.chunks])
        frame[c] = pd.Categorical.from_codes(codes.astype(np.int32), categories=categories)
    del table
    pa.default_memory_pool().release_unused()
    return pd.DataFrame(frame)


def corpus(n: int) -> pd.DataFrame:
    return read_items([WORK / f"items-seed{s}.parquet" for s in SEEDS], n)


def queries(n: int) -> pd.DataFrame:
    return read_items([WORK / f"queries-seed{QUERY_SEED}.parquet"], n)


# ---------------------------------------------------------------- steps (each in its own process)


def overturned_auc(y: pd.Series, share: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return round(float(roc_auc_score(np.asarray(y.astype(object)) == "Overturned", share)), 4)


def shares(decisions: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    found = neighbours >= 0
    over = (decisions[np.where(found, neighbours, 0)] == "Overturned") & found
    return over.sum(axis=1) / np.maximum(found.sum(axis=1), 1)


def step_scale(n: int, n_queries: int) -> dict:
    from imrml.learn.precedent_table import decided_table
    from imrml.learn.precedents import PrecedentIndex

    t0 = time.perf_counter()
    items, new = corpus(n), queries(n_queries)
    read_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = PrecedentIndex(n_neighbors=K).fit(items, items["decision"])
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    shown = decided_table(items)
    shown_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    _, same = index.kneighbors(new)
    query_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    _, wide = index.kneighbors(new, same_class=False)
    wide_s = time.perf_counter() - t0
    decisions = np.asarray(items["decision"].astype(object))
    return {
        "items": n,
        "queries": n_queries,
        "read_s": round(read_s, 1),
        "index_build_s": round(build_s, 1),
        "precedent_fields_s": round(shown_s, 1),
        "build_total_s": round(build_s + shown_s, 1),
        "queries_same_class_s": round(query_s, 1),
        "queries_all_classes_s": round(wide_s, 1),
        "peak_rss_mb": round(own_peak_rss_mb()),
        "vectors_mb": round(index.vectors_.nbytes / 2**20),
        "n_components": index.n_components_,
        "classes": len(index.partitions_),
        "largest_class_share": round(max(index.class_sizes().values()) / n, 3),
        "distinct_summaries": int(items["case_summary"].nunique()),
        "precedents_per_query_min": int((same >= 0).sum(axis=1).min()),
        "outcome_auc_same_class": overturned_auc(new["decision"], shares(decisions, same)),
        "outcome_auc_all_classes": overturned_auc(new["decision"], shares(decisions, wide)),
        "same_reviewer_topic_at_10": _same_topic(items, new, same),
        "_shown_rows": len(shown),
    }


def _same_topic(items: pd.DataFrame, new: pd.DataFrame, neighbours: np.ndarray) -> float:
    topic = np.asarray(items["guideline_topic"].astype(object))
    found = neighbours >= 0
    same = (topic[np.where(found, neighbours, 0)] == np.asarray(new["guideline_topic"].astype(object))[:, None]) & found
    return round(float(same.sum() / found.sum()), 4)


def _brute_force(index, Q: np.ndarray, classes: np.ndarray, k: int) -> np.ndarray:
    """Top-k rows of each query by scanning every stored vector, other classes masked out."""
    stored_class = np.empty(len(index.rows_), dtype=object)
    for cls, (start, stop) in index.partitions_.items():
        stored_class[start:stop] = cls
    out = np.full((len(Q), k), -1, np.int64)
    for s in range(0, len(Q), 256):
        S = Q[s : s + 256] @ index.vectors_.T
        S[stored_class[None, :] != classes[s : s + 256, None]] = -np.inf
        top = np.argsort(-S, axis=1, kind="stable")[:, :k]
        ok = np.take_along_axis(S, top, axis=1) > -np.inf
        out[s : s + 256] = np.where(ok, index.rows_[top], -1)
    return out


def _sparse_exact(index, items: pd.DataFrame, new: pd.DataFrame, classes: np.ndarray, k: int) -> np.ndarray:
    """Top-k rows of each query by the cosine of the stacked sparse TF-IDF rows (no SVD), within its class."""
    from imrml.learn.precedents import block_texts, treatment_classes

    def rows(frame):
        return index._stacked({b: (c, index._tfidf(b, t)) for b, (c, t) in block_texts(frame).items()})

    X, Q = rows(items), rows(new)
    item_class = treatment_classes(items)
    out = np.full((len(new), k), -1, np.int64)
    for cls in np.unique(classes):
        members = np.flatnonzero(item_class == cls)
        asked = np.flatnonzero(classes == cls)
        if len(members) == 0:
            continue
        S = (Q[asked] @ X[members].T).toarray()
        top = np.argsort(-S, axis=1, kind="stable")[:, :k]
        out[asked, : top.shape[1]] = members[top]
    return out


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    hits = [len(set(x[x >= 0]) & set(y[y >= 0])) / max(1, (y >= 0).sum()) for x, y in zip(a, b, strict=True)]
    return round(float(np.mean(hits)), 4)


def step_check(n: int, n_queries: int) -> dict:
    from imrml.learn.precedents import PrecedentIndex

    items, new = corpus(n), queries(n_queries)
    index = PrecedentIndex(n_neighbors=K).fit(items, items["decision"])
    _, found = index.kneighbors(new)
    classes = index.query_classes(new).astype(str)
    truth = _brute_force(index, index._query_vectors(new), classes, K)
    sparse = _sparse_exact(index, items, new, classes, K)
    decisions = np.asarray(items["decision"].astype(object))
    return {
        "items": n,
        "queries": n_queries,
        "recall_at_10_vs_brute_force": _overlap(found, truth),
        "agreement_at_10_with_sparse_tfidf": _overlap(found, sparse),
        "outcome_auc_svd256": overturned_auc(new["decision"], shares(decisions, found)),
        "outcome_auc_sparse_tfidf": overturned_auc(new["decision"], shares(decisions, sparse)),
        "peak_rss_mb": round(own_peak_rss_mb()),
    }


# ---------------------------------------------------------------- approximate engines (optional installs)


def _faiss_ivf(V: np.ndarray):
    import faiss

    faiss.omp_set_num_threads(os.cpu_count() or 1)
    nlist = max(1, min(4096, int(4 * np.sqrt(len(V)))))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(V.shape[1]), V.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
    index.train(V)
    index.add(V)
    index.nprobe = min(nlist, 16)

    def search(Q, k):
        return index.search(Q, k)[1]

    return search


def _hnswlib(V: np.ndarray):
    import hnswlib

    index = hnswlib.Index(space="ip", dim=V.shape[1])
    index.init_index(max_elements=len(V), ef_construction=100, M=16)
    index.add_items(V, np.arange(len(V)), num_threads=os.cpu_count() or 1)
    index.set_ef(64)

    def search(Q, k):
        return index.knn_query(Q, k=k, num_threads=os.cpu_count() or 1)[0].astype(np.int64)

    return search


def _usearch(V: np.ndarray):
    from usearch.index import Index

    index = Index(ndim=V.shape[1], metric="ip", dtype="f32", connectivity=16, expansion_add=100, expansion_search=64)
    index.add(np.arange(len(V)), V)

    def search(Q, k):
        return np.asarray(index.search(Q, k).keys, dtype=np.int64).reshape(len(Q), -1)

    return search


ENGINES = {
    "faiss IVF-Flat (nprobe 16)": ("faiss", _faiss_ivf),
    "hnswlib HNSW (M 16, ef 64)": ("hnswlib", _hnswlib),
    "usearch HNSW (M 16, ef 64)": ("usearch", _usearch),
}
SMALL_CLASS = 1_000  # below this a class is scanned exactly by every engine (an ANN graph of it buys nothing)


def _engine_search(make, index, Q: np.ndarray, classes: np.ndarray, k: int) -> tuple[np.ndarray, float, float]:
    """Top-k fitted rows of each query with one approximate index per treatment class (``make`` None: the shipped
    exact search, timed the same way): (rows, build s, query s)."""
    out = np.full((len(Q), k), -1, np.int64)
    build_s = query_s = 0.0
    for cls, (start, stop) in index.partitions_.items():
        asked = np.flatnonzero(classes == cls)
        approximate = make is not None and stop - start >= SMALL_CLASS
        if len(asked) == 0 and not approximate:
            continue
        t0 = time.perf_counter()
        search = make(index.vectors_[start:stop]) if approximate else None
        build_s += time.perf_counter() - t0
        if len(asked) == 0:
            continue
        t0 = time.perf_counter()
        kk = min(k, stop - start)
        if search is None:
            _, pos = index._search(Q[asked], start, stop, kk)
        else:
            pos = search(Q[asked], kk) + start
        query_s += time.perf_counter() - t0
        out[asked, :kk] = np.where(pos >= start, index.rows_[np.clip(pos, 0, len(index.rows_) - 1)], -1)
    return out, build_s, query_s


def step_engines(n: int, n_queries: int) -> dict:
    import importlib.util

    from imrml.learn.precedents import PrecedentIndex

    items, new = corpus(n), queries(n_queries)
    index = PrecedentIndex(n_neighbors=K).fit(items, items["decision"])
    Q = index._query_vectors(new)
    classes = index.query_classes(new).astype(str)
    exact, _, exact_s = _engine_search(None, index, Q, classes, K)
    if not np.array_equal(exact, index.kneighbors(new, return_distance=False)):
        raise SystemExit("the exact search here differs from PrecedentIndex.kneighbors")
    result = {"items": n, "queries": n_queries, "exact_per_class_queries_s": round(exact_s, 2), "engines": {}}
    for name, (module, make) in ENGINES.items():
        if importlib.util.find_spec(module) is None:
            result["engines"][name] = "not installed"
            continue
        found, build_s, query_s = _engine_search(make, index, Q, classes, K)
        result["engines"][name] = {
            "build_s": round(build_s, 1),
            "queries_s": round(query_s, 2),
            "recall_at_10_vs_exact": _overlap(found, exact),
        }
    result["peak_rss_mb"] = round(own_peak_rss_mb())
    return result


# ---------------------------------------------------------------- driver


def run_step(step: str, n: int, n_queries: int) -> dict:
    """One step in a fresh process (its own peak RSS); its result is the last line it prints."""
    proc = subprocess.run(
        [sys.executable, __file__, "--step", step, "--n", str(n), "--queries", str(n_queries)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise SystemExit(f"step {step} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="items indexed in the scale step")
    ap.add_argument("--check-n", type=int, default=100_000, help="items indexed in the check step")
    ap.add_argument("--queries", type=int, default=10_000)
    ap.add_argument("--engines-n", type=int, default=100_000, help="items indexed by the approximate engines")
    ap.add_argument("--step", choices=tuple(STEPS), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.step:
        print(json.dumps(STEPS[a.step](a.n, a.queries)))
        return
    make_data()
    scale = run_step("scale", a.n, a.queries)
    check = run_step("check", a.check_n, a.queries)
    engines = run_step("engines", a.engines_n, a.queries)
    scale.pop("_shown_rows")
    save(
        "precedents",
        {
            "data": f"generated items (imrml.synth, seeds {SEEDS[0]}-{SEEDS[-1]}); queries: seed {QUERY_SEED}",
            "note": "2 shared cores: other work ran beside it, so times vary from run to run",
            "scale": scale,
            "check": check,
            "engines": engines,
            "targets": {
                "build_under_180_s": scale["build_total_s"] < 180,
                "peak_under_4_gb": scale["peak_rss_mb"] < 4096,
                "queries_under_30_s": scale["queries_same_class_s"] < 30,
                "recall_at_10_at_least_0_95": check["recall_at_10_vs_brute_force"] >= 0.95,
            },
        },
    )


STEPS = {"scale": step_scale, "check": step_check, "engines": step_engines}

if __name__ == "__main__":
    main()
