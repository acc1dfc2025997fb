"""The Verify page checks a live recording's receipt bundle as `witness verify --bundle` does:
bundles made by the real API from a real MediaRecorder recording (tests/live/conftest.py), each
checked by bundle.js in Chromium and by Python's ``verify_bundle``, which must give the same
answer, word for word; then the page itself, driven as a person would."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openwitness.app import create_app
from openwitness.core.config import Settings
from openwitness.ledger.entry import EntryError, LiveChunkEntry, parse_entry
from openwitness.ledger.note import parse_verifier_key
from openwitness.ledger.receipt import parse_receipt
from openwitness.ledger.verify import VerificationError
from openwitness.live.bundle import verify_bundle
from openwitness.services import initialise
from tests.live.conftest import Recorder, recorded_chunks, sha
from tests.web.conftest import assert_fits, serious_violations


@dataclass
class Live:
    """Bundles of three real recordings of the same chunks, and the key of their log."""

    vkey: str
    chunks: list[bytes]
    finished: dict[str, Any]  # recording A, ended: its whole file is logged
    other: dict[str, Any]  # recording B, ended
    cut_short: dict[str, Any]  # recording C: chunks 0 to 3 arrived, never ended
    #: receipts for entries the server would never log, appended to the log directly: a chunk 2
    #: of A naming chunk 0 as its previous one, and one of another media type
    unchained: str = ""
    other_media: str = ""

    @property
    def recording(self) -> bytes:
        return b"".join(self.chunks)


def record(client: TestClient, chunks: list[bytes], finish: bool) -> dict[str, Any]:
    recorder = Recorder(client)
    for seq, data in enumerate(chunks):
        assert recorder.put(seq, data).status_code == 201
    token = {"X-Recording-Token": recorder.token}
    if finish:
        answer = client.post(f"/api/v1/live/{recorder.id}/finish", json={}, headers=token)
        assert answer.status_code == 200, answer.text
        bundle: dict[str, Any] = answer.json()["bundle"]
    else:
        bundle = client.get(f"/api/v1/live/{recorder.id}/bundle", headers=token).json()
    assert [c["seq"] for c in bundle["chunks"]] == list(range(len(chunks)))
    return bundle


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Live:
    home = tmp_path_factory.mktemp("live")
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'witness.db'}")
    services, _ = initialise(settings, "live.test/log")
    vkey = services.log.signer.verifier.vkey
    services.close()
    chunks = recorded_chunks()
    assert len(chunks) >= 6
    with TestClient(create_app(settings)) as client:
        live = Live(
            vkey,
            chunks,
            record(client, chunks, finish=True),
            record(client, chunks, finish=True),
            record(client, chunks[:4], finish=False),
        )
    services, _ = initialise(settings)
    try:
        at = datetime.now(UTC).replace(microsecond=0)
        recording, (zero, one) = live.finished["recording"], (sha(chunks[0]), sha(chunks[1]))
        forged = sha(b"not chunk 2")
        for name, prev, media_type in (
            ("unchained", zero, "video/webm"),
            ("other_media", one, "audio/ogg"),
        ):
            entry = LiveChunkEntry(recording, 2, prev, forged, 11, media_type, at)
            index = services.log.append(entry.to_bytes()).index
            setattr(live, name, services.log.receipt(index).to_text())
    finally:
        services.close()
    return live


def python_answer(bundle: dict[str, Any], vkey: str, file: bytes | None, tmp: Path) -> Any:
    path = None
    if file is not None:
        path = tmp / "recording.webm"
        path.write_bytes(file)
    try:
        result = verify_bundle(json.dumps(bundle), parse_verifier_key(vkey), path)
    except VerificationError as exc:
        return {"error": str(exc)}
    return {
        "recording": result.recording,
        "chunks": [[c.entry.seq, c.entry.sha256, c.index] for c in result.chunks],
        "missing": result.missing,
        "whole": None if result.whole is None else [result.whole.entry.sha256, result.whole.index],
        "size": result.size,
        "checkpoint_size": result.checkpoint_size,
        "file_checked": result.file_checked,
        "notes": result.notes,
    }


BROWSER_ANSWER = """async ([text, vkey, file]) => {
  const blob = file === null ? undefined
    : new File([Uint8Array.from(atob(file), (c) => c.charCodeAt(0))], "recording.webm");
  try {
    const r = await OW_BUNDLE.verifyBundle(text, vkey, blob);
    return {
      recording: r.recording,
      chunks: r.chunks.map((c) => [c.entry.seq, c.entry.sha256, Number(c.index)]),
      missing: r.missing,
      whole: r.whole === null ? null : [r.whole.entry.sha256, Number(r.whole.index)],
      size: r.size,
      checkpoint_size: Number(r.checkpointSize),
      file_checked: r.fileChecked,
      notes: r.notes,
    };
  } catch (e) {
    if (!(e instanceof TLOG.VerifyError)) throw e;
    return { error: e.message };
  }
}"""


def browser_answer(page: Any, bundle: dict[str, Any], vkey: str, file: bytes | None) -> Any:
    encoded = None if file is None else base64.b64encode(file).decode()
    return page.evaluate(BROWSER_ANSWER, [json.dumps(bundle), vkey, encoded])


def entry_of(receipt: str) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads(parse_receipt(receipt).entry)
    return entry


def cases(live: Live) -> Iterator[tuple[str, dict[str, Any], bytes | None, Any]]:
    """(label, bundle, file, what both must say: "ok" with the missing chunks, or the error)."""
    a, recording = live.finished, live.recording
    yield "good bundle and recording", a, recording, ("ok", [])
    yield "good bundle alone", a, None, ("ok", [])

    changed = bytearray(recording)
    at = sum(len(c) for c in live.chunks[:2]) + len(live.chunks[2]) // 2
    changed[at] ^= 0x01
    chunk2 = "file does not match: its bytes for chunk 2 are not the logged chunk's"
    yield "one byte changed", a, bytes(changed), chunk2
    short = "the file is {:,} bytes, the logged chunks are {:,} bytes end to end"
    yield "recording cut", a, recording[:-1], "file does not match the whole recording's receipt"
    no_whole = {**a, "whole": None}
    yield (
        "recording cut, no whole",
        no_whole,
        recording[:-1],
        short.format(len(recording) - 1, len(recording)),
    )

    gap = {**a, "chunks": [c for c in a["chunks"] if c["seq"] != 3]}
    yield "chunk 3 removed", gap, recording, ("ok", [3])
    yield "more chunks recorded than sent", {**a, "recorded_chunks": 8}, None, ("ok", [6, 7])

    foreign = copy.deepcopy(a)
    foreign["chunks"][2] = live.other["chunks"][2]
    other_id = live.other["recording"]
    index = parse_receipt(live.other["chunks"][2]["receipt"]).index
    yield (
        "a chunk of another recording",
        foreign,
        recording,
        (f"chunk 2 (log entry {index}) is from another recording, {other_id}"),
    )
    yield (
        "another recording's id",
        {**a, "recording": other_id},
        recording,
        (
            f"chunk 0 (log entry {parse_receipt(a['chunks'][0]['receipt']).index}) is from another "
            f"recording, {a['recording']}"
        ),
    )

    unchained = copy.deepcopy(a)
    unchained["chunks"][2]["receipt"] = live.unchained
    yield (
        "a chunk naming another previous chunk",
        unchained,
        None,
        ("chunk 2 does not follow chunk 1: it names another previous chunk"),
    )
    other_media = copy.deepcopy(a)
    other_media["chunks"][2]["receipt"] = live.other_media
    yield (
        "a chunk of another media type",
        other_media,
        None,
        ("chunk 2 has another media type than the rest"),
    )
    two = {**a, "chunks": [*a["chunks"], {"seq": 2, "receipt": live.unchained}]}
    yield "two chunks numbered 2", two, None, "the bundle has two different chunks numbered 2"

    mixed = [a["chunks"][i] for i in (4, 0, 5, 2, 1, 3)]
    yield "chunks listed out of order", {**a, "chunks": mixed}, recording, ("ok", [])
    twice = {**a, "chunks": [*a["chunks"], a["chunks"][1]]}
    yield "a chunk listed twice", twice, recording, ("ok", [])

    cut = live.cut_short
    yield "cut short, with its chunks end to end", cut, b"".join(live.chunks[:4]), ("ok", [])
    yield (
        "cut short, with the whole recording",
        cut,
        recording,
        short.format(len(recording), sum(len(c) for c in live.chunks[:4])),
    )

    whole_is_chunk = {**a, "whole": {"receipt": a["chunks"][0]["receipt"]}}
    yield (
        "a chunk as the whole",
        whole_is_chunk,
        None,
        ("the whole file's receipt is not for an evidence entry"),
    )
    as_whole = {**cut, "whole": a["whole"]}
    total, four = len(recording), sum(len(c) for c in live.chunks[:4])
    yield (
        "another whole file",
        as_whole,
        None,
        (
            f"the whole file is {total:,} bytes, its chunks end to end are {four:,} bytes: it is "
            "not these chunks"
        ),
    )
    yield (
        "not a bundle",
        {"format": "something else"},
        None,
        ("not a live recording bundle (openwitness.org/live-bundle@v1)"),
    )
    yield "no chunks", {**a, "chunks": []}, None, "the bundle lists no chunks"
    yield (
        "a whole with no receipt",
        {**a, "whole": {}},
        None,
        ("the bundle's whole file has no receipt"),
    )
    yield (
        "recorded_chunks not a number",
        {**a, "recorded_chunks": "6"},
        None,
        ("recorded_chunks must be a whole number from 0 to 10000"),
    )
    yield (
        "recorded_chunks past any recording",
        {**a, "recorded_chunks": 10**15},
        None,
        ("recorded_chunks must be a whole number from 0 to 10000"),
    )


def test_bundle_js_answers_as_python_verify_bundle_does(
    page: Any, site: str, live: Live, tmp_path: Path
) -> None:
    page.goto(site + "/verify")
    checked = 0
    for label, bundle, file, expect in cases(live):
        python = python_answer(bundle, live.vkey, file, tmp_path)
        browser = browser_answer(page, bundle, live.vkey, file)
        assert browser == python, label
        if isinstance(expect, str):
            assert python == {"error": expect}, label
        else:  # verified, with these chunks missing, and the chunks' own hashes
            assert "error" not in python and python["missing"] == expect[1], (label, python)
            present = {entry_of(c["receipt"])["seq"] for c in bundle["chunks"]}
            assert [c[0] for c in python["chunks"]] == sorted(present), label
            for seq, sha256, _ in python["chunks"]:
                assert sha256 == hashlib.sha256(live.chunks[seq]).hexdigest(), label
            assert python["file_checked"] == (file is not None and not expect[1]), label
        checked += 1
    assert checked == 23


def test_a_bundle_signed_by_another_key_is_refused_in_both(
    page: Any, site: str, live: Live, tmp_path: Path
) -> None:
    page.goto(site + "/verify")
    site_key = page.input_value("#verify-key")  # this site's key: not the bundle's log
    assert site_key.split("+")[0] != live.vkey.split("+")[0]
    python = python_answer(live.finished, site_key, live.recording, tmp_path)
    assert python["error"].startswith("checkpoint is not signed by a trusted key")
    browser = browser_answer(page, live.finished, site_key, live.recording)
    assert browser == {
        "error": f"checkpoint is not signed by the key {site_key}"
    }  # tlog.js's words


# -- log entries of both kinds: parsed by tlog.js as by ledger/entry.py ------------------------

PARSE = """(entries) => entries.map((text) => {
  try {
    return { ok: TLOG.parseEntry(new TextEncoder().encode(text)) };
  } catch (e) {
    if (!(e instanceof TLOG.VerifyError)) throw e;
    return { error: e.message };
  }
})"""


def entry_cases(live: Live) -> list[str]:
    chunk1 = entry_of(live.finished["chunks"][1]["receipt"])
    chunk0 = entry_of(live.finished["chunks"][0]["receipt"])
    whole = entry_of(live.finished["whole"]["receipt"])
    changes: list[tuple[dict[str, Any], dict[str, Any]]] = [
        (chunk1, {}),
        (chunk0, {}),
        (whole, {}),
        (chunk1, {"v": 3}),
        (chunk1, {"v": 1}),
        (whole, {"v": 2}),
        (whole, {"kind": "live-chunk"}),
        (whole, {"kind": "photo"}),
        (chunk1, {"kind": None}),
        (chunk1, {"recording": chunk1["recording"].upper()}),
        (chunk1, {"recording": chunk1["recording"][:-1]}),
        (chunk1, {"recording": 7}),
        (chunk1, {"seq": 10000}),
        (chunk1, {"seq": 9999}),
        (chunk1, {"seq": -1}),
        (chunk1, {"seq": "1"}),
        (chunk1, {"seq": True}),
        (chunk1, {"prev_sha256": None}),
        (chunk0, {"prev_sha256": chunk1["sha256"]}),
        (chunk1, {"prev_sha256": chunk1["prev_sha256"][:-1]}),
        (chunk1, {"sha256": chunk1["sha256"].upper()}),
        (whole, {"sha256": 5}),
        (whole, {"size": 0}),
        (whole, {"size": "1"}),
        (whole, {"size": False}),
        (whole, {"size": 2**53 + 2}),
        (whole, {"media_type": 5}),
        (whole, {"media_type": "vidéo/webm ☃"}),
        (whole, {"media_type": 'a\u0001"\\b'}),
        (whole, {"received_at": "2024-02-29T23:59:59Z"}),
        (whole, {"received_at": "2026-02-29T00:00:00Z"}),
        (whole, {"received_at": "2026-12-31T23:59:60Z"}),
        (whole, {"received_at": "2026-12-31T24:00:00Z"}),
        (whole, {"received_at": "2026-13-01T00:00:00Z"}),
        (whole, {"received_at": "0999-01-01T00:00:00Z"}),
        (whole, {"received_at": "2026-01-01T00:00:00+00:00"}),
        (whole, {"received_at": "2026-1-01T00:00:00Z"}),  # strptime takes these, to
        (whole, {"received_at": "2026-01- 1T00:00:00Z"}),  # be refused as not canonical
        (whole, {"received_at": "2026-01-01t00:00:00z"}),
        (whole, {"received_at": "2026-01-01T0:0:0Z"}),
        (whole, {"received_at": 5}),
        (whole, {"extra": 1}),
        (chunk1, {"seq": None, "prev_sha256": None}),
    ]
    texts = []
    for base, change in changes:
        entry = {**base, **change}
        if "kind" in change and change["kind"] is None:
            entry.pop("kind")
        texts.append(json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    canonical = texts[2]
    texts += [
        canonical.replace(",", ", "),  # not canonical: spaces
        json.dumps({"v": 1, **json.loads(canonical)}, separators=(",", ":")),  # "v" first
        canonical.replace('"size":', '"size":1e0+'),  # not JSON
        canonical.replace('"v":1', '"v":1.0'),
        "[1]",
        "",
    ]
    return texts


def test_tlog_js_parses_log_entries_as_entry_py_does(page: Any, site: str, live: Live) -> None:
    texts = entry_cases(live)
    page.goto(site + "/verify")
    results = page.evaluate(PARSE, texts)
    accepted = 0
    for text, got in zip(texts, results, strict=True):
        try:
            entry = parse_entry(text.encode())
        except EntryError as exc:
            assert "error" in got, (text, got)
            if str(exc).startswith("entry cannot be canonicalised"):  # the rest is rfc8785's
                assert got["error"].startswith("entry cannot be canonicalised"), (text, got)
            else:
                assert got["error"] == str(exc), text
            continue
        accepted += 1
        assert got == {"ok": json.loads(text)}, text
        assert entry.to_bytes() == text.encode()
    assert accepted == 7


# -- the page, as a person uses it --------------------------------------------------------------


def verify_on_page(
    page: Any, site: str, vkey: str, receipt: Path, file: Path | None
) -> tuple[str, list[str]]:
    page.goto(site + "/verify")
    page.fill("#verify-key", vkey)
    if file is not None:
        page.set_input_files("#verify-file", str(file))
    page.set_input_files("#verify-receipt", str(receipt))
    page.click("#verify-button")
    page.locator("#verify-result h2").wait_for()
    assert_fits(page)  # hashes and keys wrap on a phone
    heading = page.locator("#verify-result h2").text_content() or ""
    return heading, page.locator("#verify-result p").all_text_contents()


def test_the_verify_page_checks_a_bundle_and_names_what_is_wrong(
    page: Any, site: str, live: Live, tmp_path: Path
) -> None:
    def write(name: str, data: bytes | dict[str, Any]) -> Path:
        path = tmp_path / name
        path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
        return path

    a, recording = live.finished, live.recording
    bundle = write(f"recording-{a['recording']}.bundle.json", a)
    video = write("recording.webm", recording)
    whole = entry_of(a["whole"]["receipt"])
    assert whole["sha256"] == hashlib.sha256(recording).hexdigest()
    whole_index = parse_receipt(a["whole"]["receipt"]).index

    heading, lines = verify_on_page(page, site, live.vkey, bundle, video)
    assert heading == "Verified", lines
    assert lines[0].startswith(
        f"Chunks 0 to 5 of recording {a['recording']} ({len(recording):,} bytes) verify: each "
        "is in the log, chained to the one before"
    )
    assert lines[0].endswith(f"signed by the key {live.vkey}.")
    assert lines[1:] == [
        f"The whole recording (SHA-256 {whole['sha256']}) is entry {whole_index}, and is its "
        "chunks end to end.",
        "recording.webm is exactly these chunks end to end: the whole file matches.",
    ]

    heading, lines = verify_on_page(page, site, live.vkey, bundle, None)
    assert heading == "Verified" and lines[-1] == (
        "No recording was chosen, so none was compared with the chunks."
    )

    changed = bytearray(recording)
    changed[len(live.chunks[0]) + 10] ^= 0x01  # in chunk 1
    altered = write("altered.webm", bytes(changed))
    assert verify_on_page(page, site, live.vkey, bundle, altered) == (
        "Does not verify",
        ["file does not match: its bytes for chunk 1 are not the logged chunk's"],
    )

    gaps = {**a, "chunks": [c for c in a["chunks"] if c["seq"] not in (1, 3)]}
    heading, lines = verify_on_page(page, site, live.vkey, write("gaps.bundle.json", gaps), video)
    assert heading == "Incomplete"
    assert lines[0] == "Not complete: chunks 1, 3 are missing from the bundle."
    assert lines[1].startswith(f"Chunks 0, 2, 4 to 5 of recording {a['recording']}")
    assert lines[-1] == "The file was not compared: chunks are missing."
    assert page.locator("#verify-result").get_attribute("class") == "result result-bad"
    assert serious_violations(page) == []

    one_gap = {**a, "chunks": [c for c in a["chunks"] if c["seq"] != 4]}
    heading, lines = verify_on_page(page, site, live.vkey, write("gap.bundle.json", one_gap), None)
    assert (heading, lines[0]) == (
        "Incomplete",
        "Not complete: chunk 4 is missing from the bundle.",
    )

    foreign = copy.deepcopy(a)
    foreign["chunks"][2] = live.other["chunks"][2]
    index = parse_receipt(live.other["chunks"][2]["receipt"]).index
    assert verify_on_page(page, site, live.vkey, write("foreign.bundle.json", foreign), video) == (
        "Does not verify",
        [f"chunk 2 (log entry {index}) is from another recording, {live.other['recording']}"],
    )

    cut = live.cut_short
    four = write("cut.webm", b"".join(live.chunks[:4]))
    heading, lines = verify_on_page(page, site, live.vkey, write("cut.bundle.json", cut), four)
    assert heading == "Verified", lines
    assert lines[0].startswith(f"Chunks 0 to 3 of recording {cut['recording']}")
    assert lines[1:] == [
        "No whole file: the recording was cut short, so only its chunks are logged.",
        "cut.webm is exactly these chunks end to end.",
    ]


def test_the_verify_page_still_checks_single_receipts_of_both_kinds(
    page: Any, site: str, live: Live, tmp_path: Path
) -> None:
    a, recording = live.finished, live.recording
    (tmp_path / "recording.webm").write_bytes(recording)
    (tmp_path / "recording.tlog-proof").write_text(a["whole"]["receipt"])
    assert entry_of(a["whole"]["receipt"])["v"] == 1  # an evidence entry
    heading, lines = verify_on_page(
        page, site, live.vkey, tmp_path / "recording.tlog-proof", tmp_path / "recording.webm"
    )
    assert heading == "Verified", lines
    assert lines[0].startswith(
        f"recording.webm (SHA-256 {hashlib.sha256(recording).hexdigest()}) is entry "
    )

    (tmp_path / "chunk-3.webm").write_bytes(live.chunks[3])
    (tmp_path / "chunk-3.tlog-proof").write_text(a["chunks"][3]["receipt"])
    heading, lines = verify_on_page(
        page, site, live.vkey, tmp_path / "chunk-3.tlog-proof", tmp_path / "chunk-3.webm"
    )
    assert heading == "Verified", lines
    assert f"SHA-256 {hashlib.sha256(live.chunks[3]).hexdigest()}" in lines[0]
    heading, lines = verify_on_page(
        page, site, live.vkey, tmp_path / "chunk-3.tlog-proof", tmp_path / "recording.webm"
    )
    assert (heading, lines) == ("Does not verify", ["file does not match receipt: sha256 differs"])
