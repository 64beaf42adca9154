"""The ``imrml`` command: argument parsing only; each command calls one job of :mod:`imrml.jobs`.

One error policy for every command: what a user can cause (a bad file, a bad
setting, a missing input) is one line, ``imrml COMMAND: error: <reason>``, and
exit status 2, never a traceback. Anything else is a bug and keeps its
traceback. Credentials in URIs are redacted from every message, log line,
warning and traceback. Diagnostics go through ``logging`` (``-v`` shows more).
SIGTERM ends a command as Ctrl-C does: its temporary files are removed and its
worker processes ended.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import threading
import traceback

from .letters.limits import DEFAULT_LIMITS, LIMIT_NAMES, Limits
from .records.errors import UserError, redact, redacted_output

EPILOG = "Run 'imrml COMMAND --help' for each command's options. Docs: README.md."


def _job(target: str):
    """The job function ``"module:function"`` of imrml.jobs, imported when its command runs (so that
    ``imrml parse`` does not pay for importing MLflow, nor ``--help`` for any job)."""
    module, _, function = target.partition(":")
    # lazy: a job imports pandas, scikit-learn or MLflow, seconds that no other command should pay
    return getattr(importlib.import_module(f"imrml.jobs.{module}"), function)


def _limits(args: argparse.Namespace) -> Limits:
    """The per-file limits the flags of :func:`_limit_flags` set."""
    return Limits(**{name: getattr(args, name) for name in LIMIT_NAMES})


def _cmd_parse(args: argparse.Namespace) -> int:
    common = {"allow_rejects": args.allow_rejects, "progress": not args.quiet, "jobs": args.jobs}
    if args.output is None:
        if args.rejects:
            raise UserError("--rejects is for an items file (-o); a corpus keeps its rejects in rejects.jsonl")
        return _job("corpus:corpus_command")(
            args.letters, args.corpus, prune=args.prune, limits=_limits(args), **common
        )
    if args.prune:
        raise UserError("--prune is for a corpus (--corpus), not for an items file (-o)")
    return _job("parse:parse_command")(args.letters, args.output, rejects=args.rejects, limits=_limits(args), **common)


def _positive(kind):
    def check(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0: {text!r}")
        return value

    return check


_LIMIT_HELP = {
    "max_bytes": (int, "file size in bytes"),
    "max_pages": (int, "pages of a PDF"),
    "max_chars": (int, "characters of text in a letter"),
    "max_items": (int, "items in a letter"),
    "max_seconds": (float, "seconds to read and parse a file"),
    "max_memory_mb": (int, "memory to read and parse a file, in MB above a worker's own"),
}


def _limit_flags() -> argparse.ArgumentParser:
    """The per-file limit flags (README, "Per-file limits"; past one, a file is rejected with the limit named),
    as a parent parser: one definition for every command that parses letters (``parents=[...]``), whose
    function passes ``limits=_limits(args)`` to its job."""
    parent = argparse.ArgumentParser(add_help=False)
    g = parent.add_argument_group("per-file limits (a file past one is rejected, and the reason names the flag)")
    for name, (kind, what) in _LIMIT_HELP.items():
        default = getattr(DEFAULT_LIMITS, name)
        g.add_argument(
            "--" + name.replace("_", "-"),
            type=_positive(kind),
            default=default,
            metavar="N",
            help=f"{what} (default {default:,})",
        )
    return parent


def _cmd_labels(args: argparse.Namespace) -> int:
    return _job("labels:labels_command")(args.items, output=args.output)


def _cmd_synth(args: argparse.Namespace) -> int:
    return _job("synth:synth_command")(
        n=args.n, seed=args.seed, output=args.output, fmt=args.format, overturn_rate=args.overturn_rate
    )


def _cmd_train(args: argparse.Namespace) -> int:
    return _job("train:train_command")(args.experiment, data=args.data, test_data=args.test_data, limits=_limits(args))


def _cmd_evaluate(args: argparse.Namespace) -> int:
    return _job("evaluate:evaluate_command")(
        args.model, args.data, resamples=args.resamples, seed=args.seed, limits=_limits(args)
    )


def _cmd_compare(args: argparse.Namespace) -> int:
    return _job("compare:compare_command")(args.name)


def _cmd_promote(args: argparse.Namespace) -> int:
    return _job("promote:promote_command")(args.model, version=args.version, on=args.on, limits=_limits(args))


def _cmd_score(args: argparse.Namespace) -> int:
    return _job("score:score_command")(
        args.model,
        args.inputs,
        args.output,
        rejects=args.rejects,
        explain=args.explain,
        chunk_size=args.chunk_size,
        allow_rejects=args.allow_rejects,
        jobs=args.jobs,
        allow_model_path=args.allow_model_path,
        precedents=args.precedents,
        precedents_model=args.precedents_model,
        limits=_limits(args),
    )


def _cmd_precedents(args: argparse.Namespace) -> int:
    return _job("precedents:precedents_command")(
        args.inputs,
        args.output,
        k=args.k,
        all_classes=args.all_classes,
        model=args.model,
        decided=args.decided,
        experiment=args.experiment,
        rejects=args.rejects,
        chunk_size=args.chunk_size,
        allow_rejects=args.allow_rejects,
        allow_model_path=args.allow_model_path,
        limits=_limits(args),
    )


def _cmd_report(args: argparse.Namespace) -> int:
    return _job("report:report_command")(
        args.inputs,
        args.output,
        by=args.by,
        since=args.since,
        until=args.until,
        min_count=args.min_count,
        mlflow=args.mlflow,
        limits=_limits(args),
    )


def _cmd_demo(args: argparse.Namespace) -> int:
    return _job("demo:demo_command")(letters=args.letters, seed=args.seed, output=args.output)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="imrml",
        description="Learn from California Independent Medical Review (IMR) final determination letters: "
        "parse letters into one record per disputed item, label the cited guidelines, generate a corpus, "
        "train outcome and guideline classifiers tracked in MLflow, and batch-score new cases.",
        epilog=EPILOG,
    )
    p.add_argument("-v", "--verbose", action="store_true", help="show diagnostic messages")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    limit_flags = _limit_flags()

    sp = sub.add_parser(
        "parse",
        parents=[limit_flags],
        help="parse letters (PDF or text) into a corpus, or into an items file",
        description="Parse IMR letters (.pdf or .txt files, or folders searched recursively) into one record "
        "per disputed item. Without -o the items go into a corpus folder (default data/corpus): only letters "
        "new or changed since the last run are parsed, a letter already there under another name is recorded "
        "as a duplicate, an interrupted run resumes where it stopped; labels, train and score read the corpus. "
        "With -o they go to one file (JSON Lines, or Parquet when the name ends in .parquet). Files that cannot "
        "be parsed are listed with the reason in the rejects report, and the batch goes on.",
    )
    sp.add_argument("letters", nargs="+", metavar="LETTERS", help="letter files or folders")
    where = sp.add_mutually_exclusive_group()
    where.add_argument("--corpus", default="data/corpus", help="corpus folder to update (default data/corpus)")
    where.add_argument("-o", "--output", help="write every item to this file (.jsonl, .parquet or .csv) instead")
    sp.add_argument("--prune", action="store_true", help="remove from the corpus the letters gone from LETTERS")
    sp.add_argument("--rejects", help="with -o: rejects report (JSONL: file, reason); default OUTPUT.rejects.jsonl")
    sp.add_argument("--allow-rejects", action="store_true", help="exit 0 even when some files were rejected")
    sp.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="worker processes (default: one per core; small inputs start fewer; 0 = in this process, without "
        "the time and memory limits)",
    )
    sp.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    sp.set_defaults(func=_cmd_parse)

    sp = sub.add_parser(
        "labels",
        help="normalize guideline citations into classifier labels and summarize them",
        description="Read parsed items, normalize every claims-administrator and reviewer citation "
        "(family, guideline, topic), print label counts and the citations that could not be normalized, "
        "and write the labelled items.",
    )
    sp.add_argument("items", metavar="ITEMS", help="parsed items (.jsonl, .parquet or .csv), or a corpus folder")
    sp.add_argument("-o", "--output", help="labelled items file; default: print the summary only")
    sp.set_defaults(func=_cmd_labels)

    sp = sub.add_parser(
        "synth",
        help="generate a corpus of realistic letters with their true items",
        description="Write N generated IMR letters (all three letter generations) and a JSONL of their "
        "true items and labels. Every sentence is the project's own; nothing comes from real letters.",
    )
    sp.add_argument("-n", type=int, default=1000, help="number of letters (default 1000)")
    sp.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives byte-identical output")
    sp.add_argument("-o", "--output", required=True, help="output folder")
    sp.add_argument("--format", choices=("txt", "pdf"), default="txt", help="letter file format (default txt)")
    sp.add_argument("--overturn-rate", type=float, default=0.10, help="share of Overturned items (default 0.10)")
    sp.set_defaults(func=_cmd_synth)

    sp = sub.add_parser(
        "train",
        parents=[limit_flags],
        help="train a classifier from an experiment file, tracked in MLflow",
        description="Train the experiment defined in a TOML file (data, view, target, features, model, split), "
        "log params, metrics with 95% intervals (resampling letters), plots and the fitted pipeline to MLflow "
        "and register it. With test data, the model fit on all of the training data is also measured on it in "
        "the same run (test.* metrics): train on older letters, test on newer ones.",
    )
    sp.add_argument("experiment", help="experiment file, e.g. experiments/outcome_case_logreg.toml")
    sp.add_argument("--data", help="override the experiment's data (items file, corpus folder, or letters folder)")
    sp.add_argument(
        "--test-data",
        metavar="DATA",
        help="labelled items or letters to measure the trained model on (overrides the experiment's [data] test)",
    )
    sp.set_defaults(func=_cmd_train)

    sp = sub.add_parser(
        "evaluate",
        parents=[limit_flags],
        help="measure a trained model on labelled letters it never saw, with 95%% intervals",
        description="Measure a trained model on labelled letters or items it was not trained on: its metrics "
        "with 95% bootstrap intervals (resampling letters), plots and misclassified items, logged as an "
        "evaluation run in the model's MLflow experiment, linked to the model version and the data set. "
        "Labels the model never saw count as its 'other-rare' class when it has one.",
    )
    sp.add_argument(
        "model",
        metavar="MODEL",
        help="a registered model (outcome_case = its champion; outcome_case@alias; outcome_case/3), "
        "a run id, or a model URI (models:/..., runs:/.../model)",
    )
    sp.add_argument("data", metavar="DATA", help="labelled letters (files or a folder) or an items table")
    sp.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples of the letters (default 1000)")
    sp.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    sp.set_defaults(func=_cmd_evaluate)

    sp = sub.add_parser(
        "compare",
        help="print the leaderboard of trained and evaluated models, baselines marked",
        description="Print the runs of every imrml MLflow experiment (or of one) as leaderboards: one per data "
        "set and way of measuring (cross-validation on one training set, or held out on one test set), since "
        "only numbers on the same data compare; best first by the primary metric with its 95% interval; "
        "baselines and the registered champion marked. The same comparison as MLflow's runs table.",
    )
    sp.add_argument("name", nargs="?", metavar="NAME", help="one experiment, e.g. outcome_case (default: all)")
    sp.set_defaults(func=_cmd_compare)

    sp = sub.add_parser(
        "promote",
        parents=[limit_flags],
        help="move a registered model's 'champion' alias to its latest version if it is better on the same data",
        description="Compare the latest (or given) version of a registered model with the current champion on "
        "the primary metric, only on numbers measured on the same data: with --on DATA, both measured on that "
        "labelled data; otherwise a held-out evaluation both have, or their cross-validation when both were "
        "trained on the same data with the same folds. The 'champion' alias moves only if the candidate is "
        "better; when the two share no data, nothing is compared and the command says so. Concurrent "
        "promotions are safe: the champion ends as the better version and each caller is told what happened.",
    )
    sp.add_argument("model", help="registered model name")
    sp.add_argument("--version", help="candidate version (default: the latest)")
    sp.add_argument(
        "--on",
        metavar="DATA",
        help="compare on these labelled letters or items (neither version trained on them); each version is "
        "evaluated on them unless it already was",
    )
    sp.set_defaults(func=_cmd_promote)

    sp = sub.add_parser(
        "score",
        parents=[limit_flags],
        help="batch-score letters or parsed items with a registered model",
        description="Score letters (PDF/text, parsed on the way) or parsed items (JSONL, Parquet, CSV) with a "
        "model URI such as models:/outcome_case@champion. Output is CSV, Parquet or JSONL by suffix.",
    )
    sp.add_argument(
        "--model",
        required=True,
        help="registered model or run: models:/NAME@ALIAS, models:/NAME/VERSION or runs:/RUN_ID/model",
    )
    sp.add_argument(
        "--allow-model-path",
        action="store_true",
        help="also load --model (and --precedents-model) from a file path or another URI; a model is code that "
        "runs when it loads, so only from a store you trust",
    )
    sp.add_argument("inputs", nargs="+", metavar="INPUT", help="letters, folders, item tables or corpus folders")
    sp.add_argument("-o", "--output", required=True, help="scored file (.jsonl, .parquet or .csv)")
    sp.add_argument("--rejects", help="rejects report; default: OUTPUT.rejects.jsonl")
    sp.add_argument("--explain", action="store_true", help="add the features that pushed each prediction most")
    sp.add_argument("--chunk-size", type=int, default=5_000, help="items per chunk (default 5000)")
    sp.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="worker processes scoring chunks in parallel (default: one per core for inputs of 50,000 items or "
        "more, estimated at 2.2 per letter, else none; 1 = in process)",
    )
    sp.add_argument(
        "--precedents",
        type=int,
        metavar="K",
        help="also write each item's K most similar decided items to OUTPUT's name + .precedents "
        "(the same table as 'imrml precedents')",
    )
    sp.add_argument(
        "--precedents-model",
        metavar="URI",
        help="the precedents index for --precedents (default models:/precedents@champion)",
    )
    sp.add_argument("--allow-rejects", action="store_true", help="exit 0 even when some inputs were rejected")
    sp.set_defaults(func=_cmd_score)

    sp = sub.add_parser(
        "report",
        parents=[limit_flags],
        help="tables and charts across letters: what was decided, and on which guideline",
        description="Write one self-contained HTML page (charts inline, no network) with every table also as CSV "
        "and every chart as SVG: the corpus, volume and overturn rate per month, outcome by treatment category and "
        "drug class, by the reviewer's guideline family, guideline and topic, the claims administrator's guideline "
        "against the reviewer's, items with no medical evidence cited, reviewer specialty and licensure, timing "
        "against the limits in the Labor Code, patients, and the most frequent requests. Every rate has its count "
        "and a Wilson 95% interval.",
    )
    sp.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="letters (.pdf, .txt, or folders of them: parsed on the way) or parsed items (.jsonl, .parquet, .csv, "
        "or a folder of them)",
    )
    sp.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="REPORT_DIR",
        help="folder for report.html, tables/, charts/ and rejects.jsonl",
    )
    sp.add_argument(
        "--by",
        metavar="COLUMN",
        help="put each table's groups side by side: year, template, "
        "priority, treatment_category, ... (at most 12 groups)",
    )
    sp.add_argument(
        "--since",
        metavar="DATE",
        help="only items decided on or after DATE (YYYY-MM-DD); items without a decision date are left out",
    )
    sp.add_argument("--until", metavar="DATE", help="only items decided on or before DATE (YYYY-MM-DD)")
    sp.add_argument(
        "--min-count",
        type=int,
        default=20,
        metavar="N",
        help="groups with fewer than N items behind "
        "their rate are marked small, and folded into 'other' in charts (default 20)",
    )
    sp.add_argument(
        "--mlflow",
        action="store_true",
        help="log the report as an MLflow run's artifacts, with its headline numbers as metrics",
    )
    sp.set_defaults(func=_cmd_report)

    sp = sub.add_parser(
        "precedents",
        parents=[limit_flags],
        help="the decided items most like each item, how they were decided and why",
        description="For each item of letters, item tables or cases before review, the K most similar decided "
        "items (case id, decision date, item, decision, the reviewer's guideline family and topic, similarity, "
        "the first sentences of the rationale), and per item the overturned share among them with a 95% "
        "interval and how many took the majority decision. Similarity reads only what exists before review "
        "(case summary, the request and its fields, the claims administrator's guideline), within the item's "
        "treatment class unless --all-classes. One output row per item and precedent; an item with fewer "
        "than K says why in 'note'.",
    )
    sp.add_argument("inputs", nargs="+", metavar="INPUT", help="letters, folders or item tables")
    sp.add_argument("-o", "--output", required=True, help="precedents file (.jsonl, .parquet or .csv)")
    sp.add_argument("--k", type=int, default=None, help="precedents per item (default: the index's, 10)")
    sp.add_argument("--all-classes", action="store_true", help="compare with decided items of every treatment class")
    sp.add_argument(
        "--model", metavar="URI", help="a registered precedents index (default models:/precedents@champion)"
    )
    sp.add_argument(
        "--decided",
        metavar="PATH",
        help="index these decided items now (an items table or letters) instead of a registered index",
    )
    sp.add_argument(
        "--experiment", metavar="FILE", help="with --decided: index settings (default: experiments/precedents.toml's)"
    )
    sp.add_argument(
        "--allow-model-path",
        action="store_true",
        help="also load --model from a file path or another URI (a model is code: only one you trust)",
    )
    sp.add_argument("--rejects", help="rejects report; default: OUTPUT.rejects.jsonl")
    sp.add_argument("--chunk-size", type=int, default=5_000, help="items per chunk (default 5000)")
    sp.add_argument("--allow-rejects", action="store_true", help="exit 0 even when some inputs were rejected")
    sp.set_defaults(func=_cmd_precedents)

    sp = sub.add_parser(
        "demo",
        help="run the whole pipeline end to end on a generated corpus",
        description="Generate letters, parse and label them, hold back a slice, train the outcome and guideline "
        "models for both views, promote champions, score the held-back slice and print a summary. Running it "
        "again reuses the corpus and any model that already has a champion.",
    )
    sp.add_argument("--letters", type=int, default=500, help="letters to generate (default 500)")
    sp.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    sp.add_argument("-o", "--output", default="data/demo", help="demo folder (default data/demo)")
    sp.set_defaults(func=_cmd_demo)
    return p


class Terminated(BaseException):
    """SIGTERM, raised where the program is so that cleanup runs (not an Exception: nothing may swallow it)."""


def _terminate(signum, frame) -> None:
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with redacted_output():
        logging.basicConfig(
            level=logging.DEBUG if args.verbose else logging.WARNING, format=f"imrml {args.command}: %(message)s"
        )
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    main_thread = threading.current_thread() is threading.main_thread()  # only it may set signal handlers
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("imrml: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("imrml: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except (UserError, OSError) as e:
        print(f"imrml {args.command}: error: {redact(_one_line(e))}", file=sys.stderr)
        return 2
    except Exception:  # a bug: its traceback (redacted like all output)
        traceback.print_exc()
        return 1
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


def _one_line(e: BaseException) -> str:
    if isinstance(e, OSError) and e.filename is not None:
        return f"{e.filename}: {e.strerror or e}"
    return (str(e).splitlines() or [type(e).__name__])[0]
