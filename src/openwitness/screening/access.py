"""Who may do what with a screened chat: one place, used by the API, the pages and the CLI.

- ``screener`` of the organisation that holds the export: everything, participants' names and
  numbers included; lodges exports and decides on messages.
- ``admin``, and a ``caseworker`` of that organisation: the messages with participants
  masked ("Participant 3"); an admin lodges exports too.
- ``analyst``: counts only (messages, flags, by participant number and by month), never text.
- anyone else (another organisation's screener or caseworker): nothing; the export is
  answered as not found, so knowing its number tells nothing.
- ``operator`` (the CLI on the server, which holds the keys): everything.
"""

from __future__ import annotations

from openwitness.cases.access import Viewer
from openwitness.core.errors import ForbiddenError, NotFoundError


def may_know_of(viewer: Viewer, organisation_id: str | None) -> bool:
    if viewer.role in ("operator", "admin", "analyst"):
        return True
    return viewer.role in ("screener", "caseworker") and viewer.organisation_id == organisation_id


def may_read_messages(viewer: Viewer, organisation_id: str | None) -> bool:
    return viewer.role != "analyst" and may_know_of(viewer, organisation_id)


def may_see_names(viewer: Viewer, organisation_id: str | None) -> bool:
    if viewer.role == "operator":
        return True
    return viewer.role == "screener" and viewer.organisation_id == organisation_id


def may_decide(viewer: Viewer, organisation_id: str | None) -> bool:
    return may_see_names(viewer, organisation_id)


def may_lodge(viewer: Viewer) -> bool:
    return viewer.role in ("operator", "admin", "screener")


def check_known(viewer: Viewer, export_id: int, organisation_id: str | None) -> None:
    if not may_know_of(viewer, organisation_id):
        raise NotFoundError(f"no screened export {export_id}")


def check(allowed: bool, what: str) -> None:
    if not allowed:
        raise ForbiddenError(what)
