"""imrml: learn from California Independent Medical Review final determination letters.

The pipeline, a package per layer, each importing only from the layers above it here:

    records   the item record, the one conversion from records to a frame, table I/O
    letters   PDF/text -> letter layouts -> items, citations, labels
    synth     a generated corpus of letters with their true items
    learn     experiments, views, features, estimators, data sets and splits, metrics (no MLflow)
    mlops     MLflow tracking, the registered pyfunc model and its champion, run artifacts
    jobs      parse, labels, synth, train, evaluate, promote, compare, score, demo
    cli       the ``imrml`` command

What users script, importable from ``imrml`` (each loaded on first use, so that
``import imrml`` stays light):

    parse_letter, parse_paths      letters -> labelled ItemRecords
    label_items                    (re)label records from their citations
    records_to_frame               records -> the frame models read
    load_experiment, build_pipeline   an experiment file -> an unfitted scikit-learn model
    train_experiment               fit, cross-validate, track and register an experiment (and test it)
    evaluate                       a trained model on labelled letters it never saw, with 95% intervals
    promote_model                  make a version champion if it is better on the same data
    load_model, score              a registered model -> scored items
"""

from importlib import import_module

__version__ = "0.1.0"

_PUBLIC = {
    "Citation": "imrml.records.schema",
    "ItemRecord": "imrml.records.schema",
    "Letter": "imrml.records.schema",
    "records_to_frame": "imrml.records.frame",
    "parse_letter": "imrml.letters.parse",
    "parse_paths": "imrml.letters.batch",
    "label_items": "imrml.letters.labels",
    "load_experiment": "imrml.learn.experiment",
    "build_pipeline": "imrml.learn.pipeline",
    "train_experiment": "imrml.jobs.train",
    "evaluate": "imrml.jobs.evaluate",
    "promote_model": "imrml.jobs.promote",
    "load_model": "imrml.mlops.registry",
    "score": "imrml.jobs.score",
}

__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'imrml' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
