"""Batch-score letters or parsed items with a registered MLflow model.

    imrml score --model models:/outcome_case@champion INPUT... -o scored.csv

INPUT is letters (.pdf/.txt files or folders, parsed on the way) or item tables
(.jsonl, .parquet, .csv with the record's columns). Input streams through in
chunks, so memory stays flat however large it is; every input item ends either
in the output or in the rejects report (scored + rejected = input).
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .io import LETTER_SUFFIXES, TABLE_SUFFIXES, Reject, TableWriter, count_rows, find_inputs, iter_table, write_jsonl
from .schema import OVERTURNED, RECORD_FIELDS, UPHELD, ItemRecord

ID_COLUMNS = ("case_id", "source_file", "item_index", "item")
TOP_K = 3
# The model's signature marks every column optional (a case before review has no rationale,
# and age, sex or dates may be unknown), but a table without the text a model reads would
# score as empty text: these columns must be present when the model reads them.
ESSENTIAL_COLUMNS = ("item", "case_summary", "claims_guideline_text", "rationale")
LABEL_COLUMNS = ("claims_guideline_family", "claims_guideline_topic")


class SchemaMismatch(ValueError):
    """The data lacks columns the model's input schema requires."""


# ---------------------------------------------------------------- the model


@dataclass
class LoadedModel:
    uri: str
    pyfunc: Any
    name: str | None
    version: str | None
    run_id: str | None
    target: str | None
    required_columns: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)  # in the order of the p_ columns
    input_keys: frozenset[str] | None = None  # the record fields scoring reads; None: all of them

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = self.pyfunc.predict(frame)
        return out if isinstance(out, pd.DataFrame) else pd.DataFrame({"prediction": np.asarray(out)})

    @property
    def sklearn_pipeline(self):
        """The fitted scikit-learn pipeline inside the pyfunc, for --explain (None if not reachable)."""
        try:
            python_model = self.pyfunc.unwrap_python_model()
        except Exception:
            return None
        return getattr(python_model, "pipeline", None) or getattr(python_model, "pipeline_", None)


def load_model(uri: str) -> LoadedModel:
    """Load a pyfunc model and what the output should say about it (name, version, run id)."""
    import mlflow
    import mlflow.pyfunc

    from .tracking import configure_tracking, quiet_mlflow

    quiet_mlflow()
    configure_tracking()
    try:
        model = mlflow.pyfunc.load_model(uri)
    except Exception as e:  # MLflow raises several types for a missing model/alias
        raise ValueError(f"cannot load model {uri!r}: {str(e).splitlines()[0]}") from None
    meta = model.metadata
    name = version = None
    if uri.startswith("models:/"):
        ref = uri[len("models:/"):]
        client = mlflow.MlflowClient()
        if "@" in ref:
            name, alias = ref.split("@", 1)
            version = client.get_model_version_by_alias(name, alias).version
        else:
            name, _, version = ref.partition("/")
            if not version.isdigit():
                versions = client.search_model_versions(f"name='{name}'")
                version = str(max(int(v.version) for v in versions)) if versions else None
    required: list[str] = []
    sig = meta.get_input_schema()
    named = sig is not None and sig.has_input_names()
    if named:
        required = [c.name for c in sig.inputs if c.name in ESSENTIAL_COLUMNS]
    try:  # imrml's pyfunc wrapper knows its target and its classes (p_ column names are sanitized)
        wrapper = model.unwrap_python_model()
        target, classes = getattr(wrapper, "target", None), list(getattr(wrapper, "classes", []))
    except Exception:
        target, classes = None, []
    keys = _fields_read(sig.input_names(), target) if named else None
    return LoadedModel(uri, model, name, str(version) if version else None, meta.run_id, target, required, classes,
                       keys)


def _fields_read(model_columns: list[str], target: str | None) -> frozenset[str]:
    """The record fields scoring reads for a model whose signature names ``model_columns``.

    Only these travel from the reader to the workers: a case-view model never
    needs the rationale or the reviewer's guideline, the longest fields.
    """
    derived = {c[: -len("_sources")] for c in model_columns if c.endswith("_sources")}  # from the citation list
    return frozenset({*model_columns, *derived, *ID_COLUMNS, *LABEL_COLUMNS, "claims_guideline", "decision",
                      *([target] if target else [])})


