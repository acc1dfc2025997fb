"""Three OpenWitness instances on loopback, each a real `witness serve` that witnesses the
other two (C2SP tlog-witness). A's checkpoints are cosigned by B and C, and its receipts then
meet a 2-of-3 policy; a checkpoint A's key signs for a forked history is refused by every
witness, its receipts fail the policy, and monitors following A report the fork."""

from __future__ import annotations

import base64
import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from openwitness.core.config import Settings
from openwitness.ledger import merkle
from openwitness.ledger.checkpoint import Checkpoint
from openwitness.ledger.receipt import Receipt
from openwitness.services import Services, initialise, open_services
from openwitness.witnessing.collect import http_post
from openwitness.witnessing.keys import load_or_create, witness_name
from tests.api.test_api_server import free_port, serving
from tests.support import MEDIA, require_shared

NAMES = ("a", "b", "c")
PHOTO = MEDIA / "ianare__exif-samples/jpg/gps/DSCN0010.jpg"
WITNESS = str(Path(sys.executable).parent / "witness")


@dataclass
class Instance:
    name: str
    settings: Settings
    url: str
    log_key: str
    witness_key: str


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Instance]]:
    root = tmp_path_factory.mktemp("three")
    made: dict[str, Instance] = {}
    for name in NAMES:
        home = root / name
        settings = Settings(home=home, database_url=f"sqlite:///{home / 'w.db'}")
        services, _ = initialise(settings, f"test.openwitness.local/{name}")
        cosigner = load_or_create(settings.witness_key_path, witness_name(services.log.origin))
        made[name] = Instance(
            name, settings, f"http://127.0.0.1:{free_port()}", services.log.signer.verifier.vkey,
            cosigner.vkey,
        )  # fmt: skip
        services.close()
    for name, me in made.items():
        others = [made[o] for o in NAMES if o != name]
        (root / f"{name}-follows").write_text("".join(f"log {o.log_key}\n" for o in others))
        (root / f"{name}-witnesses").write_text(
            "".join(f"witness {o.name} {o.witness_key} {o.url}/witness\n" for o in others)
            + f"group others all {' '.join(o.name for o in others)}\nquorum others\n"
        )
        me.settings = replace(
            me.settings,
            witness_logs=root / f"{name}-follows",
            witness_policy=root / f"{name}-witnesses",
            cosign_every_seconds=3600,
        )
    with ExitStack() as running:
        for me in made.values():
            port = me.url.rsplit(":", 1)[1]
            running.enter_context(
                serving(me.settings, root / f"{me.name}.log", "--port", port, base=me.url)
            )
        yield made


def policy_2_of_3(network: dict[str, Instance], path: Path) -> Path:
    path.write_text(
        "# any one of the three logs, cosigned by two of the three witnesses\n"
        + "".join(f"log {i.log_key}\n" for i in network.values())
        + "".join(f"witness {i.name} {i.witness_key}\n" for i in network.values())
        + "group two-of-three 2 a b c\nquorum two-of-three\n"
    )
    return path


def verify(receipt: Path, policy: Path, file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [WITNESS, "verify", "--receipt", str(receipt), "--policy", str(policy), str(file)],
        capture_output=True, text=True, timeout=60, env={"COLUMNS": "300", "PATH": "/usr/bin"},
    )  # fmt: skip


@contextmanager
def opened(instance: Instance) -> Iterator[Services]:
    services = open_services(instance.settings)
    try:
        yield services
    finally:
        services.close()


def test_receipts_carry_two_cosignatures_and_meet_a_2_of_3_policy(
    network: dict[str, Instance], tmp_path: Path
) -> None:
    require_shared(PHOTO)
    policy = policy_2_of_3(network, tmp_path / "policy")
    with opened(network["a"]) as a:
        lodged = a.vault.ingest_file(PHOTO)
        before = tmp_path / "before.tlog-proof"
        before.write_text(lodged.receipt.to_text())
        assert a.cosigning is not None
        outcomes = a.cosigning.collect()
        assert [(o.witness, o.status) for o in outcomes] == [("b", 200), ("c", 200)]
        after = tmp_path / "after.tlog-proof"
        after.write_text(a.log.receipt(lodged.record.log_index).to_text())
    served = httpx.get(f"{network['a'].url}/checkpoint").text
    assert served.count("\u2014 ") == 3  # the log's signature and two cosignatures
    ok = verify(after, policy, PHOTO)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "cosigned by b, c" in ok.stdout
    alone = verify(before, policy, PHOTO)  # signed by the log alone
    assert alone.returncode == 1 and "not cosigned by enough witnesses" in alone.stdout
    # each witness knows what it cosigned, and says so
    seen = httpx.get(f"{network['b'].url}/witness").json()
    assert "test.openwitness.local/a" in [log["origin"] for log in seen["logs"]]
    assert seen["key"] == network["b"].witness_key


