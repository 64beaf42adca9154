"""The Spark parse (docs/spark_parse.py) writes the items ``imrml parse`` writes, in the corpus's layout.

Optional: skipped at once where pyspark (or Java) is absent. ``make spark-test`` installs pyspark into the venv
and runs this file; a local Spark session takes a while to start.
"""

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyspark")
if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
    pytest.skip("Spark needs Java (17+): none on PATH and JAVA_HOME unset", allow_module_level=True)

import pandas as pd

from imrml.jobs.corpus import update_corpus
from imrml.jobs.data import load_items
from imrml.records.corpus import HASH_COLUMN, iter_rows
from imrml.records.schema import RECORD_FIELDS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
]

ROOT = Path(__file__).resolve().parents[2]


def _example():
    spec = importlib.util.spec_from_file_location("spark_parse", ROOT / "docs" / "spark_parse.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _items(rows) -> list[dict]:
    """Items keyed by letter content, not path (Spark names files file:/...)."""
    out = [{k: r[k] for k in (*RECORD_FIELDS, HASH_COLUMN) if k != "source_file"} for r in rows]
    return sorted(out, key=lambda r: (r[HASH_COLUMN], r["item_index"]))


def test_spark_parses_what_imrml_parse_does(tmp_path, letters_folder, monkeypatch):
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)
    (letters_folder / "recipe.txt").write_text("Mix flour and water.\nBake for an hour.\n")
    shutil.copy(letters_folder / "letter_2016.txt", letters_folder / "same_letter.txt")
    reference = tmp_path / "corpus"
    update_corpus([str(letters_folder)], reference, progress=False)

    example = _example()
    spark = example.local_spark("imrml-test-spark-parse")
    try:
        out = tmp_path / "spark_corpus"
        n_items, n_rejects = example.parse_on_spark(spark, str(letters_folder), str(out))
    finally:
        spark.stop()
    spark_rows = list(iter_rows(out))
    assert n_items == len(spark_rows) == len(list(iter_rows(reference)))
    assert _items(spark_rows) == _items(iter_rows(reference))
    assert n_rejects == 1
    rejects = pd.concat(pd.read_json(f, lines=True) for f in (out / "rejects").glob("*.json"))
    assert rejects.source.str.endswith("recipe.txt").all()
    assert "not an IMR final determination letter" in rejects.reason.iloc[0]
    # the same layout: partitions by decision year and month, read by every imrml command as a corpus
    assert {p.name for p in (out / "items").iterdir() if p.is_dir()} == {
        p.name for p in (reference / "items").iterdir() if p.is_dir()
    }
    records, source = load_items(out)
    assert len(records) == n_items and source == str(out)
