"""The report's charts: matplotlib figures (the object API: no pyplot state) drawn as SVG with their text
kept as text, so the page needs no script, stays sharp at any zoom and its labels can be searched.

Every rate is drawn with its Wilson 95% interval. Groups whose denominator is below ``min_count`` are
folded into one "other" bar (their counts summed, the interval recomputed): in charts only; the tables
show every group.
"""

from __future__ import annotations

import functools
import io

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from .intervals import with_rate

# SVG text stays text; a fixed hash salt and no date make the same tables give the same bytes
STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "imrml-report",
    "font.family": "sans-serif",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlelocation": "left",
    "axes.titlesize": 10,
}
PALETTE = (
    "#3b6ea5",
    "#d08a2e",
    "#5a9e6f",
    "#b4505a",
    "#7d6aa8",
    "#8a7a5a",
    "#c46fa6",
    "#6f8f9f",
    "#a0a040",
    "#4d4d4d",
    "#2f9c9c",
    "#9c2f2f",
)
ACCENT = "#b4505a"
WIDTH = 8.5  # inches; the page shows charts at their natural size up to its text width


def styled(draw):
    """Draw inside the report's style (matplotlib reads most settings when each element is made)."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return draw(*args, **kwargs)

    return wrapper


def svg(fig: Figure) -> str:
    """The figure as an SVG element to inline in HTML (no XML prolog or DOCTYPE)."""
    buf = io.StringIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _figure(height: float) -> tuple[Figure, object]:
    fig = Figure(figsize=(WIDTH, max(1.6, height)))
    return fig, fig.subplots()


def empty(title: str, message: str) -> Figure:
    """A chart with nothing to draw says so, in place of the chart."""
    fig, ax = _figure(1.2)
    ax.axis("off")
    ax.set_title(title)
    ax.text(0.0, 0.4, message, transform=ax.transAxes, color="#5f6b76")
    return fig


def fold_small(
    table: pd.DataFrame, label: str, k: str, n: str, min_count: int, by: str | None = None, rate: str = "rate"
) -> pd.DataFrame:
    """``table`` with the groups whose ``n`` is below ``min_count`` (in every ``by`` group) summed into one
    row "other (N groups)", its rate and interval recomputed."""
    t = table[[*([by] if by else []), label, k, n]].copy()
    t[label] = t[label].astype(str)
    biggest = t.groupby(label, sort=False)[n].max()
    small = set(biggest[biggest < min_count].index)
    if len(small) > 1:
        name = f"other ({len(small)} groups under {min_count})"
        folded = t[t[label].isin(small)].groupby([by] if by else (lambda _: 0), sort=False)[[k, n]].sum()
        folded = folded.reset_index(drop=by is None)
        folded[label] = name
        t = pd.concat([t[~t[label].isin(small)], folded], ignore_index=True)
    return with_rate(t, k, n, rate)


@styled
def rate_bars(
    table: pd.DataFrame,
    label: str,
    title: str,
    *,
    k: str = "overturned",
    n: str = "decided",
    by: str | None = None,
    min_count: int = 0,
    sort: bool = True,
    xlabel: str = "overturned",
    top: int | None = None,
) -> Figure:
    """Horizontal bars of a rate per group with Wilson 95% error bars and "rate (k of n)" beside each; with
    ``by``, one bar per ``by`` group in each row."""
    if table.empty or not (table[n] > 0).any():
        return empty(title, "No items to draw.")
    if by == label or by not in table:
        by = None  # the bars are the groups themselves
    t = fold_small(table, label, k, n, min_count, by)
    labels = list(dict.fromkeys(t[label]))
    if sort:
        pooled = t.groupby(label, sort=False)[[k, n]].sum()
        labels = sorted(labels, key=lambda v: (v.startswith("other ("), -pooled.at[v, k] / max(pooled.at[v, n], 1)))
    if top:
        labels = labels[:top]
    groups = list(dict.fromkeys(t[by])) if by else [None]
    bar = 0.8 / len(groups)
    fig, ax = _figure(0.22 * len(labels) * max(1, len(groups) * 0.7) + 0.9)
    y = np.arange(len(labels))[::-1]
    for gi, group in enumerate(groups):
        d = (t[t[by] == group] if by else t).set_index(label).reindex(labels)
        pos = y + (len(groups) - 1) / 2 * bar - gi * bar
        rate = d["rate"].fillna(0).to_numpy()
        err = np.vstack(
            [(rate - d["rate_ci_low"].fillna(0)).clip(lower=0), (d["rate_ci_high"].fillna(0) - rate).clip(lower=0)]
        )
        bars = ax.barh(
            pos,
            rate,
            height=bar * 0.9,
            xerr=err,
            color=PALETTE[gi % len(PALETTE)],
            error_kw={"ecolor": "#444", "elinewidth": 0.8, "capsize": 2},
            label=str(group) if by else None,
        )
        for b, nn in zip(bars, d[n], strict=True):  # a small group (not folded: alone) is drawn faint
            if pd.notna(nn) and nn < min_count:
                b.set_alpha(0.4)
        for p, r, kk, nn, hi in zip(pos, rate, d[k], d[n], d["rate_ci_high"].fillna(0), strict=True):
            if pd.notna(nn) and nn > 0:
                ax.text(
                    max(hi, r) + 0.005,
                    p,
                    f"{r:.1%} ({int(kk):,} of {int(nn):,})",
                    va="center",
                    fontsize=8,
                    color="#333",
                )
    small = set(t.loc[t[n] < min_count, label])
    ax.set_yticks(y, [_short(v) + ("\u2020" if v in small else "") for v in labels])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlim(0, min(1.0, max(0.05, float(t["rate_ci_high"].max(skipna=True) or 0) * 1.35 + 0.02)))
    ax.set_xlabel(f"{xlabel} (bars: 95% interval" + (f"; \u2020 fewer than {min_count})" if small else ")"))
    ax.set_title(title)
    if by:
        ax.legend(title=by, fontsize=8, title_fontsize=8, loc="lower right", frameon=False)
    return fig


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


@styled
def monthly(table: pd.DataFrame, unknown: str, by: str | None = None) -> Figure:
    """Items per decision month (bars, or a line per ``by`` group) above the overturn rate with its 95% band."""
    t = table[table["month"].astype(str) != unknown].copy()
    t["month"] = t["month"].astype(str)
    if t.empty:
        return empty("Items decided per month", "No letter states a decision date.")
    # every month from the first to the last, so that a gap in the letters shows as a gap
    span = pd.period_range(min(t["month"]), max(t["month"]), freq="M")
    months = [str(m) for m in span]
    fig = Figure(figsize=(WIDTH, 4.2))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1.2]})
    x = np.arange(len(months))
    groups = list(dict.fromkeys(t[by])) if by else [None]
    for gi, group in enumerate(groups):
        d = (t[t[by] == group] if by else t).set_index("month").reindex(months)
        color = PALETTE[gi % len(PALETTE)]
        if by:
            top.plot(x, d["items"], marker=".", color=color, label=str(group))
        else:
            top.bar(x, d["items"].fillna(0), color="#c9d6e8")
        bottom.plot(x, d["overturn_rate"], color=color if by else ACCENT, marker=".", label=str(group) if by else None)
        bottom.fill_between(
            x,
            d["overturn_rate_ci_low"],
            d["overturn_rate_ci_high"],
            color=color if by else ACCENT,
            alpha=0.15,
            linewidth=0,
        )
    top.set_ylabel("items")
    top.yaxis.set_major_locator(MaxNLocator(integer=True))
    top.set_title("Items decided per month, and the share overturned (band: 95% interval)")
    bottom.set_ylabel("overturned")
    bottom.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    bottom.set_ylim(bottom=0)
    step = max(1, len(months) // 24)
    bottom.set_xticks(x[::step], months[::step], rotation=90, fontsize=7)
    if by:
        top.legend(title=by, fontsize=8, title_fontsize=8, frameon=False, ncols=min(len(groups), 6))
    return fig


@styled
def heatmap(matrix: pd.DataFrame, level: str) -> Figure:
    """The agreement matrix as each claims-administrator row's share going to each reviewer label, with
    the count in each cell when it fits."""
    if matrix.empty:
        return empty(f"Guideline {level}", "No items to draw.")
    m = matrix.set_index(f"claims_guideline_{level}")
    m.index = m.index.astype(str)
    counts = m.to_numpy(dtype=float)
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    rows, cols = m.shape
    fig = Figure(figsize=(min(WIDTH + 1, 2.6 + 0.34 * cols), 1.6 + 0.3 * rows))
    ax = fig.subplots()
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    small = 6.5 if rows > 10 else 8
    ax.set_xticks(range(cols), [_short(c, 28) for c in m.columns], rotation=90, fontsize=small)
    ax.set_yticks(range(rows), [_short(r, 28) for r in m.index], fontsize=small)
    ax.spines[:].set_visible(False)
    if rows <= 30 and cols <= 30:
        for i in range(rows):
            for j in range(cols):
                if counts[i, j]:
                    ax.text(
                        j,
                        i,
                        f"{counts[i, j]:,.0f}",
                        ha="center",
                        va="center",
                        fontsize=small - 1,
                        color="white" if share[i, j] > 0.55 else "#222",
                    )
    ax.set_xlabel("reviewer's guideline " + level)
    ax.set_ylabel("claims administrator's guideline " + level)
    ax.set_title(f"Guideline {level}: where each claims administrator's label went (colour: share of row)")
    fig.colorbar(image, ax=ax, shrink=0.7, format=PercentFormatter(1.0, decimals=0))
    return fig


@styled
def timing(table: pd.DataFrame, unknown: str, by: str | None = None) -> Figure:
    """Median (bar) and 90th percentile (tick) days per interval and priority, with the statutory limit."""
    by = None if by == "priority" else by  # the rows are per priority already
    t = table[table["priority"].astype(str) != unknown]
    if t.empty:
        return empty(
            "Days between the letter's dates", "No letter of known priority states both dates of any interval."
        )
    rows = (
        t.drop_duplicates(["interval", "priority"])[["interval", "priority"]]
        .apply(lambda r: f"{r['interval']} ({r['priority']})", axis=1)
        .tolist()
    )
    groups = list(dict.fromkeys(t[by])) if by else [None]
    bar = 0.8 / len(groups)
    fig, ax = _figure(0.35 * len(rows) * max(1, len(groups) * 0.6) + 1.0)
    y = np.arange(len(rows))[::-1]
    for gi, group in enumerate(groups):
        d = t[t[by] == group] if by else t
        d = d.assign(row=d["interval"] + " (" + d["priority"].astype(str) + ")").set_index("row").reindex(rows)
        pos = y + (len(groups) - 1) / 2 * bar - gi * bar
        color = PALETTE[gi % len(PALETTE)]
        ax.barh(
            pos,
            d["median_days"].fillna(0),
            height=bar * 0.85,
            color=color,
            alpha=0.85,
            label=f"median{'' if not by else f' ({group})'}",
        )
        ax.scatter(
            d["p90_days"], pos, marker="|", s=120, color="#222", zorder=3, label="90th percentile" if gi == 0 else None
        )
    limits = (
        t.drop_duplicates(["interval", "priority"])
        .assign(row=lambda d: d["interval"] + " (" + d["priority"].astype(str) + ")")
        .set_index("row")
        .reindex(rows)
    )
    ax.scatter(limits["limit_days"], y, marker="D", s=22, color=ACCENT, zorder=4, label="limit in law")
    ax.set_yticks(y, rows)
    ax.set_xlabel("days")
    ax.set_title("Days between the letter's dates: median, 90th percentile and the statutory limit")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    return fig


@styled
def letter_sizes(table: pd.DataFrame, by: str | None = None) -> Figure:
    """Share of letters by the number of items they decide."""
    return rate_bars(
        table,
        "items_in_letter",
        "Letters by the number of items they decide",
        k="letters",
        n="all_letters",
        by=by,
        sort=False,
        xlabel="share of letters",
    )
