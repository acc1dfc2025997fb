"""C2SP signed notes, checkpoints and keys against the published vectors in shared/vectors/notes.

Each vector is its own test. The extra cases at the end (control characters, non-UTF-8, too
many signatures, malformed signature lines, unknown keys) are signed for real with a published
test key, so each one fails for the reason it names and not for a broken signature.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from openwitness.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    open_checkpoint,
    parse_checkpoint_text,
)
from openwitness.ledger.note import (
    MAX_SIGNATURES,
    NoteVerificationError,
    Signer,
    open_note,
    parse_note,
    parse_signer_key,
    parse_verifier_key,
    verify_note,
)
from tests.conftest import VECTORS, require_shared

NOTES = VECTORS / "notes"


def _vectors(name: str) -> list[dict[str, Any]]:
    path = NOTES / name
    if not path.exists():
        return []
    vectors: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["vectors"]
    return vectors


def _params(name: str, key: str = "id") -> list[Any]:
    vectors = _vectors(name)
    if not vectors:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{NOTES / name} is missing"))]
    ids = [str(v[key]) for v in vectors]
    if len(set(ids)) != len(ids):  # keep ids unique and readable
        ids = [f"{i:02d}-{x}" for i, x in enumerate(ids)]
    return [pytest.param(v, id=i) for v, i in zip(vectors, ids, strict=True)]


def _note_bytes(vector: dict[str, Any]) -> bytes:
    data = base64.b64decode(vector["note_b64"])
    if vector.get("note_text") is not None:
        assert data == vector["note_text"].encode()
    return data


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("signed_note_vectors.json", 7),
        ("checkpoint_vectors.json", 8),
        ("checkpoint_parse_vectors.json", 8),
        ("vkey_vectors.json", 43),
        ("signing_vectors.json", 6),
    ],
)
def test_vector_file_has_every_vector(name: str, count: int) -> None:
    require_shared(NOTES / name)
    assert len(_vectors(name)) == count


# -- signed notes ------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", _params("signed_note_vectors.json"))
def test_signed_note_vector(vector: dict[str, Any]) -> None:
    keys = [vector["verifier_key"]] if vector["verifier_key"] else []
    note = _note_bytes(vector)
    assert verify_note(note, keys) is vector["valid"]
    verifiers = [parse_verifier_key(k) for k in keys]
    if vector["valid"]:
        _, verified = open_note(note, verifiers)
        assert [v.name for v in verified] == vector["expected_verified"]
        # The same note as text verifies too.
        assert open_note(note.decode(), verifiers)[1] == verified
    else:
        with pytest.raises(NoteVerificationError):
            open_note(note, verifiers)


# -- checkpoints -------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", _params("checkpoint_vectors.json"))
def test_checkpoint_vector(vector: dict[str, Any]) -> None:
    assert "extra_verifier_keys" not in vector  # none in this subset; one key per checkpoint
    note = _note_bytes(vector)
    verifier = parse_verifier_key(vector["verifier_key"])
    if vector["valid"]:
        checkpoint = open_checkpoint(note, verifier, origin=vector["expected_origin"])
        expected = vector["expected_checkpoint"]
        assert checkpoint.origin == expected["origin"] == vector["expected_origin"]
        assert checkpoint.size == expected["size"]
        assert checkpoint.root_hash == bytes.fromhex(expected["root_hash_hex"])
        assert checkpoint.root_hash == base64.b64decode(expected["root_hash_b64"])
        assert checkpoint.extensions == ()
        # The body re-serialises to exactly the signed text.
        assert checkpoint.text() == parse_note(note).text
    else:
        # The signature itself is fine: only the origin is wrong.
        assert verify_note(note, [vector["verifier_key"]]) is True
        with pytest.raises(CheckpointError, match="origin"):
            open_checkpoint(note, verifier, origin=vector["expected_origin"])


@pytest.mark.parametrize("vector", _params("checkpoint_vectors.json"))
def test_checkpoint_vector_with_default_origin(vector: dict[str, Any]) -> None:
    """Without ``origin``, the key's name is the expected origin."""
    note = _note_bytes(vector)
    verifier = parse_verifier_key(vector["verifier_key"])
    if vector["valid"] and verifier.name == vector["expected_origin"]:
        assert open_checkpoint(note, verifier).origin == verifier.name
    else:
        with pytest.raises(CheckpointError, match="origin"):
            open_checkpoint(note, verifier)


