"""The precedents job: for each item of letters, item tables or cases before review, the decided items most
like it, how they were decided and why.

    imrml precedents INPUT... -o OUT [--k K] [--all-classes] [--model URI | --decided PATH [--experiment FILE]]

The decided items come from a registered precedents index (``--model``; by default
``models:/precedents@champion``, which ``imrml train experiments/precedents.toml`` builds), or from
``--decided`` (a corpus, an items table or letters), indexed on the way with the experiment's settings. With
neither and no champion registered, the project's corpus (``data/corpus``) is indexed. Inputs (letters, item
tables, corpus folders) stream in chunks (:mod:`imrml.jobs.inputs`); every input item ends in the output (its
precedents, or one row saying why it has none) or in the rejects report.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from tqdm import tqdm

from ..learn.dataset import prepare_dataset
from ..learn.experiment import Experiment, load_experiment, parse_experiment
from ..learn.pipeline import build_pipeline
from ..learn.precedent_table import ROW_TYPES, decided_table
from ..learn.views import PRECEDENT_COLUMNS
from ..letters.limits import DEFAULT_LIMITS, Limits
from ..mlops.precedents import NAME, PrecedentsModel
from ..mlops.registry import CHAMPION, check_model_source, load_model, model_uri
from ..mlops.tracking import configure_tracking, project_home
from ..records.corpus import is_corpus
from ..records.errors import UserError
from ..records.schema import ID_COLUMNS, ID_TYPES, Reject
from ..records.tables import TABLE_SUFFIXES, TableWriter, count_rows
from .data import load_items
from .inputs import LABEL_COLUMNS, find_job_inputs, iter_chunks
from .preflight import preflight
from .rejects import write_rejects

DEFAULT_MODEL = model_uri(NAME)
DEFAULT_CORPUS = "data/corpus"  # the project's corpus (imrml parse --corpus), as make's CORPUS names it
# what travels from the reader: the item's ids, what precedents compare, and the citations its labels come from
FIELDS = frozenset({*ID_COLUMNS, *PRECEDENT_COLUMNS, *LABEL_COLUMNS, "claims_guideline"})


@dataclass
class PrecedentsResult:
    n_items: int
    n_rows: int
    rejects: list[Reject] = field(default_factory=list)
    seconds: float = 0.0
    source: str = ""

    def summary(self) -> str:
        return (
            f"{self.n_items} items, {self.n_rows} precedent rows from {self.source}; rejected {len(self.rejects)} "
            f"inputs (items + rejected = {self.n_items + len(self.rejects)} = input) in {self.seconds:.1f} s"
        )


def default_experiment() -> Experiment:
    """The shipped precedents settings (experiments/_base.toml's [model.precedents] writes the same defaults out)."""
    doc = {"experiment": {"name": NAME, "view": "case", "target": "outcome"}, "model": {"kind": NAME}}
    return parse_experiment(doc, "<default precedents>")


def index_decided(decided: str, experiment: str | None = None, limits: Limits = DEFAULT_LIMITS) -> PrecedentsModel:
    """A precedents model over the decided items of ``decided`` (items table, corpus or letters, parsed within the
    per-file ``limits``), not registered."""
    exp = load_experiment(experiment) if experiment else default_experiment()
    if exp.model.kind != NAME:
        raise UserError(f"{experiment}: model.kind is {exp.model.kind!r}, not {NAME!r}")
    records, source = load_items(decided, limits)
    ds = prepare_dataset(records, "outcome", source=source)
    fitted = build_pipeline(exp).fit(ds.frame, ds.y)
    return PrecedentsModel(fitted, decided_table(ds.frame, exp.model.params.rationale_sentences))


def _has_champion() -> bool:
    configure_tracking()
    try:
        mlflow.MlflowClient().get_model_version_by_alias(NAME, CHAMPION)
    except MlflowException:
        return False
    return True


def default_index() -> tuple[PrecedentsModel, str]:
    """The champion index; without one, the project's corpus indexed now."""
    if _has_champion():
        return load_precedents(DEFAULT_MODEL), DEFAULT_MODEL
    corpus = project_home() / DEFAULT_CORPUS
    if not is_corpus(corpus):
        raise UserError(
            f"no precedents index: {DEFAULT_MODEL} is not registered and there is no corpus in {corpus}; "
            "register one (imrml train experiments/precedents.toml --data CORPUS) or give --decided"
        )
    return index_decided(str(corpus)), f"{corpus} (indexed now)"


def precedents_path_for(output: str | Path) -> Path:
    """Where ``imrml score --precedents`` writes the precedents beside the scores: ``<output>.precedents<suffix>``."""
    output = Path(output)
    return output.with_name(f"{output.stem}.precedents{output.suffix}")


def load_precedents(uri: str, allow_path: bool = False, flag: str = "--model") -> PrecedentsModel:
    """The registered precedents model at ``uri`` (a path or another store only with ``allow_path``; ``flag``
    names the option that gave it)."""
    check_model_source(uri, allow_path, flag)
    configure_tracking()
    loaded = load_model(uri)
    wrapper = loaded.item_model
    if not isinstance(wrapper, PrecedentsModel):
        raise UserError(f"{uri}: not a precedents index (build one with 'imrml train experiments/precedents.toml')")
    return wrapper


def output_records(frame: pd.DataFrame) -> list[dict]:
    """Rows to write: missing values as None (a nullable integer's NA, a float's NaN)."""
    out = frame.astype(object).where(frame.notna(), None)
    return out.to_dict("records")


def find_precedents(
    model: PrecedentsModel,
    inputs: list[str | Path],
    output: str | Path,
    *,
    k: int | None = None,
    all_classes: bool = False,
    chunk_size: int = 5_000,
    source: str = "",
    limits: Limits = DEFAULT_LIMITS,
) -> PrecedentsResult:
    """Write the precedents of every item of ``inputs`` to ``output``; return counts and rejects. Letters are
    parsed within the per-file ``limits``."""
    t0 = time.perf_counter()
    if k is not None and k < 1:
        raise UserError(f"--k {k}: ask for at least 1 precedent")
    rejects: list[Reject] = []
    paths = find_job_inputs(inputs, rejects)
    counts = [count_rows(p) for p in paths if p.suffix.lower() in TABLE_SUFFIXES]
    total = sum(counts) if len(counts) == len(paths) and None not in counts else None
    n_items = 0
    bar = tqdm(total=total, unit="item", desc="precedents", file=sys.stderr) if sys.stderr.isatty() else None
    try:
        with TableWriter(output, {**ID_TYPES, **ROW_TYPES}) as writer:
            for chunk in iter_chunks(paths, rejects, FIELDS, chunk_size, limits):
                rows, _, bad = chunk.checked_rows()
                rejects.extend(bad)
                if rows:
                    writer.write(output_records(model.precedents(rows, k, all_classes)))
                n_items += len(rows)
                if bar is not None:
                    bar.update(len(rows) + len(bad))
            n_rows = writer.rows
    finally:
        if bar is not None:
            bar.close()
    return PrecedentsResult(n_items, n_rows, rejects, time.perf_counter() - t0, source)


def precedents_command(
    inputs: list[str],
    output: str,
    *,
    k: int | None = None,
    all_classes: bool = False,
    model: str | None = None,
    decided: str | None = None,
    experiment: str | None = None,
    rejects: str | None = None,
    chunk_size: int = 5_000,
    allow_rejects: bool = False,
    allow_model_path: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> int:
    """Write the precedents and the rejects report; exit status 1 if anything was rejected (unless allowed).
    The inputs, the output's name and folder and the model's source are checked before any work. Letters (the
    inputs, and ``decided`` when it is letters) are parsed within the per-file ``limits``."""
    if decided and model:
        raise UserError("give --model or --decided, not both")
    if experiment and not decided:
        raise UserError("--experiment sets how --decided items are indexed: give --decided too")
    report = preflight(inputs, output, rejects)
    if decided:
        index, source = index_decided(decided, experiment, limits), f"{decided} (indexed now)"
    elif model:
        index, source = load_precedents(model, allow_model_path), model
    else:
        index, source = default_index()
    result = find_precedents(
        index, inputs, output, k=k, all_classes=all_classes, chunk_size=chunk_size, source=source, limits=limits
    )
    write_rejects(result.rejects, report)
    print(f"{result.summary()}; precedents -> {output}; rejects -> {report}")
    return 1 if result.rejects and not allow_rejects else 0
