"""Parser: every letter generation, real letters from ../shared, and every kind of bad input."""

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from imrml.letters.batch import parse_paths
from imrml.letters.errors import LetterError
from imrml.letters.parse import parse_letter

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def cites(citations):
    return [(c.source, c.document, c.year, c.sections, c.pages) for c in citations]


# ---------------------------------------------------------------- own fixture letters, one per generation


def test_2013_letter_items_decisions_and_citations():
    letter = parse_letter(FIXTURES / "letter_2013.txt")
    assert (letter.template, letter.case_id) == ("2013", "CM13-0047310")
    items = letter.items
    assert [i.item for i in items] == [
        "Oxycodone 15mg #120",
        "Physical therapy twice weekly for four weeks for the right knee",
        "MRI of the lumbar spine without contrast",
    ]
    assert [i.decision for i in items] == ["Upheld", "Overturned", "Upheld"]
    first = items[0]
    assert (
        first.date_of_injury,
        first.date_assigned,
        first.ur_denial_date,
        first.application_received,
        first.decision_date,
    ) == ("2010-02-11", "2013-10-21", "2013-09-04", "2013-09-16", "2013-12-02")
    assert first.reviewer_specialties == ["Anesthesiology", "Pain Medicine"]
    assert first.reviewer_licensure == ["California", "Nevada"]
    assert (first.patient_age, first.patient_sex) == (51, "female")
    assert cites(first.claims_guideline) == [
        ("MTUS", "Chronic Pain Medical Treatment Guidelines", 2009, ["Opioids"], list(range(74, 97)))
    ]
    assert cites(first.reviewer_guideline) == [
        ("MTUS", "Chronic Pain Medical Treatment Guidelines", 2009, ["On-going management"], [78, 79, 80])
    ]
    assert first.rationale.startswith("The file does not record any gain in function")
    assert cites(items[1].claims_guideline) == [("none", None, None, [], [])]
    assert [c.source for c in items[1].reviewer_guideline] == ["MTUS", "ODG"]
    # ACOEM 2nd-edition chapter 12 is the MTUS Low Back Complaints guideline
    assert cites(items[2].reviewer_guideline) == [
        ("MTUS", "Low Back Complaints", 2004, ["Special Studies"], [303, 304])
    ]
    assert items[2].rationale.endswith("The request is not medically necessary and appropriate.")


def test_2014_letter_wrapped_item_and_second_citation_in_paragraph():
    letter = parse_letter(FIXTURES / "letter_2014.txt")
    assert (letter.template, letter.case_id) == ("2014", "letter_2014")
    tramadol, tizanidine = letter.items
    assert tramadol.item == "Tramadol ER 150mg Qty 30 one tablet daily for chronic neck pain (Opioid Analgesic)"
    assert tramadol.decision == "Upheld"
    assert cites(tramadol.claims_guideline) == [
        ("MTUS", "Chronic Pain Medical Treatment Guidelines", None, ["Opioids"], list(range(74, 97))),
        ("ODG", "Official Disability Guidelines", None, ["Pain, Opioids for chronic pain"], []),
    ]
    assert cites(tramadol.reviewer_guideline) == [
        ("MTUS", "Chronic Pain Medical Treatment Guidelines", None, [], [78, 79, 80])
    ]
    assert cites(tizanidine.reviewer_guideline) == [
        ("MTUS", "Chronic Pain Medical Treatment Guidelines", None, ["Muscle relaxants"], [63, 64, 65, 66])
    ]
    assert tramadol.date_of_injury == "2012-03-03"  # no header: from the case summary
    assert tramadol.ur_denial_date == "2015-06-09"
    assert (tramadol.patient_age, tramadol.patient_sex) == (46, "female")
    assert tramadol.rationale.endswith("Therefore, the request is not medically necessary.")


