"""Where jobs go: a dramatiq queue on Redis (``OPENWITNESS_REDIS_URL`` and ``witness jobs
worker`` running somewhere), or a thread of this process when there is no Redis.

Dramatiq acknowledges a message only once its job has ended, and a worker's unacknowledged
messages go back on the queue when the worker stops sending heartbeats: a job whose worker is
killed (even by SIGKILL) runs again on another, never lost.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from openwitness.core.errors import OpenWitnessError
from openwitness.jobs import tasks
from openwitness.services import Services

QUEUE = "openwitness"


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
            threading.Thread(
                target=tasks.run, args=(self.services, job_id), name=f"job-{job_id}", daemon=True
            ).start()
        return job_id
