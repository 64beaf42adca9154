"""A generated corpus of realistic IMR letters with their true items, for the demo, the tests and benchmarks.

Read in this order (each module uses only the ones above it):

- ``catalogue``: the data files, loaded once and checked: ``data/synth_catalogue.toml``
  (treatments, body regions, how case facts move the odds) and ``data/phrases.toml``
  (every sentence the letters draw from);
- ``typeset``: dates as letters print them, line wrapping, pages;
- ``plan``: the generative model of a letter: treatments, case facts, outcome logits
  and decisions, citations (``plan_letter``, ``decide``, ``intercept_for``);
- ``prose``: the case summary, rationales and credentials sentence all layouts share;
- ``letter``: ``GeneratedLetter`` and its answer key (the records the parser should read back);
- ``render_2013``: the text of a 2013 letter;
- ``render``: the text of 2016 and 2014 letters, and ``render_letter`` for any plan;
- ``pdf``: a letter as a PDF with a text layer (fpdf2);
- ``corpus``: ``generate_letters`` and ``write_corpus``, the entry points.
"""
