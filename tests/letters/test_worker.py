"""What a worker answers for one task: a letter, or a reject with its reason, never an exception."""

from imrml.letters import worker
from imrml.letters.limits import Limits
from imrml.letters.worker import Task, frame, outcome, read_message


def test_a_letter_a_reject_and_a_limit(fixtures_dir, tmp_path):
    letter = fixtures_dir / "letter_2013.txt"
    ok = outcome(Task("a.txt", str(letter)), Limits())
    assert ok.kind == "ok" and len(ok.value.items) == 3 and ok.value.items[0].source_file == "a.txt"
    (tmp_path / "recipe.txt").write_text("Mix flour and water.\n")
    bad = outcome(Task("recipe.txt", str(tmp_path / "recipe.txt")), Limits())
    assert bad == ("reject", "not an IMR final determination letter (none of its headings or item blocks found)", None)
    over = outcome(Task("a.txt", data=letter.read_bytes()), Limits(max_items=1))
    assert over.kind == "reject" and over.limit == "max_items" and "--max-items" in over.value


def test_a_parser_bug_is_one_reject_naming_it(fixtures_dir, monkeypatch):
    def broken(*args, **kwargs):
        raise TypeError("unexpected None")

    monkeypatch.setattr(worker, "parse_letter", broken)
    result = outcome(Task("a.txt", str(fixtures_dir / "letter_2013.txt")), Limits())
    assert result == ("reject", "internal error while parsing (TypeError: unexpected None)", None)


def test_messages_round_trip_through_a_pipe():
    import os

    r, w = os.pipe()
    message = Task("x.pdf", data=b"%PDF-" + bytes(range(256)) * 10)
    os.write(w, frame(message))
    os.close(w)
    assert read_message(r) == message
    assert read_message(r) is None  # closed
    os.close(r)
