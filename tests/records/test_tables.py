"""Tables of records: JSON Lines, Parquet and CSV in and out, written atomically."""

import csv
import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from imrml.records.errors import UserError
from imrml.records.schema import ItemRecord
from imrml.records.tables import (
    TableWriter,
    count_rows,
    find_inputs,
    iter_table,
    read_items,
    rejects_path_for,
    write_jsonl,
    write_table,
)


def test_interrupted_write_leaves_nothing_under_the_output_name(tmp_path):
    def rows():
        yield {"a": 1}
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_jsonl(rows(), tmp_path / "items.jsonl")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet", ".csv"])
def test_records_round_trip_through_every_format(tmp_path, make_records, suffix):
    recs = make_records(4, seed=2)
    path = tmp_path / f"items{suffix}"
    assert write_table((r.to_dict() for r in recs), path) == len(recs)
    back = read_items(path)
    assert [r.to_dict() for r in back] == [r.to_dict() for r in recs]
    assert count_rows(path) == len(recs)


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet", ".csv"])
def test_table_writer_streams_chunks_and_appears_only_when_closed(tmp_path, suffix):
    path = tmp_path / f"scored{suffix}"
    with TableWriter(path) as w:
        w.write([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}])
        assert not path.exists()
        w.write([{"a": 3, "b": "z"}])
    assert [str(r["a"]) for r in iter_table(path)] == ["1", "2", "3"]  # CSV cells come back as text

    def write_then_fail():
        with TableWriter(tmp_path / f"failed{suffix}") as w:
            w.write([{"a": 1}])
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert not (tmp_path / f"failed{suffix}").exists() and not list(tmp_path.glob("*.part"))


def test_a_bad_json_line_names_the_file_and_line(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text('{"a": 1}\n{oops\n')
    with pytest.raises(ValueError, match=r"items.jsonl:2: not valid JSON"):
        list(iter_table(path))


def test_folders_expand_to_letters_and_named_files_are_kept(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("b.pdf", "a.txt", "sub/c.TXT", "notes.md"):
        (tmp_path / name).write_text("x")
    assert [p.name for p in find_inputs([tmp_path])] == ["a.txt", "b.pdf", "c.TXT"]
    assert [p.name for p in find_inputs([tmp_path / "notes.md"])] == ["notes.md"]


def test_what_a_folder_holds_that_cannot_be_searched_is_a_reject_each(tmp_path):
    """Dangling links and link loops used to be skipped without a word."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("x")
    (tmp_path / "gone.pdf").symlink_to(tmp_path / "deleted.pdf")
    (tmp_path / "self.txt").symlink_to(tmp_path / "self.txt")
    (tmp_path / "sub" / "up").symlink_to(tmp_path)  # a folder that contains the link
    (tmp_path / "linked.txt").symlink_to(tmp_path / "sub" / "a.txt")  # a link that leads somewhere is followed
    (tmp_path / "notes.md").symlink_to(tmp_path / "nowhere.md")  # not a letter's name: not an input
    rejects = []
    files = find_inputs([tmp_path], rejects=rejects)
    assert [p.relative_to(tmp_path).as_posix() for p in files] == ["linked.txt", "sub/a.txt"]
    assert sorted((Path(r.source).relative_to(tmp_path).as_posix(), r.reason) for r in rejects) == [
        ("gone.pdf", f"dangling link: its target {tmp_path / 'deleted.pdf'} does not exist"),
        ("self.txt", "link loop: the link leads back to itself"),
        ("sub/up", "link loop: a link to a folder that contains it"),
    ]
    with pytest.raises(UserError, match="dangling link"):  # asked without a rejects list: an error, not silence
        find_inputs([tmp_path])


def test_special_files_are_a_reject_each_found_by_stat_never_opened(tmp_path):
    """A named pipe, a socket or a device used to be skipped without a word (and a pipe, opened, waits for ever)."""
    (tmp_path / "a.txt").write_text("x")
    os.mkfifo(tmp_path / "pipe.txt")
    os.mkfifo(tmp_path / "pipe.md")  # not a letter's name: not an input
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "s.pdf"))
    (tmp_path / "to_pipe.txt").symlink_to(tmp_path / "pipe.txt")
    rejects = []
    files = find_inputs([tmp_path], rejects=rejects)
    assert files == [tmp_path / "a.txt"]
    assert sorted((Path(r.source).name, r.reason) for r in rejects) == [
        ("pipe.txt", "not a regular file (a named pipe)"),
        ("s.pdf", "not a regular file (a socket)"),
        ("to_pipe.txt", "not a regular file (a named pipe)"),
    ]
    named = []  # named on the command line too
    assert find_inputs([tmp_path / "pipe.txt", "/dev/null", tmp_path / "a.txt"], rejects=named) == [tmp_path / "a.txt"]
    assert [(r.source, r.reason) for r in named] == [
        (str(tmp_path / "pipe.txt"), "not a regular file (a named pipe)"),
        ("/dev/null", "not a regular file (a device)"),
    ]
    with pytest.raises(UserError, match="pipe.txt: not a regular file"):  # asked without a rejects list
        find_inputs([tmp_path / "pipe.txt"])


def test_formula_cells_are_neutralized_in_csv_only_and_read_back_exactly(tmp_path):
    """OWASP's advice on CSV injection: a text cell a spreadsheet would run as a formula gets a leading '."""
    hostile = ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx", "'=already", "ok"]
    rows = [{"case_id": text, "n": -1} for text in hostile]
    for write in (write_table, _write_with_table_writer):
        path = tmp_path / f"{write.__name__}.csv"
        write(rows, path)
        cells = [line[0] for line in csv.reader(path.open(newline=""))][1:]
        assert cells == ["'" + t for t in hostile[:-1]] + ["ok"]
        assert [r["case_id"] for r in iter_table(path)] == hostile and {r["n"] for r in iter_table(path)} == {"-1"}
    for suffix in (".jsonl", ".parquet"):
        write_table(rows, tmp_path / f"rows{suffix}")
        assert [r["case_id"] for r in iter_table(tmp_path / f"rows{suffix}")] == hostile


def _write_with_table_writer(rows, path):
    with TableWriter(path, {"case_id": str, "n": int}) as writer:
        writer.write(rows)


WRITERS = """
import resource, signal, sys
from imrml.records.tables import TableWriter, write_jsonl, write_table
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))  # a disk that fills at 20 kB
rows = [{"text": str(i) * 50, "i": i} for i in range(2000)]
def table_writer(rows, path):
    with TableWriter(path, {"text": str, "i": int}) as w:
        for i in range(0, len(rows), 100):
            w.write(rows[i : i + 100])
