"""The corpus store: parts listed in the index in one transaction with their letters, the folder made to match
the index on opening, one writer at a time, partitions readable by any Parquet reader."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from imrml.records.corpus import (
    HASH_COLUMN,
    PARSED,
    Corpus,
    Entry,
    is_corpus,
    iter_rows,
    part_files,
    partition_of,
)
from imrml.records.errors import UserError
from imrml.records.schema import ItemRecord


def _rows(sha: str, date: str | None, n: int = 2) -> list[dict]:
    return [
        {
            **ItemRecord(f"{sha}.txt", sha, "2016", decision_date=date, item_index=i + 1, item="MRI").to_dict(),
            HASH_COLUMN: sha,
        }
        for i in range(n)
    ]


def _entry(sha: str, part: str, n: int = 2) -> Entry:
    return Entry(sha, f"{sha}.txt", 1, 1, sha, "v1", PARSED, items=n, part=part)


def _add(corpus: Corpus, letters: dict[str, str | None]) -> None:
    """Commit letters (content hash -> decision date), two items each."""
    rows, entries = {}, []
    for sha, date in letters.items():
        rows.setdefault(partition_of(date), []).extend(_rows(sha, date))
        entries.append(_entry(sha, partition_of(date)))
    written = corpus.write_parts(rows)
    for e in entries:
        e.part = written[e.part].name
    corpus.publish(list(written.values()), entries)


def test_partitions_by_decision_year_and_month_and_read_back_in_time_order(tmp_path):
    assert partition_of("2016-03-09") == "decision_year=2016/decision_month=3"
    assert partition_of(None) == "decision_year=unknown/decision_month=unknown"
    with Corpus(tmp_path) as corpus:
        _add(corpus, {"b": "2017-01-02", "a": "2016-12-30", "c": None})
        assert corpus.counts()[PARSED] == 3 and corpus.counts()["items"] == 6
    assert is_corpus(tmp_path)
    assert [r["case_id"] for r in iter_rows(tmp_path)][::2] == ["a", "b", "c"]
    frame = pd.read_parquet(tmp_path / "items")  # any Parquet reader takes the folder as one dataset
    assert len(frame) == 6 and set(frame["decision_year"].astype(str)) == {"2016", "2017", "unknown"}


def test_one_writer_at_a_time(tmp_path):
    with Corpus(tmp_path), pytest.raises(UserError, match="another imrml run is updating this corpus"):
        Corpus(tmp_path)
    Corpus(tmp_path).close()  # free again


def test_opening_removes_what_no_transaction_listed(tmp_path):
    with Corpus(tmp_path) as corpus:
        _add(corpus, {"a": "2016-12-30"})
        corpus.write_parts({partition_of("2016-12-01"): _rows("x", "2016-12-01")})  # never published
        stray = tmp_path / "items" / "decision_year=2015" / "decision_month=1" / "part-old.parquet"
        stray.parent.mkdir(parents=True)
        stray.write_bytes(b"left by a run whose transaction never happened")
    with Corpus(tmp_path):
        pass
    files = [f for f in (tmp_path / "items").rglob("*") if f.is_file()]
    assert files == part_files(tmp_path) and len(files) == 1
    assert not (tmp_path / "items" / "decision_year=2015").exists()


def test_removing_letters_rewrites_only_their_parts(tmp_path):
    with Corpus(tmp_path) as corpus:
        _add(corpus, {"a": "2016-12-30", "b": "2016-12-01"})
        _add(corpus, {"c": "2017-01-05"})
        untouched = [f for f in part_files(tmp_path) if "2017" in str(f)]
        assert corpus.remove_letters({"a"}, requeue=["a"], forget=[]) == 2
        entries = corpus.entries()
    assert entries["a"].status == "pending" and entries["a"].part is None
    assert [r["case_id"] for r in iter_rows(tmp_path)] == ["b", "b", "c", "c"]
    assert [f for f in part_files(tmp_path) if "2017" in str(f)] == untouched


def test_many_small_parts_of_a_partition_are_merged(tmp_path):
    with Corpus(tmp_path) as corpus:
        for sha in "abcde":
            _add(corpus, {sha: "2016-12-01"})
        assert corpus.compact(["decision_year=2016/decision_month=12"], max_parts=4) == 1
        parts = part_files(tmp_path)
        assert len(parts) == 1 and {e.part for e in corpus.entries().values()} == {
            str(parts[0].relative_to(tmp_path / "items"))
        }
    assert pq.ParquetFile(parts[0]).metadata.num_rows == 10


def test_a_folder_written_by_spark_is_read_without_an_index(tmp_path):
    part = tmp_path / "items" / "decision_year=2016" / "decision_month=12" / "part-00000-x.snappy.parquet"
    part.parent.mkdir(parents=True)
    import pyarrow as pa

    pq.write_table(pa.Table.from_pylist(_rows("a", "2016-12-01")), part)
    (part.parent / "_SUCCESS").write_text("")
    (part.parent / ".part-00000-x.snappy.parquet.crc").write_text("")
    assert is_corpus(tmp_path) and part_files(tmp_path) == [part]