def test_2016_letter_header_partial_approval_page_break_and_no_citation():
    letter = parse_letter(FIXTURES / "letter_2016.txt")
    assert (letter.template, letter.case_id) == ("2016", "CM16-0999901")
    mri, hydrocodone, surgery = letter.items
    assert (
        mri.date_assigned,
        mri.date_of_injury,
        mri.decision_date,
        mri.ur_denial_date,
        mri.application_received,
        mri.priority,
    ) == ("2016-08-02", "2014-04-19", "2016-09-14", "2016-07-22", "2016-07-28", "Standard")
    assert mri.reviewer_specialties == [
        "Physical Medicine & Rehabilitation",
        "Public Health & General Preventive Medicine",
    ]
    assert mri.reviewer_licensure == ["California", "Nevada"]
    assert mri.decision == "Overturned"
    assert cites(mri.reviewer_guideline) == [
        ("MTUS", "Low Back Complaints", 2004, ["Special Studies", "Red Flags"], []),
        ("MTUS", "Chronic Pain Medical Treatment Guidelines", 2016, ["Introduction"], []),
    ]
    assert hydrocodone.item == "Hydrocodone 10/325mg #30"
    assert hydrocodone.original_request == "Hydrocodone 10/325mg #90"
    assert "Page 2 of 3" not in hydrocodone.claims_guideline_text
    assert hydrocodone.claims_guideline[0].sections == ["Opioids, criteria for use", "Opioids, specific drug list"]
    assert surgery.item == "Left shoulder subacromial decompression with rotator cuff repair and postoperative sling"
    assert [c.source for c in surgery.claims_guideline] == ["none"]
    assert [c.source for c in surgery.reviewer_guideline] == ["none"]
    assert [i.item_index for i in letter.items] == [1, 2, 3]


def test_maximus_imr_letter_numbered_items_wrapped_heading_doubled_lines_and_page_break():
    letter = parse_letter(FIXTURES / "letter_maximus_imr.txt")
    assert (letter.template, letter.case_id) == ("maximus_imr", "CM14-0031877")
    oxycodone, aquatic, lidoderm = letter.items
    assert [i.item for i in letter.items] == [
        "Oxycodone 10mg #90",
        "Aquatic therapy twice a week for six weeks for the lumbar spine",  # its heading wraps
        "Lidoderm 5% patch #30",
    ]
    assert [i.decision for i in letter.items] == ["Upheld", "Overturned", "Upheld"]
    assert [i.rationale_verdict for i in letter.items] == ["upheld", "overturned", "upheld"]
    assert (
        oxycodone.date_of_injury,
        oxycodone.date_assigned,
        oxycodone.ur_denial_date,
        oxycodone.application_received,
        oxycodone.decision_date,
        oxycodone.priority,
    ) == ("2011-07-19", "2014-02-03", "2014-01-08", "2014-01-21", "2014-03-11", "Standard")
    assert oxycodone.reviewer_specialties == ["Physical Medicine & Rehabilitation", "Pain Management"]
    assert oxycodone.reviewer_specialties_normalized == ["Physical Medicine and Rehabilitation", "Pain Medicine"]
    assert oxycodone.reviewer_licensure_normalized == ["CA", "OR"]
    assert (oxycodone.patient_age, oxycodone.patient_sex) == (58, "male")
    assert oxycodone.case_summary.startswith("The injured worker is a 58 year old male")
    assert "Progress notes" not in oxycodone.case_summary  # DOCUMENTS REVIEWED is its own section
    assert cites(oxycodone.claims_guideline) == [
        ("MTUS", "Chronic Pain Medical Treatment Guidelines", 2009, ["Opioids"], list(range(74, 97)))
    ]
    assert cites(aquatic.reviewer_guideline) == [
        ("MTUS", "Chronic Pain Medical Treatment Guidelines", 2009, ["Aquatic therapy"], [22])
    ]
    assert "Page 2 of 3" not in oxycodone.claims_guideline_text + oxycodone.reviewer_guideline_text
    assert aquatic.rationale.endswith(
        "for this long-term condition. The request is medically necessary and appropriate."
    )
    assert [c.source for c in lidoderm.claims_guideline] == ["none"]
    assert (aquatic.service_type, aquatic.body_parts, aquatic.sessions) == ("physical therapy", ["lumbar spine"], 12)
    assert (lidoderm.drug_generic, lidoderm.drug_class) == ("lidocaine", "topical analgesics")


