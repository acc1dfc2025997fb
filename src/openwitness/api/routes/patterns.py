"""/api/v1/patterns: early warning (openwitness.patterns) for any account: the flags of the
current model with their facts, and the model versions with their evaluations. Analysts get
the flags de-identified (no officer, no partners' names)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from openwitness.api.deps import Reader, ServicesDep, viewer

router = APIRouter(prefix="/api/v1/patterns", tags=["early warning"])

LabelQuery = Annotated[
    str,
    Query(
        pattern="^(any|sustained)$",
        description="What the model predicts: a sustained allegation, or any, in 12 months.",
    ),
]


@router.get("/flags")
def flags(services: ServicesDep, reader: Reader, label: LabelQuery = "sustained") -> dict[str, Any]:
    """The officers the latest model flags as the records stand now (scored again whenever
    the allegations change): as many as "3 or more in 12 months" flags, best first, each with
    the facts that drove it. ``model`` is null, and ``flags`` empty, until a model is trained
    (``witness patterns train``)."""
    run = services.early_warning.current(label)
    if run is None:
        return {"label": label, "model": None, "as_of": None, "flags": []}
    hidden = viewer(reader).de_identified
    return {
        "label": label,
        "model": run.model.to_dict(),
        "as_of": run.as_of.isoformat(),
        "computed_at": run.computed_at.isoformat(),
        "population": run.population,
        "flags": [flag.to_dict(de_identified=hidden) for flag in run.flags],
    }


@router.get("/models")
def models(
    services: ServicesDep,
    _reader: Reader,
    full: Annotated[bool, Query(description="Every test year's figures, not only pooled")] = False,
) -> list[dict[str, Any]]:
    """Every trained model, newest first, with the rolling evaluation run with it."""
    return [info.to_dict(full) for info in services.early_warning.models()]
