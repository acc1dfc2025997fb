"""Paths and helpers the tests share (importable as ``tests.support``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from openwitness.core.config import Settings
from openwitness.evidence.custody import Entitlement
from openwitness.evidence.service import Vault

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
MEDIA = SHARED / "data" / "media"
VECTORS = SHARED / "vectors"


def require_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is missing: tests read the project's shared data in ../shared/")
    return path


def env_for(settings: Settings) -> dict[str, str]:
    """Environment for a `witness` subprocess using these settings."""
    env = dict(os.environ)
    env["OPENWITNESS_HOME"] = str(settings.home)
    env["OPENWITNESS_DATABASE_URL"] = settings.database_url
    env["OPENWITNESS_MAX_UPLOAD_BYTES"] = str(settings.max_upload_bytes)
    if settings.blob_url:
        env["OPENWITNESS_BLOB_URL"] = settings.blob_url
    for name, path in (
        ("OPENWITNESS_WITNESS_LOGS", settings.witness_logs),
        ("OPENWITNESS_WITNESS_POLICY", settings.witness_policy),
    ):
        if path is not None:
            env[name] = str(path)
    return env


#: the operator's right to link any vault item, for tests that set up cases directly
ENTITLED = Entitlement(None, privileged=True)


def stored_bytes(vault: Vault, sha256: str) -> bytes:
    """The bytes the vault keeps under ``sha256``, wherever its store is."""
    with vault.open_blob(sha256) as stored:
        return stored.read()
