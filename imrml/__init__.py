"""imrml: learn from California Independent Medical Review final determination letters.

The pipeline, one module per step:
    parse   letters (PDF or text) -> one ItemRecord per disputed item
    labels  citations -> normalized guideline family / topic labels
    synth   a generated corpus of realistic letters with their true items
    features, models, train   experiment files -> fitted pipelines tracked in MLflow
    score   batch-score new cases with a registered model
"""

from .schema import Citation, ItemRecord, Letter

__version__ = "0.1.0"


def parse_letter(path_or_text, source_file=None):
    """Parse one letter (a path to .pdf/.txt, or the letter's text) into a Letter with its items."""
    from .parse import parse_letter as _parse_letter

    return _parse_letter(path_or_text, source_file=source_file)


__all__ = ["Citation", "ItemRecord", "Letter", "parse_letter", "__version__"]
