"""The record schema: a row from outside is checked field by field against the declared types, once."""

import datetime as dt

import pytest

from imrml.records.schema import Citation, ItemRecord, checked_row


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("patient_age", float("inf"), "patient_age is not a whole number: inf"),
        ("patient_age", float("-inf"), "patient_age is not a whole number: -inf"),
        ("patient_age", 10**400, "patient_age is out of range"),
        ("patient_age", "fifty", "patient_age is not a whole number: 'fifty'"),
        ("patient_age", True, "patient_age is not a whole number: True"),
        ("patient_sex", 5, "patient_sex is not text: 5"),
        ("priority", ["x"], "priority is not text: ['x']"),
        ("priority", True, "priority is not text: True"),
        ("claims_guideline_family", 7, "claims_guideline_family is not text: 7"),
        ("date_of_injury", 20150102, "date_of_injury is not a date: 20150102"),
        ("date_of_injury", "yesterday", "date_of_injury is not an ISO date (YYYY-MM-DD): 'yesterday'"),
        ("case_summary", b"\xff\xfe", "case_summary is not UTF-8 text"),
        ("case_summary", "a lone surrogate \ud800", "case_summary is not UTF-8 text"),
        ("reviewer_specialties", [5], "reviewer_specialties[1] is not text: 5"),
        ("claims_guideline", "MTUS", "claims_guideline is not a list: 'MTUS'"),
        ("claims_guideline", [{"pages": [1]}], "claims_guideline[1] is not a citation (an object with a source)"),
        (
            "reviewer_guideline",
            [{"source": "MTUS"}, {"source": "MTUS", "pages": [None]}],
            "reviewer_guideline[2].pages[1] is not a whole number: None",
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_naming_the_field(field, value, reason):
    with pytest.raises(ValueError, match="^" + reason.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        checked_row({"case_id": "CM1", "item": "MRI", field: value})
    with pytest.raises(ValueError, match="is not|out of range"):  # the record is made through the same check
        ItemRecord.from_dict({"source_file": "x", "case_id": "CM1", "template": "2016", field: value})


def test_values_of_the_declared_type_are_normalized_not_refused():
    row = checked_row(
        {
            "case_id": "CM1",
            "item": b"MRI",  # UTF-8 bytes (a Parquet binary column)
            "patient_age": "50",  # a CSV cell
            "item_index": 2.0,
            "date_of_injury": dt.date(2015, 1, 2),  # a Parquet date column
            "ur_denial_date": dt.datetime(2016, 3, 4, 5, 6),
            "reviewer_specialties": "Orthopedic Surgery",  # one name written alone
            "decision_date": float("nan"),  # pandas' missing value
            "claims_guideline": [Citation("MTUS", pages=[3]), {"source": "ODG", "pages": ["7"], "year": 2015.0}],
            "not_a_field": {"kept": True},
        }
    )
    assert row == {
        "case_id": "CM1",
        "item": "MRI",
        "patient_age": 50,
        "item_index": 2,
        "date_of_injury": "2015-01-02",
        "ur_denial_date": "2016-03-04",
        "reviewer_specialties": ["Orthopedic Surgery"],
        "decision_date": None,
        "claims_guideline": [
            {"source": "MTUS", "document": None, "year": None, "sections": [], "pages": [3], "text": ""},
            {"source": "ODG", "pages": [7], "year": 2015},
        ],
        "not_a_field": {"kept": True},
    }
