"""Appending: one linear, gap-free chain per database, written in the transaction of the change
it records — also with concurrent threads and processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import threading

import pytest
from sqlalchemy import func, select, text

from audit_log.helpers import chain, record, sql
from audit_log.workers import append_many
from service.audit_chain import GENESIS_HASH, SecretInDetail
from service.audit_log import AuditLogError, events_table, read_head
from service.audit_verify import verify_audit_log
from service.context import Context
from service.db.models import DatasetRow


def assert_linear(ctx: Context, expected: int) -> None:
    links = chain(ctx.engine)
    assert [seq for seq, _, _ in links] == list(range(1, expected + 1))  # gap-free
    previous = [GENESIS_HASH] + [h for _, _, h in links[:-1]]
    assert [p for _, p, _ in links] == previous  # each entry chains to the one before: no fork
    with ctx.sessions() as s:
        head = read_head(s)
    assert head is not None and (head.seq, head.entry_hash) == (expected, links[-1][2])
    report = verify_audit_log(ctx)
    assert report.ok, report.findings


def test_entries_chain_in_commit_order_with_their_fields(audit_ctx: Context) -> None:
    record(audit_ctx, 3)
    with audit_ctx.sessions.begin() as session:
        audit_ctx.record_event(session, "a", "X")
        audit_ctx.record_event(session, "b", "X")
    assert_linear(audit_ctx, 5)
    with audit_ctx.engine.connect() as c:
        row = c.execute(select(events_table).where(events_table.c.seq == 1)).one()
    assert (row.actor, row.action, row.subject) == ("GV001", "document.rendered", "HB-0000")
    assert row.detail == '{"học_sinh":"Lò Thị Ánh","version":1}'


def test_a_rolled_back_change_leaves_no_entry_and_no_gap(audit_ctx: Context) -> None:
    record(audit_ctx, 2)
    with pytest.raises(RuntimeError), audit_ctx.sessions.begin() as session:
        audit_ctx.record_event(session, "dataset.imported", "rolled-back")
        session.flush()
        raise RuntimeError("the change failed")
    record(audit_ctx, 1)
    assert_linear(audit_ctx, 3)
    with audit_ctx.engine.connect() as c:
        subjects = c.scalars(select(events_table.c.subject)).all()
    assert "rolled-back" not in subjects


def test_an_entry_inside_a_rolled_back_savepoint_is_dropped_with_it(audit_ctx: Context) -> None:
    with audit_ctx.sessions() as session:
        with session.begin_nested():
            audit_ctx.record_event(session, "kept", "A")
        with pytest.raises(RuntimeError), session.begin_nested():
            audit_ctx.record_event(session, "dropped", "B")
            raise RuntimeError
        audit_ctx.record_event(session, "kept", "C")
        session.commit()
    with audit_ctx.engine.connect() as c:
        rows = c.execute(text("SELECT seq, subject FROM events ORDER BY seq")).all()
    assert [(r[0], r[1]) for r in rows] == [(1, "A"), (2, "C")]
    assert_linear(audit_ctx, 2)


def test_a_secret_in_the_detail_is_refused_before_anything_is_written(audit_ctx: Context) -> None:
    with pytest.raises(SecretInDetail, match="pin"), audit_ctx.sessions.begin() as session:
        session.add(
            DatasetRow(
                school_code="X", school_year="2025-2026", sha256="0" * 64, source_name="x",
                source_path="x", canonical=b"{}", warnings="[]",
                imported_at=audit_ctx.clock.now(),
            )
        )  # fmt: skip
        audit_ctx.record_event(session, "signature.prepared", "HB-1", pin="123456")
    with audit_ctx.engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(events_table)) == 0
        assert c.scalar(select(func.count()).select_from(DatasetRow)) == 0


def test_without_its_head_row_the_log_refuses_to_append_and_the_change_is_not_kept(
    audit_ctx: Context,
) -> None:
    record(audit_ctx, 1)
    sql(audit_ctx.engine, "DELETE FROM audit_head")
    with pytest.raises(AuditLogError, match="audit_head"), audit_ctx.sessions.begin() as s:
        audit_ctx.record_event(s, "x", "lost")
    with audit_ctx.engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(events_table)) == 1


def test_concurrent_threads_keep_one_linear_chain(audit_ctx: Context) -> None:
    threads, transactions = 4, 12
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            start.wait()
            append_many(str(audit_ctx.engine.url.render_as_string(hide_password=False)),
                        f"T{n}", transactions)  # fmt: skip
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors, errors
    assert_linear(audit_ctx, threads * transactions * 2)


def test_concurrent_processes_keep_one_linear_chain(audit_ctx: Context) -> None:
    url = audit_ctx.engine.url.render_as_string(hide_password=False)
    spawn = multiprocessing.get_context("spawn")
    processes = [spawn.Process(target=append_many, args=(url, f"P{n}", 15)) for n in range(3)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    assert [p.exitcode for p in processes] == [0, 0, 0]
    assert_linear(audit_ctx, 3 * 15 * 2)
