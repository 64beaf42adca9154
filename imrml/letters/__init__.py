"""Letters: text extraction, letter layouts and parsing, citations, labels and their summary."""
