"""Schemathesis over the app's own OpenAPI document: no request may make the server fail (5xx)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from openwitness.app import create_app
from openwitness.cases.forms import CaseForm
from openwitness.core.config import DEFAULT_RATES
from openwitness.ledger import merkle
from openwitness.ledger.entry import parse_entry
from openwitness.ledger.verify import file_sha256
from openwitness.services import Services
from tests.support import ENTITLED, MEDIA, SHARED, require_shared

FILES = [
    MEDIA / "ianare__exif-samples/jpg/Canon_40D.jpg",
    MEDIA / "jmathai__elodie/elodie/tests/files/photo.heic",
    MEDIA / "jmathai__elodie/elodie/tests/files/with-location.jpg",
]
OPERATIONS = {
    "POST /api/v1/evidence",
    "GET /api/v1/evidence/{sha256}",
    "GET /api/v1/evidence/{sha256}/receipt",
    "GET /api/v1/log/checkpoint",
    "GET /api/v1/log/proof/inclusion",
    "GET /api/v1/log/proof/consistency",
    "GET /api/v1/log/entries",
    "GET /api/v1/forces",
    "GET /api/v1/forces/{force_id}",
    "POST /api/v1/forces",
    "GET /api/v1/taxonomy",
    "GET /api/v1/stats/complaints",
    "GET /api/v1/stats/disproportionality",
    "GET /api/v1/stats/disproportionality/by-force",
    "GET /api/v1/stats/monthly",
    "GET /api/v1/stats/breakdowns",
    "GET /api/v1/stats/coverage",
    "GET /api/v1/stats/forces",
    "POST /api/v1/incidents",
    "GET /api/v1/incidents/{incident_id}",
    "GET /api/v1/officers",
    "POST /api/v1/officers",
    "GET /api/v1/officers/{officer_id}",
    "POST /api/v1/officers/{officer_id}/identifiers",
    "POST /api/v1/officers/{officer_id}/merge",
    "GET /api/v1/officers/{officer_id}/record",
    "GET /api/v1/officers/{officer_id}/standing",
    "GET /api/v1/patterns/flags",
    "GET /api/v1/patterns/models",
    "POST /api/v1/screening/exports",
    "GET /api/v1/screening/exports",
    "GET /api/v1/screening/exports/{export_id}",
    "GET /api/v1/screening/exports/{export_id}/messages",
    "GET /api/v1/screening/exports/{export_id}/decisions",
    "POST /api/v1/screening/exports/{export_id}/messages/{position}/decision",
    "POST /api/v1/officers/{officer_id}/photos",
    "GET /api/v1/cases",
    "POST /api/v1/cases",
    "GET /api/v1/cases/{case_id}",
    "GET /api/v1/cases/{case_id}/history",
    "POST /api/v1/cases/{case_id}/allegations",
    "POST /api/v1/cases/{case_id}/people",
    "POST /api/v1/cases/{case_id}/assign",
    "GET /api/v1/allegations",
    "GET /api/v1/allegations/overdue",
    "PATCH /api/v1/allegations/{allegation_id}",
    "POST /api/v1/people/{person_id}/erase",
    "POST /api/v1/reports",
    "POST /api/v1/reports/follow-up",
    "GET /api/v1/export/allegations",
    "POST /api/v1/imports/roster",
    "POST /api/v1/imports/complaints",
    "POST /api/v1/session",
    "GET /api/v1/session",
    "DELETE /api/v1/session",
    "GET /checkpoint",
    "POST /witness/add-checkpoint",
    "GET /api/v1/jobs/{job_id}",
    "GET /witness",
    "GET /tile/entries/{path}",
    "GET /tile/{level}/{path}",
    "POST /api/v1/live",
    "PUT /api/v1/live/{recording}/chunks/{seq}",
    "POST /api/v1/live/{recording}/finish",
    "GET /api/v1/live/{recording}",
    "GET /api/v1/live/{recording}/bundle",
    "GET /api/v1/live/{recording}/media",
}
MAX_EXAMPLES = 40
QUERY_INTEGERS = {
    "/api/v1/log/proof/inclusion": ("index", "size"),
    "/api/v1/log/proof/consistency": ("old", "new"),
    "/api/v1/log/entries": ("start", "end"),
}
BOUNDARY_INTEGERS = [0, 1, 2, 3, 4, 2**31, 2**63 - 1, 2**63, 2**64, 10**30]
LISTINGS = ("/api/v1/cases", "/api/v1/allegations", "/api/v1/export/allegations")
#: Query values at the edges of what the listings' filters take (dates, ids, pages, text).
EDGE_QUERIES: list[dict[str, object]] = [
    *({name: day} for name in ("received_from", "received_to")
      for day in ("9999-12-31", "0001-01-01", "1899-12-31", "1900-01-01", "2100-12-31")),
    {"received_from": "2100-12-31", "received_to": "1900-01-01"},
    *({"officer": n} for n in (0, -1, 2**31 - 1, 2**31, 2**63, 10**30)),
    *({"offset": n} for n in (-1, 2**31 - 1, 2**31, 2**63)),
    *({"limit": n} for n in (0, 201, 2**63)),
    *({name: text} for name in ("q", "force", "category", "status")
      for text in ("\x00", "x" * 5000, '"', "NEAR(a b)", "' OR 1=1 --")),
]  # fmt: skip


@pytest.fixture
def app(sqlite_services: Services) -> Iterator[FastAPI]:
    """The app over a log that already holds a few real files, and one case (id 1) that an
    admin token (sent with every request, so protected routes are fuzzed past the 401) may
    act on."""
    shas = []
    for file in FILES:
        require_shared(file)
        shas.append(sqlite_services.vault.ingest_file(file).record.sha256)
    accounts = sqlite_services.accounts
    accounts.create("fuzz-admin", "correct horse battery staple", "admin")
    officer = sqlite_services.officers.add("kent", {"collar": "1"}, "setup")
    case = CaseForm.model_validate(
        {
            "force": "kent",
            "occurred_at": "2025-01-01T10:00:00Z",
            "place": "High Street",
            "encounter_type": "other",
            "narrative": "Fuzzed",
            "reporter_kind": "anonymous",
            "people": [{"role": "witness", "name": "W"}],
            "allegations": [{"officer": officer.id, "category": "use-of-force"}],
        }
    )
    sqlite_services.cases.add(case.to_new_case(), "setup", None, ENTITLED)
    # Statistics over a real month, so the stats routes are fuzzed past "nothing imported".
    police = require_shared(SHARED / "data" / "police-uk")
    sqlite_services.police_stats.import_paths(
        [police / "2019-01" / "2019-01-cumbria-stop-and-search.csv", police / "population"]
    )
    # The public routes' rate limit would turn most fuzzed reports into 429s.
    unlimited = dict.fromkeys(DEFAULT_RATES, f"{10**6} per minute")
    application = create_app(replace(sqlite_services.settings, rates=unlimited))
    application.state.known_shas = shas
    application.state.token = accounts.create_token("fuzz-admin")
    yield application
    application.state.services.close()


def explicit_cases(
    operation: schemathesis.APIOperation, shas: list[str]
) -> list[schemathesis.Case]:
    """Cases that always run: real log data, and integers at the edges of 64-bit columns."""
    path = operation.path
    ids = [
        name
        for name in ("officer_id", "case_id", "allegation_id", "person_id")
        if f"{{{name}}}" in path
    ]
    if ids:
        return [operation.Case(path_parameters={ids[0]: n}) for n in (1, 2**31, 2**63)]
    if path.startswith("/api/v1/evidence/{sha256}"):
        return [operation.Case(path_parameters={"sha256": sha}) for sha in shas]
    if path == "/tile/{level}/{path}":
        return [
            operation.Case(path_parameters={"level": level, "path": tile})
            for level in ("0", "1", "63")
            for tile in ("000.p/1", "000.p/3", "000", "x001/000", "x999/x999/x999/x999/999")
        ]
    if path == "/tile/entries/{path}":
        return [
            operation.Case(path_parameters={"path": tile})
            for tile in ("000.p/1", "000.p/3", "000", "x999/x999/x999/x999/999.p/1")
        ]
    if path in LISTINGS:
        return [operation.Case(query=query) for query in EDGE_QUERIES]
    if path in QUERY_INTEGERS:
        first, second = QUERY_INTEGERS[path]
        return [
            operation.Case(query={first: a, second: b})
            for a in BOUNDARY_INTEGERS
            for b in (a, a + 1, a + 1000, 0, 3)
        ]
    return []


def checker(seen: Counter[int], token: str) -> Callable[[schemathesis.Case], None]:
    """Send a case and fail on a 5xx (or an exception escaping the app); count statuses."""

    def run(case: schemathesis.Case) -> None:
        try:
            response = case.call(headers={"Authorization": f"Bearer {token}"})
        except Exception as exc:  # the in-process transport re-raises the app's 500s
            raise AssertionError(
                f"{case.as_curl_command()} made the app raise {type(exc).__name__}: {exc}"
            ) from exc
        seen[response.status_code] += 1
        assert b"Traceback" not in response.content
        case.validate_response(response, checks=[not_a_server_error])

    return run


def fuzz(
    app: FastAPI, include: Callable[[str], bool] = lambda _label: True
) -> tuple[dict[str, str], dict[str, Counter[int]]]:
    """Run every operation the filter keeps; return (failure per operation, statuses seen)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: dict[str, str] = {}
    statuses: dict[str, Counter[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if not include(operation.label):
            continue
        seen: Counter[int] = Counter()
        statuses[operation.label] = seen

        run = checker(seen, app.state.token)
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )
        generated = settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )(given(case=strategy)(run))
        try:
            for case in explicit_cases(operation, app.state.known_shas):
                run(case)
            generated()
        except Exception as exc:  # collected so that every operation is exercised
            failures[operation.label] = f"{type(exc).__name__}: {exc}"
    return failures, statuses


