"""Headings found at a line start, wrapped over lines, and the report of a letter no layout knows."""

from imrml.letters.headings import find_heading, heading, headings_found, unknown_layout_reason

WHY = heading("RELIED UPON BY REVIEWER AND WHY:", r"RELIED\s+UPON\s+BY\s+REVIEWER\s+AND\s+WHY\s*:")
DOCS = heading("DOCUMENTS REVIEWED", whole_line=True)


def test_a_wrapped_heading_is_found_with_the_text_after_it():
    lines = ["Some prose.", "RELIED UPON BY ", "REVIEWER AND WHY: MTUS, because ...", "next line"]
    found = find_heading(lines, WHY)
    assert (found.start, found.end, found.rest) == (1, 3, "MTUS, because ...")


def test_a_heading_inside_a_line_or_split_by_a_blank_line_is_not_one():
    assert find_heading(["The text RELIED UPON BY REVIEWER AND WHY: no"], WHY) is None
    assert find_heading(["RELIED UPON BY", "", "REVIEWER AND WHY:"], WHY) is None


def test_a_whole_line_heading_does_not_find_a_longer_one():
    assert find_heading(["DOCUMENTS REVIEWED FOR DETERMINATION:"], DOCS) is None
    assert find_heading(["x", "Documents  Reviewed:"], DOCS).start == 1
    assert find_heading(["DOCUMENTS REVIEWED", "DOCUMENTS REVIEWED"], DOCS, start=1).start == 1


def test_unknown_layout_reason_names_the_nearest_layout():
    layouts = {"a": (WHY, DOCS), "b": (DOCS, heading("ISSUE:"), heading("CASE:"))}
    lines = ["DOCUMENTS REVIEWED", "ISSUE: x"]
    assert headings_found(lines, layouts["b"]) == ["DOCUMENTS REVIEWED", "ISSUE:"]
    assert unknown_layout_reason(lines, layouts) == (
        'IMR letter in a layout imrml does not know: found headings "DOCUMENTS REVIEWED", "ISSUE:"; '
        "nearest layout 'b' also needs \"CASE:\""
    )
    assert unknown_layout_reason(["A recipe."], layouts).startswith("not an IMR final determination letter")