# ---------------------------------------------------------------- input


@dataclass
class Chunk:
    """Up to ``chunk_size`` items on their way to a worker.

    Either ``rows``, item dicts already checked by the reader, or ``batch``, a
    pyarrow RecordBatch of a Parquet file's rows (only the columns the model
    reads), turned into dicts and checked where it is scored: a worker, not the
    reading process, pays for that, and an Arrow batch travels between processes
    as flat buffers.
    """

    rows: list[dict[str, Any]] | None = None
    batch: Any = None
    source: str = ""
    first_row: int = 1  # the batch's first row number in ``source`` (1-based, as in rejects)

    def columns(self) -> list[str]:
        if self.batch is not None:
            return [*self.batch.schema.names, "source_file"]
        return list(self.rows[0]) if self.rows else []

    def checked_rows(self) -> tuple[list[dict[str, Any]], list[Reject]]:
        if self.batch is None:
            return self.rows or [], []
        rows, rejects = [], []
        for row_no, row in enumerate(self.batch.to_pylist(), self.first_row):
            problem = _row_problem(row)
            if problem:
                rejects.append(Reject(self.source, problem, row_no))
            else:
                row.setdefault("source_file", self.source)
                rows.append(row)
        return rows, rejects


def _chunks(paths: list[Path], rejects: list[Reject], keys: frozenset[str] | None, size: int) -> Iterator[Chunk]:
    """The items of letters, then of each table, in chunks of at most ``size``, in input order.

    Only the fields in ``keys`` are kept (all when None). Unreadable files and bad
    rows of letters, JSONL and CSV go to ``rejects`` here; a Parquet file's bad rows
    are found where its batches are scored.
    """
    letters = [p for p in paths if p.suffix.lower() not in TABLE_SUFFIXES]
    tables = [p for p in paths if p.suffix.lower() in TABLE_SUFFIXES]
    pending: list[dict[str, Any]] = []
    for table in [None, *tables]:
        if table is not None and table.suffix.lower() == ".parquet":
            if pending:  # what came before goes first
                yield Chunk(rows=pending)
                pending = []
            yield from _parquet_chunks(table, rejects, keys, size)
            continue
        rows = _letter_rows(letters, rejects, keys) if table is None else _table_rows(table, rejects, keys)
        for row in rows:
            pending.append(row)
            if len(pending) >= size:
                yield Chunk(rows=pending)
                pending = []
    if pending:
        yield Chunk(rows=pending)


def _parquet_chunks(path: Path, rejects: list[Reject], keys: frozenset[str] | None, size: int) -> Iterator[Chunk]:
    import pyarrow.parquet as pq

    first = 1
    try:
        pf = pq.ParquetFile(path)
        if not _is_item_table(pf.schema_arrow.names):
            rejects.append(Reject(str(path), _NOT_ITEMS))
            return
        wanted = None if keys is None else [c for c in pf.schema_arrow.names if c in keys]
        for batch in pf.iter_batches(batch_size=size, columns=wanted):
            yield Chunk(batch=batch, source=str(path), first_row=first)
            first += batch.num_rows
    except (OSError, ValueError) as e:  # pyarrow's errors derive from these
        rejects.append(Reject(str(path), f"cannot read table: {e}"))


def _kept(row: dict[str, Any], keys: frozenset[str] | None) -> dict[str, Any]:
    return row if keys is None or row.keys() <= keys else {k: v for k, v in row.items() if k in keys}


def _letter_rows(letters: list[Path], rejects: list[Reject], keys: frozenset[str] | None
                 ) -> Iterator[dict[str, Any]]:
    from .labels import label_item
    from .parse import iter_parsed

    for out in iter_parsed(letters):
        if isinstance(out, Reject):
            rejects.append(out)
        else:
            for rec in out.items:  # labelled, so a guideline model's output can state the letter's label
                yield _kept(label_item(rec).to_dict(), keys)


_NOT_ITEMS = "not a table of items: it has neither a case_id nor an item column"


