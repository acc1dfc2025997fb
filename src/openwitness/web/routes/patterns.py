"""The early-warning page (signed in): the officers the latest model flags, with the facts
behind each flag and their percentiles. Caseworkers and administrators see who is flagged;
analysts see the same flags with no officer named (the core's de-identified flags)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from openwitness.api.deps import ServicesDep, viewer
from openwitness.core.errors import InvalidRequestError
from openwitness.patterns import LABELS
from openwitness.web.routes.casework import SignedIn, render

router = APIRouter(include_in_schema=False)


def officers_named(flags: list[dict[str, Any]]) -> set[int]:
    """Every officer a flag names: the flagged one and the co-accused in its facts."""
    named = {flag["officer"] for flag in flags if "officer" in flag}
    for flag in flags:
        for fact in flag["facts"]:
            named |= {partner["officer"] for partner in fact.get("partners", [])}
    return named


@router.get("/patterns", response_class=HTMLResponse)
def flags_page(
    request: Request, services: ServicesDep, account: SignedIn, label: str = "sustained"
) -> HTMLResponse:
    if label not in LABELS:
        raise InvalidRequestError("the label is either sustained or any")
    other = "any" if label == "sustained" else "sustained"
    run = services.early_warning.current(label)
    if run is None:
        return render(request, account, "patterns.html", title="Early warning", run=None,
                    label=label, other=other)  # fmt: skip
    hidden = viewer(account).de_identified
    flags = [flag.to_dict(de_identified=hidden) for flag in run.flags]
    return render(
        request, account, "patterns.html", title="Early warning", run=run, label=label,
        other=other, flags=flags, hidden=hidden,
        labels=services.officers.labels(officers_named(flags)),
        headline=run.model.evaluation.get("rules", {}).get("rule>=3/12m"),
        test_years=len(run.model.evaluation.get("years", [])),
    )  # fmt: skip
