"""The report across letters: what was decided, and on which guideline (``imrml report``).

frame (the items, read once, with the columns every table groups by) -> tables (counts, rates and
Wilson intervals) -> charts (SVG) -> page (one self-contained HTML file). Writing files is the job's.
"""
