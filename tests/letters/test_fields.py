"""Letter fields: dates, header, reviewer, patient."""

import pytest

from imrml.letters.fields import parse_header, parse_patient, parse_reviewer, to_iso_date


@pytest.mark.parametrize(
    "raw, iso",
    [
        ("11/09/2016", "2016-11-09"),
        ("10-13-16", "2016-10-13"),
        ("December 18, 2006", "2006-12-18"),
        ("02/30/2016", None),
        ("", None),
        ("n/a", None),
    ],
)
def test_dates_to_iso(raw, iso):
    assert to_iso_date(raw) == iso


def test_two_column_header_labels_beside_their_values():
    fields = parse_header(
        "Case Number: CM16-0000001 Date Assigned: 11/09/2016\nDate of Injury: 10/13/2016 Priority: Expedited"
    )
    assert fields == {
        "case_number": "CM16-0000001",
        "date_assigned": "11/09/2016",
        "date_of_injury": "10/13/2016",
        "priority": "Expedited",
    }


def test_reviewer_from_credential_lines_or_sentence():
    assert parse_reviewer(
        "State(s) of Licensure: California, Texas\nCertification(s)/Specialty: Internal Medicine, Rheumatology\n\n"
    ) == (["Internal Medicine", "Rheumatology"], ["California", "Texas"])
    assert parse_reviewer(
        "The physician is Board Certified in Orthopedic Surgery and is licensed to practice in California and Oregon."
    ) == (["Orthopedic Surgery"], ["California", "Oregon"])


def test_patient_age_and_sex_from_the_summary():
    assert parse_patient("The patient is a 52-year-old female who injured her back.") == (52, "female")
    assert parse_patient("This gentleman reports pain.") == (None, "male")
    assert parse_patient("A 7-year-old case file.") == (None, None)
