"""The casework pages over HTTP, on SQLite and PostgreSQL: officers are typed and shown as
people know them (collar number, name, force), the history reads as before → after per
allegation, analysts see no label without a value, evidence metadata has readable labels."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from fastapi.testclient import TestClient

from openwitness.accounts.sessions import csrf_token
from openwitness.api.deps import SESSION_COOKIE
from openwitness.web.casework_view import duration_text, size_text, value_text
from tests.web.test_pages_http import Site, case_body, gps_photo, site  # noqa: F401

JANE = "PC 1234 Jane Example (Metropolitan Police Service)"


def form(client: TestClient, path: str, **fields: str) -> Any:
    """A form post from the page, with the session's CSRF token."""
    token = csrf_token(client.cookies[SESSION_COOKIE])
    return client.post(path, data={"csrf_token": token, **fields}, follow_redirects=False)


def main_text(html: str) -> str:
    """The page's main content as text (tags removed), to read as a person would."""
    body = html.split("<main", 1)[1].split(">", 1)[1].split("</main>", 1)[0]
    inline = re.sub(r"</?(a|strong|span|code|em)\b[^>]*>", "", body)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inline)))


def officers(cw: TestClient) -> dict[str, int]:
    made = {}
    for key, body in {
        "jane": {"force": "metropolitan", "collar": "1234", "name": "Jane Example",
                 "rank": "Police Constable"},
        "kent": {"force": "kent", "collar": "1234"},
        "sam": {"force": "metropolitan", "collar": "555", "name": "Sam Other"},
    }.items():  # fmt: skip
        answer = cw.post("/api/v1/officers", json=body)
        assert answer.status_code == 201, answer.text
        made[key] = answer.json()["id"]
    return made


def test_officer_fields_and_the_filter_take_a_collar_number_and_show_who_it_is(
    site: Site,  # noqa: F811
) -> None:
    cw = site.clients["cw"]
    ids = officers(cw)
    case = cw.post("/api/v1/cases", json=case_body()).json()["id"]

    unknown = form(cw, f"/cases/{case}/allegations", officer="PC 4321", category="use-of-force")
    assert unknown.status_code == 422
    beside = re.search(r'id="new-officer-error">([^<]*)<', unknown.text)
    assert beside and "no officer PC 4321 in Metropolitan Police Service" in beside[1], beside

    # "PC 1234" is the Met's officer on a Met case, though Kent has a 1234 too.
    added = form(cw, f"/cases/{case}/allegations", officer="PC 1234", category="use-of-force")
    assert added.status_code == 303, added.text
    allegation = cw.get(f"/api/v1/cases/{case}").json()["allegations"][0]
    assert allegation["officer"] == ids["jane"]
    page = main_text(cw.get(f"/cases/{case}").text)
    assert JANE in page and f"Officer {ids['jane']}" not in page

    moved = form(cw, f"/allegations/{allegation['id']}/outcome", case=str(case), officer="555")
    assert moved.status_code == 303, moved.text
    assert cw.get(f"/api/v1/cases/{case}").json()["allegations"][0]["officer"] == ids["sam"]
    wrong = form(cw, f"/allegations/{allegation['id']}/outcome", case=str(case), officer="9")
    assert wrong.status_code == 422
    assert re.search(rf'id="officer-{allegation["id"]}-error">[^<]*no officer 9 in', wrong.text)

    # The filter: a collar number in any force when only one force has it...
    found = cw.get("/cases", params={"officer": "collar 555"})
    assert found.status_code == 200, found.text
    listed = main_text(found.text)
    assert "Sam Other (Metropolitan Police Service)" in listed and f"#{case}" in listed
    # ...otherwise the forces are named beside the field, and the force chooses.
    both = cw.get("/cases", params={"officer": "1234"})
    assert both.status_code == 422
    error = re.search(r'id="officer-error"[^>]*>([^<]*)<', both.text)
    assert error and "Kent Police" in error[1] and "Metropolitan Police Service" in error[1]
    kent = cw.get("/cases", params={"officer": "1234", "force": "kent"})
    assert kent.status_code == 200 and "collar 1234 (Kent Police)" in main_text(kent.text)
    assert f'href="/cases/{case}"' not in kent.text
    assert cw.get("/cases", params={"officer": "Nobody"}).status_code == 422


