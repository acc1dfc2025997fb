"""Cosignatures checked against C2SP tlog-cosignature transcribed here (key id, signed
message, timestamped signature), and tlog-policy files: groups, thresholds, refusals."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from openwitness.ledger.cosignature import (
    Cosigner,
    PolicyError,
    PolicyNotMet,
    cosigned_by,
    parse_policy,
    parse_witness_key,
)
from openwitness.ledger.note import Signer

TEXT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"


def cosigner(name: str, seed: int) -> Cosigner:
    return Cosigner(name, Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


def test_a_cosignature_line_is_what_the_spec_describes() -> None:
    witness = cosigner("witness.example.com/w1", 7)
    line = witness.cosign(TEXT, 1679315147)
    assert line.startswith("\u2014 witness.example.com/w1 ") and line.endswith("\n")
    raw = base64.b64decode(line.split(" ")[-1])
    public = witness.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    # key ID = SHA-256(<name> || "\n" || 0x04 || public key)[:4]
    assert raw[:4] == hashlib.sha256(b"witness.example.com/w1\n\x04" + public).digest()[:4]
    # a u64 big-endian timestamp, then an Ed25519 signature over the v1 message
    assert struct.unpack(">Q", raw[4:12])[0] == 1679315147
    message = b"cosignature/v1\ntime 1679315147\n" + TEXT.encode()
    witness.private_key.public_key().verify(raw[12:], message)  # raises if not
    assert len(raw) == 4 + 8 + 64


def test_cosignatures_are_counted_only_when_they_verify() -> None:
    log = Signer.generate("example.com/behind-the-sofa")
    note = log.sign_text(TEXT)
    w1, w2, stranger = cosigner("w1.example", 1), cosigner("w2.example", 2), cosigner("x", 3)
    keys = {"one": parse_witness_key(w1.vkey), "two": parse_witness_key(w2.vkey)}
    both = note + w1.cosign(TEXT, 1) + w2.cosign(TEXT, 2) + stranger.cosign(TEXT, 3)
    assert cosigned_by(both, keys) == {"one": 1, "two": 2}
    other_text = TEXT.replace("20852163", "20852164")
    assert cosigned_by(note + w1.cosign(other_text, 5), keys) == {}  # for another tree
    with pytest.raises(ValueError):
        parse_witness_key(log.verifier.vkey)  # a log key (type 0x01) is not a witness key


def test_a_policy_of_nested_groups_is_applied() -> None:
    log = Signer.generate("example.com/behind-the-sofa")
    witnesses = [cosigner(f"w{i}.example", i) for i in range(1, 5)]
    policy = parse_policy(
        f"# two organisations\nlog {log.verifier.vkey}\n"
        + "".join(f"witness W{i} {w.vkey}\n" for i, w in enumerate(witnesses, 1))
        + "group X 2 W1 W2 W3\ngroup Y any W4\ngroup XY all X Y\nquorum XY\n"
    )
    note = log.sign_text(TEXT)

    def cosigned(*numbers: int) -> str:
        return note + "".join(witnesses[n - 1].cosign(TEXT, 100 + n) for n in numbers)

    assert policy.check(cosigned(1, 2, 4)) == ["W1", "W2", "W4"]
    for short in ((1, 2), (1, 4), (4,), ()):
        with pytest.raises(PolicyNotMet, match="not cosigned by enough witnesses"):
            policy.check(cosigned(*short))
    impostor = Signer.generate("example.com/behind-the-sofa").sign_text(TEXT)
    with pytest.raises(PolicyNotMet, match="not signed by a trusted key"):
        policy.check(impostor + witnesses[0].cosign(TEXT, 1))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("witness A x\nquorum A\n", "line 1"),
        ("quorum B\n", "'B' is not defined above"),
        ("group G 2 A\nquorum G\n", "'A' is not defined above"),
        ("quorum none\nquorum none\n", "a second quorum line"),
        ("log nonsense\n", "line 1"),
        ("", "no quorum line"),
    ],
)
def test_a_bad_policy_names_the_line(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(text)


def test_thresholds_and_names_follow_the_spec() -> None:
    w = cosigner("w.example", 9).vkey
    with pytest.raises(PolicyError, match="1 to 1"):
        parse_policy(f"witness A {w}\ngroup G 2 A\nquorum G\n")
    with pytest.raises(PolicyError, match="taken"):
        parse_policy(f"witness none {w}\nquorum none\n")
    with pytest.raises(PolicyError, match="listed twice"):
        parse_policy(f"witness A {w}\ngroup G any A A\nquorum G\n")
    assert parse_policy("quorum none\n").satisfied(set())