def test_checkpoint_vectors_include_a_key_named_like_its_origin() -> None:
    require_shared(NOTES / "checkpoint_vectors.json")
    vectors = [v for v in _vectors("checkpoint_vectors.json") if v["valid"]]
    names = {parse_verifier_key(v["verifier_key"]).name for v in vectors}
    assert names & {v["expected_origin"] for v in vectors} == {"monkeys"}


@pytest.mark.parametrize("vector", _params("checkpoint_vectors.json"))
def test_checkpoint_with_another_key_is_rejected(vector: dict[str, Any]) -> None:
    note = _note_bytes(vector)
    other = Signer.generate(parse_verifier_key(vector["verifier_key"]).name).verifier
    with pytest.raises(CheckpointError, match="trusted key"):
        open_checkpoint(note, other, origin=vector["expected_origin"])


@pytest.mark.parametrize("vector", _params("checkpoint_parse_vectors.json"))
def test_checkpoint_parse_vector(vector: dict[str, Any]) -> None:
    text = base64.b64decode(vector["text_b64"]).decode()
    assert text == vector["text"]
    if not vector["valid_per_source"]:
        with pytest.raises(CheckpointError):
            parse_checkpoint_text(text)
        return
    checkpoint = parse_checkpoint_text(text)
    expected = vector["expected"]
    assert checkpoint.origin == expected["origin"]
    assert checkpoint.size == expected["size"]
    assert checkpoint.root_hash == expected["root_hash_ascii"].encode()
    assert "".join(line + "\n" for line in checkpoint.extensions) == expected["rest"]
    assert checkpoint.text() == text


@pytest.mark.parametrize(
    "vector",
    [
        p
        for p in _params("checkpoint_parse_vectors.json")
        if p.values[0] is None or p.values[0]["valid_per_source"]
    ],
)
def test_signed_checkpoint_with_non_sha256_root_is_rejected(vector: dict[str, Any]) -> None:
    """The parser takes any base64 root; open_checkpoint insists on 32 bytes."""
    text = vector["text"]
    assert len(parse_checkpoint_text(text).root_hash) != 32
    signer = Signer.generate("parse-vector-log")
    note = signer.sign_text(text)
    with pytest.raises(CheckpointError, match="SHA-256"):
        open_checkpoint(note, signer.verifier, origin=vector["expected"]["origin"])
    # Control: the same body with a 32-byte root opens.
    good = Checkpoint(vector["expected"]["origin"], 7, bytes(range(32))).text()
    opened = open_checkpoint(
        signer.sign_text(good), signer.verifier, origin=vector["expected"]["origin"]
    )
    assert (opened.size, opened.root_hash) == (7, bytes(range(32)))


@pytest.mark.parametrize(
    "text",
    [
        "Log\n0123\n" + base64.b64encode(bytes(32)).decode() + "\n",  # leading zero
        "Log\n-1\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "Log\n1\n" + base64.b64encode(bytes(32)).decode() + "\n\nrest\n",  # empty line
        "Log\n1\n" + base64.b64encode(bytes(32)).decode().rstrip("=") + "\n",  # no padding
        "Log\n 1\n" + base64.b64encode(bytes(32)).decode() + "\n",
    ],
    ids=[
        "leading-zero-size",
        "negative-size",
        "empty-extension-line",
        "unpadded-root",
        "space-in-size",
    ],
)
def test_checkpoint_parse_rejects_malformed_bodies(text: str) -> None:
    with pytest.raises(CheckpointError):
        parse_checkpoint_text(text)


# -- verifier keys -----------------------------------------------------------------------------


def _vkey_valid_for_us(vector: dict[str, Any]) -> bool:
    # Valid keys of another algorithm must be refused by an Ed25519-only implementation.
    return bool(vector["valid"]) and vector.get("requires_alg", "ed25519") == "ed25519"


@pytest.mark.parametrize("vector", _params("vkey_vectors.json", key="vkey"))
def test_vkey_vector(vector: dict[str, Any]) -> None:
    vkey = vector["vkey"]
    if _vkey_valid_for_us(vector):
        verifier = parse_verifier_key(vkey)
        assert verifier.vkey == vkey
        name, key_id, _ = vkey.split("+", 2)
        assert verifier.name == name
        assert verifier.key_id.hex() == key_id
        assert str(verifier) == f"{name}+{key_id}"
    else:
        with pytest.raises(ValueError):
            parse_verifier_key(vkey)


