"""Normalize guideline citations into labels a classifier can learn (issue 3).

Every parsed :class:`~imrml.schema.Citation` is normalized at three levels:

- ``family``: MTUS, ODG, other (non-MTUS ACOEM and every other source) or none;
- ``guideline``: e.g. "MTUS Chronic Pain", "MTUS Low Back", "ODG Pain";
- ``topic``: one of :data:`TOPICS`, :data:`UNMAPPED`, or None when the citation
  names nothing topical.
"""

from __future__ import annotations

# The families a citation normalizes to. "other" holds non-MTUS ACOEM and every
# other source (UpToDate, journals, URLs, fee schedules): the "ACOEM/other".
FAMILIES = ("MTUS", "ODG", "other", "none")

# Canonical topic names. Others (synth, features) import these exact strings.
TOPICS = (
    "Opioids",
    "Benzodiazepines",
    "Muscle relaxants",
    "Anti-epilepsy drugs",
    "NSAIDs",
    "Topical analgesics",
    "Antidepressants",
    "Other medications",
    "Imaging/special studies",
    "Electrodiagnostic studies",
    "Physical medicine",
    "Chiropractic/manipulation",
    "Acupuncture",
    "Injections",
    "Surgery",
    "DME",
    "TENS/electrical stimulation",
    "Programs",
    "Labs/drug testing",
    "Psychological treatment",
    "Home health/facility care",
    "Office visits/consultations",
    "General approach",
)

# Topic value of a citation whose section/chapter could not be mapped.
UNMAPPED = "unmapped"
