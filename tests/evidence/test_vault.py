"""The vault through its service API, on SQLite and PostgreSQL: ingest, refusals, crashes."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from openwitness.core.config import Settings
from openwitness.core.errors import InvalidRequestError, NotFoundError
from openwitness.evidence.service import EmptyFile, FileTooLarge, UnsupportedMediaType, Vault
from openwitness.ledger import merkle
from openwitness.ledger.entry import parse_entry
from openwitness.ledger.verify import file_sha256, verify_receipt
from openwitness.services import Services, open_services
from tests.support import MEDIA, env_for, require_shared, stored_bytes

PHOTO = MEDIA / "ianare__exif-samples/jpg/gps/DSCN0010.jpg"
VIDEO = MEDIA / "jmathai__elodie/elodie/tests/files/video.mov"


def leftovers(settings: Settings) -> list[Path]:
    """Every file in the data folder's blob store and staging area."""
    return sorted(
        p
        for d in (settings.blob_dir, settings.staging_dir)
        if d.exists()
        for p in d.rglob("*")
        if p.is_file()
    )


def assert_log_consistent(services: Services) -> None:
    """Indices 0..n-1, each evidence row points at its entry, each entry's blob is stored."""
    size = services.log.size()
    entries = services.log.entries(0, size)
    assert len(entries) == size
    assert services.log.root(size) == merkle.root(entries)
    for index, data in enumerate(entries):
        entry = parse_entry(data)
        record = services.vault.get(entry.sha256)
        assert record.log_index == index
        with services.vault.local_blob(entry.sha256) as blob:
            assert file_sha256(blob) == (entry.sha256, entry.size)


def test_ingest_stores_logs_and_returns_a_verifiable_receipt(services: Services) -> None:
    require_shared(PHOTO)
    result = services.vault.ingest_file(PHOTO)
    assert result.created
    sha, size = file_sha256(PHOTO)
    assert (result.record.sha256, result.record.size) == (sha, size)
    assert result.record.media_type == "image/jpeg"
    assert result.record.metadata["device"]["model"] == "COOLPIX P6000"
    blob = services.settings.blob_dir / sha[:2] / sha[2:4] / sha
    assert blob.read_bytes() == PHOTO.read_bytes()
    verified = verify_receipt(result.receipt, services.log.signer.verifier, PHOTO)
    assert verified.entry.sha256 == sha and verified.index == 0
    assert not list(services.settings.staging_dir.iterdir())
    assert_log_consistent(services)


def test_the_same_bytes_are_stored_and_logged_once(services: Services) -> None:
    require_shared(PHOTO)
    first = services.vault.ingest_file(PHOTO)
    again = services.vault.ingest_stream(io.BytesIO(PHOTO.read_bytes()))
    assert not again.created
    assert again.record == first.record
    assert services.log.size() == 1
    assert len(leftovers(services.settings)) == 1
    verify_receipt(again.receipt, services.log.signer.verifier, PHOTO)


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (b"", EmptyFile, "file is empty"),
        (b"just some text, not a video\n" * 10, UnsupportedMediaType, "file type not accepted"),
        (b"PK\x03\x04" + bytes(200), UnsupportedMediaType, "file type not accepted"),
        (b"<html><body>hi</body></html>", UnsupportedMediaType, "file type not accepted"),
        (b"\x7fELF\x02\x01\x01" + bytes(100), UnsupportedMediaType, "file type not accepted"),
    ],
    ids=["empty", "text", "zip", "html", "elf"],
)
def test_bad_files_are_refused_with_nothing_left_behind(
    services: Services, content: bytes, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        services.vault.ingest_stream(io.BytesIO(content))
    assert leftovers(services.settings) == []
    assert services.log.size() == 0


def test_files_over_the_limit_are_refused_with_nothing_left_behind(services: Services) -> None:
    require_shared(PHOTO)
    small = Vault(services.db, services.log, services.vault.blobs, max_upload_bytes=100_000)
    with pytest.raises(FileTooLarge, match="larger than the limit of 100,000 bytes"):
        small.ingest_file(PHOTO)
    assert leftovers(services.settings) == []
    assert services.log.size() == 0


def test_unreadable_metadata_is_recorded_and_the_file_still_stored(
    services: Services, tmp_path: Path
) -> None:
    require_shared(VIDEO)
    truncated = tmp_path / "truncated.mov"
    truncated.write_bytes(VIDEO.read_bytes()[:40_000])
    result = services.vault.ingest_file(truncated)
    assert result.created
    assert result.record.media_type == "video/quicktime"
    errors = result.record.metadata["errors"]
    assert errors and all(e["reason"] for e in errors)
    assert stored_bytes(services.vault, result.record.sha256) == truncated.read_bytes()


def test_lookups_reject_malformed_and_unknown_hashes(services: Services) -> None:
    with pytest.raises(InvalidRequestError, match="64 hexadecimal"):
        services.vault.get("not-a-hash")
    with pytest.raises(NotFoundError, match="no evidence"):
        services.vault.get("0" * 64)


# -- crashes: a real process killed with SIGKILL ------------------------------------------

_SLOW_INGEST = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from openwitness.core.config import Settings
    from openwitness.services import open_services

    class Slow:
        # A phone upload that stalls half way: the first MiB, then nothing for a minute.
        def __init__(self, data): self.data, self.sent = data, 0
        def read(self, n):
            if self.sent >= 1 << 20:
                print("STALLED", flush=True); time.sleep(60)
            chunk = self.data[self.sent:self.sent + min(n, 65536)]
            self.sent += len(chunk)
            return chunk

    svc = open_services(Settings.from_env())
    svc.vault.ingest_stream(Slow(Path(sys.argv[1]).read_bytes()))
    """
)

_KILL_AT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from openwitness.core.config import Settings
    from openwitness.evidence.blobstore import BlobStore
    from openwitness.ledger.store import TransparencyLog
    from openwitness.services import open_services

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    target = {"before-log": TransparencyLog, "after-log": BlobStore}[sys.argv[2]]
    method = {"before-log": "append", "after-log": "commit"}[sys.argv[2]]
    setattr(target, method, die)
    open_services(Settings.from_env()).vault.ingest_file(Path(sys.argv[1]))
    """
)