def _is_item_table(columns) -> bool:
    """A CSV or Parquet file without both identifying columns is some other table (a manifest, a report)."""
    return "case_id" in columns or "item" in columns


def _table_rows(table: Path, rejects: list[Reject], keys: frozenset[str] | None) -> Iterator[dict[str, Any]]:
    try:
        for row_no, row in enumerate(iter_table(table), 1):
            if row_no == 1 and table.suffix.lower() == ".csv" and not _is_item_table(row):  # the header's names
                rejects.append(Reject(str(table), _NOT_ITEMS))
                return
            if not isinstance(row, dict):
                rejects.append(Reject(str(table), "row is not a record (object)", row_no))
                continue
            problem = _row_problem(row)
            if problem:
                rejects.append(Reject(str(table), problem, row_no))
                continue
            row.setdefault("source_file", str(table))
            yield _kept(row, keys)
    except (ValueError, OSError) as e:
        rejects.append(Reject(str(table), f"cannot read table: {e}"))


def _row_problem(row: dict[str, Any]) -> str | None:
    """Why a table row cannot be scored, or None. Cheap: it runs in the reading process for every row."""
    if not str(row.get("case_id") or "").strip():
        return "missing case_id"
    if not str(row.get("item") or "").strip():
        return "missing item"
    for key in ("claims_guideline", "reviewer_guideline"):
        value = row.get(key)
        if value is not None and not (isinstance(value, list)
                                      and all(isinstance(c, dict) and "source" in c for c in value)):
            return f"malformed {key}: expected a list of citations"
    age = row.get("patient_age")
    if age is not None and not isinstance(age, (int, float)):
        try:
            float(age)
        except (TypeError, ValueError):
            return f"patient_age is not a number: {age!r}"
    return None


def check_schema(model: LoadedModel, columns: list[str]) -> None:
    missing = [c for c in model.required_columns if c not in columns]
    if missing:
        raise SchemaMismatch(f"the data lacks columns the model {model.uri} needs: {', '.join(missing)}")


def _with_labels(row: dict[str, Any]) -> dict[str, Any]:
    """Fill the claims-administrator labels from the citations when the row lacks them (unlabelled items)."""
    if all(row.get(c) is not None for c in LABEL_COLUMNS) or not row.get("claims_guideline"):
        return row
    from .labels import label_item

    rec = label_item(ItemRecord.from_dict({"source_file": "", "template": "", **row}))
    return {**row, **{c: getattr(rec, c) for c in LABEL_COLUMNS}}


def model_input_frame(chunk: list[dict[str, Any]]) -> pd.DataFrame:
    """The chunk as the flat frame the model's signature describes (lists joined, age as float)."""
    from .features import records_to_frame

    frame = pd.DataFrame.from_records([_with_labels(r) for r in chunk])
    for col in RECORD_FIELDS:  # a pre-review case has no decision, rationale, reviewer guideline
        if col not in frame.columns:
            frame[col] = None
    return records_to_frame(frame)


# ---------------------------------------------------------------- output rows


def _stated(row: dict[str, Any], target: str | None) -> str | None:
    if target in (None, "outcome"):
        d = row.get("decision")
        return d if d in (UPHELD, OVERTURNED) else None
    return row.get(target)


def scored_rows(chunk: list[dict[str, Any]], pred: pd.DataFrame, model: LoadedModel,
                explanations: list[str] | None = None) -> list[dict[str, Any]]:
    prob_cols = [c for c in pred.columns if c.startswith("p_")]
    predictions = pred["prediction"].tolist()
    probs = np.round(pred[prob_cols].to_numpy(dtype=float), 6) if prob_cols else np.empty((len(chunk), 0))
    top: list[list[tuple[str, float]]] | None = None
    if prob_cols and model.target not in (None, "outcome"):
        labels = model.classes if len(model.classes) == len(prob_cols) else [c[2:] for c in prob_cols]
        order = np.argsort(-probs, axis=1, kind="stable")[:, :TOP_K]
        top = [[(labels[j], float(probs[i, j])) for j in row] for i, row in enumerate(order)]
    outcome = model.target in (None, "outcome")
    stated_key = "stated_decision" if outcome else "stated_label"
    out = []
    for i, (row, prediction, p) in enumerate(zip(chunk, predictions, probs.tolist(), strict=True)):
        rec: dict[str, Any] = {k: row.get(k) for k in ID_COLUMNS}
        rec["prediction"] = prediction
        rec.update(zip(prob_cols, p))
        if top is not None:
            for rank, (label, prob) in enumerate(top[i], 1):
                rec[f"top{rank}_label"], rec[f"top{rank}_p"] = label, prob
        stated = _stated(row, model.target)
        rec[stated_key] = stated
        rec["disagrees"] = None if stated is None else str(stated).lower() != str(prediction).lower()
        rec["model_name"], rec["model_version"], rec["run_id"] = model.name, model.version, model.run_id
        if explanations is not None:
            rec["explanation"] = explanations[i]
        out.append(rec)
    return out


