"""imrml report end to end: files written, the page self-contained, flags, rejects; on the real letters the CSVs
hold the numbers recomputed here from the parsed items by other means."""

import csv
import html
import json
import re
import shutil
import statistics
import subprocess
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest

from imrml.cli import main
from imrml.records.tables import write_jsonl


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def items_file(tmp_path_factory, make_records):
    path = tmp_path_factory.mktemp("items") / "items.jsonl"
    rows = [r.to_dict() for r in make_records(n_letters=80, seed=1)]
    rows.append({**rows[0], "case_id": "", "item_index": 9})  # a row the report cannot count
    write_jsonl(rows, path)
    return path


@pytest.fixture(scope="module")
def report_dir(items_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    assert main(["report", str(items_file), "-o", str(out)]) == 0
    return out


def test_writes_the_page_every_table_and_chart(report_dir):
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    tables = {p.stem for p in (report_dir / "tables").glob("*.csv")}
    charts = {p.stem for p in (report_dir / "charts").glob("*.svg")}
    assert {
        "corpus",
        "monthly",
        "treatment_category",
        "treatment_subcategory",
        "guideline_family",
        "reviewer_guideline",
        "guideline_topic",
        "agreement_family",
        "agreement_topic",
        "no_evidence",
        "specialty",
        "licensure",
        "timing",
        "patients",
        "top_requests",
        "items_per_letter",
    } <= tables
    assert len(charts) >= 15
    # self-contained: every chart inline, no script, nothing fetched from outside the folder
    assert page.count("<svg") == len(charts)
    assert "<script" not in page.lower()
    assert not re.findall(r"""(?:src|href)=["']?(?:https?:)?//""", page)
    assert "Labor Code 4610.6(d)" in page and "4610.5(h)" in page
    for table in tables - {"agreement_family_pairs", "agreement_topic_pairs"}:
        assert f"tables/{table}.csv" in page


def test_rows_without_a_case_id_are_rejects(report_dir):
    rejects = [json.loads(line) for line in (report_dir / "rejects.jsonl").read_text().splitlines()]
    assert [r["reason"] for r in rejects] == ["missing case_id"]
    assert _csv(report_dir / "tables" / "rejects.csv") == [{"reason": "missing case_id", "count": "1"}]


def test_corpus_counts_every_item(report_dir, make_records):
    recs = make_records(n_letters=80, seed=1)
    corpus = _csv(report_dir / "tables" / "corpus.csv")[0]
    assert int(corpus["items"]) == len(recs)
    assert int(corpus["letters"]) == len({r.case_id for r in recs})
    assert int(corpus["overturned"]) == sum(r.decision == "Overturned" for r in recs)


def test_by_puts_groups_side_by_side_and_small_groups_are_marked(items_file, tmp_path):
    assert main(["report", str(items_file), "-o", str(tmp_path), "--by", "priority", "--min-count", "40"]) == 0
    rows = _csv(tmp_path / "tables" / "guideline_family.csv")
    assert {r["priority"] for r in rows} == {"standard", "expedited"}
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "priority standard" in page and "priority expedited" in page
    assert "\u2020" in page  # groups under 40 decided items are marked


def test_groups_under_min_count_are_one_other_bar_but_keep_their_rows(items_file, report_dir, tmp_path):
    """Charts fold the groups under --min-count into one "other" bar (their counts summed); the CSV keeps a row for
    every group with its own numbers."""
    full = {r["guideline_topic"]: r for r in _csv(report_dir / "tables" / "guideline_topic.csv")}
    decided = {topic: int(r["decided"]) for topic, r in full.items()}
    min_count = sorted(set(decided.values()))[2]  # the two smallest sizes (at least two groups) fall under it
    small = {t for t, n in decided.items() if n < min_count}
    assert len(small) >= 2 and len(small) < len(decided)
    assert main(["report", str(items_file), "-o", str(tmp_path), "--min-count", str(min_count)]) == 0

    rows = {r["guideline_topic"]: r for r in _csv(tmp_path / "tables" / "guideline_topic.csv")}
    assert rows == full  # every group its own row, the small ones included, numbers unchanged
    chart = (tmp_path / "charts" / "guideline_topic.svg").read_text(encoding="utf-8")
    labels = [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", chart)]
    other = f"other ({len(small)} groups under {min_count})"
    assert other in labels and not small & set(labels) and set(decided) - small <= set(labels), labels
    k = sum(int(full[t]["overturned"]) for t in small)
    n = sum(decided[t] for t in small)
    assert f"{k / n:.1%} ({k} of {n})" in labels, labels  # the other bar: the small groups' counts, summed


def test_since_and_until_keep_the_period(items_file, tmp_path):
    assert main(["report", str(items_file), "-o", str(tmp_path), "--since", "2016-03-01", "--until", "2016-05-31"]) == 0
    months = {r["month"] for r in _csv(tmp_path / "tables" / "monthly.csv")}
    assert months == {"2016-03", "2016-04", "2016-05"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "rationale"], "--by rationale: not a column to group by"),
        (["--since", "March"], "--since March: not a date"),
        (["--min-count", "0"], "--min-count 0"),
        (["--since", "2030-01-01"], "no item decided between 2030-01-01"),
    ],
)
def test_user_errors_are_one_line(items_file, tmp_path, capsys, args, message):
    assert main(["report", str(items_file), "-o", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_unlabelled_items_are_refused(tmp_path, make_records, capsys):
    rows = [
        {k: v for k, v in r.to_dict().items() if "family" not in k and "topic" not in k}
        for r in make_records(n_letters=3)
    ]
    write_jsonl(rows, tmp_path / "raw.jsonl")
    assert main(["report", str(tmp_path / "raw.jsonl"), "-o", str(tmp_path / "out")]) == 2
    assert "imrml labels" in capsys.readouterr().err


def test_mlflow_logs_the_report_as_artifacts(items_file, tmp_path, tracking_home):
    import mlflow

    assert main(["report", str(items_file), "-o", str(tmp_path / "r"), "--mlflow"]) == 0
    runs = mlflow.search_runs(experiment_names=["imrml/report"])
    assert len(runs) == 1
    run = mlflow.get_run(runs.loc[0, "run_id"])
    assert 0 < run.data.metrics["overturn_rate"] < 1 and run.data.metrics["items"] > 0
    names = {a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id)}
    assert {"report.html", "tables", "charts"} <= names


# ---------------------------------------------------------------- the real letters


@pytest.mark.shared
@pytest.mark.slow
def test_real_letters_csvs_hold_the_numbers_recomputed_from_the_items(dwc_dir, dwc_items, tmp_path):
    """The report parses the letters itself; here the same numbers are counted from the parsed items with plain
    Python (no pandas, no Arrow) and looked up in the CSVs."""
    assert main(["report", str(dwc_dir), "-o", str(tmp_path)]) == 0
    tables = tmp_path / "tables"

    def outcome_by(key):
        counts = defaultdict(Counter)
        for r in dwc_items:
            if r.decision in ("Upheld", "Overturned"):
                counts[key(r) or "(unknown)"][r.decision] += 1
        return {k: (c["Overturned"], c["Upheld"] + c["Overturned"]) for k, c in counts.items()}

    for column, key in (
        ("guideline_topic", lambda r: r.guideline_topic),
        ("guideline_family", lambda r: r.guideline_family),
    ):
        expected = outcome_by(key)
        rows = {r[column]: r for r in _csv(tables / f"{column}.csv")}
        assert set(rows) == set(expected)
        for label, (k, n) in expected.items():
            assert (int(rows[label]["overturned"]), int(rows[label]["decided"])) == (k, n)
            assert float(rows[label]["overturn_rate"]) == pytest.approx(k / n, abs=1e-5)

    days = defaultdict(list)
    for r in dwc_items:
        if r.application_received and r.decision_date:
            delta = date.fromisoformat(r.decision_date) - date.fromisoformat(r.application_received)
            days[r.priority].append(delta.days)
    timing = {(r["interval"], r["priority"]): r for r in _csv(tables / "timing.csv")}
    assert days
    for priority, values in days.items():
        row = timing[("application received to decision", priority)]
        assert int(row["items"]) == len(values)
        assert float(row["median_days"]) == statistics.median(values)

    per_letter = Counter(r.case_id for r in dwc_items)
    corpus = _csv(tables / "corpus.csv")[0]
    assert int(corpus["letters"]) == len(per_letter) == 120
    assert int(corpus["items"]) == len(dwc_items)
    assert float(corpus["items_per_letter_mean"]) == pytest.approx(len(dwc_items) / len(per_letter), abs=1e-5)
    assert float(corpus["items_per_letter_median"]) == statistics.median(per_letter.values())
    sizes = {r["items_in_letter"]: int(r["letters"]) for r in _csv(tables / "items_per_letter.csv")}
    assert sizes["1"] == sum(1 for n in per_letter.values() if n == 1)


# Run in a copy of the page (the page itself has no script): every chart's size as the browser laid it out,
# written into the DOM that --dump-dom prints.
MEASURE_CHARTS = """<script>
document.querySelectorAll("svg").forEach(function (chart) {
  var box = chart.getBoundingClientRect();
  chart.setAttribute("data-drawn-size", box.width + "x" + box.height);
});
</script>
"""


@pytest.mark.slow
def test_the_page_renders_in_a_browser(report_dir, tmp_path):
    """Headless Chromium loads the page with no network and draws every chart at a size (skipped without a
    browser)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no chromium on PATH (apt-get install chromium)")
    flags = [
        browser,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=10000",
    ]
    page = (report_dir / "report.html").as_uri()
    n_charts = len(list((report_dir / "charts").glob("*.svg")))
    dom = subprocess.run([*flags, "--dump-dom", page], capture_output=True, text=True, timeout=120, check=True).stdout
    assert dom.count("<svg") == n_charts
    measured = tmp_path / "measured"  # a copy, beside its tables/ and charts/ as the page expects
    shutil.copytree(report_dir, measured)
    text = (measured / "report.html").read_text(encoding="utf-8")
    assert text.count("</body>") == 1
    (measured / "report.html").write_text(text.replace("</body>", MEASURE_CHARTS + "</body>"), encoding="utf-8")
    dom = subprocess.run(
        [*flags, "--dump-dom", (measured / "report.html").as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    sizes = [(float(w), float(h)) for w, h in re.findall(r'data-drawn-size="([0-9.]+)x([0-9.]+)"', dom)]
    assert len(sizes) == n_charts, dom[-2000:]
    assert all(w > 0 and h > 0 for w, h in sizes), sizes  # every chart drawn at a size, none collapsed or hidden
    shot = tmp_path / "page.png"
    subprocess.run(
        [*flags, f"--screenshot={shot}", "--window-size=1400,3000", page], capture_output=True, timeout=120, check=True
    )
    from PIL import Image

    colours = Image.open(shot).convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50  # a drawn page, not a blank one


def test_a_corpus_reports_the_same_as_its_letters(fixtures_dir, tmp_path):
    assert main(["parse", str(fixtures_dir), "--corpus", str(tmp_path / "corpus")]) == 0
    assert main(["report", str(tmp_path / "corpus"), "-o", str(tmp_path / "from_corpus")]) == 0
    assert main(["report", str(fixtures_dir), "-o", str(tmp_path / "from_letters")]) == 0
    for table in ("corpus", "guideline_family", "treatment_subcategory"):
        assert _csv(tmp_path / "from_corpus" / "tables" / f"{table}.csv") == _csv(
            tmp_path / "from_letters" / "tables" / f"{table}.csv"
        )


def test_a_letter_past_a_limit_flag_is_a_reject_naming_it_and_the_rest_is_reported(
    fixtures_dir, fixtures_by_size, tmp_path, capsys
):
    limit, over, kept = fixtures_by_size
    assert main(["report", str(kept), "-o", str(tmp_path / "kept_report")]) == 0
    without = capsys.readouterr().out.split(" -> ")[0]
    assert main(["report", str(fixtures_dir), "-o", str(tmp_path / "r"), "--max-bytes", str(limit)]) == 0
    rejects = [json.loads(line) for line in (tmp_path / "r" / "rejects.jsonl").read_text().splitlines()]
    assert sorted(Path(r["source"]).name for r in rejects) == sorted(over)
    assert all(r["reason"].startswith("file larger than the 4,000-byte limit (--max-bytes; ") for r in rejects)
    # the other letters are reported as they are alone: "report: 3 letters, 8 items, ..."
    assert capsys.readouterr().out.split(" -> ")[0] == without.replace("(0 inputs", "(2 inputs")
    assert without.startswith("report: 3 letters, 8 items, ")