def _run_killed(script: str, args: list[str], settings: Settings) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env=env_for(settings),
        stdout=subprocess.PIPE,
        text=True,
    )


def test_sigkill_mid_upload_leaves_no_orphan_and_no_gap(services: Services, tmp_path: Path) -> None:
    require_shared(VIDEO)
    services.vault.ingest_file(PHOTO)
    proc = _run_killed(_SLOW_INGEST, [str(VIDEO)], services.settings)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "STALLED"
    partial = list(services.settings.staging_dir.iterdir())
    assert len(partial) == 1 and partial[0].suffix == ".part"
    services.vault.recover()
    assert partial[0].exists(), "a live upload's staging file must not be touched"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # The next ingest cleans up after the dead one and works.
    result = services.vault.ingest_file(VIDEO)
    assert result.created and result.record.log_index == 1
    assert not list(services.settings.staging_dir.iterdir())
    assert len(leftovers(services.settings)) == 2
    assert_log_consistent(services)


@pytest.mark.parametrize("moment", ["before-log", "after-log"])
def test_sigkill_around_the_log_commit_keeps_log_and_blobs_in_step(
    services: Services, moment: str
) -> None:
    require_shared(VIDEO)
    proc = _run_killed(_KILL_AT, [str(VIDEO), moment], services.settings)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    staged = list(services.settings.staging_dir.iterdir())
    assert len(staged) == 1 and staged[0].suffix == ".staged"  # durable, not yet in the store
    reopened = open_services(services.settings)
    try:
        reopened.vault.recover()
        if moment == "before-log":
            assert reopened.log.size() == 0
            assert leftovers(services.settings) == []
        else:
            assert reopened.log.size() == 1
            sha, _ = file_sha256(VIDEO)
            assert stored_bytes(reopened.vault, sha) == VIDEO.read_bytes()
        # The next ingest works and continues the log without a gap.
        again = reopened.vault.ingest_file(VIDEO)
        assert again.record.log_index == 0
        photo = reopened.vault.ingest_file(PHOTO)
        assert photo.record.log_index == 1
        assert_log_consistent(reopened)
    finally:
        reopened.close()


def test_recovery_leaves_a_staging_file_whose_writer_is_alive(
    sqlite_services: Services,
) -> None:
    vault = sqlite_services.vault
    with vault.upload() as staged:
        vault.write(staged, b"\xff\xd8\xff\xe0" + bytes(1000))
        vault.recover()
        assert staged.path.exists()
    assert not staged.path.exists()
    assert os.listdir(sqlite_services.settings.staging_dir) == []


