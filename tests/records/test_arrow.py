"""The record's Arrow schema comes from the dataclass: a field added there needs no edit here."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import pyarrow as pa
import pytest

from imrml.records.arrow import arrow_type, dataclass_fields, record_schema
from imrml.records.schema import ItemRecord


def test_every_record_field_is_a_column_in_order_with_its_type():
    schema = record_schema()
    assert schema.names == [f.name for f in fields(ItemRecord)]
    assert schema.field("item_index").type == pa.int64()
    assert schema.field("decision").type == pa.string()
    assert schema.field("reviewer_specialties").type == pa.list_(pa.string())
    citation = schema.field("claims_guideline").type.value_type
    assert [citation.field(i).name for i in range(citation.num_fields)] == [
        "source",
        "document",
        "year",
        "sections",
        "pages",
        "text",
    ]
    assert citation.field("pages").type == pa.list_(pa.int64())


@dataclass
class _Verdict:
    word: str
    confident: bool = False


@dataclass
class _Grown:
    """What another engineer might add to the record: each kind of annotation the module supports."""

    name: str
    normalized_specialties: list[str] = field(default_factory=list)
    request_quantity: int | None = None
    dose_mg: float | None = None
    verdict: _Verdict | None = None
    extras: dict[str, int] = field(default_factory=dict)


def test_new_fields_of_any_supported_kind_map_without_edits():
    types = {f.name: f.type for f in dataclass_fields(_Grown)}
    assert types == {
        "name": pa.string(),
        "normalized_specialties": pa.list_(pa.string()),
        "request_quantity": pa.int64(),
        "dose_mg": pa.float64(),
        "verdict": pa.struct([pa.field("word", pa.string()), pa.field("confident", pa.bool_())]),
        "extras": pa.map_(pa.string(), pa.int64()),
    }


def test_an_annotation_with_no_arrow_type_names_its_field():
    with pytest.raises(TypeError, match="ItemRecord.when: no Arrow type"):
        arrow_type(set[int], "ItemRecord.when")


def test_a_chunk_whose_optional_fields_are_all_null_keeps_their_types():
    rows = [ItemRecord("a.txt", "CM1", "2016", item="MRI").to_dict()]  # a case before review: no decision
    table = pa.Table.from_pylist(rows, schema=record_schema())
    assert table.schema == record_schema()
    assert table.column("decision").type == pa.string() and table.column("decision").null_count == 1
