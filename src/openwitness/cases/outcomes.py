"""The vocabulary of an allegation's progress: status, handling route, findings and results.

England and Wales terms follow the Police (Complaints and Misconduct) Regulations 2020 (SI
2020/2) and the Police (Conduct) Regulations 2020 (SI 2020/4); sources are in
``docs/outcomes.md``. Other jurisdictions' findings (sustained, exonerated, …) sit beside them,
so an imported Chicago or New York record keeps its own meaning instead of being forced into
the English one. The recommended and the final finding (and result) are kept apart, as the
Citizens Police Data Project does: the gap between them is often the story.
"""

from __future__ import annotations

from openwitness.core.errors import InvalidRequestError

STATUSES = ("received", "assessed", "under-investigation", "closed")

HANDLING_ROUTES = (
    "outside-schedule-3",  # handled informally, not recorded under Schedule 3 of PRA 2002
    "schedule-3",  # recorded and handled under Schedule 3 (investigation or otherwise)
    "referred-to-iopc",  # referred to the IOPC (or PIRC / PONI)
)

FINDINGS = (
    # England and Wales, the investigator's opinion on an individual (SI 2020/4 reg 21)
    "case-to-answer-gross-misconduct",
    "case-to-answer-misconduct",
    "no-case-to-answer",
    # per allegation, England and Wales (older records), Scotland and Northern Ireland
    "upheld",
    "not-upheld",
    # other jurisdictions (Chicago, New York, …)
    "sustained",
    "not-sustained",
    "exonerated",
    "unfounded",
    # closed with no finding on the merits: withdrawn, complainant uncooperative or
    # unavailable, no affidavit signed, victim unidentified
    "closed-without-finding",
    "other",
)

RESULTS = (
    # England and Wales (SI 2020/4): not disciplinary
    "no-further-action",
    "reflective-practice",  # Reflective Practice Review Process (RPRP)
    "practice-requiring-improvement",  # Performance Regulations
    # England and Wales disciplinary outcomes (reg 42) and the lists kept by the College
    "written-warning",
    "final-written-warning",
    "reduction-in-rank",
    "dismissal-without-notice",
    "barred-list",
    "advisory-list",
    # other jurisdictions
    "instructions-or-training",
    "reprimand",
    "suspension",
    "separation",
    "resigned-or-retired",
    "charges",
    "command-discipline",
    "other",
)

#: Days a complainant in England and Wales has to apply for a review (SI 2020/2 reg 29).
REVIEW_WINDOW_DAYS = 28


def check(field: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    """``value`` if it is one of ``allowed`` (or None); otherwise an error naming the field."""
    if value is not None and value not in allowed:
        raise InvalidRequestError(f"{field}: {value!r} is not one of {', '.join(allowed)}")
    return value
