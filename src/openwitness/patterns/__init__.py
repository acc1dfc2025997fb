"""Early warning: officers whose pattern of allegations needs action, and the proof."""

from datetime import date

from openwitness.core.errors import InvalidRequestError

#: day numbers count from here (``records.day_number``)
EPOCH = date(1900, 1, 1)
YEAR = 365

#: what a model predicts: any allegation in the next 12 months, or one found proven
LABELS = ("any", "sustained")


def check_label(label: str) -> None:
    if label not in LABELS:
        raise InvalidRequestError(f"label must be one of {', '.join(LABELS)}, not {label!r}")
