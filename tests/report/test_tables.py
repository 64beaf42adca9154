import pytest

from imrml.records.schema import ItemRecord
from imrml.report import tables
from imrml.report.frame import UNKNOWN, report_frame


def _rec(case, idx, decision="Upheld", **kw):
    base = {
        "source_file": f"{case}.txt",
        "case_id": case,
        "template": "2016",
        "item_index": idx,
        "item": "Norco 10/325 #60",
        "decision": decision,
        "guideline_family": "MTUS",
        "guideline_topic": "Opioids",
        "claims_guideline_family": "MTUS",
        "claims_guideline_topic": "Opioids",
        "priority": "Standard",
    }
    return ItemRecord(**{**base, **kw})


@pytest.fixture
def frame(make_items_table):
    recs = [
        # letter A (2016): two items, one overturned; 20 days from application to decision
        _rec(
            "A",
            1,
            decision_date="2016-03-21",
            application_received="2016-03-01",
            reviewer_specialties=["Orthopedic Surgery", "Sports Medicine"],
        ),
        _rec(
            "A",
            2,
            "Overturned",
            item="MRI  of the LUMBAR spine",
            guideline_topic="Imaging/special studies",
            claims_guideline_topic="Imaging/special studies",
            decision_date="2016-03-21",
            application_received="2016-03-01",
            reviewer_specialties=["Orthopedic Surgery", "Sports Medicine"],
        ),
        # letter B (2017): one item, no evidence cited, expedited, 5 days
        _rec(
            "B",
            1,
            "Upheld",
            guideline_family="none",
            guideline_topic=None,
            decision_date="2017-01-06",
            application_received="2017-01-01",
            priority="Expedited",
            claims_guideline_family="ODG",
        ),
        # letter C (2014 layout, no dates): three items, one withdrawn
        _rec(
            "C",
            1,
            "Overturned",
            template="2014",
            item="mri of the lumbar spine",
            guideline_topic="Imaging/special studies",
            claims_guideline_topic="Imaging/special studies",
        ),
        _rec("C", 2, "Upheld", template="2014", guideline_family="ODG", claims_guideline_family="ODG"),
        _rec("C", 3, "Withdrawn", template="2014"),
    ]
    return report_frame(make_items_table(recs))


def test_corpus_counts(frame):
    c = tables.corpus(frame).iloc[0]
    assert (c["letters"], c["items"], c["decided"], c["overturned"], c["other_decision"]) == (3, 6, 5, 2, 1)
    assert c["items_per_letter_mean"] == 2 and c["items_per_letter_max"] == 3
    assert (c["first_decision"], c["last_decision"], c["items_without_decision_date"]) == (
        "2016-03-21",
        "2017-01-06",
        3,
    )
    assert c["overturn_rate"] == pytest.approx(2 / 5)


def test_items_per_letter(frame):
    t = tables.items_per_letter(frame).set_index("items_in_letter")
    assert t.loc["1", "letters"] == 1 and t.loc["2", "letters"] == 1 and t.loc["3", "letters"] == 1
    assert t["share"].sum() == pytest.approx(1)


def test_overturn_by_topic_and_by_year(frame):
    t = tables.overturn_by(frame, "guideline_topic").set_index("guideline_topic")
    assert t.loc["Imaging/special studies", ["items", "decided", "overturned"]].tolist() == [2, 2, 2]
    assert t.loc["Opioids", ["items", "decided", "overturned", "letters"]].tolist() == [3, 2, 0, 2]
    assert t.loc[UNKNOWN, "items"] == 1  # the no-evidence item has no topic: shown, not dropped
    by = tables.overturn_by(frame, "guideline_family", "year")
    assert list(by.columns[:2]) == ["year", "guideline_family"]
    assert by.groupby("year", observed=True)["items"].sum().to_dict() == {"2016": 2, "2017": 1, "(no decision date)": 3}


