"""The professional-review layout's items: issues as questions or statements, numbered sections."""

import pytest

from imrml.letters.layout_professional_review import issue_item, numbered_entries


@pytest.mark.parametrize(
    ("issue", "expected"),
    [
        ("Is the request for Norco 10/325mg #60 medically necessary and appropriate?", ("Norco 10/325mg #60", None)),
        ("Is the request for an MRI of the knee medically necessary?", ("MRI of the knee", None)),
        ("Whether the requested EMG of both legs is medically necessary", ("EMG of both legs", None)),
        ("Soma 350mg #60 is not medically necessary and appropriate.", ("Soma 350mg #60", "Upheld")),
        ("The request for a cane is medically necessary.", ("a cane", "Overturned")),
        ("Lumbar brace", ("Lumbar brace", None)),
    ],
)
def test_issue_item(issue, expected):
    assert issue_item(issue) == expected


def test_numbered_entries_join_wrapped_lines_and_ignore_numbers_out_of_sequence():
    lines = ["1. First item", "goes on.", "3. not a new entry", "2. Second item."]
    assert numbered_entries(lines) == ["First item goes on. 3. not a new entry", "Second item."]
    assert numbered_entries(["One paragraph", "only."]) == ["One paragraph only."]
    assert numbered_entries(["", ""]) == []
