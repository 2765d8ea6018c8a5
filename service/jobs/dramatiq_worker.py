"""The module ``hsdt worker`` hands to the ``dramatiq`` command: one actor per job kind.

The home comes from ``$HSDT_HOME`` (set by ``hsdt worker``), the broker from its ``[jobs]``
section. Actors take (home, job_id, task_id) and never retry on their own: a task's failure is
recorded in the database, and ``hsdt jobs resume`` is how a job is retried.
"""

from __future__ import annotations

import os
from pathlib import Path

import dramatiq

from service.home import Home
from service.jobs.engines import QUEUE, actor_name, make_broker
from service.jobs.model import JobKind
from service.jobs.runner import run_task

_settings = Home.open(Path(os.environ["HSDT_HOME"]), create=False).settings().jobs
broker = make_broker(_settings)
dramatiq.set_broker(broker)


def _declare(kind: JobKind) -> dramatiq.Actor[[str, int, int], None]:
    name = actor_name(kind)

    def perform(home: str, job_id: int, task_id: int) -> None:
        following = run_task(home, task_id)
        if following is not None:  # a sequential job: the next file, after this one
            actors[kind].send(home, job_id, following)

    perform.__name__ = name
    decorate = dramatiq.actor(
        actor_name=name,
        queue_name=QUEUE,
        max_retries=0,
        # the lease, in milliseconds: a task running longer is taken over anyway
        time_limit=_settings.lease_seconds * 1000,
        broker=broker,
    )
    return decorate(perform)


actors = {kind: _declare(kind) for kind in JobKind}
