"""Letter text as extraction leaves it -> lines and paragraphs."""

from imrml.letters.text import clean_lines, join_lines, join_paragraphs


def test_doubled_line_breaks_are_undone_and_paragraph_breaks_kept():
    text = "".join(f"line {i} \n\n" for i in range(12)) + " \n\nnext paragraph \n\n"
    lines = clean_lines(text)
    assert lines == [f"line {i}" for i in range(12)] + ["", "next paragraph"]


def test_page_furniture_is_dropped_and_hyphenated_words_rejoined():
    lines = clean_lines("The treat-\nment was\fPage 2 of 3\nCM16-0000001\ncontinued.")
    assert lines == ["The treat-", "ment was", "continued."]
    assert join_lines(lines) == "The treat-ment was continued."  # joined without a space; the hyphen may be real
    assert join_paragraphs(["one", "two", "", "three"]) == "one two\n\nthree"
