"""The time limits the law sets on independent medical review, and how each applies to the dates a letter
states. The page quotes these; the timing table counts the items past them.

Sources (California Labor Code, as amended by SB 863, 2012, and SB 1160, 2016):
- section 4610.6(d): the IMR organization completes its review and issues its determination within 30 days of
  receiving the request for review and the supporting documentation; when the employee's provider or the
  administrative director certifies an imminent and serious threat to the employee's health, within 3 days
  of receiving the information. Since 2018 a dispute over a drug-formulary medication has 5 working days
  (4610.6(d)(1)(A)); the letters this project reads predate the formulary and the letters do not mark such
  disputes, so the report applies the 30 and 3 days.
- section 4610.5(h)(1): the request for IMR (the DWC Form IMR application) is filed within 30 days after
  service of the utilization review decision (8 CCR 9792.10.1(b)(1) says the same); the report applies
  30 days whatever the review's priority.
"""

from __future__ import annotations

from dataclasses import dataclass

STANDARD, EXPEDITED = "Standard", "Expedited"


@dataclass(frozen=True)
class Interval:
    """Days from one date of the letter to another, the limit the law sets on it, and how it applies."""

    name: str
    start: str
    end: str
    limits: dict[str, int]  # days allowed, by the letter's priority
    rule: str  # the statute
    applies: str  # what the interval shown measures against that rule

    @property
    def column(self) -> str:
        return f"days: {self.start} -> {self.end}"


INTERVALS = (
    Interval(
        name="application received to decision",
        start="application_received",
        end="decision_date",
        limits={STANDARD: 30, EXPEDITED: 3},
        rule="Labor Code 4610.6(d): the determination is due within 30 days of receipt of the request for review "
        "and supporting documentation; 3 days when an imminent and serious threat to the employee's health is "
        "certified (expedited review).",
        applies="The letter gives the day the application was received, not the day the supporting documents "
        "arrived, which can be later; the clock runs from the later of the two, so an item past the limit here "
        "is not necessarily late. Read this as an upper bound of lateness.",
    ),
    Interval(
        name="assigned to decision",
        start="date_assigned",
        end="decision_date",
        limits={STANDARD: 30, EXPEDITED: 3},
        rule="Labor Code 4610.6(d), as above.",
        applies="The review organization is assigned the case before the medical records reach it (the claims "
        "administrator sends them once notified of the assignment), so this interval, too, starts before the "
        "4610.6(d) clock; it is the closer of the two to the statutory period, and still an upper bound.",
    ),
    Interval(
        name="UR denial to application received",
        start="ur_denial_date",
        end="application_received",
        limits={STANDARD: 30, EXPEDITED: 30},
        rule="Labor Code 4610.5(h)(1): the request for independent medical review is filed within 30 days after "
        "service of the utilization review decision (the report applies 30 days to every priority).",
        applies="The letter gives the date of the UR decision, not the date it was served, and the application's "
        "date of receipt, not of filing; service by mail extends the period by a few days (Code of Civil "
        "Procedure 1013). An application found late can be ruled ineligible and then gets no letter, so a few "
        "days past 30 here are not necessarily late.",
    ),
)
