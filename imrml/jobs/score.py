"""The score job: letters or parsed items -> one scored row per item, with a registered model.

    imrml score --model models:/outcome_case@champion INPUT... -o scored.csv

INPUT is letters (.pdf/.txt files or folders, parsed on the way), item tables
(.jsonl, .parquet, .csv with the record's columns) or corpus folders. Chunks of items
(:mod:`imrml.jobs.inputs`) are turned into one frame each and scored, in worker
processes when the input is large enough to pay for them; every input item
ends either in the output or in the rejects report (scored + rejected = input).
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..learn.inspect import explain
from ..letters.limits import DEFAULT_LIMITS, Limits
from ..mlops.precedents import PrecedentsModel
from ..mlops.registry import LoadedModel, check_model_source, load_model, proba_column
from ..mlops.tracking import configure_tracking
from ..records.errors import UserError, redact
from ..records.frame import records_to_frame
from ..records.schema import ID_COLUMNS, ID_TYPES, OVERTURNED, RECORD_FIELDS, UPHELD, Reject
from ..records.tables import (
    TABLE_SUFFIXES,
    TableWriter,
    check_writable,
    count_rows,
)
from .inputs import LABEL_COLUMNS, Chunk, find_job_inputs, iter_chunks
from .precedents import DEFAULT_MODEL as DEFAULT_PRECEDENTS
from .precedents import find_precedents, load_precedents, precedents_path_for
from .preflight import preflight
from .rejects import write_rejects

TOP_K = 3


class SchemaMismatch(UserError):
    """The data lacks columns the model needs."""


def fields_read(model: LoadedModel) -> frozenset[str] | None:
    """The record fields scoring reads (None: all of them).

    Only these travel from the reader to the workers: a case-view model never
    needs the rationale or the reviewer's guideline, the longest fields.
    """
    if model.input_columns is None:
        return None
    columns = model.input_columns
    derived = {c[: -len("_sources")] for c in columns if c.endswith("_sources")}  # from the citation list
    return frozenset(
        {
            *columns,
            *derived,
            *ID_COLUMNS,
            *LABEL_COLUMNS,
            "claims_guideline",
            "decision",
            *([model.target] if model.target else []),
        }
    )


def check_schema(model: LoadedModel, columns: list[str]) -> None:
    missing = [c for c in model.required_columns if c not in columns]
    if missing:
        raise SchemaMismatch(f"the data lacks columns the model {model.uri} needs: {', '.join(missing)}")


def model_input_frame(chunk: list[dict[str, Any]]) -> pd.DataFrame:
    """The chunk as the flat frame the model reads: every record field present (a case before review has no
    decision, rationale or reviewer guideline), converted once. MLflow's schema enforcement hands the model a
    copy of its signature's columns, which the model recognises as flat and does not convert again."""
    frame = pd.DataFrame.from_records(chunk)
    for col in RECORD_FIELDS:
        if col not in frame.columns:
            frame[col] = None
    return records_to_frame(frame)


# ---------------------------------------------------------------- output rows


def _stated(row: dict[str, Any], target: str | None) -> str | None:
    if target in (None, "outcome"):
        d = row.get("decision")
        return d if d in (UPHELD, OVERTURNED) else None
    return row.get(target)


def _stated_key(model: LoadedModel) -> str:
    return "stated_decision" if model.target in (None, "outcome") else "stated_label"


def _top_k(model: LoadedModel, n_classes: int) -> int:
    return min(TOP_K, n_classes) if model.target not in (None, "outcome") else 0


def output_columns(model: LoadedModel, explain_top: bool = False) -> dict[str, type] | None:
    """The scored file's columns and their types, known before the first chunk (None for a model imrml did not
    make, whose probability columns show only in its first output)."""
    if not model.classes:
        return None
    columns: dict[str, type] = {**ID_TYPES, "prediction": str}
    columns.update({proba_column(c): float for c in model.classes})
    for rank in range(1, _top_k(model, len(model.classes)) + 1):
        columns[f"top{rank}_label"], columns[f"top{rank}_p"] = str, float
    columns[_stated_key(model)] = str
    columns.update({"disagrees": bool, "model_name": str, "model_version": str, "run_id": str})
    if explain_top:
        columns["explanation"] = str
    return columns


