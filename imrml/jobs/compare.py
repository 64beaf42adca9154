"""The compare job: the leaderboard of imrml's runs in the terminal (``imrml compare [NAME]``, ``make compare``).

The same comparison as MLflow's runs table, one board per data set and way of
measuring (only numbers on one board are comparable), best first by the
primary metric with its 95% interval; baselines and the champion are marked.
"""

from __future__ import annotations

from ..mlops.leaderboard import Board, leaderboards
from ..mlops.runs_view import runs_table_url
from ..mlops.tracking import configure_tracking
from ..records.errors import UserError

SHORT = {"balanced_accuracy": "bal_acc", "recall_overturned": "recall_ovt", "top3_accuracy": "top3"}


def _cell(entry, metric: str, with_interval: bool) -> str:
    value = entry.metrics.get(metric)
    if value is None:
        return "-"
    low, high = entry.metrics.get(f"{metric}.ci_low"), entry.metrics.get(f"{metric}.ci_high")
    if with_interval and low is not None and high is not None:
        return f"{value:.3f} [{low:.3f}, {high:.3f}]"
    return f"{value:.3f}"


def format_board(board: Board) -> str:
    """One board as a text table: rank, model (baselines and champion marked), the primary metric with its
    interval, the other metrics."""
    size = f", {board.n_items} items" if board.n_items else ""
    lines = [f"{board.experiment}: {board.how} on {board.data_source} (data digest {board.data_digest}{size})"]
    names = board.metric_names
    header = ["#", "model", f"{board.primary} [95%]", *(SHORT.get(n, n) for n in names[1:]), "run"]
    rows = []
    for rank, e in enumerate(board.ranked(), 1):
        marks = (" (baseline)" if e.baseline else "") + (" *champion" if e.champion else "")
        rows.append(
            [
                str(rank),
                e.label + marks,
                _cell(e, names[0], True),
                *(_cell(e, n, False) for n in names[1:]),
                e.run_id[:8],
            ]
        )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(lines)


def compare_command(name: str | None = None) -> int:
    configure_tracking()
    boards = leaderboards(name)
    if not boards:
        what = f"experiment imrml/{name.removeprefix('imrml/')}" if name else "imrml experiment"
        raise UserError(f"no finished runs in any {what} of this tracking store (train one with 'imrml train')")
    print("\n\n".join(format_board(b) for b in boards))
    print("\nThe same in MLflow's runs table ('make ui', then open):")
    for experiment, experiment_id in dict.fromkeys((b.experiment, b.experiment_id) for b in boards):
        print(f"  {experiment:<38} {runs_table_url(experiment_id)}")
    return 0
