"""Guideline paragraphs of every generation -> citations."""

import pytest

from imrml.letters.citations import expand_pages, parse_guideline_paragraph, split_sections


def cites(citations):
    return [(c.source, c.document, c.year, c.sections, c.pages) for c in citations]


@pytest.mark.parametrize(
    "spec, sections",
    [
        (
            "NSAIDs, GI symptoms & cardiovascular risk, Proton Pump Inhibitors (PPIs)",
            ["NSAIDs, GI symptoms & cardiovascular risk", "Proton Pump Inhibitors (PPIs)"],
        ),
        ("NSAIDs, Opioids, specific drug list", ["NSAIDs", "Opioids, specific drug list"]),
        ("Forearm, Wrist, & Hand", ["Forearm, Wrist, & Hand"]),
        ("Initial Care, Physical Methods, Follow-up Visits.", ["Initial Care", "Physical Methods", "Follow-up Visits"]),
        ("", []),
    ],
)
def test_sections_split_on_commas_but_titles_with_commas_stay_whole(spec, sections):
    assert split_sections(spec) == sections


@pytest.mark.parametrize(
    "spec, pages",
    [
        ("63-66", [63, 64, 65, 66]),
        ("41, 64", [41, 64]),
        ("19-20 and 99", [19, 20, 99]),
        ("5-2", [5]),
        ("1-900", [1]),  # a reversed or absurd range keeps its first page
    ],
)
def test_page_ranges_expand(spec, pages):
    assert expand_pages(spec) == pages


def test_2016_paragraph_chains_documents_and_a_non_mtus_source():
    text = (
        "Decision based on MTUS Low Back Complaints 2004, Section(s): Special Studies, Red Flags, and Chronic "
        "Pain Medical Treatment Guidelines 2016, Section(s): Introduction. Decision based on Non-MTUS Citation "
        "Official Disability Guidelines (ODG), Pain Chapter, Opioids."
    )
    assert cites(parse_guideline_paragraph(text)) == [
        ("MTUS", "Low Back Complaints", 2004, ["Special Studies", "Red Flags"], []),
        ("MTUS", "Chronic Pain Medical Treatment Guidelines", 2016, ["Introduction"], []),
        ("ODG", "Official Disability Guidelines", None, ["Pain Chapter, Opioids"], []),
    ]


def test_2014_paragraph_with_pages():
    text = "Decision based on MTUS Chronic Pain Treatment Guidelines Muscle relaxants Page(s): 63-66."
    assert cites(parse_guideline_paragraph(text)) == [
        ("MTUS", "Chronic Pain Medical Treatment Guidelines", None, ["Muscle relaxants"], [63, 64, 65, 66])
    ]


def test_2013_paragraph_acoem_chapter_is_the_mtus_body_part_guideline():
    text = (
        "The Expert Reviewer based his/her decision on the ACOEM (2004), Chapter 12, Low Back Complaints, "
        "Special Studies, pages 303-304, which is part of the MTUS."
    )
    assert cites(parse_guideline_paragraph(text)) == [
        ("MTUS", "Low Back Complaints", 2004, ["Special Studies"], [303, 304])
    ]


def test_no_medical_evidence_and_empty():
    (c,) = parse_guideline_paragraph("The Claims Administrator did not cite any medical evidence for its decision.")
    assert c.source == "none"
    assert parse_guideline_paragraph("   ") == []
    (other,) = parse_guideline_paragraph("Decision based on Non-MTUS Citation UpToDate: Lumbar stenosis.")
    assert other.source == "other" and other.document == "UpToDate: Lumbar stenosis"
