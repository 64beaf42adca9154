"""The one conversion from item records to a flat DataFrame, one row per item.

Everything that learns from records or scores them reads this frame: scalar
fields as they are; list fields (the reviewer's specialties and licensure, body parts) joined with "; ";
each citation list replaced by ``<list>_sources`` ("MTUS+ODG", "none"), since
its text and labels are already columns; text fields with "" for missing; the
age as float.

A frame made here is marked (``frame.attrs``) so that handing it on (to the
pipeline, to the pyfunc model) does not convert it again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import is_dataclass
from typing import Any

import pandas as pd

from .schema import LIST_FIELDS

TEXT_FIELDS = (
    "case_summary",
    "item",
    "original_request",
    "claims_guideline_text",
    "reviewer_guideline_text",
    "rationale",
)
CITATION_FIELDS = ("claims_guideline", "reviewer_guideline")
_MARK = "imrml.records_frame"


def citation_sources(citations: Any) -> str | None:
    """The sources of a citation list as one string ("MTUS+ODG"; "none" for an empty list; None if missing)."""
    if citations is None or (isinstance(citations, float) and math.isnan(citations)):
        return None
    if isinstance(citations, str):  # already flattened
        return citations
    out = []
    for c in citations:
        s = c.get("source") if isinstance(c, dict) else getattr(c, "source", None)
        if s and s not in out:
            out.append(s)
    return "+".join(sorted(out)) if out else "none"


def joined(values: Any) -> str:
    """A list of strings as one "; "-joined string ("" for missing)."""
    if values is None or (isinstance(values, float) and math.isnan(values)):
        return ""
    if isinstance(values, str):
        return values
    return "; ".join(str(v) for v in values if v)


def is_records_frame(frame: Any) -> bool:
    """True for a frame this module made (so it needs no second conversion)."""
    return isinstance(frame, pd.DataFrame) and frame.attrs.get(_MARK, False)


def records_to_frame(records: Iterable[Any] | pd.DataFrame) -> pd.DataFrame:
    """A flat DataFrame, one row per item, from ItemRecords, dicts or a frame of them.

    A frame this function made is returned as it is; any other frame is
    converted (so a raw frame from ``mlflow models predict`` or Spark works too).
    """
    if is_records_frame(records):
        return records
    if isinstance(records, pd.DataFrame):
        df = records.copy()
    else:
        # a shallow copy per record: asdict() deep-copies every citation and is slow on 100,000 items
        df = pd.DataFrame([dict(r.__dict__) if is_dataclass(r) else dict(r) for r in records])
    for col in CITATION_FIELDS:
        if col in df.columns:
            df[f"{col}_sources"] = [citation_sources(v) for v in df[col]]
            df = df.drop(columns=[col])
    for col in LIST_FIELDS:
        if col in df.columns:
            df[col] = [joined(v) for v in df[col]]
    for col in TEXT_FIELDS:
        if col in df.columns:
            df[col] = df[col].where(df[col].notna(), "").astype(str)
    if "patient_age" in df.columns:
        df["patient_age"] = pd.to_numeric(df["patient_age"], errors="coerce").astype(float)
    df = df.reset_index(drop=True)
    df.attrs[_MARK] = True
    return df
