"""Background jobs: a statistics import queued on Redis, run by `witness jobs worker`; the
worker is killed (SIGKILL) half way and another one finishes the job: retried, never lost.
Without a queue, a job runs in a thread of the process and reports its progress the same way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from openwitness.core.config import Settings
from openwitness.jobs.queue import JobQueue
from openwitness.jobs.service import JobStatus
from openwitness.services import Services, initialise
from tests.support import SHARED, env_for, require_shared

POLICE = SHARED / "data" / "police-uk"
PHOTO = SHARED / "data/media/ianare__exif-samples/jpg/gps/DSCN0010.jpg"
WITNESS = str(Path(sys.executable).parent / "witness")


def wait_until(
    job: Callable[[], JobStatus], ready: Callable[[JobStatus], bool], seconds: float
) -> JobStatus:
    deadline = time.monotonic() + seconds
    while True:
        status = job()
        if ready(status):
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; the job is {status}")
        time.sleep(0.02)


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[Services]:
    settings = Settings(home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'w.db'}")
    services, _ = initialise(settings, "test.openwitness.local/jobs")
    yield services
    services.close()


def redis_env(installed: Services, redis_url: str, **extra: str) -> dict[str, str]:
    """Environment for `witness` commands using a Redis queue of this test's own."""
    return {
        **env_for(installed.settings),
        "OPENWITNESS_REDIS_URL": redis_url,
        "OPENWITNESS_JOBS": "redis",
        "OPENWITNESS_JOBS_NAMESPACE": f"test-{uuid.uuid4().hex[:8]}",
        **extra,
    }


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """One `witness jobs worker` (one process, one thread), in a session of its own."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [WITNESS, "jobs", "worker", "--processes", "1", "--threads", "1"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def test_a_killed_worker_s_job_is_run_again_by_another(
    installed: Services, redis_url: str, tmp_path: Path
) -> None:
    require_shared(POLICE)
    env = redis_env(
        installed, redis_url,
        OPENWITNESS_JOBS_HEARTBEAT_MS="1500",  # a silent worker counts as dead after 1.5 s
        OPENWITNESS_JOBS_MAINTENANCE_CHANCE="1000000",  # and others look every time
    )  # fmt: skip
    months = sorted(str(p) for p in POLICE.iterdir() if p.is_dir())
    queued = subprocess.run(
        [WITNESS, "stats", "import", "--background", *months],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert queued.returncode == 0, queued.stderr
    job_id = queued.stdout.strip()
    assert installed.jobs.get(job_id).state == "queued"

    first = start_worker(env, tmp_path / "first.log")
    try:
        wait_until(lambda: installed.jobs.get(job_id), lambda s: s.state == "running", 60)
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the worker and its children, mid-job
        first.wait()
    assert installed.jobs.get(job_id).state == "running"  # it died without finishing
    second = start_worker(env, tmp_path / "second.log")
    try:
        done = wait_until(
            lambda: installed.jobs.get(job_id), lambda s: s.state in ("done", "failed"), 120
        )
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=30)
    assert done.state == "done", (done, (tmp_path / "second.log").read_text()[-2000:])
    assert done.attempts == 2  # the first attempt, killed, then the one that finished
    assert done.result is not None and done.result["imported"] >= len(months)
    assert done.result["refused"] == 0 and done.done >= len(months)
    shown = subprocess.run(
        [WITNESS, "jobs", "show", job_id], env=env, capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0 and "stats.import done, attempt 2" in shown.stdout


def test_without_a_queue_a_job_runs_in_the_process(installed: Services) -> None:
    require_shared(POLICE)
    queue = JobQueue(installed)
    assert not queue.background
    job_id = queue.submit("stats.import", {"paths": [str(POLICE / "2018-01")]}, "tester")
    done = wait_until(lambda: installed.jobs.get(job_id), lambda s: s.state == "done", 60)
    assert done.attempts == 1 and done.result and done.result["imported"] >= 1
    assert done.message and "files imported" in done.message
    missing = queue.submit("no.such.kind", {}, "tester")
    ended = wait_until(
        lambda: installed.jobs.get(missing), lambda s: s.state in ("done", "failed"), 60
    )
    assert ended.state == "failed" and ended.message == "no such kind of job: no.such.kind"


def test_a_queue_needs_redis(installed: Services) -> None:
    with pytest.raises(Exception, match="needs OPENWITNESS_REDIS_URL"):
        JobQueue(replace(installed, settings=replace(installed.settings, jobs_queue="redis")))


def test_previews_queued_on_redis_are_made_by_a_worker(
    installed: Services, redis_url: str, tmp_path: Path
) -> None:
    require_shared(PHOTO)
    env = redis_env(installed, redis_url)
    sha = installed.vault.ingest_file(PHOTO).record.sha256  # as `witness evidence add`: none
    queued = subprocess.run(
        [WITNESS, "evidence", "previews", "--background"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert queued.returncode == 0 and "1 preview jobs queued" in queued.stdout, queued.stderr
    [job] = [j for j in installed.jobs.recent() if j.kind == "evidence.preview"]
    assert job.state == "queued" and installed.previews.get(sha) is None
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        done = wait_until(lambda: installed.jobs.get(job.id), lambda s: s.state == "done", 120)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
    preview = installed.previews.get(sha)
    assert preview is not None and preview.state == "made" and preview.thumbnail
    assert done.result == {"state": "made", "phash": preview.phash}


def test_a_server_shutting_down_lets_its_running_jobs_finish(
    installed: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jobs run in threads of the server when there is no Redis: stopping the server waits
    for them before closing the database, rather than cutting them off half way."""
    from fastapi.testclient import TestClient

    from openwitness.app import create_app
    from openwitness.jobs import tasks

    started = threading.Event()

    def slow(services: Services, args: dict[str, Any], report: Any) -> tuple[dict[str, Any], str]:
        started.set()
        time.sleep(1.0)
        return {"slept": True}, "finished"

    monkeypatch.setitem(tasks.HANDLERS, "test.slow", slow)
    app = create_app(installed.settings)
    with TestClient(app):
        queue = app.state.job_queue
        job_id = queue.submit("test.slow", {}, "tester")
        assert started.wait(10)
    status = installed.jobs.get(job_id)
    assert status.state == "done" and status.result == {"slept": True}, status


def test_jobs_in_the_process_run_two_at_a_time(
    installed: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without Redis, many uploads at once queue many preview jobs: they take turns (two at a
    time) rather than all decoding pictures at once; every one still runs."""
    from openwitness.jobs import tasks

    running, most = 0, 0
    lock = threading.Lock()

    def counted(
        services: Services, args: dict[str, Any], report: Any
    ) -> tuple[dict[str, Any], str]:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.2)
        with lock:
            running -= 1
        return {}, "ok"

    monkeypatch.setitem(tasks.HANDLERS, "test.counted", counted)
    queue = JobQueue(installed)
    ids = [queue.submit("test.counted", {}, "tester") for _ in range(6)]
    queue.close()
    assert [installed.jobs.get(i).state for i in ids] == ["done"] * 6
    assert most == 2
