"""The same jobs on Dramatiq over the machine's Redis, run by two separate worker commands.

Each ``hsdt worker --processes 1`` is its own dramatiq master with one worker process; every task
records the worker process that ran it (host:pid), and both masters' workers must have worked —
on SQLite (two processes writing one WAL database) and on PostgreSQL. Its first job's messages
are lost before any worker runs; ``resume`` recovers it from the database.
"""

from __future__ import annotations

from pathlib import Path

import redis

from jobs.conftest import REDIS_URL, School, start_workers, write_jobs_config
from jobs.helpers import assert_documents_whole, events, per_subject, task_workers, wait_finished
from service.context import Context
from service.jobs import JobKind, JobState, KeyRef, resume_job, run_job, submit_job


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def test_two_worker_processes_share_the_jobs(
    home: Context, school: School, namespace: str, tmp_path: Path
) -> None:
    root = home.home.root
    write_jobs_config(root, engine="dramatiq", namespace=namespace)
    ctx = Context.open(root)
    # a job queued while no worker listens, whose messages are then lost (as a Redis restarted
    # without persistence loses them): the database still knows it, resume sends it again
    render = submit_job(ctx, JobKind.RENDER, school=school.code)
    queued = run_job(ctx, render)
    assert queued.state is JobState.QUEUED and queued.pending == 3  # sent, not run here
    client = redis.Redis.from_url(REDIS_URL)
    lost = list(client.scan_iter(match=f"{namespace}*"))
    assert lost  # the queue held the three messages
    client.delete(*lost)
    client.close()
    workers = start_workers(root, 2, tmp_path)
    try:
        assert resume_job(ctx, render).status.pending == 3
        assert wait_finished(ctx, render).state is JobState.DONE

        c = school.dataset.classes[0]
        teacher = next(t for s in c.subjects for t in s.teachers if t != c.homeroom_teacher)
        sign = submit_job(
            ctx, JobKind.SIGN, school=school.code, person_id=teacher, key=KeyRef("dev-pki")
        )
        run_job(ctx, sign)
        status = wait_finished(ctx, sign)
        assert status.state is JobState.DONE, status.to_json()
        assert status.done == 3

        ran = [int(w.split(":")[1]) for j in (render, sign) for w in task_workers(ctx, j)]
        masters = {_parent(pid) for pid in set(ran)}  # while the workers still run
        assert len(set(ran)) >= 2
        assert masters == {w.pid for w in workers}  # both worker commands did work
    finally:
        for w in workers:
            w.stop()
    assert set(per_subject(ctx, "document.rendered").values()) == {1}
    assert len(events(ctx, "document.signed")) == 3
    assert_documents_whole(ctx)
    ctx.close()