def _forked_checkpoint(a: Services, size: int, old_size: int) -> tuple[list[bytes], str]:
    """A's key signs a tree of ``size`` whose entries differ from A's after ``old_size - 1``:
    what a log that shows one history to the public and another to a court must do."""
    honest = a.log.entries(0, a.log.size())
    forked = (
        honest[: old_size - 1]
        + [b"a different entry"]
        + [f"forked {i}".encode() for i in range(size - old_size)]
    )
    checkpoint = Checkpoint(a.log.origin, size, merkle.root(forked))
    return forked, a.log.signer.sign_text(checkpoint.text())


def test_a_forked_checkpoint_is_refused_by_every_witness_and_fails_the_policy(
    network: dict[str, Instance], tmp_path: Path
) -> None:
    require_shared(PHOTO)
    policy = policy_2_of_3(network, tmp_path / "policy")
    with opened(network["a"]) as a:
        a.vault.ingest_file(PHOTO)
        a.log.append(b"a later entry")  # the fork rewrites this one; entry 0 stays the photo
        assert a.cosigning is not None
        a.cosigning.collect()
        cosigned = a.log.size()
        forked, note = _forked_checkpoint(a, cosigned + 2, cosigned)
        proof = merkle.consistency_proof(forked, cosigned)
        body = f"old {cosigned}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof)
        for other in ("b", "c"):
            url = f"{network[other].url}/witness/add-checkpoint"
            assert http_post(url, (body + "\n" + note).encode())[0] == 422  # inconsistent
            stale, said = http_post(url, ("old 0\n\n" + note).encode())
            assert (stale, said) == (409, f"{cosigned}\n")  # and never rolled back
            logs = httpx.get(f"{network[other].url}/witness").json()["logs"]
            state = next(log for log in logs if log["origin"] == "test.openwitness.local/a")
            assert state["size"] == cosigned
        receipt = tmp_path / "forked.tlog-proof"
        receipt.write_text(
            Receipt(forked[0], 0, tuple(merkle.inclusion_proof(forked, 0)), note).to_text()
        )
    refused = verify(receipt, policy, PHOTO)  # signed by A's key, the entry is the photo ...
    assert refused.returncode == 1, refused.stdout  # ... but no witness would cosign it
    assert "not cosigned by enough witnesses" in refused.stdout


@contextmanager
def serving_checkpoint(note: str) -> Iterator[str]:
    """A server that answers /checkpoint with ``note``: the forked log as a monitor sees it."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = note.encode()
            self.send_response(200 if self.path == "/checkpoint" else 404)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def monitor(url: str, key: str, state: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [WITNESS, "monitor", url, "--key", key, "--state", str(state)],
        capture_output=True, text=True, timeout=60, env={"COLUMNS": "300", "PATH": "/usr/bin"},
    )  # fmt: skip


def test_monitors_follow_the_log_and_report_a_fork(
    network: dict[str, Instance], tmp_path: Path
) -> None:
    a_url, a_key = network["a"].url, network["a"].log_key
    states = [tmp_path / "monitor-b.state", tmp_path / "monitor-c.state"]
    for state in states:
        first = monitor(a_url, a_key, state)
        assert first.returncode == 0 and "first seen" in first.stdout, first.stderr
    with opened(network["a"]) as a:
        size = a.log.size()
        a.log.append(b"one more entry")
        _, same_size_fork = _forked_checkpoint(a, size + 1, size + 1)
    for state in states:  # an honest append: consistent, followed
        grown = monitor(a_url, a_key, state)
        assert grown.returncode == 0 and f"size {size + 1} (was {size})" in grown.stdout
    with serving_checkpoint(same_size_fork) as forked_log:
        for state in states:
            kept = state.read_text()
            alarm = monitor(forked_log, a_key, state)
            assert alarm.returncode == 3, alarm.stdout + alarm.stderr
            assert "FORK test.openwitness.local/a: two different roots" in alarm.stdout
            assert state.read_text() == kept  # the good checkpoint is kept ...
            assert (state.parent / f"{state.name}.fork-{size + 1}").read_text() == same_size_fork
    wrong_key = monitor(a_url, network["b"].log_key, tmp_path / "x.state")
    assert wrong_key.returncode == 1 and "not signed by a trusted key" in wrong_key.stderr


def test_the_witness_refuses_what_the_spec_says_it_must(network: dict[str, Instance]) -> None:
    url = f"{network['b'].url}/witness/add-checkpoint"
    with opened(network["c"]) as c:
        own = c.log.latest_checkpoint()
        c_key_id = c.log.signer.verifier.key_id
        stranger = c.log.signer.sign_text(
            "unknown.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
        )
    assert http_post(url, b"old 0\n\n" + stranger.encode())[0] == 404  # a log it does not follow
    text = own.split("\n\n", 1)[0] + "\n"
    forged = base64.b64encode(c_key_id + bytes(64)).decode()  # C's key id, a wrong signature
    tampered = f"{text}\n\u2014 test.openwitness.local/c {forged}\n"
    assert http_post(url, ("old 0\n\n" + tampered).encode())[0] == 403  # a bad signature
    assert http_post(url, b"old 9999999\n\n" + own.encode())[0] == 400  # old beyond size
    assert http_post(url, b"garbage")[0] == 400
