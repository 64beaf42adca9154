"""Tables of records: JSON Lines, Parquet and CSV in and out, written atomically."""

import json

import pytest

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