@pytest.mark.parametrize(
    "vector",
    [
        p
        for p in _params("vkey_vectors.json", key="vkey")
        if p.values[0] is None or not _vkey_valid_for_us(p.values[0])
    ],
)
def test_verify_note_with_malformed_key_raises(vector: dict[str, Any]) -> None:
    (good,) = [v for v in _vectors("signed_note_vectors.json") if v["id"] == "gomod-peter-1sig"]
    with pytest.raises(ValueError):
        verify_note(_note_bytes(good), [vector["vkey"]])
    with pytest.raises(ValueError):  # also next to a good key
        verify_note(_note_bytes(good), [good["verifier_key"], vector["vkey"]])


# -- signing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", _params("signing_vectors.json"))
def test_signing_vector(vector: dict[str, Any]) -> None:
    signer = parse_signer_key(vector["signer_key"])
    signed = signer.sign_text(vector["text"])
    assert signed == vector["expected_signed_note"]
    assert signed.encode() == base64.b64decode(vector["expected_signed_note_b64"])
    assert signer.verifier.vkey == vector["verifier_key"]
    assert signer.to_skey() == vector["signer_key"]
    again = parse_signer_key(signer.to_skey())
    assert again.sign_text(vector["text"]) == vector["expected_signed_note"]
    assert verify_note(signed.encode(), [vector["verifier_key"]]) is True


@pytest.mark.parametrize(
    "mangle",
    [
        lambda k: k.replace("PRIVATE+KEY+", "PRIVATE+KEYS+"),
        lambda k: k.replace("+c74f20a3+", "+c74f20a4+"),
        lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),
        lambda k: k.replace("PeterNeumann", "Peter Neumann"),
        lambda k: k.rsplit("+", 1)[0] + "+" + base64.b64encode(b"\x02" + bytes(32)).decode(),
    ],
    ids=["bad-prefix", "wrong-key-id", "changed-seed", "space-in-name", "wrong-algorithm"],
)
def test_malformed_signer_keys_are_rejected(mangle: Any) -> None:
    require_shared(NOTES / "signing_vectors.json")
    (vector,) = [v for v in _vectors("signing_vectors.json") if v["id"] == "gomod-TestSign"]
    with pytest.raises(ValueError):
        parse_signer_key(mangle(vector["signer_key"]))


def test_generated_signer_round_trips() -> None:
    signer = Signer.generate("example.org/log")
    again = parse_signer_key(signer.to_skey())
    assert again.verifier.vkey == signer.verifier.vkey
    assert parse_verifier_key(signer.verifier.vkey) == signer.verifier
    note = signer.sign_text("hello\n")
    assert verify_note(note.encode(), [signer.verifier.vkey]) is True


@pytest.mark.parametrize("name", ["", "has space", "a+b", "tab\there"])
def test_signer_names_are_validated(name: str) -> None:
    with pytest.raises(ValueError):
        Signer.generate(name)


@pytest.mark.parametrize("text", ["no newline", "bell\x07\n", "nul\x00\n"])
def test_sign_text_refuses_malformed_text(text: str) -> None:
    with pytest.raises(ValueError):
        Signer.generate("x").sign_text(text)


# -- malformed notes, signed for real ----------------------------------------------------------


@pytest.fixture
def peter() -> Signer:
    require_shared(NOTES / "signing_vectors.json")
    (vector,) = [v for v in _vectors("signing_vectors.json") if v["id"] == "gomod-TestSign"]
    return parse_signer_key(vector["signer_key"])


def raw_signature_line(signer: Signer, text: bytes, dash: str = "\u2014") -> bytes:
    """A signature line over arbitrary bytes, bypassing sign_text's own checks."""
    signature = signer.private_key.sign(text)
    encoded = base64.b64encode(signer.verifier.key_id + signature).decode()
    return f"{dash} {signer.name} {encoded}\n".encode()


def assemble(text: bytes, *lines: bytes) -> bytes:
    return text + b"\n" + b"".join(lines)


def test_raw_assembly_matches_sign_text(peter: Signer) -> None:
    text = "hello world\n"
    assert assemble(text.encode(), raw_signature_line(peter, text.encode())) == (
        peter.sign_text(text).encode()
    )


@pytest.mark.parametrize("control", ["\x00", "\x07", "\t", "\r", "\x1b", "\x1f"])
def test_note_with_control_character_is_rejected(peter: Signer, control: str) -> None:
    good = b"plain text\n"
    assert (
        verify_note(assemble(good, raw_signature_line(peter, good)), [peter.verifier.vkey]) is True
    )
    text = f"plain{control}text\n".encode()
    note = assemble(text, raw_signature_line(peter, text))
    assert verify_note(note, [peter.verifier.vkey]) is False
    with pytest.raises(ValueError, match="control"):
        parse_note(note)


