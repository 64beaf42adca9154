"""Reviewer specialties and licensure states normalized, on credential strings written for these tests."""

import pytest

from imrml.letters.specialties import normalize_specialties, normalize_states, professions, state_code, vocabulary


def test_vocabulary_has_the_24_boards_and_multi_board_subspecialties():
    boards = {b for _, _, bs in vocabulary().values() for b in bs}
    assert len(boards) == 24
    name, kind, pain_boards = vocabulary()["pain medicine"]
    assert (name, kind) == ("Pain Medicine", "subspecialty")
    assert "American Board of Anesthesiology" in pain_boards and len(pain_boards) > 2


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["Physical Medicine & Rehabilitation"], ["Physical Medicine and Rehabilitation"]),
        (["Physical Medicine and Rehabilitation"], ["Physical Medicine and Rehabilitation"]),
        ("Pain Medicine, Anesthesiology", ["Pain Medicine", "Anesthesiology"]),
        (["Family Practice", "Geriatric Medicine"], ["Family Medicine", "Geriatric Medicine"]),
        (["Pain Management"], ["Pain Medicine"]),
        (["orthopedic surgery"], ["Orthopaedic Surgery"]),
        (["Hospice & Palliative Medicine"], ["Hospice and Palliative Medicine"]),
        (
            ["Internal Medicine", "Endocrinology, Diabetes and Metabolism"],
            ["Internal Medicine", "Endocrinology, Diabetes and Metabolism"],
        ),
        ("Board Certified in Neurology with a subspecialty in Sleep Medicine", ["Neurology", "Sleep Medicine"]),
        (["Neurologyy"], ["Neurology"]),
    ],
)
def test_names_map_to_abms(given, expected):
    result = normalize_specialties(given)
    assert result.names == expected and result.unknown == []


def test_a_subspecialty_typo_is_read_in_the_light_of_the_listed_board():
    res = normalize_specialties(["Orthopedic Surgery", "Sports Medicinea"])
    assert res.names == ["Orthopaedic Surgery", "Orthopaedic Sports Medicine"]
    assert res.matches[1].how == "context"
    res = normalize_specialties(["Family Practice", "Sports Medicne"])
    assert res.names == ["Family Medicine", "Sports Medicine"]
    assert res.matches[1].boards == ("American Board of Family Medicine",)


def test_professions_no_abms_board_certifies_map_to_their_own_table():
    res = normalize_specialties(["Chiropractor", "Podiatric Surgery", "Psychiatry"])
    assert res.names == ["Chiropractic", "Podiatric Medicine", "Psychiatry"]
    assert [m.kind for m in res.matches] == ["profession", "profession", "specialty"]
    assert res.matches[0].boards == ("California Board of Chiropractic Examiners",)
    assert "chiropractor" in professions()


def test_unknown_names_stay_verbatim_and_are_listed():
    res = normalize_specialties(["Reiki Mastery", "Psychiatry"])
    assert res.names == ["Reiki Mastery", "Psychiatry"]
    assert res.unknown == ["Reiki Mastery"]
    assert normalize_specialties([]).names == [] and normalize_specialties("").unknown == []


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("California", "CA"),
        ("california", "CA"),
        ("CA", "CA"),
        ("Calif.", "CA"),
        ("West Virginia", "WV"),
        ("Virginia", "VA"),
        ("New Mexico", "NM"),
        ("District of Columbia", "DC"),
        ("Washington, D.C.", "DC"),
        ("Pensylvania", "PA"),
        ("State of Ohio", "OH"),
        ("Atlantis", None),
    ],
)
def test_state_codes(given, code):
    assert state_code(given) == code


def test_normalize_states_splits_lists_and_keeps_unknown_names_verbatim():
    res = normalize_states(["Texas, Ohio and Florida", "Narnia", "Texas"])
    assert res.codes == ["TX", "OH", "FL", "Narnia"]
    assert res.unknown == ["Narnia"]


@pytest.mark.shared
def test_real_letters_specialties_and_states_are_in_their_vocabularies(dwc_items):
    """Every reviewer specialty of the 120 real letters maps (ABMS or a non-ABMS profession), every state to a code."""
    letters = {r.case_id: r for r in dwc_items}.values()
    results = [normalize_specialties(r.reviewer_specialties) for r in letters]
    names = [m for res in results for m in res.matches]
    unknown = sorted({v for res in results for v in res.unknown})
    abms = sum(m.kind in ("specialty", "subspecialty") for m in names)
    print(f"\nspecialties: {len(names)} per letter; ABMS {abms}; professions {len(names) - abms - len(unknown)}")
    print(f"left verbatim: {unknown or 'none'}")
    assert unknown == [], f"specialties in no vocabulary: {unknown}"
    assert abms / len(names) >= 0.98  # the rest are professions no ABMS board certifies
    states = [normalize_states(r.reviewer_licensure) for r in letters]
    assert [u for s in states for u in s.unknown] == []
    assert all(r.reviewer_licensure_normalized == normalize_states(r.reviewer_licensure).codes for r in dwc_items)
