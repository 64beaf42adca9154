"""What the report holds, in order: its sections, each with its tables (and the note under each saying what
it counts) and its charts, built from the report frame.

:func:`build` computes every table and draws every chart; the page (:mod:`.page`) lays them out, and the
job writes each table as CSV and each chart as SVG.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import charts, tables
from .frame import NO_DATE, UNKNOWN
from .statute import INTERVALS

OUTCOME = [
    ("letters", "letters", "count"),
    ("items", "items", "count"),
    ("decided", "decided", "count"),
    ("overturned", "overturned", "count"),
    ("overturn_rate", "overturned, % of decided", "rate"),
]
RATE_NOTE = (
    "Overturned, % of decided: items Overturned among those decided Upheld or Overturned, with its 95% interval."
)


@dataclass
class Chart:
    """A chart of the report: inline SVG on the page, also written as ``<name>.svg``."""

    name: str
    svg: str
    caption: str


@dataclass
class Table:
    """A table of the report: its data (also written as ``<name>.csv``) and how the page shows it."""

    name: str
    title: str
    note: str
    data: pd.DataFrame
    labels: dict[str, str]  # key columns -> heading
    values: list[tuple[str, str, str]]  # (column, heading, kind: count | rate | days | text)
    small: str | None = "decided"  # the denominator a group is small by (marked when under --min-count)
    transpose: bool = False  # one row per group, shown as one column per group
    shown: bool = True  # False: too big to read on the page, only the CSV (and its chart)
    side_by_side: bool = True  # with --by: one block of columns per group (else the group is a column)
    also: dict[str, pd.DataFrame] = field(default_factory=dict)  # more CSVs of the same numbers, by name
    charts: list[Chart] = field(default_factory=list)  # shown above the table


@dataclass
class Section:
    id: str
    title: str
    intro: str
    tables: list[Table] = field(default_factory=list)
    points: list[tuple[str, str, str]] = field(default_factory=list)  # (what, rule, how it applies), as a table

    def chart(self, chart: Chart, table: str | None = None) -> None:
        """Show ``chart`` with the table named ``table`` (default: the chart's own name)."""
        next(t for t in self.tables if t.name == (table or chart.name)).charts.append(chart)


@dataclass
class Report:
    sections: list[Section]
    headline: dict[str, float]
    by: str | None
    min_count: int

    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    def charts(self) -> list[Chart]:
        return [c for t in self.tables() for c in t.charts]


def build(
    df: pd.DataFrame, by: str | None = None, min_count: int = 20, rejects: pd.DataFrame | None = None, top: int = 25
) -> Report:
    """Every table and chart of the report of ``df``, grouped by ``by`` when given."""
    draw = _Drawer(by, min_count)
    sections = [
        _corpus(df, by, draw, rejects),
        _monthly(df, by, draw),
        _treatment(df, by, draw),
        _guidelines(df, by, draw),
        _agreement(df, by, draw),
        _no_evidence(df, by, draw),
        _reviewers(df, by, draw),
        _timing(df, by, draw),
        _patients(df, by, draw),
        _requests(df, by, draw, top),
    ]
    return Report(sections, headline(df), by, min_count)


class _Drawer:
    """Draws a chart to SVG with the report's ``by`` and ``min_count``."""

    def __init__(self, by: str | None, min_count: int):
        self.by, self.min_count = by, min_count

    def rates(self, name: str, table: pd.DataFrame, label: str, title: str, caption: str, **kw) -> Chart:
        fig = charts.rate_bars(table, label, title, by=self.by, min_count=self.min_count, **kw)
        return Chart(name, charts.svg(fig), caption)

    def chart(self, name: str, fig, caption: str) -> Chart:
        return Chart(name, charts.svg(fig), caption)


def _corpus(df, by, draw: _Drawer, rejects) -> Section:
    corpus = tables.corpus(df, by)
    sizes = tables.items_per_letter(df, by)
    templates = tables.overturn_by(df, "template", by)
    s = Section("corpus", "The corpus", "What was read: letters, items, letter layouts and decision dates.")
    s.tables.append(
        Table(
            "corpus",
            "Letters and items",
            "One column per group. Letters are distinct case numbers; items are the "
            "disputed treatments they decide (a letter decides one or more). Items without a decision date come from "
            "letters that state none (the 2014 layout has no header); they count everywhere except in the months. "
            "Other decisions are items decided with another word than Upheld or Overturned; they count as items, "
            "not as decided.",
            corpus,
            {},
            [
                ("letters", "letters", "count"),
                ("items", "items", "count"),
                ("items_per_letter_mean", "items per letter, mean", "decimal"),
                ("items_per_letter_median", "items per letter, median", "decimal"),
                ("items_per_letter_max", "items per letter, most", "count"),
                ("first_decision", "first decision", "text"),
                ("last_decision", "last decision", "text"),
                ("items_without_decision_date", "items without a decision date", "count"),
                ("upheld", "upheld", "count"),
                ("overturned", "overturned", "count"),
                ("other_decision", "other decisions", "count"),
                ("no_decision", "no decision stated", "count"),
                ("overturn_rate", "overturned, % of decided", "rate"),
            ],
            small=None,
            transpose=True,
        )
    )
    if rejects is not None:
        s.tables.append(
            Table(
                "rejects",
                "Inputs read and rejected",
                "Files (or rows) that gave no item, by reason, as the parser's "
                "rejects report lists them; every input is either counted above or here. When the input is a table of "
                "items, this is the rejects report written beside it by imrml parse, if there is one.",
                rejects,
                {"reason": "reason"},
                [("count", "inputs", "count")],
                small=None,
            )
        )
    s.tables.append(
        Table(
            "templates",
            "By letter layout",
            "Items and overturn rate by the layout the letter was parsed as (2013, "
            "2014, 2016: the generation of the letter). " + RATE_NOTE,
            templates,
            {"template": "layout"},
            OUTCOME,
        )
    )
    s.tables.append(
        Table(
            "items_per_letter",
            "Items per letter",
            "Letters by the number of items they decide, and each size's share of letters (95% interval).",
            sizes,
            {"items_in_letter": "items in the letter"},
            [("letters", "letters", "count"), ("items", "items", "count"), ("share", "share of letters", "rate")],
            small="all_letters",
        )
    )
    s.chart(draw.chart("items_per_letter", charts.letter_sizes(sizes, by), "Letters by items decided."))
    if "rationale_verdict" in df:
        s.tables.append(
            Table(
                "verdicts",
                "Stated decision against the rationale's conclusion",
                "Items by the decision the letter states and the conclusion read from the reviewer's rationale "
                "(upheld, overturned, partial, unclear), with each pair's share of the decision's items. Items "
                "where the two disagree are worth reading by hand.",
                tables.verdicts(df, by),
                {"decision": "stated decision", "rationale_verdict": "rationale's conclusion"},
                [("items", "items", "count"), ("share", "share of the decision", "rate")],
                small="decision_items",
            )
        )
    return s


def _monthly(df, by, draw: _Drawer) -> Section:
    monthly = tables.overturn_by(df, "month", by)
    s = Section("monthly", "Volume and overturn rate per month", "Items by the month of the letter's decision date.")
    s.tables.append(
        Table(
            "monthly",
            "Per decision month",
            f'Items per month of the decision date; "{NO_DATE}" gathers the items '
            "of letters that state no decision date. " + RATE_NOTE,
            monthly,
            {"month": "month"},
            OUTCOME,
        )
    )
    s.chart(
        draw.chart(
            "monthly",
            charts.monthly(monthly, NO_DATE, by),
            f"Items per month and the share overturned; {NO_DATE} is left out of the chart.",
        )
    )
    return s


def _treatment(df, by, draw: _Drawer) -> Section:
    category = tables.overturn_by(df, "treatment_category", by)
    sub = tables.treatment(df, by)
    s = Section(
        "treatment",
        "Outcome by treatment category",
        "What was requested, in the categories of the state's annual IMR reports; the subcategory is the "
        "drug class of a medication and the type of a service. Both come from the request's wording (the drug "
        'or service it names, as the record reads it); "(not classified)" requests name nothing known.',
    )
    s.tables.append(
        Table(
            "treatment_category",
            "By treatment category",
            RATE_NOTE,
            category,
            {"treatment_category": "category"},
            OUTCOME,
        )
    )
    s.tables.append(
        Table(
            "treatment_subcategory",
            "By subcategory (drug class, or type of service)",
            RATE_NOTE,
            sub,
            {"treatment_category": "category", "treatment_subcategory": "subcategory"},
            OUTCOME,
        )
    )
    s.chart(
        draw.rates(
            "treatment_category",
            category,
            "treatment_category",
            "Overturned, by treatment category",
            "Share of decided items overturned.",
        )
    )
    s.chart(
        draw.rates(
            "treatment_subcategory",
            sub,
            "treatment_subcategory",
            "Overturned, by subcategory (drug class, or type of service)",
            "Share of decided items overturned.",
        )
    )
    _request_fields(s, df, by, draw)
    return s


# Fields the record reads from the request (when the input has them): (column, table, title, what it is)
REQUEST_FIELDS = (
    ("drug_generic", "drugs", "By drug (generic name)", "medications by their generic name"),
    ("body_part", "body_parts", "By body part", "services by the body part they name (one item can name two)"),
)


def _request_fields(s: Section, df, by, draw: _Drawer, n: int = 40) -> None:
    """The drug, service type and body part tables, for an input whose records read requests into fields."""
    for column, name, title, what in REQUEST_FIELDS:
        if column not in df:
            continue
        full = tables.exploded(df, column, by) if column == "body_part" else tables.overturn_by(df, column, by)
        t = tables.most_frequent(full, column, by, n)
        note = f"The {n} most frequent {what}, as the record reads them from the request. {RATE_NOTE}"
        s.tables.append(Table(name, title, note, t, {column: column.replace("_", " ")}, OUTCOME))
        s.chart(
            draw.rates(
                name,
                tables.most_frequent(full, column, by, 25),
                column,
                f"Overturned, {title[3:]}",
                "The 25 most frequent; share of decided items overturned.",
                sort=False,
            )
        )


def _guidelines(df, by, draw: _Drawer) -> Section:
    family = tables.overturn_by(df, "guideline_family", by)
    guideline = tables.exploded(df, "reviewer_guidelines", by)
    topic = tables.overturn_by(df, "guideline_topic", by)
    s = Section(
        "guidelines",
        "Outcome by the reviewer's guideline",
        "The guideline the IMR reviewer relied on, as the letter cites it, at three levels: family (MTUS, "
        'the state\'s schedule; ODG; other sources; "none": the reviewer cited no medical evidence), '
        "guideline (the document or chapter) and topic (what the cited section is about).",
    )
    s.tables.append(
        Table(
            "guideline_family",
            "By guideline family",
            "An item citing two families (MTUS and ODG) counts once, under the pair. " + RATE_NOTE,
            family,
            {"guideline_family": "family"},
            OUTCOME,
        )
    )
    s.tables.append(
        Table(
            "reviewer_guideline",
            "By guideline",
            "An item counts once under each guideline its "
            "reviewer cited, so the rows add up to more than the items. " + RATE_NOTE,
            guideline,
            {"reviewer_guidelines": "guideline"},
            OUTCOME,
        )
    )
    s.tables.append(
        Table(
            "guideline_topic",
            "By guideline topic",
            "The topic of the reviewer's primary citation. " + RATE_NOTE,
            topic,
            {"guideline_topic": "topic"},
            OUTCOME,
        )
    )
    s.chart(
        draw.rates(
            "guideline_family",
            family,
            "guideline_family",
            "Overturned, by guideline family",
            "Share of decided items overturned.",
        )
    )
    s.chart(
        draw.rates(
            "reviewer_guideline",
            guideline,
            "reviewer_guidelines",
            "Overturned, by guideline",
            "Share of decided items overturned, per guideline cited.",
        )
    )
    s.chart(
        draw.rates(
            "guideline_topic",
            topic,
            "guideline_topic",
            "Overturned, by guideline topic",
            "Share of decided items overturned.",
        )
    )
    return s


def _agreement(df, by, draw: _Drawer) -> Section:
    s = Section(
        "agreement",
        "Claims administrator's guideline against the reviewer's",
        "For each item, the guideline the claims administrator relied on for the denial (from the letter) "
        "against the one the reviewer relied on. Rows: the claims administrator's label; columns: the "
        "reviewer's.",
    )
    for level in ("family", "topic"):
        long = tables.agreement(df, level, by)
        matrix = tables.agreement_matrix(long, level, by)
        pooled = tables.agreement_matrix(tables.agreement(df, level), level)
        claims = f"claims_guideline_{level}"
        rows = long.drop_duplicates([*([by] if by else []), claims])[
            [
                *([by] if by else []),
                claims,
                "row_items",
                "row_same",
                "row_agreement",
                "row_agreement_ci_low",
                "row_agreement_ci_high",
            ]
        ].reset_index(drop=True)
        labels = {**({by: by} if by else {}), claims: "claims administrator's " + level}
        s.tables.append(
            Table(
                f"agreement_{level}",
                f"Guideline {level}: items per pair",
                "Items for each pair of labels (claims "
                "administrator's down, reviewer's across). The long form, with each pair's share of its row and 95% "
                f"interval, is agreement_{level}_pairs.csv."
                + (
                    ""
                    if level == "family"
                    else " Too many labels for a table on this page: the chart above shows every "
                    "cell, the CSV has the counts."
                ),
                matrix,
                labels,
                [(c, c, "count") for c in matrix.columns if c not in labels],
                small=None,
                side_by_side=False,
                shown=level == "family",
                also={f"agreement_{level}_pairs": long},
            )
        )
        s.tables.append(
            Table(
                f"agreement_{level}_rows",
                f"Guideline {level}: how often the reviewer gave the same label",
                f"Per claims administrator's {level}: items, and those whose reviewer's {level} was the same, with the "
                "share and its 95% interval.",
                rows,
                {claims: "claims administrator's " + level},
                [
                    ("row_items", "items", "count"),
                    ("row_same", "same label", "count"),
                    ("row_agreement", "same, %", "rate"),
                ],
                small="row_items",
            )
        )
        s.chart(
            draw.chart(
                f"agreement_{level}",
                charts.heatmap(pooled, level),
                "All items" + (f" (every {by} together)" if by else "") + "; colour is the share "
                "of the row, the number the items.",
            )
        )
    return s


def _no_evidence(df, by, draw: _Drawer) -> Section:
    t = tables.no_evidence(df, by)
    s = Section(
        "no_evidence",
        "Items where the reviewer cited no medical evidence",
        "Letters where the reviewer's guideline paragraph says no medical evidence was cited (guideline "
        'family "none").',
    )
    s.tables.append(
        Table(
            "no_evidence",
            "No medical evidence cited",
            "Per letter layout and in all: items, those whose reviewer "
            "cited no medical evidence and their share of items, then the overturn rate of those items beside that "
            "of the items whose reviewer cited a guideline (each with its 95% interval).",
            t,
            {"template": "layout"},
            [
                ("items", "items", "count"),
                ("no_evidence", "no evidence cited", "count"),
                ("share", "share", "rate"),
                ("ne_decided", "of them decided", "count"),
                ("overturn_rate_no_evidence", "overturned, no evidence", "rate"),
                ("overturn_rate_cited", "overturned, evidence cited", "rate"),
            ],
            small="items",
        )
    )
    s.chart(
        draw.rates(
            "no_evidence",
            t,
            "template",
            "Share of items whose reviewer cited no evidence, by layout",
            "Share of items.",
            k="no_evidence",
            n="items",
            sort=False,
            xlabel="no evidence cited",
        )
    )
    return s


def _reviewers(df, by, draw: _Drawer) -> Section:
    specialty = tables.exploded(df, "specialty", by)
    licensure = tables.exploded(df, "licensure", by)
    s = Section(
        "reviewers",
        "Reviewer specialty and licensure",
        "The reviewer's board certifications or specialties and the states where the reviewer is licensed, "
        "as the letter lists them. A reviewer with two specialties counts under both, so the rows add up "
        "to more than the items.",
    )
    s.tables.append(
        Table("specialty", "By reviewer specialty", RATE_NOTE, specialty, {"specialty": "specialty"}, OUTCOME)
    )
    s.tables.append(Table("licensure", "By state of licensure", RATE_NOTE, licensure, {"licensure": "state"}, OUTCOME))
    s.chart(
        draw.rates(
            "specialty",
            specialty,
            "specialty",
            "Overturned, by reviewer specialty",
            "Share of decided items overturned.",
        )
    )
    s.chart(
        draw.rates(
            "licensure",
            licensure,
            "licensure",
            "Overturned, by state of licensure",
            "Share of decided items overturned.",
        )
    )
    return s


def _timing(df, by, draw: _Drawer) -> Section:
    t = tables.timing(df, by)
    s = Section(
        "timing",
        "Timing against the limits in law",
        "Days between the dates a letter states, against "
        "the time the Labor Code allows. The dates in a letter are not exactly the ones the law counts from; "
        "how each limit applies to each interval is below.",
        points=[(i.name, i.rule, i.applies) for i in INTERVALS],
    )
    s.tables.append(
        Table(
            "timing",
            "Days between the letter's dates",
            "Per interval and priority: items whose letter states both "
            "dates, the median, 90th percentile and longest number of days, the limit in law for that priority and "
            "the share of items past it (95% interval).",
            t,
            {"interval": "interval", "priority": "priority"},
            [
                ("items", "items", "count"),
                ("median_days", "median days", "decimal"),
                ("p90_days", "90th pct.", "decimal"),
                ("max_days", "longest", "decimal"),
                ("limit_days", "limit", "decimal"),
                ("past_limit", "past limit", "count"),
                ("past_limit_share", "past limit, %", "rate"),
            ],
            small="items",
        )
    )
    s.chart(
        draw.chart(
            "timing",
            charts.timing(t, UNKNOWN, by),
            "Median (bar), 90th percentile (tick) and "
            "the limit in law (diamond); items of unknown priority are left out of the chart.",
        )
    )
    return s


def _patients(df, by, draw: _Drawer) -> Section:
    t = tables.patients(df, by)
    s = Section(
        "patients",
        "Patients",
        "The injured worker's age and sex as the case summary states them, and the "
        "years from the date of injury to the utilization review denial.",
    )
    s.tables.append(
        Table(
            "patients",
            "By age, sex and years since injury",
            RATE_NOTE,
            t,
            {"dimension": "dimension", "value": "value"},
            OUTCOME,
        )
    )
    for dimension, name in (
        ("age", "patients_age"),
        ("sex", "patients_sex"),
        ("years from injury to UR denial", "patients_injury_years"),
    ):
        part = t[t["dimension"] == dimension]
        s.chart(
            draw.rates(
                name, part, "value", f"Overturned, by {dimension}", "Share of decided items overturned.", sort=False
            ),
            "patients",
        )
    return s


def _requests(df, by, draw: _Drawer, top: int) -> Section:
    t = tables.top_requests(df, by, top)
    s = Section(
        "requests",
        "The most frequent requests",
        f"The {top} requests seen most often, as written (case "
        "and spacing ignored); the same treatment written differently counts apart.",
    )
    s.tables.append(Table("top_requests", "Most frequent requests", RATE_NOTE, t, {"request": "request"}, OUTCOME))
    s.chart(
        draw.rates(
            "top_requests",
            t,
            "request",
            "Overturned, most frequent requests",
            "Share of decided items overturned.",
            sort=False,
        )
    )
    return s


def headline(df: pd.DataFrame) -> dict[str, float]:
    """The numbers a run is logged with: volume, overturn rate, evidence, agreement and timing."""
    c = tables.corpus(df).iloc[0]
    out = {
        "letters": float(c["letters"]),
        "items": float(c["items"]),
        "decided": float(c["decided"]),
        "overturn_rate": float(c["overturn_rate"]),
        "overturn_rate_ci_low": float(c["overturn_rate_ci_low"]),
        "overturn_rate_ci_high": float(c["overturn_rate_ci_high"]),
        "items_per_letter": float(c["items_per_letter_mean"]),
        "items_without_decision_date": float(c["items_without_decision_date"]),
        "no_evidence_share": float((df["guideline_family"] == "none").mean()),
        "family_agreement": float(
            (df["claims_guideline_family"].astype(str) == df["guideline_family"].astype(str)).mean()
        ),
    }
    t = tables.timing(df)
    app = t[(t["interval"] == INTERVALS[0].name) & (t["priority"].astype(str).str.lower() == "standard")]
    if len(app):
        out["median_days_application_to_decision"] = float(app["median_days"].iloc[0])
        out["past_30_days_share"] = float(app["past_limit_share"].iloc[0])
    return out