def test_note_that_is_not_utf8_is_rejected(peter: Signer) -> None:
    text = b"caf\xe9 latin-1\n"
    note = assemble(text, raw_signature_line(peter, text))
    assert verify_note(note, [peter.verifier.vkey]) is False
    with pytest.raises(ValueError, match="UTF-8"):
        parse_note(note)


def test_note_with_more_than_100_signatures_is_rejected(peter: Signer) -> None:
    text = b"many signatures\n"
    others = [Signer.generate(f"other{i}") for i in range(MAX_SIGNATURES)]
    lines = [raw_signature_line(peter, text)] + [raw_signature_line(o, text) for o in others]
    assert MAX_SIGNATURES == 100
    # 100 signatures (ours + 99 unknown) are fine ...
    assert verify_note(assemble(text, *lines[:100]), [peter.verifier.vkey]) is True
    # ... 101 are not, even though ours is valid.
    assert verify_note(assemble(text, *lines[:101]), [peter.verifier.vkey]) is False
    with pytest.raises(ValueError, match="too many"):
        parse_note(assemble(text, *lines[:101]))


@pytest.mark.parametrize(
    "dash", ["-", "\u2013", "\u2014\u2014", ""], ids=["hyphen", "en-dash", "two-em-dashes", "none"]
)
def test_signature_line_without_em_dash_is_rejected(peter: Signer, dash: str) -> None:
    text = b"dashes\n"
    assert (
        verify_note(assemble(text, raw_signature_line(peter, text)), [peter.verifier.vkey]) is True
    )
    note = assemble(text, raw_signature_line(peter, text, dash=dash))
    assert verify_note(note, [peter.verifier.vkey]) is False


def test_bad_line_among_good_ones_rejects_the_note(peter: Signer) -> None:
    text = b"one bad line\n"
    other = Signer.generate("other")
    note = assemble(
        text,
        raw_signature_line(peter, text),
        b"not a signature line\n",
        raw_signature_line(other, text),
    )
    assert verify_note(note, [peter.verifier.vkey]) is False


def test_note_signed_only_by_unknown_key_is_rejected(peter: Signer) -> None:
    stranger = Signer.generate("stranger")
    note = stranger.sign_text("hello\n").encode()
    assert verify_note(note, [peter.verifier.vkey]) is False
    assert verify_note(note, [stranger.verifier.vkey]) is True
    # Same name as a trusted key but another key id: still unknown.
    impostor = Signer.generate(peter.name)
    assert verify_note(impostor.sign_text("hello\n").encode(), [peter.verifier.vkey]) is False


def test_note_signed_by_known_and_unknown_keys_is_accepted(peter: Signer) -> None:
    text = b"two signers\n"
    stranger = Signer.generate("stranger")
    for lines in [
        (raw_signature_line(peter, text), raw_signature_line(stranger, text)),
        (raw_signature_line(stranger, text), raw_signature_line(peter, text)),
    ]:
        note = assemble(text, *lines)
        assert verify_note(note, [peter.verifier.vkey]) is True
        _, verified = open_note(note, [peter.verifier])
        assert verified == [peter.verifier]
    # An unknown signature need not even verify: it is ignored.
    bogus = raw_signature_line(stranger, b"other text\n")
    assert (
        verify_note(assemble(text, raw_signature_line(peter, text), bogus), [peter.verifier.vkey])
        is True
    )


def test_bad_signature_by_a_known_key_rejects_even_with_a_good_one(peter: Signer) -> None:
    text = b"two known\n"
    friend = Signer.generate("friend")
    note = assemble(
        text, raw_signature_line(peter, text), raw_signature_line(friend, b"something else\n")
    )
    keys = [peter.verifier.vkey, friend.verifier.vkey]
    assert verify_note(note, keys) is False
    assert verify_note(note, [peter.verifier.vkey]) is True  # friend unknown: ignored


def test_verify_note_with_no_keys_is_false(peter: Signer) -> None:
    assert verify_note(peter.sign_text("x\n").encode(), []) is False


def test_signed_note_tampered_text_is_rejected(peter: Signer) -> None:
    note = peter.sign_text("amount: 10\n").replace("10", "99", 1)
    assert verify_note(note.encode(), [peter.verifier.vkey]) is False
