"""The record's Arrow schema, derived from the ItemRecord dataclass: a field added there is a column here.

Parquet outputs and the corpus write with this schema, fixed before the first row, so a chunk whose optional
fields happen to be all null (cases before review have no decision) does not give the file a null-typed
column that a later chunk cannot fill.

Types map as: ``str`` -> string, ``int`` -> int64, ``float`` -> float64, ``bool`` -> bool, ``X | None`` ->
X (nullable), ``list[X]`` -> list of X, ``dict[str, X]`` -> map of string to X, a dataclass (Citation) ->
struct of its fields. Any other annotation is an error at import, naming the field.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache
from typing import Any

import pyarrow as pa

from .schema import ItemRecord

_SCALARS = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_()}


def arrow_type(annotation: Any, where: str) -> pa.DataType:
    """The Arrow type of one annotation (``where`` names the field in the error)."""
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        present = [a for a in args if a is not type(None)]
        if len(present) == 1:
            return arrow_type(present[0], where)
    elif origin is list and len(args) == 1:
        return pa.list_(arrow_type(args[0], where))
    elif origin is dict and len(args) == 2 and args[0] is str:
        return pa.map_(pa.string(), arrow_type(args[1], where))
    elif dataclasses.is_dataclass(annotation):
        return pa.struct(dataclass_fields(annotation))
    raise TypeError(f"{where}: no Arrow type for the annotation {annotation!r}; add one in imrml/records/arrow.py")


def dataclass_fields(cls: type) -> list[pa.Field]:
    hints = typing.get_type_hints(cls)
    return [pa.field(f.name, arrow_type(hints[f.name], f"{cls.__name__}.{f.name}")) for f in dataclasses.fields(cls)]


@cache
def record_schema() -> pa.Schema:
    """The Arrow schema of an :class:`ItemRecord` row."""
    return pa.schema(dataclass_fields(ItemRecord))


record_schema()  # an annotation with no Arrow type fails here, at import, not in the middle of a batch