def test_maximus_imr_letter_with_verdict_headings_reads_them_as_the_2014_layout_does():
    text = (
        "MAXIMUS FEDERAL SERVICES, INC.\nIndependent Medical Review\nIMR Case Number: CM14-0000777\n"
        "HOW THE IMR FINAL DETERMINATION WAS MADE\nThe reviewer is Board Certified in Family Medicine and is "
        "licensed to practice in Texas.\nDOCUMENTS REVIEWED\nUtilization review of 02/02/2014\n"
        "CLINICAL CASE SUMMARY\nThe worker is a 33-year-old man with wrist pain.\n"
        "IMR DECISION(S) AND RATIONALE(S)\nWrist splint purchase: Overturned\n"
        "Claims Administrator guideline: Decision based on MTUS Forearm, Wrist, and Hand Complaints 2004.\n"
        "MAXIMUS guideline: Decision based on MTUS Forearm, Wrist, and Hand Complaints 2004.\n"
        "Decision rationale: A splint is advised for this condition. The request is medically necessary.\n"
    )
    (item,) = parse_letter(text).items
    assert (item.template, item.item, item.decision, item.rationale_verdict) == (
        "maximus_imr",
        "Wrist splint purchase",
        "Overturned",
        "overturned",
    )
    assert item.reviewer_specialties_normalized == ["Family Medicine"] and item.reviewer_licensure_normalized == ["TX"]
    assert item.case_summary == "The worker is a 33-year-old man with wrist pain."


def test_professional_review_letter_wrapped_headings_and_decisions_read_from_the_wording():
    letter = parse_letter(FIXTURES / "letter_professional_review.txt")
    assert (letter.template, letter.case_id) == ("professional_review", "CM13-0004412")
    mri, tramadol, chiro = letter.items
    assert [i.item for i in letter.items] == [
        "repeat MRI of the right shoulder",
        "Tramadol ER 150mg #30",
        "twelve sessions of chiropractic care for the neck and upper back",  # its issue wraps
    ]
    # no verdict line: the decisions come from the rationales' conclusions
    assert [i.decision for i in letter.items] == ["Overturned", "Overturned", "Upheld"]
    assert not any(i.verdict_disagrees for i in letter.items)
    assert (mri.date_of_injury, mri.ur_denial_date, mri.date_assigned, mri.priority) == (
        "2009-11-02",
        "2013-05-14",
        "2013-07-22",
        "Standard",
    )
    assert mri.reviewer_specialties == ["Orthopedic Surgery", "Sports Medicine"]
    assert mri.reviewer_specialties_normalized == ["Orthopaedic Surgery", "Orthopaedic Sports Medicine"]
    assert mri.reviewer_licensure_normalized == ["CA", "AZ"]
    assert (mri.patient_age, mri.patient_sex) == (47, "female")
    assert mri.case_summary.startswith("The patient is a 47 year old female bus driver")
    assert cites(mri.reviewer_guideline) == [
        ("MTUS", "Shoulder Complaints", 2004, ["Special Studies"], [207, 208, 209])
    ]
    assert [c.source for c in chiro.reviewer_guideline] == ["MTUS", "ODG"]  # the reason after them is no citation
    assert "sets the indications" in mri.reviewer_guideline_text
    assert mri.claims_guideline == [] and mri.claims_guideline_family is None
    assert (mri.guideline_family, chiro.guideline_family) == ("MTUS", "MTUS+ODG")
    assert tramadol.rationale.startswith("Per the MTUS, an opioid may continue")
    assert "CM13-0004412" not in chiro.rationale and "- 2 -" not in chiro.rationale
    assert (chiro.service_type, chiro.body_parts, chiro.sessions) == (
        "chiropractic",
        ["cervical spine", "thoracic spine"],
        12,
    )