def scored_rows(
    chunk: list[dict[str, Any]], pred: pd.DataFrame, model: LoadedModel, explanations: list[str] | None = None
) -> list[dict[str, Any]]:
    """One output row per item: its ids, the prediction and probabilities, the stated verdict, the model."""
    prob_cols = [c for c in pred.columns if c.startswith("p_")]
    predictions = pred["prediction"].tolist()
    probs = np.round(pred[prob_cols].to_numpy(dtype=float), 6) if prob_cols else np.empty((len(chunk), 0))
    top: list[list[tuple[str, float]]] | None = None
    if prob_cols and _top_k(model, len(prob_cols)):
        labels = model.classes if len(model.classes) == len(prob_cols) else [c[2:] for c in prob_cols]
        order = np.argsort(-probs, axis=1, kind="stable")[:, : _top_k(model, len(prob_cols))]
        top = [[(labels[j], float(probs[i, j])) for j in row] for i, row in enumerate(order)]
    stated_key = _stated_key(model)
    out = []
    for i, (row, prediction, p) in enumerate(zip(chunk, predictions, probs.tolist(), strict=True)):
        rec: dict[str, Any] = {k: row.get(k) for k in ID_COLUMNS}
        rec["prediction"] = prediction
        rec.update(zip(prob_cols, p, strict=True))
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


# ---------------------------------------------------------------- the job


@dataclass
class ScoreResult:
    n_scored: int
    rejects: list[Reject]
    seconds: float

    def summary(self) -> str:
        rate = self.n_scored / self.seconds if self.seconds else 0.0
        return (
            f"scored {self.n_scored} items, rejected {len(self.rejects)} inputs "
            f"(scored + rejected = {self.n_scored + len(self.rejects)} = input) in {self.seconds:.1f} s "
            f"({rate:,.0f} items/s)"
        )


def score_chunk(model: LoadedModel, chunk: list[dict[str, Any]], explain_top: bool = False) -> list[dict[str, Any]]:
    """Scored output rows for one chunk of item dicts."""
    frame = model_input_frame(chunk)
    pred = model.predict(frame)
    notes = None
    if explain_top:
        wrapper = model.item_model
        notes = explain(wrapper.fitted, frame, pred["prediction"]) if wrapper else [""] * len(frame)
    return scored_rows(chunk, pred, model, notes)


# Rows that fail alone, with none scored, before the fault is taken to be the model's, not the rows'.
ISOLATE_LIMIT = 20


def score_rows(
    model: LoadedModel, rows: list[dict[str, Any]], origins: list[tuple[str, int]], explain_top: bool = False
) -> tuple[list[dict[str, Any]], list[Reject]]:
    """Scored output rows, and a reject for each row the model cannot score.

    Rows are checked against the record schema before they get here; a row that still fails (in MLflow's
    schema enforcement, a feature, the model) is found by halving the chunk until it fails alone, and the
    rest is scored. When the first ISOLATE_LIMIT rows tried alone all fail, nothing in the rows is at fault
    (a broken model, a bug): that error is raised.
    """
    try:
        return score_chunk(model, rows, explain_top), []
    except Exception as e:  # whatever a row makes the pipeline raise is that row's reject
        out: list[dict[str, Any]] = []
        rejects: list[Reject] = []
        _isolate(model, rows, origins, explain_top, e, out, rejects, {"failed": 0, "scored": 0})
        return out, rejects


