"""``witness case``: cases, allegations, outcomes and the follow-up clock, for the operator."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from openwitness.cli.common import console, err_console, fail, services

if TYPE_CHECKING:  # the core is imported inside the commands, so `witness verify` starts fast
    from pydantic import BaseModel

    from openwitness.cases.access import Viewer
    from openwitness.services import Services

app = typer.Typer(
    help="Cases: reports, allegations, outcomes and the follow-up clock.", no_args_is_help=True
)


def _operator() -> Viewer:
    from openwitness.cases.access import Viewer

    return Viewer.operator(f"cli:{getpass.getuser()}")


def _date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    from openwitness.cases.forms import DAY_RANGE, EARLIEST_DAY, LATEST_DAY

    try:
        day = date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)")
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        fail(f"{option}: {DAY_RANGE}")
    return day


F = TypeVar("F", bound="BaseModel")


def _form(model: type[F], data: Any) -> F:
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        fail(f"{where}: {first['msg']}")


def _print(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


@app.command("add")
def add(
    file: Annotated[
        Path,
        typer.Argument(
            help="The case as JSON (the body of POST /api/v1/cases), or - for standard input."
        ),
    ],
    org: Annotated[str | None, typer.Option(help="Organisation the case belongs to.")] = None,
) -> None:
    """Record a case from a JSON file: incident, reporter, people, allegations."""
    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"{file}: not readable JSON ({exc})")
    from openwitness.cases.forms import CaseForm

    form = _form(CaseForm, data)
    with services() as svc:
        operator = _operator()
        case, _ = svc.cases.add(form.to_new_case(), operator.name, org, operator.entitlement())
    console.print(f"added case {case.id} ({len(case.allegations)} allegations)", highlight=False)


@app.command("show")
def show(
    case_id: Annotated[int, typer.Argument(help="Case id.")],
    personal_data: Annotated[
        bool, typer.Option("--personal-data", help="Also open the people's sealed details.")
    ] = False,
) -> None:
    """A case in full; people's details stay sealed unless --personal-data is given."""
    from openwitness.cases.access import Viewer

    viewer = _operator() if personal_data else Viewer(_operator().name, "admin")
    with services() as svc:
        _print(svc.cases.view(case_id, viewer))