def test_a_letter_in_an_unknown_layout_is_rejected_naming_the_headings_it_has_and_lacks(tmp_path):
    (tmp_path / "odd.txt").write_text(
        "MEDICAL PROFESSIONAL REVIEW\nCASE SUMMARY:\nThe worker is a 50 year old man.\n"
        "DOCUMENTS REVIEWED FOR DETERMINATION:\nProgress notes\nMEDICAL REVIEWER QUALIFICATIONS:\n"
        "The reviewer is Board Certified in Surgery.\n"
    )
    result = parse_paths([tmp_path])
    (reject,) = result.rejects
    assert reject.reason == (
        'IMR letter in a layout imrml does not know: found headings "MEDICAL PROFESSIONAL REVIEW", '
        '"CASE SUMMARY:", "DOCUMENTS REVIEWED FOR DETERMINATION:", "MEDICAL REVIEWER QUALIFICATIONS:"; '
        "nearest layout 'professional_review' also needs \"ISSUE AT DISPUTE:\", "
        '"MEDICAL TREATMENT GUIDELINE(S) RELIED UPON BY PROFESSIONAL REVIEWER AND WHY:", '
        '"RATIONALE FOR WHY THE REQUESTED TREATMENT/SERVICE IS/WAS NOT MEDICALLY NECESSARY:"'
    )
    assert result.records == []


def test_parse_letter_accepts_text_and_names_it():
    text = (FIXTURES / "letter_2016.txt").read_text()
    letter = parse_letter(text, source_file="pasted.txt")
    assert len(letter.items) == 3 and letter.items[0].source_file == "pasted.txt"


# ---------------------------------------------------------------- real letters in ../shared


@pytest.fixture(scope="module")
def seed_items(seeds_dir):
    result = parse_paths([seeds_dir])
    assert result.rejects == []
    return result.records


def test_real_letters_sections_keep_comma_titles_whole(dwc_result):
    sections = [s for r in dwc_result.records for c in r.claims_guideline + r.reviewer_guideline for s in c.sections]
    assert sections.count("NSAIDs, GI symptoms & cardiovascular risk") >= 4
    assert "GI symptoms & cardiovascular risk" not in sections and "Forearm" not in sections


def test_seeds_13_items_all_upheld(seed_items):
    assert len(seed_items) == 13
    assert {i.decision for i in seed_items} == {"Upheld"}
    assert all(i.template == "2014" for i in seed_items)
    assert all(i.rationale and i.case_summary and i.reviewer_specialties and i.reviewer_licensure for i in seed_items)


def _item(items, startswith):
    (found,) = [i for i in items if i.item.startswith(startswith)]
    return found


def test_seed_reviewer_citations_as_the_letters_state_them(seed_items):
    lyrica = _item(seed_items, "Lyrica")
    assert cites(lyrica.reviewer_guideline) == [
        ("MTUS", "Chronic Pain Medical Treatment Guidelines", None, ["Pregabalin (Lyrica)"], [99])
    ]
    assert cites(lyrica.claims_guideline) == [
        ("MTUS", "Chronic Pain Medical Treatment Guidelines", None, ["Anti-epilepsy drugs"], [19, 20])
    ]
    cyclo = _item(seed_items, "Cyclobenzaprine")
    assert cites(cyclo.reviewer_guideline) == [
        ("MTUS", "Chronic Pain Medical Treatment Guidelines", None, [], [63, 64, 65, 66])
    ]
    assert cyclo.claims_guideline[0].pages == [41, 64]
    klonopin = _item(seed_items, "Klonopin 0.5mg")
    assert [c.source for c in klonopin.reviewer_guideline] == ["MTUS", "ODG"]
    assert klonopin.reviewer_guideline[1].sections == ["Chronic Pain Chapter, Benzodiazepines"]
    clonazepam = _item(seed_items, "Clonazepam 1mg")
    assert cites(clonazepam.reviewer_guideline) == [
        ("MTUS", "Chronic Pain Medical Treatment Guidelines", 2009, ["Benzodiazepines"], [])
    ]
    norco = _item(seed_items, "Norco")
    assert norco.item.endswith("(Opioid Analgesic)")  # wrapped across lines in the letter
    assert norco.reviewer_guideline[0].pages == list(range(74, 83))
    butrans = _item(seed_items, "Butrans")
    assert butrans.reviewer_guideline[0].sections == ["Criteria for use of opioids"]


