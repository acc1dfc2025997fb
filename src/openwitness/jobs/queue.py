"""Where jobs go: a dramatiq queue on Redis (``OPENWITNESS_REDIS_URL`` and ``witness jobs
worker`` running somewhere), or a thread of this process when there is no Redis.

Dramatiq acknowledges a message only once its job has ended, and a worker's unacknowledged
messages go back on the queue when the worker stops sending heartbeats: a job whose worker is
killed (even by SIGKILL) runs again on another, never lost.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from openwitness.core.errors import OpenWitnessError
from openwitness.jobs import tasks
from openwitness.services import Services

QUEUE = "openwitness"
#: how many jobs run at once in a process without a Redis queue
JOBS_AT_ONCE_HERE = 2


def broker(redis_url: str) -> Any:
    """The Redis broker; heartbeat timing from the environment (tests shorten it)."""
    from dramatiq.brokers.redis import RedisBroker

    return RedisBroker(  # type: ignore[no-untyped-call]
        url=redis_url,
        # installations sharing one Redis keep their queues apart by this name
        namespace=os.environ.get("OPENWITNESS_JOBS_NAMESPACE", "openwitness"),
        heartbeat_timeout=int(os.environ.get("OPENWITNESS_JOBS_HEARTBEAT_MS", "60000")),
        maintenance_chance=int(os.environ.get("OPENWITNESS_JOBS_MAINTENANCE_CHANCE", "1000")),
    )


class JobQueue:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._actor: Any = None
        settings = services.settings
        if settings.jobs_queue not in ("thread", "redis"):
            raise OpenWitnessError(
                f"OPENWITNESS_JOBS is thread or redis, not {settings.jobs_queue!r}"
            )
        self._threads: set[threading.Thread] = set()
        self._threads_lock = threading.Lock()
        #: jobs run here one or two at a time, the rest wait their turn: a server lodging
        #: many photos at once must not decode them all at once
        self._turns = threading.BoundedSemaphore(JOBS_AT_ONCE_HERE)
        if settings.jobs_queue == "redis":
            if not settings.redis_url:
                raise OpenWitnessError("OPENWITNESS_JOBS=redis needs OPENWITNESS_REDIS_URL")
            from openwitness.jobs import worker

            self._actor = worker.actor_for(settings.redis_url)

    @property
    def background(self) -> bool:
        """Whether jobs go to workers elsewhere (else they run in this process)."""
        return self._actor is not None

    def submit(self, kind: str, args: dict[str, Any], created_by: str) -> str:
        job_id = self.services.jobs.create(kind, args, created_by)
        if self._actor is not None:
            self._actor.send(job_id)
        else:
            thread = threading.Thread(
                target=self._run_here, args=(job_id,), name=f"job-{job_id}", daemon=True
            )
            with self._threads_lock:
                self._threads.add(thread)
            thread.start()
        return job_id

    def _run_here(self, job_id: str) -> None:
        try:
            with self._turns:
                tasks.run(self.services, job_id)
        finally:
            with self._threads_lock:
                self._threads.discard(threading.current_thread())

    def close(self, timeout: float = 30.0) -> None:
        """Let the jobs running in this process finish (up to ``timeout`` seconds in all)
        before the database they write to is closed: a server shutting down does not cut a
        thumbnail or an import off half way unless it takes longer than that."""
        deadline = time.monotonic() + timeout
        with self._threads_lock:
            running = list(self._threads)
        for thread in running:
            thread.join(max(0.0, deadline - time.monotonic()))