def test_exploded_counts_an_item_under_each_value(frame):
    t = tables.exploded(frame, "specialty").set_index("specialty")
    assert t.loc["Orthopedic Surgery", "items"] == 2 and t.loc["Sports Medicine", "items"] == 2
    assert t.loc[UNKNOWN, "items"] == 4  # items whose letter lists no specialty


def test_agreement(frame):
    t = tables.agreement(frame, "family").set_index(["claims_guideline_family", "guideline_family"])
    assert t.loc[("MTUS", "MTUS"), "items"] == 4
    assert t.loc[("ODG", "none"), "share_of_row"] == pytest.approx(0.5)
    assert t.loc[("ODG", "ODG"), "row_agreement"] == pytest.approx(0.5)
    m = tables.agreement_matrix(tables.agreement(frame, "family"), "family").set_index("claims_guideline_family")
    assert m.loc["ODG"].to_dict() == {"MTUS": 0, "ODG": 1, "none": 1}


def test_no_evidence(frame):
    t = tables.no_evidence(frame).set_index("template")
    assert t.loc["all", ["items", "no_evidence", "ne_decided", "ne_overturned"]].tolist() == [6, 1, 1, 0]
    assert t.loc["all", "overturn_rate_cited"] == pytest.approx(2 / 4)
    assert t.loc["2016", "share"] == pytest.approx(1 / 3)


def test_timing_against_the_limits(frame):
    t = tables.timing(frame)
    app = t[t["interval"] == "application received to decision"].set_index("priority")
    assert app.loc["Standard", ["items", "median_days", "limit_days", "past_limit"]].tolist() == [2, 20, 30, 0]
    assert app.loc["Expedited", ["items", "median_days", "limit_days", "past_limit"]].tolist() == [1, 5, 3, 1]


def test_top_requests_fold_case_and_spacing(frame):
    t = tables.top_requests(frame, n=1)
    assert t["request"].tolist() == ["norco 10/325 #60"]
    assert t.loc[0, "items"] == 4
    t = tables.top_requests(frame).set_index("request")
    assert t.loc["mri of the lumbar spine", "items"] == 2


def test_patients_shows_every_dimension(frame):
    t = tables.patients(frame)
    assert set(t["dimension"]) == {"age", "sex", "years from injury to UR denial"}
    assert t.groupby("dimension")["items"].sum().eq(6).all()


def test_request_fields_group_when_the_input_has_them(make_items_table):
    from imrml.report.sections import build

    rows = [
        {
            **_rec("A", 1).to_dict(),
            "request_kind": "medication",
            "drug_generic": "hydrocodone/acetaminophen",
            "drug_class": "opioids",
            "service_type": None,
            "body_parts": [],
            "rationale_verdict": "upheld",
        },
        {
            **_rec("A", 2, "Overturned", item="Physical therapy x 8 lumbar").to_dict(),
            "request_kind": "service",
            "drug_generic": None,
            "drug_class": None,
            "service_type": "physical therapy",
            "body_parts": ["lumbar spine", "knee"],
            "rationale_verdict": "upheld",
        },
    ]
    df = report_frame(make_items_table(rows))
    assert df["treatment_subcategory"].astype(str).tolist() == ["Opioids", "Physical therapy"]
    assert df["treatment_category"].astype(str).tolist() == ["Pharmaceuticals", "Rehabilitation and physical medicine"]
    parts = tables.exploded(df, "body_part").set_index("body_part")
    assert parts.loc["knee", "overturned"] == 1 and parts.loc[UNKNOWN, "items"] == 1
    v = tables.verdicts(df).set_index(["decision", "rationale_verdict"])
    assert v.loc[("Overturned", "upheld"), "share"] == 1.0
    names = {t.name for t in build(df).tables()}
    assert {"drugs", "body_parts", "verdicts"} <= names


def test_request_tables_are_absent_without_the_fields(frame):
    from imrml.report.sections import build

    names = {t.name for t in build(frame).tables()}
    assert not names & {"drugs", "body_parts", "verdicts"}
