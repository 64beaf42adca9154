"""The report's core tables in three engines, to choose the report's engine by measuring (bench-report's
``engines`` step runs this in a fresh process per engine).

    python benchmarks/report_engines.py {pandas,duckdb,polars} DATASET

The same eight tables from each engine, read from the item dataset's columns: items and overturned per
decision month, per reviewer guideline family and per topic; the claims administrator's family against the
reviewer's (the agreement matrix); days from application to decision by priority (median, p90, share past 30
days); items per letter; the 20 most frequent requests; items and overturned per reviewer specialty (a list
column, exploded). Prints one JSON line: seconds, peak RSS (VmHWM, MB) and a digest of each table (rows sorted,
floats rounded), so the step can check that the engines agree before it compares them. pandas (on pyarrow) is
what imrml's report uses; DuckDB and polars are measured only where installed (neither is a dependency).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time

from _common import own_peak_rss_mb

COLUMNS = [
    "case_id",
    "decision_date",
    "application_received",
    "priority",
    "item",
    "decision",
    "guideline_family",
    "guideline_topic",
    "claims_guideline_family",
    "reviewer_specialties",
]
TABLES = ["month", "family", "topic", "agreement", "timing", "per_letter", "requests", "specialty"]


def _pandas(path: str) -> dict[str, list]:
    import numpy as np
    import pandas as pd
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=COLUMNS, read_dictionary=[c for c in COLUMNS if c != "reviewer_specialties"])
    specialties = table.column("reviewer_specialties")
    df = table.drop_columns(["reviewer_specialties"]).to_pandas()
    df["overturned"] = (df["decision"] == "Overturned").astype(np.int64)

    def counted(keys) -> list:
        g = df.groupby(keys, observed=True, dropna=False)["overturned"].agg(["size", "sum"]).reset_index()
        return g.values.tolist()

    df["month"] = df["decision_date"].astype("string").str.slice(0, 7)
    decided = pd.to_datetime(df["decision_date"].astype("string"), errors="coerce")
    applied = pd.to_datetime(df["application_received"].astype("string"), errors="coerce")
    df["days"] = (decided - applied).dt.days
    timed = df.dropna(subset=["days"])
    timing = [
        [p, float(d.median()), float(d.quantile(0.9)), float((d > 30).mean())]
        for p, d in timed.groupby("priority", observed=True, dropna=False)["days"]
    ]
    per_letter = df.groupby("case_id", observed=True).size().value_counts().reset_index().values.tolist()
    counts = df["item"].astype("string").value_counts().rename_axis("item").reset_index(name="n")
    requests = counts.sort_values(["n", "item"], ascending=[False, True]).head(20).values.tolist()
    lengths = pc.list_value_length(specialties).fill_null(0).to_numpy()
    flat = pc.list_flatten(specialties).to_numpy(zero_copy_only=False)
    spec = pd.DataFrame({"specialty": flat, "overturned": np.repeat(df["overturned"].to_numpy(), lengths)})
    specialty = spec.groupby("specialty")["overturned"].agg(["size", "sum"]).reset_index().values.tolist()
    return {
        "month": counted(["month"]),
        "family": counted(["guideline_family"]),
        "topic": counted(["guideline_topic"]),
        "agreement": df.groupby(["claims_guideline_family", "guideline_family"], observed=True, dropna=False)
        .size()
        .reset_index()
        .values.tolist(),
        "timing": timing,
        "per_letter": per_letter,
        "requests": requests,
        "specialty": specialty,
    }


def _duckdb(path: str) -> dict[str, list]:
    import duckdb

    con = duckdb.connect()
    con.execute(
        f"CREATE VIEW items AS SELECT {', '.join(COLUMNS)}, (decision = 'Overturned')::BIGINT AS overturned "
        f"FROM read_parquet('{path}/*.parquet')"
    )

    def q(sql: str) -> list:
        return [list(r) for r in con.execute(sql).fetchall()]

    days = "date_diff('day', TRY_CAST(application_received AS DATE), TRY_CAST(decision_date AS DATE))"
    return {
        "month": q("SELECT substr(decision_date, 1, 7), count(*), sum(overturned) FROM items GROUP BY 1"),
        "family": q("SELECT guideline_family, count(*), sum(overturned) FROM items GROUP BY 1"),
        "topic": q("SELECT guideline_topic, count(*), sum(overturned) FROM items GROUP BY 1"),
        "agreement": q("SELECT claims_guideline_family, guideline_family, count(*) FROM items GROUP BY 1, 2"),
        "timing": q(
            f"SELECT priority, median(d), quantile_cont(d, 0.9), avg((d > 30)::DOUBLE) "
            f"FROM (SELECT priority, {days} AS d FROM items) WHERE d IS NOT NULL GROUP BY 1"
        ),
        "per_letter": q("SELECT n, count(*) FROM (SELECT count(*) AS n FROM items GROUP BY case_id) GROUP BY 1"),
        "requests": q("SELECT item, count(*) AS n FROM items GROUP BY 1 ORDER BY n DESC, item LIMIT 20"),
        "specialty": q(
            "SELECT s, count(*), sum(overturned) "
            "FROM (SELECT unnest(reviewer_specialties) AS s, overturned FROM items) WHERE s IS NOT NULL GROUP BY 1"
        ),
    }


def _polars(path: str) -> dict[str, list]:
    import polars as pl

    items = pl.scan_parquet(f"{path}/*.parquet").select(COLUMNS)
    items = items.with_columns((pl.col("decision") == "Overturned").cast(pl.Int64).alias("overturned"))

    def rows(lazy) -> list:
        return [list(r) for r in lazy.collect().rows()]

    def counted(*keys) -> list:
        return rows(items.group_by(*keys).agg(pl.len(), pl.col("overturned").sum()))

    date = lambda c: pl.col(c).str.to_date(strict=False)  # noqa: E731
    timed = items.select("priority", (date("decision_date") - date("application_received")).dt.total_days().alias("d"))
    d = pl.col("d")
    return {
        "month": rows(
            items.group_by(pl.col("decision_date").str.slice(0, 7)).agg(pl.len(), pl.col("overturned").sum())
        ),
        "family": counted("guideline_family"),
        "topic": counted("guideline_topic"),
        "agreement": rows(items.group_by("claims_guideline_family", "guideline_family").agg(pl.len())),
        "timing": rows(
            timed.drop_nulls("d")
            .group_by("priority")
            .agg(
                d.median().alias("median"),
                d.quantile(0.9, interpolation="linear").alias("p90"),
                (d > 30).cast(pl.Float64).mean().alias("late"),
            )
        ),
        "per_letter": rows(items.group_by("case_id").agg(pl.len().alias("n")).group_by("n").agg(pl.len())),
        "requests": rows(
            items.group_by("item").agg(pl.len().alias("n")).sort(["n", "item"], descending=[True, False]).head(20)
        ),
        "specialty": rows(
            items.select("reviewer_specialties", "overturned")
            .explode("reviewer_specialties")
            .drop_nulls("reviewer_specialties")
            .group_by("reviewer_specialties")
            .agg(pl.len(), pl.col("overturned").sum())
        ),
    }


ENGINES = {"pandas": _pandas, "duckdb": _duckdb, "polars": _polars}


def _plain(value):
    if value is None or value is getattr(sys.modules.get("pandas"), "NA", None) or value != value:
        return None  # every engine's missing value (None, NaN, pandas' NA) as one
    if isinstance(value, float):
        return round(value, 6)
    if hasattr(value, "item"):  # a numpy scalar
        return _plain(value.item())
    return value if value is None or isinstance(value, (int, str)) else str(value)


def digest(rows: list) -> str:
    """The table whatever the engine's row order and number types: rows sorted, floats rounded to 6 places."""
    plain = sorted(json.dumps([_plain(v) for v in row]) for row in rows)
    return hashlib.sha256("\n".join(plain).encode()).hexdigest()[:16]


def main(engine: str, path: str) -> None:
    t0 = time.perf_counter()
    tables = ENGINES[engine](path)
    seconds = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "engine": engine,
                "seconds": round(seconds, 2),
                "peak_rss_mb": int(own_peak_rss_mb()),
                "rows": {name: len(tables[name]) for name in TABLES},
                "digests": {name: digest(tables[name]) for name in TABLES},
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:3])
