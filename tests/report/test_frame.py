import pandas as pd

from imrml.records.schema import Citation, ItemRecord
from imrml.report.frame import NO_CITATION, NO_DATE, UNKNOWN, report_frame, within_dates


def _rec(case, idx, **kw):
    base = {
        "source_file": f"{case}.txt",
        "case_id": case,
        "template": "2016",
        "item_index": idx,
        "item": "Norco 10/325 #60",
        "decision": "Upheld",
        "guideline_family": "MTUS",
        "guideline_topic": "Opioids",
    }
    return ItemRecord(**{**base, **kw})


def test_derived_columns(make_items_table):
    recs = [
        _rec(
            "A",
            1,
            decision_date="2016-11-02",
            application_received="2016-10-01",
            priority="Standard",
            date_of_injury="2010-11-02",
            ur_denial_date="2016-09-20",
            patient_age=44,
            reviewer_specialties=["Physical Medicine & Rehabilitation", "Pain  Management"],
            reviewer_guideline=[
                Citation("MTUS", "Chronic Pain Medical Treatment Guidelines", text="x"),
                Citation("MTUS", "Chronic Pain Medical Treatment Guidelines", text="y"),
                Citation("ODG", sections=["Knee & Leg (Acute & Chronic)"], text="ODG knee"),
            ],
        ),
        _rec("B", 1, template="2014", item="MRI of the lumbar spine", decision="Overturned"),
        _rec("B", 2, item="Physical therapy x 8", decision="Withdrawn"),
    ]
    df = report_frame(make_items_table(recs))
    assert df["decided"].tolist() == [True, True, False]
    assert df["overturned"].tolist() == [False, True, False]
    assert df["month"].astype(str).tolist() == ["2016-11", NO_DATE, NO_DATE]
    assert df["days: application_received -> decision_date"].iloc[0] == 32
    assert round(df["years_injury_to_ur"].iloc[0], 1) == 5.9
    assert df["age_band"].astype(str).tolist() == ["40-49", UNKNOWN, UNKNOWN]
    assert df["treatment_class"].astype(str).tolist() == ["Opioids", "Imaging/special studies", "Physical medicine"]
    assert df["treatment_category"].astype(str).tolist() == [
        "Pharmaceuticals",
        "Diagnostics and imaging",
        "Rehabilitation and physical medicine",
    ]
    # the same guideline cited twice counts once; an item with no citation says so
    assert sorted(df["reviewer_guidelines"].iloc[0]) == ["MTUS Chronic Pain", "ODG Knee and Leg"]
    assert list(df["reviewer_guidelines"].iloc[1]) == [NO_CITATION]
    assert list(df["specialty"].iloc[0]) == ["Physical Medicine and Rehabilitation", "Pain Management"]
    assert df["priority"].astype(str).tolist() == ["Standard", UNKNOWN, UNKNOWN]


def test_normalized_fields_are_used_when_present(make_items_table):
    recs = [_rec("A", 1, reviewer_specialties=["Sports Medicinea"]).to_dict()]
    recs[0]["reviewer_specialties_normalized"] = ["Sports Medicine"]
    recs[0]["drug_class"] = "Opioid analgesics"
    df = report_frame(make_items_table(recs))
    assert list(df["specialty"].iloc[0]) == ["Sports Medicine"]
    assert df["treatment_subcategory"].astype(str).iloc[0] == "Opioid analgesics"


def test_within_dates_keeps_the_period_and_leaves_out_undated_items(make_items_table):
    recs = [_rec("A", 1, decision_date="2016-01-31"), _rec("B", 1, decision_date="2016-02-01"), _rec("C", 1)]
    df = report_frame(make_items_table(recs))
    assert within_dates(df, None, None) is df
    assert within_dates(df, "2016-02-01", None)["case_id"].astype(str).tolist() == ["B"]
    assert within_dates(df, None, "2016-01-31")["case_id"].astype(str).tolist() == ["A"]
    assert isinstance(within_dates(df, "2016-01-01", "2016-12-31"), pd.DataFrame)
