"""Guideline mentions inside a rationale, on sentences written for these tests."""

from imrml.letters.mentions import family_of_mentions, find_mentions, relied_on_families


def _families(text):
    return [m.family for m in find_mentions(text)]


def test_families():
    assert _families("According to MTUS guidelines, therapy is recommended.") == ["MTUS"]
    assert _families("ODG states that X is not recommended.") == ["ODG"]
    assert _families("ACOEM recommends a short period of rest.") == ["ACOEM"]
    assert _families("Per the Official Disability Guidelines (ODG), Y is an option.") == ["ODG"]
    assert _families("UpToDate notes that Z is used off label.") == ["other"]
    assert _families("The drug is FDA-approved for this use.") == []


def test_guideline_and_pages_in_the_citation_grammar():
    m = find_mentions("Page 24 of the MTUS Chronic Pain Medical Treatment Guidelines states that ...")[0]
    assert (m.family, m.guideline, m.pages) == ("MTUS", "MTUS Chronic Pain", (24,))
    m = find_mentions("The MTUS guideline in ACOEM Chapter 12, Table 12-8, pages 308-310 notes ...")[-1]
    assert m.guideline == "MTUS Low Back" and m.pages == (308, 309, 310)
    assert find_mentions("ODG Knee & Leg Chapter recommends ...")[0].guideline == "ODG Knee and Leg"


def test_acoem_editions():
    assert find_mentions("The ACOEM guidelines state that imaging ...")[0].label_family == "MTUS"
    third = find_mentions("The Third Edition ACOEM Guidelines, Knee Disorders, note that ...")[0]
    assert third.acoem_in_mtus is False and third.label_family == "other"
    assert find_mentions("ACOEM does not recommend hip MRI ...")[0].label_family == "other"


def test_silence():
    text = "The CA MTUS/ACOEM guidelines do not address this request. The ODG recommends it."
    mentions = find_mentions(text)
    assert [(m.family, m.silent) for m in mentions] == [("MTUS", True), ("ACOEM", True), ("ODG", False)]
    assert relied_on_families(mentions) == ["ODG"]
    acute = "The Chronic Pain Treatment Guidelines do not apply to an acute injury."
    assert family_of_mentions(find_mentions(acute)) == "ODG"


def test_family_of_mentions():
    def family(text: str) -> str:
        return family_of_mentions(find_mentions(text))

    assert family("Per ODG, B. Per MTUS, A.") == "MTUS+ODG"
    assert family("No guideline is named here.") == "MTUS"
    assert family("The MTUS is silent on this request.") == "ODG"
    assert family("The MTUS and the ODG are silent. UpToDate supports it.") == "other"