def explain(model: LoadedModel, frame: pd.DataFrame, predictions: pd.Series, k: int = 5) -> list[str]:
    """The k features that pushed each prediction most (linear models: value x coefficient)."""
    pipe = model.sklearn_pipeline
    if pipe is None or not hasattr(pipe, "steps"):
        return [""] * len(frame)
    from .models import feature_names

    names = feature_names(pipe)
    clf = pipe.steps[-1][1]
    coef = getattr(clf, "coef_", None)
    if coef is None or names is None:
        return [""] * len(frame)
    import scipy.sparse as sp

    X = sp.csr_matrix(pipe[:-1].transform(frame))
    classes = list(getattr(clf, "classes_", []))
    if coef.shape[0] == 1:  # binary: coef points to classes[1]; flip it for rows predicted as classes[0]
        sign = np.where(np.asarray(predictions) == classes[1], 1.0, -1.0)
        contrib = sp.csr_matrix(X.multiply(coef[0]).multiply(sign[:, None]))
    else:
        rows = coef[[classes.index(p) for p in predictions]]
        contrib = sp.csr_matrix(X.multiply(rows))
    out = []
    for i in range(contrib.shape[0]):
        lo, hi = contrib.indptr[i], contrib.indptr[i + 1]
        idx, val = contrib.indices[lo:hi], contrib.data[lo:hi]
        top = np.argsort(-val)[:k]
        out.append("; ".join(f"{names[idx[j]]} ({val[j]:+.2f})" for j in top if val[j] > 0))
    return out


# ---------------------------------------------------------------- the job


@dataclass
class ScoreResult:
    n_scored: int
    rejects: list[Reject]
    seconds: float

    @property
    def n_rejected_items(self) -> int:
        return sum(1 for r in self.rejects)

    def summary(self) -> str:
        rate = self.n_scored / self.seconds if self.seconds else 0.0
        return (f"scored {self.n_scored} items, rejected {len(self.rejects)} inputs "
                f"(scored + rejected = {self.n_scored + len(self.rejects)} = input) in {self.seconds:.1f} s "
                f"({rate:,.0f} items/s)")


def _progress(total: int | None):
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="item", desc="score", file=sys.stderr, smoothing=0.1)


def score_chunk(model: LoadedModel, chunk: list[dict[str, Any]], explain_top: bool = False) -> list[dict[str, Any]]:
    """Scored output rows for one chunk of item dicts."""
    frame = model_input_frame(chunk)
    pred = model.predict(frame)
    notes = explain(model, frame, pred["prediction"]) if explain_top else None
    return scored_rows(chunk, pred, model, notes)


_WORKER_MODEL: LoadedModel | None = None


def _worker_init(uri: str) -> None:
    global _WORKER_MODEL
    import warnings

    warnings.filterwarnings("ignore")
    _WORKER_MODEL = load_model(uri)


def score_unit(model: LoadedModel, chunk: Chunk, explain_top: bool = False
               ) -> tuple[list[dict[str, Any]], list[Reject]]:
    """Scored output rows and rejected rows of one :class:`Chunk`."""
    rows, rejects = chunk.checked_rows()
    return (score_chunk(model, rows, explain_top) if rows else []), rejects


