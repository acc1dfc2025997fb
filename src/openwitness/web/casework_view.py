"""What the casework pages show, put into words: each history entry as "Allegation 3: status
received → closed", evidence metadata under readable labels with rounded values.

Kept apart from the routes so the templates receive plain (label, text) pairs and never print
a raw key, a ``None`` or a long float."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from openwitness.web.templating import when

EMPTY = "—"
#: History fields whose values are officer record numbers, shown by label instead.
OFFICER_FIELDS = ("officer", "officer_id")
FIELD_LABELS = {
    "officer_id": "officer",
    "reporter_kind": "reported by",
    "outcome_notified_on": "complainant told of the outcome on",
    "review_requested_on": "review asked for on",
    "due_on": "next action due on",
}
_SLUG = re.compile(r"[a-z][a-z0-9]*(?:[-/][a-z0-9]+)+")
SUBJECTS = {"case": "Case", "allegation": "Allegation", "person": "Person"}


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name.replace("_", " "))


def value_text(value: Any) -> str:
    """A recorded value as people read it: never "None"; slugs as words."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{field_label(k)} {value_text(v)}" for k, v in value.items())
    text = str(value)
    if _SLUG.fullmatch(text):
        return text.replace("/", " \u203a ").replace("-", " ")  # an angle quote between levels
    return text


def officers_in(changes: Iterable[dict[str, Any]]) -> set[int]:
    """The officer record numbers the history mentions, to label them in one query."""
    found: set[int] = set()
    for change in changes:
        for side in (change.get("before") or {}, change.get("after") or {}):
            found.update(v for k, v in side.items() if k in OFFICER_FIELDS and isinstance(v, int))
    return found


def history_entries(
    changes: Iterable[dict[str, Any]], labels: dict[int, str]
) -> list[dict[str, Any]]:
    """Each change: when, who, what (subject and action) and every field before → after.

    A record made ("create") lists its fields' values; a change lists before → after."""

    def shown(name: str, value: Any) -> str:
        if name in OFFICER_FIELDS and isinstance(value, int):
            return labels.get(value, f"officer record {value}")
        return value_text(value)

    entries = []
    for change in changes:
        before, after = change.get("before") or {}, change.get("after") or {}
        kind = SUBJECTS.get(change.get("entity", ""), "Record")
        subject = f"{kind} {change.get('entity_id', '')}"
        action = {"create": "added", "update": "changed"}.get(change["action"], change["action"])
        created = not before
        fields = [
            {
                "name": field_label(name),
                "before": None if created else shown(name, before.get(name)),
                "after": shown(name, after.get(name)),
            }
            for name in dict.fromkeys([*before, *after])
        ]
        entries.append(
            {
                "at": change["at"],
                "actor": change["actor"],
                "subject": subject.strip(),
                "action": action,
                "fields": fields,
            }
        )
    return entries


def size_text(size: int) -> str:
    """Bytes as "4.2 MB" (or KB under a tenth of a megabyte)."""
    if size >= 100_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(size / 1000, 0.1):.1f} KB" if size else "0 KB"


def duration_text(seconds: float) -> str:
    """A length as "1 h 2 min 5 s", "1 min 5 s" or "4.2 s"."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h"] if hours else []
    if hours or minutes:
        parts.append(f"{minutes} min")
    parts.append(f"{secs} s")
    return " ".join(parts)


def evidence_facts(metadata: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Extracted metadata as (label, text) pairs; what was not found is left out."""
    meta = metadata or {}
    facts: list[tuple[str, str]] = []
    if meta.get("capture_time"):
        taken = when(meta["capture_time"])
        if meta.get("capture_time_zone_known") is False:
            taken += " (time zone not recorded)"
        facts.append(("Taken", taken))
    gps = meta.get("gps") or {}
    if gps.get("lat") is not None and gps.get("lon") is not None:
        position = f"{gps['lat']:.4f}, {gps['lon']:.4f}"
        if gps.get("alt") is not None:
            position += f", {round(gps['alt'])} m above sea level"
        facts.append(("Position", position))
    device = meta.get("device") or {}
    camera = " ".join(str(device[k]) for k in ("make", "model") if device.get(k))
    if camera:
        facts.append(("Camera", camera))
    if device.get("software"):
        facts.append(("Software", str(device["software"])))
    if meta.get("duration_s"):
        facts.append(("Length", duration_text(float(meta["duration_s"]))))
    if meta.get("width") and meta.get("height"):
        frame = f"{meta['width']} \u00d7 {meta['height']} pixels"  # a multiplication sign
        if meta.get("rotation"):
            frame += f", turned {meta['rotation']}°"
        facts.append(("Frame", frame))
    streams = [
        f"{c.get('type', 'stream')} ({c.get('codec', 'unknown')})" for c in meta.get("codecs") or []
    ]
    if streams:
        facts.append(("Streams", ", ".join(streams)))
    if meta.get("c2pa"):
        facts.append(("Content Credentials", "present"))
    return facts
