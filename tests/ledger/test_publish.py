"""`witness log publish`: the log as static tlog-tiles files. A reader holding only those
files (written here from the C2SP tlog-tiles spec, not from the code under test) reproduces
the root and every inclusion proof; runs are incremental; the checkpoint comes last; a
destination that holds another history is refused."""

from __future__ import annotations

import hashlib
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pymerkle import InmemoryTree
from sqlalchemy import update

from openwitness.core.config import Settings
from openwitness.ledger.checkpoint import open_checkpoint
from openwitness.ledger.cosignature import Cosigner
from openwitness.ledger.note import parse_note
from openwitness.ledger.publish import FolderDestination, PublishRefused, publish, tile_path
from openwitness.services import Services, initialise
from openwitness.storage.models import Checkpoint as CheckpointRow
from tests.support import env_for

ORIGIN = "test.openwitness.local/log"


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


class StaticReader:
    """A tlog-tiles client over a folder: what a monitor fetching from a CDN does."""

    def __init__(self, root: Path, size: int) -> None:
        self.root, self.size = root, size

    def _path(self, kind: str, index: int, width: int) -> Path:
        name = "/".join(
            [f"x{index // 1000**k % 1000:03d}" for k in range((len(str(index)) - 1) // 3, 0, -1)]
            + [f"{index % 1000:03d}"]
        )
        if width < 256:
            name += f".p/{width}"
        return self.root / "tile" / kind / name

    def hashes(self, level: int) -> list[bytes]:
        """Every hash at tree level 8*level, read from that level's tiles."""
        count = self.size >> (8 * level)
        found = []
        for index in range(-(-count // 256)):
            width = min(256, count - index * 256)
            data = self._path(str(level), index, width).read_bytes()
            assert len(data) == 32 * width
            found += [data[i : i + 32] for i in range(0, len(data), 32)]
        return found

    def entries(self) -> list[bytes]:
        found = []
        for index in range(-(-self.size // 256)):
            width = min(256, self.size - index * 256)
            data, at = self._path("entries", index, width).read_bytes(), 0
            while at < len(data):
                (length,) = struct.unpack(">H", data[at : at + 2])
                found.append(data[at + 2 : at + 2 + length])
                at += 2 + length
        return found

    def node(self, level: int, index: int) -> bytes:
        """The hash of the complete subtree of 2**level leaves at ``index`` (from the tile
        at the level below it, rehashed upward)."""
        base = level - level % 8
        nodes = self.hashes(base // 8)[index << (level - base) : (index + 1) << (level - base)]
        while len(nodes) > 1:
            nodes = [_sha(b"\x01" + a + b) for a, b in zip(nodes[::2], nodes[1::2], strict=True)]
        return nodes[0]

    def mth(self, lo: int, hi: int) -> bytes:
        """RFC 9162 MTH of leaves lo..hi-1 from tile hashes only."""
        n = hi - lo
        if n & (n - 1) == 0 and lo % n == 0:
            return self.node(n.bit_length() - 1, lo // n)
        k = 1 << ((n - 1).bit_length() - 1)
        return _sha(b"\x01" + self.mth(lo, lo + k) + self.mth(lo + k, hi))

    def inclusion(self, index: int, lo: int = 0, hi: int | None = None) -> list[bytes]:
        """RFC 9162 PATH(index, D[lo:hi]) from tile hashes only."""
        hi = self.size if hi is None else hi
        if hi - lo == 1:
            return []
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        if index - lo < k:
            return [*self.inclusion(index, lo, lo + k), self.mth(lo + k, hi)]
        return [*self.inclusion(index, lo + k, hi), self.mth(lo, lo + k)]


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[tuple[Services, list[bytes]]]:
    settings = Settings(home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'w.db'}")
    services, _ = initialise(settings, ORIGIN)
    entries = [f"entry {i:04d}".encode() for i in range(600)]
    for entry in entries[:300]:
        services.log.append(entry)
    yield services, entries
    services.close()


def test_a_reader_of_the_files_alone_reproduces_the_root_and_every_proof(
    logged: tuple[Services, list[bytes]], tmp_path: Path
) -> None:
    services, entries = logged
    site = tmp_path / "site"
    done = publish(services.log, FolderDestination(site))
    assert (done.size, done.previous_size) == (300, 0)
    checkpoint = open_checkpoint((site / "checkpoint").read_text(), services.log.signer.verifier)
    reader = StaticReader(site, checkpoint.size)
    assert reader.entries() == entries[:300]
    tree = InmemoryTree(algorithm="sha256")
    for entry in reader.entries():
        tree.append_entry(entry)
    assert tree.get_root() == checkpoint.root_hash == reader.mth(0, 300)
    assert len(reader.hashes(1)) == 1  # level 1: one partial tile, the first 256 leaves
    for index in (0, 1, 255, 256, 299):
        assert reader.inclusion(index) == services.log.inclusion_proof(index, 300)
    assert (site / "tile/0/000").stat().st_mode & 0o777 == 0o644  # a static host may read it


def test_a_second_run_writes_only_what_changed_and_the_checkpoint_last(
    logged: tuple[Services, list[bytes]], tmp_path: Path
) -> None:
    services, entries = logged
    site = tmp_path / "site"
    publish(services.log, FolderDestination(site))
    full_tile = (site / "tile/0/000").stat().st_mtime_ns
    for entry in entries[300:]:
        services.log.append(entry)
    order: list[str] = []

    class Recording(FolderDestination):
        def write(self, name: str, data: bytes) -> None:
            order.append(name)
            super().write(name, data)

    done = publish(services.log, Recording(site))
    assert (done.size, done.previous_size) == (600, 300)
    assert order[-1] == "checkpoint"
    assert "tile/0/000" not in order  # full before: never written again
    assert set(order[:-1]) == {
        "tile/0/001", "tile/entries/001", "tile/0/002.p/88", "tile/entries/002.p/88",
        "tile/1/000.p/2",
    }  # fmt: skip
    assert (site / "tile/0/000").stat().st_mtime_ns == full_tile
    assert (site / "tile/0/001.p/44").exists()  # the old partial tile stays for old readers
    reader = StaticReader(site, 600)
    assert reader.entries() == entries and reader.mth(0, 600) == services.log.root(600)
    assert publish(services.log, FolderDestination(site)).tiles == 0  # nothing new
    # cosignatures added to the same checkpoint later are published too
    witness = Cosigner("w.example", Ed25519PrivateKey.generate())
    text = parse_note(services.log.latest_checkpoint()).text
    with services.db.write() as conn:
        conn.execute(
            update(CheckpointRow)
            .where(CheckpointRow.size == 600)
            .values(note=services.log.latest_checkpoint() + witness.cosign(text, 1_700_000_000))
        )
    assert publish(services.log, FolderDestination(site)).tiles == 0
    assert (site / "checkpoint").read_text() == services.log.latest_checkpoint()
    assert (site / "checkpoint").read_text().count("\u2014 ") == 2


def test_another_history_is_never_overwritten(
    logged: tuple[Services, list[bytes]], tmp_path: Path
) -> None:
    services, _ = logged
    site = tmp_path / "site"
    publish(services.log, FolderDestination(site))
    published = (site / "checkpoint").read_bytes()
    other_settings = Settings(
        home=tmp_path / "other", database_url=f"sqlite:///{tmp_path / 'o.db'}"
    )
    other, _ = initialise(other_settings, ORIGIN)  # same name, another key and history
    try:
        for i in range(400):
            other.log.append(f"forked {i}".encode())
        with pytest.raises(PublishRefused, match="not in this log's history"):
            publish(other.log, FolderDestination(site))
    finally:
        other.close()
    assert (site / "checkpoint").read_bytes() == published


def test_the_command_publishes_and_says_what_it_wrote(
    logged: tuple[Services, list[bytes]], tmp_path: Path
) -> None:
    services, _ = logged
    witness = Path(sys.executable).parent / "witness"
    site = tmp_path / "site"
    answer = subprocess.run(
        [str(witness), "log", "publish", str(site)],
        env=env_for(services.settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert answer.returncode == 0, answer.stderr
    assert "size 300 (was 0); 3 tiles and 2 entry bundles written" in answer.stdout
    assert (site / "checkpoint").read_text() == services.log.latest_checkpoint()
    unreadable = tmp_path / "bad"
    (unreadable / "checkpoint").parent.mkdir()
    (unreadable / "checkpoint").write_text("not a checkpoint")
    refused = subprocess.run(
        [str(witness), "log", "publish", str(unreadable)],
        env={**env_for(services.settings), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 1 and "cannot be read" in refused.stderr
    assert "Traceback" not in refused.stderr


@pytest.mark.parametrize("index", [0, 5, 999, 1000, 1234067, 256**3])
def test_tile_paths_follow_the_spec_and_the_reader(index: int, tmp_path: Path) -> None:
    reader_path = StaticReader(tmp_path, 0)._path("0", index, 256)
    assert reader_path == tmp_path / "tile" / "0" / tile_path(index)
    assert tile_path(0) == "000"
    assert tile_path(1234067) == "x001/x234/067"
    assert tile_path(5, 17) == "005.p/17"
