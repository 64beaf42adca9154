"""The report's frame: one row per item, only the columns the report reads, and the columns it groups by.

The input is an Arrow table of item records (the job reads letters, JSONL, Parquet or CSV into one), so
that a million items never become a million Python objects: strings with few distinct values become
categoricals, dates are parsed and subtracted by Arrow, and derived labels (treatment class, the
reviewer's guidelines) are computed once per distinct value, not once per item.

Columns other engineers add to the record are used when the input has them (the normalized reviewer
specialties and licensure, the request's drug class, service type and body part); otherwise the report
falls back to what every record carries.

This frame is deliberately not :func:`imrml.records.frame.records_to_frame`'s: that one joins lists into
strings and marks its frames in ``attrs``, which pandas deep-copies on every operation (4x slower here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..learn.treatments import UNKNOWN_CLASS, treatment_class
from ..letters.labels import normalize_citation
from ..records.schema import OVERTURNED, UPHELD, Citation

UNKNOWN = "(unknown)"
NO_DATE = "(no decision date)"
NO_CITATION = "(no citation parsed)"
STRING = pa.string()
STRINGS = pa.list_(pa.string())
CITATIONS = pa.list_(pa.struct([("source", STRING), ("document", STRING), ("sections", STRINGS), ("text", STRING)]))

# Every column the report can read, and its Arrow type; an input lacking one reads it as null.
COLUMNS: dict[str, pa.DataType] = {
    "case_id": STRING,
    "template": STRING,
    "decision_date": STRING,
    "date_assigned": STRING,
    "ur_denial_date": STRING,
    "application_received": STRING,
    "date_of_injury": STRING,
    "priority": STRING,
    "reviewer_specialties": STRINGS,
    "reviewer_licensure": STRINGS,
    "patient_age": pa.float64(),
    "patient_sex": STRING,
    "item": STRING,
    "decision": STRING,
    "reviewer_guideline": CITATIONS,
    "guideline_family": STRING,
    "guideline_topic": STRING,
    "claims_guideline_family": STRING,
    "claims_guideline_topic": STRING,
}
# Fields of the record that are being added (normalized specialties and requests): read when present.
OPTIONAL_COLUMNS: dict[str, pa.DataType] = {
    "reviewer_specialties_normalized": STRINGS,
    "reviewer_licensure_normalized": STRINGS,
    "request_kind": STRING,  # "medication" or "service"
    "drug_generic": STRING,
    "drug_class": STRING,
    "service_type": STRING,
    "body_parts": STRINGS,
    "rationale_verdict": STRING,  # the conclusion read from the rationale: upheld, overturned, partial, unclear
}
# Read dictionary-encoded (few distinct values; dates repeat by the day): less memory, and every string
# function runs once per distinct value
DICTIONARY = tuple(name for name, typ in {**COLUMNS, **OPTIONAL_COLUMNS}.items() if typ == STRING)
STRING_DICTIONARY = pa.dictionary(pa.int32(), STRING)
DATES = ("decision_date", "date_assigned", "ur_denial_date", "application_received", "date_of_injury")

# The treatment categories of the state's IMR reports, from the item's treatment class
# (imrml.learn.treatments); for medications the class is the drug class.
CATEGORY_OF_CLASS = {
    "Opioids": "Pharmaceuticals",
    "Topical analgesics": "Pharmaceuticals",
    "Benzodiazepines": "Pharmaceuticals",
    "Muscle relaxants": "Pharmaceuticals",
    "Anti-epilepsy drugs": "Pharmaceuticals",
    "NSAIDs": "Pharmaceuticals",
    "Antidepressants": "Pharmaceuticals",
    "Other medications": "Pharmaceuticals",
    "Physical medicine": "Rehabilitation and physical medicine",
    "Chiropractic/manipulation": "Rehabilitation and physical medicine",
    "Acupuncture": "Rehabilitation and physical medicine",
    "Programs": "Rehabilitation and physical medicine",
    "Imaging/special studies": "Diagnostics and imaging",
    "Electrodiagnostic studies": "Diagnostics and imaging",
    "Labs/drug testing": "Diagnostics and imaging",
    "Surgery": "Surgery",
    "DME": "Durable medical equipment",
    "TENS/electrical stimulation": "Durable medical equipment",
    "Office visits/consultations": "Evaluation and management",
    "Psychological treatment": "Psychological services",
    "Injections": "Injections",
    "Home health/facility care": "Home health and facility care",
    UNKNOWN_CLASS: "(not classified)",
}
# The same categories from the record's service type (imrml/letters/data/service_types.csv), when it has one
CATEGORY_OF_SERVICE = {
    "functional capacity evaluation": "Evaluation and management",
    "consultation": "Evaluation and management",
    "surgical assistant": "Surgery",
    "surgery": "Surgery",
    "EMG/NCV": "Diagnostics and imaging",
    "EEG": "Diagnostics and imaging",
    "MRI": "Diagnostics and imaging",
    "CT": "Diagnostics and imaging",
    "bone scan": "Diagnostics and imaging",
    "x-ray": "Diagnostics and imaging",
    "diagnostic ultrasound": "Diagnostics and imaging",
    "lab test": "Diagnostics and imaging",
    "psychological": "Psychological services",
    "inpatient/program": "Rehabilitation and physical medicine",
    "acupuncture": "Rehabilitation and physical medicine",
    "chiropractic": "Rehabilitation and physical medicine",
    "occupational therapy": "Rehabilitation and physical medicine",
    "physical therapy": "Rehabilitation and physical medicine",
    "physical modality": "Rehabilitation and physical medicine",
    "injection": "Injections",
    "DME": "Durable medical equipment",
    "home health": "Home health and facility care",
    "transportation": "Home health and facility care",
}
AGE_BANDS = ((0, 30, 40, 50, 60, 200), ("under 30", "30-39", "40-49", "50-59", "60 and over"))
INJURY_YEARS_BANDS = ((-np.inf, 1, 2, 5, 10, np.inf), ("under 1", "1-2", "2-5", "5-10", "10 and more"))


def conform(table: pa.Table) -> pa.Table:
    """``table`` with exactly the report's columns (and the optional ones it has), cast to their types;
    a missing column is all null."""
    wanted = {**COLUMNS, **{k: v for k, v in OPTIONAL_COLUMNS.items() if _filled(table, k)}}
    arrays = []
    for name, typ in wanted.items():
        if name not in table.column_names:
            arrays.append(pa.nulls(table.num_rows, typ))
            continue
        col = table.column(name)
        if name == "reviewer_guideline":
            arrays.append(_citations(col))
        elif name in DATES and (pa.types.is_date(col.type) or pa.types.is_timestamp(col.type)):
            arrays.append(pc.dictionary_encode(pc.strftime(col, format="%Y-%m-%d")))
        elif typ == STRING:
            arrays.append(
                col.cast(STRING_DICTIONARY)
                if pa.types.is_dictionary(col.type)
                else pc.dictionary_encode(col.cast(STRING))
            )
        elif pa.types.is_null(col.type) or col.type != typ:
            arrays.append(col.cast(typ))
        else:
            arrays.append(col)
    return pa.table(arrays, names=list(wanted))


def _filled(table: pa.Table, name: str) -> bool:
    """The table has the column with a value in some row (records made before a field existed carry it
    empty: the report then falls back as if it were absent)."""
    if name not in table.column_names:
        return False
    col = table.column(name)
    if pa.types.is_list(col.type) or pa.types.is_large_list(col.type):
        return pc.sum(pc.fill_null(pc.list_value_length(col), 0)).as_py() not in (None, 0)
    return col.null_count < len(col)


def _citations(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """A citation list column reduced to the fields the guideline label reads."""
    if col.type == CITATIONS or pa.types.is_null(col.type):
        return col.cast(CITATIONS)
    chunks = []
    for chunk in col.chunks:
        flat = chunk.flatten()
        if pa.types.is_struct(flat.type):
            fields = [
                flat.field(f.name).cast(f.type)
                if flat.type.get_field_index(f.name) >= 0
                else pa.nulls(len(flat), f.type)
                for f in CITATIONS.value_type
            ]
            structs = pa.StructArray.from_arrays(fields, fields=list(CITATIONS.value_type))
        else:  # every list empty: no type to read
            structs = pa.nulls(len(flat), CITATIONS.value_type)
        chunks.append(pa.ListArray.from_arrays(chunk.offsets, structs, mask=chunk.is_null()))
    return pa.chunked_array(chunks, type=CITATIONS)


def report_frame(table: pa.Table) -> pd.DataFrame:
    """One row per item with the columns every table groups by.

    Derived: ``decided`` (Upheld or Overturned), ``overturned``; ``month`` and ``year`` of the decision
    (NO_DATE when the letter states none: 2014-template letters have no header); ``days: A -> B`` for each
    pair of dates; ``years_injury_to_ur``; ``treatment_class``, ``treatment_category`` and
    ``treatment_subcategory``; ``age_band`` and ``injury_to_ur_band``; ``reviewer_guidelines`` (the
    guidelines the reviewer cited, one label per guideline); ``specialty`` and ``licensure`` lists (and
    ``body_part`` when the input has the request's ``body_parts``).
    Categorical columns have UNKNOWN for a missing value, last.
    """
    t = conform(table)
    decision_date = t.column("decision_date")
    derived = {
        "month": _per_value(decision_date, lambda v: pc.utf8_slice_codeunits(v, 0, 7)),
        "year": _per_value(decision_date, lambda v: pc.utf8_slice_codeunits(v, 0, 4)),
    }
    dates = {c: _date(t.column(c)) for c in DATES}
    for a, b in (
        ("application_received", "decision_date"),
        ("date_assigned", "decision_date"),
        ("ur_denial_date", "application_received"),
    ):
        derived[f"days: {a} -> {b}"] = pc.days_between(dates[a], dates[b])
    derived["years_injury_to_ur"] = pc.divide(
        pc.cast(pc.days_between(dates["date_of_injury"], dates["ur_denial_date"]), pa.float64()), 365.25
    )
    derived["reviewer_guidelines"] = _guidelines(t.column("reviewer_guideline"))
    derived["specialty"] = _specialties(t)
    derived["licensure"] = _licensure(t)
    lists = ["reviewer_guidelines", "specialty", "licensure"]
    if "body_parts" in t.column_names:
        derived["body_part"] = t.column("body_parts")
        lists.append("body_part")
    for c in DATES:
        t = t.set_column(t.schema.get_field_index(c), c, dates[c])
    t = t.drop_columns(
        [
            c
            for c in t.column_names
            if c
            in (
                "reviewer_guideline",
                "reviewer_specialties",
                "reviewer_licensure",
                "reviewer_specialties_normalized",
                "reviewer_licensure_normalized",
                "body_parts",
            )
        ]
    )
    for name, column in derived.items():
        t = t.append_column(name, column)
    categorical = [c for c in t.column_names if t.schema.field(c).type in (STRING, STRING_DICTIONARY)]
    for c in categorical:
        if t.schema.field(c).type == STRING:
            t = t.set_column(t.schema.get_field_index(c), c, pc.dictionary_encode(t.column(c)))
    arrow_backed = {t.schema.field(c).type: pd.ArrowDtype(t.schema.field(c).type) for c in lists}
    df = t.to_pandas(types_mapper=arrow_backed.get, date_as_object=False, self_destruct=True)
    del t

    df["decided"] = df["decision"].isin([UPHELD, OVERTURNED]).to_numpy()
    df["overturned"] = (df["decision"] == OVERTURNED).to_numpy()
    df["treatment_class"] = _per_distinct(df["item"], treatment_class)
    df["treatment_category"] = _category(df)
    df["treatment_subcategory"] = _subcategory(df)
    df["age_band"] = pd.cut(df["patient_age"], AGE_BANDS[0], labels=AGE_BANDS[1], right=False)
    df["injury_to_ur_band"] = pd.cut(
        df["years_injury_to_ur"], INJURY_YEARS_BANDS[0], labels=INJURY_YEARS_BANDS[1], right=False
    )
    for c in [
        *categorical,
        "treatment_class",
        "treatment_category",
        "treatment_subcategory",
        "age_band",
        "injury_to_ur_band",
    ]:
        if c in ("case_id", "item"):
            continue
        df[c] = _with_unknown(
            df[c], NO_DATE if c in ("month", "year") else UNKNOWN, keep_order=c in ("age_band", "injury_to_ur_band")
        )
    return df


def _date(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """ISO date strings as date32; a string that is not a date is null."""
    return _per_value(
        col, lambda v: pc.cast(pc.strptime(v, format="%Y-%m-%d", unit="s", error_is_null=True), pa.date32())
    )


def _per_value(col: pa.ChunkedArray, fn) -> pa.ChunkedArray:
    """``fn`` (an Arrow function of a string array) of a column, computed once per distinct value when the
    column is dictionary-encoded; a plain column."""
    if not pa.types.is_dictionary(col.type):
        return fn(col)
    empty = fn(pa.array([], STRING))
    return pa.chunked_array([pc.take(fn(chunk.dictionary), chunk.indices) for chunk in col.chunks], type=empty.type)


def _with_unknown(s: pd.Series, unknown: str, keep_order: bool = False) -> pd.Series:
    """A categorical with sorted categories (or its own order) and missing values as ``unknown``, last."""
    if not isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype("category")
    cats = [c for c in s.cat.categories if c != unknown]
    if not keep_order:
        cats = sorted(cats, key=str)
    return s.cat.set_categories([*cats, unknown]).fillna(unknown)


def _per_distinct(s: pd.Series, fn) -> pd.Series:
    """``fn`` of each value of a categorical (``fn(None)`` for a missing one), computed once per distinct
    value."""
    codes, names = pd.factorize(pd.Series([*(fn(c) for c in s.cat.categories), fn(None)], dtype=object))
    item_codes = s.cat.codes.to_numpy()
    out = codes[np.where(item_codes >= 0, item_codes, len(codes) - 1)]
    return pd.Series(pd.Categorical.from_codes(out, names), index=s.index)


def _category(df: pd.DataFrame) -> pd.Series:
    """The treatment category: from the record's request fields when the input has them (a medication is
    "Pharmaceuticals"; a service takes its type's category), else from the item's treatment class."""
    category = df["treatment_class"].map(CATEGORY_OF_CLASS).astype(object)
    if "service_type" in df:
        by_service = df["service_type"].astype(object).map(CATEGORY_OF_SERVICE)
        category = category.where(by_service.isna(), by_service)
    if "request_kind" in df:
        category = category.where(df["request_kind"].astype(object) != "medication", "Pharmaceuticals")
    return category.astype("category")


def _subcategory(df: pd.DataFrame) -> pd.Series:
    """The drug class of a medication and the type of a service, from the record's request fields when the
    input has them; else the item's treatment class."""
    sub = df["treatment_class"].astype(object)
    medication = (df["treatment_category"] == "Pharmaceuticals").to_numpy()
    for column, applies in (("drug_class", medication), ("service_type", ~medication)):
        if column in df:
            value = df[column].astype(object)
            sub = sub.where(~(applies & value.notna().to_numpy()), value.map(_capitalized))
    return sub.astype("category")


def _capitalized(v):
    return v[:1].upper() + v[1:] if isinstance(v, str) else v


def _specialties(t: pa.Table) -> pa.ChunkedArray:
    """The reviewer's specialties: the record's normalized ones where it has them, else as written with
    spacing and "&" folded ("Physical Medicine & Rehabilitation" = "... and ...")."""
    written = _map_list(t.column("reviewer_specialties"), lambda s: " ".join(s.replace("&", " and ").split()))
    return _normalized_or(t, "reviewer_specialties_normalized", written)


def _licensure(t: pa.Table) -> pa.ChunkedArray:
    written = _map_list(t.column("reviewer_licensure"), lambda s: " ".join(s.split()))
    return _normalized_or(t, "reviewer_licensure_normalized", written)


def _normalized_or(t: pa.Table, column: str, written: pa.ChunkedArray) -> pa.ChunkedArray:
    """Per item, the normalized list when it is not empty, else ``written``."""
    if column not in t.column_names:
        return written
    normalized = t.column(column)
    has = pc.greater(pc.fill_null(pc.list_value_length(normalized), 0), 0)
    return pc.if_else(has, normalized, written.cast(normalized.type))


def _map_list(col: pa.ChunkedArray, fn) -> pa.ChunkedArray:
    """``fn`` applied to every string of a list column, once per distinct string."""
    arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    flat = arr.flatten()
    if len(flat) == 0:
        return pa.chunked_array([arr])
    codes = pc.dictionary_encode(flat)
    mapped = pa.array([fn(v) for v in codes.dictionary.to_pylist()], STRING)
    values = pc.take(mapped, codes.indices)
    return pa.chunked_array([pa.ListArray.from_arrays(arr.offsets, values, mask=arr.is_null())])


def _guidelines(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Per item, the distinct guidelines the reviewer cited ("MTUS Chronic Pain", "ODG Knee and Leg", ...),
    labelled once per distinct citation; an item with no parsed citation has NO_CITATION."""
    arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    n = len(arr)
    flat = arr.flatten()
    parents = pc.list_parent_indices(arr).to_numpy()
    if len(flat):
        key = pc.binary_join_element_wise(
            pc.fill_null(flat.field("source"), ""),
            pc.fill_null(flat.field("document"), ""),
            pc.fill_null(pc.binary_join(flat.field("sections"), "\x1e"), ""),
            pc.fill_null(flat.field("text"), ""),
            "\x1f",
        )
        distinct = pc.dictionary_encode(key)
        labels = [_guideline_of_key(k) for k in distinct.dictionary.to_pylist()]
        label_codes, label_names = pd.factorize(pd.Series(labels, dtype=object))
        codes = label_codes[distinct.indices.to_numpy()]
    else:
        codes, label_names = np.zeros(0, dtype=np.int64), pd.Index([])
    names = [*map(str, label_names), NO_CITATION]
    empty = np.flatnonzero(np.bincount(parents, minlength=n) == 0)
    pairs = np.concatenate([parents.astype(np.int64) * len(names) + codes, empty * len(names) + len(names) - 1])
    pairs.sort()  # by item, then guideline; a guideline cited twice by one item counts once
    pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])] if len(pairs) else pairs
    rows, values = pairs // len(names), pairs % len(names)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int32)
    strings = pc.take(pa.array(names, STRING), pa.array(values))
    return pa.chunked_array([pa.ListArray.from_arrays(pa.array(offsets), strings)])


def _guideline_of_key(key: str) -> str:
    source, document, sections, text = key.split("\x1f")
    cite = Citation(
        source=source or "none", document=document or None, sections=[s for s in sections.split("\x1e") if s], text=text
    )
    return normalize_citation(cite).guideline


def within_dates(df: pd.DataFrame, since: str | None, until: str | None) -> pd.DataFrame:
    """The items decided from ``since`` to ``until`` (ISO dates, both included); an item without a
    decision date cannot be placed in the period and is left out when either is given."""
    keep = np.ones(len(df), dtype=bool)
    if since:
        keep &= (df["decision_date"] >= pd.Timestamp(since)).to_numpy()
    if until:
        keep &= (df["decision_date"] <= pd.Timestamp(until)).to_numpy()
    return df if keep.all() else df[keep].reset_index(drop=True)
