"""The score job: letters or parsed items -> one scored row per item, with a registered model.

    imrml score --model models:/outcome_case@champion INPUT... -o scored.csv

INPUT is letters (.pdf/.txt files or folders, parsed on the way) or item tables
(.jsonl, .parquet, .csv with the record's columns). Chunks of items
(:mod:`imrml.jobs.inputs`) are turned into one frame each and scored, in worker
processes when the input is large enough to pay for them; every input item
ends either in the output or in the rejects report (scored + rejected = input).
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import sys
import time
import warnings
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..learn.inspect import explain
from ..mlops.registry import LoadedModel, load_model
from ..mlops.tracking import configure_tracking
from ..records.errors import UserError
from ..records.frame import records_to_frame
from ..records.schema import OVERTURNED, RECORD_FIELDS, UPHELD, Reject
from ..records.tables import LETTER_SUFFIXES, TABLE_SUFFIXES, TableWriter, count_rows, find_inputs
from .inputs import LABEL_COLUMNS, Chunk, iter_chunks
from .rejects import rejects_path, write_rejects

ID_COLUMNS = ("case_id", "source_file", "item_index", "item")
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
    decision, rationale or reviewer guideline), converted once."""
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


def scored_rows(
    chunk: list[dict[str, Any]], pred: pd.DataFrame, model: LoadedModel, explanations: list[str] | None = None
) -> list[dict[str, Any]]:
    """One output row per item: its ids, the prediction and probabilities, the stated verdict, the model."""
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


def score_unit(
    model: LoadedModel, chunk: Chunk, explain_top: bool = False
) -> tuple[list[dict[str, Any]], list[Reject]]:
    """Scored output rows and rejected rows of one :class:`Chunk`."""
    rows, rejects = chunk.checked_rows()
    return (score_chunk(model, rows, explain_top) if rows else []), rejects


_WORKER_MODEL: LoadedModel | None = None


def _worker_init(uri: str) -> None:
    global _WORKER_MODEL
    warnings.filterwarnings("ignore")
    configure_tracking()
    _WORKER_MODEL = load_model(uri)


def _worker_score(chunk: Chunk, explain_top: bool) -> tuple[list[dict[str, Any]], list[Reject]]:
    return score_unit(_WORKER_MODEL, chunk, explain_top)


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
) -> ScoreResult:
    """Score every item of ``inputs`` into ``output``; return counts and rejects.

    With ``jobs`` > 1 (default: one per core), chunks are scored in worker processes
    that each load the model once; at most 2 x jobs chunks are in flight and results
    are written in input order, so memory stays flat and the output is deterministic.
    """
    t0 = time.perf_counter()
    if isinstance(model, str):
        configure_tracking()
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
    bar = tqdm(total=total, unit="item", desc="score", file=sys.stderr, smoothing=0.1) if sys.stderr.isatty() else None
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

            chunks = iter_chunks(paths, rejects, fields_read(model), chunk_size)
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
) -> int:
    """Write scored items and the rejects report; exit status 1 if anything was rejected (unless allowed)."""
    missing = [p for p in inputs if not Path(p).exists()]
    if missing:
        raise UserError(f"no such file or folder: {', '.join(missing)}")
    if Path(output).suffix.lower() not in TABLE_SUFFIXES:
        raise UserError(f"output {output}: use a .csv, .parquet or .jsonl name")
    report = rejects_path(output, rejects)
    result = score(model_uri, inputs, output, explain_top=explain, chunk_size=chunk_size, jobs=jobs)
    write_rejects(result.rejects, report)
    print(f"{result.summary()}; scored -> {output}; rejects -> {report}")
    return 1 if result.rejects and not allow_rejects else 0
