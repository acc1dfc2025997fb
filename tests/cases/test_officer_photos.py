"""Officers' photos are vault images, linked through the service, the API and the CLI."""

from __future__ import annotations

import io
import subprocess

import pytest
from fastapi.testclient import TestClient

from openwitness.app import create_app
from openwitness.core.errors import InvalidRequestError
from openwitness.services import Services
from tests.api.test_api_authorisation import PHOTO
from tests.cli.test_cli_evidence import WITNESS
from tests.evidence.media_factory import encode_audio
from tests.support import ENTITLED, env_for

PASSWORD = "correct horse battery staple"


def test_photos_of_an_officer(services: Services) -> None:
    officer = services.officers.add("metropolitan", {"collar": "1234"}, "tester")
    same = services.officers.add("metropolitan", {"name": "PC Example"}, "tester")
    with pytest.raises(InvalidRequestError, match="is not in the vault"):
        services.officers.add_photo(officer.id, "0" * 64, "tester", ENTITLED)

    services.accounts.add_organisation("law-centre", "Law Centre")
    services.accounts.create("case", PASSWORD, "caseworker", "law-centre")
    auth = {"Authorization": f"Bearer {services.accounts.create_token('case')}"}
    with TestClient(create_app(services.settings)) as client:
        # Lodged with the caseworker's token: their organisation holds it and may link it.
        lodged = client.post("/api/v1/evidence", content=PHOTO, headers=auth)
        assert lodged.status_code == 201, lodged.text
        photo = lodged.json()["evidence"]["sha256"]
        linked = client.post(
            f"/api/v1/officers/{officer.id}/photos", json={"sha256": photo}, headers=auth
        )
        assert linked.status_code == 200, linked.text
        assert linked.json()["photos"] == [photo]
        bad = client.post(
            f"/api/v1/officers/{officer.id}/photos", json={"sha256": "x"}, headers=auth
        )
        assert bad.status_code == 422

    result = subprocess.run(
        [WITNESS, "officer", "photo", str(same.id), photo],
        env=env_for(services.settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "1 photo(s)" in result.stdout, result.stderr
    merged = services.officers.merge(officer.id, same.id, "tester")
    assert merged.photos == (photo,)  # the photo both records had is kept once


def test_a_photo_must_be_an_image(sqlite_services: Services) -> None:
    audio = encode_audio("wav", "pcm_s16le")
    sha = sqlite_services.vault.ingest_stream(io.BytesIO(audio)).record.sha256
    officer = sqlite_services.officers.add("kent", {"collar": "9"}, "tester")
    with pytest.raises(InvalidRequestError, match="not an image"):
        sqlite_services.officers.add_photo(officer.id, sha, "tester", ENTITLED)
