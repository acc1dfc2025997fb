"""A server killed while logging a chunk: the log and the stored chunks stay in step, and the
recording carries on from where the log is."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from openwitness.services import Services, open_services
from tests.live.conftest import recorded_chunks, sha
from tests.support import env_for, stored_bytes

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

    moment, recording, token, prev, chunk = sys.argv[1:]
    target = {"before-log": TransparencyLog, "after-log": BlobStore}[moment]
    setattr(target, {"before-log": "append", "after-log": "commit"}[moment], die)
    data = Path(chunk).read_bytes()
    import hashlib
    open_services(Settings.from_env()).live.add_chunk(
        recording, token, 1, prev, hashlib.sha256(data).hexdigest(), 2000, iter([data])
    )
    """
)


@pytest.mark.parametrize("moment", ["before-log", "after-log"])
def test_a_kill_around_the_log_commit_loses_nothing_logged(
    services: Services, moment: str, tmp_path: Path
) -> None:
    chunks = recorded_chunks()
    live = services.live
    started = live.start()
    live.add_chunk(started.id, started.token, 0, None, sha(chunks[0]), 1000, iter([chunks[0]]))
    chunk_file = tmp_path / "chunk1"
    chunk_file.write_bytes(chunks[1])
    args = [moment, started.id, started.token, sha(chunks[0]), str(chunk_file)]
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_AT, *args], env=env_for(services.settings), timeout=120
    )
    assert proc.returncode == -signal.SIGKILL
    reopened = open_services(services.settings)
    try:
        reopened.vault.recover()
        logged = reopened.live.chunks(started.id)
        if moment == "before-log":
            assert [c.seq for c in logged] == [0]
            assert list(services.settings.staging_dir.iterdir()) == []
            resent = reopened.live.add_chunk(
                started.id, started.token, 1, sha(chunks[0]), sha(chunks[1]), 2000,
                iter([chunks[1]]),
            )  # fmt: skip
            assert resent.created
        else:
            # logged before the kill: the chunk's bytes were moved into the store on recovery
            assert [c.seq for c in logged] == [0, 1]
            second = reopened.live.chunk_hashes(started.id, 2)[1]
            assert stored_bytes(reopened.vault, second) == chunks[1]
        nxt = reopened.live.add_chunk(
            started.id, started.token, 2, sha(chunks[1]), sha(chunks[2]), 3000, iter([chunks[2]])
        )
        assert nxt.seq == 2 and reopened.log.size() == 3
        media = b"".join(reopened.live.media(started.id, 3))
        assert media == b"".join(chunks[:3])
    finally:
        reopened.close()
