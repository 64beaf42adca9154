"""The labels summary: label counts, how citations normalized, and what did not."""

from imrml.letters.label_summary import summarize_labels
from imrml.letters.labels import UNMAPPED


def test_summarize_labels(citation_sample):
    s = summarize_labels(citation_sample)
    assert s.items == 3
    assert s.labels["guideline_family"] == {"MTUS": 1, "MTUS+ODG": 1, "none": 1}
    assert s.labels["guideline_topic"] == {"Benzodiazepines": 1, "Imaging/special studies": 1, "(none)": 1}
    assert s.labels["claims_guideline_topic"] == {UNMAPPED: 1, "Imaging/special studies": 1, "(none)": 1}
    assert sum(s.citations.values()) == 7
    assert s.families == {"MTUS": 4, "ODG": 2, "none": 1}
    assert s.missing == {"MTUS: section not in keyword table": 1, "MTUS: no section or pages": 1}
    assert s.topic_sources["item"] == 1 and s.topic_sources["pages"] == 1
    assert s.coverage["MTUS"] == [4, 2, 2] and s.topic_rate("ODG") == 1.0
    assert s.topic_rate("ODG", from_citation_only=True) == 0.5
    text = s.table()
    assert "section not in keyword table" in text and "Radial Head Fracture" in text
    assert "guideline_family:" in text and "MTUS+ODG" in text


def test_summary_counts_what_parse_time_readers_left_unread():
    from imrml.records.schema import ItemRecord

    def rec(case, n, **kw):
        return ItemRecord(source_file=f"{case}.txt", case_id=case, template="2016", item_index=n, **kw)

    reviewer = {"reviewer_specialties_normalized": ["Family Medicine", "Chiropractic", "Reiki Mastery"]}
    records = [
        rec(
            "A",
            1,
            **reviewer,
            reviewer_licensure_normalized=["CA", "Narnia"],
            item="Norco 10/325 #60",
            request_kind="medication",
            drug_generic="hydrocodone/acetaminophen",
            decision="Upheld",
            rationale_verdict="upheld",
        ),
        rec(
            "A",
            2,
            **reviewer,
            item="Zyxorin 25mg",
            request_kind="medication",
            decision="Upheld",
            rationale_verdict="overturned",
            verdict_disagrees=True,
        ),
        rec(
            "B",
            1,
            reviewer_specialties_normalized=["Pain Medicine"],
            item="MRI of the knee",
            request_kind="service",
            service_type="MRI",
            body_parts=["knee"],
            rationale_verdict="unclear",
        ),
    ]
    s = summarize_labels(records)
    assert s.specialty_kinds == {"specialty": 1, "profession": 1, "unknown": 1, "subspecialty": 1}  # per letter
    assert s.unknown_specialties == {"Reiki Mastery": 1} and s.unknown_states == {"Narnia": 1}
    assert s.requests["medication"] == 2 and s.requests["medication with a generic"] == 1
    assert s.requests["service with a type and a body part"] == 1 and s.requests["unmatched"] == 1
    assert s.unmatched_requests == ["Zyxorin 25mg"]
    assert s.verdicts == {"upheld": 1, "overturned": 1, "unclear": 1}
    assert s.disagreements == ["A item 2: stated Upheld, rationale reads overturned"]
    text = s.table()
    assert "Reiki Mastery" in text and "Narnia" in text and "contradict the stated decision: 1" in text
