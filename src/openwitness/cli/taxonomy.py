"""``witness taxonomy``: the allegation categories, for people writing imports."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from openwitness.cases.taxonomy import taxonomy


def show_taxonomy(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON as the API does.")] = False,
) -> None:
    """List allegation categories (IOPC) and the legacy IPCC codes A to Y with their mapping."""
    data = taxonomy()
    if as_json:
        print(json.dumps(data, indent=2))
        return
    for category in data["categories"]:
        note = "" if category["verified"] else "  (not verified against a source)"
        print(f"{category['id']}\t{category['name']}{note}")
        for sub in category["subcategories"]:
            print(f"  {sub['id']}\t{sub['name']}")
    print("\nlegacy IPCC codes:")
    for legacy in data["legacy_codes"]:
        print(f"  {legacy['code']}\t{legacy['name']}\t-> {legacy['maps_to']}")
