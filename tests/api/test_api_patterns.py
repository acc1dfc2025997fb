"""/api/v1/patterns and an officer's standing: flags with their facts for caseworkers, the
same de-identified for analysts, and the model versions with their evaluations."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from openwitness.app import create_app
from openwitness.services import Services, open_services
from tests.api.conftest import PASSWORD
from tests.patterns.conftest import load, make_rows


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Services, TestClient, dict[str, dict[str, str]]]]:
    roster, rows = make_rows()
    settings = load(tmp_path_factory.mktemp("api-patterns"), roster, rows)
    services = open_services(settings)
    services.early_warning.train("sustained", "tester")
    services.accounts.add_organisation("law-centre", "Law Centre")
    services.accounts.create("case", PASSWORD, "caseworker", "law-centre")
    services.accounts.create("ana", PASSWORD, "analyst")
    auth = {
        user: {"Authorization": f"Bearer {services.accounts.create_token(user)}"}
        for user in ("case", "ana")
    }
    with TestClient(create_app(settings)) as client:
        yield services, client, auth
    services.close()


def test_caseworkers_get_the_flags_with_officers_and_facts(
    trained: tuple[Services, TestClient, dict[str, dict[str, str]]],
) -> None:
    services, client, auth = trained
    answer = client.get("/api/v1/patterns/flags", headers=auth["case"]).json()
    run = services.early_warning.current("sustained")
    assert run is not None
    assert answer["label"] == "sustained" and answer["as_of"] == run.as_of.isoformat()
    assert [f["officer"] for f in answer["flags"]] == [f.officer_id for f in run.flags]
    assert answer["model"]["id"] == run.model.id
    assert answer["model"]["evaluation"]["rules"]["rule>=3/12m"]["budget"] > 0
    assert all(flag["facts"] and flag["force"] == "kent" for flag in answer["flags"])


def test_analysts_get_the_same_flags_without_officers(
    trained: tuple[Services, TestClient, dict[str, dict[str, str]]],
) -> None:
    _, client, auth = trained
    full = client.get("/api/v1/patterns/flags", headers=auth["case"]).json()
    seen = client.get("/api/v1/patterns/flags", headers=auth["ana"]).json()
    assert len(seen["flags"]) == len(full["flags"]) > 0
    named = {f["officer"] for f in full["flags"]} | {
        p["officer"] for f in full["flags"] for fact in f["facts"] for p in fact["partners"]
    }
    for hidden, shown in zip(seen["flags"], full["flags"], strict=True):
        assert "officer" not in hidden and hidden["rank"] == shown["rank"]
        assert [f["feature"] for f in hidden["facts"]] == [f["feature"] for f in shown["facts"]]
        for fact in hidden["facts"]:
            assert "partners" not in fact and "officer " not in fact["words"]
    # no officer id of a flag or a partner is anywhere in the analyst's answer's words
    words = " ".join(fact["words"] for f in seen["flags"] for fact in f["facts"])
    assert not any(f"officer {officer}" in words for officer in named)
    # the officer's own standing: percentiles for both, the flag only for the caseworker
    flagged = full["flags"][0]["officer"]
    mine = client.get(f"/api/v1/officers/{flagged}/standing", headers=auth["case"]).json()
    theirs = client.get(f"/api/v1/officers/{flagged}/standing", headers=auth["ana"]).json()
    assert mine["flag"]["rank"] == 1 and theirs["flag"] is None
    assert mine["percentiles"] == theirs["percentiles"] and "percentile" in mine["percentiles"]


def test_model_versions_come_with_their_evaluation(
    trained: tuple[Services, TestClient, dict[str, dict[str, str]]],
) -> None:
    _, client, auth = trained
    (model,) = client.get("/api/v1/patterns/models", headers=auth["ana"]).json()
    assert model["label"] == "sustained" and len(model["model_sha256"]) == 64
    assert set(model["evaluation"]) == {"rules"}
    (full,) = client.get("/api/v1/patterns/models?full=true", headers=auth["ana"]).json()
    assert full["evaluation"]["years"] and full["evaluation"]["label"] == "sustained"
    # no model for this label yet: an empty answer that says so, not an error
    empty = client.get("/api/v1/patterns/flags?label=any", headers=auth["case"]).json()
    assert empty["model"] is None and empty["flags"] == []
    assert client.get("/api/v1/patterns/flags?label=all", headers=auth["case"]).status_code == 422
    assert client.get("/api/v1/officers/999999/standing", headers=auth["case"]).status_code == 404
