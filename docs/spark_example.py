"""Score parsed items on Spark with a registered model, through ``mlflow.pyfunc.spark_udf``.

    .venv/bin/pip install pyspark     # optional, not an imrml dependency; needs Java 17+
    make demo                         # registers outcome_case@champion, writes data/demo/holdout_items.jsonl
    .venv/bin/python docs/spark_example.py [ITEMS.jsonl|ITEMS.parquet] [-o OUT.parquet] [--model URI]

Run it from the project folder (or set IMRML_HOME) so that ``models:/`` resolves
against the project's ``mlflow.db`` (or set MLFLOW_TRACKING_URI). Spark reads the
items; each partition is flattened into the model's input columns exactly as
``imrml score`` does it (``imrml.jobs.score.model_input_frame``: lists joined, citations to
``*_sources``, labels filled, age as a float); the registered pyfunc scores them on
the executors; case_id, item_index, prediction and p_overturned go to Parquet.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import mlflow
import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.functions import col, struct, to_json

from imrml.jobs.score import model_input_frame
from imrml.mlops.tracking import configure_tracking

# The outcome models' output (their signature): one string and a probability per class.
RESULT_TYPE = "prediction string, p_overturned double, p_upheld double"
ID_COLUMNS = ["case_id", "item_index"]


def read_items(spark: SparkSession, path: str) -> DataFrame:
    """The items of a JSONL or Parquet file, one JSON string per row (column ``value``)."""
    if path.lower().endswith(".parquet"):
        return spark.read.parquet(path).select(to_json(struct("*")).alias("value"))
    return spark.read.text(path).where("trim(value) != ''")


def model_inputs(items: DataFrame, model_uri: str) -> tuple[DataFrame, list[str]]:
    """``items`` as the ids plus the flat columns the model's signature names, flattened on the executors."""
    inputs = mlflow.models.get_model_info(model_uri).signature.inputs.input_names()
    columns = ID_COLUMNS + inputs
    ddl = ", ".join(f"`{c}` " + {"item_index": "bigint", "patient_age": "double"}.get(c, "string") for c in columns)

    def flatten(batches):  # defined here so that Spark ships it by value to the Python workers
        for batch in batches:
            rows = [json.loads(v) for v in batch["value"]]
            if rows:
                flat = model_input_frame(rows)
                yield pd.DataFrame(
                    {c: flat[c] if c in flat else pd.Series([None] * len(flat), dtype=object) for c in columns}
                )

    return items.mapInPandas(flatten, ddl), inputs


def score_on_spark(
    spark: SparkSession, items_path: str, output: str, model_uri: str = "models:/outcome_case@champion"
) -> DataFrame:
    """Score the items of ``items_path`` with ``model_uri``; write Parquet to ``output``; return it as read back."""
    configure_tracking()  # sqlite:///<project>/mlflow.db unless MLFLOW_TRACKING_URI is set
    df, inputs = model_inputs(read_items(spark, items_path), model_uri)
    udf = mlflow.pyfunc.spark_udf(spark, model_uri, result_type=RESULT_TYPE, env_manager="local")
    scored = df.withColumn("scored", udf(struct(*inputs))).select(
        *ID_COLUMNS, col("scored.prediction").alias("prediction"), col("scored.p_overturned").alias("p_overturned")
    )
    scored.write.mode("overwrite").parquet(output)
    return spark.read.parquet(output)


def local_spark(app: str = "imrml-spark-example") -> SparkSession:
    """A local Spark session on two cores whose Python workers use this interpreter (its pandas, mlflow, imrml)."""
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
    ap.add_argument(
        "items", nargs="?", default="data/demo/holdout_items.jsonl", help="parsed items, .jsonl or .parquet"
    )
    ap.add_argument("-o", "--output", default="data/scored/spark_scored.parquet", help="a Parquet folder")
    ap.add_argument("--model", default="models:/outcome_case@champion")
    args = ap.parse_args(argv)
    if not os.path.exists(args.items):
        ap.error(f"no such file: {args.items} (run 'make demo' first, or name a .jsonl/.parquet of parsed items)")
    spark = local_spark()
    try:
        out = score_on_spark(spark, args.items, args.output, args.model)
        n, by = out.count(), {r["prediction"]: r["count"] for r in out.groupBy("prediction").count().collect()}
    finally:
        spark.stop()
    print(f"scored {n} items with {args.model} on Spark -> {args.output} ({by})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
