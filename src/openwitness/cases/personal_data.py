"""Sealing complainants' and witnesses' personal details (AES-256-GCM, ``cryptography``).

Only caseworkers of the owning organisation and admins ever see the opened details; analysts,
exports, the change history and the public log never do. The key comes from configuration
(``OPENWITNESS_PERSONAL_DATA_KEY``) or a 0600 key file in the data folder's ``keys/``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from openwitness.core.config import Settings
from openwitness.core.errors import InvalidRequestError, OpenWitnessError

#: The details a person record may hold; anything else is refused rather than stored.
FIELDS = ("name", "email", "phone", "address", "date_of_birth", "ethnicity", "gender", "notes")
_VERSION = b"\x01"
_AAD = b"openwitness person v1"


class PersonalDataKeyError(OpenWitnessError):
    """The key is missing, malformed, or not the one the details were sealed with."""


def check_details(details: dict[str, Any]) -> dict[str, str]:
    unknown = sorted(set(details) - set(FIELDS))
    if unknown:
        raise InvalidRequestError(
            f"person: unknown field {unknown[0]!r} (allowed: {', '.join(FIELDS)})"
        )
    clean: dict[str, str] = {}
    for name, value in details.items():
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > 2000:
            raise InvalidRequestError(f"person.{name}: text of at most 2,000 characters")
        if value.strip():
            clean[name] = value.strip()
    return clean


class Sealer:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise PersonalDataKeyError("the personal data key must be 32 bytes (base64-encoded)")
        self._aead = AESGCM(key)

    def seal(self, details: dict[str, str]) -> bytes:
        nonce = os.urandom(12)
        plain = json.dumps(details, sort_keys=True).encode()
        return _VERSION + nonce + self._aead.encrypt(nonce, plain, _AAD)

    def open(self, sealed: bytes) -> dict[str, str]:
        if sealed[:1] != _VERSION:
            raise PersonalDataKeyError("sealed personal data has an unknown format version")
        try:
            plain = self._aead.decrypt(sealed[1:13], sealed[13:], _AAD)
        except InvalidTag:
            raise PersonalDataKeyError(
                "cannot open personal data: the configured key is not the one it was sealed with"
            ) from None
        opened: dict[str, str] = json.loads(plain)
        return opened


def _decode(value: str, where: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise PersonalDataKeyError(f"{where} is not base64") from None


def load_sealer(settings: Settings, may_create: bool) -> Sealer:
    """The configured key, else the key file (created if ``may_create`` and it is missing)."""
    if settings.personal_data_key:
        return Sealer(_decode(settings.personal_data_key, "OPENWITNESS_PERSONAL_DATA_KEY"))
    path = settings.personal_data_key_path
    if not path.exists():
        if not may_create:
            raise PersonalDataKeyError(
                f"personal data is sealed but its key {path} is missing: restore it from backup "
                "or set OPENWITNESS_PERSONAL_DATA_KEY"
            )
        settings.key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.b64encode(AESGCM.generate_key(bit_length=256)).decode() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    if path.stat().st_mode & 0o077:
        raise PersonalDataKeyError(f"key {path} is readable by others: run 'chmod 600 {path}'")
    return Sealer(_decode(path.read_text(), str(path)))