def test_the_files_bytes_are_fsynced_before_its_log_entry_commits(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A power cut after the commit must not leave a logged entry whose file was only in the
    page cache: the staged file itself, complete, is fsynced before the log append starts."""
    require_shared(PHOTO)
    data = PHOTO.read_bytes()
    events: list[tuple[str, str, int]] = []
    real_fsync, real_append = os.fsync, services.log.append

    def fsync(fd: int) -> None:
        real_fsync(fd)
        target = os.readlink(f"/proc/self/fd/{fd}")
        size = os.fstat(fd).st_size if Path(target).is_file() else -1
        events.append(("fsync", target, size))

    def append(*args: object, **kwargs: object) -> object:
        events.append(("append", "", 0))
        return real_append(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(services.log, "append", append)
    result = services.vault.ingest_stream(io.BytesIO(data))
    assert result.created
    appended = events.index(("append", "", 0))
    staging = str(services.settings.staging_dir)
    synced_before = [
        (path, size)
        for kind, path, size in events[:appended]
        if kind == "fsync" and str(Path(path).parent) == staging and size >= 0
    ]
    assert synced_before and all(size == len(data) for _, size in synced_before), events


def test_recovery_skips_a_staging_file_renamed_while_it_looks(
    sqlite_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another upload's ``.new`` file can become ``.part`` between the listing and the look
    at it; with uploads now starting in parallel threads, that made an upload fail (500)."""
    staging = sqlite_services.settings.staging_dir
    staging.mkdir(parents=True, exist_ok=True)
    listed = [staging / "already-renamed.new", staging / "already-finished.part"]
    real_iterdir = Path.iterdir
    monkeypatch.setattr(
        Path, "iterdir", lambda self: iter(listed) if self == staging else real_iterdir(self)
    )
    sqlite_services.vault.recover()  # must not raise on files that went away
    result = sqlite_services.vault.ingest_stream(io.BytesIO(require_shared(PHOTO).read_bytes()))
    assert result.created


def padded_photo(path: Path, size: int) -> Path:
    """A real photo with random bytes after it: several of copy_from's 8 MiB kernel copies."""
    data = PHOTO.read_bytes()
    path.write_bytes(data + os.urandom(size - len(data)))
    return path


@pytest.mark.parametrize("kernel_copy", [True, False], ids=["copy_file_range", "fallback"])
def test_a_local_file_is_copied_and_hashed_byte_for_byte(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kernel_copy: bool
) -> None:
    """ingest_file copies with copy_file_range while hashing the staged copy; where the kernel
    refuses (another filesystem, an old kernel) it reads and writes instead: the same bytes,
    hash, progress and limit either way."""
    require_shared(PHOTO)
    if not kernel_copy:

        def refuse(*_args: object) -> int:
            raise OSError(18, "Invalid cross-device link")  # EXDEV

        monkeypatch.setattr(os, "copy_file_range", refuse)
    big = padded_photo(tmp_path / "big.jpg", 20 * 1024 * 1024 + 12345)
    seen: list[int] = []
    result = services.vault.ingest_file(big, seen.append)
    assert (result.record.sha256, result.record.size) == file_sha256(big)
    assert result.record.media_type == "image/jpeg"
    assert stored_bytes(services.vault, result.record.sha256) == big.read_bytes()
    assert seen == sorted(seen) and seen[-1] == big.stat().st_size
    size = big.stat().st_size
    exact = Vault(services.db, services.log, services.vault.blobs, max_upload_bytes=size)
    assert not exact.ingest_file(big).created  # exactly the limit is allowed
    short = Vault(services.db, services.log, services.vault.blobs, max_upload_bytes=size - 1)
    with pytest.raises(FileTooLarge):
        short.ingest_file(big)
    assert len(leftovers(services.settings)) == 1 and services.log.size() == 1


def test_a_kernel_copy_writes_back_as_it_goes(
    sqlite_services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the copy runs ahead of the hashing, it asks the disk to catch up every so often
    (so the final fsync has little left); the stored bytes and hash are unchanged."""
    require_shared(PHOTO)
    from openwitness.evidence import blobstore

    monkeypatch.setattr(blobstore, "_FLUSH_STEP", 4 * 1024 * 1024)
    flushed: list[int] = []
    real_fdatasync = os.fdatasync

    def counting(fd: int) -> None:
        flushed.append(fd)
        real_fdatasync(fd)

    monkeypatch.setattr(os, "fdatasync", counting)
    big = padded_photo(tmp_path / "big.jpg", 20 * 1024 * 1024 + 777)
    result = sqlite_services.vault.ingest_file(big)
    assert (result.record.sha256, result.record.size) == file_sha256(big)
    assert stored_bytes(sqlite_services.vault, result.record.sha256) == big.read_bytes()
    assert len(flushed) >= 2  # 8 MiB copies, flushed each time 4 MiB or more have built up
