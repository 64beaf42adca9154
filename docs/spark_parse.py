"""Parse letters on Spark into the corpus's Parquet layout: the same parse, beyond one machine.

    .venv/bin/pip install 'pyspark>=4'     # optional, not an imrml dependency; needs Java 17+
    .venv/bin/python docs/spark_parse.py data/letters -o data/corpus_spark [--max-pages 200 ...]

Spark's ``binaryFile`` source reads every .pdf and .txt file under the folder (a path Spark can read: local,
HDFS, S3); a letter whose content another file already has is read once (``dropDuplicates`` on its SHA-256);
``mapInPandas`` hands each partition's files to the same parse ``imrml parse`` runs, in a parse worker per Spark
task (:class:`imrml.letters.pool.ParsePool`: the same per-file limits, and a file that blows up is one reject,
not a lost executor). The items are written as ``OUT/items/decision_year=Y/decision_month=M/*.parquet`` with
the corpus's columns (:func:`imrml.records.corpus.corpus_schema`), the rejects as ``OUT/rejects``. Every imrml
command reads ``OUT`` as a corpus (``imrml train --data OUT``, ``imrml score ... OUT``, ``imrml labels OUT``);
pandas reads ``OUT/items`` as a dataset.

Unlike ``imrml parse``, this writes the whole folder each time: no index, nothing incremental.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator

import pandas as pd
import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.functions import col, sha2
from pyspark.sql.pandas.types import from_arrow_schema

from imrml.letters.limits import DEFAULT_LIMITS, LIMIT_NAMES, Limits
from imrml.letters.pool import ParsePool
from imrml.letters.worker import Task
from imrml.records.corpus import HASH_COLUMN, ITEMS, corpus_schema, partition_of

PARTITIONS = ["decision_year", "decision_month"]
REJECT = "reject_reason"


def output_schema() -> pa.Schema:
    """What the parse yields per row: an item (the corpus's columns and its partition), or a rejected file
    (``source_file``, its hash and ``reject_reason``)."""
    extra = [pa.field(p, pa.string()) for p in PARTITIONS] + [pa.field(REJECT, pa.string())]
    return pa.schema([*corpus_schema(), *extra])


def parse_partition(batches: Iterator[pd.DataFrame], limits_json: str) -> Iterator[pd.DataFrame]:
    """The rows of one Spark partition's files (columns path, content, sha256), parsed by one parse worker."""
    limits = Limits.from_json(limits_json)
    schema = output_schema()
    with ParsePool(limits, jobs=1) as pool:
        for batch in batches:
            tasks = [Task(p, data=bytes(c)) for p, c in zip(batch["path"], batch["content"], strict=True)]
            rows = []
            for task, sha, outcome in zip(tasks, batch["sha256"], pool.parse(tasks), strict=True):
                if outcome.kind == "ok":
                    items = outcome.value.items
                    year, month = (p.split("=", 1)[1] for p in partition_of(items[0].decision_date).split("/"))
                    rows.extend(
                        {**r.to_dict(), HASH_COLUMN: sha, "decision_year": year, "decision_month": month} for r in items
                    )
                else:
                    rows.append({"source_file": task.source_file, HASH_COLUMN: sha, REJECT: outcome.value})
            yield pa.Table.from_pylist(rows, schema=schema).to_pandas()


def letter_files(spark: SparkSession, letters: str) -> DataFrame:
    """Every .pdf and .txt file under ``letters``, once per content: path, content, sha256."""
    files = (
        spark.read.format("binaryFile")
        .option("recursiveFileLookup", "true")
        .option("pathGlobFilter", "*.{pdf,txt,PDF,TXT}")
        .load(letters)
        .select("path", "content")
        .withColumn("sha256", sha2(col("content"), 256))
    )
    return files.dropDuplicates(["sha256"])


def parse_on_spark(spark: SparkSession, letters: str, out: str, limits: Limits = DEFAULT_LIMITS) -> tuple[int, int]:
    """Parse the letters under ``letters`` into the corpus layout at ``out``; (items written, files rejected)."""
    limits_json = limits.to_json()
    parsed = letter_files(spark, letters).mapInPandas(
        lambda batches: parse_partition(batches, limits_json), from_arrow_schema(output_schema())
    )
    parsed = parsed.persist()  # parsed once, written twice
    try:
        items = parsed.where(col(REJECT).isNull()).drop(REJECT)
        items.write.partitionBy(*PARTITIONS).mode("overwrite").parquet(os.path.join(out, ITEMS))
        rejects = parsed.where(col(REJECT).isNotNull()).select(
            col("source_file").alias("source"), col(REJECT).alias("reason")
        )
        rejects.coalesce(1).write.mode("overwrite").json(os.path.join(out, "rejects"))
        return items.count(), rejects.count()
    finally:
        parsed.unpersist()


def local_spark(app: str = "imrml-spark-parse") -> SparkSession:
    """A local Spark session on two cores whose Python workers use this interpreter (its imrml)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master("local[2]")
        .appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("letters", nargs="?", default="data/letters", help="a folder of letters (.pdf, .txt)")
    ap.add_argument("-o", "--output", default="data/corpus_spark", help="the corpus folder to write")
    for name in LIMIT_NAMES:
        default = getattr(DEFAULT_LIMITS, name)
        ap.add_argument("--" + name.replace("_", "-"), type=type(default), default=default)
    args = ap.parse_args(argv)
    limits = Limits(**{name: getattr(args, name) for name in LIMIT_NAMES})
    spark = local_spark()
    try:
        n_items, n_rejects = parse_on_spark(spark, args.letters, args.output, limits)
    finally:
        spark.stop()
    print(f"parsed {args.letters} on Spark: {n_items} items, {n_rejects} files rejected -> {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
