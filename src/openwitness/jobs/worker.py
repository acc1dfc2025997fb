"""The dramatiq worker's module: ``witness jobs worker`` runs ``dramatiq`` on it. The broker
and the services are made from the environment, once per worker process."""

from __future__ import annotations

import os
from typing import Any

import dramatiq

from openwitness.core.config import Settings
from openwitness.jobs import queue, tasks
from openwitness.services import Services, open_services

_services: Services | None = None
_actor: Any = None


def actor_for(redis_url: str) -> Any:
    """The one actor that runs jobs, bound to a broker on ``redis_url`` (made once)."""
    global _actor
    if _actor is None:
        dramatiq.set_broker(queue.broker(redis_url))
        decorate = dramatiq.actor(
            actor_name="run_job", queue_name=queue.QUEUE, max_retries=3,
            time_limit=24 * 3600 * 1000,
        )  # fmt: skip
        _actor = decorate(_run_job)
    return _actor


def _run_job(job_id: str) -> None:
    global _services
    if _services is None:
        _services = open_services(Settings.from_env())
    tasks.run(_services, job_id)


if os.environ.get("OPENWITNESS_REDIS_URL"):  # imported by the dramatiq command
    actor_for(os.environ["OPENWITNESS_REDIS_URL"])