def test_no_operation_returns_a_server_error(app: FastAPI) -> None:
    failures, statuses = fuzz(app)
    assert set(statuses) == OPERATIONS
    assert failures == {}, "\n\n".join(f"{op}:\n{msg}" for op, msg in failures.items())
    for label, seen in statuses.items():
        assert all(status < 500 for status in seen), (label, seen)
        if "{" in label or label.startswith("POST") or "proof" in label or "entries" in label:
            assert sum(seen.values()) >= 20, (label, seen)  # parameters were really varied
    # The fuzzing reached the interesting answers, not only validation errors.
    assert statuses["GET /api/v1/evidence/{sha256}"][200] > 0
    assert statuses["GET /api/v1/evidence/{sha256}/receipt"][200] > 0
    assert statuses["GET /tile/{level}/{path}"][200] > 0
    assert statuses["GET /tile/entries/{path}"][200] > 0
    assert statuses["GET /api/v1/log/checkpoint"][200] > 0
    assert {400, 415} <= set(statuses["POST /api/v1/evidence"])
    # Whatever the fuzzing uploaded (bytes that start like a PNG are a PNG to the sniffer), the
    # log is still gapless, matches its stored tree, and every entry's blob is stored.
    services: Services = app.state.services
    size = services.log.size()
    assert size >= len(FILES)
    entries = services.log.entries(0, size)
    assert len(entries) == size
    assert services.log.root(size) == merkle.root(entries)
    for index, raw in enumerate(entries):
        entry = parse_entry(raw)
        assert services.vault.get(entry.sha256).log_index == index
        with services.vault.local_blob(entry.sha256) as blob:
            assert file_sha256(blob) == (entry.sha256, entry.size)
    assert list(services.settings.staging_dir.iterdir()) == []


def test_the_harness_reports_a_server_error(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """If an operation fails with a 500, the fuzzing above must say so (it can fail)."""

    def broken(*_args: object) -> str:
        raise RuntimeError("injected failure")

    monkeypatch.setattr(app.state.services.log, "latest_checkpoint", broken)
    failures, _ = fuzz(app, include=lambda label: "checkpoint" in label)
    assert set(failures) == {"GET /api/v1/log/checkpoint", "GET /checkpoint"}
    # The in-process transport re-raises what the app's 500 handler logged; a real server
    # answers 500 and `not_a_server_error` reports it. Either way the operation fails.
    for message in failures.values():
        assert "injected failure" in message or "Server error" in message, failures