def _isolate(model, rows, origins, explain_top, error, out, rejects, count) -> None:
    if len(rows) == 1:
        count["failed"] += 1
        if count["failed"] >= ISOLATE_LIMIT and not count["scored"]:
            raise error
        first_line = (str(error).splitlines() or [type(error).__name__])[0]
        rejects.append(Reject(origins[0][0], redact(f"cannot be scored: {first_line}"), origins[0][1]))
        return
    mid = len(rows) // 2
    for part, where in ((rows[:mid], origins[:mid]), (rows[mid:], origins[mid:])):
        try:
            out.extend(score_chunk(model, part, explain_top))
            count["scored"] += len(part)
        except Exception as e:
            _isolate(model, part, where, explain_top, e, out, rejects, count)


def score_unit(
    model: LoadedModel, chunk: Chunk, explain_top: bool = False
) -> tuple[list[dict[str, Any]], list[Reject]]:
    """Scored output rows and rejected rows of one :class:`Chunk`."""
    rows, origins, rejects = chunk.checked_rows()
    if not rows:
        return [], rejects
    scored, failed = score_rows(model, rows, origins, explain_top)
    return scored, rejects + failed


_WORKER_MODEL: LoadedModel | None = None


def _worker_init(uri: str) -> None:
    global _WORKER_MODEL
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which ends its workers
    threading.Thread(target=_exit_with_parent, name="exit-with-parent", daemon=True).start()
    configure_tracking()  # with the MLflow advisories it silences (a worker is a new process: no filter of ours yet)
    _WORKER_MODEL = load_model(uri)


def _exit_with_parent() -> None:
    """End this worker when its parent process ends, however it ends (kill -9 included): the parent's
    sentinel becomes ready when the parent is gone."""
    parent = mp.parent_process()
    if parent is not None:
        mp.connection.wait([parent.sentinel])
        os._exit(1)


def _worker_score(chunk: Chunk, explain_top: bool) -> tuple[list[dict[str, Any]], list[Reject]]:
    return score_unit(_WORKER_MODEL, chunk, explain_top)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the workers now, mid-chunk (an interrupted run wants none of their results). concurrent.futures
    has no public way to do this before Python 3.14's terminate_workers()."""
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


# Worker processes pay for their start (each imports MLflow and loads the model: ~6 s of a core) only on large
# inputs. Measured (benchmarks/bench_score_workers.py, on the shared 2-core machine under load): 2 workers were
# slower at every size up to 64,000 items (64,000: 62.5 s against 50.2 s in process; 8,350 items from 4,000
# letters: 38.8 s against 28.0 s); the idle-machine rates of bench-score (3,156 items/s in one process, 5,507
# with 2 workers) put the break-even near 45,000 items.
WORKERS_FROM = 50_000
ITEMS_PER_LETTER = 2.2  # the real letters: 262 items in 120 letters