@pytest.fixture(scope="module")
def dwc_result(dwc_dir):
    return parse_paths([dwc_dir])


def test_real_letters_match_manifest(dwc_dir, dwc_result):
    assert dwc_result.rejects == []
    manifest = list(csv.DictReader((dwc_dir / "MANIFEST.csv").read_text().splitlines()))
    assert dwc_result.n_letters == len(manifest) == 120
    by_file = defaultdict(list)
    for rec in dwc_result.records:
        by_file[Path(rec.source_file).name].append(rec)
    for row in manifest:
        items = by_file[row["file"]]
        got = (len(items), sum(i.decision == "Upheld" for i in items), sum(i.decision == "Overturned" for i in items))
        assert got == (int(row["items"]), int(row["upheld"]), int(row["overturned"])), row["file"]
        assert {i.case_id for i in items} == {row["case_number"]}
        assert {i.decision_date for i in items} == {row["decision_date"]}
        assert {i.template for i in items} == {"2016"}
        assert [i.item_index for i in items] == list(range(1, len(items) + 1))


def test_real_letters_fields_are_filled(dwc_result):
    recs = dwc_result.records
    for field in (
        "date_assigned",
        "date_of_injury",
        "ur_denial_date",
        "application_received",
        "priority",
        "case_summary",
        "rationale",
        "claims_guideline_text",
        "reviewer_guideline_text",
    ):
        assert all(getattr(r, field) for r in recs), field
    assert all(r.reviewer_specialties and r.reviewer_licensure for r in recs)
    assert all(r.claims_guideline and r.reviewer_guideline for r in recs)
    assert sum(r.patient_age is not None for r in recs) >= 0.95 * len(recs)
    assert all(r.patient_sex in ("male", "female") for r in recs)
    # page furniture and the next item's heading never leak into a rationale
    assert not any("Claims Administrator guideline:" in r.rationale for r in recs)
    assert sum(r.original_request is not None for r in recs) >= 20


# ---------------------------------------------------------------- bad input: reason named, batch goes on


def test_each_bad_input_yields_its_reason(tmp_path, bad_inputs):
    expected = bad_inputs(tmp_path)
    for name, reason in expected.items():
        with pytest.raises(LetterError, match=reason):
            parse_letter(tmp_path / name)


def test_encrypted_pdf_with_empty_password_opens_without_one(tmp_path, bad_inputs):
    bad_inputs(tmp_path)
    letter = parse_letter(tmp_path / "encrypted_empty_password.pdf")
    assert letter.case_id == "CM16-0999901" and len(letter.items) == 3


def test_parsed_items_are_labelled(fixtures_dir):
    for item in parse_letter(fixtures_dir / "letter_2016.txt").items:
        assert item.claims_guideline_family is not None and item.guideline_family is not None


def test_items_past_max_items_are_counted_before_any_record_is_built():
    from imrml.letters.errors import LimitExceeded
    from imrml.letters.limits import Limits

    assert len(parse_letter(FIXTURES / "letter_2013.txt", limits=Limits(max_items=3)).items) == 3
    with pytest.raises(LimitExceeded, match=r"2-item limit \(--max-items; 3 items\)"):
        parse_letter(FIXTURES / "letter_2013.txt", limits=Limits(max_items=2))