def test_officers_are_named_on_the_officer_and_overdue_pages(site: Site) -> None:  # noqa: F811
    cw, admin = site.clients["cw"], site.clients["admin"]
    ids = officers(cw)
    body = case_body(allegations=[
        {"officer": ids["jane"], "due_on": "2020-01-01"}, {"officer": ids["sam"]}])  # fmt: skip
    assert cw.post("/api/v1/cases", json=body).status_code == 201
    profile = main_text(cw.get(f"/officers/{ids['jane']}").text)
    assert profile.lstrip().startswith(JANE), profile[:200]
    assert "collar 555, Sam Other (Metropolitan Police Service): 1 case together" in profile
    overdue = main_text(admin.get("/overdue").text)
    assert f"{JANE}: 1" in overdue and not re.search(r"Officer \d", overdue), overdue
    assert "Metropolitan Police Service: 1" in overdue  # the force by name too


def test_the_history_names_the_allegation_and_shows_before_and_after(
    site: Site,  # noqa: F811
) -> None:
    cw = site.clients["cw"]
    officers(cw)
    made = cw.post("/api/v1/cases", json=case_body(allegations=[{"category": "use-of-force"}]))
    case = made.json()["id"]
    allegation = cw.get(f"/api/v1/cases/{case}").json()["allegations"][0]["id"]
    saved = form(cw, f"/allegations/{allegation}/outcome", case=str(case), status="assessed",
                 handling="schedule-3", officer="PC 1234")  # fmt: skip
    assert saved.status_code == 303, saved.text
    history = re.search(r'<table class="history[^"]*">.*?</table>', cw.get(f"/cases/{case}").text,
                        re.S)  # fmt: skip
    assert history
    rows = [main_text(f"<main>{row}</main>") for row in re.findall(
        r"<tr>.*?</tr>", history[0], re.S)[1:]]  # fmt: skip
    changed = [r for r in rows if f"Allegation {allegation} changed" in r]
    assert len(changed) == 1, rows
    for line in ("status: received → assessed", "handling: — → schedule 3",
                 f"officer: — → {JANE}"):  # fmt: skip
        assert line in changed[0], (line, changed[0])
    created = next(r for r in rows if f"Allegation {allegation} added" in r)
    assert "category: use of force" in created and "officer: —" in created
    assert f"Case {case} added" in " ".join(rows)
    assert not any("None" in r for r in rows), rows


def test_an_analysts_case_page_has_no_label_without_a_value(site: Site) -> None:  # noqa: F811
    cw = site.clients["cw"]
    body = case_body(
        reported_to=[{"body": "iopc", "reference": "IOPC-1"}],
        people=[{"role": "complainant", "name": "Ife Example"}],
        allegations=[{"category": "use-of-force"}],
    )
    made = cw.post("/api/v1/cases", json=body)
    assert made.status_code == 201, made.text
    for user in ("analyst", "cw"):
        html = site.clients[user].get(f"/cases/{made.json()['id']}").text
        empty = re.findall(r"<dt>([^<]*)</dt>\s*<dd[^>]*>\s*</dd>", html)
        assert empty == [], (user, empty)
        assert not re.search(r":\s*</(li|dd|td)>", html), user
    analyst = main_text(site.clients["analyst"].get(f"/cases/{made.json()['id']}").text)
    assert "Also reported to iopc" in analyst and "Ife" not in analyst


def test_evidence_metadata_has_readable_labels_and_rounded_values(
    site: Site,  # noqa: F811
) -> None:
    cw = site.clients["cw"]
    lodged = cw.post("/api/v1/evidence", content=gps_photo(),
                     headers={"Content-Type": "image/jpeg"})  # fmt: skip
    made = cw.post("/api/v1/cases", json=case_body(evidence=[lodged.json()["evidence"]["sha256"]]))
    html = cw.get(f"/cases/{made.json()['id']}").text
    facts = dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", html))
    assert facts["Camera"] == "Acme SpyCam 3000", facts
    assert facts["Position"] == "51.4767, -0.1200", facts
    assert re.fullmatch(r"image/jpeg, 0\.\d KB|image/jpeg, \d+\.\d KB", facts["Type"]), facts
    main = html.split("<main", 1)[1].split("</main>", 1)[0]  # not the footer's own words
    for raw in ("<dt>gps</dt>", "<dt>device</dt>", "make", "None"):
        assert raw not in main_text(html) and raw not in main, raw


def test_lengths_sizes_and_values_read_as_people_write_them() -> None:
    assert [duration_text(s) for s in (4.24, 65, 3725.4)] == ["4.2 s", "1 min 5 s", "1 h 2 min 5 s"]
    assert [size_text(n) for n in (0, 860, 260_000, 4_200_000)] == [
        "0 KB", "0.9 KB", "0.3 MB", "4.2 MB"]  # fmt: skip
    assert [value_text(v) for v in (None, "", "case-to-answer", "2025-06-01", True, [1, 2])] == [
        "—", "—", "case to answer", "2025-06-01", "yes", "1, 2"]  # fmt: skip
