"""The one conversion from records to a frame."""

from __future__ import annotations

import pandas as pd

from imrml.records.frame import is_records_frame, records_to_frame


def test_records_to_frame_flattens_lists_and_is_idempotent(make_records):
    recs = make_records(5)
    df = records_to_frame(recs)
    assert len(df) == len(recs)
    assert "claims_guideline" not in df and "reviewer_guideline" not in df
    assert set(df["claims_guideline_sources"]) <= {"MTUS", "ODG", "MTUS+ODG", "none"}
    assert df["reviewer_specialties"].map(type).eq(str).all()
    assert records_to_frame(df) is df  # a frame made here is not converted again
    again = records_to_frame(pd.DataFrame(df))  # the same data without the mark converts to an equal frame
    pd.testing.assert_frame_equal(df, again)
    # dicts work the same as records
    pd.testing.assert_frame_equal(df, records_to_frame([r.to_dict() for r in recs]))


def test_a_raw_frame_with_citation_lists_is_converted(make_records):
    rows = [r.to_dict() for r in make_records(3)]
    raw = pd.DataFrame(rows)
    assert not is_records_frame(raw)
    flat = records_to_frame(raw)
    assert is_records_frame(flat) and "reviewer_guideline_sources" in flat
    assert is_records_frame(flat.iloc[:2])  # a slice of a converted frame is still converted