@app.command("list")
def list_cases(
    force: Annotated[str | None, typer.Option(help="Force id.")] = None,
    officer: Annotated[int | None, typer.Option(help="Officer id.")] = None,
    category: Annotated[str | None, typer.Option(help="Category id (subcategories too).")] = None,
    status: Annotated[str | None, typer.Option(help="An allegation's status.")] = None,
    since: Annotated[str | None, typer.Option(help="Received on or after (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Received on or before (YYYY-MM-DD).")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only with overdue items.")] = False,
    search: Annotated[str | None, typer.Option("--search", "-q", help="Full-text search.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    offset: Annotated[int, typer.Option(help="Skip this many.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """Find cases, newest first."""
    from openwitness.cases.listing import Filters

    filters = Filters(
        force,
        officer,
        category,
        status,
        _date("--since", since),
        _date("--until", until),
        overdue,
        search,
    )
    with services() as svc:
        if force is not None:
            _known_force(svc, force)
        page = svc.listings.cases(filters, _operator(), limit, offset)
    if as_json:
        _print(page.to_dict())
        return
    print("case\treceived\tforce\tallegations")
    for item in page.items:
        flags = f" OVERDUE {item['overdue']}" if item["overdue"] else ""
        print(
            f"{item['id']}\t{item['month']}\t{item['force']}\t"
            f"{item['allegations']} allegations, {item['open']} open{flags}"
        )
    last = offset + len(page.items)
    if page.has_more:
        print(f"cases {offset + 1} to {last} shown; more: --offset {last}")
    elif offset and not page.items:
        print(f"no cases from offset {offset}")
    else:
        shown = f", {offset + 1} to {last} shown" if offset else ""
        print(f"{last} case{'' if last == 1 else 's'} in all{shown}")


def _known_force(svc: Services, force: str) -> None:
    """An unknown force is refused, as an unknown category is, not answered with no cases."""
    from openwitness.core.errors import NotFoundError

    try:
        svc.forces.get(force)
    except NotFoundError:
        fail(f"force: unknown force {force!r} (see 'witness force list')")


@app.command("allegation")
def add_allegation(
    case_id: Annotated[int, typer.Argument(help="Case id.")],
    officer: Annotated[int | None, typer.Option(help="Officer id (omit if unidentified).")] = None,
    category: Annotated[str | None, typer.Option(help="Category id ('witness taxonomy').")] = None,
    next_action: Annotated[str | None, typer.Option(help="What must happen next.")] = None,
    due: Annotated[str | None, typer.Option(help="When it is due (YYYY-MM-DD).")] = None,
) -> None:
    """Add an allegation; warns when the officer has earlier unresolved allegations."""
    from openwitness.cases.forms import AllegationForm

    form = _form(
        AllegationForm,
        {
            "officer": officer,
            "category": category,
            "next_action": next_action,
            "due_on": _date("--due", due),
        },
    )
    with services() as svc:
        allegation, earlier = svc.cases.add_allegation(case_id, form.to_new(), _operator())
    console.print(f"added allegation {allegation.id}, due {allegation.due_on}", highlight=False)
    if earlier:
        overdue = sum(a.is_overdue for a in earlier)
        err_console.print(
            f"[yellow]warning:[/yellow] officer {officer} has {len(earlier)} earlier unresolved "
            f"allegation(s), {overdue} overdue: {', '.join(str(a.id) for a in earlier)}",
            highlight=False,
        )


@app.command("outcome")
def outcome(
    allegation_id: Annotated[int, typer.Argument(help="Allegation id.")],
    changes: Annotated[
        list[str],
        typer.Argument(
            help="FIELD=VALUE pairs, e.g. status=closed final_finding=upheld "
            "decided_on=2025-03-01 (FIELD= clears one)."
        ),
    ],
) -> None:
    """Record an allegation's status, handling, findings, results, review or next action."""
    data: dict[str, Any] = {}
    for change in changes:
        field, sep, value = change.partition("=")
        if not sep:
            fail(f"{change!r} is not FIELD=VALUE")
        data[field] = value or None
    from openwitness.cases.forms import OutcomeForm

    form = _form(OutcomeForm, data)
    with services() as svc:
        updated = svc.cases.update_allegation(allegation_id, form.changes(), _operator())
    _print(updated.to_dict())


@app.command("overdue")
def overdue(
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
) -> None:
    """Overdue allegations: counted per force and per officer, longest overdue first."""
    from openwitness.cases.listing import Filters

    with services() as svc:
        counts = svc.listings.overdue_counts(_operator())
        page = svc.listings.allegations(Filters(overdue=True), _operator(), limit=200)
    if as_json:
        _print({**counts, "allegations": page.items})
        return
    print(f"{counts['overdue']} overdue allegations on {counts['as_of']}")
    for row in counts["by_force"]:
        print(f"  {row['force']}: {row['overdue']}")
    for item in page.items:
        print(
            f"allegation {item['id']} (case {item['case']}, officer {item['officer']}): "
            f"due {item['due_on']}: {item['next_action']}"
        )


@app.command("assign")
def assign(
    case_id: Annotated[int, typer.Argument(help="Case id.")],
    org: Annotated[str, typer.Option(help="Organisation id.")],
) -> None:
    """Hand a case (e.g. a report from the public) to an organisation."""
    with services() as svc:
        svc.cases.assign(case_id, org, _operator().name)
    console.print(f"case {case_id} assigned to {org}", highlight=False)


@app.command("history")
def show_history(case_id: Annotated[int, typer.Argument(help="Case id.")]) -> None:
    """Every change to a case and its allegations: who, when, before → after."""
    with services() as svc:
        changes = svc.cases.history(case_id)
    for change in changes:
        print(
            f"{change['at']}\t{change['actor']}\t{change['action']}\t"
            f"{json.dumps(change['before'])} -> {json.dumps(change['after'])}"
        )


@app.command("erase-person")
def erase_person(
    person_id: Annotated[int, typer.Argument(help="Person id (from 'witness case show').")],
    reason: Annotated[str, typer.Option(help="Why: the legal basis of the request.")],
) -> None:
    """Erase a complainant's or witness's personal details for good (audited), and their name
    and contacts wherever the case's free text and history hold them."""
    with services() as svc:
        done = svc.cases.erase_person(person_id, _operator().name, reason)
    console.print(f"erased the personal details of person {person_id}", highlight=False)
    for change in done["redacted"]:
        records = f" in {change['records']} records" if "records" in change else ""
        console.print(
            f"  {change['field']}: {change['replacements']} replaced{records}", highlight=False
        )
    if not done["redacted"]:
        console.print("  their name and contacts were not in the case's text", highlight=False)
    console.print(f"  search document of case {done['case']} rebuilt", highlight=False)
