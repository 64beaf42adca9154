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