def estimated_items(paths: list[Path], table_rows: dict[Path, int | None]) -> float:
    """How many items ``paths`` hold, before reading them: a table's rows, about 2.2 per letter."""
    letters = sum(1 for p in paths if p not in table_rows)
    return sum(n or 0 for n in table_rows.values()) + ITEMS_PER_LETTER * letters


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def score(
    model: LoadedModel | str,
    inputs: list[str | Path],
    output: str | Path,
    *,
    explain_top: bool = False,
    chunk_size: int = 5_000,
    jobs: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ScoreResult:
    """Score every item of ``inputs`` into ``output``; return counts and rejects. Letters are parsed within the
    per-file ``limits`` (a letter past one is a reject naming it).

    With ``jobs`` > 1, chunks are scored in worker processes that each load the model
    once; at most 2 x jobs chunks are in flight and results are written in input order,
    so memory stays flat and the output is deterministic. By default (``jobs`` None) an
    input of WORKERS_FROM items or more gets one worker per core, a smaller one is scored
    in this process.
    """
    t0 = time.perf_counter()
    if isinstance(model, str):
        configure_tracking()
        model = load_model(model)
    if isinstance(model.item_model, PrecedentsModel):
        raise UserError(f"{model.uri} is a precedents index: use 'imrml precedents' or 'imrml score --precedents K'")
    rejects: list[Reject] = []
    paths = find_job_inputs(inputs, rejects)
    counts = {p: count_rows(p) for p in paths if p.suffix.lower() in TABLE_SUFFIXES}
    total = sum(counts.values()) if len(counts) == len(paths) and None not in counts.values() else None
    if jobs is None:
        jobs = default_jobs() if estimated_items(paths, counts) >= WORKERS_FROM else 1
    jobs = max(1, jobs)
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file and not Path(main_file).exists():
        jobs = 1  # spawned workers re-import __main__, which a script read from stdin does not allow
    bar = tqdm(total=total, unit="item", desc="score", file=sys.stderr, smoothing=0.1) if sys.stderr.isatty() else None
    n = 0
    pool = None
    try:
        with TableWriter(output, output_columns(model, explain_top)) as writer:

            def emit(scored: tuple[list[dict[str, Any]], list[Reject]]) -> None:
                nonlocal n
                rows, bad = scored
                writer.write(rows)
                rejects.extend(bad)
                n += len(rows)
                if bar is not None:
                    bar.update(len(rows) + len(bad))

            chunks = iter_chunks(paths, rejects, fields_read(model), chunk_size, limits)
            first = next(chunks, None)
            if first is not None:
                check_schema(model, first.columns())
                if jobs == 1:
                    for chunk in itertools.chain([first], chunks):
                        emit(score_unit(model, chunk, explain_top))
                else:
                    pool = ProcessPoolExecutor(
                        jobs, mp_context=mp.get_context("spawn"), initializer=_worker_init, initargs=(model.uri,)
                    )
                    pending: deque = deque()
                    for chunk in itertools.chain([first], chunks):
                        pending.append(pool.submit(_worker_score, chunk, explain_top))
                        if len(pending) >= 2 * jobs:
                            emit(pending.popleft().result())
                    while pending:
                        emit(pending.popleft().result())
    except BaseException:
        if pool is not None:  # interrupted or failed: the workers' chunks are not wanted
            _stop_workers(pool)
            pool = None
        raise
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        if bar is not None:
            bar.close()
    return ScoreResult(n, rejects, time.perf_counter() - t0)


def score_command(
    model_uri: str,
    inputs: list[str],
    output: str,
    *,
    rejects: str | None = None,
    explain: bool = False,
    chunk_size: int = 5_000,
    allow_rejects: bool = False,
    jobs: int | None = None,
    allow_model_path: bool = False,
    precedents: int | None = None,
    precedents_model: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> int:
    """Write scored items and the rejects report; exit status 1 if anything was rejected (unless allowed).

    What can be checked before the work starts is: the inputs exist, the output's name, that the output and
    the report can be written where they go (:func:`~imrml.jobs.preflight.preflight`), and where the model comes
    from. With ``precedents`` K, each item's K precedents are written too, as ``imrml precedents`` writes them,
    beside the output (:func:`~imrml.jobs.precedents.precedents_path_for`).
    """
    report = preflight(inputs, output, rejects)
    check_model_source(model_uri, allow_model_path)
    index = None
    if precedents is not None:
        check_writable(precedents_path_for(output))
        index = load_precedents(precedents_model or DEFAULT_PRECEDENTS, allow_model_path, "--precedents-model")
    result = score(model_uri, inputs, output, explain_top=explain, chunk_size=chunk_size, jobs=jobs, limits=limits)
    if index is not None:  # the same job as 'imrml precedents', on the same inputs and limits
        found = find_precedents(
            index, inputs, precedents_path_for(output), k=precedents, chunk_size=chunk_size, limits=limits
        )
        seen = {(r.source, r.row) for r in result.rejects}
        result.rejects.extend(r for r in found.rejects if (r.source, r.row) not in seen)
        print(f"precedents of {found.n_items} items -> {precedents_path_for(output)}")
    write_rejects(result.rejects, report)
    print(f"{result.summary()}; scored -> {output}; rejects -> {report}")
    return 1 if result.rejects and not allow_rejects else 0