for write in (write_jsonl, write_table, table_writer):
    for suffix in (".jsonl", ".csv", ".parquet"):
        try:
            write(rows, sys.argv[1] + "/" + write.__name__ + suffix)
        except Exception as e:
            print(type(e).__name__, e)
"""


def test_a_full_disk_is_one_error_naming_the_output_for_every_writer(tmp_path):
    proc = subprocess.run([sys.executable, "-c", WRITERS, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert sorted(proc.stdout.splitlines()) == sorted(
        f"UserError {tmp_path}/{name}{suffix}: cannot write: File too large"
        for name in ("write_jsonl", "write_table", "table_writer")
        for suffix in (".jsonl", ".csv", ".parquet")
    )
    assert list(tmp_path.iterdir()) == []  # nothing half-written, no temporary file


def test_output_into_a_folder_that_cannot_be_written_names_the_output(tmp_path, unprivileged):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    (tmp_path / "a_file").write_text("")
    script = (
        "import sys\nfrom imrml.records.tables import check_writable, write_jsonl\n"
        "for target in sys.argv[1:]:\n"
        "    try:\n        write_jsonl([{'a': 1}], target)\n    except Exception as e:\n        print(e)\n"
        "    try:\n        check_writable(target)\n    except Exception as e:\n        print(e)\n"
    )
    targets = [locked / "out.jsonl", tmp_path / "a_file" / "out.jsonl", tmp_path]
    proc = subprocess.run(
        unprivileged([sys.executable, "-c", script, *map(str, targets)]), capture_output=True, text=True, timeout=60
    )
    assert proc.stdout.splitlines() == [
        f"{locked / 'out.jsonl'}: cannot write: Permission denied",
        f"{locked / 'out.jsonl'}: cannot write: Permission denied",
        f"{tmp_path / 'a_file' / 'out.jsonl'}: cannot write: {tmp_path / 'a_file'} is not a folder",
        f"{tmp_path / 'a_file' / 'out.jsonl'}: cannot write: {tmp_path / 'a_file'} is not a folder",
        f"{tmp_path}: cannot write: it is a folder",
        f"{tmp_path}: cannot write: it is a folder",
    ], proc.stderr


def test_rejects_path_keeps_the_whole_stem():
    assert rejects_path_for("out/items.v2.jsonl").name == "items.v2.rejects.jsonl"
    assert rejects_path_for("scored.csv").name == "scored.rejects.jsonl"


def test_item_records_read_from_dicts_with_unknown_keys():
    rec = ItemRecord.from_dict(
        {
            "source_file": "x",
            "case_id": "c",
            "template": "2016",
            "extra": 1,
            "claims_guideline": [{"source": "MTUS", "pages": ["3"]}],
        }
    )
    assert rec.claims_guideline[0].pages == [3]
    assert json.loads(json.dumps(rec.to_dict()))["case_id"] == "c"


def test_an_output_gets_the_umask_permissions_or_keeps_those_of_the_file_it_replaces(tmp_path):
    old = os.umask(0o022)
    try:
        new = tmp_path / "scored.jsonl"
        write_jsonl([{"a": 1}], new)
        assert stat.S_IMODE(new.stat().st_mode) == 0o644  # not the temporary file's private 0600
        new.chmod(0o640)
        write_jsonl([{"a": 2}], new)
        assert stat.S_IMODE(new.stat().st_mode) == 0o640
    finally:
        os.umask(old)