def _worker_score(chunk: Chunk, explain_top: bool) -> tuple[list[dict[str, Any]], list[Reject]]:
    return score_unit(_WORKER_MODEL, chunk, explain_top)


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def score(model: LoadedModel | str, inputs: list[str | Path], output: str | Path, *, explain_top: bool = False,
          chunk_size: int = 5_000, jobs: int | None = None) -> ScoreResult:
    """Score every item of ``inputs`` into ``output``; return counts and rejects.

    With ``jobs`` > 1 (default: one per core), chunks are scored in worker processes
    that each load the model once; at most 2 x jobs chunks are in flight and results
    are written in input order, so memory stays flat and the output is deterministic.
    """
    t0 = time.perf_counter()
    if isinstance(model, str):
        model = load_model(model)
    jobs = default_jobs() if jobs is None else max(1, jobs)
    paths = find_inputs(inputs, suffixes=LETTER_SUFFIXES + TABLE_SUFFIXES)
    total = None
    if all(p.suffix.lower() in TABLE_SUFFIXES for p in paths):
        counts = [count_rows(p) for p in paths]
        total = sum(counts) if None not in counts else None
    if total is not None and total <= chunk_size:
        jobs = 1  # one chunk: starting workers costs more than it saves
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file and not Path(main_file).exists():
        jobs = 1  # spawned workers re-import __main__, which a script read from stdin does not allow
    rejects: list[Reject] = []
    bar = _progress(total)
    n = 0
    pool = None
    try:
        with TableWriter(output) as writer:
            def emit(scored: tuple[list[dict[str, Any]], list[Reject]]) -> None:
                nonlocal n
                rows, bad = scored
                writer.write(rows)
                rejects.extend(bad)
                n += len(rows)
                if bar is not None:
                    bar.update(len(rows) + len(bad))

            chunks = _chunks(paths, rejects, model.input_keys, chunk_size)
            first = next(chunks, None)
            if first is not None:
                check_schema(model, first.columns())
                if jobs == 1:
                    for chunk in itertools.chain([first], chunks):
                        emit(score_unit(model, chunk, explain_top))
                else:
                    import multiprocessing as mp
                    from collections import deque
                    from concurrent.futures import ProcessPoolExecutor

                    pool = ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn"),
                                               initializer=_worker_init, initargs=(model.uri,))
                    pending: deque = deque()
                    for chunk in itertools.chain([first], chunks):
                        pending.append(pool.submit(_worker_score, chunk, explain_top))
                        if len(pending) >= 2 * jobs:
                            emit(pending.popleft().result())
                    while pending:
                        emit(pending.popleft().result())
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        if bar is not None:
            bar.close()
    return ScoreResult(n, rejects, time.perf_counter() - t0)


def default_rejects_path(output: str | Path) -> Path:
    output = Path(output)
    return output.with_name(output.name.split(".")[0] + ".rejects.jsonl")


def score_command(model_uri: str, inputs: list[str], output: str, *, rejects: str | None = None,
                  explain: bool = False, chunk_size: int = 5_000, allow_rejects: bool = False,
                  jobs: int | None = None) -> int:
    """`imrml score`: write scored items and the rejects report; non-zero exit if anything was rejected."""
    missing = [p for p in inputs if not Path(p).exists()]
    if missing:
        raise FileNotFoundError(f"no such file or folder: {', '.join(missing)}")
    if Path(output).suffix.lower() not in TABLE_SUFFIXES:
        raise ValueError(f"output {output}: use a .csv, .parquet or .jsonl name")
    result = score(model_uri, inputs, output, explain_top=explain, chunk_size=chunk_size, jobs=jobs)
    rejects_path = Path(rejects) if rejects else default_rejects_path(output)
    write_jsonl((r.to_dict() for r in result.rejects), rejects_path)
    for r in result.rejects[:20]:
        where = f" row {r.row}" if r.row is not None else ""
        print(f"rejected: {r.source}{where}: {r.reason}", file=sys.stderr)
    if len(result.rejects) > 20:
        print(f"... and {len(result.rejects) - 20} more in {rejects_path}", file=sys.stderr)
    print(f"{result.summary()}; scored -> {output}; rejects -> {rejects_path}")
    return 1 if result.rejects and not allow_rejects else 0
