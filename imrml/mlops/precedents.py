"""The precedents index as an MLflow model, registered as ``precedents`` and served like the classifiers.

:class:`PrecedentsModel` is an :class:`~imrml.mlops.registry.ItemModel`: its fitted model's
``predict_proba`` is the neighbours' share of each decision, so ``imrml evaluate`` and the leaderboard
measure it like any outcome model. Its pyfunc ``predict`` (``imrml precedents``, ``imrml score
--precedents``, ``mlflow models predict``) returns the precedents table of
:func:`imrml.learn.precedent_table.precedent_rows`: one row per item and precedent, with the item's
ids when the input has them. Params: ``k`` (precedents per item, default the index's), ``all_classes``
(compare with decided items of every treatment class).
"""

from __future__ import annotations

import mlflow
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types.schema import AnyType, ColSpec, ParamSchema, ParamSpec, Schema

from ..learn.precedent_table import decided_table, index_parts, precedent_rows
from ..learn.views import PRECEDENT_COLUMNS, record_frame
from ..records.frame import TEXT_FIELDS
from ..records.schema import ID_COLUMNS
from .registry import ItemModel, pip_requirements

NAME = "precedents"


class PrecedentsModel(ItemModel):
    """A fitted precedents model and what each decided item shows as a precedent (same rows, same order)."""

    def __init__(self, fitted, decided: pd.DataFrame):
        super().__init__(fitted, target="outcome", view="case")
        self.decided = decided

    @property
    def n_neighbors(self) -> int:
        return index_parts(self.fitted)[1].n_neighbors

    def precedents(self, items, k: int | None = None, all_classes: bool = False) -> pd.DataFrame:
        """The precedents of each item (records, dicts or a frame), after the item's ids."""
        frame = record_frame(items)
        rows = precedent_rows(self.fitted, self.decided, frame, k, same_class=False if all_classes else None)
        ids = frame.reindex(columns=[c for c in ID_COLUMNS if c in frame.columns]).iloc[rows["query_row"]]
        return pd.concat([ids.reset_index(drop=True), rows.drop(columns="query_row")], axis=1)

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        params = params or {}
        if not isinstance(model_input, pd.DataFrame):
            model_input = pd.DataFrame(model_input)
        return self.precedents(model_input, params.get("k"), bool(params.get("all_classes", False)))


def input_schema() -> Schema:
    """The columns precedents compare and the ids an output row repeats, every one optional; texts are
    strings, the rest (request fields, labels, ids) anything, since a table often has them all empty."""
    columns = (*ID_COLUMNS, *(c for c in PRECEDENT_COLUMNS if c not in ID_COLUMNS))
    return Schema([ColSpec("string" if c in TEXT_FIELDS else AnyType(), c, required=False) for c in columns])


def log_precedents_model(fitted, frame: pd.DataFrame, *, sentences: int, registered_name: str | None = None):
    """Log a fitted precedents model with what its decided items (``frame``, the rows it was fitted on) show;
    register it under ``registered_name`` if given."""
    model = PrecedentsModel(fitted, decided_table(frame, sentences))
    example = frame.head(2).reindex(columns=list(input_schema().input_names()))
    example = example.astype(object).where(example.notna(), None)
    params = ParamSchema(
        [ParamSpec("k", "long", model.n_neighbors), ParamSpec("all_classes", "boolean", False)],
    )
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=model,
        signature=ModelSignature(inputs=input_schema(), params=params),
        input_example=(example, {"k": model.n_neighbors}),
        registered_model_name=registered_name,
        pip_requirements=pip_requirements(),
    )
